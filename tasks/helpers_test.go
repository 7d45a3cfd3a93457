package tasks

// Shared test helpers of package tasks. Every task kind's tests use them:
//
//	s := startSim(t, sim.Options{VMs: 50})         // simulator over HTTPS on loopback, closed by t.Cleanup
//	h := newHarness(t, s, `
//	  task "vm_affinity" "never" {
//	    server        = server.tgc
//	    name_contains = "vdi"
//	    rule          = "never"
//	  }`, map[string]string{"vms.csv": "vdi-0001\n"})   // extra files beside the job file
//	tp := h.plan()     // plans the one task; fails the test on a task error; returns its TaskPlan
//	h.apply()          // plans again and applies everything (engine path, like the CLI)
//
// Functions (t is a testing.TB, so benchmarks use them too):
//
//   - startSim(t, opts) starts a simulator and closes it at the end of the test.
//   - jobSource(s, taskHCL) returns a complete job file: server "tgc" (kind tgc), servers
//     "vmstore0".."vmstoreN-1" (kind vmstore), fleet "lab" (urls of every VMstore) and
//     job "test" holding taskHCL. The password comes from env("TINTRI_PASSWORD"), which
//     simEnviron supplies, so no literal secret sits in the file. With a nil sim the URLs
//     are unreachable placeholders (decode-only tests).
//   - writeFiles(t, files) writes files (name → content) into a new temp directory and
//     returns it; names may contain subdirectories.
//   - loadDir(t, dir, env) runs engine.Load on dir/job.hcl through os.DirFS(dir) with
//     LoadOptions.Root = dir (so every task body is decoded by its kind) and returns the
//     config and diagnostics, unfailed.
//   - decodeTask(t, taskHCL, files) loads a job holding taskHCL without a simulator and
//     returns the diagnostics (for validation tests); files are extra files beside job.hcl.
//   - taskLine(n) is the job.hcl line number of line n (1-based) of the taskHCL given to
//     decodeTask or newHarness; a taskHCL starting with a newline has its task header on
//     line 2.
//   - diagLines(diags) renders diagnostics as "FILE:LINE: Summary: Detail" strings, FILE
//     being the base name of the Subject's file ("-:0" when a diagnostic has no Subject),
//     for exact comparisons with go-cmp.
//   - newHarness(t, s, taskHCL, files) writes job.hcl (and files) to a temp dir, loads it
//     (failing the test on any error diagnostic) and wraps an engine around it. Its fields
//     Dir (the job directory), Config and Engine are public for tests that need more.
//   - (*harness).plan() plans the job and returns the single task's TaskPlan, failing the
//     test on a plan or task error. (*harness).planErr() returns the task's error text
//     instead (for tests of plans that must fail).
//   - (*harness).apply() plans and applies the job and fails the test when anything failed;
//     (*harness).applyErr() returns the apply error or failed-task error text instead.
//   - (*harness).savedPlan() plans the job and returns the plan as read back from its JSON,
//     as `apply PLANFILE` gets it (apply it with engine.ApplyOptions{FromFile: true}).
//   - goldenJSON(t, path, v, dirs...) compares v (each dir replaced by $DIR), as indented JSON, with the golden file
//     testdata/<path>; `go test ./tasks -update` rewrites the file. The -update flag is
//     declared here (package variable update).
//   - readTestdata(t, path) returns the contents of testdata/<path>.
//   - simClient(t, s) returns a tintri client of the sim's TGC (closed by t.Cleanup),
//     for tests that change state behind a task's back.
//   - writesByRoute(s) returns the sim's write counts keyed "METHOD /route" for exact
//     comparisons (reads, session calls and vmListDownloadable left out).
//
// The non-test plumbing shared by the kinds is listed in doc.go.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// update makes golden-file tests rewrite their files.
var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// testdataDir is the package's testdata directory as an absolute path, taken before any
// test changes the working directory (t.Chdir).
var testdataDir = func() string {
	d, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return d
}()

// goldenJSON compares v as indented JSON with testdata/<path>, rewriting it under -update.
func goldenJSON(t testing.TB, path string, v any, dirs ...string) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs { // temporary directories vary between runs
		got = bytes.ReplaceAll(got, []byte(d), []byte("$DIR"))
	}
	got = append(got, '\n')
	full := filepath.Join(testdataDir, filepath.FromSlash(path))
	if *update {
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(full)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", full, diff)
	}
}

