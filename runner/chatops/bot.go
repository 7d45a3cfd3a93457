package chatops

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/tintri-jobs/tintri-jobs/internal/grace"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Options configure a Bot.
type Options struct {
	// Slack is the slack block the bot starts with: its tokens and mode. Who may do what
	// is read from the configuration in use at each request.
	Slack *config.Slack
	// Config returns the configuration in use.
	Config func() *engine.Config
	// History returns a job's newest runs, newest first.
	History func(job string, n int) []plan.RunRecord
	// StateDir, Parallelism, Observer and LockTimeout are handed to the engine.
	StateDir    string
	Parallelism int
	Observer    tintri.Observer
	LockTimeout time.Duration
	Log         zerolog.Logger
	// Now is the clock of approval expiry (nil: time.Now).
	Now func() time.Time
	// Commands counts the commands handled, by name and result (nil: nobody).
	Commands func(command, result string)
	// SweepInterval is how often expired approvals are closed (0: DefaultSweepInterval).
	SweepInterval time.Duration
}

// DefaultSweepInterval is how often the bot looks for expired approvals.
const DefaultSweepInterval = time.Minute

// RequestTimeout bounds each call of Slack's Web API.
const RequestTimeout = 30 * time.Second

// maxWorkers bounds the requests handled at once.
const maxWorkers = 4

// Command results counted by Options.Commands.
const (
	ResultOK      = "ok"
	ResultRefused = "refused"
	ResultError   = "error"
)

// Bot is the chat bot. Run connects it (Socket Mode) or waits for Handler's requests
// (Events API); Shutdown stops it.
type Bot struct {
	opts Options
	api  *slack.Client

	// work is the context of requests; Shutdown cancels it once its grace ends.
	work       context.Context
	cancelWork context.CancelFunc
	stop       chan struct{} // closed by Shutdown: no new request, applies start no further change
	sem        chan struct{}
	wg         sync.WaitGroup

	mu        sync.Mutex
	stopped   bool
	names     map[string]string // user ID → name
	approvals map[string]*approval
	seen      map[string]time.Time // Events API event IDs, for Slack's retries
}

// ErrNoSlack is New's error without a slack block.
var ErrNoSlack = errors.New("no slack block")

// New returns a bot for opts.Slack. It does not contact Slack.
func New(opts Options) (*Bot, error) {
	if opts.Slack == nil {
		return nil, ErrNoSlack
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Commands == nil {
		opts.Commands = func(string, string) {}
	}
	if opts.SweepInterval == 0 {
		opts.SweepInterval = DefaultSweepInterval
	}
	apiOpts := []slack.Option{slack.OptionAppLevelToken(opts.Slack.AppToken.Reveal()),
		slack.OptionHTTPClient(&http.Client{Timeout: RequestTimeout})}
	if opts.Slack.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(opts.Slack.APIURL))
	}
	work, cancel := context.WithCancel(context.Background())
	return &Bot{opts: opts, api: slack.New(opts.Slack.BotToken.Reveal(), apiOpts...), work: work, cancelWork: cancel,
		stop: make(chan struct{}), sem: make(chan struct{}, maxWorkers),
		names: map[string]string{}, approvals: map[string]*approval{}, seen: map[string]time.Time{}}, nil
}

// Run serves until ctx ends: in Socket Mode it holds the connection to Slack (reconnecting
// as slack-go does), in either mode it closes expired approvals.
func (b *Bot) Run(ctx context.Context) {
	b.opts.Log.Info().Str("mode", b.opts.Slack.Mode).Strs("channels", b.opts.Slack.Channels).Msg("slack bot started")
	go b.sweep(ctx)
	if b.opts.Slack.Mode == config.SlackSocket {
		b.runSocket(ctx)
	}
	<-ctx.Done()
}

// Shutdown stops taking requests and tells applies in progress to start no further
// change; it waits for the requests in progress until ctx ends, then cancels them.
func (b *Bot) Shutdown(ctx context.Context) {
	b.mu.Lock()
	if !b.stopped {
		b.stopped = true
		close(b.stop)
	}
	b.mu.Unlock()
	grace.Wait(ctx, &b.wg, func(bool) { b.cancelWork() })
}

// request is one command someone sent.
type request struct {
	channel string
	user    plan.Actor
	text    string
	// thread is where the answer goes: the mention's thread, or the slash command's echo.
	thread string
	// via is "mention" or the slash command.
	via string
}

// spawn runs fn for a request in the background, at most maxWorkers at once; false when
// the bot is shutting down.
func (b *Bot) spawn(fn func(ctx context.Context)) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	b.wg.Go(func() {
		b.sem <- struct{}{}
		defer func() { <-b.sem }()
		fn(b.work)
	})
	return true
}

// slackBlock is the slack block of the configuration in use (nil when a reload dropped it).
func (b *Bot) slackBlock() *config.Slack {
	if cfg := b.opts.Config(); cfg != nil {
		return cfg.Slack
	}
	return nil
}

// userName returns the Slack name of a user ID (looked up once), or the ID.
func (b *Bot) userName(ctx context.Context, id string) string {
	b.mu.Lock()
	name, ok := b.names[id]
	b.mu.Unlock()
	if ok {
		return name
	}
	u, err := b.api.GetUserInfoContext(ctx, id)
	if err != nil {
		b.opts.Log.Warn().Str("user", id).Err(err).Msg("slack: cannot look up a user's name")
		return id
	}
	b.mu.Lock()
	b.names[id] = u.Name
	b.mu.Unlock()
	return u.Name
}

// newEngine returns an engine over the configuration in use.
func (b *Bot) newEngine() *engine.Engine {
	return &engine.Engine{Config: b.opts.Config(), Log: b.opts.Log, Parallelism: b.opts.Parallelism, StateDir: b.opts.StateDir,
		Observer: b.opts.Observer, LockTimeout: b.opts.LockTimeout, LockCommand: "tintri-jobs daemon (slack apply)"}
}
