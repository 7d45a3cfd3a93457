package tasks

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// reportNow is the fixed clock of the report tests.
var reportNow = time.Date(2026, 11, 26, 17, 45, 1, 0, time.UTC)

// dirNames lists the names in dir (sorted), failing the test on errors other than absence.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func TestVMReportCSVEndToEnd(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 70, Seed: 9})
	h := newHarness(t, s, `
  task "vm_report" "daily" {
    server = server.tgc
    fields = "templates/fields.csv"
    output = "reports/{job}-{task}-{date}-{time}.csv"
  }`, map[string]string{"templates/fields.csv": readTestdata(t, "report/fields.csv")})
	h.Engine.Now = func() time.Time { return reportNow }

	s.ResetCounters()
	tp := h.plan()
	if len(tp.Changes) != 1 {
		t.Fatalf("changes = %+v", tp.Changes)
	}
	goldenJSON(t, "report/plan.golden.json", tp, h.Dir)
	ch := tp.Changes[0]
	wantPath := filepath.Join(h.Dir, "reports", "test-daily-2026-11-26-174501.csv")
	if ch.Summary != "write report to "+wantPath+" (CSV, 3 fields)" || !ch.AlwaysApply || ch.Action != "create" {
		t.Errorf("change = %+v", ch)
	}
	s.ResetCounters()
	h.apply()
	calls := map[string]int64{}
	for _, c := range s.Counts() {
		if c.Path != "/api/info" && !strings.HasPrefix(c.Path, "/api/v310/session/") {
			calls[c.Method+" "+c.Path] += c.N
		}
	}
	if diff := cmp.Diff(map[string]int64{"POST /api/v310/vm/vmListDownloadable": 1, "GET /downloads/{token}/{name}": 1}, calls); diff != "" {
		t.Errorf("apply requests (-want +got):\n%s", diff)
	}
	if s.Writes() != 0 {
		t.Errorf("apply made %d writes", s.Writes())
	}
	if diff := cmp.Diff([]string{"test-daily-2026-11-26-174501.csv"}, dirNames(t, filepath.Join(h.Dir, "reports"))); diff != "" {
		t.Errorf("reports dir (-want +got):\n%s", diff)
	}
	f, err := os.Open(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"VmName", "TotalIops", "VMstoreName"}, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	// One row per VM: the VmName column lists every VM of the TGC once, in its order,
	// and each row has one cell per requested field.
	var wantNames, gotNames []string
	for _, vm := range s.VMs() {
		if vm.IsLive == nil || *vm.IsLive {
			wantNames = append(wantNames, vm.Name())
		}
	}
	for i, row := range rows[1:] {
		if len(row) != 3 {
			t.Errorf("row %d has %d cells, want 3: %q", i+2, len(row), row)
			continue
		}
		gotNames = append(gotNames, row[0])
	}
	if len(wantNames) != 70 {
		t.Fatalf("sim has %d live VMs, want 70", len(wantNames))
	}
	if diff := cmp.Diff(wantNames, gotNames); diff != "" {
		t.Errorf("report rows' VmName (-want +got):\n%s", diff)
	}
	// A report is not a state difference: the next run plans it again as a run, not a
	// change, writes a new report beside the first and counts it as run.
	h.Engine.Now = func() time.Time { return reportNow.Add(time.Hour) }
	p, err := h.Engine.Plan(context.Background(), engine.Selection{Jobs: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes() != 0 || p.Runs() != 1 {
		t.Errorf("second plan: %d changes, %d runs; want 0 and 1", p.Changes(), p.Runs())
	}
	s.ResetCounters()
	res, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr := res.Tasks[0]; tr.Runs != 1 || tr.Changed != 0 || tr.Failed != 0 {
		t.Errorf("second apply result = %+v; want 1 run and no state change", tr)
	}
	if s.Writes() != 0 {
		t.Errorf("second apply made %d writes", s.Writes())
	}
	want := []string{"test-daily-2026-11-26-174501.csv", "test-daily-2026-11-26-184501.csv"}
	if diff := cmp.Diff(want, dirNames(t, filepath.Join(h.Dir, "reports"))); diff != "" {
		t.Errorf("reports dir after the second run (-want +got):\n%s", diff)
	}
}

func TestVMReportJSON(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 20, Seed: 9})
	h := newHarness(t, s, `
  task "vm_report" "json" {
    server = server.tgc
    fields = ["VmName", "Uuid"]
    output = "out/{datetime}.json"
    format = "json"
    since  = "2026-11-25T00:00:00Z"
    until  = "2026-11-26T00:00:00+01:00"
  }`, nil)
	h.Engine.Now = func() time.Time { return reportNow }
	tp := h.plan()
	var spec reportSpec
	if err := json.Unmarshal(tp.Changes[0].After, &spec); err != nil {
		t.Fatal(err)
	}
	want := reportSpec{Path: filepath.Join(h.Dir, "out", "20261126T174501Z.json"), Fields: []string{"VmName", "Uuid"}, Format: "JSON",
		Since: "2026-11-25T00:00:00.000+0000", Until: "2026-11-26T00:00:00.000+0100", Mode: "0640"}
	if diff := cmp.Diff(want, spec); diff != "" {
		t.Errorf("planned report (-want +got):\n%s", diff)
	}
	h.apply()
	b, err := os.ReadFile(spec.Path)
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 || got[0]["VmName"] != s.VMs()[0].Name() || got[0]["Uuid"] != s.VMs()[0].ID() {
		t.Errorf("report: %d rows, first %v", len(got), got[0])
	}
}

