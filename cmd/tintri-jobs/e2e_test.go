package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// binPath is the tintri-jobs binary TestMain builds once.
var binPath string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "tintri-jobs-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "tintri-jobs")
	out, err := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion+" -X main.commit="+testCommit,
		"-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build tintri-jobs: %v\n%s", err, out)
		_ = os.RemoveAll(dir) // exiting with the build's error anyway
		os.Exit(1)
	}
	code := m.Run()
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(os.Stderr, "remove %s: %v\n", dir, err)
	}
	os.Exit(code)
}

// The version and commit TestMain builds the binary with.
const (
	testVersion = "9.9.9-e2e"
	testCommit  = "c0ffee"
)

// testPassword is the simulator's password in every e2e test; the secrets test looks for
// it in everything the CLI writes.
const testPassword = "e2e-S3cret-pa55word"

// e2e is a simulator and a working directory holding one job directory of testdata/e2e.
type e2e struct {
	t   *testing.T
	sim *sim.Sim
	dir string
	env []string
	// outputs collects everything the CLI wrote, for the secrets check.
	outputs []string
}

// newE2E starts a simulator with n VMstores and copies testdata/e2e/common.hcl and the
// job directory's jobs.hcl (as job.hcl, so that the default -config reads both files)
// into a fresh working directory, with urls.txt listing every VMstore.
func newE2E(t *testing.T, jobDir string, n int) *e2e {
	t.Helper()
	return newE2EWith(t, jobDir, sim.Options{VMstores: n, VMs: 40, Seed: 7})
}

// newE2EWith is newE2E with a simulator started with opts (and the test password).
func newE2EWith(t *testing.T, jobDir string, opts sim.Options) *e2e {
	t.Helper()
	opts.Password = testPassword
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "e2e", "common.hcl"), filepath.Join(dir, "common.hcl"))
	copyFile(t, filepath.Join("testdata", "e2e", jobDir, "jobs.hcl"), filepath.Join(dir, "job.hcl"))
	urls := strings.Join(s.VMstoreURLs(), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "urls.txt"), []byte(urls), 0o600); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"TINTRI_JOBS_VAR_tgc_url="+s.TGCURL(),
		"TINTRI_JOBS_VAR_ca_file="+s.CAFile(),
		"TINTRI_JOBS_VAR_username="+s.Username(),
		"TINTRI_JOBS_VAR_password="+s.Password(),
	)
	return &e2e{t: t, sim: s, dir: dir, env: env}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// run runs the CLI in the working directory with stdin empty (not a terminal).
func (e *e2e) run(args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	return e.runIn(e.dir, args...)
}

