package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/internal/grace"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

// RunRequest is one run the scheduler starts.
type RunRequest struct {
	Config  *engine.Config
	Job     *config.Job
	Trigger string
	// Scheduled is the schedule instant the run belongs to (the request time for manual runs).
	Scheduled time.Time
}

// LastRun is what the history knows about a job's latest run, for catch-up and for not
// firing a wall-clock time twice across a restart.
type LastRun struct {
	Start     time.Time
	Scheduled time.Time
}

// SchedulerOptions configure a Scheduler.
type SchedulerOptions struct {
	Clock Clock
	Log   zerolog.Logger
	// Run executes one run and returns when it is over. ctx is cancelled when a shutdown's
	// grace period ends.
	Run func(ctx context.Context, req RunRequest)
	// Jitter returns a delay in [0, max); nil means uniformly random.
	Jitter func(max time.Duration) time.Duration
	// Skipped is called when a start is dropped because the job is still running.
	Skipped func(job, trigger string)
	// Next is called whenever a job's next fire time changes; a zero time means the job is
	// no longer scheduled.
	Next func(job string, at time.Time)
	// Busy is called with true when a job starts running and with false once it is idle
	// again (after any queued run), in that order, with the scheduler's lock held.
	Busy func(job string, busy bool)
	// MaxWait is the longest the loop waits before it reads the clock again (0: until the
	// next fire time). Timers run on monotonic time, so without it a wall-clock step (NTP,
	// a suspended host) would delay runs until the stale timer fires.
	MaxWait time.Duration
}

// Scheduler fires jobs' cron schedules on a Clock, one run per job at a time.
type Scheduler struct {
	opts SchedulerOptions

	runCtx     context.Context
	cancelRuns context.CancelFunc
	stop       chan struct{}
	wake       chan struct{}
	wg         sync.WaitGroup

	mu      sync.Mutex
	cfg     *engine.Config
	entries map[string]*schedEntry
	// gone holds the entries of jobs a reload removed while they were running, until the
	// run ends, so that a reload adding the job back cannot start it a second time.
	gone     map[string]*schedEntry
	running  bool // the loop is running
	stopping bool
	seen     time.Time // the latest reading of the clock (nowLocked)
}

type schedEntry struct {
	job       *config.Job
	sched     cron.Schedule // nil: the job has no schedule (manual runs only)
	next      time.Time
	lastFired time.Time
	busy      bool
	pending   *RunRequest
}

