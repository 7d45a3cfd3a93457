package tintri

import (
	"container/list"
	"context"
	"net/http"
	"sync"
	"time"
)

// Defaults of the in-flight limit (see Config).
const (
	DefaultMaxInflight   = 64 // ceiling of the adaptive limit
	DefaultMinInflight   = 1  // floor of the adaptive limit
	DefaultFixedInflight = 8  // the limit when Config.DisableAdaptive is set and MaxInflight is 0
)

// Tuning of the adaptive limit.
const (
	initialInflight  = 4   // the adaptive limit starts here (within [min, max])
	dropFactor       = 0.7 // multiplicative decrease on push-back, 503/504 and timeouts
	latencyFactor    = 0.9 // multiplicative decrease on a latency rise
	latencyTolerance = 2.0 // a route's smoothed round trip above this × its baseline is a rise
	slowStartExit    = 1.5 // … and above this × its baseline ends slow start (as TCP's HyStart)
	// rttSmoothing: a route's smoothed round trip is the mean of its first rttSmoothing
	// answers, then an EWMA with weight 1/rttSmoothing.
	rttSmoothing = 16
)

// LimitObserver is an Observer that is also told each server's in-flight limit: once when
// the client is built and whenever the limit changes. Limit is called with the client's
// limiter locked, so it must return quickly and must not call the client.
type LimitObserver interface {
	Limit(server string, limit int)
}

// signal is what one answer says about the server's load.
type signal int

const (
	sigNone     signal = iota // nothing: cancelled, refused connection, 4xx, 500 …
	sigGood                   // a 2xx answer: its round trip is judged for a latency rise
	sigDrop                   // a timeout, a 504 or a 503 without Retry-After
	sigPushBack               // 429, or 503 with Retry-After: the server is full
)

// sample is the signal of one attempt, with the route and round trip of a good answer.
type sample struct {
	sig   signal
	route string
	rtt   time.Duration
}

// sampleOf classifies an attempt's outcome.
func sampleOf(res outcome, route string) sample {
	switch {
	case pushedBack(res.status, res.retryAfter):
		return sample{sig: sigPushBack}
	case res.status == http.StatusServiceUnavailable, res.status == http.StatusGatewayTimeout, timedOut(res.err):
		return sample{sig: sigDrop}
	case res.err == nil && res.status >= 200 && res.status <= 299:
		return sample{sig: sigGood, route: route, rtt: res.rtt}
	}
	return sample{}
}

// pushedBack reports an answer saying the server is full: 429, or 503 with Retry-After.
func pushedBack(status int, retryAfter time.Duration) bool {
	return status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && retryAfter > 0)
}

// rttStat is the round-trip history of one route: answers, smoothed round trip and its
// lowest value, the baseline.
type rttStat struct {
	n         int
	avg, base time.Duration
}

// limiter bounds the requests in flight to one server. Adaptive, it works like TCP
// congestion control (AIMD): the limit starts at initialInflight and stays there until a
// route has rttSmoothing good answers, measured without load, so that its latency baseline
// is known; then it grows by one per good answer (slow start) until the first sign of
// distress or a round trip half again its baseline, and by one per limit's worth of good
// answers after that. A push-back, 503, 504 or timeout multiplies it by dropFactor, a
// latency rise by latencyFactor, at most once per round of attempts admitted before the
// decrease. A push-back also caps it for the client's life (see answer). The limit grows
// only while at least half of it is in use, and stays within [min, max]. Waiters are
// admitted in FIFO order.
type limiter struct {
	mu        sync.Mutex
	inflight  int       // attempts admitted and not released
	unheard   int       // of these, those sent whose answer has not arrived
	sends     int       // requests sent so far
	waiters   list.List // of *waiter
	limit     float64
	min       int
	ceiling   int // max, lowered by push-backs
	adaptive  bool
	slowStart bool
	warm      bool   // some route has its baseline: the limit may grow
	seq       uint64 // attempts admitted so far
	recovered uint64 // signals of attempts admitted up to this one belong to the last decrease
	rtt       map[string]*rttStat
	shown     int
	notify    func(int) // nil-safe; called with mu held
}

// slot is an admitted attempt: its number; whether its request was sent, as which of the
// limiter's sends and with how many others still unanswered (see sent); and whether its
// answer arrived. Guarded by mu.
type slot struct {
	seq      uint64
	sent     bool
	sendNo   int
	ahead    int
	answered bool
}

// waiter is an attempt waiting for a slot; ready is closed once it has one.
type waiter struct {
	ready chan struct{}
	slot  *slot
}

// newLimiter returns a limiter within [min, max]; fixed (not adaptive) it stays at max.
func newLimiter(min, max int, adaptive bool, notify func(int)) *limiter {
	l := &limiter{min: min, ceiling: max, adaptive: adaptive, slowStart: true, limit: float64(max),
		rtt: map[string]*rttStat{}, notify: notify}
	if adaptive {
		l.limit = float64(clamp(initialInflight, min, max))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.publish()
	return l
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }

// current is the limit in force.
func (l *limiter) current() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cur()
}

