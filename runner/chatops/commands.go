package chatops

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// level is what a command needs its sender to be.
type level int

const (
	levelRead    level = iota // a reader, requester or approver
	levelRequest              // a requester
)

// command is one thing the bot can be asked.
type command struct {
	name, usage, help string
	level             level
	run               func(b *Bot, ctx context.Context, req request, args []string) error
}

// commands are the bot's commands, in the order help lists them (set by init: help
// lists them).
var commands []command

func init() {
	commands = []command{
		{name: "help", usage: "help", help: "what I can do, and what you may do", run: (*Bot).help},
		{name: "show", usage: "show appliance_info <name> | show fleet <fleet> | show vm <name>",
			help: "an appliance's facts, one row per VMstore of a fleet, or a VM", run: (*Bot).show},
		{name: "plan", usage: "plan [job]", help: "what the job (or every job) would change", run: (*Bot).plan},
		{name: "apply", usage: "apply <job>", help: "plan the job and ask an approver to apply exactly that plan", level: levelRequest, run: (*Bot).apply},
		{name: "history", usage: "history <job>", help: "the job's latest daemon runs", run: (*Bot).history},
	}
}

func commandNames() []string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return names
}

// parse splits a request's text into a command and its arguments. The seed bot's form
// "tintri <name> show appliance_info" is read as "show appliance_info <name>".
func parse(text string) (string, []string) {
	words := strings.Fields(text)
	if len(words) >= 3 && strings.EqualFold(words[0], "tintri") && strings.EqualFold(words[2], "show") {
		words = append([]string{"show"}, append(words[3:], words[1])...)
	}
	if len(words) == 0 {
		return "help", nil
	}
	return strings.ToLower(words[0]), words[1:]
}

// handle authorizes and runs one request, answering in its thread.
func (b *Bot) handle(ctx context.Context, req request) {
	name, args := parse(req.text)
	idx := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	lvl, label := levelRead, "unknown" // label: a metric's, so never the sender's words
	if idx >= 0 {
		lvl, label = commands[idx].level, name
	}
	if why := b.authorize(req, lvl); why != "" {
		b.opts.Log.Info().Str("user", req.user.ID).Str("channel", req.channel).Str("command", label).Str("why", why).Msg("slack: command refused")
		b.refuse(ctx, req, why)
		b.opts.Commands(label, ResultRefused)
		return
	}
	if req.thread == "" && !b.echo(ctx, &req) {
		return
	}
	if idx < 0 {
		b.say(ctx, req, unknown(name, commandNames(), "command")+" Try `help`.")
		b.opts.Commands("unknown", ResultRefused)
		return
	}
	b.opts.Log.Info().Str("user", req.user.ID).Str("channel", req.channel).Str("command", name).Strs("args", args).Msg("slack: command")
	if err := commands[idx].run(b, ctx, req, args); err != nil {
		b.say(ctx, req, ":x: "+err.Error())
		b.opts.Commands(name, ResultError)
		return
	}
	b.opts.Commands(name, ResultOK)
}

// unknown says that word is not a known what, with the closest ones.
func unknown(word string, known []string, what string) string {
	msg := fmt.Sprintf("I do not know the %s `%s`.", what, word)
	if s := decode.Suggest(word, known); len(s) > 0 {
		return msg + " Did you mean `" + strings.Join(s, "`, `") + "`?"
	}
	return msg + " I know `" + strings.Join(known, "`, `") + "`."
}

// authorize returns why req may not run a command of level lvl, or "".
func (b *Bot) authorize(req request, lvl level) string {
	s := b.slackBlock()
	switch {
	case s == nil:
		return "chat commands are off: the configuration in use has no slack block."
	case !slices.Contains(s.Channels, req.channel):
		return "I only take commands in " + channelList(s.Channels) + "."
	case lvl == levelRequest && !slices.Contains(s.Requesters, req.user.ID):
		if len(s.Requesters) == 0 {
			return "applies from chat are off: the slack block lists no requesters."
		}
		return fmt.Sprintf("<@%s> may not ask for applies: only the slack block's requesters may.", req.user.ID)
	case lvl == levelRead && !mayRead(s, req.user.ID):
		return fmt.Sprintf("<@%s> may not use me: only the slack block's readers, requesters and approvers may.", req.user.ID)
	}
	return ""
}

// mayRead reports whether user may run read commands.
func mayRead(s *config.Slack, user string) bool {
	return slices.Contains(s.Readers, config.Anyone) || slices.Contains(s.Readers, user) ||
		slices.Contains(s.Requesters, user) || slices.Contains(s.Approvers, user)
}

func channelList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<#" + id + ">"
	}
	return strings.Join(out, ", ")
}

func (b *Bot) help(ctx context.Context, req request, _ []string) error {
	s := b.slackBlock()
	var lines []string
	for _, c := range commands {
		lines = append(lines, fmt.Sprintf("`%s` — %s", c.usage, c.help))
	}
	may := []string{"read"}
	if slices.Contains(s.Requesters, req.user.ID) {
		may = append(may, "ask for applies")
	}
	if slices.Contains(s.Approvers, req.user.ID) {
		may = append(may, "approve applies")
	}
	rule := "An approver other than the requester approves each apply (two-person rule)."
	if !s.TwoPersonRule {
		rule = "An approver approves each apply; requesters who are approvers may approve their own."
	}
	b.say(ctx, req, "Mention me or use `"+s.Command+"`:\n"+strings.Join(lines, "\n")+"\n"+rule+
		fmt.Sprintf(" Plans not approved within %s expire.\nYou (<@%s>) may %s.", s.ApprovalTimeout, req.user.ID, strings.Join(may, ", ")))
	return nil
}

// actor is a plan.Actor, named by its ID when the name is unknown.
func actor(id, name string) plan.Actor {
	if name == "" {
		name = id
	}
	return plan.Actor{ID: id, Name: name}
}
