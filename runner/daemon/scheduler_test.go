package daemon

import (
	"context"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

// schedHarness runs a Scheduler on a fake clock and reports every run, skip and idle job on
// channels. Runs block until released when block is set.
type schedHarness struct {
	clk     *fakeClock
	s       *Scheduler
	runs    chan RunRequest
	ctxs    chan context.Context
	release chan struct{}
	skipped chan string
	idle    chan string
	stop    context.CancelFunc
	done    chan struct{}
}

func newSchedHarness(t *testing.T, start time.Time, block bool, jitter time.Duration, jobs ...*config.Job) *schedHarness {
	t.Helper()
	h := &schedHarness{
		clk:     newFakeClock(start),
		runs:    make(chan RunRequest, 100),
		ctxs:    make(chan context.Context, 100),
		release: make(chan struct{}),
		skipped: make(chan string, 100),
		idle:    make(chan string, 100),
		done:    make(chan struct{}),
	}
	h.s = NewScheduler(SchedulerOptions{
		Clock: h.clk,
		Log:   zerolog.Nop(),
		Run: func(ctx context.Context, req RunRequest) {
			req.Config = nil // compared with cmp below; the config is checked separately
			h.runs <- req
			h.ctxs <- ctx
			if block {
				<-h.release
			}
		},
		Jitter:  func(time.Duration) time.Duration { return jitter },
		Skipped: func(job, _ string) { h.skipped <- job },
		Busy: func(job string, busy bool) {
			if !busy {
				h.idle <- job
			}
		},
	})
	if err := h.s.SetConfig(&engine.Config{Config: &config.Config{Jobs: jobs}}, nil); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *schedHarness) start() {
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() {
		h.s.Run(ctx)
		close(h.done)
	}()
}

func (h *schedHarness) shutdown(t *testing.T) {
	t.Helper()
	h.stop()
	recv(t, h.done, "scheduler loop to end")
	h.s.Shutdown(context.Background())
}

// req is the comparable part of a RunRequest.
type req struct {
	Job, Trigger, Scheduled string
}

func asReq(r RunRequest, loc *time.Location) req {
	return req{Job: r.Job.Name, Trigger: r.Trigger, Scheduled: r.Scheduled.In(loc).Format("2006-01-02 15:04 MST")}
}

func TestSchedulerFiresAcrossTimeZonesAndDST(t *testing.T) {
	tests := []struct {
		name, spec, tz, start string
		want                  []string // scheduled instants in tz, in order
	}{
		{
			name: "spring forward: 02:30 skipped on 03-08", spec: "30 2 * * *", tz: "America/New_York", start: "2026-03-06T12:00:00Z",
			want: []string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT"},
		},
		{
			name: "spring forward: 01:30 runs", spec: "30 1 * * *", tz: "America/New_York", start: "2026-03-06T12:00:00Z",
			want: []string{"2026-03-07 01:30 EST", "2026-03-08 01:30 EST", "2026-03-09 01:30 EDT"},
		},
		{
			name: "fall back: 01:30 runs once", spec: "30 1 * * *", tz: "America/New_York", start: "2026-10-30T12:00:00Z",
			want: []string{"2026-10-31 01:30 EDT", "2026-11-01 01:30 EDT", "2026-11-02 01:30 EST", "2026-11-03 01:30 EST"},
		},
		{
			name: "fall back: 02:30 runs once", spec: "30 2 * * *", tz: "America/New_York", start: "2026-10-30T12:00:00Z",
			want: []string{"2026-10-31 02:30 EDT", "2026-11-01 02:30 EST", "2026-11-02 02:30 EST"},
		},
		{
			name: "spring forward: half-hourly goes from 01:30 EST to 03:00 EDT", spec: "*/30 * * * *", tz: "America/New_York", start: "2026-03-08T05:40:00Z",
			want: []string{"2026-03-08 01:00 EST", "2026-03-08 01:30 EST", "2026-03-08 03:00 EDT", "2026-03-08 03:30 EDT"},
		},
		{
			name: "fall back: half-hourly does not run the repeated hour again", spec: "*/30 * * * *", tz: "America/New_York", start: "2026-11-01T04:40:00Z",
			want: []string{"2026-11-01 01:00 EDT", "2026-11-01 01:30 EDT", "2026-11-01 02:00 EST", "2026-11-01 02:30 EST"},
		},
		{
			name: "spring forward: hourly has no 02:00", spec: "0 * * * *", tz: "America/New_York", start: "2026-03-08T05:30:00Z",
			want: []string{"2026-03-08 01:00 EST", "2026-03-08 03:00 EDT", "2026-03-08 04:00 EDT"},
		},
		{
			name: "fall back: hourly runs 01:00 once", spec: "0 * * * *", tz: "America/New_York", start: "2026-11-01T04:30:00Z",
			want: []string{"2026-11-01 01:00 EDT", "2026-11-01 02:00 EST", "2026-11-01 03:00 EST"},
		},
		{
			name: "other zone", spec: "0 9 * * 1", tz: "Asia/Tokyo", start: "2026-06-01T00:00:00Z",
			want: []string{"2026-06-08 09:00 JST", "2026-06-15 09:00 JST"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.tz)
			job := &config.Job{Name: "j", Schedule: tt.spec, TimeZone: tt.tz}
			h := newSchedHarness(t, ts(t, tt.start), false, 0, job)
			var logs syncBuffer
			h.s.opts.Log = zerolog.New(&logs)
			h.start()
			var got []string
			for range tt.want {
				at := h.clk.next(t)
				r := recv(t, h.runs, "run")
				recv(t, h.idle, "idle")
				if !r.Scheduled.Equal(at) {
					t.Errorf("run scheduled %s fired at %s", r.Scheduled, at)
				}
				if r.Trigger != TriggerSchedule || r.Job != job {
					t.Errorf("run = %+v", asReq(r, loc))
				}
				got = append(got, r.Scheduled.In(loc).Format("2006-01-02 15:04 MST"))
			}
			h.shutdown(t)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fire instants (-want +got):\n%s", diff)
			}
			// A repeated hour is not a clock step: the instants move on.
			if warned := logLines(t, &logs, stepMsg); len(warned) != 0 {
				t.Errorf("DST transition logged as a clock step: %v", warned)
			}
		})
	}
}