// cancelWriter cancels a context after its first write, interrupting a download mid-stream.
type cancelWriter struct {
	w      io.Writer
	cancel context.CancelFunc
	writes int
}

func (c *cancelWriter) Write(p []byte) (int, error) {
	c.writes++
	c.cancel()
	return c.w.Write(p)
}

// TestVMReportInterruptedDownloadLeavesNoFile cancels a download after its first write:
// neither the report nor its temporary file is left behind.
func TestVMReportInterruptedDownloadLeavesNoFile(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 2000, Seed: 1})
	c := simClient(t, s)
	url, err := c.RequestVMReport(context.Background(), tintri.VirtualMachineDownloadableReportFilter{
		Attributes: tintri.VMReportAttributes, Format: "CSV"})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "reports", "vms.csv")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cw *cancelWriter
	_, err = writeAtomic(out, 0o640, func(w io.Writer) (int64, error) {
		cw = &cancelWriter{w: w, cancel: cancel}
		return c.Download(ctx, url, cw)
	})
	if !errors.Is(err, context.Canceled) || cw.writes == 0 {
		t.Fatalf("err = %v after %d writes, want context.Canceled after a write", err, cw.writes)
	}
	if names := dirNames(t, filepath.Dir(out)); len(names) != 0 {
		t.Errorf("files left: %v", names)
	}
}

// TestVMReportFailedDownloadKeepsEarlierReport: through the engine, a report download the
// TGC answers with an error leaves the earlier report at the output path untouched and no
// temporary file; the next apply writes the whole report.
func TestVMReportFailedDownloadKeepsEarlierReport(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 10})
	h := newHarness(t, s, `
  task "vm_report" "r" {
    server = server.tgc
    fields = ["VmName"]
    output = "reports/r.csv"
  }`, map[string]string{"reports/r.csv": "old report\n"})
	out := filepath.Join(h.Dir, "reports", "r.csv")
	// Every attempt fails: reads are retried on 500, so one failure would be absorbed.
	s.FailNextMatching("tgc", "GET", "/downloads/", tintri.DefaultRetryPolicy().MaxAttempts, 500)
	msg := h.applyErr()
	want := fmt.Sprintf("vm report %s: download: %s: GET .../r.csv: status 500 ERR-API-0007: "+
		"An internal server error occured while processing the API call (injected fault)", out, strings.TrimPrefix(s.TGCURL(), "https://"))
	if msg != want {
		t.Errorf("apply error:\n got %s\nwant %s", msg, want)
	}
	if diff := cmp.Diff([]string{"r.csv"}, dirNames(t, filepath.Dir(out))); diff != "" {
		t.Errorf("reports dir (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(out); string(b) != "old report\n" {
		t.Errorf("earlier report changed: %q", b)
	}
	h.apply()
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
	if err != nil || len(rows) != 11 || len(rows[0]) != 1 || rows[0][0] != "VmName" {
		t.Errorf("report after the retry: %d rows, header %v, err %v", len(rows), rows[0], err)
	}
}

