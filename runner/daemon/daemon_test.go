package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// fixtureLog, when a test sets it, receives the log of the daemons newDaemonFixture makes
// (tests using it do not run in parallel).
var fixtureLog io.Writer

// daemonFixture is a simulator, a job file over it, and a daemon on a fake clock.
type daemonFixture struct {
	sim  *sim.Sim
	dir  string
	clk  *fakeClock
	d    *Daemon
	runs chan plan.RunRecord
	idle chan string

	mu   sync.Mutex
	jobs string // the job blocks of the file Load reads

	cancel context.CancelFunc
	done   chan error
}

func newDaemonFixture(t testing.TB, simOpts sim.Options, start time.Time, jobs string, opts Options) *daemonFixture {
	t.Helper()
	s, err := sim.Start(simOpts)
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	// opts.StateDir, when set, is a state directory the test prepared.
	dir := opts.StateDir
	if dir == "" {
		dir = t.TempDir()
	}
	f := &daemonFixture{sim: s, dir: dir, clk: newFakeClock(start), runs: make(chan plan.RunRecord, 1000), jobs: jobs}
	opts.StateDir, opts.Clock, opts.Log = f.dir, f.clk, zerolog.Nop()
	if fixtureLog != nil {
		opts.Log = zerolog.New(fixtureLog)
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = -1 // the fake clock only moves when told
	}
	opts.Load = f.load
	opts.OnRun = func(r plan.RunRecord) { f.runs <- r }
	cfg, diags := f.load()
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	f.d, err = New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.idle = make(chan string, 1000)
	busy := f.d.sched.opts.Busy
	f.d.sched.opts.Busy = func(job string, b bool) {
		busy(job, b)
		if !b {
			f.idle <- job
		}
	}
	return f
}

// run waits for a run's record and for its job to be idle again.
func (f *daemonFixture) run(t testing.TB) plan.RunRecord {
	t.Helper()
	r := recv(t, f.runs, "run")
	recv(t, f.idle, "idle job")
	return r
}

func (f *daemonFixture) setJobs(jobs string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs = jobs
}

func (f *daemonFixture) load() (*engine.Config, hcl.Diagnostics) {
	fsys := fstest.MapFS{"jobs.hcl": {Data: []byte(f.source())}}
	return engine.Load(fsys, "jobs.hcl", config.LoadOptions{Vars: map[string]string{"ca": f.sim.CAFile(), "password": f.sim.Password()}})
}

// source is the text of the job file load reads.
func (f *daemonFixture) source() string {
	f.mu.Lock()
	jobs := f.jobs
	f.mu.Unlock()
	urls := make([]string, 0)
	for _, u := range f.sim.VMstoreURLs() {
		urls = append(urls, strconv.Quote(u))
	}
	return fmt.Sprintf(`
variable "ca" {}
variable "password" { sensitive = true }
fleet "all" {
  urls     = [%s]
  username = "admin"
  password = var.password
  ca_file  = var.ca
}
`, strings.Join(urls, ", ")) + jobs
}

func (f *daemonFixture) start() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan error, 1)
	go func() { f.done <- f.d.Run(ctx) }()
}

// stop is SIGTERM: it returns Run's error.
func (f *daemonFixture) stop(t testing.TB) error {
	t.Helper()
	f.cancel()
	return recv(t, f.done, "daemon to stop")
}

func (f *daemonFixture) primaries() map[string]string {
	out := map[string]string{}
	for i, u := range f.sim.VMstoreURLs() {
		k, _ := config.MemberKey(u)
		a := f.sim.Appliance(fmt.Sprintf("vmstore-%d", i))
		if a.DNSConfig != nil {
			out[k] = a.DNSConfig.DNSPrimary
		}
	}
	return out
}

// runSummary is the part of a plan.RunRecord that does not vary between test runs.
type runSummary struct {
	Job, Trigger, Scheduled, Result          string
	Changed, Ran, Unchanged, Failed, Pending int
	Error                                    string
}

func summarize(r plan.RunRecord) runSummary {
	return runSummary{Job: r.Job, Trigger: r.Trigger, Scheduled: r.Scheduled.UTC().Format("15:04"), Result: r.Result,
		Changed: r.Changed, Ran: r.Ran, Unchanged: r.Unchanged, Failed: r.Failed, Pending: r.Pending, Error: r.Error}
}

// scrape returns the metric samples of a /metrics page whose names start with tintri_jobs_.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return parseSamples(t, resp.Body)
}

