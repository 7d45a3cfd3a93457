package config

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

const chatOpsFile = `
job "nightly" {
  task "noop" "t" {}
}
job "drift" {
  task "noop" "t" {}
}
slack {
  bot_token  = env("SLACK_BOT_TOKEN")
  app_token  = trimspace(file("app.token"))
  channels   = ["C0123ABCD"]
  readers    = ["*"]
  requesters = ["U0000AAAA"]
  approvers  = ["U0000BBBB", "U0000AAAA"]
}
notify "ops" {
  slack_channel = "C0123ABCD"
}
notify "hook" {
  webhook_url    = "https://hooks.example.com/tintri"
  webhook_secret = "literal-webhook-secret-123"
  on             = ["failure", "applied"]
  jobs           = ["nightly"]
}
`

// TestLoadSlackAndNotify decodes the slack and notify blocks with their defaults, and
// warns of a secret written in the file without showing it anywhere.
func TestLoadSlackAndNotify(t *testing.T) {
	fsys := fstest.MapFS{"jobs.hcl": {Data: []byte(chatOpsFile)}, "app.token": {Data: []byte("xapp-from-file\n")}}
	cfg, diags := Load(fsys, "jobs.hcl", LoadOptions{Env: []string{"SLACK_BOT_TOKEN=xoxb-from-env"}})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	want := &Slack{BotToken: "xoxb-from-env", AppToken: "xapp-from-file", Mode: SlackSocket, Channels: []string{"C0123ABCD"},
		Readers: []string{"*"}, Requesters: []string{"U0000AAAA"}, Approvers: []string{"U0000BBBB", "U0000AAAA"},
		TwoPersonRule: true, ApprovalTimeout: time.Hour, Command: "/tintri"}
	if diff := cmp.Diff(want, cfg.Slack, cmp.Comparer(func(a, b tintri.Secret) bool { return a == b }),
		cmp.Comparer(func(a, b hcl.Range) bool { return true })); diff != "" {
		t.Errorf("slack (-want +got):\n%s", diff)
	}
	if len(cfg.Notify) != 2 {
		t.Fatalf("notify blocks: %d", len(cfg.Notify))
	}
	ops, hook := cfg.Notify[0], cfg.Notify[1]
	if !ops.Wants("drift", NotifyDrift) || !ops.Wants("nightly", NotifyFailure) || ops.Wants("nightly", NotifyApplied) {
		t.Errorf("ops (default on = drift, failure, every job): %+v", ops)
	}
	if hook.Wants("drift", NotifyFailure) || !hook.Wants("nightly", NotifyApplied) || hook.WebhookURL != "https://hooks.example.com/tintri" {
		t.Errorf("hook (failure and applied of nightly): %+v", hook)
	}
	secrets := cfg.Secrets()
	for _, s := range []string{"xoxb-from-env", "xapp-from-file", "literal-webhook-secret-123"} {
		if !slices.Contains(secrets, s) {
			t.Errorf("Secrets() lacks %s", s)
		}
	}
	var warned bool
	for _, d := range diags {
		warned = warned || d.Summary == "Literal secret in job file"
		if strings.Contains(d.Detail, "literal-webhook") {
			t.Errorf("diagnostic shows the secret: %s", d.Detail)
		}
	}
	if !warned {
		t.Errorf("no warning of the literal webhook secret: %v", diags)
	}
	if strings.Contains(string(cfg.Sources["jobs.hcl"]), "literal-webhook-secret-123") {
		t.Errorf("Sources show the literal webhook secret:\n%s", cfg.Sources["jobs.hcl"])
	}
}
