package tintri_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// hungListener accepts TCP connections and never answers on them: a hung server.
func hungListener(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// Modes of a faultDialer.
const (
	dialSim     int32 = iota // connect to the simulator
	dialHung                 // connect to a server that never answers
	dialTimeout              // fail the connect with a timeout
)

// faultDialer is a keep-alive-free transport to the simulator (one dial per attempt) whose
// dials can be sent to a hung server or failed with a connect timeout.
type faultDialer struct {
	mode    atomic.Int32
	left    atomic.Int32 // dials left in mode before it reverts to dialSim, unless forever
	forever atomic.Bool
}

func newFaultDialer(t testing.TB, s *sim.Sim) (*faultDialer, *http.Client) {
	f := &faultDialer{}
	hung := hungListener(t)
	tr := simTransport(t, s, nil)
	var d net.Dialer
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		m := f.mode.Load()
		if m != dialSim && !f.forever.Load() && f.left.Add(-1) < 0 {
			m = dialSim
		}
		switch m {
		case dialHung:
			return d.DialContext(ctx, network, hung)
		case dialTimeout:
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.ErrDeadlineExceeded}
		}
		return d.DialContext(ctx, network, addr)
	}
	return f, newHTTPClient(tr)
}

// fault sends the next n dials to mode; n < 0 sends all of them.
func (f *faultDialer) fault(mode int32, n int32) {
	f.forever.Store(n < 0)
	f.left.Store(n)
	f.mode.Store(mode)
}

// breakerClient is a client of the TGC through f, whose attempts give up after 50ms.
func breakerClient(t *testing.T, s *sim.Sim, rec *recorder, mod func(*tintri.Config)) (*tintri.Client, *faultDialer) {
	t.Helper()
	f, hc := newFaultDialer(t, s)
	return newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
		c.HTTPClient, c.Observer, c.Timeout = hc, rec, 50*time.Millisecond
		if mod != nil {
			mod(c)
		}
	}), f
}

// TestBreakerOpens: against a hung server and against connects that time out, a call
// makes 3 attempts of its 4 and fails with ErrServerUnavailable; every further call fails
// at once without a request.
func TestBreakerOpens(t *testing.T) {
	for _, tt := range []struct {
		name string
		mode int32
	}{{"hung server", dialHung}, {"connect timeout", dialTimeout}} {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, sim.Options{})
			rec := &recorder{}
			c, f := breakerClient(t, s, rec, nil)
			ctx := testContext(t)
			f.fault(tt.mode, -1)
			_, err := c.Info(ctx)
			if !errors.Is(err, tintri.ErrServerUnavailable) ||
				err.Error() != c.Host()+": GET /api/info: server unavailable: 3 requests in a row timed out after 50ms each; not retried for the rest of this run" {
				t.Fatalf("Info = %v, want the open breaker", err)
			}
			if requests, retries := rec.snapshot(); len(requests) != 3 || len(retries) != 2 {
				t.Errorf("requests %v retries %v, want 3 attempts", requests, retries)
			}
			rec.reset()
			f.fault(dialSim, 0)
			if _, err := c.GetVM(ctx, s.VMs()[0].ID()); !errors.Is(err, tintri.ErrServerUnavailable) {
				t.Errorf("GetVM after the breaker opened = %v", err)
			}
			if requests, _ := rec.snapshot(); len(requests) != 0 {
				t.Errorf("requests after the breaker opened: %v", requests)
			}
		})
	}
}

// TestBreakerConcurrent: 16 concurrent calls to a server that hangs after login, 4 in
// flight at most, send at most 3 + 4 - 1 attempts in all (without the breaker: 64) and all
// fail with ErrServerUnavailable; the timeouts lowered the in-flight limit.
func TestBreakerConcurrent(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 20})
	rec := &recorder{}
	c, f := breakerClient(t, s, rec, func(c *tintri.Config) {
		c.MaxInflight = 4
	})
	ctx := testContext(t)
	vms := s.VMs()
	if _, err := c.GetVM(ctx, vms[0].ID()); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	f.fault(dialHung, -1)
	errs := make([]error, 16)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { _, errs[i] = c.GetVM(ctx, vms[i].ID()) })
	}
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, tintri.ErrServerUnavailable) {
			t.Errorf("call %d: %v, want ErrServerUnavailable", i, err)
		}
	}
	if requests, _ := rec.snapshot(); len(requests) > 6 {
		t.Errorf("%d attempts sent to the hung server, want at most 6", len(requests))
	}
	if n := c.InflightLimit(); n >= 4 {
		t.Errorf("in-flight limit %d after timeouts, want it below the 4 it started at", n)
	}
}

// TestBreakerResetByAnswer: two timeouts, an answer, two timeouts and an answer leave the
// breaker closed; BreakAfterTimeouts 2 then opens on the next two. A negative value never
// opens it.
func TestBreakerResetByAnswer(t *testing.T) {
	for _, tt := range []struct {
		after    int
		wantOpen bool
	}{{3, false}, {2, true}, {-1, false}} {
		s := startSim(t, sim.Options{})
		c, f := breakerClient(t, s, &recorder{}, func(c *tintri.Config) { c.BreakAfterTimeouts = tt.after })
		ctx := testContext(t)
		vm := s.VMs()[0]
		var err error
		for range 3 {
			f.fault(dialHung, 2)
			if _, err = c.GetVM(ctx, vm.ID()); err != nil {
				break
			}
		}
		if open := errors.Is(err, tintri.ErrServerUnavailable); open != tt.wantOpen || (!open && err != nil) {
			t.Errorf("break after %d: GetVM = %v, want open %v", tt.after, err, tt.wantOpen)
		}
	}
}

// TestRetryPolicyFieldDefaults: a policy setting only MaxAttempts keeps the default
// backoff and cap; a Backoff override needs no BaseDelay.
func TestRetryPolicyFieldDefaults(t *testing.T) {
	d := tintri.DefaultRetryPolicy()
	for _, tt := range []struct {
		in, want tintri.RetryPolicy
	}{
		{tintri.RetryPolicy{}, d},
		{tintri.RetryPolicy{MaxAttempts: 2}, tintri.RetryPolicy{MaxAttempts: 2, BaseDelay: d.BaseDelay, MaxDelay: d.MaxDelay}},
		{tintri.RetryPolicy{BaseDelay: time.Second}, tintri.RetryPolicy{MaxAttempts: d.MaxAttempts, BaseDelay: time.Second, MaxDelay: d.MaxDelay}},
		{tintri.RetryPolicy{MaxAttempts: 1, MaxDelay: time.Minute}, tintri.RetryPolicy{MaxAttempts: 1, BaseDelay: d.BaseDelay, MaxDelay: time.Minute}},
	} {
		got := tintri.RetryWithDefaults(tt.in)
		if got.MaxAttempts != tt.want.MaxAttempts || got.BaseDelay != tt.want.BaseDelay || got.MaxDelay != tt.want.MaxDelay || got.Backoff != nil {
			t.Errorf("%+v with defaults = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if got := tintri.RetryWithDefaults(tintri.RetryPolicy{Backoff: tintri.NoDelay}); got.BaseDelay != 0 || got.MaxAttempts != d.MaxAttempts {
		t.Errorf("backoff override with defaults = %+v", got)
	}
}
