package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner/chatops"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/notify"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
)

// Options configure a Daemon.
type Options struct {
	// Load reads and validates the configuration again; Reload calls it (on SIGHUP).
	Load func() (*engine.Config, hcl.Diagnostics)
	// StateDir holds daemon.lock, history.jsonl and the engine's files (audit log).
	StateDir string
	// Parallelism is handed to the engine for each run (0: the engine's default).
	Parallelism int
	// AuditRotation is handed to the engine for each run (zero: never rotate).
	AuditRotation engine.AuditRotation
	// NotifyCommand, when set, runs through the system shell (/bin/sh -c, cmd.exe on Windows) after a plan-mode run found drift,
	// with the drift summary as JSON on its standard input (see plan.DriftSummary).
	NotifyCommand string
	// Environ is the daemon's environment (nil: os.Environ()); the notify command gets it
	// without the variables that hold the configuration's secrets.
	Environ []string
	// ShutdownGrace is how long a shutdown lets runs in progress finish before cancelling them.
	ShutdownGrace time.Duration
	// Listener, when set, serves /healthz, /readyz, /metrics and /runs until shutdown ends.
	Listener net.Listener
	// ListenAddr is the listen address as configured (host:port); requests whose Host names
	// its host are accepted besides localhost and IP addresses (see Handler).
	ListenAddr string
	// TokenFile holds the bearer token POST /runs requires (see ReadTokenFile). Empty: with
	// a Listener, New writes a new token to <StateDir>/daemon.token (TokenFile).
	TokenFile string
	Log       zerolog.Logger
	// Clock defaults to SystemClock.
	Clock Clock
	// Jitter returns a delay in [0, max) (nil: uniformly random); tests fix it.
	Jitter func(max time.Duration) time.Duration
	// OnRun, when set, is called with each run's record once it is in the history.
	OnRun func(plan.RunRecord)
	// MaxWait is the longest the scheduler waits before reading the clock again, so that
	// wall-clock steps are noticed: 0 means DefaultMaxWait, a negative value no limit.
	MaxWait time.Duration
	// NotifyBackoff are the waits between a notification's attempts (nil:
	// notify.DefaultBackoff); tests shorten them.
	NotifyBackoff []time.Duration
	// LockWait is how long an apply-mode run or an approved chat apply waits for another
	// apply of the state directory to finish (0: ApplyLockWait); tests shorten it.
	LockWait time.Duration
}

// LockFile is the daemon's lock file name inside the state directory: one daemon per
// state directory.
const LockFile = "daemon.lock"

// lockDaemon takes the daemon lock of dir, or says which process holds it.
func lockDaemon(dir string) (*statedir.Lock, error) {
	lock, err := statedir.Acquire(context.Background(), dir, LockFile, "tintri-jobs daemon", 0)
	var held *statedir.HeldError
	if errors.As(err, &held) {
		holder := "another process"
		if held.Pid > 0 {
			holder = fmt.Sprintf("pid %d", held.Pid)
		}
		return nil, fmt.Errorf("state dir %s is locked by another daemon (%s); stop it or use another -state-dir", dir, holder)
	}
	return lock, err
}

// DefaultMaxWait is the daemon's default Options.MaxWait.
const DefaultMaxWait = time.Minute

// Daemon runs jobs on their schedules, records each run in the history, and exposes health
// and metrics over HTTP. It holds the state directory's lock from New until Run ends.
type Daemon struct {
	opts    Options
	clock   Clock
	lock    *statedir.Lock
	history *History
	metrics *Metrics
	sched   *Scheduler
	token   bearer
	// notifier sends the notify blocks' notifications; chat is the Slack bot (nil without
	// a slack block at start).
	notifier *notify.Notifier
	chat     *chatops.Bot

	reloadMu sync.Mutex // one Reload at a time
	mu       sync.Mutex
	cfg      *engine.Config
	// stopping is closed when Run's context ends: runs in progress start no further change.
	stopping chan struct{}
}

