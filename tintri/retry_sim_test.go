package tintri_test

import (
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

const (
	affinityPath = "/api/v310/vm/{id}/affinity"
	applyQoSPath = "/api/v310/servicegroup/{id}/qos"
)

// TestRetryIdempotentPut: two injected 429, 502, 503 or 504 answers are retried and the PUT
// then lands once; a 500 is not retried.
func TestRetryIdempotentPut(t *testing.T) {
	for _, tt := range []struct {
		status int
		retry  bool
	}{{429, true}, {502, true}, {503, true}, {504, true}, {500, false}} {
		t.Run(strconv.Itoa(tt.status), func(t *testing.T) {
			s := startSim(t, sim.Options{})
			rec := &recorder{}
			c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
			ctx := testContext(t)
			vm := s.VMs()[0]
			if _, err := c.GetVM(ctx, vm.ID()); err != nil { // info and login
				t.Fatal(err)
			}
			rec.reset()
			s.ResetCounters()
			s.FailNext("tgc", 2, tt.status)
			err := c.SetVMAffinity(ctx, vm.ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever})
			requests, retries := rec.snapshot()
			got, _ := s.VMByName(vm.Name())
			if !tt.retry {
				var te *tintri.TintriError
				if !errors.As(err, &te) || te.Status != tt.status {
					t.Fatalf("SetVMAffinity = %v, want the %d", err, tt.status)
				}
				if diff := cmp.Diff([]observed{{"PUT", affinityPath, tt.status}}, requests); diff != "" || len(retries) != 0 {
					t.Errorf("requests (-want +got):\n%s\nretries %v", diff, retries)
				}
				if w := s.Writes(); w != 0 || got.AffinityRule != nil {
					t.Errorf("writes = %d, rule %+v; want none", w, got.AffinityRule)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w := s.Writes(); w != 1 {
				t.Errorf("writes = %d, want 1", w)
			}
			wantReq := []observed{{"PUT", affinityPath, tt.status}, {"PUT", affinityPath, tt.status}, {"PUT", affinityPath, 204}}
			if diff := cmp.Diff(wantReq, requests); diff != "" {
				t.Errorf("observed requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]observed{{Method: "PUT", Path: affinityPath}, {Method: "PUT", Path: affinityPath}}, retries); diff != "" {
				t.Errorf("observed retries (-want +got):\n%s", diff)
			}
			if got.AffinityRule == nil || got.AffinityRule.RuleType != tintri.AffinityNever {
				t.Errorf("affinity after the PUT = %+v", got.AffinityRule)
			}
			// Set through the TGC, the rule shows in the TGC's own VM list.
			never, err := c.ListVMs(ctx, tintri.VMFilter{AffinityRuleTypes: []string{tintri.AffinityNever}, IncludeFields: []string{"uuid", "affinityRule"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(never) != 1 || never[0].ID() != vm.ID() || never[0].AffinityRule == nil || never[0].AffinityRule.RuleType != tintri.AffinityNever {
				t.Errorf("TGC list of NEVER VMs = %+v, want only %s", never, vm.ID())
			}
		})
	}
}

// TestRetryGivesUp: with 4 attempts, 4 injected 503s fail the call with the last answer.
func TestRetryGivesUp(t *testing.T) {
	s := startSim(t, sim.Options{})
	rec := &recorder{}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
	ctx := testContext(t)
	if _, err := c.ListVMstores(ctx); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()
	rec.reset()
	s.FailNext("tgc", 4, 503)
	_, err := c.ListVMstores(ctx)
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 503 {
		t.Fatalf("ListVMstores = %v, want a 503 TintriError", err)
	}
	if n := count(s, "tgc", "GET", "/api/v310/vmstore"); n != 0 {
		t.Errorf("served %d vmstore lists, want 0", n)
	}
	if requests, retries := rec.snapshot(); len(requests) != 4 || len(retries) != 3 {
		t.Errorf("requests %v retries %v, want 4 attempts and 3 retries", requests, retries)
	}
	if _, err := c.ListVMstores(ctx); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

// TestNoRetryAmbiguousPost: a 503 on POST servicegroup/{id}/qos is not repeated.
func TestNoRetryAmbiguousPost(t *testing.T) {
	s := startSim(t, sim.Options{})
	rec := &recorder{}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
	ctx := testContext(t)
	groups, err := c.ListServiceGroups(ctx)
	if err != nil || len(groups) == 0 {
		t.Fatalf("groups %v, %v", groups, err)
	}
	rec.reset()
	s.ResetCounters()
	s.FailNext("tgc", 1, 503)
	err = c.ApplyServiceGroupQoS(ctx, groups[0].ID())
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 503 {
		t.Fatalf("ApplyServiceGroupQoS = %v, want the 503", err)
	}
	if want := c.Host() + ": POST /api/v310/servicegroup/" + groups[0].ID() + "/qos: status 503 ERR-API-0007"; err.Error()[:len(want)] != want {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
	requests, retries := rec.snapshot()
	if diff := cmp.Diff([]observed{{"POST", applyQoSPath, 503}}, requests); diff != "" || len(retries) != 0 {
		t.Errorf("requests (-want +got):\n%s\nretries %v", diff, retries)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("writes = %d, want 0", w)
	}
}

// TestRetryUnsentPost: dials that fail before the POST is written are retried; it lands once.
func TestRetryUnsentPost(t *testing.T) {
	s := startSim(t, sim.Options{})
	var failDials atomic.Int32
	rec := &recorder{}
	tr := simTransport(t, s, func() error {
		if failDials.Add(-1) >= 0 {
			return errors.New("injected dial failure")
		}
		return nil
	})
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
		c.HTTPClient = newHTTPClient(tr)
		c.Observer = rec
	})
	ctx := testContext(t)
	groups, err := c.ListServiceGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	s.ResetCounters()
	failDials.Store(2)
	if err := c.ApplyServiceGroupQoS(ctx, groups[0].ID()); err != nil {
		t.Fatal(err)
	}
	if w := s.Writes(); w != 1 {
		t.Errorf("writes = %d, want 1", w)
	}
	requests, _ := rec.snapshot()
	want := []observed{{"POST", applyQoSPath, 0}, {"POST", applyQoSPath, 0}, {"POST", applyQoSPath, 204}}
	if diff := cmp.Diff(want, requests); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

// TestStoppedServer: an unreachable server fails after MaxAttempts with a wrapped dial error.
func TestStoppedServer(t *testing.T) {
	s := startSim(t, sim.Options{})
	rec := &recorder{}
	c := newClient(t, s, s.VMstoreURLs()[1], func(c *tintri.Config) { c.Observer = rec })
	if err := s.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	_, err := c.Info(testContext(t))
	if err == nil || err.Error()[:len(c.Host())+15] != c.Host()+": GET /api/info" {
		t.Fatalf("Info of a stopped server = %v", err)
	}
	requests, retries := rec.snapshot()
	if len(requests) != 4 || len(retries) != 3 || requests[3].Status != 0 {
		t.Errorf("requests %v retries %v, want 4 unanswered requests and 3 retries", requests, retries)
	}
}

// TestRequestTimeout: a server slower than Config.Timeout fails every attempt with
// ErrRequestTimeout (the simulator answers after at least 2s, the client waits 50ms).
func TestRequestTimeout(t *testing.T) {
	s := startSim(t, sim.Options{Latency: 4 * time.Second})
	rec := &recorder{}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) {
		c.Timeout = 50 * time.Millisecond
		c.Retry.MaxAttempts = 2
		c.Observer = rec
	})
	_, err := c.Info(testContext(t))
	if !errors.Is(err, tintri.ErrRequestTimeout) || err.Error() != c.Host()+": GET /api/info: request timed out" {
		t.Fatalf("Info of a slow server = %v, want %v", err, tintri.ErrRequestTimeout)
	}
	if requests, retries := rec.snapshot(); len(requests) != 2 || len(retries) != 1 {
		t.Errorf("requests %v retries %v, want 2 and 1", requests, retries)
	}
}

// TestNoRetryReportRequest: a 503 on POST vmListDownloadable is not repeated, so a report
// is never requested twice.
func TestNoRetryReportRequest(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 10})
	rec := &recorder{}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
	ctx := testContext(t)
	if _, err := c.ListVMstores(ctx); err != nil { // info and login
		t.Fatal(err)
	}
	rec.reset()
	s.FailNextMatching("tgc", "POST", "/api/v310/vm/vmListDownloadable", 1, 503)
	_, err := c.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{Attributes: []string{"VmName"}, Format: "CSV"})
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 503 || te.Code != "ERR-API-0007" {
		t.Fatalf("RequestVMReport = %v, want the 503", err)
	}
	requests, retries := rec.snapshot()
	if diff := cmp.Diff([]observed{{"POST", "/api/v310/vm/vmListDownloadable", 503}}, requests); diff != "" || len(retries) != 0 {
		t.Errorf("requests (-want +got):\n%s\nretries %v", diff, retries)
	}
}

// TestDownloadRetried: two 503s on the report download are retried and the report is
// written once, complete.
func TestDownloadRetried(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 10})
	rec := &recorder{}
	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
	ctx := testContext(t)
	u, err := c.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{Attributes: []string{"VmName"}, Format: "CSV"})
	if err != nil {
		t.Fatal(err)
	}
	rec.reset()
	s.FailNextMatching("tgc", "GET", "/downloads/", 2, 503)
	var buf strings.Builder
	n, err := c.Download(ctx, u, &buf)
	if err != nil {
		t.Fatal(err)
	}
	want := "VmName\n"
	for _, vm := range s.VMs() {
		want += vm.Name() + "\n"
	}
	if buf.String() != want || n != int64(len(want)) {
		t.Errorf("downloaded %d bytes:\n%s\nwant %d:\n%s", n, buf.String(), len(want), want)
	}
	requests, retries := rec.snapshot()
	wantReq := []observed{{"GET", "(report download)", 503}, {"GET", "(report download)", 503}, {"GET", "(report download)", 200}}
	if diff := cmp.Diff(wantReq, requests); diff != "" || len(retries) != 2 {
		t.Errorf("requests (-want +got):\n%s\nretries %v", diff, retries)
	}
}
