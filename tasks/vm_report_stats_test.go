package tasks

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// statFieldsFile is a field file naming report attributes and VM statistics, with
// descriptions (one missing).
const statFieldsFile = "Field,Description\nVmName,VM\nlatencyTotalMs,Latency (ms)\noperationsTotalIops\nTotalIops,IOPS (report)\nspaceUsedGiB,Space used (GiB)\n"

// TestVMReportStatFields writes a CSV report joining report attributes and the VMs' stat,
// headed by the field file's descriptions: every row has its VM's figures, the report's
// TotalIops agrees with stat's operationsTotalIops, and the file is group-readable. A
// second run writes another whole report and nothing on the TGC.
func TestVMReportStatFields(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 30, Seed: 5})
	h := newHarness(t, s, `
  task "vm_report" "stats" {
    server = server.tgc
    fields = "fields.csv"
    header = "description"
    output = "reports/stats.csv"
  }`, map[string]string{"fields.csv": statFieldsFile})
	tp := h.plan()
	want := "write report to " + filepath.Join(h.Dir, "reports", "stats.csv") + " (CSV, 5 fields, 3 from the VMs' statistics)"
	if len(tp.Changes) != 1 || tp.Changes[0].Summary != want {
		t.Fatalf("changes = %+v, want %q", tp.Changes, want)
	}
	s.ResetCounters()
	h.apply()
	if s.Writes() != 0 {
		t.Errorf("apply made %d writes", s.Writes())
	}
	path := filepath.Join(h.Dir, "reports", "stats.csv")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("report file: %v, %v; want mode 0640", fi, err)
	}
	rows := readCSVFile(t, path)
	if diff := cmp.Diff([]string{"VM", "Latency (ms)", "operationsTotalIops", "IOPS (report)", "Space used (GiB)"}, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	var wantRows [][]string
	for _, vm := range s.VMs() {
		st := vm.Stat.SortedStats[0]
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
		wantRows = append(wantRows, []string{vm.Name(), f(st.LatencyTotalMs), f(st.OperationsTotalIops), f(st.OperationsTotalIops), f(st.SpaceUsedGiB)})
	}
	if diff := cmp.Diff(wantRows, rows[1:]); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
}

// TestVMReportStatFieldsJSON writes a JSON report of VM statistics: an object per VM whose
// keys are the field names, the figures numbers, with the file's mode as configured.
func TestVMReportStatFieldsJSON(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 12, Seed: 5})
	h := newHarness(t, s, `
  task "vm_report" "stats" {
    server = server.tgc
    fields = ["VmName", "throughputTotalMBps", "flashHitPercent"]
    format = "json"
    output = "stats.json"
    mode   = "0600"
  }`, nil)
	h.apply()
	path := filepath.Join(h.Dir, "stats.json")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("report file: %v, %v; want mode 0600", fi, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var want []map[string]any
	for _, vm := range s.VMs() {
		st := vm.Stat.SortedStats[0]
		want = append(want, map[string]any{"VmName": vm.Name(), "throughputTotalMBps": st.ThroughputTotalMBps, "flashHitPercent": st.FlashHitPercent})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

// TestVMReportHistoricStats: since and until relative to the plan time become absolute
// times in the plan; the statistics are each VM's historic slices over the period, space
// from the latest slice and the rest averaged.
func TestVMReportHistoricStats(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 8, Seed: 2})
	now := time.Now().UTC().Truncate(time.Minute)
	h := newHarness(t, s, `
  task "vm_report" "day" {
    server = server.tgc
    fields = ["Uuid", "latencyTotalMs", "spaceUsedGiB"]
    output = "day.csv"
    since  = "-24h"
    until  = "-1h"
  }`, nil)
	h.Engine.Now = func() time.Time { return now }
	tp := h.plan()
	var spec reportSpec
	if err := json.Unmarshal(tp.Changes[0].After, &spec); err != nil {
		t.Fatal(err)
	}
	since, until := now.Add(-24*time.Hour), now.Add(-time.Hour)
	if spec.Since != tintri.FormatTime(since) || spec.Until != tintri.FormatTime(until) {
		t.Errorf("planned period %s … %s, want %s … %s", spec.Since, spec.Until, tintri.FormatTime(since), tintri.FormatTime(until))
	}
	s.ResetCounters()
	h.apply()
	historic := int64(0)
	for _, c := range s.Counts() {
		if c.Path == "/api/v310/vm/{id}/statsHistoric" {
			historic += c.N
		}
	}
	if historic != 8 {
		t.Errorf("%d statsHistoric requests, want one per VM (8)", historic)
	}
	c := simClient(t, s)
	for _, row := range readCSVFile(t, filepath.Join(h.Dir, "day.csv"))[1:] {
		st, err := c.VMStatsHistoric(context.Background(), row[0], since, until)
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, sl := range st.SortedStats {
			sum += sl.LatencyTotalMs
		}
		wantLatency := math.Round(sum/float64(len(st.SortedStats))*100) / 100
		wantSpace := st.SortedStats[len(st.SortedStats)-1].SpaceUsedGiB
		if row[1] != fmt.Sprint(wantLatency) || row[2] != fmt.Sprint(wantSpace) {
			t.Errorf("vm %s: %v, want latency %v (mean of %d slices), space %v (latest)", row[0], row[1:], wantLatency, len(st.SortedStats), wantSpace)
		}
	}
}

