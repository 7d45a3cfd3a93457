package daemon

import (
	"time"

	"github.com/robfig/cron/v3"
)

// Clock is the daemon's source of time. The daemon uses SystemClock; tests drive a fake
// clock so scheduled runs fire without real sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that delivers the clock's time once d has elapsed.
	NewTimer(d time.Duration) Timer
}

// Timer is a one-shot timer made by a Clock.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it stopped a pending timer.
	Stop() bool
}

// SystemClock is the real wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time { return t.t.C }
func (t systemTimer) Stop() bool          { return t.t.Stop() }

// Run triggers: why a daemon run started.
const (
	TriggerSchedule = "schedule" // the job's schedule fired
	TriggerCatchUp  = "catch-up" // a run missed while the daemon was down, within catch_up_within
	TriggerQueue    = "queue"    // a start that waited for the job's previous run (overlap = "queue")
	TriggerManual   = "manual"   // requested over HTTP (POST /runs?job=NAME)
)

// maxSkips bounds the search for a fire time whose wall clock is later than the last one
// (a repeated hour holds at most 60 per-minute instants).
const maxSkips = 10000

// nextFire returns the schedule's first instant after `after`. For cron-field schedules it
// also skips instants whose wall-clock time in the schedule's zone is not later than the
// wall-clock time of lastFired: when a fall-back transition repeats an hour, robfig/cron's
// Next returns 01:30 EDT and then 01:30 EST, and a job must not run twice for one local time.
// Constant-interval (@every) schedules are not wall-clock schedules and are left alone.
//
// A fall-back repeats local times, never instants: lastFired after `after` means the clock
// was stepped back (see clockstep.go). Then only the instant lastFired itself is skipped;
// the guard would hold the job until the clock shows lastFired again.
func nextFire(s cron.Schedule, after, lastFired time.Time) time.Time {
	t := s.Next(after)
	if lastFired.After(after) {
		if t.Equal(lastFired) {
			t = s.Next(t)
		}
		return t
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok || lastFired.IsZero() {
		return t
	}
	last := wallClock(lastFired, spec.Location)
	for i := 0; i < maxSkips && !t.IsZero() && !wallClock(t, spec.Location).After(last); i++ {
		t = s.Next(t)
	}
	return t
}

// wallClock returns t's local date and time in loc as if it were UTC, so that two instants
// compare by what a wall clock in loc showed.
func wallClock(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), time.UTC)
}

// latestDue returns the last instant of s not after now, starting from at, an instant of s
// that is due (not after now); wall-clock times already fired are skipped as in nextFire.
func latestDue(s cron.Schedule, at, now time.Time) time.Time {
	for i, n := 0, nextFire(s, at, at); i < maxSkips && !n.IsZero() && !n.After(now); i, n = i+1, nextFire(s, n, n) {
		at = n
	}
	return at
}

// missedRun reports the last instant of s in (max(last.Start, now-within), now], which is
// the run a daemon started at `now` owes under catch_up_within = within, and whether there
// is one. Like nextFire it never owes a wall-clock time that last.Scheduled already had:
// a restart inside a repeated fall-back hour does not catch up its second 01:30.
func missedRun(s cron.Schedule, last LastRun, now time.Time, within time.Duration) (time.Time, bool) {
	if within <= 0 {
		return time.Time{}, false
	}
	from := now.Add(-within)
	if last.Start.After(from) {
		from = last.Start
	}
	t := nextFire(s, from, last.Scheduled)
	if t.IsZero() || t.After(now) {
		return time.Time{}, false
	}
	return latestDue(s, t, now), true
}
