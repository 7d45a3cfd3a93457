package tintri_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// limits is an Observer and LimitObserver that records the limits published, counts the
// answers by status and notes whether a push-back (429 or 503) was observed.
type limits struct {
	mu        sync.Mutex
	seen      []int
	statuses  map[int]int
	pushedYet bool
}

func (l *limits) Limit(_ string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, n)
}

func (l *limits) Request(_, _, _ string, status int, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.statuses == nil {
		l.statuses = map[int]int{}
	}
	l.statuses[status]++
	l.pushedYet = l.pushedYet || status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

func (l *limits) Retry(_, _, _ string) {}

// pushedBack reports whether a push-back was observed.
func (l *limits) pushedBack() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pushedYet
}

// summary returns the limits published, the highest of them and the answers by status.
func (l *limits) summary() (seen []int, peak int, statuses map[int]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	statuses = map[int]int{}
	for k, v := range l.statuses {
		statuses[k] = v
	}
	for _, n := range l.seen {
		peak = max(peak, n)
	}
	return append([]int(nil), l.seen...), peak, statuses
}

// openCounter is a RoundTripper that tracks the peak number of exchanges open at once.
type openCounter struct {
	next       http.RoundTripper
	open, peak atomic.Int64
}

func (o *openCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	n := o.open.Add(1)
	for p := o.peak.Load(); n > p && !o.peak.CompareAndSwap(p, n); p = o.peak.Load() {
	}
	resp, err := o.next.RoundTrip(r)
	if err != nil {
		o.open.Add(-1)
		return nil, err
	}
	resp.Body = &closeHook{ReadCloser: resp.Body, hook: func() { o.open.Add(-1) }}
	return resp, nil
}

// putAffinity sets NEVER affinity n times over the VMs from workers goroutines.
func putAffinity(ctx context.Context, c *tintri.Client, vms []tintri.VirtualMachine, n, workers int) error {
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n && errs[w] == nil; i = int(next.Add(1)) - 1 {
				errs[w] = c.SetVMAffinity(ctx, vms[i%len(vms)].ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever})
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// adaptiveClient is a default (adaptive) client of the TGC that reports to lim and counts
// open exchanges in oc.
func adaptiveClient(t testing.TB, s *sim.Sim, lim *limits, mod func(*tintri.Config)) (*tintri.Client, *openCounter) {
	oc := &openCounter{next: simTransport(t, s, nil)}
	tr := oc.next.(*http.Transport)
	tr.DisableKeepAlives, tr.MaxIdleConnsPerHost = false, 128
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
		c.Observer, c.HTTPClient = lim, newHTTPClient(oc)
		if mod != nil {
			mod(c)
		}
	})
	return c, oc
}

// TestAdaptivePushBack: against a TGC serving 8 requests at once and refusing more with 429
// (or 503 with Retry-After), 40 goroutines send PUTs in rounds of 50 until the first
// refusal, then until the refusals have brought the limit's ceiling within 8; every PUT
// lands. The refusals capped it at what the server held, not lower: at 8. 100 more PUTs
// meet no refusal, never have more than 8 in flight, and leave the limit at 8.
func TestAdaptivePushBack(t *testing.T) {
	const capacity = 8
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			s := startSim(t, sim.Options{VMs: 100, MaxInflight: capacity, Overload: status, Latency: 20 * time.Millisecond})
			lim := &limits{}
			c, oc := adaptiveClient(t, s, lim, nil)
			ctx, sent := testContext(t), 0
			round := func(n int) {
				t.Helper()
				if err := putAffinity(ctx, c, s.VMs(), n, 40); err != nil {
					t.Fatal(err)
				}
				sent += n
			}
			for i := 0; i < 30 && !lim.pushedBack(); i++ {
				round(50)
			}
			if !lim.pushedBack() {
				t.Fatalf("no refusal in %d PUTs: the client never met the server's limit", sent)
			}
			for i := 0; i < 20 && tintri.InflightCeiling(c.ReadOnly()) > capacity; i++ {
				round(50)
			}
			if got := tintri.InflightCeiling(c.ReadOnly()); got != capacity {
				t.Fatalf("after %d PUTs the refusals capped the limit at %d, want the server's %d", sent, got, capacity)
			}
			_, _, before := lim.summary()
			oc.peak.Store(0)
			round(100)
			seen, _, statuses := lim.summary()
			t.Logf("limits %v, answers %v", seen, statuses)
			if statuses[status] != before[status] || c.InflightLimit() != capacity {
				t.Errorf("limits %v: %d refusals, then %d more and the limit at %d after 100 PUTs, want none and %d",
					seen, before[status], statuses[status]-before[status], c.InflightLimit(), capacity)
			}
			if p := oc.peak.Load(); p > capacity {
				t.Errorf("%d requests in flight once capped, above the server's %d", p, capacity)
			}
			if w := s.Writes(); w != int64(sent) || statuses[204] != sent {
				t.Errorf("writes %d, answers %v, want %d writes", w, statuses, sent)
			}
		})
	}
}