// readTestdata returns the contents of testdata/<path>.
func readTestdata(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdataDir, filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startSim starts a simulator that refuses VM listings without includeFields and registers
// its Close with t.Cleanup.
func startSim(t testing.TB, opts sim.Options) *sim.Sim {
	t.Helper()
	opts.RequireFields = true // every task lists VMs trimmed to the fields it reads
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sim: %v", err)
		}
	})
	return s
}

// simEnviron is the LoadOptions.Env that jobSource's env() calls read.
func simEnviron(s *sim.Sim) []string {
	if s == nil {
		return []string{"TINTRI_PASSWORD=unused-password"}
	}
	return []string{"TINTRI_PASSWORD=" + s.Password()}
}

// jobSource returns a job file pointing at s (or at placeholders when s is nil) with one
// job "test" holding taskHCL.
func jobSource(s *sim.Sim, taskHCL string) string {
	tgcURL, caFile, user := "https://127.0.0.1:1", "", "admin"
	stores := []string{"https://127.0.0.1:2", "https://127.0.0.1:3"}
	if s != nil {
		tgcURL, caFile, user, stores = s.TGCURL(), s.CAFile(), s.Username(), s.VMstoreURLs()
	}
	var b strings.Builder
	server := func(name, kind, url string) {
		fmt.Fprintf(&b, "server %q {\n  kind     = %q\n  url      = %q\n  username = %q\n  password = env(\"TINTRI_PASSWORD\")\n", name, kind, url, user)
		if caFile != "" {
			fmt.Fprintf(&b, "  ca_file  = %q\n", caFile)
		}
		b.WriteString("}\n\n")
	}
	server("tgc", config.KindTGC, tgcURL)
	quoted := make([]string, len(stores))
	for i, u := range stores {
		server(fmt.Sprintf("vmstore%d", i), config.KindVMstore, u)
		quoted[i] = fmt.Sprintf("%q", u)
	}
	fmt.Fprintf(&b, "fleet \"lab\" {\n  urls     = [%s]\n  username = %q\n  password = env(\"TINTRI_PASSWORD\")\n", strings.Join(quoted, ", "), user)
	if caFile != "" {
		fmt.Fprintf(&b, "  ca_file  = %q\n", caFile)
	}
	b.WriteString("}\n\njob \"test\" {\n")
	b.WriteString(taskHCL)
	b.WriteString("\n}\n")
	return b.String()
}

// writeFiles writes files into a new temp directory and returns its path.
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadDir loads dir/job.hcl.
func loadDir(t testing.TB, dir string, env []string) (*engine.Config, hcl.Diagnostics) {
	t.Helper()
	return engine.Load(os.DirFS(dir), "job.hcl", config.LoadOptions{Env: env, Root: dir})
}

// decodeTask loads a job holding taskHCL (and the extra files) without a simulator.
func decodeTask(t testing.TB, taskHCL string, files map[string]string) hcl.Diagnostics {
	t.Helper()
	all := map[string]string{"job.hcl": jobSource(nil, taskHCL)}
	for k, v := range files {
		all[k] = v
	}
	_, diags := loadDir(t, writeFiles(t, all), simEnviron(nil))
	return diags
}

// taskLine maps line n of a task's HCL to its line in the job file jobSource writes.
func taskLine(n int) int {
	src := jobSource(nil, "")
	return strings.Count(src[:strings.Index(src, "job \"test\" {")], "\n") + 1 + n
}

// diagLines renders diagnostics as "FILE:LINE: Summary: Detail".
func diagLines(diags hcl.Diagnostics) []string {
	out := make([]string, 0, len(diags))
	for _, d := range diags {
		file, line := "-", 0
		if d.Subject != nil {
			file, line = filepath.Base(d.Subject.Filename), d.Subject.Start.Line
		}
		out = append(out, fmt.Sprintf("%s:%d: %s: %s", file, line, d.Summary, d.Detail))
	}
	return out
}

// harness is one loaded job against a simulator.
type harness struct {
	t      testing.TB
	Sim    *sim.Sim
	Dir    string
	Config *engine.Config
	Engine *engine.Engine
	// partial applies a plan with failed targets (ApplyOptions.AllowPartial).
	partial bool
}

// newHarness writes and loads a job holding taskHCL against s.
func newHarness(t testing.TB, s *sim.Sim, taskHCL string, files map[string]string) *harness {
	t.Helper()
	all := map[string]string{"job.hcl": jobSource(s, taskHCL)}
	for k, v := range files {
		all[k] = v
	}
	return loadHarness(t, s, all)
}

// loadHarness writes files (job.hcl among them) into a fresh directory and loads it.
func loadHarness(t testing.TB, s *sim.Sim, files map[string]string) *harness {
	t.Helper()
	dir := writeFiles(t, files)
	cfg, diags := loadDir(t, dir, simEnviron(s))
	if diags.HasErrors() {
		t.Fatalf("load job: %s", strings.Join(diagLines(diags), "\n"))
	}
	return harnessFor(t, s, dir, cfg)
}

