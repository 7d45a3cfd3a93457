package chatops

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// TestMentionAnswersWithTables: a mention is answered in its thread with the table the
// CLI prints, for each show command and the seed bot's word order.
func TestMentionAnswersWithTables(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	vm := f.sim.VMs()[0].Name()
	for _, tc := range []struct{ text, want string }{
		{"show appliance_info 127.0.0.1", "OS version:"},
		{"tintri tgc show appliance_info", "Product:      Tintri Global Center"},
		{"show fleet lab", "FAILED COMPONENTS"},
		{"show vm " + vm, vm},
		{"plan dns", "2 to change, 0 unchanged, 0 failed"},
		{"help", "`apply <job>`"},
		{"history dns", "no daemon run yet"},
		{"plna dns", "Did you mean `plan`?"},
		{"show fleet labs", "Did you mean `lab`?"},
	} {
		thread := f.mention(t, reader, tc.text)
		m, _ := f.reply(t, 0, thread, tc.want)
		if m.Channel != channel || m.Method != "chat.postMessage" {
			t.Errorf("%q: answer %+v", tc.text, m)
		}
	}
	if f.sim.Writes() != 0 {
		t.Errorf("read commands wrote %d times", f.sim.Writes())
	}
}

// TestRefusalsSayWhy: every command checks who asks and where, first.
func TestRefusalsSayWhy(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	thread := f.mention(t, mallory, "plan")
	f.reply(t, 0, thread, "<@U0MALLORY> may not use me: only the slack block's readers, requesters and approvers may.")
	thread = f.mention(t, reader, "apply dns")
	f.reply(t, 0, thread, "<@U0READER1> may not ask for applies")
	if _, err := f.slack.Mention("C0ELSEWHERE", alice, "plan"); err != nil {
		t.Fatal(err)
	}
	f.reply(t, 0, "", "I only take commands in <#C0OPS0001>.")
	// A slash command's refusal goes to its sender only.
	from := len(f.slack.Messages())
	if err := f.slack.Slash(channel, mallory, "mallory", "show fleet lab"); err != nil {
		t.Fatal(err)
	}
	m, _ := f.reply(t, from, "", "may not use me")
	if m.Method != "chat.postEphemeral" || m.User != mallory {
		t.Errorf("slash refusal %+v, want an ephemeral message to mallory", m)
	}
}

// requestApply asks for the apply of job dns as alice (slash command) and returns the
// message with the buttons.
func requestApply(t *testing.T, f *fixture) slackfake.Message {
	t.Helper()
	from := len(f.slack.Messages())
	if err := f.slack.Slash(channel, alice, "alice", "apply dns"); err != nil {
		t.Fatal(err)
	}
	echo, _ := f.reply(t, from, "", "<@U0ALICE01>: `/tintri apply dns`")
	m, _ := f.reply(t, 0, echo.TS, "asks to apply job `dns`")
	if !strings.Contains(m.Blocks, actionApprove) || !strings.Contains(m.Blocks, actionReject) {
		t.Fatalf("no buttons: %s", m.Blocks)
	}
	return m
}

// TestApplyNeedsASecondPerson: the requester cannot approve their own apply; a second
// approver can, which applies the plan, reports in the thread and names both in the
// audit log.
func TestApplyNeedsASecondPerson(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	m := requestApply(t, f)
	id := buttonValue(t, m)

	if err := f.slack.Click(m, alice, "alice", actionApprove, id); err != nil {
		t.Fatal(err)
	}
	refusal, _ := f.reply(t, 0, "", "you asked for this apply, so another approver must approve it (two-person rule)")
	if refusal.Method != "chat.postEphemeral" || refusal.User != alice {
		t.Errorf("refusal %+v", refusal)
	}
	if err := f.slack.Click(m, reader, "rita", actionApprove, id); err != nil {
		t.Fatal(err)
	}
	f.reply(t, 0, "", "<@U0READER1> may not approve applies")
	if f.sim.Writes() != 0 || f.primary(0) == "10.9.9.9" {
		t.Fatalf("applied before approval (%d writes)", f.sim.Writes())
	}

	if err := f.slack.Click(m, bob, "bob", actionApprove, id); err != nil {
		t.Fatal(err)
	}
	f.reply(t, 0, m.ThreadTS, ":white_check_mark: Applied: 2 changed, 0 unchanged, 0 failed, 0 skipped.")
	updated, _ := f.reply(t, 0, m.ThreadTS, "Approved by <@U0BOB0001>")
	if updated.TS != m.TS || strings.Contains(updated.Blocks, actionApprove) {
		t.Errorf("the approval message keeps its buttons: %+v", updated)
	}
	for i := range 2 {
		if got := f.primary(i); got != "10.9.9.9" {
			t.Errorf("vmstore-%d primary = %q", i, got)
		}
	}
	recs, err := engine.ReadAudit(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d audit records, want 4", len(recs))
	}
	for _, r := range recs {
		if r.RequestedBy == nil || *r.RequestedBy != (plan.Actor{ID: alice, Name: "alice"}) ||
			r.ApprovedBy == nil || *r.ApprovedBy != (plan.Actor{ID: bob, Name: "bob"}) {
			t.Errorf("audit record %+v: requested_by %v approved_by %v", r.Change, r.RequestedBy, r.ApprovedBy)
		}
	}
	// A second click finds nothing waiting.
	from := len(f.slack.Messages())
	if err := f.slack.Click(m, bob, "bob", actionApprove, id); err != nil {
		t.Fatal(err)
	}
	f.reply(t, from, "", "This apply is no longer waiting")
}

