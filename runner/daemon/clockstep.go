package daemon

import "time"

// minClockStep is the smallest step back of the wall clock that the scheduler reports and
// acts on; a smaller one delays runs by less than that.
const minClockStep = time.Second

// nowLocked reads the clock. Absolute time never goes back, daylight saving or not (a
// fall-back only repeats local times), so a reading earlier than one already seen — or than
// a run in the history (CatchUp) — means the wall clock was stepped back: NTP correcting a
// clock that was ahead, an operator, a VM restored from a snapshot. The step is logged once,
// and each job's next instant becomes its first after now, so that the job keeps running
// on schedule instead of waiting until the clock is back where it was.
func (s *Scheduler) nowLocked() time.Time {
	now := s.opts.Clock.Now()
	if !s.seen.IsZero() {
		if step := stepBack(s.seen, now); step >= minClockStep {
			s.steppedBackLocked(now, step)
		}
	}
	s.seen = now
	return now
}

// stepBack returns how far the wall clock went back between two readings. Where both have
// a monotonic reading (time.Now's do), Sub uses it, so the time that really passed less the
// time the wall clock shows is the step, even one smaller than the time between the
// readings. Without one (a time from the history, a test clock), Sub is the wall clock's:
// then only a reading earlier than the one before is a step, by the difference.
func stepBack(prev, now time.Time) time.Duration {
	return max(now.Sub(prev), 0) - now.Round(0).Sub(prev.Round(0))
}

// steppedBackLocked logs a step back of the wall clock and moves each job's next instant to
// its first after now where that is earlier: instants the clock shows again run again,
// except each job's last fired one (see nextFire).
func (s *Scheduler) steppedBackLocked(now time.Time, step time.Duration) {
	s.opts.Log.Warn().Dur("step", step.Round(time.Second)).Msg("wall clock stepped back: jobs run on schedule from the current time")
	for _, name := range s.namesLocked() {
		e := s.entries[name]
		if e.sched == nil {
			continue
		}
		if n := nextFire(e.sched, now, e.lastFired); n.Before(e.next) {
			e.next = n
			s.opts.Next(name, n)
		}
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// seeHistoryLocked counts each job's last recorded start as a reading of the clock, so that
// the first reading after a restart notices a clock stepped back while the daemon was down.
func (s *Scheduler) seeHistoryLocked(last map[string]LastRun) {
	for _, l := range last {
		if l.Start.After(s.seen) {
			s.seen = l.Start
		}
	}
}
