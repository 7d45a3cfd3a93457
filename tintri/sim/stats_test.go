package sim_test

import (
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// checkSlice checks that a statistics slice is plausible: typed, of the given length, with
// totals that add up and no I/O for a powered-off VM.
func checkSlice(t *testing.T, who string, s tintri.VirtualMachineStat, d time.Duration, powered bool) {
	t.Helper()
	start, err1 := tintri.ParseTime(s.TimeStart)
	end, err2 := tintri.ParseTime(s.TimeEnd)
	near := func(a, b float64) bool { return math.Abs(a-b) < 0.015 }
	switch {
	case s.TypeID != tintri.TypeVirtualMachineStat || err1 != nil || err2 != nil || end.Sub(start) != d || s.IntervalSeconds != int(d/time.Second):
		t.Errorf("%s: slice typeId %q, %s … %s, interval %d; want %v", who, s.TypeID, s.TimeStart, s.TimeEnd, s.IntervalSeconds, d)
	case s.SpaceProvisionedGiB < s.SpaceUsedLiveGiB || s.SpaceUsedLiveGiB <= 0 ||
		!near(s.SpaceUsedGiB, s.SpaceUsedLiveGiB+s.SpaceUsedSnapshotsTintriGiB+s.SpaceUsedSnapshotsHypervisorGiB):
		t.Errorf("%s: space does not add up: %+v", who, s)
	case s.OperationsTotalIops != s.OperationsReadIops+s.OperationsWriteIops || s.NormalizedTotalIops < s.OperationsTotalIops ||
		!near(s.ThroughputTotalMBps, s.ThroughputReadMBps+s.ThroughputWriteMBps):
		t.Errorf("%s: I/O does not add up: %+v", who, s)
	case !near(s.LatencyTotalMs, s.LatencyHostMs+s.LatencyNetworkMs+s.LatencyStorageMs) || s.LatencyDiskMs > s.LatencyStorageMs:
		t.Errorf("%s: latency does not add up: %+v", who, s)
	case !powered && (s.OperationsTotalIops != 0 || s.LatencyTotalMs != 0):
		t.Errorf("%s: powered off but busy: %+v", who, s)
	case powered && s.LatencyTotalMs == 0 && s.OperationsTotalIops == 0:
		t.Errorf("%s: powered on but idle: %+v", who, s)
	}
}

// statValues is a VM's latest stat slice without its times.
func statValues(t *testing.T, vm tintri.VirtualMachine) tintri.VirtualMachineStat {
	t.Helper()
	if vm.Stat == nil || vm.Stat.TypeID != tintri.TypeStats || vm.Stat.NumberOfSlices != 1 || len(vm.Stat.SortedStats) != 1 {
		t.Fatalf("%s: stat = %+v, want one slice", vm.Name(), vm.Stat)
	}
	s := vm.Stat.SortedStats[0]
	s.TimeStart, s.TimeEnd = "", ""
	return s
}

// TestVMStat: every VM carries stat.sortedStats[0] (as get_vm_stats.py reads it) with
// plausible figures that depend on the seed only, the same through the TGC and the VMstore.
func TestVMStat(t *testing.T) {
	a := start(t, sim.Options{Seed: 5, VMs: 40})
	b := start(t, sim.Options{Seed: 5, VMs: 40})
	c := start(t, sim.Options{Seed: 6, VMs: 40})
	tgcVMs := login(t, a, a.TGCURL()).listVMs("/api/v310/vm?limit=15")
	for _, vm := range tgcVMs {
		checkSlice(t, vm.Name(), vm.Stat.SortedStats[0], 10*time.Minute, vm.Vmware.IsPowered)
	}
	byName := func(vms []tintri.VirtualMachine) map[string]tintri.VirtualMachineStat {
		out := map[string]tintri.VirtualMachineStat{}
		for _, vm := range vms {
			out[vm.Name()] = statValues(t, vm)
		}
		return out
	}
	want := byName(tgcVMs)
	if diff := cmp.Diff(want, byName(b.VMs())); diff != "" {
		t.Errorf("same seed, different stats (-a +b):\n%s", diff)
	}
	if cmp.Equal(want, byName(c.VMs())) {
		t.Error("different seeds gave the same stats")
	}
	onStore := byName(login(t, a, a.VMstoreURLs()[0]).listVMs("/api/v310/vm"))
	for name, s := range onStore {
		if diff := cmp.Diff(want[name], s); diff != "" {
			t.Errorf("%s: VMstore stat differs from the TGC's (-tgc +vmstore):\n%s", name, diff)
		}
	}
	if len(onStore) == 0 {
		t.Error("no VMs on vmstore-0")
	}
}

// TestVMStatsHistoric: statsHistoric answers the default 30 minutes in one page (three
// 10-minute slices, as a client that never follows next expects), honours since and until,
// and gives the same slices for the same window; statsRealtime gives a 10-second slice on a
// VMstore only.
func TestVMStatsHistoric(t *testing.T) {
	s := start(t, sim.Options{VMs: 20})
	tgc := login(t, s, s.TGCURL())
	var vm tintri.VirtualMachine
	for _, v := range s.VMs() {
		if v.Vmware.IsPowered {
			vm = v
			break
		}
	}
	path := "/api/v310/vm/" + vm.ID() + "/statsHistoric"
	historic := func(query string) tintri.Stats {
		t.Helper()
		var p struct {
			tintri.Page
			Items []tintri.Stats `json:"items"`
		}
		before := time.Now()
		tgc.do("GET", path+query, nil).decode(t, &p)
		if p.TypeID != tintri.TypePage || p.Next != "" || len(p.Items) != 1 || p.FilteredTotal != 1 {
			t.Fatalf("GET %s: page %+v, want one Stats and no next", query, p.Page)
		}
		st := p.Items[0]
		for i, sl := range st.SortedStats {
			checkSlice(t, vm.Name(), sl, 10*time.Minute, true)
			if end, _ := tintri.ParseTime(sl.TimeEnd); end.After(before.Add(time.Minute)) {
				t.Errorf("slice %d ends in the future: %s", i, sl.TimeEnd)
			}
			if i > 0 && sl.TimeStart != st.SortedStats[i-1].TimeEnd {
				t.Errorf("slice %d starts at %s, not where slice %d ends", i, sl.TimeStart, i-1)
			}
		}
		if st.TypeID != tintri.TypeStats || st.NumberOfSlices != len(st.SortedStats) {
			t.Errorf("stats %s, %d slices, numberOfSlices %d", st.TypeID, len(st.SortedStats), st.NumberOfSlices)
		}
		return st
	}
	if def := historic(""); len(def.SortedStats) != 3 {
		t.Errorf("default window: %d slices, want 3", len(def.SortedStats))
	}
	until := time.Now().Add(-time.Hour).Truncate(time.Hour)
	at := func(t time.Time) string { return url.QueryEscape(tintri.FormatTime(t)) }
	window := "?since=" + at(until.Add(-24*time.Hour)) + "&until=" + at(until)
	day := historic(window)
	if len(day.SortedStats) != 144 || day.SortedStats[143].TimeEnd != tintri.FormatTime(until) {
		t.Fatalf("24h window: %d slices, last ends %s; want 144 ending %s", len(day.SortedStats), day.SortedStats[len(day.SortedStats)-1].TimeEnd, tintri.FormatTime(until))
	}
	if diff := cmp.Diff(day, historic(window)); diff != "" {
		t.Errorf("same window, different slices (-first +second):\n%s", diff)
	}
	iops := map[float64]bool{}
	for _, sl := range day.SortedStats {
		iops[sl.OperationsTotalIops] = true
		if sl.SpaceUsedGiB != day.SortedStats[0].SpaceUsedGiB {
			t.Errorf("space changes between slices: %v, %v", sl.SpaceUsedGiB, day.SortedStats[0].SpaceUsedGiB)
		}
	}
	if len(iops) < 100 {
		t.Errorf("only %d distinct IOPS values in 144 slices", len(iops))
	}

	for _, q := range []string{"?since=yesterday", "?until=" + at(until) + "&since=" + at(until.Add(time.Hour)),
		"?since=" + at(until.Add(-40*24*time.Hour)) + "&until=" + at(until)} {
		tgc.do("GET", path+q, nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	}
	tgc.do("GET", "/api/v310/vm/nope/statsHistoric", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/vm/"+vm.ID()+"/statsRealtime", nil).wantError(t, http.StatusBadRequest, "ERR-API-0005")

	var rt struct {
		Items []tintri.Stats `json:"items"`
	}
	login(t, s, "https://"+vm.VmstoreName).do("GET", "/api/v310/vm/"+vm.ID()+"/statsRealtime", nil).decode(t, &rt)
	if len(rt.Items) != 1 || len(rt.Items[0].SortedStats) != 1 {
		t.Fatalf("realtime = %+v, want one Stats with one slice", rt.Items)
	}
	checkSlice(t, vm.Name(), rt.Items[0].SortedStats[0], 10*time.Second, true)
}

// TestVMSortedBy: GET /v310/vm honours sortedBy (name, vmstoreName on the TGC, any stat
// field) and sortOrder across pages, and refuses what it does not support.
func TestVMSortedBy(t *testing.T) {
	s := start(t, sim.Options{VMs: 45, VMstores: 3})
	tgc := login(t, s, s.TGCURL())
	all := names(s.VMs())
	tests := []struct {
		query string
		key   func(tintri.VirtualMachine) float64 // nil: by name
		desc  bool
	}{
		{"sortedBy=spaceUsedGiB&sortOrder=DESC", func(vm tintri.VirtualMachine) float64 { return vm.Stat.SortedStats[0].SpaceUsedGiB }, true},
		{"sortedBy=latencyTotalMs", func(vm tintri.VirtualMachine) float64 { return vm.Stat.SortedStats[0].LatencyTotalMs }, false},
		{"sortedBy=operationsTotalIops&sortOrder=asc", func(vm tintri.VirtualMachine) float64 { return vm.Stat.SortedStats[0].OperationsTotalIops }, false},
		{"sortOrder=DESC", nil, true},
		{"sortedBy=vmware.name", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := tgc.listVMs("/api/v310/vm?limit=7&" + tt.query)
			if diff := cmp.Diff(all, names(got), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Fatalf("not every VM once (-want +got):\n%s", diff)
			}
			if tt.key == nil {
				want := slices.Clone(all)
				if tt.desc {
					slices.Reverse(want)
				}
				if diff := cmp.Diff(want, names(got)); diff != "" {
					t.Errorf("order (-want +got):\n%s", diff)
				}
				return
			}
			keys := make([]float64, len(got))
			for i, vm := range got {
				keys[i] = tt.key(vm)
			}
			if tt.desc {
				slices.Reverse(keys)
			}
			if !sort.Float64sAreSorted(keys) || keys[0] == keys[len(keys)-1] {
				t.Errorf("keys not in order: %v", keys)
			}
		})
	}
	byStore := tgc.listVMs("/api/v310/vm?sortedBy=vmstoreName")
	if !slices.IsSortedFunc(byStore, func(a, b tintri.VirtualMachine) int { return strings.Compare(a.VmstoreName, b.VmstoreName) }) {
		t.Errorf("sortedBy=vmstoreName: not sorted")
	}
	vs := login(t, s, s.VMstoreURLs()[0])
	for _, q := range []string{"sortedBy=color", "sortedBy=spaceUsedGiB&sortOrder=sideways"} {
		tgc.do("GET", "/api/v310/vm?"+q, nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	}
	vs.do("GET", "/api/v310/vm?sortedBy=vmstoreName", nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
}