// NewScheduler returns a scheduler with no jobs; SetConfig gives it some.
func NewScheduler(opts SchedulerOptions) *Scheduler {
	if opts.Jitter == nil {
		opts.Jitter = func(max time.Duration) time.Duration { return rand.N(max) }
	}
	if opts.Skipped == nil {
		opts.Skipped = func(string, string) {}
	}
	if opts.Next == nil {
		opts.Next = func(string, time.Time) {}
	}
	if opts.Busy == nil {
		opts.Busy = func(string, bool) {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Scheduler{
		opts: opts, runCtx: ctx, cancelRuns: cancel,
		stop: make(chan struct{}), wake: make(chan struct{}, 1),
		entries: map[string]*schedEntry{}, gone: map[string]*schedEntry{},
	}
}

// SetConfig installs a configuration: every job's schedule is parsed first and any error
// leaves the current one in place. Runs in progress go on with the job definition they
// started with; a queued start of a job that no longer exists is dropped. last (may be nil)
// seeds each job's last fired instant from history.
func (s *Scheduler) SetConfig(cfg *engine.Config, last map[string]LastRun) error {
	scheds := make(map[string]cron.Schedule, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		if j.Schedule == "" {
			continue
		}
		sc, err := config.ParseSchedule(j.Schedule, j.TimeZone)
		if err != nil {
			return fmt.Errorf("job %s: %w", j.Name, err)
		}
		scheds[j.Name] = sc
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.nowLocked()
	old := s.entries
	s.entries = make(map[string]*schedEntry, len(cfg.Jobs))
	for _, j := range cfg.Jobs {
		e := old[j.Name]
		if e == nil {
			e = s.gone[j.Name] // still running since a reload removed it: busy stays
			delete(s.gone, j.Name)
		}
		if e == nil {
			e = &schedEntry{}
		}
		// An unchanged schedule keeps its next instant, even one that is due right now.
		same := e.job != nil && e.sched != nil && e.job.Schedule == j.Schedule && e.job.TimeZone == j.TimeZone
		if l := last[j.Name].Scheduled; l.After(e.lastFired) {
			e.lastFired, same = l, false
		}
		e.job, e.sched = j, scheds[j.Name]
		switch {
		case e.sched == nil:
			e.next = time.Time{}
		case !same:
			e.next = nextFire(e.sched, now, e.lastFired)
		}
		s.entries[j.Name] = e
		s.opts.Next(j.Name, e.next)
	}
	for name, e := range old {
		if _, kept := s.entries[name]; !kept {
			e.pending = nil
			// Re-added later, the job computes its next instant afresh.
			e.sched, e.next = nil, time.Time{}
			if e.busy {
				s.gone[name] = e
			}
			s.opts.Next(name, time.Time{})
		}
	}
	s.cfg = cfg
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// CatchUp starts, once, each job that missed a scheduled run while the daemon was down:
// the job's last scheduled instant before now is later than its last recorded start and
// less than catch_up_within ago. A recorded start later than now means the clock was
// stepped back (logged; no run is owed). Call it after the first SetConfig.
func (s *Scheduler) CatchUp(last map[string]LastRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seeHistoryLocked(last)
	now := s.nowLocked()
	for _, name := range s.namesLocked() {
		e := s.entries[name]
		if e.sched == nil {
			continue
		}
		at, ok := missedRun(e.sched, last[name], now, e.job.CatchUpWithin)
		if !ok {
			continue
		}
		s.opts.Log.Info().Str("job", name).Time("missed", at).Msg("catching up a missed run")
		e.lastFired = at
		e.next = nextFire(e.sched, now, at)
		s.opts.Next(name, e.next)
		s.startLocked(e, RunRequest{Trigger: TriggerCatchUp, Scheduled: at})
	}
}

// ErrShuttingDown is Trigger's error once a shutdown has begun.
var ErrShuttingDown = errors.New("the daemon is shutting down")

// Trigger starts a manual run of a job under its overlap policy. It reports "started",
// "queued" or "skipped", or an error for an unknown job or a stopping scheduler.
func (s *Scheduler) Trigger(job string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[job]
	if e == nil {
		return "", fmt.Errorf("no job named %q", job)
	}
	if s.stopping {
		return "", ErrShuttingDown
	}
	return s.startLocked(e, RunRequest{Trigger: TriggerManual, Scheduled: s.nowLocked()}), nil
}

// Ready reports whether the loop is running and not shutting down.
func (s *Scheduler) Ready() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running && !s.stopping
}

// Run fires schedules until Shutdown is called or ctx ends; either way no run starts after
// it returns. It does not wait for runs in progress: Shutdown does.
func (s *Scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	s.running = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.running = false
		s.beginStopLocked()
		s.mu.Unlock()
	}()
	for {
		var timer Timer
		var fire <-chan time.Time
		s.mu.Lock()
		// The entries read below are current: a wake-up sent before now is moot.
		select {
		case <-s.wake:
		default:
		}
		now := s.nowLocked()
		if at, ok := s.earliestLocked(); ok {
			d := at.Sub(now)
			if s.opts.MaxWait > 0 && d > s.opts.MaxWait {
				d = s.opts.MaxWait
			}
			timer = s.opts.Clock.NewTimer(d)
			fire = timer.C()
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
		case <-s.stop:
		case <-s.wake:
		case <-fire:
			s.fireDue()
		}
		if timer != nil {
			timer.Stop()
		}
		select {
		case <-ctx.Done():
			return
		case <-s.stop:
			return
		default:
		}
	}
}

// Shutdown stops starting runs, drops queued ones, and waits for running ones. When ctx
// ends first (the grace period), it cancels the runs' context and waits for them to return.
func (s *Scheduler) Shutdown(ctx context.Context) {
	s.mu.Lock()
	s.beginStopLocked()
	s.mu.Unlock()
	grace.Wait(ctx, &s.wg, func(over bool) {
		if over {
			s.opts.Log.Warn().Msg("shutdown grace period over: cancelling runs in progress")
		}
		s.cancelRuns()
	})
}

// beginStopLocked stops starting runs and drops queued ones.
func (s *Scheduler) beginStopLocked() {
	if s.stopping {
		return
	}
	s.stopping = true
	close(s.stop)
	for _, e := range s.entries {
		e.pending = nil
	}
}

func (s *Scheduler) namesLocked() []string {
	names := make([]string, 0, len(s.entries))
	for n := range s.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Scheduler) earliestLocked() (time.Time, bool) {
	var at time.Time
	for _, e := range s.entries {
		if e.sched != nil && !e.next.IsZero() && (at.IsZero() || e.next.Before(at)) {
			at = e.next
		}
	}
	return at, !at.IsZero()
}

// fireDue starts every job whose next instant has come. A late wake-up fires each job once,
// for its latest due instant, and moves on to its first instant after now: never a burst.
func (s *Scheduler) fireDue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return
	}
	now := s.nowLocked()
	for _, name := range s.namesLocked() {
		e := s.entries[name]
		if e.sched == nil || e.next.IsZero() || e.next.After(now) {
			continue
		}
		// Late (a suspended host, a wall-clock step): fire once, for the latest due instant.
		at := latestDue(e.sched, e.next, now)
		e.lastFired = at
		e.next = nextFire(e.sched, now, at)
		s.opts.Next(name, e.next)
		s.startLocked(e, RunRequest{Trigger: TriggerSchedule, Scheduled: at})
	}
}

