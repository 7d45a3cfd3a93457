package chatops

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

var update = flag.Bool("update", false, "rewrite the generated parts of docs/chatops.md")

const docsPath = "../../docs/chatops.md"

// step is one exchange of the transcript.
type step struct {
	user    string
	slash   bool   // a slash command rather than a mention
	shown   string // the command as the transcript shows it
	sent    string // the command as sent ("" : shown)
	click   string // click this button of the last approval message instead
	wait    string // the bot's last message of the step contains this
	comment string
}

// TestDocs regenerates docs/chatops.md's attribute tables and transcript (-update) or
// checks them.
func TestDocs(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	f.bot.opts.History = func(string, int) []plan.RunRecord {
		start := time.Date(2026, 6, 1, 2, 30, 0, 0, time.UTC)
		return []plan.RunRecord{
			{Job: "dns", Trigger: "schedule", Start: start, Result: plan.ResultSuccess, Changed: 2},
			{Job: "dns", Trigger: "schedule", Start: start.Add(-24 * time.Hour), Result: plan.ResultFailed, Failed: 1, Unchanged: 1,
				Error: "task dns: tintri-002:8443 appliance dns: GET /api/v310/appliance/default/dns: 503 Service Unavailable"},
		}
	}
	keys := f.hostNames(t)
	vm := f.sim.VMs()[2].Name()
	steps := []step{
		{user: reader, shown: "help", wait: "You (<@U0READER1>) may read"},
		{user: reader, shown: "show appliance_info tintri-001", sent: "show appliance_info " + keys[0], wait: "IPs (3)"},
		{user: reader, shown: "tintri tgc show appliance_info", wait: "shown for VMstores only"},
		{user: reader, shown: "show fleet lab", wait: "VMSTORE"},
		{user: reader, shown: "show vm " + vm, wait: "SERVICE GROUP"},
		{user: reader, shown: "plan dns", wait: "Plan of job"},
		{user: reader, shown: "history dns", wait: "History of job"},
		{user: alice, slash: true, shown: "apply dns", wait: "asks to apply"},
		{user: alice, click: actionApprove, wait: "two-person rule", comment: "alice clicks Approve"},
		{user: bob, click: actionApprove, wait: "Applied:", comment: "bob clicks Approve"},
		{user: reader, shown: "plan dns", wait: "Plan of job", comment: "the plan is now empty"},
		{user: mallory, shown: "plan dns", wait: "may not use me"},
		{user: reader, shown: "plna dns", wait: "Did you mean"},
	}
	var out strings.Builder
	var approvalMsg slackfake.Message
	for _, s := range steps {
		from := len(f.slack.Messages())
		f.do(t, s, &approvalMsg)
		f.reply(t, from, "", s.wait)
		msgs := f.slack.Messages()
		writeStep(&out, s, msgs[from:])
		if s.slash {
			approvalMsg = msgs[len(msgs)-1]
		}
		if s.click == actionApprove && s.user == bob {
			fmt.Fprintf(&out, "*(the message with the buttons now ends: %s)*\n\n", people.Replace(lastLine(f.slack.Messages()[indexOf(msgs, approvalMsg.TS)].Text)))
		}
	}
	host := strings.NewReplacer(keys[0], "tintri-001:8443", keys[1], "tintri-002:8443", strings.TrimPrefix(f.sim.TGCURL(), "https://"), "tintri-tgc:8443")
	transcript := host.Replace(out.String())
	updateDocs(t, map[string]string{
		"block:slack":  decode.Markdown(config.SlackAttributes()),
		"block:notify": decode.Markdown(config.NotifyAttributes()),
		"transcript":   transcript,
	})
}

// hostNames are the VMstores' keys, each 15 characters long like the names the transcript
// shows instead (so that tables stay aligned).
func (f *fixture) hostNames(t *testing.T) []string {
	var keys []string
	for _, u := range f.sim.VMstoreURLs() {
		k := strings.TrimPrefix(u, "https://")
		if len(k) != len("tintri-001:8443") {
			t.Skipf("the simulator's address %s is not 15 characters long: the transcript's tables would not align", k)
		}
		keys = append(keys, k)
	}
	return keys
}

// do performs a step.
func (f *fixture) do(t *testing.T, s step, approval *slackfake.Message) {
	t.Helper()
	sent := s.sent
	if sent == "" {
		sent = s.shown
	}
	var err error
	switch {
	case s.click != "":
		err = f.slack.Click(*approval, s.user, users[s.user], s.click, buttonValue(t, *approval))
	case s.slash:
		err = f.slack.Slash(channel, s.user, users[s.user], sent)
	default:
		_, err = f.slack.Mention(channel, s.user, sent)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writeStep renders a step and the bot's messages.
func writeStep(out *strings.Builder, s step, msgs []slackfake.Message) {
	switch {
	case s.comment != "" && s.click != "":
		fmt.Fprintf(out, "**%s** clicks **Approve**:\n\n", users[s.user])
	case s.slash:
		fmt.Fprintf(out, "**%s**: `/tintri %s`\n\n", users[s.user], s.shown)
	default:
		fmt.Fprintf(out, "**%s**: `@tintribot %s`", users[s.user], s.shown)
		if s.comment != "" {
			fmt.Fprintf(out, " (%s)", s.comment)
		}
		out.WriteString("\n\n")
	}
	for _, m := range msgs {
		who := "**tintribot**"
		switch {
		case m.Method == "chat.postEphemeral":
			who += " (only " + users[m.User] + " sees this)"
		case m.ThreadTS != "":
			who += " (in the thread)"
		}
		text := m.Text
		if strings.Contains(m.Blocks, actionApprove) {
			text += "\n\n" + lastLine(blockText(m.Blocks)) + "\n\n`[ Approve ]` `[ Reject ]`"
		}
		fmt.Fprintf(out, "%s:\n\n%s\n\n", who, people.Replace(text))
	}
}

// people shows Slack's user and channel references as names.
var people = strings.NewReplacer("<@"+alice+">", "@alice", "<@"+bob+">", "@bob", "<@"+reader+">", "@rita",
	"<@"+mallory+">", "@mallory", "<#"+channel+">", "#storage-ops")

var sectionText = regexp.MustCompile(`"text":"((?:[^"\\]|\\.)*)"`)

// blockText is the text of the last mrkdwn section of blocks (JSON).
func blockText(blocks string) string {
	m := sectionText.FindAllStringSubmatch(blocks, -1)
	for i := len(m) - 1; i >= 0; i-- {
		if strings.Contains(m[i][1], "approve") {
			return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(m[i][1])
		}
	}
	return ""
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func indexOf(msgs []slackfake.Message, ts string) int {
	for i, m := range msgs {
		if m.TS == ts {
			return i
		}
	}
	return 0
}

// updateDocs replaces each <!-- name --> … <!-- /name --> section of the docs with its
// text, or checks that it holds it.
func updateDocs(t *testing.T, sections map[string]string) {
	b, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for name, text := range sections {
		open, end := "<!-- "+name+" -->\n", "<!-- /"+name+" -->"
		i, j := strings.Index(doc, open), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s has no %s … %s section", docsPath, open, end)
		}
		doc = doc[:i+len(open)] + text + doc[j:]
	}
	if doc == string(b) {
		return
	}
	if *update {
		if err := os.WriteFile(docsPath, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s differs from what the bot says now: run go test ./runner/chatops -run TestDocs -update", docsPath)
}