func TestVMReportDecodeErrors(t *testing.T) {
	l := taskLine
	head := "\n  task \"vm_report\" \"t\" {\n    server = server.tgc\n" // task lines 1-3
	cases := []struct {
		name, body string // from task line 4
		files      map[string]string
		want       []string
	}{
		{"unknown fields in file", "    fields = \"f.csv\"\n    output = \"r.csv\"\n",
			map[string]string{"f.csv": "# template\nVmName\nTotalIop,typo\nvmname\n"}, []string{
				`f.csv:3: Invalid report field: unknown report field "TotalIop" (did you mean "TotalIops", "TotalMBps", "normalizedTotalIops"?).`,
				`f.csv:4: Invalid report field: unknown report field "vmname" (did you mean "VmName"? field names are case-sensitive).`}},
		{"duplicate field in file", "    fields = \"f.csv\"\n    output = \"r.csv\"\n",
			map[string]string{"f.csv": "VmName\r\nUuid\r\nVmName,again\r\n"}, []string{
				`f.csv:3: Invalid report field: field "VmName" is already listed on line 1.`}},
		{"malformed fields file", "    fields = \"f.csv\"\n    output = \"r.csv\"\n",
			map[string]string{"f.csv": "VmName\n\"Uuid,desc\n"}, []string{
				`f.csv:2: Invalid report field: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "\"Uuid,desc".`}},
		{"empty fields file", "    fields = \"f.csv\"\n    output = \"r.csv\"\n",
			map[string]string{"f.csv": "\uFEFF# nothing\n"}, []string{
				`f.csv:1: Invalid report field: no report fields: the file lists none.`}},
		{"missing fields file", "    fields = \"nope.csv\"\n    output = \"r.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Unreadable field list: Cannot read the report field list: read nope.csv: open nope.csv: no such file or directory.`, l(4))}},
		{"unknown field in list", "    fields = [\"VmName\", \"Latency\"]\n    output = \"r.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid report field: Unknown report field "Latency" (did you mean "DiskLatency", "HostLatency", "TotalLatency"?).`, l(4))}},
		{"duplicate field in list", "    fields = [\"VmName\", \"VmName\"]\n    output = \"r.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid report field: Field "VmName" is listed twice.`, l(4))}},
		{"empty list", "    fields = []\n    output = \"r.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Empty fields: The fields attribute must list at least one report field.`, l(4))}},
		{"unknown placeholder", "    fields = [\"VmName\"]\n    output = \"r-{host}-{date}.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Unknown placeholder: The output placeholder {host} is not one of {date} {time} {datetime} {job} {task}.`, l(5))}},
		{"output is a directory", "    fields = [\"VmName\"]\n    output = \"reports/\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid output: The output attribute must name a file, not "reports/".`, l(5))}},
		{"output names a directory", "    fields = [\"VmName\"]\n    output = \"reports\"\n", map[string]string{"reports/old.csv": ""}, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid output: The output "reports" is a directory: name a file in it, such as "reports/{job}-{date}.csv".`, l(5))}},
		{"bad format", "    fields = [\"VmName\"]\n    output = \"r.csv\"\n    format = \"xlsx\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid format: The format attribute must be one of "csv", "json", not "xlsx".`, l(6))}},
		{"bad since", "    fields = [\"VmName\"]\n    output = \"r.csv\"\n    since = \"2026-11-25 00:00\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid since: The since attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z or a duration before the plan time such as "-24h", not "2026-11-25 00:00".`, l(6))}},
		{"until before since", "    fields = [\"VmName\"]\n    output = \"r.csv\"\n    since = \"2026-11-25T00:00:00Z\"\n    until = \"2026-11-24T00:00:00Z\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid until: The until time 2026-11-24T00:00:00Z must be after the since time 2026-11-25T00:00:00Z.`, l(7))}},
		{"missing output", "    fields = [\"VmName\"]\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Missing required argument: The argument "output" is required, but no definition was found.`, l(2))}},
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

// TestVMReportPathAsConfigGiven: loaded the way the CLI loads (config.OSFS, paths as typed),
// a relative job file gives a report path relative to the working directory, joined to the
// job file's directory, and the plan summary shows it so.
func TestVMReportPathAsConfigGiven(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 5})
	dir := writeFiles(t, map[string]string{"conf/job.hcl": jobSource(s, `
  task "vm_report" "r" {
    server = server.tgc
    fields = ["VmName"]
    output = "reports/{job}.csv"
  }`)})
	t.Chdir(dir)
	for _, tc := range []struct{ config, want string }{
		{"conf/job.hcl", "write report to conf/reports/test.csv (CSV, 1 field)"},
		{filepath.ToSlash(filepath.Join(dir, "conf", "job.hcl")), "write report to " + filepath.Join(dir, "conf", "reports", "test.csv") + " (CSV, 1 field)"},
	} {
		cfg, diags := engine.Load(config.OSFS{}, tc.config, config.LoadOptions{Env: simEnviron(s)})
		if diags.HasErrors() {
			t.Fatalf("load %s: %s", tc.config, strings.Join(diagLines(diags), "\n"))
		}
		h := harnessFor(t, s, dir, cfg)
		if tp := h.plan(); len(tp.Changes) != 1 || tp.Changes[0].Summary != tc.want {
			t.Errorf("%s: changes = %+v, want summary %q", tc.config, tp.Changes, tc.want)
		}
	}
}
