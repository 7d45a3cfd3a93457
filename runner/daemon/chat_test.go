package daemon

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// Secrets of the chat tests: none may appear in anything the daemon writes or sends.
const (
	chatBotToken  = "xoxb-daemon-secret-bot-token"
	chatAppToken  = "xapp-daemon-secret-app-token"
	chatSignKey   = "daemon-secret-signing-key"
	chatHookKey   = "daemon-secret-webhook-key"
	chatHookToken = "hook-path-secret-token"
)

// hookServer answers 500 to every webhook request and keeps their bodies.
type hookServer struct {
	mu     sync.Mutex
	bodies []string
}

func (h *hookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b)+" "+fmt.Sprint(r.Header))
	h.mu.Unlock()
	w.WriteHeader(http.StatusInternalServerError)
}

const chatJobs = `
variable "bot" {
  sensitive = true
  default   = %q
}
variable "app" {
  sensitive = true
  default   = %q
}
variable "sign" {
  sensitive = true
  default   = %q
}
variable "hook" {
  sensitive = true
  default   = %q
}
job "drift" {
  schedule  = "10,20,40 * * * *"
  time_zone = "UTC"
  mode      = "plan"
  task "daemontest" "check" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
job "dns" {
  schedule  = "30 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
job "broken" {
  schedule  = "50 * * * *"
  time_zone = "UTC"
  task "daemontest" "boom" {
    panic = true
  }
}
slack {
  bot_token      = var.bot
  app_token      = var.app
  signing_secret = var.sign
  mode           = "events"
  api_url        = %q
  channels       = ["C0OPS0001"]
  readers        = ["*"]
}
notify "ops" {
  slack_channel = "C0OPS0001"
  jobs          = ["drift"]
}
notify "hook" {
  webhook_url    = %q
  webhook_secret = var.hook
  on             = ["failure"]
}
`

// TestDaemonNotifiesAndKeepsSecrets: drift is posted once when it appears, not while it
// stays, once when an apply resolves it; a failed run's webhook is tried again and then
// counted in /metrics; the Events API endpoint answers an unsigned request 401 whatever
// its Host. No token or secret appears in a message, the log, the history, the audit
// log, the notify state or /metrics.
func TestDaemonNotifiesAndKeepsSecrets(t *testing.T) {
	fake := slackfake.New(chatBotToken, chatAppToken, nil)
	defer fake.Close()
	hooks := &hookServer{}
	hook := httptest.NewServer(hooks)
	defer hook.Close()
	logs := &syncBuffer{}
	fixtureLog = logs
	defer func() { fixtureLog = nil }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	jobs := fmt.Sprintf(chatJobs, chatBotToken, chatAppToken, chatSignKey, chatHookKey, fake.APIURL(), hook.URL+"/"+chatHookToken)
	f := newDaemonFixture(t, sim.Options{VMstores: 2, VMs: 4, Seed: 1}, ts(t, "2026-06-01T00:05:00Z"), jobs,
		Options{Listener: ln, ListenAddr: ln.Addr().String(), NotifyBackoff: []time.Duration{time.Millisecond, time.Millisecond}})
	base := "http://" + ln.Addr().String()
	f.start()

	want := []string{plan.ResultDrift, plan.ResultDrift, plan.ResultSuccess, plan.ResultSuccess, plan.ResultFailed}
	for i, result := range want { // 00:10, 00:20 drift; 00:30 dns; 00:40 drift; 00:50 broken
		f.clk.next(t)
		if r := f.run(t); r.Result != result {
			t.Fatalf("run %d: %s %s (%s), want %s", i, r.Job, r.Result, r.Error, result)
		}
	}
	if _, _, err := fake.Wait(0, 10*time.Second, func(m slackfake.Message) bool { return strings.Contains(m.Text, "Drift resolved") }); err != nil {
		t.Fatal(err)
	}
	waitMetric(t, base, `tintri_jobs_notifications_total{event="failure",notify="hook",result="failed"}`, 1)

	var texts []string
	for _, m := range fake.Messages() {
		heading, _, _ := strings.Cut(m.Text, "\n")
		texts = append(texts, heading)
	}
	if len(texts) != 2 || !strings.Contains(texts[0], "Drift found in job *drift*: 2 pending changes") || !strings.Contains(texts[1], "Drift resolved") {
		t.Errorf("slack messages (want drift found, then resolved):\n%s", strings.Join(texts, "\n"))
	}
	m := scrape(t, base)
	if m[`tintri_jobs_notification_retries_total{notify="hook"}`] != 2 || m[`tintri_jobs_notifications_total{event="drift",notify="ops",result="sent"}`] != 1 {
		t.Errorf("metrics: %v", m)
	}

	// The Events API: unsigned → 401, even under a Host that is not the daemon's.
	req, _ := http.NewRequest(http.MethodPost, base+"/slack/events", strings.NewReader(`{"type":"url_verification","challenge":"x"}`))
	req.Host = "tintri-bot.example.com"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned Events API request: %d, want 401", resp.StatusCode)
	}
	metrics := scrapeText(t, base)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}

	everything := []string{logs.String(), metrics, strings.Join(hooks.bodies, "\n")}
	for _, m := range fake.Messages() {
		everything = append(everything, m.Text, m.Blocks)
	}
	for _, name := range []string{HistoryFile, "audit.jsonl", "notify.json", "claims.json"} {
		b, err := os.ReadFile(filepath.Join(f.dir, name))
		if err != nil {
			t.Fatal(err)
		}
		everything = append(everything, string(b))
	}
	all := strings.Join(everything, "\n")
	for _, secret := range []string{chatBotToken, chatAppToken, chatSignKey, chatHookKey, chatHookToken} {
		if strings.Contains(all, secret) {
			t.Errorf("%s appears in what the daemon wrote or sent", secret)
		}
	}
	if !strings.Contains(logs.String(), "notification not delivered") || len(hooks.bodies) != 3 {
		t.Errorf("webhook tried %d times (want 3); log:\n%s", len(hooks.bodies), logs.String())
	}
}

// waitMetric waits until the sample name reaches want.
func waitMetric(t *testing.T, base, name string, want float64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for scrape(t, base)[name] != want {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached %v: %v", name, want, scrape(t, base))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func scrapeText(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
