package config

import (
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// requestsSource declares servers and a fleet with and without timeout and attempts.
const requestsSource = `server "slow" {
  url      = "vmstore-1.example"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
  timeout  = "20s"
  attempts = 2
}
server "plain" {
  url      = "vmstore-2.example"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
}
fleet "lab" {
  urls     = ["vmstore-3.example"]
  username = "admin"
  password = env("PW")
  timeout  = "1m30s"
}
`

// TestRequestLimits: server and fleet blocks take timeout and attempts; the client gets
// them, attempts also bounding its circuit breaker; -timeout and -attempts
// (OverrideRequestLimits) replace them everywhere, a zero flag leaving them.
func TestRequestLimits(t *testing.T) {
	cfg, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(requestsSource)}}, "jobs.hcl", LoadOptions{Env: []string{"PW=pw"}})
	if diags.HasErrors() {
		t.Fatal(diagText(cfg, diags))
	}
	type limits struct {
		Timeout  time.Duration
		Attempts int
	}
	got := func() map[string]limits {
		return map[string]limits{
			"slow":  {cfg.Servers["slow"].Timeout, cfg.Servers["slow"].Attempts},
			"plain": {cfg.Servers["plain"].Timeout, cfg.Servers["plain"].Attempts},
			"lab":   {cfg.Fleets["lab"].Timeout, cfg.Fleets["lab"].Attempts},
		}
	}
	want := map[string]limits{"slow": {20 * time.Second, 2}, "plain": {}, "lab": {90 * time.Second, 0}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}

	tc := cfg.Servers["slow"].ClientConfig("https://vmstore-1.example")
	if tc.Timeout != 20*time.Second || tc.Retry.MaxAttempts != 2 || tc.BreakAfterTimeouts != 2 || tc.Username != "admin" || tc.Password.Reveal() != "pw" {
		t.Errorf("client config of slow: timeout %s, attempts %d, breaker %d", tc.Timeout, tc.Retry.MaxAttempts, tc.BreakAfterTimeouts)
	}
	if tc := (Connection{Attempts: 7}).ClientConfig("h"); tc.BreakAfterTimeouts != tintri.DefaultBreakAfterTimeouts {
		t.Errorf("attempts 7: breaker after %d timeouts, want the default %d", tc.BreakAfterTimeouts, tintri.DefaultBreakAfterTimeouts)
	}
	if tc := cfg.Servers["plain"].ClientConfig("h"); tc.Timeout != 0 || tc.Retry.MaxAttempts != 0 || tc.BreakAfterTimeouts != 0 {
		t.Errorf("unset limits reach the client as %s, %d attempts, breaker %d; want the client's defaults", tc.Timeout, tc.Retry.MaxAttempts, tc.BreakAfterTimeouts)
	}

	cfg.OverrideRequestLimits(0, 5)
	want = map[string]limits{"slow": {20 * time.Second, 5}, "plain": {0, 5}, "lab": {90 * time.Second, 5}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("after -attempts 5 (-want +got):\n%s", diff)
	}
	cfg.OverrideRequestLimits(3*time.Second, 0)
	want = map[string]limits{"slow": {3 * time.Second, 5}, "plain": {3 * time.Second, 5}, "lab": {3 * time.Second, 5}}
	if diff := cmp.Diff(want, got()); diff != "" {
		t.Errorf("after -timeout 3s (-want +got):\n%s", diff)
	}
}

// TestRequestLimitsInvalid: a timeout outside 1s..1h, one that is no duration, and
// attempts outside 1..10 are errors on the attribute.
func TestRequestLimitsInvalid(t *testing.T) {
	tests := []struct{ attr, want string }{
		{`timeout = "0s"`, `Invalid timeout: The timeout attribute must be between 1s and 1h, not 0s.`},
		{`timeout = "500ms"`, `Invalid timeout: The timeout attribute must be between 1s and 1h, not 500ms.`},
		{`timeout = "2h"`, `Invalid timeout: The timeout attribute must be between 1s and 1h, not 2h0m0s.`},
		{`timeout = "soon"`, `Invalid timeout: The timeout attribute must be a duration such as "30s", "10m" or "1h30m", not "soon".`},
		{`attempts = 0`, `Invalid attempts: The attempts attribute must be between 1 and 10, not 0.`},
		{`attempts = 11`, `Invalid attempts: The attempts attribute must be between 1 and 10, not 11.`},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			src := "fleet \"lab\" {\n  urls     = [\"vmstore-3.example\"]\n  username = \"admin\"\n  password = env(\"PW\")\n  " + tt.attr + "\n}\n"
			_, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", LoadOptions{Env: []string{"PW=pw"}})
			var got []string
			for _, d := range diags {
				got = append(got, fmt.Sprintf("%s:%d: %s: %s", d.Subject.Filename, d.Subject.Start.Line, d.Summary, d.Detail))
			}
			if diff := cmp.Diff([]string{"jobs.hcl:5: " + tt.want}, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInflightAttributes: max_inflight, min_inflight and adaptive reach the client's
// config; unset, they leave the client's defaults.
func TestInflightAttributes(t *testing.T) {
	src := `server "gentle" {
  url          = "vmstore-1.example"
  kind         = "vmstore"
  username     = "admin"
  password     = env("PW")
  max_inflight = 3
  adaptive     = false
}
fleet "lab" {
  urls         = ["vmstore-3.example"]
  username     = "admin"
  password     = env("PW")
  max_inflight = 16
  min_inflight = 2
}
server "plain" {
  url      = "vmstore-2.example"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
}
`
	cfg, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", LoadOptions{Env: []string{"PW=pw"}})
	if diags.HasErrors() {
		t.Fatal(diagText(cfg, diags))
	}
	type inflight struct {
		Max, Min int
		Fixed    bool
	}
	of := func(c tintri.Config) inflight { return inflight{c.MaxInflight, c.MinInflight, c.DisableAdaptive} }
	got := map[string]inflight{
		"gentle": of(cfg.Servers["gentle"].ClientConfig("h")),
		"lab":    of(cfg.Fleets["lab"].ClientConfig("h")),
		"plain":  of(cfg.Servers["plain"].ClientConfig("h")),
	}
	want := map[string]inflight{"gentle": {3, 0, true}, "lab": {16, 2, false}, "plain": {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("client configs (-want +got):\n%s", diff)
	}
}