// runIn runs the CLI in dir with stdin empty (not a terminal).
func (e *e2e) runIn(dir string, args ...string) (stdout, stderr string, code int) {
	e.t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	cmd.Env = e.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			e.t.Fatalf("run %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	e.outputs = append(e.outputs, out.String(), errOut.String())
	return out.String(), errOut.String(), code
}

// mustRun runs the CLI and fails the test unless it exits with want.
func (e *e2e) mustRun(want int, args ...string) (stdout, stderr string) {
	e.t.Helper()
	stdout, stderr, code := e.run(args...)
	if code != want {
		e.t.Fatalf("tintri-jobs %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, stdout, stderr)
	}
	return stdout, stderr
}

// normalize replaces each simulated server's host:port with its name, and times, hashes
// and in-flight limits (whose keys order by port) with placeholders, so golden files are
// stable.
func (e *e2e) normalize(s string) string {
	s = regexp.MustCompile(`"inflight_limits":\{[^}]*\}`).ReplaceAllString(s, `"inflight_limits":"<limits>"`)
	for i, u := range e.sim.VMstoreURLs() {
		s = strings.ReplaceAll(s, strings.TrimPrefix(u, "https://"), fmt.Sprintf("<vmstore-%d>", i))
	}
	s = strings.ReplaceAll(s, strings.TrimPrefix(e.sim.TGCURL(), "https://"), "<tgc>")
	s = regexp.MustCompile(`"created_at":"[^"]+"`).ReplaceAllString(s, `"created_at":"<time>"`)
	s = regexp.MustCompile(`"config_hash":"[^"]+"`).ReplaceAllString(s, `"config_hash":"<hash>"`)
	return s
}

// checkLimits checks that the document doc reports an in-flight limit for each of the
// first n VMstores and for no other server.
func (e *e2e) checkLimits(doc string, n int) {
	e.t.Helper()
	var d struct {
		Limits map[string]int `json:"inflight_limits"`
	}
	if err := json.Unmarshal([]byte(doc), &d); err != nil {
		e.t.Fatal(err)
	}
	if len(d.Limits) != n {
		e.t.Errorf("inflight_limits %v, want one for each of %d VMstores", d.Limits, n)
	}
	for _, u := range e.sim.VMstoreURLs()[:n] {
		if d.Limits[strings.TrimPrefix(u, "https://")] < 1 {
			e.t.Errorf("inflight_limits %v: none for %s", d.Limits, u)
		}
	}
}

// golden compares got with testdata/plan/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenFile(t, filepath.Join("testdata", "plan", name), got)
}

// goldenFile compares got with the file at path, rewriting it with -update.
func goldenFile(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func (e *e2e) key(i int) string { return strings.TrimPrefix(e.sim.VMstoreURLs()[i], "https://") }

func (e *e2e) dns(i int) tintri.ApplianceDns {
	a := e.sim.Appliance(fmt.Sprintf("vmstore-%d", i))
	if a.DNSConfig == nil {
		return tintri.ApplianceDns{}
	}
	return *a.DNSConfig
}

func (e *e2e) audit() []plan.AuditRecord {
	e.t.Helper()
	dir := filepath.Join(e.dir, engine.DefaultStateDir)
	recs, err := engine.ReadAudit(dir)
	if err != nil {
		e.t.Fatal(err)
	}
	// audit.jsonl and the rotated files, audit.NNNNNN.jsonl.
	files, err := filepath.Glob(filepath.Join(dir, "audit*.jsonl"))
	if err != nil || len(files) == 0 {
		e.t.Fatalf("audit log files %v: %v", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			schematest.Validate(e.t, schematest.AuditRecord, line)
		}
	}
	return auditOutcomes(e.t, recs)
}

// auditOutcomes checks that every outcome record of recs follows its change's intent and
// every intent has an outcome, and returns the outcomes.
func auditOutcomes(t *testing.T, recs []plan.AuditRecord) []plan.AuditRecord {
	t.Helper()
	type key struct {
		apply string
		seq   int
	}
	intents := map[key]plan.AuditRecord{}
	var out []plan.AuditRecord
	for _, r := range recs {
		k := key{r.ApplyID, r.Seq}
		if r.Result == plan.AuditIntent {
			intents[k] = r
			continue
		}
		in, ok := intents[k]
		if !ok || in.ID != r.ID || in.Server != r.Server {
			t.Errorf("audit outcome %s/%d (%s %s) without its intent", r.ApplyID, r.Seq, r.Server, r.Object)
		}
		delete(intents, k)
		out = append(out, r)
	}
	for k, r := range intents {
		t.Errorf("audit intent %s/%d (%s %s) without an outcome", k.apply, k.seq, r.Server, r.Object)
	}
	return out
}

func TestValidate(t *testing.T) {
	e := newE2E(t, "dns", 1)
	out, _ := e.mustRun(0, "validate")
	if want := "The configuration is valid: 1 job, 1 task, 1 server, 1 fleet in 2 files.\n"; out != want {
		t.Errorf("stdout = %q, want %q", out, want)
	}
	if e.sim.Reads()+e.sim.Writes() != 0 {
		t.Errorf("validate made %d requests", e.sim.Reads()+e.sim.Writes())
	}

	bad := newE2E(t, "invalid", 1)
	out, errOut := bad.mustRun(1, "validate")
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
	// plan and apply stop at the same diagnostics, before any request.
	for _, args := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
		if out, errOut := bad.mustRun(1, args...); out != "" || !strings.Contains(errOut, "Reference to undeclared fleet") {
			t.Errorf("%s on an invalid configuration: stdout %q, stderr:\n%s", args[0], out, errOut)
		}
	}
	if n := bad.sim.Reads() + bad.sim.Writes(); n != 0 {
		t.Errorf("an invalid configuration led to %d requests", n)
	}
	// The diagnostic names the line of fleet.nope and shows it.
	for _, want := range []string{"on job.hcl line 3", "fleet   = fleet.nope"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Given as an absolute path, the file is named by that path, leading "/" included.
	abs := filepath.Join(bad.dir, "job.hcl")
	_, errOut = bad.mustRun(1, "validate", "-config", abs)
	for _, want := range []string{"on " + abs + " line 3, in job \"dns\":\n   3:     fleet   = fleet.nope"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// TestDefaultConfig checks the default of -config: every *.hcl file of the working
// directory, unless it has a jobs.hcl, which is then read alone.
func TestDefaultConfig(t *testing.T) {
	e := newE2E(t, "dns", 1)
	out, _ := e.mustRun(0, "validate")
	if want := "The configuration is valid: 1 job, 1 task, 1 server, 1 fleet in 2 files.\n"; out != want {
		t.Errorf("without jobs.hcl: stdout = %q, want %q", out, want)
	}
	var all []byte
	for _, f := range []string{"common.hcl", "job.hcl"} {
		b, err := os.ReadFile(filepath.Join(e.dir, f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "jobs.hcl"), all, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut := e.mustRun(0, "validate")
	if want := "The configuration is valid: 1 job, 1 task, 1 server, 1 fleet in 1 file.\n"; out != want {
		t.Errorf("with jobs.hcl: stdout = %q, want %q", out, want)
	}
	// The other files beside jobs.hcl are not read, and validate says so.
	if want := "Warning: Other job files not read\n\nWithout -config, only jobs.hcl is read when the working directory has one; " +
		"common.hcl, job.hcl here are not. Pass -config . to read every *.hcl file, or -config jobs.hcl to read jobs.hcl alone without this warning.\n"; !strings.Contains(errOut, want) {
		t.Errorf("with jobs.hcl and other files: stderr lacks %q:\n%s", want, errOut)
	}
	if _, errOut := e.mustRun(0, "validate", "-config", "jobs.hcl"); strings.Contains(errOut, "Other job files") {
		t.Errorf("-config jobs.hcl warns:\n%s", errOut)
	}
	out, _ = e.mustRun(0, "validate", "-help")
	if want := "-config PATH\n    \tthe job file, or the directory whose *.hcl files are read, at PATH; without it jobs.hcl when the working directory has one, else every *.hcl file of the working directory (default \"jobs.hcl\")"; !strings.Contains(out, want) {
		t.Errorf("validate -help lacks %q:\n%s", want, out)
	}
}

// TestPlanUnchangedDetail: a plan over 1200 VMs already right counts them all and names
// the first 1000 (plan.MaxUnchangedListed); with -detail it names every one.
func TestPlanUnchangedDetail(t *testing.T) {
	e := newE2EWith(t, "unchanged", sim.Options{VMstores: 2, VMs: 1200, Seed: 7})
	for _, tt := range []struct {
		args  []string
		named int
	}{{[]string{"plan", "-json"}, plan.MaxUnchangedListed}, {[]string{"plan", "-json", "-detail"}, 1200}} {
		out, _ := e.mustRun(0, tt.args...)
		var doc struct {
			Jobs []struct {
				Tasks []struct {
					Unchanged      []string `json:"unchanged"`
					UnchangedCount int      `json:"unchanged_count"`
				} `json:"tasks"`
			} `json:"jobs"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		task := doc.Jobs[0].Tasks[0]
		if task.UnchangedCount != 1200 || len(task.Unchanged) != tt.named {
			t.Errorf("%v: %d unchanged, %d named; want 1200, %d named", tt.args, task.UnchangedCount, len(task.Unchanged), tt.named)
		}
	}
}

func TestPlanApplyDNS(t *testing.T) {
	e := newE2E(t, "dns", 3)
	before := []tintri.ApplianceDns{e.dns(0), e.dns(1), e.dns(2)}

	out, _ := e.mustRun(2, "plan", "-detailed-exitcode")
	golden(t, "dns.txt", e.normalize(out))
	out, _ = e.mustRun(2, "plan", "-detailed-exitcode", "-json")
	golden(t, "dns.json", e.normalize(out))
	schematest.Validate(t, schematest.Plan, []byte(out))
	e.checkLimits(out, 3)
	if w := e.sim.Writes(); w != 0 {
		t.Fatalf("plan wrote %d times", w)
	}
	for i := range 3 {
		if diff := cmp.Diff(before[i], e.dns(i)); diff != "" {
			t.Fatalf("plan changed vmstore-%d: %s", i, diff)
		}
	}

	e.sim.ResetCounters()
	out, _ = e.mustRun(0, "apply", "-auto-approve")
	if !strings.Contains(out, "Apply complete: 3 changed, 0 unchanged, 0 failed, 0 skipped.") {
		t.Errorf("apply output:\n%s", out)
	}
	if w := e.sim.Writes(); w != 3 {
		t.Errorf("apply wrote %d times, want 3 (one per VMstore)", w)
	}
	// One run: the apply logs in once per VMstore and reads its product and alias once, for
	// the plan and the apply; the DNS servers are read by the plan, right before the write and
	// after it.
	perStore := map[string]int64{}
	for _, c := range e.sim.Counts() {
		perStore[c.Method+" "+c.Path] += c.N
	}
	if diff := cmp.Diff(map[string]int64{"GET /api/info": 3, "POST /api/v310/session/login": 3, "POST /api/v310/session/logout": 3,
		"GET /api/v310/appliance/{uuid}": 3, "GET /api/v310/appliance/{uuid}/dns": 9, "PUT /api/v310/appliance/{uuid}": 3}, perStore); diff != "" {
		t.Errorf("requests of plan and apply to 3 VMstores (-want +got):\n%s", diff)
	}
	for i := range 3 {
		got := e.dns(i)
		if got.DNSPrimary != "192.0.2.53" || got.DNSSecondary != "192.0.2.54" {
			t.Errorf("vmstore-%d dns = %+v", i, got)
		}
	}
	e.checkAuditMatchesDNS(3)

	out, _ = e.mustRun(0, "plan", "-detailed-exitcode")
	if !strings.Contains(out, "No changes.\nPlan: 0 to add, 0 to change, 0 to remove, 3 unchanged, 0 failed.\n") {
		t.Errorf("second plan:\n%s", out)
	}
	e.checkNoSecrets()
}

// checkAuditMatchesDNS checks that the audit log has one successful record of the dns
// job per VMstore but those that are down, each VMstore's at most once, and that each
// record's after is what the simulator now has.
func (e *e2e) checkAuditMatchesDNS(want int) {
	e.t.Helper()
	recs := e.audit()
	if len(recs) != want {
		e.t.Fatalf("%d audit records, want %d", len(recs), want)
	}
	seen := map[string]bool{}
	for _, r := range recs {
		i := -1
		for j := range e.sim.VMstoreURLs() {
			if e.key(j) == r.Server {
				i = j
			}
		}
		if i < 0 || seen[r.Server] || r.Result != plan.AuditOK || r.Job != "dns" || r.Task != "lab" {
			e.t.Fatalf("audit record %+v", r)
		}
		seen[r.Server] = true
		var after struct{ Primary, Secondary, Tertiary string }
		if err := json.Unmarshal(r.After, &after); err != nil {
			e.t.Fatal(err)
		}
		got := e.dns(i)
		if after.Primary != got.DNSPrimary || after.Secondary != got.DNSSecondary || after.Tertiary != got.DNSTertiary {
			e.t.Errorf("audit record of vmstore-%d: after %+v, sim has %+v", i, after, got)
		}
	}
}

func TestApplyNeedsApproval(t *testing.T) {
	e := newE2E(t, "dns", 1)
	_, errOut := e.mustRun(1, "apply")
	if !strings.Contains(errOut, "refusing to apply without approval: stdin is not a terminal") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if w := e.sim.Writes(); w != 0 {
		t.Errorf("%d writes without approval", w)
	}
}

func TestSavedPlan(t *testing.T) {
	e := newE2E(t, "dns", 3)
	e.mustRun(0, "plan", "-out", "dns.plan")
	st, err := os.Stat(filepath.Join(e.dir, "dns.plan"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("plan file mode %v, want 0600", st.Mode().Perm())
	}
	out, _ := e.mustRun(0, "apply", "dns.plan")
	if !strings.Contains(out, "Apply complete: 3 changed, 0 unchanged, 0 failed, 0 skipped.") {
		t.Errorf("first apply:\n%s", out)
	}
	out, _ = e.mustRun(0, "apply", "dns.plan")
	if !strings.Contains(out, "Apply complete: 0 changed, 3 unchanged, 0 failed, 0 skipped.") {
		t.Errorf("second apply:\n%s", out)
	}
	if w := e.sim.Writes(); w != 3 {
		t.Errorf("%d writes over both applies, want 3", w)
	}

	// A plan made, then overtaken by a change on vmstore-1, is refused as a whole. Make
	// the saved plan non-empty first: put vmstore-0 and -1 on another DNS server.
	for _, i := range []int{0, 1} {
		setPrimaryDNS(t, e.sim.VMstoreURLs()[i], e.sim, "198.51.100.1")
	}
	e.mustRun(0, "plan", "-out", "stale.plan")
	setPrimaryDNS(t, e.sim.VMstoreURLs()[1], e.sim, "198.51.100.99")
	e.sim.ResetCounters()
	out, errOut := e.mustRun(1, "apply", "stale.plan")
	want := fmt.Sprintf(`failed: %s appliance dns of vmstore-1: stale: changed since the plan was made`, e.key(1))
	if !strings.Contains(out, want) || !strings.Contains(out, "dns.lab (appliance_dns): 0 changed, 1 unchanged, 1 failed, 1 skipped") {
		t.Errorf("stale apply output lacks %q:\n%s\n%s", want, out, errOut)
	}
	if w := e.sim.Writes(); w != 0 {
		t.Errorf("%d writes for a stale plan", w)
	}

	// A saved plan is refused once the configuration changed.
	src, err := os.ReadFile(filepath.Join(e.dir, "job.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte("192.0.2.54"), []byte("192.0.2.55"), 1)
	if err := os.WriteFile(filepath.Join(e.dir, "job.hcl"), src, 0o600); err != nil {
		t.Fatal(err)
	}
	_, errOut = e.mustRun(1, "apply", "dns.plan")
	if !strings.Contains(errOut, "Error: the plan was made from another configuration (hash ") {
		t.Errorf("stderr:\n%s", errOut)
	}
	if w := e.sim.Writes(); w != 0 {
		t.Errorf("%d writes for a plan of another configuration", w)
	}
	e.checkNoSecrets(filepath.Join(e.dir, "dns.plan"), filepath.Join(e.dir, "stale.plan"))
}

// setPrimaryDNS puts primary as the DNS primary of the VMstore at url, as another admin would.
func setPrimaryDNS(t *testing.T, url string, s *sim.Sim, primary string) {
	t.Helper()
	c, err := tintri.New(tintri.Config{URL: url, Username: s.Username(), Password: tintri.Secret(s.Password()),
		CAFile: s.CAFile(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	err = c.UpdateAppliance(context.Background(), tintri.Appliance{TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: primary}}, tintri.PropDNSConfig)
	if err != nil {
		t.Fatal(err)
	}
}

func TestMaxChangesRefuses(t *testing.T) {
	tests := []struct {
		name, from, to, warning, err string
	}{
		{"job", `job "dns" {`, "job \"dns\" {\n  max_changes = 2",
			"  warning: 3 objects affected exceed the job's max_changes = 2: apply will refuse this plan\n",
			"Error: job dns: the plan affects 3 objects, more than its max_changes = 2: nothing applied\n"},
		{"task", `fleet     = fleet.lab`, "fleet     = fleet.lab\n    max_changes = 1",
			"    warning: 3 objects affected exceed the task's max_changes = 1: apply will refuse this plan\n",
			"Error: task dns.lab: the plan affects 3 objects, more than its max_changes = 1: nothing applied\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "dns", 3)
			src, err := os.ReadFile(filepath.Join(e.dir, "job.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(src, []byte(tt.from)) {
				t.Fatalf("job.hcl lacks %q", tt.from)
			}
			src = bytes.Replace(src, []byte(tt.from), []byte(tt.to), 1)
			if err := os.WriteFile(filepath.Join(e.dir, "job.hcl"), src, 0o600); err != nil {
				t.Fatal(err)
			}
			e.mustRun(0, "plan", "-out", "big.plan")
			for _, args := range [][]string{{"apply", "-auto-approve"}, {"apply", "big.plan"}} {
				out, errOut := e.mustRun(1, args...)
				if args[1] == "-auto-approve" && !strings.Contains(out, tt.warning) {
					t.Errorf("plan output lacks %q:\n%s", tt.warning, out)
				}
				if !strings.HasSuffix(errOut, tt.err) {
					t.Errorf("%v: stderr does not end with %q:\n%s", args, tt.err, errOut)
				}
			}
			if w := e.sim.Writes(); w != 0 {
				t.Errorf("%d writes after max_changes refused", w)
			}
		})
	}
}

// TestOneUnreachableOfTwenty: a plan that could not read 1 of 20 VMstores changes nothing
// (and cannot be saved); with -allow-partial the 19 others change and the one fails.
func TestOneUnreachableOfTwenty(t *testing.T) {
	e := newE2E(t, "dns", 20)
	if err := e.sim.StopServer("vmstore-7"); err != nil {
		t.Fatal(err)
	}
	_, errOut := e.mustRun(1, "apply", "-auto-approve", "-log-level", "error")
	if want := "Error: job dns: 1 target(s) of the plan failed, were refused or are in conflict: nothing applied"; !strings.Contains(errOut, want) || e.sim.Writes() != 0 {
		t.Fatalf("apply without -allow-partial: %d writes, stderr:\n%s", e.sim.Writes(), errOut)
	}
	_, errOut = e.mustRun(1, "plan", "-out", "p.plan", "-log-level", "error")
	if want := "Error: not saving the plan to p.plan: 1 target(s) or task(s) failed"; !strings.Contains(errOut, want) {
		t.Errorf("plan -out with a failed target: stderr:\n%s", errOut)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "p.plan")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("plan -out saved a plan with a failed target: %v", err)
	}
	out, errOut := e.mustRun(1, "apply", "-auto-approve", "-allow-partial", "-log-level", "error")
	down := e.key(7)
	for _, want := range []string{
		"dns.lab (appliance_dns): 19 changed, 0 unchanged, 1 failed, 0 skipped",
		"  failed: " + down + ": GET /api/info: dial tcp " + down + ": connect: connection refused\n",
		"Apply finished with failures: 19 changed, 0 unchanged, 1 failed, 0 skipped.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "Error: some targets or changes failed") {
		t.Errorf("stderr:\n%s", errOut)
	}
	for i := range 20 {
		if i == 7 {
			continue
		}
		if got := e.dns(i).DNSPrimary; got != "192.0.2.53" {
			t.Errorf("vmstore-%d primary = %q", i, got)
		}
	}
	e.checkAuditMatchesDNS(19)
}

func TestAffinity(t *testing.T) {
	e := newE2E(t, "affinity", 2)
	out, _ := e.mustRun(2, "plan", "-detailed-exitcode", "-json")
	if w := e.sim.Writes(); w != 0 {
		t.Fatalf("plan wrote %d times", w)
	}
	var doc struct {
		Summary struct{ Changes int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("plan -json: %v\n%s", err, out)
	}
	planned, want := doc.Summary.Changes, 0
	for _, vm := range e.sim.VMs() {
		if strings.Contains(strings.ToLower(vm.Name()), "vdi") {
			want++
		}
	}
	if planned != want || want == 0 {
		t.Fatalf("%d changes planned, want one per VM whose name contains vdi (%d):\n%s", planned, want, out)
	}
	e.mustRun(0, "apply", "-auto-approve")
	if w := e.sim.Writes(); w != int64(planned) {
		t.Errorf("apply wrote %d times, planned %d changes", w, planned)
	}
	e.mustRun(0, "plan", "-detailed-exitcode")
}

// TestSecretsNeverShown runs validate, plan (human and -json, saved), apply of the saved
// plan, and failing plan and apply, with the password set through the sensitive variable
// TINTRI_JOBS_VAR_password; neither it nor a wrong password appears in stdout, stderr, the
// plan file or the audit log.
func TestSecretsNeverShown(t *testing.T) {
	e := newE2E(t, "dns", 2)
	e.mustRun(0, "validate", "-log-level", "debug")
	e.mustRun(0, "plan", "-log-level", "debug", "-json")
	e.mustRun(0, "plan", "-log-level", "debug", "-out", "p.plan")
	out, _ := e.mustRun(0, "apply", "-log-level", "debug", "-json", "p.plan")
	schematest.Validate(t, schematest.ApplyResult, []byte(out))
	// Failure paths: a wrong password, and an unreachable VMstore.
	wrong := "Wr0ng-pa55-zzz"
	e.env = append(e.env, "TINTRI_JOBS_VAR_password="+wrong)
	e.mustRun(1, "plan", "-log-level", "debug")
	e.mustRun(1, "apply", "-auto-approve", "-log-level", "debug")
	e.env = e.env[:len(e.env)-1]
	if err := e.sim.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	setPrimaryDNS(t, e.sim.VMstoreURLs()[0], e.sim, "198.51.100.7")
	e.mustRun(1, "apply", "-auto-approve", "-log-level", "debug")
	// The audit log is named explicitly too: it must exist here.
	e.checkNoSecrets(filepath.Join(e.dir, "p.plan"), filepath.Join(e.dir, engine.DefaultStateDir, engine.AuditFile))
	for _, out := range e.outputs {
		if strings.Contains(out, wrong) {
			t.Errorf("the wrong password appears in output:\n%s", out)
		}
	}
}

// TestSecretsNeverShownInDiagnostics writes a credential in each form whose error quoted
// it — a literal password in an expression ("…" + 1, tonumber("…"), regex(…, "…"), an
// unquoted word), a sensitive variable's default or a variable file's value, and
// credentials in a server url, a fleet's urls, a urls_file line or show's -server — and
// checks that validate (or show) reports the error, pointing at its line, without
// printing the secret.
func TestSecretsNeverShownInDiagnostics(t *testing.T) {
	const secret = "Hunter2secretXYZ" // an identifier, so that it can be written unquoted too
	password := func(expr string) func(string) string {
		return func(src string) string {
			return strings.Replace(src, "password = var.password\n  ca_file  = var.ca_file", "password = "+expr+"\n  ca_file  = var.ca_file", 1)
		}
	}
	userinfo := "https://admin:" + secret + "@vmstore.example"
	// masked is how a masked expression of n bytes shows: a quoted string of '*'.
	masked := func(n int) string { return `"` + strings.Repeat("*", n-2) + `"` }
	hiddenInfo := strings.Repeat("*", len("admin:"+secret))
	tests := []struct {
		name   string
		common func(string) string // rewrites common.hcl
		files  map[string]string   // written beside it
		args   []string
		want   []string // in stderr
	}{
		{"literal plus one", password(`"` + secret + `" + 1`), nil, nil,
			[]string{"Error: Invalid operand\n\n  on common.hcl line 14, in server \"tgc\":\n  14:   password = " + masked(len(secret)+6) + "\n"}},
		{"tonumber", password(`tonumber("` + secret + `")`), nil, nil,
			[]string{"Error: Call to unknown function\n\n  on common.hcl line 14, in server \"tgc\":\n  14:   password = " + masked(len(secret)+12) + "\n\nThere is no function named \"********\"."}},
		{"regex", password(`regex("(", "` + secret + `")`), nil, nil,
			[]string{"Error: Invalid function argument\n\n  on common.hcl line 14, in server \"tgc\":\n"}},
		{"unquoted", password(secret), nil, nil,
			[]string{"Error: Unknown variable\n\n  on common.hcl line 14, in server \"tgc\":\n  14:   password = " + masked(len(secret)) + "\n\nThere is no variable named \"" + strings.Repeat("*", len(secret)) + "\"."}},
		{"interpolated", password(`"${` + secret + `}"`), nil, nil,
			[]string{"Error: Unknown variable\n\n  on common.hcl line 14, in server \"tgc\":\n"}},
		{"sensitive default", func(src string) string {
			return strings.Replace(src, "  sensitive = true\n", "  sensitive = true\n  default   = "+secret+"\n", 1)
		}, nil, nil, []string{"Error: Variables not allowed\n\n  on common.hcl line 8, in variable \"password\":\n   8:   default   = " + masked(len(secret)) + "\n"}},
		{"variable file", nil, map[string]string{"v.tfvars": "password = \"" + secret + "\" * 2\n"}, []string{"-var-file", "v.tfvars"},
			[]string{"Error: Invalid operand\n\n  on v.tfvars line 1:\n   1: password = " + masked(len(secret)+6) + "\n"}},
		{"server url", func(src string) string {
			return strings.Replace(src, "url      = var.tgc_url", `url      = "`+userinfo+`"`, 1)
		}, nil, nil, []string{"  11:   url      = \"https://" + hiddenInfo + "@vmstore.example\"\n\n" +
			"The URL \"https://***@vmstore.example\" contains credentials: use the username and password attributes."}},
		{"fleet urls", func(src string) string {
			return strings.Replace(src, `urls_file = "urls.txt"`, `urls      = ["`+strings.Replace(userinfo, "https", "http", 1)+`"]`, 1)
		}, nil, nil, []string{"  19:   urls      = [\"http://" + hiddenInfo + "@vmstore.example\"]\n\n" +
			"The URL \"http://***@vmstore.example\" uses http."}},
		{"urls_file line", nil, map[string]string{"urls.txt": "# lab\n" + userinfo + "\n"}, nil,
			[]string{"  on urls.txt line 2:\n   2: https://" + hiddenInfo + "@vmstore.example\n\n" +
				"The URL \"https://***@vmstore.example\" contains credentials"}},
		{"show without username", nil, nil, []string{"show", "appliance_info", "-server", userinfo},
			[]string{"Error: -server https://***@vmstore.example: set TINTRI_USERNAME and TINTRI_PASSWORD"}},
		{"show http", nil, nil, []string{"show", "appliance_info", "-server", strings.Replace(userinfo, "https", "http", 1)},
			[]string{"Error: -server http://***@vmstore.example: set TINTRI_USERNAME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "dns", 1)
			if tt.common != nil {
				path := filepath.Join(e.dir, "common.hcl")
				src, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				edited := tt.common(string(src))
				if edited == string(src) {
					t.Fatal("common.hcl unchanged")
				}
				if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(e.dir, name), []byte(data), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			args := tt.args
			if len(args) == 0 || args[0] != "show" {
				args = append([]string{"validate"}, args...)
			}
			out, errOut := e.mustRun(1, args...)
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if strings.Contains(out+errOut, secret) {
				t.Errorf("the secret appears in the output:\n%s%s", out, errOut)
			}
		})
	}
}

// checkNoSecrets fails when the password appears in any output, the given files or the
// audit log.
func (e *e2e) checkNoSecrets(files ...string) {
	e.t.Helper()
	texts := append([]string(nil), e.outputs...)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			e.t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	// The audit log exists once something was applied.
	if b, err := os.ReadFile(filepath.Join(e.dir, engine.DefaultStateDir, engine.AuditFile)); err == nil {
		texts = append(texts, string(b))
	} else if !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	for _, s := range texts {
		if strings.Contains(s, testPassword) {
			e.t.Errorf("the password appears in:\n%s", s)
		}
	}
}

func TestVersion(t *testing.T) {
	e := newE2E(t, "dns", 1)
	out, _ := e.mustRun(0, "version")
	if want := fmt.Sprintf("tintri-jobs %s (commit %s, %s)\n", testVersion, testCommit, runtime.Version()); out != want {
		t.Errorf("version = %q, want %q", out, want)
	}
}

func TestShowApplianceInfo(t *testing.T) {
	e := newE2E(t, "dns", 2)
	e.env = append(e.env, "TINTRI_USERNAME="+e.sim.Username(), "TINTRI_PASSWORD="+e.sim.Password(), "TINTRI_CA_FILE="+e.sim.CAFile())
	want := e.sim.Appliance("vmstore-1")

	out, _ := e.mustRun(0, "show", "appliance_info", "-server", e.sim.VMstoreURLs()[1], "-json")
	schematest.Validate(t, schematest.ApplianceInfo, []byte(out))
	var got plan.ApplianceFacts
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.FormatVersion != "1" || got.Type != "appliance_info" || got.Product != tintri.ProductVMstore || got.APIVersion != "v310.51" || got.Name != "vmstore-1" {
		t.Errorf("header = %+v", got)
	}
	if diff := cmp.Diff(want.Info, got.Info); diff != "" {
		t.Errorf("info (-sim +shown):\n%s", diff)
	}
	if diff := cmp.Diff(want.Components, got.Components); diff != "" {
		t.Errorf("components (-sim +shown):\n%s", diff)
	}
	if diff := cmp.Diff(want.ConfigIPs, got.IPs); diff != "" {
		t.Errorf("ips (-sim +shown):\n%s", diff)
	}

	out, _ = e.mustRun(0, "show", "appliance_info", "-server", e.sim.VMstoreURLs()[1])
	for _, line := range []string{"Server:         vmstore-1 (" + e.sim.VMstoreURLs()[1] + ")\n", "Product:        Tintri VMstore\n", "Model:          " + want.Info.ModelName + "\n",
		"OS version:     " + want.Info.OsVersion + "\n", "Failed components: none\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("human output lacks %q:\n%s", line, out)
		}
	}
	// A server block name from the configuration.
	out, _ = e.mustRun(0, "show", "appliance_info", "-server", "tgc")
	if !regexp.MustCompile(`(?m)^Product: +Tintri Global Center$`).MatchString(out) {
		t.Errorf("tgc output:\n%s", out)
	}
	_, errOut := e.mustRun(1, "show", "appliance_info", "-server", "nope")
	if !strings.Contains(errOut, `Error: -server "nope": no server block of that name (servers: tgc); or give a URL https://host[:port]`) {
		t.Errorf("stderr:\n%s", errOut)
	}
	e.checkNoSecrets()
}

// TestVariablePrecedence sets one variable from every source the CLI takes, lowest to
// highest precedence: its default, TINTRI_JOBS_VAR_<name>, -var-file (the later file
// wins) and -var (the later one wins), and reads the value the plan used.
func TestVariablePrecedence(t *testing.T) {
	e := newE2E(t, "vars", 1)
	for name, text := range map[string]string{"one.tfvars": "primary = \"192.0.2.3\"\n", "two.tfvars": "primary = \"192.0.2.4\"\n"} {
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		env  bool
		args []string
		want string
	}{
		{false, nil, "192.0.2.1"},
		{true, nil, "192.0.2.2"},
		{true, []string{"-var-file", "one.tfvars"}, "192.0.2.3"},
		{true, []string{"-var-file", "one.tfvars", "-var-file", "two.tfvars"}, "192.0.2.4"},
		{true, []string{"-var-file", "two.tfvars", "-var", "primary=192.0.2.5"}, "192.0.2.5"},
		{true, []string{"-var", "primary=192.0.2.6", "-var-file", "one.tfvars", "-var", "primary=192.0.2.7"}, "192.0.2.7"},
	}
	base := e.env
	for _, tt := range tests {
		e.env = base
		if tt.env {
			e.env = append(e.env, "TINTRI_JOBS_VAR_primary=192.0.2.2")
		}
		out, _ := e.mustRun(0, append([]string{"plan", "-json"}, tt.args...)...)
		var doc struct {
			Jobs []struct {
				Tasks []struct {
					Changes []struct{ After struct{ Primary string } }
				}
			}
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("plan -json: %v\n%s", err, out)
		}
		if len(doc.Jobs) != 1 || len(doc.Jobs[0].Tasks) != 1 || len(doc.Jobs[0].Tasks[0].Changes) != 1 {
			t.Fatalf("env %v, %v: want one change:\n%s", tt.env, tt.args, out)
		}
		if got := doc.Jobs[0].Tasks[0].Changes[0].After.Primary; got != tt.want {
			t.Errorf("env %v, %v: primary %q, want %q", tt.env, tt.args, got, tt.want)
		}
	}
	if w := e.sim.Writes(); w != 0 {
		t.Errorf("plan wrote %d times", w)
	}
}

// TestLiteralPassword writes the password into the job file: validate, plan and apply warn
// about it, pointing at its line, but never print it, not even in the warning's snippet.
func TestLiteralPassword(t *testing.T) {
	e := newE2E(t, "dns", 2)
	path := filepath.Join(e.dir, "common.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	literal := bytes.Replace(src, []byte("password = var.password\n  ca_file  = var.ca_file"),
		[]byte("password = \""+testPassword+"\"\n  ca_file  = var.ca_file"), 1)
	if bytes.Equal(literal, src) {
		t.Fatal("common.hcl has no server password to replace")
	}
	if err := os.WriteFile(path, literal, 0o600); err != nil {
		t.Fatal(err)
	}
	masked := "  14:   password = \"" + strings.Repeat("*", len(testPassword)) + "\"\n"
	for _, args := range [][]string{{"validate"}, {"plan", "-target", "dns.lab"}, {"apply", "-auto-approve"}} {
		_, errOut := e.mustRun(0, args...)
		if !strings.Contains(errOut, "Warning: Literal password in job file\n\n  on common.hcl line 14, in server \"tgc\":\n"+masked) {
			t.Errorf("%s: stderr lacks the warning with the masked line %q:\n%s", args[0], masked, errOut)
		}
	}
	e.checkNoSecrets()
}

// TestSensitiveValueInTask refuses a sensitive variable in a task body, where it would be
// shown in the plan and written to the audit log, before any request.
func TestSensitiveValueInTask(t *testing.T) {
	e := newE2E(t, "vars", 1)
	path := filepath.Join(e.dir, "job.hcl")
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	src = bytes.Replace(src, []byte(`default = "192.0.2.1"`), []byte("default   = \"192.0.2.1\"\n  sensitive = true"), 1)
	if err := os.WriteFile(path, src, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"validate"}, {"plan"}} {
		out, errOut := e.mustRun(1, args...)
		if out != "" || !strings.Contains(errOut, "Error: Sensitive value in task\n\n  on job.hcl line 9, in job \"dns\":\n   9:     primary = var.primary\n") ||
			strings.Contains(errOut, "192.0.2.1") {
			t.Errorf("%s: stdout %q, stderr:\n%s", args[0], out, errOut)
		}
	}
	if n := e.sim.Reads() + e.sim.Writes(); n != 0 {
		t.Errorf("%d requests", n)
	}
}

// TestSavedPlanDependsOnItsJobsOnly: a saved plan survives a comment and a change in a job
// it does not hold (in another file), and is refused after a change in its own job. The
// hint printed with it keeps -config.
func TestSavedPlanDependsOnItsJobsOnly(t *testing.T) {
	e := newE2E(t, "dns", 2)
	other := "job \"other\" {\n  task \"maintenance_mode\" \"off\" {\n    fleet   = fleet.lab\n    enabled = false\n  }\n}\n"
	write := func(name, data string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("other.hcl", other)
	out, _ := e.mustRun(0, "plan", "-config", ".", "-job", "dns", "-out", "p.plan")
	if want := "Make exactly these changes with: tintri-jobs apply -config . p.plan\n"; !strings.HasSuffix(out, want) {
		t.Errorf("plan -out hint lacks %q:\n%s", want, out)
	}
	write("other.hcl", "# reviewed\n"+strings.Replace(other, "enabled = false", "enabled = true", 1))
	e.mustRun(0, "apply", "-config", ".", "p.plan")
	if w := e.sim.Writes(); w != 2 {
		t.Errorf("apply of the saved plan made %d writes, want 2", w)
	}

	setPrimaryDNS(t, e.sim.VMstoreURLs()[0], e.sim, "198.51.100.7")
	e.mustRun(0, "plan", "-config", ".", "-job", "dns", "-out", "p2.plan")
	src, err := os.ReadFile(filepath.Join(e.dir, "job.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	write("job.hcl", strings.Replace(string(src), "192.0.2.54", "192.0.2.55", 1))
	_, errOut := e.mustRun(1, "apply", "-config", ".", "p2.plan")
	if !strings.Contains(errOut, "the plan was made from another configuration") {
		t.Errorf("apply of a plan whose job changed:\n%s", errOut)
	}
}