// New locks opts.StateDir, opens its history, reads or writes the HTTP token and schedules
// cfg's jobs. A job's next fire time is computed from now; missed runs are caught up when
// Run starts.
func New(cfg *engine.Config, opts Options) (*Daemon, error) {
	if err := checkScheduled(cfg); err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock{}
	}
	lock, err := lockDaemon(opts.StateDir)
	if err != nil {
		return nil, err
	}
	hist, err := OpenHistory(opts.StateDir, historyLimits(cfg.Config))
	if err != nil {
		return nil, errors.Join(err, lock.Unlock())
	}
	token, err := loadToken(opts)
	if err != nil {
		return nil, errors.Join(err, hist.Close(), lock.Unlock())
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = DefaultMaxWait
	}
	if opts.LockWait == 0 {
		opts.LockWait = ApplyLockWait
	}
	d := &Daemon{opts: opts, clock: opts.Clock, lock: lock, history: hist, metrics: NewMetrics(), cfg: cfg, token: token,
		stopping: make(chan struct{})}
	d.notifier = notify.New(notify.Options{StateDir: opts.StateDir, Log: opts.Log, Observer: d.metrics, Backoff: opts.NotifyBackoff})
	if d.chat, err = d.newBot(cfg); err != nil {
		return nil, errors.Join(err, hist.Close(), lock.Unlock())
	}
	d.sched = NewScheduler(SchedulerOptions{
		Clock:   opts.Clock,
		Log:     opts.Log,
		Run:     d.runJob,
		Jitter:  opts.Jitter,
		Skipped: func(job, _ string) { d.metrics.skip(job) },
		Next:    d.metrics.setNext,
		Busy:    d.setRunning,
		MaxWait: opts.MaxWait,
	})
	if err := d.sched.SetConfig(cfg, hist.Last()); err != nil {
		return nil, errors.Join(err, hist.Close(), lock.Unlock())
	}
	d.metrics.loaded(d.clock.Now())
	return d, nil
}

// checkScheduled refuses a configuration none of whose jobs has a schedule: the daemon
// would run nothing.
func checkScheduled(cfg *engine.Config) error {
	for _, j := range cfg.Jobs {
		if j.Schedule != "" {
			return nil
		}
	}
	names := make([]string, 0, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		names = append(names, j.Name)
	}
	return fmt.Errorf("no job has a schedule (jobs: %s), so the daemon would run nothing: "+
		"add schedule = \"…\" to the jobs it should run, or run them with plan and apply", strings.Join(names, ", "))
}

// hasJob reports whether the configuration in use defines job.
func (d *Daemon) hasJob(job string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.ContainsFunc(d.cfg.Jobs, func(j *config.Job) bool { return j.Name == job })
}

// setRunning updates the job_running gauge; a run that ends after a reload removed its job
// leaves no gauge behind.
func (d *Daemon) setRunning(job string, busy bool) {
	d.metrics.setRunning(job, busy)
	if !busy {
		d.forgetIfRemoved(job)
	}
}

// forgetIfRemoved drops the gauges of job when the configuration in use no longer has it:
// a reload removed it while it ran, and the run's end must not bring them back.
func (d *Daemon) forgetIfRemoved(job string) {
	if !d.hasJob(job) {
		d.metrics.forget(job)
	}
}

// Metrics returns the daemon's metrics.
func (d *Daemon) Metrics() *Metrics { return d.metrics }

// History returns the daemon's run history.
func (d *Daemon) History() *History { return d.history }

// Config returns the configuration in use.
func (d *Daemon) Config() *engine.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Ready reports whether a configuration is loaded and the scheduler is running.
func (d *Daemon) Ready() bool { return d.Config() != nil && d.sched.Ready() }

