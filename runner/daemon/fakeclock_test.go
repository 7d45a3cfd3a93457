package daemon

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// safety bounds how long a test waits for something the code under test must do; it only
// turns a hang into a failure and plays no part in passing.
const safety = 20 * time.Second

// fakeClock is a Clock whose time moves only when the test sets it.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	made    int           // timers made so far
	changed chan struct{} // closed and replaced whenever the pending timers change
}

type fakeTimer struct {
	clk *fakeClock
	at  time.Time
	ch  chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, changed: make(chan struct{})}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clk: c, at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.made++
	if d <= 0 {
		t.ch <- c.now
		return t
	}
	c.timers = append(c.timers, t)
	c.signalLocked()
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	c := t.clk
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range c.timers {
		if p == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			c.signalLocked()
			return true
		}
	}
	return false
}

func (c *fakeClock) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// timersMade returns how many timers were made so far: the scheduler's wake-ups.
func (c *fakeClock) timersMade() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.made
}

// set moves the clock to now and fires every timer due by then.
func (c *fakeClock) set(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
	kept := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(now) {
			kept = append(kept, t)
			continue
		}
		t.ch <- now
	}
	c.timers = kept
	c.signalLocked()
}

// step moves the wall clock by d (back, when negative) as NTP or an operator would: pending
// timers keep the time they have left, as real timers do, since they run on monotonic time.
// Nothing fires; the next call to next or set moves time on from there.
func (c *fakeClock) step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.at = t.at.Add(d)
	}
	c.signalLocked()
}

// waitTimers blocks until at least n timers are pending and returns their deadlines, sorted.
func (c *fakeClock) waitTimers(tb testing.TB, n int) []time.Time {
	tb.Helper()
	return c.waitFor(tb, func(ats []time.Time) bool { return len(ats) >= n })
}

// waitFor blocks until ok holds for the sorted deadlines of the pending timers.
func (c *fakeClock) waitFor(tb testing.TB, ok func([]time.Time) bool) []time.Time {
	tb.Helper()
	deadline := time.After(safety)
	for {
		c.mu.Lock()
		ats := make([]time.Time, len(c.timers))
		for i, t := range c.timers {
			ats[i] = t.at
		}
		ch := c.changed
		c.mu.Unlock()
		sort.Slice(ats, func(i, k int) bool { return ats[i].Before(ats[k]) })
		if ok(ats) {
			return ats
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("fake clock: pending timers %v never became as expected", ats)
		}
	}
}

// next waits for a pending timer and moves the clock to the earliest deadline.
func (c *fakeClock) next(tb testing.TB) time.Time {
	tb.Helper()
	at := c.waitTimers(tb, 1)[0]
	c.set(at)
	return at
}

// recv receives from ch, failing the test if nothing comes within the safety bound.
func recv[T any](tb testing.TB, ch <-chan T, what string) T {
	tb.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(safety):
		tb.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// none fails the test if ch holds a value now.
func none[T any](tb testing.TB, ch <-chan T, what string) {
	tb.Helper()
	select {
	case v := <-ch:
		tb.Fatalf("unexpected %s: %v", what, v)
	default:
	}
}