// TestVMReportMixedPeriodRefusedAtPlan: an absolute since and a relative until are compared
// when the plan time is known.
func TestVMReportMixedPeriodRefusedAtPlan(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 3})
	h := newHarness(t, s, `
  task "vm_report" "r" {
    server = server.tgc
    fields = ["VmName"]
    output = "r.csv"
    since  = "2026-11-26T12:00:00Z"
    until  = "-24h"
  }`, nil)
	h.Engine.Now = func() time.Time { return reportNow } // 2026-11-26 17:45:01 UTC
	want := "server tgc: vm report: until 2026-11-25T17:45:01.000+0000 is not after since 2026-11-26T12:00:00.000+0000"
	if got := h.planErr(); got != want {
		t.Errorf("plan error:\n got %s\nwant %s", got, want)
	}
}

func TestVMReportOptionErrors(t *testing.T) {
	l := taskLine
	head := "\n  task \"vm_report\" \"t\" {\n    server = server.tgc\n    output = \"r.csv\"\n" // task lines 1-4
	cases := []struct {
		name, body string // from task line 5
		files      map[string]string
		want       []string
	}{
		{"unknown stat field", "    fields = [\"VmName\", \"latencyTotal\"]\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid report field: Unknown report field "latencyTotal" (did you mean "latencyTotalMs", "latencyHostMs", "latencyDiskMs"?).`, l(5))}},
		{"stat field in the wrong case", "    fields = [\"LatencyTotalMs\"]\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid report field: Unknown report field "LatencyTotalMs" (did you mean "latencyTotalMs"? field names are case-sensitive).`, l(5))}},
		{"relative since in days", "    fields = [\"VmName\"]\n    since = \"-1d\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid since: The since attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z or a duration before the plan time such as "-24h", not "-1d".`, l(6))}},
		{"duration without its minus", "    fields = [\"VmName\"]\n    until = \"24h\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid until: The until attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z or a duration before the plan time such as "-24h", not "24h".`, l(6))}},
		{"relative until before since", "    fields = [\"VmName\"]\n    since = \"-1h\"\n    until = \"-2h\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid until: The until time -2h must be after the since time -1h.`, l(7))}},
		{"mode group-writable", "    fields = [\"VmName\"]\n    mode = \"0660\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode 0660 lets group or others write, or someone execute, the report; use at most 0644.`, l(6))}},
		{"mode executable", "    fields = [\"VmName\"]\n    mode = \"0740\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode 0740 lets group or others write, or someone execute, the report; use at most 0644.`, l(6))}},
		{"mode not octal", "    fields = [\"VmName\"]\n    mode = \"rw-r-----\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode must be an octal file mode such as "0640", not "rw-r-----".`, l(6))}},
		{"mode with setuid", "    fields = [\"VmName\"]\n    mode = \"4640\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode must be an octal file mode such as "0640", not "4640".`, l(6))}},
		{"mode the owner cannot read", "    fields = [\"VmName\"]\n    mode = \"0240\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode 0240 does not let the owner read the report.`, l(6))}},
		{"descriptions of a list", "    fields = [\"VmName\"]\n    header = \"description\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid header: header = "description" takes the descriptions of a field file; these fields are a list.`, l(6))}},
		{"unknown header", "    fields = [\"VmName\"]\n    header = \"title\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid header: The header attribute must be one of "name", "description", not "title".`, l(6))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := diagLines(decodeTask(t, head+c.body+"  }", c.files))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// readCSVFile reads a whole CSV file.
func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %d rows, %v", path, len(rows), err)
	}
	return rows
}

// TestStatFigures aggregates historic slices: a space figure is the latest slice's, the
// others the mean, rounded to two decimals.
func TestStatFigures(t *testing.T) {
	slices := []tintri.VirtualMachineStat{
		{SpaceUsedGiB: 10, LatencyTotalMs: 1, OperationsTotalIops: 100},
		{SpaceUsedGiB: 12, LatencyTotalMs: 2, OperationsTotalIops: 101},
		{SpaceUsedGiB: 11, LatencyTotalMs: 2, OperationsTotalIops: 101},
	}
	got := statFigures(slices, []string{"spaceUsedGiB", "latencyTotalMs", "operationsTotalIops"})
	want := map[string]float64{"spaceUsedGiB": 11, "latencyTotalMs": 1.67, "operationsTotalIops": 100.67}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("figures (-want +got):\n%s", diff)
	}
}

// BenchmarkVMReportStats2k measures applying a report joining 3 report attributes and 3
// VM statistics over 2,000 VMs: the TGC's report streamed, one listing of the VMs' stat.
func BenchmarkVMReportStats2k(b *testing.B) {
	s := startSim(b, sim.Options{VMs: 2000, Seed: 1})
	h := newHarness(b, s, `
  task "vm_report" "stats" {
    server = server.tgc
    fields = ["VmName", "TotalIops", "SpaceUsed", "latencyTotalMs", "operationsTotalIops", "spaceUsedGiB"]
    output = "stats.csv"
  }`, nil)
	for b.Loop() {
		h.apply()
	}
}
