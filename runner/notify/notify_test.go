package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

const (
	hookSecret = "webhook-secret-0123456789"
	botToken   = "xoxb-notify-test-token"
)

// observer records deliveries and signals each one on done.
type observer struct {
	mu      sync.Mutex
	sent    []string // "target event ok|failed"
	retries int
	done    chan struct{}
}

func newObserver() *observer { return &observer{done: make(chan struct{}, 100)} }

func (o *observer) Delivered(target, event string, ok bool) {
	o.mu.Lock()
	result := "failed"
	if ok {
		result = "ok"
	}
	o.sent = append(o.sent, target+" "+event+" "+result)
	o.mu.Unlock()
	o.done <- struct{}{}
}

func (o *observer) Retried(string) {
	o.mu.Lock()
	o.retries++
	o.mu.Unlock()
}

// wait waits for n deliveries.
func (o *observer) wait(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-o.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("delivery not done; deliveries so far: %v", o.sent)
		}
	}
}

// receiver is a webhook endpoint that checks signatures and records notifications.
type receiver struct {
	mu       sync.Mutex
	got      []Notification
	raw      [][]byte
	attempts int
	status   int
	t        *testing.T
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts++
	if want := Sign(hookSecret, req.Header.Get(HeaderTimestamp), body); req.Header.Get(HeaderSignature) != want {
		r.t.Errorf("signature %q, want %q", req.Header.Get(HeaderSignature), want)
	}
	if r.status != 0 {
		w.WriteHeader(r.status)
		return
	}
	var n Notification
	if err := json.Unmarshal(body, &n); err != nil {
		r.t.Errorf("notification %s: %v", body, err)
	}
	r.got = append(r.got, n)
	r.raw = append(r.raw, body)
}

func (r *receiver) events() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.got {
		out = append(out, n.Event)
	}
	return out
}

// loadConfig loads notify blocks for the jobs "drift" and "nightly".
func loadConfig(t *testing.T, hookURL, slackURL string) *config.Config {
	t.Helper()
	src := `
job "drift" {
  task "noop" "t" {}
}
job "nightly" {
  task "noop" "t" {}
}
slack {
  bot_token = env("BOT")
  app_token = env("APP")
  channels  = ["C0123ABCD"]
  api_url   = env("SLACK_URL")
}
notify "hook" {
  webhook_url    = env("HOOK_URL")
  webhook_secret = env("HOOK_SECRET")
  on             = ["drift", "failure", "applied"]
}
notify "ops" {
  slack_channel = "C0OPS0001"
  jobs          = ["drift"]
}
`
	cfg, diags := config.Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", config.LoadOptions{Env: []string{
		"BOT=" + botToken, "APP=xapp-x", "SLACK_URL=" + slackURL, "HOOK_URL=" + hookURL, "HOOK_SECRET=" + hookSecret}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg
}

func driftRun(id string, primaries ...string) Run {
	run := Run{Record: plan.RunRecord{ID: id, Job: "drift", Result: plan.ResultDrift, End: time.Date(2026, 6, 1, 0, 30, 0, 0, time.UTC)},
		Drift: []plan.DriftChange{}}
	for i, p := range primaries {
		server := []string{"vmstore-a:443", "vmstore-b:443"}[i]
		run.Drift = append(run.Drift, plan.DriftChange{Task: "check", Kind: "appliance_dns", Change: plan.Change{
			Server: server, Object: "dns", ID: server + "/dns", Action: plan.ActionUpdate, Summary: "set primary DNS",
			Before: json.RawMessage(`{"primary":"10.1.1.1"}`), After: json.RawMessage(`{"primary":"` + p + `"}`)}})
	}
	if len(primaries) == 0 {
		run.Record.Result = plan.ResultSuccess
	}
	return run
}

// TestDriftOnceUntilChanged: drift is sent when it appears and when it changes, once more
// when it is resolved, and never while it stays the same, across a restart too.
func TestDriftOnceUntilChanged(t *testing.T) {
	rcv := &receiver{t: t}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	fake := slackfake.New(botToken, "xapp-x", nil)
	defer fake.Close()
	cfg := loadConfig(t, hook.URL+"/hook", fake.APIURL())
	dir := t.TempDir()
	obs := newObserver()
	n := New(Options{StateDir: dir, Log: zerolog.Nop(), Observer: obs})

	steps := []struct {
		run  Run
		want int // deliveries (webhook and slack)
	}{
		{driftRun("r1", "10.9.9.9"), 2},             // appears
		{driftRun("r2", "10.9.9.9"), 0},             // same
		{driftRun("r3", "10.9.9.9", "10.9.9.9"), 2}, // changes
		{driftRun("r4", "10.9.9.9", "10.9.9.9"), 0}, // same
	}
	for _, s := range steps {
		n.Report(cfg, s.run)
		obs.wait(t, s.want)
	}
	n.Close(context.Background())

	// A new daemon on the same state directory does not send the same drift again.
	obs2 := newObserver()
	n2 := New(Options{StateDir: dir, Log: zerolog.Nop(), Observer: obs2})
	n2.Report(cfg, driftRun("r5", "10.9.9.9", "10.9.9.9"))
	n2.Report(cfg, driftRun("r6")) // resolved
	obs2.wait(t, 2)
	n2.Report(cfg, driftRun("r7")) // still resolved
	// A failed plan-mode run leaves the drift state alone: no drift message either way.
	n2.Report(cfg, Run{Record: plan.RunRecord{ID: "r8", Job: "drift", Result: plan.ResultFailed},
		Failures: []Failure{{Task: "check", Failure: plan.Failure{Server: "vmstore-b:443", Error: "connection refused"}}}})
	obs2.wait(t, 1)
	n2.Close(context.Background())

	if got, want := strings.Join(rcv.events(), " "), "drift drift drift_resolved failure"; got != want {
		t.Errorf("webhook events %q, want %q", got, want)
	}
	for _, raw := range rcv.raw {
		schematest.Validate(t, schematest.Notification, raw)
	}
	first := rcv.got[0]
	if len(first.Changes) != 1 || !strings.Contains(first.Text, `{"primary":"10.1.1.1"} → {"primary":"10.9.9.9"}`) {
		t.Errorf("drift notification shows no before → after:\n%s", first.Text)
	}
	if !strings.HasPrefix(rcv.got[1].Text, ":warning: Drift changed in job *drift*: 2 pending changes") {
		t.Errorf("second drift: %s", rcv.got[1].Text)
	}
	if r := rcv.got[2]; r.Resolved != 2 || !strings.Contains(r.Text, "Drift resolved") {
		t.Errorf("resolved notification: %+v", r)
	}
	var slackTexts []string
	for _, m := range fake.Messages() {
		if m.Channel != "C0OPS0001" {
			t.Errorf("slack message to %s", m.Channel)
		}
		heading, _, _ := strings.Cut(m.Text, "\n")
		slackTexts = append(slackTexts, heading+"\n")
	}
	// ops is for drift only (default on = drift, failure) of job drift.
	if len(slackTexts) != 4 || !strings.Contains(slackTexts[2], "Drift resolved") || !strings.Contains(slackTexts[3], "failed") {
		t.Errorf("slack messages:\n%s", strings.Join(slackTexts, ""))
	}
}

