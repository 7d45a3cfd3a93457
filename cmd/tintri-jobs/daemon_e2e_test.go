package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/daemon"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// daemonE2EDeadline bounds each wait of the end-to-end daemon test. The daemon runs on the
// real clock with an "@every 1s" schedule, so the waits are real; they only fail on a hang.
const daemonE2EDeadline = 60 * time.Second

// daemonProc is a `tintri-jobs daemon` process whose JSON log lines are collected.
type daemonProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []map[string]any
	more chan struct{} // closed and replaced on each new line
	done chan struct{} // closed when stderr ends
}

func startDaemonProc(t testing.TB, bin string, env []string, args ...string) *daemonProc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	return startDaemonCmd(t, cmd)
}

// startDaemonCmd starts cmd, a daemon command line, collecting its log lines.
func startDaemonCmd(t testing.TB, cmd *exec.Cmd) *daemonProc {
	t.Helper()
	p := &daemonProc{cmd: cmd, more: make(chan struct{}), done: make(chan struct{})}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }) // it may have exited already
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"message": sc.Text(), "raw": true}
			}
			p.mu.Lock()
			p.logs = append(p.logs, m)
			close(p.more)
			p.more = make(chan struct{})
			p.mu.Unlock()
		}
	}()
	return p
}

// waitLog waits for a log line with this message (and these fields) after line `from`,
// and returns it and its index.
func (p *daemonProc) waitLog(t testing.TB, from int, msg string, fields map[string]any) (map[string]any, int) {
	t.Helper()
	deadline := time.After(daemonE2EDeadline)
	for {
		p.mu.Lock()
		for i := from; i < len(p.logs); i++ {
			m := p.logs[i]
			if m["message"] != msg {
				continue
			}
			match := true
			for k, v := range fields {
				match = match && m[k] == v
			}
			if match {
				p.mu.Unlock()
				return m, i
			}
		}
		more := p.more
		p.mu.Unlock()
		select {
		case <-more:
		case <-p.done:
			t.Fatalf("daemon exited before logging %q; log:\n%s", msg, p.dump())
		case <-deadline:
			t.Fatalf("daemon did not log %q; log:\n%s", msg, p.dump())
		}
	}
}