// parseSamples reads the tintri_jobs_ samples of a Prometheus text exposition.
func parseSamples(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "tintri_jobs_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const driftJobs = `
job "dns" {
  schedule  = "0 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
job "drift" {
  schedule  = "30 * * * *"
  time_zone = "UTC"
  mode      = "plan"
  task "daemontest" "check" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`

func TestDaemonApplyDriftHistoryMetrics(t *testing.T) {
	start := ts(t, "2026-06-01T00:10:00Z")
	tmp := t.TempDir()
	notified, notifyEnv := filepath.Join(tmp, "notify.json"), filepath.Join(tmp, "notify.env")
	const password = "notify-test-secret-1"
	f := newDaemonFixture(t, sim.Options{VMstores: 2, VMs: 4, Seed: 1, Password: password}, start, driftJobs,
		Options{NotifyCommand: "env > " + notifyEnv + " && cat > " + notified, Environ: []string{
			"PATH=" + os.Getenv("PATH"), "KEEP=kept", "TINTRI_JOBS_VAR_ca=/ca.pem",
			"TINTRI_PASSWORD=other", "TINTRI_JOBS_VAR_password=sensitive-value", "WRAPPED=x" + password + "y",
		}})
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	// vmstore-0 answers the first read of the first run with 503: the client retries it.
	f.sim.FailNext("vmstore-0", 1, http.StatusServiceUnavailable)
	host0, err := config.MemberKey(f.sim.VMstoreURLs()[0])
	if err != nil {
		t.Fatal(err)
	}
	f.start()
	var got []runSummary
	for range 3 { // 00:30 drift, 01:00 dns, 01:30 drift
		f.clk.next(t)
		got = append(got, summarize(f.run(t)))
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d while running", code)
	}
	m := scrape(t, srv.URL)
	code, body := get(t, srv.URL+"/runs?job=drift&limit=1")
	if err := f.stop(t); err != nil {
		t.Fatalf("Run: %v", err)
	}

	want := []runSummary{
		{Job: "drift", Trigger: TriggerSchedule, Scheduled: "00:30", Result: plan.ResultDrift, Pending: 2},
		{Job: "dns", Trigger: TriggerSchedule, Scheduled: "01:00", Result: plan.ResultSuccess, Changed: 2},
		{Job: "drift", Trigger: TriggerSchedule, Scheduled: "01:30", Result: plan.ResultSuccess, Unchanged: 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	for k, v := range f.primaries() {
		if v != "10.9.9.9" {
			t.Errorf("sim %s primary DNS = %q", k, v)
		}
	}

	// History on disk, newest last, each line a documented run record.
	recs, err := ReadHistory(filepath.Join(f.dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
		schematest.Validate(t, schematest.RunRecord, line)
	}
	var disk []runSummary
	for _, r := range recs {
		disk = append(disk, summarize(r))
	}
	if diff := cmp.Diff(want, disk); diff != "" {
		t.Errorf("history.jsonl (-want +got):\n%s", diff)
	}

	// /runs
	var runs []plan.RunRecord
	if err := json.Unmarshal([]byte(body), &runs); code != http.StatusOK || err != nil || len(runs) != 1 {
		t.Fatalf("/runs = %d %s (%v)", code, body, err)
	}
	if diff := cmp.Diff(want[2], summarize(runs[0])); diff != "" {
		t.Errorf("/runs (-want +got):\n%s", diff)
	}

	// The notify command got the first drift run's summary, and no secret in its environment.
	b, err := os.ReadFile(notifyEnv)
	if err != nil {
		t.Fatal(err)
	}
	env := strings.Split(string(b), "\n")
	for _, kv := range []string{"KEEP=kept", "TINTRI_JOBS_VAR_ca=/ca.pem"} {
		if !slices.Contains(env, kv) {
			t.Errorf("notify command environment lacks %s:\n%s", kv, b)
		}
	}
	for _, secret := range []string{password, "TINTRI_PASSWORD", "sensitive-value"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("notify command environment holds %s:\n%s", secret, b)
		}
	}
	b, err = os.ReadFile(notified)
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.DriftSummary, b)
	var sum plan.DriftSummary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	var servers []string
	for _, ch := range sum.Changes {
		if ch.Task != "check" || ch.Kind != daemonTestKind || ch.Action != plan.ActionUpdate || ch.Object != "appliance dns" {
			t.Errorf("drift change %+v", ch)
		}
		servers = append(servers, ch.Server)
	}
	var wantServers []string
	for k := range f.primaries() {
		wantServers = append(wantServers, k)
	}
	sort.Strings(servers)
	sort.Strings(wantServers)
	if sum.Job != "drift" || sum.Pending != 2 || sum.RunID != recs[0].ID || !cmp.Equal(wantServers, servers) {
		t.Errorf("drift summary = %s", b)
	}

	// Metrics.
	unix := func(s string) float64 { return float64(ts(t, s).Unix()) }
	wantMetrics := map[string]float64{
		`tintri_jobs_runs_total{job="dns",result="success"}`:      1,
		`tintri_jobs_runs_total{job="drift",result="drift"}`:      1,
		`tintri_jobs_runs_total{job="drift",result="success"}`:    1,
		`tintri_jobs_changes_applied_total{job="dns"}`:            2,
		`tintri_jobs_changes_applied_total{job="drift"}`:          0,
		`tintri_jobs_drift_pending_changes{job="drift"}`:          0,
		`tintri_jobs_last_success_timestamp_seconds{job="dns"}`:   unix("2026-06-01T01:00:00Z"),
		`tintri_jobs_last_success_timestamp_seconds{job="drift"}`: unix("2026-06-01T01:30:00Z"),
		`tintri_jobs_next_run_timestamp_seconds{job="dns"}`:       unix("2026-06-01T02:00:00Z"),
		`tintri_jobs_next_run_timestamp_seconds{job="drift"}`:     unix("2026-06-01T02:30:00Z"),
		`tintri_jobs_job_running{job="dns"}`:                      0,
		`tintri_jobs_job_running{job="drift"}`:                    0,
		`tintri_jobs_run_duration_seconds_count{job="dns"}`:       1,
		`tintri_jobs_run_duration_seconds_count{job="drift"}`:     2,
		`tintri_jobs_config_reloads_total{result="success"}`:      0,
		`tintri_jobs_config_reloads_total{result="failure"}`:      0,
		`tintri_jobs_config_loaded_timestamp_seconds`:             unix("2026-06-01T00:10:00Z"),
		// server is host:port, method the HTTP method, status the answer's code.
		`tintri_jobs_api_requests_total{method="GET",server="` + host0 + `",status="503"}`: 1,
		`tintri_jobs_api_requests_total{method="PUT",server="` + host0 + `",status="204"}`: 1,
		`tintri_jobs_api_retries_total{method="GET",server="` + host0 + `"}`:               1,
	}
	for k, v := range wantMetrics {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	// The run's clients publish their in-flight limits: the adaptive one starts at 4 and a
	// 503 takes it down.
	if v := m[`tintri_jobs_api_inflight_limit{server="`+host0+`"}`]; v < 1 || v > 4 {
		t.Errorf("api_inflight_limit of %s = %v, want 1 to 4", host0, v)
	}
	puts := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, "tintri_jobs_api_requests_total{") && strings.Contains(k, `method="PUT"`) {
			puts += v
		}
	}
	if puts != 2 {
		t.Errorf("api_requests_total PUT = %v, want 2", puts)
	}
}

// syncBuffer is a bytes.Buffer safe for the daemon's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A failing notify command is logged with its output; the run keeps its result and the
// daemon goes on.
func TestDaemonNotifyFailureIsLogged(t *testing.T) {
	jobs := `
job "drift" {
  schedule  = "30 * * * *"
  time_zone = "UTC"
  mode      = "plan"
  task "daemontest" "check" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), jobs,
		Options{NotifyCommand: "echo webhook down >&2; exit 3"})
	var logs syncBuffer
	f.d.opts.Log = zerolog.New(&logs)
	f.start()
	var got []runSummary
	for range 2 {
		f.clk.next(t)
		got = append(got, summarize(f.run(t)))
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	want := runSummary{Job: "drift", Trigger: TriggerSchedule, Result: plan.ResultDrift, Pending: 1}
	for i, r := range got {
		r.Scheduled = ""
		if r != want {
			t.Errorf("run %d = %+v, want %+v", i, r, want)
		}
	}
	var failures []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["message"] == "notify command failed" {
			failures = append(failures, fmt.Sprintf("%s %s", m["level"], m["error"]))
		}
	}
	wantFailures := []string{"error notify command: exit status 3: webhook down", "error notify command: exit status 3: webhook down"}
	if diff := cmp.Diff(wantFailures, failures); diff != "" {
		t.Errorf("notify failures logged (-want +got):\n%s", diff)
	}
}

func TestDaemonReloadKeepsConfigOnError(t *testing.T) {
	start := ts(t, "2026-06-01T00:10:00Z")
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, start, driftJobs, Options{})
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d before the scheduler runs, want 503", code)
	}
	f.start()
	f.clk.waitTimers(t, 1) // the scheduler runs: ready
	old := f.d.Config()
	f.setJobs(strings.Replace(driftJobs, `"0 * * * *"`, `"0 * * *"`, 1))
	err := f.d.Reload()
	if err == nil || !strings.Contains(err.Error(), "Invalid schedule") || f.d.Config() != old {
		t.Fatalf("Reload of a broken file: %v (config replaced: %v)", err, f.d.Config() != old)
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d after a failed reload", code)
	}
	// The old schedule still fires.
	f.clk.next(t)
	if r := f.run(t); r.Job != "drift" || !r.Scheduled.Equal(ts(t, "2026-06-01T00:30:00Z")) {
		t.Errorf("run after failed reload = %+v", summarize(r))
	}
	// A valid file replaces the schedules.
	f.setJobs(strings.Replace(driftJobs, `"30 * * * *"`, `"45 * * * *"`, 1))
	if err := f.d.Reload(); err != nil {
		t.Fatal(err)
	}
	f.clk.waitFor(t, func(ats []time.Time) bool { return len(ats) == 1 && ats[0].Equal(ts(t, "2026-06-01T00:45:00Z")) })
	m := scrape(t, srv.URL)
	// A reload that removes the drift job removes its gauges; its counters stay.
	f.setJobs(driftJobs[:strings.Index(driftJobs, `job "drift"`)])
	if err := f.d.Reload(); err != nil {
		t.Fatal(err)
	}
	gone := scrape(t, srv.URL)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, srv.URL+"/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d after shutdown, want 503", code)
	}
	for k, v := range map[string]float64{
		`tintri_jobs_config_reloads_total{result="failure"}`:      1,
		`tintri_jobs_config_reloads_total{result="success"}`:      1,
		`tintri_jobs_next_run_timestamp_seconds{job="drift"}`:     float64(ts(t, "2026-06-01T00:45:00Z").Unix()),
		`tintri_jobs_last_success_timestamp_seconds{job="drift"}`: float64(ts(t, "2026-06-01T00:30:00Z").Unix()),
		`tintri_jobs_drift_pending_changes{job="drift"}`:          1,
		`tintri_jobs_job_running{job="drift"}`:                    0,
		`tintri_jobs_runs_total{job="drift",result="drift"}`:      1,
	} {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
		}
	}
	for k := range gone {
		for _, gauge := range []string{"last_success_timestamp_seconds", "drift_pending_changes", "job_running", "next_run_timestamp_seconds"} {
			if strings.HasPrefix(k, "tintri_jobs_"+gauge+`{job="drift"`) {
				t.Errorf("%s still exported after the job was removed", k)
			}
		}
	}
	if gone[`tintri_jobs_runs_total{job="drift",result="drift"}`] != 1 {
		t.Errorf("runs_total of the removed job lost")
	}
}

