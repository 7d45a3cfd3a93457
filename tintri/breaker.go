package tintri

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"
)

// ErrServerUnavailable is wrapped by the error of every call a client refuses once its
// circuit breaker is open: Config.BreakAfterTimeouts attempts in a row timed out.
var ErrServerUnavailable = errors.New("server unavailable")

// DefaultBreakAfterTimeouts is what a zero Config.BreakAfterTimeouts means.
const DefaultBreakAfterTimeouts = 3

// breaker is the client's circuit breaker. It counts attempts that timed out in a row (any
// answer, whatever its status, resets the count) and opens at the limit. Open, it stays
// open for the client's life, a run: every attempt waiting for a slot or in flight is
// cancelled and every further call fails at once with its error, so one hung server is
// reported failed quickly while the clients of other servers finish.
type breaker struct {
	after   int32         // timeouts in a row that open it; 0 => never
	timeout time.Duration // of each attempt, for the error
	streak  atomic.Int32
	opened  context.Context // done once open; its cause is the error calls fail with
	open    context.CancelCauseFunc
}

// newBreaker returns a breaker opening after n attempts of the given timeout timed out in
// a row; n < 0 never opens.
func newBreaker(n int, timeout time.Duration) *breaker {
	if n == 0 {
		n = DefaultBreakAfterTimeouts
	}
	ctx, open := context.WithCancelCause(context.Background())
	return &breaker{after: int32(max(n, 0)), timeout: timeout, opened: ctx, open: open}
}

// err is the error of a refused call once the breaker is open, else nil.
func (b *breaker) err() error {
	if b.opened.Err() == nil {
		return nil
	}
	return context.Cause(b.opened)
}

// cancelOnOpen cancels an attempt with the breaker's error when it opens; stop undoes it.
func (b *breaker) cancelOnOpen(cancel context.CancelCauseFunc) (stop func() bool) {
	return context.AfterFunc(b.opened, func() { cancel(context.Cause(b.opened)) })
}

// record counts the outcome of an attempt that the caller did not cancel; it reports
// whether this attempt opened the breaker.
func (b *breaker) record(res outcome) bool {
	switch {
	case timedOut(res.err):
		if b.after > 0 && b.streak.Add(1) == b.after {
			b.open(fmt.Errorf("%w: %d requests in a row timed out after %s each; not retried for the rest of this run",
				ErrServerUnavailable, b.after, b.timeout))
			return true
		}
	case res.status != 0:
		b.streak.Store(0)
	}
	return false
}

// timedOut reports an attempt cut off by Config.Timeout or by a transport timeout (connect,
// TLS handshake); the caller's own deadline is no timeout of the server.
func timedOut(err error) bool {
	if errors.Is(err, ErrRequestTimeout) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() && !errors.Is(err, context.DeadlineExceeded)
}