func (p *daemonProc) dump() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, m := range p.logs {
		j, _ := json.Marshal(m)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

func writeDaemonJobs(t testing.TB, path string, s *sim.Sim, schedule, primary string) {
	t.Helper()
	var urls []string
	for _, u := range s.VMstoreURLs() {
		urls = append(urls, strconv.Quote(u))
	}
	src := fmt.Sprintf(`variable "password" {
  sensitive = true
}

fleet "all" {
  urls     = [%s]
  username = "admin"
  password = var.password
  ca_file  = %q
}

job "dns" {
  schedule = %q
  task "appliance_dns" "set" {
    fleet   = fleet.all
    primary = %q
  }
}
`, strings.Join(urls, ", "), s.CAFile(), schedule, primary)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
}

func daemonE2EGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestDaemonE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon for seconds")
	}
	s, err := sim.Start(sim.Options{VMstores: 2, VMs: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bin := binPath
	dir := t.TempDir()
	jobs, state := filepath.Join(dir, "jobs.hcl"), filepath.Join(dir, "state")
	writeDaemonJobs(t, jobs, s, "@every 1s", "10.9.9.9")
	env := append(os.Environ(), "TINTRI_JOBS_VAR_password="+s.Password())
	args := []string{"daemon", "-log-format", "json", "-config", jobs, "-state-dir", state, "-listen", "127.0.0.1:0", "-shutdown-grace", "30s"}

	p := startDaemonProc(t, bin, env, args...)
	listening, _ := p.waitLog(t, 0, "listening", nil)
	base := "http://" + listening["addr"].(string)

	// Runs happen every second and succeed, each logged at its start and end.
	started, _ := p.waitLog(t, 0, "run started", map[string]any{"level": "info", "job": "dns", "trigger": "schedule", "mode": "apply"})
	if id, _ := started["run_id"].(string); len(id) != 16 {
		t.Errorf("run started line without a run id: %v", started)
	}
	_, at := p.waitLog(t, 0, "run finished", map[string]any{"job": "dns", "result": "success", "changed": float64(2)})
	// Every applied change has its info line, with the run's job and run id.
	for _, u := range s.VMstoreURLs() {
		key := strings.TrimPrefix(u, "https://")
		applied, _ := p.waitLog(t, 0, "change applied", map[string]any{"level": "info", "job": "dns", "task": "set", "server": key})
		if applied["run_id"] == nil || applied["object"] == nil {
			t.Errorf("change applied line lacks run_id or object: %v", applied)
		}
	}
	p.waitLog(t, at+1, "run finished", map[string]any{"job": "dns", "result": "success", "changed": float64(0)})
	for i := range 2 {
		if a := s.Appliance(fmt.Sprintf("vmstore-%d", i)); a.DNSConfig == nil || a.DNSConfig.DNSPrimary != "10.9.9.9" {
			t.Errorf("vmstore-%d DNS = %+v", i, a.DNSConfig)
		}
	}
	if code, body := daemonE2EGet(t, base+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _ := daemonE2EGet(t, base+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}
	_, metrics := daemonE2EGet(t, base+"/metrics")
	for _, want := range []string{`tintri_jobs_runs_total{job="dns",result="success"} `, `tintri_jobs_changes_applied_total{job="dns"} 2`,
		`tintri_jobs_next_run_timestamp_seconds{job="dns"} `, `tintri_jobs_api_requests_total{`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	code, body := daemonE2EGet(t, base+"/runs?limit=1")
	var runs []plan.RunRecord
	if err := json.Unmarshal([]byte(body), &runs); code != http.StatusOK || err != nil || len(runs) != 1 ||
		runs[0].Job != "dns" || runs[0].Trigger != daemon.TriggerSchedule || runs[0].Result != plan.ResultSuccess {
		t.Errorf("/runs = %d %s (%v)", code, body, err)
	}

	// A second daemon on the same state directory is refused, naming the first one's pid.
	second := exec.Command(bin, args...)
	second.Env = env
	out, err := second.CombinedOutput()
	wantLock := fmt.Sprintf("is locked by another daemon (pid %d)", p.cmd.Process.Pid)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), wantLock) {
		t.Errorf("second daemon: %v\n%s", err, out)
	}

	// SIGHUP with a broken file keeps the running configuration.
	if err := os.WriteFile(jobs, []byte("job \"dns\" {\n  schedule = \"not a schedule\"\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// Each diagnostic is logged with its position in the file, named as at start.
	p.waitLog(t, at, "Invalid schedule", map[string]any{"level": "error", "at": jobs + ":2,14-30"})
	_, at = p.waitLog(t, at, "reload: configuration invalid, keeping the one in use", nil)
	p.waitLog(t, at, "run finished", map[string]any{"job": "dns", "result": "success"})

	// SIGHUP with a valid file swaps it in.
	writeDaemonJobs(t, jobs, s, "@every 1s", "10.8.8.8")
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	_, at = p.waitLog(t, at, "configuration reloaded", nil)
	p.waitLog(t, at, "run finished", map[string]any{"job": "dns", "result": "success", "changed": float64(2)})
	if a := s.Appliance("vmstore-0"); a.DNSConfig == nil || a.DNSConfig.DNSPrimary != "10.8.8.8" {
		t.Errorf("after reload vmstore-0 DNS = %+v", a.DNSConfig)
	}
	_, metrics = daemonE2EGet(t, base+"/metrics")
	for _, want := range []string{`tintri_jobs_config_reloads_total{result="failure"} 1`, `tintri_jobs_config_reloads_total{result="success"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics after two reloads lacks %s", want)
		}
	}

	// SIGTERM: a clean exit.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("daemon exit: %v\n%s", err, p.dump())
	}
	p.waitLog(t, 0, "daemon stopped", nil)
	// Durations carry their unit.
	p.waitLog(t, 0, "shutting down: no new runs, no new changes in runs in progress", map[string]any{"grace": "30s"})
	finished, _ := p.waitLog(t, 0, "run finished", nil)
	if d, ok := finished["duration"].(string); !ok {
		t.Errorf("run finished: duration %#v, want a string such as \"1.5s\"", finished["duration"])
	} else if _, err := time.ParseDuration(d); err != nil {
		t.Errorf("run finished: duration %q: %v", d, err)
	}

	// The history command reads what the daemon recorded.
	out, err = exec.Command(bin, "history", "-state-dir", state, "-json", "-limit", "0").Output()
	if err != nil {
		t.Fatalf("history -json: %v", err)
	}
	var hist []plan.RunRecord
	if err := json.Unmarshal(out, &hist); err != nil || len(hist) < 3 {
		t.Fatalf("history -json: %v\n%s", err, out)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(out, &raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		schematest.Validate(t, schematest.RunRecord, []byte(r))
	}
	ended := 0
	p.mu.Lock()
	for _, m := range p.logs {
		if m["message"] == "run finished" {
			ended++
		}
	}
	p.mu.Unlock()
	if len(hist) != ended {
		t.Errorf("history holds %d runs, the log finished %d", len(hist), ended)
	}
	out, err = exec.Command(bin, "history", "-state-dir", state, "-limit", "1").Output()
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); err != nil || len(lines) != 2 ||
		!strings.HasPrefix(lines[0], "START") || !strings.Contains(lines[1], " dns ") || !strings.Contains(lines[1], hist[0].ID) {
		t.Errorf("history table: %v\n%s", err, out)
	}
}

// TestDaemonE2EManualRunNeedsToken: the daemon writes a new token to its state directory
// (mode 0600) and logs where, never the token; POST /runs needs the token, a Host that
// names the daemon and no other origin. A token file others can read stops the start.
func TestDaemonE2EManualRunNeedsToken(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon")
	}
	s, err := sim.Start(sim.Options{VMstores: 1, VMs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	jobs, state := filepath.Join(dir, "jobs.hcl"), filepath.Join(dir, "state")
	writeDaemonJobs(t, jobs, s, "0 3 1 1 *", "10.9.9.9") // once a year: runs here are manual
	env := append(os.Environ(), "TINTRI_JOBS_VAR_password="+s.Password())
	args := []string{"daemon", "-log-format", "json", "-config", jobs, "-state-dir", state, "-listen", "127.0.0.1:0"}
	p := startDaemonProc(t, binPath, env, args...)
	listening, _ := p.waitLog(t, 0, "listening", nil)
	addr := listening["addr"].(string)
	tokenFile := filepath.Join(state, daemon.TokenFile)
	if listening["token_file"] != tokenFile {
		t.Errorf("listening: token_file %v, want %s", listening["token_file"], tokenFile)
	}
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v; want mode 0600", fi, err)
	}
	b, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(b))
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		name, host, origin, auth string
		want                     int
	}{
		{name: "no token", want: http.StatusUnauthorized},
		{name: "wrong token", auth: "Bearer " + map[bool]string{true: "1", false: "0"}[token[0] == '0'] + token[1:], want: http.StatusUnauthorized},
		{name: "cross-site origin", origin: "http://evil.example", auth: "Bearer " + token, want: http.StatusForbidden},
		{name: "wrong host", host: "evil.example:" + port, auth: "Bearer " + token, want: http.StatusMisdirectedRequest},
		{name: "token", auth: "Bearer " + token, want: http.StatusAccepted},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/runs?job=dns", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.host != "" {
			req.Host = tt.host
		}
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tt.want || !json.Valid(body) {
			t.Errorf("%s: %d %s, want %d with a JSON body", tt.name, resp.StatusCode, body, tt.want)
		}
	}
	_, at := p.waitLog(t, 0, "run started", map[string]any{"job": "dns", "trigger": "manual"})
	p.waitLog(t, at, "run finished", map[string]any{"job": "dns", "result": "success", "changed": float64(1)})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("daemon exit: %v\n%s", err, p.dump())
	}
	if strings.Contains(p.dump(), token) {
		t.Errorf("the log shows the token:\n%s", p.dump())
	}

	open := filepath.Join(dir, "token")
	if err := os.WriteFile(open, []byte(token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binPath, append(args, "-token-file", open)...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	want := "token file " + open + ": mode 0644 lets group or others at it; chmod 600 " + open
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), want) || strings.Contains(string(out), token) {
		t.Errorf("daemon -token-file with mode 0644: %v\n%s\nwant exit 1 and %s", err, out, want)
	}
}

// BenchmarkDaemonIdleCPU runs the real daemon with nothing due (a once-a-year schedule)
// and reports the CPU it uses while idle, in milliseconds per second of wall time, from
// the kernel's per-process accounting. An idle daemon sleeps until its next timer: the
// figure stays near 0 (clock ticks are 10 ms); a daemon that polls or spins shows here.
func BenchmarkDaemonIdleCPU(b *testing.B) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		b.Skip("needs /proc to read the process's CPU time")
	}
	s, err := sim.Start(sim.Options{VMstores: 1, VMs: 2, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dir := b.TempDir()
	jobs := filepath.Join(dir, "jobs.hcl")
	writeDaemonJobs(b, jobs, s, "0 3 1 1 *", "10.9.9.9") // once a year
	env := append(os.Environ(), "TINTRI_JOBS_VAR_password="+s.Password())
	p := startDaemonProc(b, binPath, env, "daemon", "-log-format", "json", "-config", jobs,
		"-state-dir", filepath.Join(dir, "state"), "-listen", "127.0.0.1:0")
	p.waitLog(b, 0, "daemon started", nil)
	before, start := cpuTicks(b, p.cmd.Process.Pid), time.Now()
	for b.Loop() {
		time.Sleep(100 * time.Millisecond) // wall time passing with nothing due
	}
	used, elapsed := cpuTicks(b, p.cmd.Process.Pid)-before, time.Since(start)
	b.ReportMetric(float64(used*10)/elapsed.Seconds(), "cpu-ms/s")
	b.ReportMetric(0, "ns/op")
}

// cpuTicks returns the user and system CPU time of process pid, in clock ticks.
func cpuTicks(t testing.TB, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name (which may hold spaces) start at ") ";
	// utime and stime are fields 14 and 15 of the line, 12 and 13 after it.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return utime + stime
}