func (l *limiter) cur() int { return max(1, int(l.limit)) }

// acquire waits for a slot, or fails with ctx's error.
func (l *limiter) acquire(ctx context.Context) (*slot, error) {
	l.mu.Lock()
	if l.inflight < l.cur() && l.waiters.Len() == 0 {
		sl := l.take()
		l.mu.Unlock()
		return sl, nil
	}
	w := &waiter{ready: make(chan struct{})}
	e := l.waiters.PushBack(w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return w.slot, nil
	case <-ctx.Done():
		l.mu.Lock()
		select {
		case <-w.ready: // admitted meanwhile: hand the slot on
			l.release(w.slot, sample{})
		default:
			l.waiters.Remove(e)
		}
		l.mu.Unlock()
		return nil, ctx.Err()
	}
}

// take admits one attempt. The caller holds mu.
func (l *limiter) take() *slot {
	l.inflight++
	l.seq++
	return &slot{seq: l.seq}
}

// sent notes that the request of sl was sent (its headers written) and how many requests
// were unanswered then.
func (l *limiter) sent(sl *slot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !sl.sent && !sl.answered {
		sl.sent, sl.sendNo, sl.ahead = true, l.sends, l.unheard
		l.sends++
		l.unheard++
	}
}

// answer notes that the answer of sl arrived. A push-back caps the limit for the client's
// life at the most requests the server can have held when it refused this one: those
// unanswered when it was sent, and those sent until its answer came. Requests admitted but
// not sent yet (still connecting) had not reached the server, and those answered before it
// was sent had left it. Of the estimates the lowest wins: never below what the server held
// for this client, it comes down to that as refusals come back quickly while the limit is
// full. A refusal while the server held none of ours tells nothing about its capacity for
// us and only decreases the limit (see adapt).
func (l *limiter) answer(sl *slot, pushBack bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle(sl)
	if held := sl.ahead + l.sends - sl.sendNo - 1; l.adaptive && pushBack && sl.sent && held >= 1 {
		l.ceiling = max(l.min, min(l.ceiling, held))
		l.limit = min(l.limit, float64(l.ceiling))
		l.publish()
	}
}

// settle marks the answer of sl arrived, or given up. The caller holds mu.
func (l *limiter) settle(sl *slot) {
	if sl.sent && !sl.answered {
		l.unheard--
	}
	sl.answered = true
}

// done frees sl and adapts the limit to what its attempt showed.
func (l *limiter) done(sl *slot, s sample) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.release(sl, s)
}

// release is done with mu held.
func (l *limiter) release(sl *slot, s sample) {
	l.inflight--
	l.settle(sl)
	if l.adaptive {
		l.adapt(sl.seq, s)
		l.limit = min(max(l.limit, float64(l.min)), float64(l.ceiling))
		l.publish()
	}
	l.admit()
}

// adapt applies one attempt's signal to the limit. The caller holds mu.
func (l *limiter) adapt(seq uint64, s sample) {
	switch s.sig {
	case sigPushBack, sigDrop:
		l.decrease(seq, dropFactor)
	case sigGood:
		r := l.rttRatio(s.route, s.rtt)
		if r > latencyTolerance {
			l.decrease(seq, latencyFactor)
			return
		}
		l.slowStart = l.slowStart && r <= slowStartExit
		if !l.warm || 2*(l.inflight+1) < l.cur() { // no baseline yet, or the limit holds nothing back
			return
		}
		if l.slowStart {
			l.limit++
		} else {
			l.limit += 1 / l.limit
		}
	}
}

// decrease multiplies the limit by factor unless attempt seq was admitted before the last
// decrease, whose cause it most likely shares. The caller holds mu.
func (l *limiter) decrease(seq uint64, factor float64) {
	if seq <= l.recovered {
		return
	}
	l.slowStart = false
	l.limit *= factor
	l.recovered = l.seq
}

// rttRatio records a good answer's round trip on route and returns the route's smoothed
// round trip over its baseline, the lowest the smoothed value has been; 0 while the route
// has fewer than rttSmoothing answers. The caller holds mu.
func (l *limiter) rttRatio(route string, rtt time.Duration) float64 {
	st := l.rtt[route]
	if st == nil {
		st = &rttStat{}
		l.rtt[route] = st
	}
	st.n++
	st.avg += (rtt - st.avg) / time.Duration(min(st.n, rttSmoothing))
	if st.n < rttSmoothing {
		return 0
	}
	l.warm = true
	if st.base == 0 || st.avg < st.base {
		st.base = st.avg
	}
	return float64(st.avg) / float64(max(st.base, 1))
}

// admit hands free slots to waiters in order. The caller holds mu.
func (l *limiter) admit() {
	for l.inflight < l.cur() && l.waiters.Len() > 0 {
		w := l.waiters.Remove(l.waiters.Front()).(*waiter)
		w.slot = l.take()
		close(w.ready)
	}
}

// publish tells the observer about a changed limit. The caller holds mu.
func (l *limiter) publish() {
	if n := l.cur(); n != l.shown {
		l.shown = n
		if l.notify != nil {
			l.notify(n)
		}
	}
}