// Run catches up missed runs, then schedules until ctx ends. Then it stops starting runs,
// lets running ones finish within the shutdown grace period and cancels the rest, stops the
// HTTP server, closes the history and releases the lock.
func (d *Daemon) Run(ctx context.Context) error {
	var srv *http.Server
	served := make(chan error, 1)
	if d.opts.Listener != nil {
		srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 10 * time.Second}
		go func() { served <- srv.Serve(d.opts.Listener) }()
		// The token file's path only: the token itself is never logged.
		d.opts.Log.Info().Str("addr", d.opts.Listener.Addr().String()).Str("token_file", d.token.path).Msg("listening")
	}
	cfg := d.Config()
	d.opts.Log.Info().Int("jobs", len(cfg.Jobs)).Str("state_dir", d.opts.StateDir).Msg("daemon started")
	chatDone := d.runBot(ctx)
	d.warnUnsettled()
	d.sched.CatchUp(d.history.Last())
	loop := make(chan struct{})
	go func() {
		d.sched.Run(ctx)
		close(loop)
	}()
	<-ctx.Done()
	close(d.stopping)
	<-loop
	d.opts.Log.Info().Dur("grace", d.opts.ShutdownGrace).Msg("shutting down: no new runs, no new changes in runs in progress")
	grace, cancel := context.WithTimeout(context.Background(), d.opts.ShutdownGrace)
	botStopped := make(chan struct{})
	go func() {
		d.shutdownBot(grace, chatDone)
		close(botStopped)
	}()
	d.sched.Shutdown(grace)
	<-botStopped
	cancel()
	closing, stopNotify := context.WithTimeout(context.Background(), NotifyCloseWait)
	d.notifier.Close(closing)
	stopNotify()

	var errs []error
	if srv != nil {
		stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, srv.Shutdown(stopCtx))
		stop()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http: %w", err))
		}
	}
	errs = append(errs, d.history.Close(), d.lock.Unlock())
	d.opts.Log.Info().Msg("daemon stopped")
	return errors.Join(errs...)
}

// warnUnsettled logs the changes an earlier apply of the state directory left without an
// outcome (killed between their intent and outcome records); the next apply-mode run
// records them as unknown.
func (d *Daemon) warnUnsettled() {
	recs, err := (&engine.Engine{StateDir: d.opts.StateDir}).Unsettled()
	if err != nil {
		d.opts.Log.Warn().Err(err).Msg("cannot check the audit log for changes of an earlier apply left without an outcome")
	}
	for _, r := range recs {
		d.opts.Log.Warn().Str("job", r.Job).Str("task", r.Task).Str("server", r.Server).Str("object", r.Object).
			Str("apply_id", r.ApplyID).Msg("an earlier apply stopped with this change in flight: outcome unknown")
	}
}

// Reload reads the configuration again. An invalid one is logged diagnostic by diagnostic
// and the one in use stays; a valid one replaces the schedules without touching runs in
// progress.
func (d *Daemon) Reload() error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	cfg, diags := d.opts.Load()
	for _, diag := range diags {
		ev := d.opts.Log.Warn()
		if diag.Severity == hcl.DiagError {
			ev = d.opts.Log.Error()
		}
		if diag.Subject != nil {
			ev = ev.Str("at", diag.Subject.String())
		}
		ev.Str("detail", diag.Detail).Msg(diag.Summary)
	}
	if !diags.HasErrors() {
		if err := checkScheduled(cfg); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No scheduled job", Detail: err.Error()})
			d.opts.Log.Error().Msg(err.Error())
		}
	}
	if diags.HasErrors() {
		d.metrics.reload(false, d.clock.Now())
		d.opts.Log.Error().Int("errors", len(diags.Errs())).Msg("reload: configuration invalid, keeping the one in use")
		return fmt.Errorf("reload: %w", diags)
	}
	// d.cfg changes first: a run that ends while the scheduler switches then already
	// checks its job against the new configuration, so a job the reload adds back keeps
	// its gauges and a job it removes loses them.
	d.mu.Lock()
	old := d.cfg
	d.cfg = cfg
	d.mu.Unlock()
	// The history seeds jobs the reload adds back, so that they too never fire a wall-clock
	// time twice at fall-back.
	if err := d.sched.SetConfig(cfg, d.history.Last()); err != nil {
		d.mu.Lock()
		d.cfg = old
		d.mu.Unlock()
		d.metrics.reload(false, d.clock.Now())
		d.opts.Log.Error().Err(err).Msg("reload: configuration invalid, keeping the one in use")
		return fmt.Errorf("reload: %w", err)
	}
	d.history.SetLimit(historyLimits(cfg.Config))
	d.warnSlackChanged(old.Slack, cfg.Slack)
	for _, j := range old.Jobs {
		if !slices.ContainsFunc(cfg.Jobs, func(n *config.Job) bool { return n.Name == j.Name }) {
			d.metrics.forget(j.Name)
		}
	}
	d.metrics.reload(true, d.clock.Now())
	d.opts.Log.Info().Int("jobs", len(cfg.Jobs)).Msg("configuration reloaded")
	return nil
}

// Trigger starts a manual run of job (see Scheduler.Trigger).
func (d *Daemon) Trigger(job string) (string, error) { return d.sched.Trigger(job) }
