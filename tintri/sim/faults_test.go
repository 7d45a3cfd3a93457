package sim_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestCounters(t *testing.T) {
	s := start(t, sim.Options{})
	tgc := login(t, s, s.TGCURL())
	vm := s.VMs()[0]
	tgc.do("GET", "/api/v310/vm?limit=2", nil).decode(t, &tintri.Page{})
	tgc.do("GET", "/api/v310/vm/"+vm.ID(), nil).decode(t, &tintri.VirtualMachine{})
	tgc.do("PUT", "/api/v310/vm/"+vm.ID()+"/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}).wantNoContent(t)
	tgc.do("POST", "/api/v310/vm/vmListDownloadable", map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": []string{"VmName"}, "format": "CSV"})
	(&session{t: t, c: tgc.c, base: s.TGCURL()}).do("GET", "/api/v310/vm", nil) // 401: not counted
	tgc.do("GET", "/api/v310/nothing", nil)                                     // 404 route: not counted
	tgc.do("POST", "/api/v310/session/logout", nil).wantNoContent(t)

	want := []sim.Count{
		{Server: "tgc", Method: "POST", Path: "/api/v310/session/login", N: 1},
		{Server: "tgc", Method: "POST", Path: "/api/v310/session/logout", N: 1},
		{Server: "tgc", Method: "GET", Path: "/api/v310/vm", N: 1},
		{Server: "tgc", Method: "POST", Path: "/api/v310/vm/vmListDownloadable", N: 1},
		{Server: "tgc", Method: "GET", Path: "/api/v310/vm/{id}", N: 1},
		{Server: "tgc", Method: "PUT", Path: "/api/v310/vm/{id}/affinity", N: 1},
	}
	if diff := cmp.Diff(want, s.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	if s.Writes() != 1 || s.Reads() != 5 {
		t.Errorf("Writes/Reads = %d/%d, want 1/5", s.Writes(), s.Reads())
	}
	s.ResetCounters()
	if len(s.Counts()) != 0 || s.Writes() != 0 || s.Reads() != 0 {
		t.Errorf("after reset: %v %d %d", s.Counts(), s.Writes(), s.Reads())
	}
}

func TestFailNext(t *testing.T) {
	s := start(t, sim.Options{})
	s.FailNext("tgc", 2, http.StatusServiceUnavailable)
	tgc := login(t, s, s.TGCURL()) // session requests are spared
	tgc.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")
	tgc.do("PUT", "/api/v310/vm/x/affinity", map[string]string{"typeId": tintri.TypeAffinityRule}).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")
	tgc.do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	if s.Writes() != 0 || s.Reads() != 2 {
		t.Errorf("Writes/Reads = %d/%d, want 0/2: injected failures are not counted", s.Writes(), s.Reads())
	}
	// Other servers are unaffected.
	s.FailNext("vmstore-1", 1, http.StatusInternalServerError)
	login(t, s, s.VMstoreURLs()[0]).do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	login(t, s, s.VMstoreURLs()[1]).do("GET", "/api/v310/vm", nil).wantError(t, http.StatusInternalServerError, "ERR-API-0007")
}

// TestFailNextMatching fails requests by method and path prefix, leaving others alone.
func TestFailNextMatching(t *testing.T) {
	s := start(t, sim.Options{})
	vm := s.VMs()[0]
	affinity := "/api/v310/vm/" + vm.ID() + "/affinity"
	never := map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}
	report := map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": []string{"VmName"}, "format": "CSV"}

	// Login is spared by a rule that does not name the session paths, even one for POST.
	s.FailNextMatching("tgc", "POST", "", 1, http.StatusServiceUnavailable)
	tgc := login(t, s, s.TGCURL())
	tgc.do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	tgc.do("POST", "/api/v310/vm/vmListDownloadable", report).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")

	// Only the report download fails, once; the POST that asked for it is served.
	s.FailNextMatching("tgc", "GET", "/downloads/", 1, http.StatusBadGateway)
	a := tgc.do("POST", "/api/v310/vm/vmListDownloadable", report)
	if a.status != http.StatusOK {
		t.Fatalf("report request: %d %s", a.status, a.body)
	}
	tgc.do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	tgc.do("GET", string(a.body), nil).wantError(t, http.StatusBadGateway, "ERR-API-0007")
	if d := tgc.do("GET", string(a.body), nil); d.status != http.StatusOK || !strings.HasPrefix(string(d.body), "VmName\n") {
		t.Errorf("second download: %d %q", d.status, d.body)
	}

	// Two rules at once: each fails only what it names, as often as it was told.
	s.FailNextMatching("tgc", "put", "/api/v310/vm/", 2, http.StatusInternalServerError)
	s.FailNextMatching("tgc", "GET", "/api/v310/servicegroup", 1, http.StatusServiceUnavailable)
	tgc.do("GET", "/api/v310/vm/"+vm.ID(), nil).decode(t, &tintri.VirtualMachine{})
	tgc.do("PUT", affinity, never).wantError(t, http.StatusInternalServerError, "ERR-API-0007")
	tgc.do("GET", "/api/v310/servicegroup", nil).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")
	tgc.do("GET", "/api/v310/servicegroup", nil).decode(t, &tintri.Page{})
	tgc.do("PUT", affinity, never).wantError(t, http.StatusInternalServerError, "ERR-API-0007")
	tgc.do("PUT", affinity, never).wantNoContent(t)

	// A rule naming the session paths fails a login.
	s.FailNextMatching("tgc", "POST", "/api/v310/session/login", 1, http.StatusServiceUnavailable)
	anon := &session{t: t, c: httpClient(t, s), base: s.TGCURL()}
	anon.do("POST", "/api/v310/session/login", map[string]string{
		"typeId": tintri.TypeRestApiCredentials, "username": s.Username(), "password": s.Password(),
	}).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")
	login(t, s, s.TGCURL())

	// A later rule for the same method and prefix replaces the earlier one; n = 0 cancels.
	s.FailNextMatching("tgc", "GET", "/api/v310/vm", 5, http.StatusServiceUnavailable)
	s.FailNextMatching("tgc", "GET", "/api/v310/vm", 1, http.StatusGatewayTimeout)
	tgc.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusGatewayTimeout, "ERR-API-0007")
	tgc.do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	s.FailNext("tgc", 3, http.StatusServiceUnavailable)
	s.FailNext("tgc", 0, http.StatusServiceUnavailable)
	tgc.do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})

	want := []sim.Count{
		{Server: "tgc", Method: "GET", Path: "/api/v310/servicegroup", N: 1},
		{Server: "tgc", Method: "POST", Path: "/api/v310/session/login", N: 2},
		{Server: "tgc", Method: "GET", Path: "/api/v310/vm", N: 4},
		{Server: "tgc", Method: "POST", Path: "/api/v310/vm/vmListDownloadable", N: 1},
		{Server: "tgc", Method: "GET", Path: "/api/v310/vm/{id}", N: 1},
		{Server: "tgc", Method: "PUT", Path: "/api/v310/vm/{id}/affinity", N: 1},
		{Server: "tgc", Method: "GET", Path: "/downloads/{token}/{name}", N: 1},
	}
	if diff := cmp.Diff(want, s.Counts()); diff != "" {
		t.Errorf("served requests, failed ones not counted (-want +got):\n%s", diff)
	}
}