// TestStaleTargetRefused: a target changed between the request and the approval is
// refused as a saved plan's would be, and nothing of its task is applied.
func TestStaleTargetRefused(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	m := requestApply(t, f)
	c, err := tintri.New(tintri.Config{URL: f.sim.VMstoreURLs()[1], Username: f.sim.Username(),
		Password: tintri.Secret(f.sim.Password()), CAFile: f.sim.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if err := c.UpdateAppliance(context.Background(), tintri.Appliance{TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "10.1.1.1"}}, tintri.PropDNSConfig); err != nil {
		t.Fatal(err)
	}
	f.sim.ResetCounters()
	if err := f.slack.Click(m, bob, "bob", actionApprove, buttonValue(t, m)); err != nil {
		t.Fatal(err)
	}
	got, _ := f.reply(t, 0, m.ThreadTS, ":warning: Applied with failures")
	if !strings.Contains(got.Text, "stale: changed since the plan was made") || !strings.Contains(got.Text, "0 changed") {
		t.Errorf("outcome: %s", got.Text)
	}
	if f.sim.Writes() != 0 {
		t.Errorf("%d writes after a stale refusal", f.sim.Writes())
	}
}

// TestRejectAndExpiry: the requester may reject; an apply not approved in time expires.
func TestRejectAndExpiry(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	m := requestApply(t, f)
	if err := f.slack.Click(m, alice, "alice", actionReject, buttonValue(t, m)); err != nil {
		t.Fatal(err)
	}
	f.reply(t, 0, m.ThreadTS, "Rejected by <@U0ALICE01>: nothing applied.")

	m2 := requestApply(t, f)
	f.advance(time.Hour + time.Second)
	f.bot.expireDue(context.Background())
	f.reply(t, 0, m2.ThreadTS, "Expired: not approved within 1h0m0s; nothing applied.")
	from := len(f.slack.Messages())
	if err := f.slack.Click(m2, bob, "bob", actionApprove, buttonValue(t, m2)); err != nil {
		t.Fatal(err)
	}
	f.reply(t, from, "", "This apply is no longer waiting")
	if f.sim.Writes() != 0 {
		t.Errorf("%d writes", f.sim.Writes())
	}
}

// TestLongTableAttached: a table longer than a message holds is attached as a snippet.
func TestLongTableAttached(t *testing.T) {
	f := newFixture(t, config.SlackSocket)
	body := strings.Repeat("vdi-0001  vmstore-0  on\n", 200)
	f.bot.table(context.Background(), request{channel: channel, thread: "1.1"}, "*big*", body, "big.txt")
	f.reply(t, 0, "1.1", "*big* (attached: big.txt)")
	file, _ := f.reply(t, 0, "1.1", "vdi-0001")
	if file.Method != "files.upload" || file.Text != body {
		t.Errorf("snippet %s of %d bytes, want the whole table", file.Method, len(file.Text))
	}
}

// buttonValue is the approval ID the buttons of m carry.
func buttonValue(t *testing.T, m slackfake.Message) string {
	t.Helper()
	_, rest, ok := strings.Cut(m.Blocks, `"action_id":"`+actionApprove+`"`)
	if !ok {
		t.Fatalf("no approve button: %s", m.Blocks)
	}
	_, rest, _ = strings.Cut(rest, `"value":"`)
	value, _, _ := strings.Cut(rest, `"`)
	return value
}
