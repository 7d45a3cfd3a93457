package notify

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/grace"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Run is what a finished daemon run tells the notifier.
type Run struct {
	Record plan.RunRecord
	// Drift holds the pending changes of a plan-mode run that read every target, even when
	// there are none (its drift is known); nil otherwise, which leaves the drift state as
	// it was.
	Drift []plan.DriftChange
	// Failures are the run's failed targets and changes.
	Failures []Failure
	// Applied are the outcome records of the changes the run made.
	Applied []plan.AuditRecord
}

// Observer counts deliveries: the daemon's metrics.
type Observer interface {
	// Delivered counts a notification sent (ok) or given up on (dropped or failed).
	Delivered(target, event string, ok bool)
	// Retried counts a failed attempt that is tried again.
	Retried(target string)
}

// DefaultBackoff are the waits between the attempts of a delivery: five attempts over
// about a minute.
var DefaultBackoff = []time.Duration{2 * time.Second, 6 * time.Second, 18 * time.Second, 36 * time.Second}

// QueueSize bounds the notifications waiting for one target; more are dropped (and
// counted), so that a target that is down for long cannot hold the daemon's memory.
const QueueSize = 100

// DeliveryTimeout bounds one attempt.
const DeliveryTimeout = 15 * time.Second

// Options configure a Notifier.
type Options struct {
	// StateDir holds notify.json, the drift last sent to each target.
	StateDir string
	Log      zerolog.Logger
	// Observer counts deliveries (nil: nobody).
	Observer Observer
	// Backoff are the waits between attempts (nil: DefaultBackoff); its length plus one is
	// the number of attempts.
	Backoff []time.Duration
	// HTTP sends webhooks and Slack requests (nil: a client with DeliveryTimeout).
	HTTP *http.Client
	// Now is the clock of webhook signatures (nil: time.Now).
	Now func() time.Time
}

type nopObserver struct{}

func (nopObserver) Delivered(string, string, bool) {}
func (nopObserver) Retried(string)                 {}

// Notifier sends the notifications of the daemon's runs.
type Notifier struct {
	opts  Options
	state *driftState

	ctx    context.Context // ends when Close gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	workers map[string]chan *delivery
	wg      sync.WaitGroup
}

// New returns a notifier whose drift state is read from opts.StateDir; a damaged state
// file is logged and costs at most one repeated message per drift.
func New(opts Options) *Notifier {
	if opts.Backoff == nil {
		opts.Backoff = DefaultBackoff
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: DeliveryTimeout}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Notifier{opts: opts, state: loadState(opts.StateDir, opts.Log), ctx: ctx, cancel: cancel, workers: map[string]chan *delivery{}}
}

// Report queues the notifications of a finished run for the notify blocks of cfg that want
// them, and returns at once.
func (n *Notifier) Report(cfg *config.Config, run Run) {
	job := run.Record.Job
	for _, target := range cfg.Notify {
		if target.Wants(job, config.NotifyFailure) && len(run.Failures) > 0 {
			n.queue(cfg, target, failureNotification(&run), nil)
		}
		if target.Wants(job, config.NotifyApplied) && len(run.Applied) > 0 {
			n.queue(cfg, target, appliedNotification(&run), nil)
		}
		if target.Wants(job, config.NotifyDrift) && run.Drift != nil {
			n.reportDrift(cfg, target, &run)
		}
	}
}

