package tintri_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// planStep is one read of a plan and the requests a fault injected for it aims at.
type planStep struct {
	server, method, prefix string // the requests a fault aims at
	run                    func(ctx context.Context) error
}

// planReads is the read sequence of a plan over a TGC and one VMstore: info, login, the
// VMstore list, a paged VM listing, single GETs and service groups, appliance reads.
func planReads(tgc, store *tintri.Client, vmID string) []planStep {
	var groups []tintri.ServiceGroup
	return []planStep{
		{"tgc", "GET", "/api/info", func(ctx context.Context) error { _, err := tgc.Info(ctx); return err }},
		{"tgc", "POST", "/api/v310/session/login", func(ctx context.Context) error { _, err := tgc.GetVM(ctx, vmID); return err }},
		{"tgc", "GET", "/api/v310/vmstore", func(ctx context.Context) error { _, err := tgc.ListVMstores(ctx); return err }},
		{"tgc", "GET", "/api/v310/vm", func(ctx context.Context) error {
			return tgc.EachVM(ctx, tintri.VMFilter{Limit: 10, IncludeFields: []string{"uuid", "vmware"}},
				func(*tintri.VirtualMachine) error { return nil })
		}},
		{"tgc", "GET", "/api/v310/vm/", func(ctx context.Context) error { _, err := tgc.GetVM(ctx, vmID); return err }},
		{"tgc", "GET", "/api/v310/servicegroup", func(ctx context.Context) error {
			var err error
			groups, err = tgc.ListServiceGroups(ctx)
			return err
		}},
		{"tgc", "GET", "/api/v310/servicegroup/", func(ctx context.Context) error {
			_, err := tgc.ServiceGroupMembers(ctx, groups[0].ID())
			return err
		}},
		{"vmstore-0", "POST", "/api/v310/session/login", func(ctx context.Context) error { _, err := store.ApplianceDNS(ctx); return err }},
		{"vmstore-0", "GET", "/api/v310/appliance/default/ips", func(ctx context.Context) error { _, err := store.ApplianceIPs(ctx); return err }},
		{"vmstore-0", "GET", "/api/v310/appliance/default/dns", func(ctx context.Context) error { _, err := store.ApplianceDNS(ctx); return err }},
	}
}

// TestRetryReadsOn500: each read of a plan, login included, answered 500 twice succeeds on
// its third attempt; a PUT and a POST answered 500 are tried once and change nothing.
func TestRetryReadsOn500(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 50})
	rec := &recorder{}
	mod := func(c *tintri.Config) { c.Observer = rec }
	tgc, store := newClient(t, s, s.TGCURL(), mod), newClient(t, s, s.VMstoreURLs()[0], mod)
	ctx := testContext(t)
	vm := s.VMs()[0]
	for i, st := range planReads(tgc, store, vm.ID()) {
		rec.reset()
		s.FailNextMatching(st.server, st.method, st.prefix, 2, 500)
		if err := st.run(ctx); err != nil {
			t.Fatalf("step %d (%s %s): %v", i, st.method, st.prefix, err)
		}
		requests, retries := rec.snapshot()
		failed := 0
		for _, r := range requests {
			if r.Status == 500 {
				failed++
			}
		}
		if failed != 2 || len(retries) != 2 {
			t.Errorf("step %d (%s %s): %d answers 500 and %d retries, want 2 and 2", i, st.method, st.prefix, failed, len(retries))
		}
	}

	groups := s.ServiceGroups()
	for _, w := range []struct {
		method, prefix string
		run            func() error
	}{
		{"PUT", "/api/v310/vm/", func() error {
			return tgc.SetVMAffinity(ctx, vm.ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever})
		}},
		{"POST", "/api/v310/servicegroup/", func() error { return tgc.ApplyServiceGroupQoS(ctx, groups[0].ID()) }},
	} {
		rec.reset()
		s.ResetCounters()
		s.FailNextMatching("tgc", w.method, w.prefix, 1, 500)
		var te *tintri.TintriError
		if err := w.run(); !errors.As(err, &te) || te.Status != 500 {
			t.Errorf("%s %s answered 500: %v, want the 500", w.method, w.prefix, err)
		}
		if requests, retries := rec.snapshot(); len(requests) != 1 || len(retries) != 0 {
			t.Errorf("%s %s answered 500: requests %v retries %v, want one attempt", w.method, w.prefix, requests, retries)
		}
		if n := s.Writes(); n != 0 {
			t.Errorf("%s %s answered 500: %d writes", w.method, w.prefix, n)
		}
	}
}

// TestPlanUnderErrorRate runs the plan's reads three times against servers answering 20% of
// requests 500 or 503: every read succeeds, some of them after a 500.
func TestPlanUnderErrorRate(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 200, ErrorRate: 0.2})
	rec := &recorder{}
	mod := func(c *tintri.Config) {
		c.Observer = rec
		c.Retry.MaxAttempts = 8 // 0.2^8: no read fails on its own bad luck
	}
	tgc, store := newClient(t, s, s.TGCURL(), mod), newClient(t, s, s.VMstoreURLs()[0], mod)
	ctx := testContext(t)
	steps := planReads(tgc, store, s.VMs()[0].ID())
	for round := range 3 {
		for i, st := range steps {
			if err := st.run(ctx); err != nil {
				t.Fatalf("round %d, step %d (%s %s): %v", round, i, st.method, st.prefix, err)
			}
		}
	}
	requests, _ := rec.snapshot()
	failed := 0
	for _, r := range requests {
		if r.Status == 500 {
			failed++
		}
	}
	if failed == 0 {
		t.Errorf("no read was answered 500 in %d requests: the test proves nothing", len(requests))
	}
}