// TestAdaptiveGrows: with flat latency (a server without a limit) the limit grows from its
// start to the ceiling of 16 (PUTs in rounds of 100 until it does); against a server
// queueing beyond 4 requests, the rising latency ends slow start early and brings the
// limit back down.
func TestAdaptiveGrows(t *testing.T) {
	t.Run("flat", func(t *testing.T) {
		s := startSim(t, sim.Options{VMs: 100, Latency: 20 * time.Millisecond})
		lim := &limits{}
		c, _ := adaptiveClient(t, s, lim, func(c *tintri.Config) { c.MaxInflight = 16 })
		for round := 0; round < 20 && c.InflightLimit() < 16; round++ {
			if err := putAffinity(testContext(t), c, s.VMs(), 100, 64); err != nil {
				t.Fatal(err)
			}
		}
		seen, _, _ := lim.summary()
		if seen[0] != 4 || c.InflightLimit() != 16 {
			t.Errorf("limits %v: want a start at 4 and growth to the ceiling 16", seen)
		}
	})
	t.Run("queueing beyond 4", func(t *testing.T) {
		s := startSim(t, sim.Options{VMs: 100, MaxInflight: 4, Latency: 25 * time.Millisecond})
		lim := &limits{}
		c, _ := adaptiveClient(t, s, lim, func(c *tintri.Config) { c.MaxInflight = 32 })
		if err := putAffinity(testContext(t), c, s.VMs(), 200, 64); err != nil {
			t.Fatal(err)
		}
		seen, peak, _ := lim.summary()
		if peak >= 32 || c.InflightLimit() > 12 {
			t.Errorf("limits %v: want slow start ended below the ceiling 32 and the limit brought down to 12 or less", seen)
		}
	})
}

// TestFixedInflight: with DisableAdaptive the limit is MaxInflight from the start and
// never changes; MinInflight above MaxInflight is refused.
func TestFixedInflight(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 100, MaxInflight: 4, Overload: http.StatusTooManyRequests})
	lim := &limits{}
	c, _ := adaptiveClient(t, s, lim, func(c *tintri.Config) { c.MaxInflight, c.DisableAdaptive = 3, true })
	if err := putAffinity(testContext(t), c, s.VMs(), 200, 16); err != nil {
		t.Fatal(err)
	}
	if seen, _, statuses := lim.summary(); len(seen) != 1 || seen[0] != 3 || c.InflightLimit() != 3 || statuses[429] != 0 {
		t.Errorf("fixed limit 3: published %v, now %d, answers %v", seen, c.InflightLimit(), statuses)
	}
	for _, cfg := range []tintri.Config{
		{URL: s.TGCURL(), Username: "u", MinInflight: 5, MaxInflight: 4},
		{URL: s.TGCURL(), Username: "u", MinInflight: 9, DisableAdaptive: true},
	} {
		if _, err := tintri.New(cfg); err == nil {
			t.Errorf("New(min %d, max %d, fixed %v) = nil error", cfg.MinInflight, cfg.MaxInflight, cfg.DisableAdaptive)
		}
	}
}

// TestConcurrentFirstCalls: 16 concurrent first calls needing the server's product and 16
// needing a session share one GET /api/info and one login.
func TestConcurrentFirstCalls(t *testing.T) {
	s := startSim(t, sim.Options{Latency: 20 * time.Millisecond})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	vm := s.VMs()[0]
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() { errs[i] = c.RequireTGC(ctx) })
		wg.Go(func() { _, errs[16+i] = c.GetVM(ctx, vm.ID()) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := count(s, "tgc", "GET", "/api/info"); n != 1 {
		t.Errorf("GET /api/info sent %d times, want 1", n)
	}
	if n := count(s, "tgc", "POST", loginPath); n != 1 {
		t.Errorf("logins %d, want 1", n)
	}
}

// TestPageWindow: a listing of 41 pages fetches as many pages at once as the in-flight
// limit allows (8), but never more than 16 ahead of the page being delivered.
func TestPageWindow(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 410, Latency: 30 * time.Millisecond})
	for _, tt := range []struct{ limit, want int64 }{{8, 8}, {32, 16}} {
		c, oc := adaptiveClient(t, s, &limits{}, func(c *tintri.Config) {
			c.MaxInflight, c.DisableAdaptive = int(tt.limit), true
		})
		n := 0
		if err := c.EachVM(testContext(t), tintri.VMFilter{Limit: 10}, func(*tintri.VirtualMachine) error { n++; return nil }); err != nil || n != 410 {
			t.Fatalf("limit %d: listed %d VMs, %v", tt.limit, n, err)
		}
		if p := oc.peak.Load(); p != tt.want {
			t.Errorf("limit %d: %d pages at once, want %d", tt.limit, p, tt.want)
		}
	}
}

// TestAdaptiveSignals: one answer of each kind, then success, moves the starting limit of
// 4 as documented: 429, 503 and 504 multiply it by 0.7; 502 and a 500 on a read do not.
func TestAdaptiveSignals(t *testing.T) {
	for _, tt := range []struct{ status, want int }{{429, 2}, {503, 2}, {504, 2}, {502, 4}, {500, 4}} {
		s := startSim(t, sim.Options{})
		c := newClient(t, s, s.TGCURL(), nil)
		ctx := testContext(t)
		vm := s.VMs()[0]
		if _, err := c.GetVM(ctx, vm.ID()); err != nil {
			t.Fatal(err)
		}
		s.FailNext("tgc", 1, tt.status)
		if _, err := c.GetVM(ctx, vm.ID()); err != nil {
			t.Fatalf("%d: %v", tt.status, err)
		}
		if got := c.InflightLimit(); got != tt.want {
			t.Errorf("after a %d: limit %d, want %d", tt.status, got, tt.want)
		}
	}
}
