package sim_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestVMReport(t *testing.T) {
	s := start(t, sim.Options{VMs: 30})
	tgc := login(t, s, s.TGCURL())
	attrs := []string{"VmName", "TotalIops", "VMstoreName", "Uuid", "PowerOn"}
	filter := func(format string, attrs ...string) map[string]any {
		return map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": attrs, "format": format, "attachment": "vms." + strings.ToLower(format), "since": "", "until": ""}
	}
	a := tgc.do("POST", "/api/v310/vm/vmListDownloadable", filter("CSV", attrs...))
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("report request: %d %q %s", a.status, a.header.Get("Content-Type"), a.body)
	}
	reportURL := string(a.body)
	if !strings.HasPrefix(reportURL, s.TGCURL()+"/") {
		t.Fatalf("report URL %q is not on the TGC %s", reportURL, s.TGCURL())
	}
	// A plain GET without the session, as the vendor's download_file does.
	anon := &session{t: t, c: httpClient(t, s)}
	d := anon.do("GET", reportURL, nil)
	if d.status != http.StatusOK || d.header.Get("Content-Disposition") != `attachment; filename="vms.csv"` {
		t.Fatalf("download: %d disposition %q", d.status, d.header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(d.body))).ReadAll()
	if err != nil {
		t.Fatalf("parse csv: %v", err)
	}
	if diff := cmp.Diff(attrs, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	vms := s.VMs()
	if len(rows)-1 != len(vms) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(vms))
	}
	for i, vm := range vms {
		if rows[i+1][0] != vm.Name() || rows[i+1][2] != vm.VmstoreName || rows[i+1][3] != vm.ID() {
			t.Errorf("row %d = %v, want %s %s %s", i+1, rows[i+1], vm.Name(), vm.VmstoreName, vm.ID())
		}
	}
	again := anon.do("GET", reportURL, nil)
	if string(again.body) != string(d.body) {
		t.Error("the same report downloaded twice differs: stats are not deterministic")
	}

	j := tgc.do("POST", "/api/v310/vm/vmListDownloadable", filter("JSON", "VmName", "ReadIops"))
	var items []map[string]json.RawMessage
	anon.do("GET", string(j.body), nil).decode(t, &items)
	if len(items) != len(vms) || string(items[0]["VmName"]) != `"`+vms[0].Name()+`"` {
		t.Errorf("JSON report: %d items, first %v", len(items), items[0])
	}

	tgc.do("POST", "/api/v310/vm/vmListDownloadable", filter("CSV", "VmName", "Colour")).wantError(t, http.StatusBadRequest, "ERR-API-0203")
	tgc.do("POST", "/api/v310/vm/vmListDownloadable", filter("XML", "VmName")).wantError(t, http.StatusBadRequest, "ERR-API-0203")
	tgc.do("POST", "/api/v310/vm/vmListDownloadable", filter("CSV")).wantError(t, http.StatusBadRequest, "ERR-API-0203")
	anon.do("GET", s.TGCURL()+"/downloads/0123/vms.csv", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	if s.Writes() != 0 {
		t.Errorf("Writes = %d, want 0: report requests change nothing", s.Writes())
	}
}

// TestVMReportAgreesWithStat: a report without since and until gives each VM the figures
// its stat holds, for every report attribute the stat has.
func TestVMReportAgreesWithStat(t *testing.T) {
	s := start(t, sim.Options{VMs: 25, Seed: 4})
	tgc := login(t, s, s.TGCURL())
	pairs := []struct {
		attr string
		stat func(*tintri.VirtualMachineStat) float64
	}{
		{"TotalIops", func(s *tintri.VirtualMachineStat) float64 { return s.OperationsTotalIops }},
		{"ReadMBps", func(s *tintri.VirtualMachineStat) float64 { return s.ThroughputReadMBps }},
		{"TotalLatency", func(s *tintri.VirtualMachineStat) float64 { return s.LatencyTotalMs }},
		{"SpaceUsed", func(s *tintri.VirtualMachineStat) float64 { return s.SpaceUsedGiB }},
		{"SpaceProvisioned", func(s *tintri.VirtualMachineStat) float64 { return s.SpaceProvisionedGiB }},
		{"FlashHitPercent", func(s *tintri.VirtualMachineStat) float64 { return s.FlashHitPercent }},
		{"SpaceChangePerDay", func(s *tintri.VirtualMachineStat) float64 { return s.ChangeMBPerDay / 1024 }},
	}
	attrs := []string{"Uuid"}
	for _, p := range pairs {
		attrs = append(attrs, p.attr)
	}
	a := tgc.do("POST", "/api/v310/vm/vmListDownloadable", map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": attrs, "format": "JSON"})
	var rows []map[string]any
	tgc.do("GET", string(a.body), nil).decode(t, &rows)
	byID := map[string]map[string]any{}
	for _, r := range rows {
		byID[r["Uuid"].(string)] = r
	}
	for _, vm := range s.VMs() {
		st := &vm.Stat.SortedStats[0]
		for _, p := range pairs {
			got, _ := byID[vm.ID()][p.attr].(float64)
			if want := p.stat(st); math.Abs(got-want) > 0.005 {
				t.Errorf("%s %s = %v, stat says %v", vm.Name(), p.attr, got, want)
			}
		}
	}
}