// harnessFor wraps cfg, loaded from dir, in a harness whose engine plans and applies it.
func harnessFor(t testing.TB, s *sim.Sim, dir string, cfg *engine.Config) *harness {
	eng := &engine.Engine{
		Config:      cfg,
		Log:         zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Parallelism: 4,
		StateDir:    filepath.Join(dir, ".state"),
	}
	return &harness{t: t, Sim: s, Dir: dir, Config: cfg, Engine: eng}
}

// runPlan plans the job and returns the plan and the single task's error text. It fails
// the test if the plan wrote anything: every plan of every task test is read-only.
func (h *harness) runPlan() (*plan.Plan, *plan.TaskPlan, string) {
	h.t.Helper()
	before := h.Sim.Writes()
	p, err := h.Engine.Plan(context.Background(), engine.Selection{Jobs: []string{"test"}})
	if w := h.Sim.Writes() - before; w != 0 {
		h.t.Fatalf("plan made %d writes", w)
	}
	if err != nil {
		h.t.Fatalf("plan: %v", err)
	}
	if len(p.Jobs) != 1 || len(p.Jobs[0].Tasks) != 1 {
		h.t.Fatalf("plan: want 1 job with 1 task, got %+v", p.Jobs)
	}
	entry := p.Jobs[0].Tasks[0]
	return p, &entry.TaskPlan, entry.Error
}

// plan plans the job's only task and returns its TaskPlan; a task error fails the test.
func (h *harness) plan() *plan.TaskPlan {
	h.t.Helper()
	_, tp, errText := h.runPlan()
	if errText != "" {
		h.t.Fatalf("plan task: %s", errText)
	}
	return tp
}

// planErr plans the job's only task and returns its error text ("" when it planned).
func (h *harness) planErr() string {
	h.t.Helper()
	_, _, errText := h.runPlan()
	return errText
}

// applyErr plans and applies the job; it returns the apply error or the first failure.
func (h *harness) applyErr() string {
	h.t.Helper()
	p, _, errText := h.runPlan()
	if errText != "" {
		return errText
	}
	res, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{AllowPartial: h.partial})
	if err != nil {
		return err.Error()
	}
	for _, tr := range res.Tasks {
		for _, f := range tr.Errors {
			return f.Error
		}
		if tr.Failed > 0 || tr.Skipped > 0 {
			return fmt.Sprintf("apply: %d failed, %d skipped", tr.Failed, tr.Skipped)
		}
	}
	return ""
}

// apply plans and applies the job; any failure fails the test.
func (h *harness) apply() {
	h.t.Helper()
	if msg := h.applyErr(); msg != "" {
		h.t.Fatalf("apply: %s", msg)
	}
}

// savedPlan plans the job and returns the plan as a plan file would give it back: through
// its JSON, so that only what the file keeps is left.
func (h *harness) savedPlan() *plan.Plan {
	h.t.Helper()
	p, err := h.Engine.Plan(context.Background(), engine.Selection{Jobs: []string{"test"}})
	if err != nil {
		h.t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		h.t.Fatal(err)
	}
	var saved plan.Plan
	if err := json.Unmarshal(b, &saved); err != nil {
		h.t.Fatal(err)
	}
	return &saved
}

// simClient returns a client of the sim's TGC, closed at the end of the test.
func simClient(t testing.TB, s *sim.Sim) *tintri.Client {
	t.Helper()
	return simClientAt(t, s, s.TGCURL())
}

// simClientAt returns a client of the sim's server at url, closed at the end of the test.
func simClientAt(t testing.TB, s *sim.Sim, url string) *tintri.Client {
	t.Helper()
	c, err := tintri.New(tintri.Config{URL: url, Username: s.Username(), Password: tintri.Secret(s.Password()),
		CAFile: s.CAFile(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatalf("tintri client: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("close client: %v", err)
		}
	})
	return c
}

// writesByRoute returns the sim's write counts keyed "METHOD /route".
func writesByRoute(s *sim.Sim) map[string]int64 {
	out := map[string]int64{}
	for _, c := range s.Counts() {
		switch c.Method {
		case "PUT", "POST", "DELETE":
		default:
			continue
		}
		if strings.HasPrefix(c.Path, "/api/v310/session/") || c.Path == "/api/v310/vm/vmListDownloadable" {
			continue
		}
		out[c.Method+" "+c.Path] += c.N
	}
	return out
}