func TestErrorRate(t *testing.T) {
	s := start(t, sim.Options{ErrorRate: 1})
	tgc := login(t, s, s.TGCURL())
	seen := map[int]int{}
	for range 20 {
		a := tgc.do("GET", "/api/v310/vm", nil)
		seen[a.status]++
		if te := a.tintriError(t); te.Code != "ERR-API-0007" {
			t.Errorf("code = %q", te.Code)
		}
	}
	if seen[500]+seen[503] != 20 || seen[500] == 0 || seen[503] == 0 {
		t.Errorf("statuses = %v, want only 500 and 503, both", seen)
	}
	if _, err := sim.Start(sim.Options{ErrorRate: 1.5}); err == nil {
		t.Error("Start accepted error rate 1.5")
	}
}

func TestStopServer(t *testing.T) {
	s := start(t, sim.Options{})
	vs := login(t, s, s.VMstoreURLs()[0])
	if err := s.StopServer("vmstore-0"); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if err := s.StopServer("vmstore-0"); err != nil {
		t.Errorf("second stop: %v", err)
	}
	if _, err := vs.c.Get(s.VMstoreURLs()[0] + "/api/info"); err == nil {
		t.Error("stopped server still answers")
	}
	login(t, s, s.VMstoreURLs()[1]).do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	if err := s.StopServer("vmstore-9"); err == nil {
		t.Error("StopServer accepted an unknown server")
	}
	var stores []tintri.VmStore
	login(t, s, s.TGCURL()).do("GET", "/api/v310/vmstore", nil).decode(t, &stores)
	if len(stores) != 2 {
		t.Errorf("the TGC lists %d VMstores after one stopped, want 2", len(stores))
	}
}

// TestConcurrency runs parallel reads and writes through a small in-flight limit with
// latency; -race checks the shared state.
func TestConcurrency(t *testing.T) {
	s := start(t, sim.Options{MaxInflight: 2, Latency: time.Millisecond})
	tgc := login(t, s, s.TGCURL())
	vms := s.VMs()
	var wg sync.WaitGroup
	statuses := make([]int, 20)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				statuses[i] = tgc.do("GET", "/api/v310/vm?limit=5", nil).status
				return
			}
			statuses[i] = tgc.do("PUT", "/api/v310/vm/"+vms[i].ID()+"/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}).status
		}()
	}
	for range 5 {
		_ = s.VMs()
		s.AddVM("extra", 1)
	}
	wg.Wait()
	for i, st := range statuses {
		if want := []int{200, 204}[i%2]; st != want {
			t.Errorf("request %d: status %d, want %d", i, st, want)
		}
	}
	if s.Writes() != 10 {
		t.Errorf("Writes = %d, want 10", s.Writes())
	}
	if n := len(s.VMs()); n != 50 {
		t.Errorf("%d VMs after 5 AddVM, want 50", n)
	}
}