func TestSchedulerOverlap(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	at := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).Format("2006-01-02 15:04 MST") }
	tests := []struct {
		overlap     string
		want        []req
		wantSkipped int
	}{
		// Fires at +1m (runs, blocked), +2m, +3m; then the first run ends.
		{overlap: "", want: []req{{"j", TriggerSchedule, at(1)}}, wantSkipped: 2},
		{overlap: config.OverlapSkip, want: []req{{"j", TriggerSchedule, at(1)}}, wantSkipped: 2},
		{overlap: config.OverlapQueue, want: []req{{"j", TriggerSchedule, at(1)}, {"j", TriggerQueue, at(2)}}, wantSkipped: 1},
	}
	for _, tt := range tests {
		t.Run("overlap="+tt.overlap, func(t *testing.T) {
			job := &config.Job{Name: "j", Schedule: "* * * * *", TimeZone: "UTC", Overlap: tt.overlap}
			h := newSchedHarness(t, t0, true, 0, job)
			h.start()
			var got []req
			h.clk.next(t)
			got = append(got, asReq(recv(t, h.runs, "first run"), time.UTC))
			h.clk.next(t) // +2m
			h.clk.next(t) // +3m
			h.clk.waitTimers(t, 1)
			skipped := len(h.skipped)
			h.release <- struct{}{}
			if len(tt.want) == 2 {
				got = append(got, asReq(recv(t, h.runs, "queued run"), time.UTC))
				h.release <- struct{}{}
			}
			recv(t, h.idle, "idle")
			none(t, h.runs, "run")
			h.shutdown(t)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("runs (-want +got):\n%s", diff)
			}
			if skipped != tt.wantSkipped {
				t.Errorf("skipped = %d, want %d", skipped, tt.wantSkipped)
			}
		})
	}
}