// TestFailedWebhookRetriedThenCounted: a webhook that keeps answering 500 is tried as
// often as the backoff allows, then the delivery is logged and counted as failed; the log
// names neither the webhook's URL nor its secret.
func TestFailedWebhookRetriedThenCounted(t *testing.T) {
	rcv := &receiver{t: t, status: http.StatusInternalServerError}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	cfg := loadConfig(t, hook.URL+"/hook-token-in-path", "http://127.0.0.1:1/api/")
	obs := newObserver()
	var logs bytes.Buffer
	n := New(Options{StateDir: t.TempDir(), Log: zerolog.New(&logs), Observer: obs, Backoff: []time.Duration{time.Millisecond, time.Millisecond}})
	start := time.Now()
	n.Report(cfg, Run{Record: plan.RunRecord{ID: "r1", Job: "nightly", Result: plan.ResultFailed},
		Failures: []Failure{{Task: "dns", Failure: plan.Failure{Server: "vmstore-a:443", Error: "503"}}}})
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Report took %s: it must not wait for the delivery", d)
	}
	obs.wait(t, 1)
	n.Close(context.Background())
	if rcv.attempts != 3 || obs.retries != 2 || len(obs.sent) != 1 || obs.sent[0] != "hook failure failed" {
		t.Errorf("attempts %d, retries %d, deliveries %v; want 3 attempts, 2 retries, 1 failed", rcv.attempts, obs.retries, obs.sent)
	}
	if !strings.Contains(logs.String(), `"message":"notification not delivered"`) || !strings.Contains(logs.String(), "500 Internal Server Error") {
		t.Errorf("log:\n%s", logs.String())
	}
	for _, secret := range []string{"hook-token-in-path", hookSecret} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds %s:\n%s", secret, logs.String())
		}
	}

	// A 4xx answer is not tried again.
	rcv.status, rcv.attempts = http.StatusBadRequest, 0
	obs = newObserver()
	n = New(Options{StateDir: t.TempDir(), Log: zerolog.Nop(), Observer: obs, Backoff: []time.Duration{time.Millisecond}})
	n.Report(cfg, Run{Record: plan.RunRecord{ID: "r2", Job: "nightly", Result: plan.ResultError}, Failures: []Failure{{Task: "dns", Failure: plan.Failure{Error: "x"}}}})
	obs.wait(t, 1)
	n.Close(context.Background())
	if rcv.attempts != 1 || obs.retries != 0 {
		t.Errorf("400: %d attempts, %d retries; want 1, 0", rcv.attempts, obs.retries)
	}
}

// TestAppliedIsOptIn: applied changes go only to the blocks that list "applied".
func TestAppliedIsOptIn(t *testing.T) {
	rcv := &receiver{t: t}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	fake := slackfake.New(botToken, "xapp-x", nil)
	defer fake.Close()
	cfg := loadConfig(t, hook.URL, fake.APIURL())
	obs := newObserver()
	n := New(Options{StateDir: t.TempDir(), Log: zerolog.Nop(), Observer: obs})
	rec := plan.AuditRecord{Job: "drift", Task: "set", Result: plan.AuditOK, Change: plan.Change{Server: "vmstore-a:443", Object: "dns",
		Action: plan.ActionUpdate, Summary: "set primary DNS 10.1.1.1 → 10.9.9.9"}}
	n.Report(cfg, Run{Record: plan.RunRecord{ID: "r1", Job: "drift", Result: plan.ResultSuccess}, Applied: []plan.AuditRecord{rec}})
	obs.wait(t, 1)
	n.Close(context.Background())
	if got := rcv.events(); len(got) != 1 || got[0] != EventApplied || !strings.Contains(rcv.got[0].Text, "set primary DNS 10.1.1.1 → 10.9.9.9") {
		t.Errorf("webhook got %v: %+v", got, rcv.got)
	}
	if len(fake.Messages()) != 0 {
		t.Errorf("ops (no applied in on) got %v", fake.Messages())
	}
}
