package chatops

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Action IDs of the approval buttons.
const (
	actionApprove = "tintri_approve"
	actionReject  = "tintri_reject"
)

// approval is an apply waiting for its approver: the plan shown, signed, and who asked.
type approval struct {
	id        string
	job       string
	plan      *plan.Plan
	requester plan.Actor
	req       request // where it was asked
	message   string  // ts of the message with the buttons, set before posted is closed
	posted    chan struct{}
	text      string // that message's plan part, kept when the buttons go
	expires   time.Time
}

// click is a press of an approval button.
type click struct {
	approve bool
	id      string
	channel string
	user    plan.Actor
}

// apply plans the job and posts the plan with Approve and Reject buttons.
func (b *Bot) apply(ctx context.Context, req request, args []string) error {
	if len(args) != 1 {
		return errors.New("usage: `apply <job>`")
	}
	eng := b.newEngine()
	p, err := eng.Plan(ctx, engine.Selection{Jobs: args})
	if err != nil {
		return err
	}
	if p.Pending() == 0 {
		b.table(ctx, req, "Nothing to apply: job `"+args[0]+"` has no change to make. "+summary(p), render(p), "plan.txt")
		return nil
	}
	if err := engine.Applicable(p); err != nil {
		b.table(ctx, req, "*Plan of job `"+args[0]+"`*: "+summary(p), render(p), "plan.txt")
		return fmt.Errorf("this plan cannot be applied: %w", err)
	}
	if err := eng.SignPlan(p); err != nil {
		return err
	}
	s := b.slackBlock()
	a := &approval{id: newID(), job: args[0], plan: p, requester: req.user, req: req, expires: b.opts.Now().Add(s.ApprovalTimeout),
		posted: make(chan struct{})}
	body := render(p)
	if len(body) > maxInline {
		b.table(ctx, req, "*Plan of job `"+args[0]+"`*", body, "plan-"+args[0]+".txt")
		body = "(the whole plan is attached above)\n"
	}
	a.text = fmt.Sprintf("*<@%s> asks to apply job `%s`*: %s\n```\n%s```", req.user.ID, args[0], summary(p), body)
	rule := "Any approver"
	if s.TwoPersonRule {
		rule = "An approver other than <@" + req.user.ID + ">"
	}
	note := fmt.Sprintf("%s may approve (approvers: %s). Approval applies exactly this plan; it expires at %s.",
		rule, userList(s.Approvers), a.expires.UTC().Format("15:04 UTC"))
	// Waiting before it is posted: a click can come before say returns, and waits for it.
	b.mu.Lock()
	b.approvals[a.id] = a
	b.mu.Unlock()
	a.message = b.say(ctx, req, a.text, section(a.text), section(note),
		slack.NewActionBlock("approval",
			slack.NewButtonBlockElement(actionApprove, a.id, slack.NewTextBlockObject(slack.PlainTextType, "Approve", false, false)).WithStyle(slack.StylePrimary),
			slack.NewButtonBlockElement(actionReject, a.id, slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)).WithStyle(slack.StyleDanger)))
	close(a.posted)
	if a.message == "" {
		b.take(a.id)
		return errors.New("could not post the plan for approval")
	}
	b.opts.Log.Info().Str("job", a.job).Str("approval", a.id).Str("requested_by", req.user.ID).Msg("slack: apply waiting for approval")
	return nil
}

// onClick handles Approve or Reject.
func (b *Bot) onClick(ctx context.Context, c click) {
	b.mu.Lock()
	a := b.approvals[c.id]
	b.mu.Unlock()
	if a != nil {
		<-a.posted
	}
	if a == nil || a.message == "" || a.req.channel != c.channel {
		b.whisper(ctx, c.channel, c.user.ID, ":information_source: This apply is no longer waiting: it was approved, rejected or expired.")
		return
	}
	if why := b.mayDecide(a, c); why != "" {
		b.opts.Log.Info().Str("job", a.job).Str("approval", a.id).Str("user", c.user.ID).Str("why", why).Msg("slack: approval refused")
		b.whisper(ctx, c.channel, c.user.ID, ":no_entry: "+why)
		b.opts.Commands("approve", ResultRefused)
		return
	}
	if b.opts.Now().After(a.expires) {
		b.expire(ctx, a)
		b.whisper(ctx, c.channel, c.user.ID, ":hourglass: This apply expired before it was approved: nothing applied.")
		return
	}
	if !b.take(a.id) {
		return // another click took it first
	}
	if !c.approve {
		b.close(ctx, a, fmt.Sprintf(":no_entry_sign: Rejected by <@%s>: nothing applied.", c.user.ID))
		b.opts.Log.Info().Str("job", a.job).Str("approval", a.id).Str("rejected_by", c.user.ID).Msg("slack: apply rejected")
		b.opts.Commands("reject", ResultOK)
		return
	}
	b.close(ctx, a, fmt.Sprintf(":white_check_mark: Approved by <@%s>: applying…", c.user.ID))
	b.approved(ctx, a, c.user)
}

