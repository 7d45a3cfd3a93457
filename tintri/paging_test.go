package tintri_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

const vmListPath = "/api/v310/vm"

func vmIDs(vms []tintri.VirtualMachine) []string {
	out := make([]string, len(vms))
	for i := range vms {
		out[i] = vms[i].ID()
	}
	return out
}

// TestEachVMPages lists 250 VMs in pages of 20 (13 pages) sequentially and concurrently:
// every VM once, in the server's order, with only the requested fields.
func TestEachVMPages(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 250})
	all := s.VMs()
	if all[0].VmstoreName == "" || all[0].QosConfig == nil || all[0].IsLive == nil {
		t.Fatal("simulator VMs lack the fields this test expects to be trimmed")
	}
	for _, inflight := range []int{1, 2, 8} {
		s.ResetCounters()
		c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.MaxInflight = inflight })
		var got []tintri.VirtualMachine
		err := c.EachVM(testContext(t), tintri.VMFilter{IncludeFields: []string{"uuid", "vmware"}, Limit: 20},
			func(vm *tintri.VirtualMachine) error {
				if vm.VmstoreName != "" || vm.QosConfig != nil || vm.IsLive != nil || vm.Vmware == nil {
					t.Fatalf("inflight %d: vm %s not trimmed to uuid,vmware: %+v", inflight, vm.ID(), vm)
				}
				got = append(got, *vm)
				return nil
			})
		if err != nil {
			t.Fatalf("inflight %d: %v", inflight, err)
		}
		if diff := cmp.Diff(vmIDs(all), vmIDs(got)); diff != "" {
			t.Errorf("inflight %d: ids (-want +got):\n%s", inflight, diff)
		}
		if got[249].Name() != all[249].Name() {
			t.Errorf("inflight %d: last name %q, want %q", inflight, got[249].Name(), all[249].Name())
		}
		if n := count(s, "tgc", "GET", vmListPath); n != 13 {
			t.Errorf("inflight %d: %d page requests, want 13", inflight, n)
		}
	}
}

func TestListVMsFilter(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	name := s.VMs()[5].Name()
	var want []tintri.VirtualMachine
	for _, vm := range s.VMs() {
		if vm.Name() == name {
			want = append(want, vm)
		}
	}
	got, err := c.ListVMs(testContext(t), tintri.VMFilter{Name: name, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListVMs name=%q (-want +got):\n%s", name, diff)
	}
}

func TestEachVMCallbackError(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 100})
	c := newClient(t, s, s.TGCURL(), nil)
	stop := errors.New("enough")
	calls := 0
	err := c.EachVM(testContext(t), tintri.VMFilter{Limit: 10}, func(*tintri.VirtualMachine) error {
		calls++
		if calls == 15 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 15 {
		t.Errorf("EachVM = %v after %d calls, want the callback's error after 15", err, calls)
	}
}

// TestEachVMCancel cancels the context in the callback on the first item of page 2: no
// further item is delivered and no more than the pages already asked for are fetched.
func TestEachVMCancel(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 250})
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.MaxInflight, c.DisableAdaptive = 4, true })
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	calls := 0
	err := c.EachVM(ctx, tintri.VMFilter{Limit: 10}, func(*tintri.VirtualMachine) error {
		calls++
		if calls == 11 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("EachVM after cancel = %v, want context.Canceled", err)
	}
	if calls != 11 {
		t.Errorf("callback ran %d times, want 11", calls)
	}
	// page 1, then a window of 4 pages ahead, then one more launched when page 2 arrived
	if n := count(s, "tgc", "GET", vmListPath); n > 6 {
		t.Errorf("%d page requests served after cancelling on page 2, want at most 6", n)
	}
}

// gate is a RoundTripper that, once armed, tracks how many exchanges are open (until the
// body is closed) and holds every request until limit of them are open at once.
type gate struct {
	next    http.RoundTripper
	armed   atomic.Bool
	limit   int
	mu      sync.Mutex
	open    int
	peak    int
	reached chan struct{}
	once    sync.Once
}

func (g *gate) RoundTrip(r *http.Request) (*http.Response, error) {
	if !g.armed.Load() {
		return g.next.RoundTrip(r)
	}
	g.mu.Lock()
	g.open++
	g.peak = max(g.peak, g.open)
	if g.open >= g.limit {
		g.once.Do(func() { close(g.reached) })
	}
	g.mu.Unlock()
	select {
	case <-g.reached:
	case <-r.Context().Done():
	}
	resp, err := g.next.RoundTrip(r)
	if err != nil {
		g.done()
		return nil, err
	}
	resp.Body = &closeHook{ReadCloser: resp.Body, hook: g.done}
	return resp, nil
}

func (g *gate) done() {
	g.mu.Lock()
	g.open--
	g.mu.Unlock()
}

type closeHook struct {
	io.ReadCloser
	once sync.Once
	hook func()
}

func (c *closeHook) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.hook)
	return err
}

// TestMaxInflight runs 12 concurrent calls and a concurrent listing through a client
// limited to 2 requests in flight: at most, and at some point exactly, 2 are open.
func TestMaxInflight(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 120})
	g := &gate{next: simTransport(t, s, nil), limit: 2, reached: make(chan struct{})}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
		c.MaxInflight = 2
		c.Timeout = 20 * time.Second
		c.HTTPClient = &http.Client{Transport: g}
	})
	ctx := testContext(t)
	vms := s.VMs()
	if _, err := c.GetVM(ctx, vms[0].ID()); err != nil { // info and login, one at a time
		t.Fatal(err)
	}
	g.armed.Store(true)
	var wg sync.WaitGroup
	errs := make([]error, 13)
	for i := range 12 {
		wg.Go(func() { _, errs[i] = c.GetVM(ctx, vms[i].ID()) })
	}
	wg.Go(func() {
		n := 0
		errs[12] = c.EachVM(ctx, tintri.VMFilter{Limit: 10}, func(*tintri.VirtualMachine) error { n++; return nil })
		if n != 120 {
			t.Errorf("listing delivered %d VMs, want 120", n)
		}
	})
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if g.peak != 2 {
		t.Errorf("peak requests in flight = %d, want 2", g.peak)
	}
}