func TestSchedulerCatchUpRunsOnceThenSchedules(t *testing.T) {
	now := ts(t, "2026-06-01T12:10:00Z")
	job := &config.Job{Name: "hourly", Schedule: "0 * * * *", TimeZone: "UTC", CatchUpWithin: 6 * time.Hour}
	other := &config.Job{Name: "no-catch-up", Schedule: "0 * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, now, false, 0, job, other)
	last := map[string]LastRun{
		"hourly":      {Start: ts(t, "2026-06-01T08:00:01Z"), Scheduled: ts(t, "2026-06-01T08:00:00Z")},
		"no-catch-up": {Start: ts(t, "2026-06-01T08:00:01Z"), Scheduled: ts(t, "2026-06-01T08:00:00Z")},
	}
	h.s.CatchUp(last)
	got := []req{asReq(recv(t, h.runs, "catch-up run"), time.UTC)}
	recv(t, h.idle, "idle")
	none(t, h.runs, "second catch-up run")
	h.start()
	h.clk.next(t)
	for range 2 {
		got = append(got, asReq(recv(t, h.runs, "scheduled run"), time.UTC))
		recv(t, h.idle, "idle")
	}
	h.shutdown(t)
	// Both jobs fire at 13:00; their runs report in either order.
	sort.Slice(got[1:], func(i, k int) bool { return got[1+i].Job < got[1+k].Job })
	want := []req{
		{"hourly", TriggerCatchUp, "2026-06-01 12:00 UTC"},
		{"hourly", TriggerSchedule, "2026-06-01 13:00 UTC"},
		{"no-catch-up", TriggerSchedule, "2026-06-01 13:00 UTC"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// A restart inside the repeated hour must not run 01:30 again: the last scheduled instant
// comes from the history.
func TestSchedulerRestartInRepeatedHour(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	job := &config.Job{Name: "j", Schedule: "30 1 * * *", TimeZone: "America/New_York"}
	h := newSchedHarness(t, ts(t, "2026-11-01T01:10:00-05:00"), false, 0, job)
	if err := h.s.SetConfig(&engine.Config{Config: &config.Config{Jobs: []*config.Job{job}}}, map[string]LastRun{"j": {
		Start: ts(t, "2026-11-01T01:30:00-04:00"), Scheduled: ts(t, "2026-11-01T01:30:00-04:00"),
	}}); err != nil {
		t.Fatal(err)
	}
	h.start()
	h.clk.next(t)
	got := asReq(recv(t, h.runs, "run"), ny)
	h.shutdown(t)
	if want := (req{"j", TriggerSchedule, "2026-11-02 01:30 EST"}); got != want {
		t.Errorf("run = %+v, want %+v", got, want)
	}
}

func TestSchedulerJitterDelaysTheRun(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	job := &config.Job{Name: "j", Schedule: "0 * * * *", TimeZone: "UTC", Jitter: time.Minute}
	h := newSchedHarness(t, t0, false, 40*time.Second, job)
	var started time.Time
	h.s.opts.Run = func(_ context.Context, req RunRequest) {
		started = h.clk.Now()
		h.runs <- req
	}
	h.start()
	fire := h.clk.next(t)
	// Pending now: the jitter timer (fire+40s) and the loop's timer for the next hour.
	ats := h.clk.waitTimers(t, 2)
	if want := []time.Time{fire.Add(40 * time.Second), fire.Add(time.Hour)}; !cmp.Equal(want, ats) {
		t.Fatalf("pending timers = %v, want %v", ats, want)
	}
	h.clk.set(ats[0])
	r := recv(t, h.runs, "run")
	recv(t, h.idle, "idle")
	h.shutdown(t)
	if !r.Scheduled.Equal(fire) || !started.Equal(fire.Add(40*time.Second)) {
		t.Errorf("run scheduled %s started %s; want %s and %s", r.Scheduled, started, fire, fire.Add(40*time.Second))
	}
}

func TestSchedulerRecoversPanics(t *testing.T) {
	job := &config.Job{Name: "j", Schedule: "* * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, ts(t, "2026-06-01T00:00:00Z"), false, 0, job)
	n := 0
	h.s.opts.Run = func(_ context.Context, req RunRequest) {
		n++
		h.runs <- req
		if n == 1 {
			panic("boom")
		}
	}
	h.start()
	for range 2 {
		h.clk.next(t)
		recv(t, h.runs, "run")
		recv(t, h.idle, "idle")
	}
	h.shutdown(t)
	if n != 2 {
		t.Errorf("runs = %d, want 2", n)
	}
}

func TestSchedulerSetConfigErrorKeepsSchedule(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	job := &config.Job{Name: "j", Schedule: "0 * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, t0, false, 0, job)
	h.start()
	if got := h.clk.waitTimers(t, 1); !got[0].Equal(t0.Add(time.Hour)) {
		t.Fatalf("timer at %s", got[0])
	}
	bad := &engine.Config{Config: &config.Config{Jobs: []*config.Job{{Name: "j", Schedule: "0 * * *", TimeZone: "UTC"}}}}
	err := h.s.SetConfig(bad, nil)
	if want := `job j: schedule "CRON_TZ=UTC 0 * * *": expected exactly 5 fields, found 4: [0 * * *]`; err == nil || err.Error() != want {
		t.Fatalf("SetConfig error = %v, want %s", err, want)
	}
	h.clk.next(t)
	r := recv(t, h.runs, "run")
	h.shutdown(t)
	if r.Job != job || !r.Scheduled.Equal(t0.Add(time.Hour)) {
		t.Errorf("run = %+v", asReq(r, time.UTC))
	}
}

func TestSchedulerReloadSwapsScheduleWithoutInterruptingRun(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	old := &config.Job{Name: "j", Schedule: "0 * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, t0, true, 0, old)
	h.start()
	h.clk.next(t) // 01:00: the run starts and blocks
	recv(t, h.runs, "run")
	ctx := recv(t, h.ctxs, "run context")
	updated := &config.Job{Name: "j", Schedule: "15 * * * *", TimeZone: "UTC"}
	added := &config.Job{Name: "new", Schedule: "20 * * * *", TimeZone: "UTC"}
	if err := h.s.SetConfig(&engine.Config{Config: &config.Config{Jobs: []*config.Job{updated, added}}}, nil); err != nil {
		t.Fatal(err)
	}
	want := t0.Add(time.Hour + 15*time.Minute)
	h.clk.waitFor(t, func(ats []time.Time) bool { return len(ats) == 1 && ats[0].Equal(want) })
	if ctx.Err() != nil {
		t.Fatal("reload cancelled the run in progress")
	}
	h.release <- struct{}{}
	recv(t, h.idle, "idle")
	h.clk.next(t)
	r := recv(t, h.runs, "run after reload")
	h.release <- struct{}{}
	h.shutdown(t)
	if r.Job != updated || !r.Scheduled.Equal(want) {
		t.Errorf("after reload: run %+v; want %s of the updated job", asReq(r, time.UTC), want)
	}
}

func TestSchedulerShutdown(t *testing.T) {
	job := &config.Job{Name: "j", Schedule: "* * * * *", TimeZone: "UTC", Overlap: config.OverlapQueue}
	t.Run("waits for runs within the grace period", func(t *testing.T) {
		h := newSchedHarness(t, ts(t, "2026-06-01T00:00:00Z"), false, 0, job)
		var ended atomic.Bool
		h.s.opts.Run = func(ctx context.Context, req RunRequest) {
			h.runs <- req
			h.ctxs <- ctx
			<-h.release
			ended.Store(true)
		}
		h.start()
		h.clk.next(t)
		recv(t, h.runs, "run")
		ctx := recv(t, h.ctxs, "run context")
		h.clk.next(t)          // queued
		h.clk.waitTimers(t, 1) // the loop handled that fire and waits again
		h.stop()
		recv(t, h.done, "loop end")
		shut := make(chan bool)
		go func() {
			h.s.Shutdown(context.Background())
			shut <- ended.Load()
		}()
		none(t, shut, "shutdown before the run ended")
		if ctx.Err() != nil {
			t.Errorf("run context cancelled before the run ended: %v", ctx.Err())
		}
		h.release <- struct{}{}
		if !recv(t, shut, "shutdown") {
			t.Error("Shutdown returned before the run ended")
		}
		none(t, h.runs, "queued run after shutdown")
		if ctx.Err() != context.Canceled {
			t.Errorf("run context after shutdown: %v", ctx.Err())
		}
		if _, err := h.s.Trigger("j"); err == nil || err.Error() != "the daemon is shutting down" {
			t.Errorf("Trigger after shutdown: %v", err)
		}
	})
	t.Run("cancels runs when the grace period ends", func(t *testing.T) {
		h := newSchedHarness(t, ts(t, "2026-06-01T00:00:00Z"), false, 0, job)
		h.s.opts.Run = func(ctx context.Context, req RunRequest) {
			h.runs <- req
			<-ctx.Done()
		}
		h.start()
		h.clk.next(t)
		recv(t, h.runs, "run")
		h.stop()
		recv(t, h.done, "loop end")
		grace, cancel := context.WithCancel(context.Background())
		cancel()
		shut := make(chan struct{})
		go func() {
			h.s.Shutdown(grace)
			close(shut)
		}()
		recv(t, shut, "shutdown to cancel the run and return")
		recv(t, h.idle, "idle")
	})
}

func TestSchedulerTrigger(t *testing.T) {
	job := &config.Job{Name: "j", TimeZone: "UTC"} // no schedule: manual runs only
	h := newSchedHarness(t, ts(t, "2026-06-01T00:00:00Z"), true, 0, job)
	status, err := h.s.Trigger("j")
	if err != nil || status != "started" {
		t.Fatalf("Trigger = %q, %v", status, err)
	}
	r := recv(t, h.runs, "run")
	if status, err := h.s.Trigger("j"); err != nil || status != "skipped" {
		t.Errorf("second Trigger = %q, %v; want skipped", status, err)
	}
	if _, err := h.s.Trigger("nope"); err == nil || err.Error() != `no job named "nope"` {
		t.Errorf("Trigger(nope) = %v", err)
	}
	h.release <- struct{}{}
	recv(t, h.idle, "idle")
	if r.Trigger != TriggerManual || !r.Scheduled.Equal(ts(t, "2026-06-01T00:00:00Z")) {
		t.Errorf("run = %+v", asReq(r, time.UTC))
	}
}

// With MaxWait the loop re-reads the clock every MaxWait, so a wall-clock step forward past
// the fire time starts the run at the next check instead of when a stale timer fires.
func TestSchedulerMaxWaitNoticesClockSteps(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	job := &config.Job{Name: "j", Schedule: "0 * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, t0, false, 0, job)
	h.s.opts.MaxWait = time.Minute
	h.start()
	if at := h.clk.next(t); !at.Equal(t0.Add(time.Minute)) {
		t.Fatalf("first wait ends at %s, want one minute", at)
	}
	none(t, h.runs, "run before the fire time")
	// The wall clock steps to 02:00:30 (e.g. after a suspend); the pending one-minute timer
	// fires then and the job runs once, for its latest due instant: 02:00, not 01:00 too.
	h.clk.waitTimers(t, 1)
	h.clk.set(t0.Add(2*time.Hour + 30*time.Second))
	r := recv(t, h.runs, "run")
	recv(t, h.idle, "idle")
	ats := h.clk.waitTimers(t, 1)
	h.shutdown(t)
	if !r.Scheduled.Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("run scheduled %s, want 02:00", r.Scheduled)
	}
	if !ats[0].Equal(t0.Add(2*time.Hour + 90*time.Second)) {
		t.Errorf("next wait ends %s, want a minute after the step", ats[0])
	}
	none(t, h.runs, "a second run for 01:00")
}

// An idle scheduler costs one timer per MaxWait and nothing else: over an idle hour with a
// daily job it wakes exactly 60 times, and with no scheduled job it makes no timer at all.
func TestSchedulerIdleWakeUps(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	t.Run("daily job", func(t *testing.T) {
		job := &config.Job{Name: "j", Schedule: "0 3 * * *", TimeZone: "UTC"}
		h := newSchedHarness(t, t0, false, 0, job)
		h.s.opts.MaxWait = DefaultMaxWait
		h.start()
		for i := range 60 {
			if at := h.clk.next(t); !at.Equal(t0.Add(time.Duration(i+1) * time.Minute)) {
				t.Fatalf("wake-up %d at %s, want every minute", i+1, at)
			}
		}
		ats := h.clk.waitTimers(t, 1)
		made := h.clk.timersMade()
		h.shutdown(t)
		none(t, h.runs, "run")
		if made != 61 || len(ats) != 1 || !ats[0].Equal(t0.Add(61*time.Minute)) {
			t.Errorf("over an idle hour: %d timers made, pending %v; want 61, one at 01:01", made, ats)
		}
	})
	t.Run("no scheduled job", func(t *testing.T) {
		manual := &engine.Config{Config: &config.Config{Jobs: []*config.Job{{Name: "manual", TimeZone: "UTC"}}}}
		h := newSchedHarness(t, t0, false, 0, manual.Jobs[0])
		h.s.opts.MaxWait = DefaultMaxWait
		h.start()
		// A scheduled job makes the loop wait on a timer; removing it must leave none.
		if err := h.s.SetConfig(&engine.Config{Config: &config.Config{Jobs: []*config.Job{{Name: "j", Schedule: "0 3 * * *", TimeZone: "UTC"}}}}, nil); err != nil {
			t.Fatal(err)
		}
		h.clk.waitTimers(t, 1)
		if err := h.s.SetConfig(manual, nil); err != nil {
			t.Fatal(err)
		}
		h.clk.waitFor(t, func(ats []time.Time) bool { return len(ats) == 0 })
		h.clk.set(t0.Add(24 * time.Hour))
		made := h.clk.timersMade()
		h.shutdown(t)
		none(t, h.runs, "run")
		if made != 1 {
			t.Errorf("%d timers made, want 1 (none while no job is scheduled)", made)
		}
	})
}

// A job that a reload removes while it runs, and a second reload adds back, is still
// running: it must not start again until that run ends.
func TestSchedulerReaddedJobDoesNotOverlapItsRun(t *testing.T) {
	t0 := ts(t, "2026-06-01T00:00:00Z")
	job := &config.Job{Name: "j", Schedule: "0 * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, t0, true, 0, job)
	h.start()
	if status, err := h.s.Trigger("j"); err != nil || status != "started" {
		t.Fatalf("Trigger = %q, %v", status, err)
	}
	recv(t, h.runs, "run")
	for _, cfg := range []*engine.Config{{Config: &config.Config{}}, {Config: &config.Config{Jobs: []*config.Job{job}}}} {
		if err := h.s.SetConfig(cfg, nil); err != nil {
			t.Fatal(err)
		}
	}
	if status, err := h.s.Trigger("j"); err != nil || status != "skipped" {
		t.Errorf("Trigger while the removed job's run goes on = %q, %v; want skipped", status, err)
	}
	h.release <- struct{}{}
	recv(t, h.idle, "idle")
	// Once that run ended, the job runs again: on its schedule, from now.
	if at := h.clk.next(t); !at.Equal(t0.Add(time.Hour)) {
		t.Errorf("next fire %s, want 01:00", at)
	}
	recv(t, h.runs, "scheduled run")
	h.release <- struct{}{}
	recv(t, h.idle, "idle")
	h.shutdown(t)
	none(t, h.runs, "run")
}