// mayDecide returns why c's user may not approve (or reject) a, or "". An approver may
// do either; the requester may reject their own request, and approve it only without the
// two-person rule.
func (b *Bot) mayDecide(a *approval, c click) string {
	s := b.slackBlock()
	switch {
	case s == nil:
		return "chat commands are off: the configuration in use has no slack block."
	case !c.approve && c.user.ID == a.requester.ID:
		return ""
	case !slices.Contains(s.Approvers, c.user.ID):
		return fmt.Sprintf("<@%s> may not approve applies: only %s may.", c.user.ID, userList(s.Approvers))
	case c.approve && s.TwoPersonRule && c.user.ID == a.requester.ID:
		return "you asked for this apply, so another approver must approve it (two-person rule)."
	}
	return ""
}

// approved applies a's plan as approved by approver and posts the outcome.
func (b *Bot) approved(ctx context.Context, a *approval, approver plan.Actor) {
	b.opts.Log.Info().Str("job", a.job).Str("approval", a.id).Str("requested_by", a.requester.ID).Str("approved_by", approver.ID).
		Msg("slack: apply approved")
	res, err := b.newEngine().Apply(ctx, a.plan, engine.ApplyOptions{FromFile: true, Stop: b.stop,
		RequestedBy: &a.requester, ApprovedBy: &approver})
	switch {
	case err != nil:
		b.say(ctx, a.req, ":x: Not applied: "+err.Error())
		b.opts.Commands("approve", ResultError)
	case res.Failed():
		b.say(ctx, a.req, ":warning: Applied with failures: "+outcome(res))
		b.opts.Commands("approve", ResultError)
	default:
		b.say(ctx, a.req, ":white_check_mark: Applied: "+outcome(res))
		b.opts.Commands("approve", ResultOK)
	}
}

// take removes the approval id from those waiting; false when it was not there.
func (b *Bot) take(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.approvals[id]
	delete(b.approvals, id)
	return ok
}

// close replaces a's buttons with status.
func (b *Bot) close(ctx context.Context, a *approval, status string) {
	_, _, _, err := b.api.UpdateMessageContext(ctx, a.req.channel, a.message, slack.MsgOptionText(a.text+"\n"+status, false),
		slack.MsgOptionBlocks(section(a.text), section(status)))
	if err != nil {
		b.opts.Log.Error().Err(err).Str("approval", a.id).Msg("slack: cannot update the approval message")
	}
}

// expire closes a as expired.
func (b *Bot) expire(ctx context.Context, a *approval) {
	if b.take(a.id) {
		b.close(ctx, a, fmt.Sprintf(":hourglass: Expired: not approved within %s; nothing applied.", b.opts.Slack.ApprovalTimeout))
		b.opts.Log.Info().Str("job", a.job).Str("approval", a.id).Msg("slack: apply expired")
	}
}

// sweep closes expired approvals every SweepInterval until ctx ends.
func (b *Bot) sweep(ctx context.Context) {
	t := time.NewTicker(b.opts.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.expireDue(b.work)
		}
	}
}

// expireDue closes the approvals whose time is up.
func (b *Bot) expireDue(ctx context.Context) {
	now := b.opts.Now()
	b.mu.Lock()
	var due []*approval
	for _, a := range b.approvals {
		if now.After(a.expires) {
			due = append(due, a)
		}
	}
	b.mu.Unlock()
	for _, a := range due {
		<-a.posted
		b.expire(ctx, a)
	}
}

func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)
}

func userList(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = "<@" + id + ">"
	}
	return strings.Join(out, ", ")
}

func newID() string {
	var b [12]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