// startLocked starts a run of e under its overlap policy.
func (s *Scheduler) startLocked(e *schedEntry, req RunRequest) string {
	name := e.job.Name
	if s.stopping {
		return "skipped"
	}
	if e.busy {
		if e.job.Overlap == config.OverlapQueue && e.pending == nil {
			req.Trigger = TriggerQueue
			e.pending = &req
			s.opts.Log.Info().Str("job", name).Time("scheduled", req.Scheduled).Msg("job still running: start queued")
			return "queued"
		}
		s.opts.Log.Warn().Str("job", name).Str("trigger", req.Trigger).Time("scheduled", req.Scheduled).
			Msg("job still running: start skipped")
		s.opts.Skipped(name, req.Trigger)
		return "skipped"
	}
	e.busy = true
	s.opts.Busy(name, true)
	req.Config, req.Job = s.cfg, e.job
	s.wg.Add(1)
	go s.execute(e, req)
	return "started"
}

// execute runs req and then any start queued meanwhile, waiting out each run's jitter.
func (s *Scheduler) execute(e *schedEntry, req RunRequest) {
	defer s.wg.Done()
	for {
		if s.waitJitter(req) {
			s.safeRun(req)
		}
		s.mu.Lock()
		if e.pending == nil || s.stopping {
			e.pending = nil
			e.busy = false
			if s.gone[req.Job.Name] == e {
				delete(s.gone, req.Job.Name)
			}
			// Under the lock, so that a start right after cannot report busy first.
			s.opts.Busy(req.Job.Name, false)
			s.mu.Unlock()
			return
		}
		req = *e.pending
		e.pending = nil
		req.Config, req.Job = s.cfg, e.job
		s.mu.Unlock()
	}
}

// waitJitter delays a run by a random part of its job's jitter; false means the scheduler
// began stopping meanwhile and the run must not start.
func (s *Scheduler) waitJitter(req RunRequest) bool {
	if req.Job.Jitter <= 0 {
		return true
	}
	d := s.opts.Jitter(req.Job.Jitter)
	t := s.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-s.stop:
		s.opts.Log.Info().Str("job", req.Job.Name).Msg("shutting down: run not started")
		return false
	}
}

// safeRun calls Run, turning a panic into a logged error so the job can run again.
func (s *Scheduler) safeRun(req RunRequest) {
	defer func() {
		if r := recover(); r != nil {
			s.opts.Log.Error().Str("job", req.Job.Name).Str("panic", fmt.Sprint(r)).
				Bytes("stack", debug.Stack()).Msg("run panicked")
		}
	}()
	s.opts.Run(s.runCtx, req)
}