// reportDrift queues a drift or drift_resolved notification when the drift differs from
// the one last queued for the target.
func (n *Notifier) reportDrift(cfg *config.Config, target *config.Notify, run *Run) {
	changes := driftChanges(run.Drift)
	sent := sentDrift{Digest: digest(changes), Pending: len(changes)}
	last, changed := n.state.want(run.Record.Job, target.Name, sent)
	if !changed {
		return
	}
	var msg *Notification
	switch {
	case sent.Digest == "":
		msg = newNotification(EventDriftResolved, run)
		msg.Resolved = last.Pending
		msg.render(":white_check_mark: Drift resolved in job *" + run.Record.Job + "*: " + plural(last.Pending, "pending change") + " no longer pending.")
	default:
		msg = newNotification(EventDrift, run)
		msg.Changes = changes
		what := "Drift found"
		if last.Digest != "" {
			what = "Drift changed"
		}
		msg.render(":warning: " + what + " in job *" + run.Record.Job + "*: " + plural(len(changes), "pending change") + " (run " + run.Record.ID + ").")
	}
	n.queue(cfg, target, msg, &driftKey{job: run.Record.Job, target: target.Name, sent: sent})
}

func failureNotification(run *Run) *Notification {
	msg := newNotification(EventFailure, run)
	msg.Failures = run.Failures
	how := "failed"
	if run.Record.Result == plan.ResultError {
		how = "could not run"
	}
	msg.render(":x: Job *" + run.Record.Job + "* " + how + " (run " + run.Record.ID + "): " + plural(len(run.Failures), "failure") + ".")
	return msg
}

func appliedNotification(run *Run) *Notification {
	msg := newNotification(EventApplied, run)
	for _, a := range run.Applied {
		msg.Changes = append(msg.Changes, Change{Task: a.Task, Server: a.Server, Object: a.Object, Action: a.Action,
			Summary: a.Summary, Before: a.Before, After: a.After})
	}
	msg.render(":gear: Job *" + run.Record.Job + "* applied " + plural(len(msg.Changes), "change") + " (run " + run.Record.ID + ").")
	return msg
}

// errClosed is a delivery's error once the notifier is closed.
var errClosed = errors.New("the notifier is closed")

// queue hands msg to target's worker, starting it on first use; a full queue drops msg.
func (n *Notifier) queue(cfg *config.Config, target *config.Notify, msg *Notification, drift *driftKey) {
	d := &delivery{target: target, slack: cfg.Slack, msg: msg, drift: drift}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.failed(d, 0, errClosed)
		return
	}
	ch := n.workers[target.Name]
	if ch == nil {
		ch = make(chan *delivery, QueueSize)
		n.workers[target.Name] = ch
		n.wg.Go(func() { n.work(ch) })
	}
	select {
	case ch <- d:
	default:
		n.failed(d, 0, errors.New("dropped: the target's queue is full"))
	}
}

// work delivers the notifications of one target in order.
func (n *Notifier) work(ch chan *delivery) {
	for d := range ch {
		attempts, err := n.deliver(d)
		if err != nil {
			n.failed(d, attempts, err)
			continue
		}
		if d.drift != nil {
			if err := n.state.sent(d.drift.job, d.drift.target, d.drift.sent); err != nil {
				n.opts.Log.Warn().Err(err).Msg("cannot record the drift notified: it may be notified again after a restart")
			}
		}
		n.opts.Observer.Delivered(d.target.Name, d.msg.Event, true)
	}
}

// failed logs and counts a delivery given up on; a drift that was not sent will be sent
// by the next run that finds it.
func (n *Notifier) failed(d *delivery, attempts int, err error) {
	if d.drift != nil {
		n.state.unsent(d.drift.job, d.drift.target, d.drift.sent)
	}
	n.opts.Observer.Delivered(d.target.Name, d.msg.Event, false)
	n.opts.Log.Error().Str("notify", d.target.Name).Str("event", d.msg.Event).Str("job", d.msg.Job).Str("run_id", d.msg.RunID).
		Int("attempts", attempts).Err(err).Msg("notification not delivered")
}

// Close stops taking notifications and waits for those queued until ctx ends; the rest
// are abandoned (logged and counted).
func (n *Notifier) Close(ctx context.Context) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	for _, ch := range n.workers {
		close(ch)
	}
	n.mu.Unlock()
	grace.Wait(ctx, &n.wg, func(bool) { n.cancel() })
}