func TestDaemonRecordsTaskPanicsAndGoesOn(t *testing.T) {
	start := ts(t, "2026-06-01T00:10:00Z")
	jobs := `
job "bad" {
  schedule  = "@every 1m"
  task "daemontest" "p" { panic = true }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, start, jobs, Options{})
	f.start()
	var got []runSummary
	for range 2 {
		f.clk.next(t)
		got = append(got, summarize(f.run(t)))
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	// The engine turns a task's panic into that task's failure.
	want := runSummary{Job: "bad", Trigger: TriggerSchedule, Result: plan.ResultFailed, Failed: 1,
		Error: "task p: plan: task p panicked: daemontest boom"}
	for i, r := range got {
		r.Scheduled = ""
		if r != want {
			t.Errorf("run %d = %+v, want %+v", i, r, want)
		}
	}
}

// TestDaemonShutdownMidApply stops the daemon (SIGTERM) while an apply is between its first
// and second change: with a grace period the run finishes; without one it is cancelled, the
// second change fails with the cancelled context and the others are skipped. Either way the
// audit log and the simulator agree (every change the audit log calls ok is in the
// simulator, every change the simulator shows is in the audit log) and every session that
// logged in logged out.
func TestDaemonShutdownMidApply(t *testing.T) {
	const n = 6
	jobs := `
job "dns" {
  schedule = "0 0 1 1 *" # a daemon needs a scheduled job; this test triggers the run
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`
	// A shutdown starts no further change; the one in flight finishes within the grace
	// period (recorded ok) or is abandoned when there is none (recorded unknown). Each
	// change tried has an intent and an outcome record.
	tests := []struct {
		name    string
		grace   time.Duration
		result  string
		changed int // changes made, all recorded ok
		audited int // audit records
	}{
		{name: "grace lets the change in flight finish", grace: time.Hour, result: plan.ResultCancelled, changed: 2, audited: 4},
		{name: "no grace abandons it", grace: 0, result: plan.ResultCancelled, changed: 1, audited: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The second change waits: until released (grace) or until the run is cancelled.
			second, release := make(chan context.Context, 1), make(chan struct{})
			var applies atomic.Int32
			daemonTestBeforeApply = func(ctx context.Context) {
				if applies.Add(1) != 2 {
					return
				}
				second <- ctx
				select {
				case <-release:
				case <-ctx.Done():
				}
			}
			defer func() { daemonTestBeforeApply = nil }()
			f := newDaemonFixture(t, sim.Options{VMstores: n, VMs: n, Seed: 1},
				ts(t, "2026-06-01T00:10:00Z"), jobs, Options{Parallelism: 1, ShutdownGrace: tt.grace})
			var logs syncBuffer
			f.d.opts.Log = zerolog.New(&logs)
			f.start()
			if status, err := f.d.Trigger("dns"); err != nil || status != "started" {
				t.Fatalf("Trigger = %s, %v", status, err)
			}
			runCtx := recv(t, second, "second change")
			// The job never runs twice at once: a start meanwhile is skipped and counted.
			if status, err := f.d.Trigger("dns"); err != nil || status != "skipped" {
				t.Errorf("Trigger during the run = %s, %v; want skipped", status, err)
			}
			f.cancel() // SIGTERM
			recv(t, f.d.sched.stop, "shutdown to begin")
			if tt.grace > 0 {
				if runCtx.Err() != nil {
					t.Fatalf("run cancelled within the grace period: %v", runCtx.Err())
				}
				close(release)
			}
			if err := recv(t, f.done, "daemon to stop"); err != nil {
				t.Fatal(err)
			}
			r := f.run(t)
			if r.Result != tt.result || r.Trigger != TriggerManual || r.Changed != tt.changed {
				t.Fatalf("run = %+v, want result %s, %d changed", summarize(r), tt.result, tt.changed)
			}
			audit, err := engine.ReadAudit(f.dir)
			if err != nil {
				t.Fatal(err)
			}
			ok, recorded := map[string]bool{}, map[string]bool{}
			for _, a := range audit {
				recorded[a.Server] = true
				if a.Result == plan.AuditOK {
					ok[a.Server] = true
				}
			}
			changed := map[string]bool{}
			for k, v := range f.primaries() {
				if v == "10.9.9.9" {
					changed[k] = true
				}
			}
			if diff := cmp.Diff(changed, ok); diff != "" {
				t.Errorf("changed in the simulator (-) vs ok in the audit log (+):\n%s", diff)
			}
			for k := range changed {
				if !recorded[k] {
					t.Errorf("simulator changed %s with no audit record", k)
				}
			}
			if got := strings.Count(logs.String(), `"message":"change applied"`); got != tt.changed {
				t.Errorf("%d change applied log lines, want %d", got, tt.changed)
			}
			if len(changed) != tt.changed || len(audit) != tt.audited {
				t.Errorf("simulator changed %d, audit log holds %d records; want %d and %d", len(changed), len(audit), tt.changed, tt.audited)
			}
			sessions := map[string]int64{}
			for _, c := range f.sim.Counts() {
				switch c.Path {
				case "/api/v310/session/login":
					sessions[c.Server] += c.N
				case "/api/v310/session/logout":
					sessions[c.Server] -= c.N
				}
			}
			for server, open := range sessions {
				if open != 0 {
					t.Errorf("%s: %d sessions not logged out", server, open)
				}
			}
			if len(sessions) != n {
				t.Errorf("sessions on %d servers, want %d", len(sessions), n)
			}
			m := samples(t, f.d.Handler())
			for k, v := range map[string]float64{
				`tintri_jobs_skipped_starts_total{job="dns"}`:                  1,
				`tintri_jobs_runs_total{job="dns",result="` + tt.result + `"}`: 1,
				`tintri_jobs_changes_applied_total{job="dns"}`:                 float64(tt.changed),
				`tintri_jobs_job_running{job="dns"}`:                           0,
			} {
				if got, ok := m[k]; !ok || got != v {
					t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
				}
			}
		})
	}
}

const soakJobs = `
job "soak" {
  schedule      = "* * * * *"
  time_zone     = "UTC"
  history_limit = 20
  task "daemontest" "offline" { offline = 2 }
  # Every run logs in, reads and logs out: leaked clients, sessions or connections show.
  task "daemontest" "dns" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`

// BenchmarkDaemonRuns measures one scheduled run (plan and apply of two offline changes,
// audit and history fsyncs included) on the fake clock, and reports the heap growth.
func BenchmarkDaemonRuns(b *testing.B) {
	f := newDaemonFixture(b, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), soakJobs, Options{})
	f.start()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		f.clk.next(b)
		if r := f.run(b); r.Result != plan.ResultSuccess {
			b.Fatalf("run = %+v", summarize(r))
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1024, "heap-growth-KiB")
	if err := f.stop(b); err != nil {
		b.Fatal(err)
	}
}

// TestDaemonSoak runs a few hundred scheduled runs on the fake clock and checks that the
// heap does not grow with them (history and metrics are bounded).
func TestDaemonSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:00:00Z"), soakJobs, Options{})
	f.start()
	first := true
	run := func(k int) {
		for range k {
			f.clk.next(t)
			want := 0 // the DNS change only in the first run; the two reports in every run
			if first {
				want, first = 1, false
			}
			if r := f.run(t); r.Result != plan.ResultSuccess || r.Changed != want || r.Ran != 2 {
				t.Fatalf("run = %+v, want %d changed and 2 ran", summarize(r), want)
			}
		}
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	run(50)
	before, goBefore := heap(), runtime.NumGoroutine()
	run(300)
	after, goAfter := heap(), runtime.NumGoroutine()
	// The last run's goroutine may still be returning: let it.
	for i := 0; i < 1000 && goAfter > goBefore; i++ {
		runtime.Gosched()
		goAfter = runtime.NumGoroutine()
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	// 350 appends end on a compaction (every CompactEvery): history_limit runs remain.
	recs, err := ReadHistory(filepath.Join(f.dir, HistoryFile))
	if mem := len(f.d.History().Recent("soak", 0)); err != nil || mem != 20 || len(recs) != 20 {
		t.Errorf("history holds %d runs in memory, %d on disk (%v); want 20", mem, len(recs), err)
	}
	t.Logf("heap after 50 runs %d KiB, after 350 runs %d KiB; goroutines %d, %d", before/1024, after/1024, goBefore, goAfter)
	// 1 MiB is about 3 KiB a run: a leak of anything per run (a client, a goroutine's
	// stack, a history record beyond the limit) shows.
	if after > before+1<<20 {
		t.Errorf("heap grew from %d to %d bytes over 300 runs", before, after)
	}
	if goAfter > goBefore {
		t.Errorf("goroutines grew from %d to %d over 300 runs", goBefore, goAfter)
	}
	var logins, logouts int64
	for _, c := range f.sim.Counts() {
		switch c.Path {
		case "/api/v310/session/login":
			logins += c.N
		case "/api/v310/session/logout":
			logouts += c.N
		}
	}
	if logins < 350 || logouts != logins {
		t.Errorf("%d logins, %d logouts over 350 runs; want every session logged out", logins, logouts)
	}
}

func TestDaemonHTTPRunsAndTrigger(t *testing.T) {
	f, url, token := newManualFixture(t)
	post := func(q string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, url+"/runs"+q, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	type answer struct {
		code int
		body string
	}
	var got []answer
	add := func(code int, body string) { got = append(got, answer{code, strings.Join(strings.Fields(body), " ")}) }
	add(post("?job=report"))
	r := f.run(t)
	add(post("?job=nope"))
	add(get(t, url+"/runs?limit=x"))
	// A client that is not on loopback may not start runs, even with the token.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "http://192.0.2.1:9273/runs?job=report", nil)
	req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9273}))
	req.RemoteAddr = "192.0.2.7:40000"
	req.Header.Set("Authorization", "Bearer "+token)
	f.d.Handler().ServeHTTP(rec, req)
	add(rec.Code, rec.Body.String())
	_, body := get(t, url+"/runs")
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	add(post("?job=report"))
	want := []answer{
		{http.StatusAccepted, `{ "job": "report", "status": "started" }`},
		{http.StatusNotFound, `{ "error": "no job named \"nope\"" }`},
		{http.StatusBadRequest, `{ "error": "limit must be a non-negative integer" }`},
		{http.StatusForbidden, `{ "error": "manual runs are accepted from loopback clients only" }`},
		{http.StatusServiceUnavailable, `{ "error": "the daemon is shutting down" }`},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(answer{})); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if r.Trigger != TriggerManual || r.Result != plan.ResultSuccess || r.Changed != 0 || r.Ran != 1 {
		t.Errorf("manual run = %+v", summarize(r))
	}
	var runs []plan.RunRecord
	if err := json.Unmarshal([]byte(body), &runs); err != nil || len(runs) != 1 || runs[0].ID != r.ID {
		t.Errorf("/runs = %s (%v)", body, err)
	}
}

func TestDaemonCatchesUpFromHistory(t *testing.T) {
	jobs := `
job "hourly" {
  schedule        = "0 * * * *"
  time_zone       = "UTC"
  catch_up_within = "6h"
  task "daemontest" "offline" { offline = 1 }
}
job "hourly-no-catch-up" {
  schedule  = "0 * * * *"
  time_zone = "UTC"
  task "daemontest" "offline" { offline = 1 }
}
`
	dir := t.TempDir()
	h, err := OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, job := range []string{"hourly", "hourly-no-catch-up"} {
		at := ts(t, "2026-06-01T08:00:00Z")
		if err := h.Append(plan.RunRecord{ID: job, Job: job, Trigger: TriggerSchedule, Scheduled: at, Start: at, End: at, Result: plan.ResultSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T12:10:00Z"), jobs, Options{StateDir: dir})
	f.start()
	first := summarize(f.run(t))
	// Then the regular schedule: both jobs at 13:00.
	f.clk.next(t)
	next := []runSummary{summarize(f.run(t)), summarize(f.run(t))}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	sort.Slice(next, func(i, k int) bool { return next[i].Job < next[k].Job })
	want := []runSummary{
		{Job: "hourly", Trigger: TriggerCatchUp, Scheduled: "12:00", Result: plan.ResultSuccess, Ran: 1},
		{Job: "hourly", Trigger: TriggerSchedule, Scheduled: "13:00", Result: plan.ResultSuccess, Ran: 1},
		{Job: "hourly-no-catch-up", Trigger: TriggerSchedule, Scheduled: "13:00", Result: plan.ResultSuccess, Ran: 1},
	}
	if diff := cmp.Diff(want, append([]runSummary{first}, next...)); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
}

// A reload that removes a job while it runs lets the run finish, and the run's end does not
// bring back the gauges the reload removed (a last_success that never moves again would
// fire a staleness alert for a job that is gone).
func TestDaemonReloadRemovesRunningJob(t *testing.T) {
	const keep = `
job "other" {
  schedule = "0 0 1 1 *" # a daemon needs a scheduled job
  task "daemontest" "offline" { offline = 1 }
}
`
	const dns = `
job "dns" {
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`
	entered, release := make(chan struct{}, 1), make(chan struct{})
	var applies atomic.Int32
	daemonTestBeforeApply = func(context.Context) {
		if applies.Add(1) == 1 {
			entered <- struct{}{}
			<-release
		}
	}
	defer func() { daemonTestBeforeApply = nil }()
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), keep+dns, Options{})
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	f.start()
	if status, err := f.d.Trigger("dns"); err != nil || status != "started" {
		t.Fatalf("Trigger = %s, %v", status, err)
	}
	recv(t, entered, "the apply")
	f.setJobs(keep)
	if err := f.d.Reload(); err != nil {
		t.Fatal(err)
	}
	close(release)
	r := f.run(t)
	m := scrape(t, srv.URL)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	if r.Job != "dns" || r.Result != plan.ResultSuccess || r.Changed != 1 {
		t.Errorf("run = %+v, want the removed job's run to finish", summarize(r))
	}
	for k := range m {
		if strings.Contains(k, `job="dns"`) && !strings.HasPrefix(k, "tintri_jobs_runs_total") &&
			!strings.HasPrefix(k, "tintri_jobs_run_duration_seconds") && !strings.HasPrefix(k, "tintri_jobs_changes_applied_total") {
			t.Errorf("%s exported after the job was removed", k)
		}
	}
	if m[`tintri_jobs_runs_total{job="dns",result="success"}`] != 1 {
		t.Errorf("runs_total of the removed job's last run missing")
	}
}

// A reload of a file with several errors logs each of them, with its position, and keeps
// the configuration (and so the schedules) in use.
func TestDaemonReloadLogsEveryDiagnostic(t *testing.T) {
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), driftJobs, Options{})
	var logs syncBuffer
	f.d.opts.Log = zerolog.New(&logs)
	f.start()
	f.clk.waitTimers(t, 1)
	old := f.d.Config()
	broken := strings.NewReplacer(`"0 * * * *"`, `"0 * * *"`, `mode      = "plan"`, `mode      = "sometimes"`).Replace(driftJobs)
	broken = strings.Replace(broken, `time_zone = "UTC"`, `time_zone = "Mars/Base"`, 1)
	f.setJobs(broken)
	src := f.source()
	line := func(s string) string {
		i := strings.Index(src, s)
		if i < 0 {
			t.Fatalf("%q not in the job file", s)
		}
		return fmt.Sprintf("jobs.hcl:%d", strings.Count(src[:i], "\n")+1)
	}
	if err := f.d.Reload(); err == nil {
		t.Fatal("Reload of a broken file succeeded")
	}
	// The old schedule still fires (00:30, the drift job).
	f.clk.next(t)
	r := f.run(t)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	if f.d.Config() != old || r.Job != "drift" || !r.Scheduled.Equal(ts(t, "2026-06-01T00:30:00Z")) {
		t.Errorf("after a failed reload: config replaced %v, run %+v", f.d.Config() != old, summarize(r))
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if at, ok := m["at"].(string); ok {
			at, _, _ = strings.Cut(at, ",") // file:line
			got = append(got, fmt.Sprintf("%s %s %s", m["level"], at, m["message"]))
		}
		if m["message"] == "reload: configuration invalid, keeping the one in use" {
			got = append(got, fmt.Sprintf("%s %v errors: %s", m["level"], m["errors"], m["message"]))
		}
	}
	want := []string{
		"error " + line(`"0 * * *"`) + " Invalid schedule",
		"error " + line(`"Mars/Base"`) + " Invalid time_zone",
		"error " + line(`"sometimes"`) + " Invalid mode",
		"error 3 errors: reload: configuration invalid, keeping the one in use",
	}
	sort.Strings(got[:len(got)-1])
	sort.Strings(want[:len(want)-1])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reload log (-want +got):\n%s", diff)
	}
}

// TestNotifyEnvShortPassword: a short password removes the variables that are it, not
// every variable that happens to contain its letters.
func TestNotifyEnvShortPassword(t *testing.T) {
	cfg := &engine.Config{Config: &config.Config{
		Servers: map[string]*config.Server{"tgc": {Connection: config.Connection{Password: "bin"}}},
		Fleets:  map[string]*config.Fleet{"lab": {Connection: config.Connection{Password: "a-long-fleet-secret"}}},
	}}
	got := notifyEnv([]string{
		"PATH=/usr/bin:/bin", "PW=bin", "URL=https://u:a-long-fleet-secret@host", "HOME=/home/x",
	}, cfg)
	if diff := cmp.Diff([]string{"PATH=/usr/bin:/bin", "HOME=/home/x"}, got); diff != "" {
		t.Errorf("notify environment (-want +got):\n%s", diff)
	}
}

// TestDaemonRefusesNoScheduledJob: a daemon whose configuration schedules no job would
// run nothing; it refuses to start, and a reload to such a configuration keeps the one in
// use.
func TestDaemonRefusesNoScheduledJob(t *testing.T) {
	const unscheduled = `
job "manual" {
  task "daemontest" "offline" { offline = 1 }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), driftJobs, Options{})
	f.jobs = unscheduled
	cfg, diags := f.load()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	_, err := New(cfg, Options{StateDir: t.TempDir(), Log: zerolog.Nop()})
	want := `no job has a schedule (jobs: manual), so the daemon would run nothing: add schedule = "…" to the jobs it should run, or run them with plan and apply`
	if err == nil || err.Error() != want {
		t.Errorf("New: %v, want %q", err, want)
	}
	if err := f.d.Reload(); err == nil || !strings.Contains(err.Error(), "no job has a schedule") {
		t.Errorf("Reload to an unscheduled configuration: %v", err)
	}
	if f.d.Config().Job("drift") == nil {
		t.Errorf("the failed reload replaced the configuration in use")
	}
}

// TestDaemonLogKeysOnce: every JSON log line of a run, the engine's included, carries each
// key once (a collector keeps either value of a key given twice).
func TestDaemonLogKeysOnce(t *testing.T) {
	jobs := `
job "dns" {
  schedule = "30 * * * *"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 2, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), jobs, Options{})
	var logs syncBuffer
	f.d.opts.Log = zerolog.New(&logs)
	f.sim.FailNextMatching("vmstore-1", http.MethodPut, "/api/v310/appliance", 1, http.StatusInternalServerError) // "change failed"
	f.start()
	f.clk.next(t)
	f.run(t)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	messages := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		if _, err := dec.Token(); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			key := tok.(string)
			if seen[key] {
				t.Errorf("log line has %q twice: %s", key, line)
			}
			seen[key] = true
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if key == "message" {
				messages[v.(string)] = true
			}
		}
	}
	if !messages["run finished"] || !messages["change failed"] {
		t.Errorf("the run logged %v, want a failed change and the run's end among them", messages)
	}
}

// TestDaemonJobsInConflictDoNotFlipFlop: two apply-mode jobs that want different primary
// DNS servers for the same VMstores run at different times. Each run records its claims in
// the state directory; the other job's next run sees them, so after the first job's first
// apply neither writes again, every run says why, and the VMstores do not flip-flop.
func TestDaemonJobsInConflictDoNotFlipFlop(t *testing.T) {
	jobs := `
job "a" {
  schedule  = "0 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.1.1.1"
  }
}
job "b" {
  schedule  = "30 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.2.2.2"
  }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 2, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), jobs, Options{})
	f.start()
	var got []string
	writes := []int64{}
	for i := range 4 {
		f.clk.next(t)
		r := f.run(t)
		got = append(got, r.Job+" "+r.Result)
		writes = append(writes, f.sim.Writes())
		if want := "conflict: task " + r.Job + ".set"; i > 0 && !strings.Contains(r.Error, want) {
			t.Errorf("run %d of %s: error %q, want %q", i+1, r.Job, r.Error, want)
		}
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	// The first run is b's (00:30), before a has claimed anything: it applies. From then on
	// each job sees the other's claims.
	if diff := cmp.Diff([]string{"b success", "a failed", "b failed", "a failed"}, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	for i := 1; i < len(writes); i++ {
		if writes[i] != writes[0] {
			t.Errorf("writes after run %d: %d, after the first run %d: the jobs flip-flop", i+1, writes[i], writes[0])
		}
	}
	if got := f.sim.Appliance("vmstore-0").DNSConfig.DNSPrimary; got != "10.2.2.2" {
		t.Errorf("vmstore-0 primary = %q, want the first run's 10.2.2.2 kept", got)
	}
}
