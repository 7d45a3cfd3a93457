package chatops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	_ "github.com/tintri-jobs/tintri-jobs/tasks" // the task kinds the jobs use
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// Slack users and secrets of the tests.
const (
	channel    = "C0OPS0001"
	alice      = "U0ALICE01" // requester and approver
	bob        = "U0BOB0001" // approver
	reader     = "U0READER1"
	mallory    = "U0MALLORY"
	botToken   = "xoxb-chatops-test-bot-token"
	appToken   = "xapp-chatops-test-app-token"
	signSecret = "chatops-test-signing-secret"
	waitFor    = 20 * time.Second
)

var users = map[string]string{alice: "alice", bob: "bob", reader: "rita", mallory: "mallory"}

// fixture is a simulator, a fake Slack and a bot in the given mode over a job file.
type fixture struct {
	sim   *sim.Sim
	slack *slackfake.Fake
	cfg   *engine.Config
	bot   *Bot
	dir   string

	mu  sync.Mutex
	now time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

const jobsHCL = `
fleet "lab" {
  urls     = [%s]
  username = "admin"
  password = env("PW")
  ca_file  = env("CA")
}
server "tgc" {
  url      = %q
  kind     = "tgc"
  username = "admin"
  password = env("PW")
  ca_file  = env("CA")
}
job "dns" {
  task "appliance_dns" "dns" {
    fleet   = fleet.lab
    primary = "10.9.9.9"
  }
}
slack {
  bot_token      = env("BOT")
  app_token      = env("APP")
  signing_secret = env("SIGN")
  mode           = %q
  api_url        = env("SLACK_URL")
  channels       = ["C0OPS0001"]
  readers        = ["U0READER1"]
  requesters     = ["U0ALICE01"]
  approvers      = ["U0ALICE01", "U0BOB0001"]
}
`

func newFixture(t *testing.T, mode string) *fixture {
	t.Helper()
	s, err := sim.Start(sim.Options{VMstores: 2, VMs: 12, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	fake := slackfake.New(botToken, appToken, users)
	t.Cleanup(fake.Close)
	var urls []string
	for _, u := range s.VMstoreURLs() {
		urls = append(urls, strconv.Quote(u))
	}
	src := fmt.Sprintf(jobsHCL, strings.Join(urls, ", "), s.TGCURL(), mode)
	cfg, diags := engine.Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", config.LoadOptions{Env: []string{
		"PW=" + s.Password(), "CA=" + s.CAFile(), "BOT=" + botToken, "APP=" + appToken, "SIGN=" + signSecret, "SLACK_URL=" + fake.APIURL()}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	f := &fixture{sim: s, slack: fake, cfg: cfg, dir: t.TempDir(), now: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	f.bot, err = New(Options{Slack: cfg.Slack, Config: func() *engine.Config { return cfg }, StateDir: f.dir, Log: zerolog.Nop(),
		History: func(string, int) []plan.RunRecord { return nil }, Now: f.clock, SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		f.bot.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		f.bot.Shutdown(context.Background())
	})
	if mode == config.SlackSocket {
		if err := fake.WaitConnected(waitFor); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// reply waits for the first message from index from on that is in thread and contains text.
func (f *fixture) reply(t *testing.T, from int, thread, text string) (slackfake.Message, int) {
	t.Helper()
	m, i, err := f.slack.Wait(from, waitFor, func(m slackfake.Message) bool {
		return (thread == "" || m.ThreadTS == thread) && strings.Contains(m.Text, text)
	})
	if err != nil {
		t.Fatal(err)
	}
	return m, i
}

// mention mentions the bot and returns the thread of its answer.
func (f *fixture) mention(t *testing.T, user, text string) string {
	t.Helper()
	ts, err := f.slack.Mention(channel, user, text)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (f *fixture) primary(i int) string {
	a := f.sim.Appliance(fmt.Sprintf("vmstore-%d", i))
	if a.DNSConfig == nil {
		return ""
	}
	return a.DNSConfig.DNSPrimary
}
