//go:build unix

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// The fault suite (`make faults`; `make test` runs it too): each test injects one fault
// into a real tintri-jobs process working against the simulator, then checks from the
// simulator's write counters and end state, and from the audit log, that no change was
// lost, doubled or left unaudited.

// appliancePath is the path of the PUT every VMstore task writes through.
const appliancePath = "/api/v310/appliance"

// proc is a tintri-jobs process running in the background.
type proc struct {
	cmd         *exec.Cmd
	out, errOut lockedBuffer
	done        chan struct{}
	code        int
}

// lockedBuffer is a bytes.Buffer safe for a process to write and a test to read at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start starts the CLI in dir without waiting for it.
func (e *e2e) start(dir string, args ...string) *proc {
	e.t.Helper()
	p := &proc{cmd: exec.Command(binPath, args...), done: make(chan struct{})}
	p.cmd.Dir, p.cmd.Env = dir, e.env
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.errOut
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		err := p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // it may have exited already
		<-p.done
	})
	return p
}

// wait waits for the process to exit and returns its exit code (-1 when a signal killed it).
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
		return p.code
	case <-time.After(time.Minute):
		t.Fatalf("%v still running after a minute\nstderr:\n%s", p.cmd.Args, p.errOut.String())
		return 0
	}
}

// waitFor waits until ch receives, failing the test after a minute.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(time.Minute):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// waitOutput waits until the process's stderr holds s.
func (p *proc) waitOutput(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(p.errOut.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr never held %q:\n%s", s, p.errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// puts returns how many appliance PUTs each VMstore served.
func (e *e2e) puts() map[string]int64 {
	out := map[string]int64{}
	for _, c := range e.sim.Counts() {
		if c.Method == "PUT" && strings.HasPrefix(c.Path, appliancePath) {
			out[c.Server] += c.N
		}
	}
	return out
}

// results returns the outcome of each change in the audit log, by server key.
func results(recs []plan.AuditRecord) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		out[r.Server] = r.Result
	}
	return out
}

// checkDNSOnce checks that each of the first n VMstores has the DNS servers
// testdata/e2e/dns sets, and that every VMstore was written exactly once.
func (e *e2e) checkDNSOnce(n int) {
	e.t.Helper()
	for i := range n {
		if !e.dnsDone(i) {
			e.t.Errorf("vmstore-%d: %+v", i, e.dns(i))
		}
	}
	for srv, c := range e.puts() {
		if c != 1 {
			e.t.Errorf("%s written %d times, want once", srv, c)
		}
	}
}

// dnsDone reports whether vmstore-i has the DNS servers testdata/e2e/dns sets.
func (e *e2e) dnsDone(i int) bool {
	d := e.dns(i)
	return d.DNSPrimary == "192.0.2.53" && d.DNSSecondary == "192.0.2.54"
}

// TestFaultConcurrentAppliesOfOneConfig: two applies of one state directory never run at
// once. The second fails at once naming the first's pid and command, or, with
// -lock-timeout, waits and then finds nothing left to do: every VMstore is written once.
func TestFaultConcurrentAppliesOfOneConfig(t *testing.T) {
	e := newE2E(t, "dns", 3)
	hold := e.sim.Hold("vmstore-0", "PUT", appliancePath, false)
	first := e.start(e.dir, "apply", "-auto-approve")
	waitFor(t, hold.Held(), "the first apply's write")

	_, errOut, code := e.run("apply", "-auto-approve")
	want := fmt.Sprintf("state directory is locked by pid %d (tintri-jobs apply)", first.cmd.Process.Pid)
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("second apply: exit %d, stderr:\n%s\nwant exit 1 and %q", code, errOut, want)
	}
	// The running apply's change in flight is not one a killed apply left behind.
	if _, errOut := e.mustRun(0, "plan"); strings.Contains(errOut, "outcome unknown") {
		t.Errorf("plan during an apply warns about its change in flight:\n%s", errOut)
	}
	waiting := e.start(e.dir, "apply", "-auto-approve", "-lock-timeout", "1m")
	time.Sleep(300 * time.Millisecond) // it is waiting for the lock, not applying
	hold.Release()
	if code := first.wait(t); code != 0 {
		t.Fatalf("first apply: exit %d\n%s", code, first.errOut.String())
	}
	if code := waiting.wait(t); code != 0 || !strings.Contains(waiting.out.String(), "No changes.") {
		t.Errorf("apply with -lock-timeout: exit %d, stdout:\n%s\nstderr:\n%s", code, waiting.out.String(), waiting.errOut.String())
	}
	for srv, n := range e.puts() {
		if n != 1 {
			t.Errorf("%s written %d times, want once", srv, n)
		}
	}
	e.checkAuditMatchesDNS(3)
}

// dataIPJob adds one data IP to vmstore-0.
func dataIPJob(ip string) string {
	return fmt.Sprintf(`job "ips" {
  task "data_ip" "add" {
    fleet = fleet.lab
    data_ip {
      vmstore = "vmstore-0"
      ip      = %q
      prefix  = 24
    }
  }
}
`, ip)
}

// newDir makes a working directory beside e's with common.hcl, urls.txt and job.hcl
// holding jobHCL, and its own state directory.
func (e *e2e) newDir(jobHCL string) string {
	e.t.Helper()
	dir := e.t.TempDir()
	copyFile(e.t, filepath.Join(e.dir, "common.hcl"), filepath.Join(dir, "common.hcl"))
	copyFile(e.t, filepath.Join(e.dir, "urls.txt"), filepath.Join(dir, "urls.txt"))
	if err := os.WriteFile(filepath.Join(dir, "job.hcl"), []byte(jobHCL), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return dir
}

// TestFaultConcurrentAppliesOfTwoConfigs: two configurations, each adding its own data IP
// to one VMstore, applied at once (both read the IP list before either writes). Before,
// the last write won and one address was lost while both reported ok; now each write is
// made on top of the list read right before it and checked after it, so both stay.
func TestFaultConcurrentAppliesOfTwoConfigs(t *testing.T) {
	e := newE2EWith(t, "dns", sim.Options{VMstores: 2, VMs: 10, Seed: 7, Latency: 20 * time.Millisecond})
	a, b := e.newDir(dataIPJob("198.51.100.110")), e.newDir(dataIPJob("198.51.100.120"))
	hold := e.sim.Hold("vmstore-0", "PUT", appliancePath, false)
	pa := e.start(a, "apply", "-auto-approve")
	pb := e.start(b, "apply", "-auto-approve")
	waitFor(t, hold.Held(), "one write")
	waitFor(t, hold.Held(), "the other write")
	hold.Release()
	for _, p := range []*proc{pa, pb} {
		if code := p.wait(t); code != 0 {
			t.Fatalf("apply: exit %d\n%s", code, p.errOut.String())
		}
	}
	have := map[string]bool{}
	for _, ip := range e.sim.Appliance("vmstore-0").ConfigIPs {
		have[ip.IPCidr] = true
	}
	for _, want := range []string{"198.51.100.110/24", "198.51.100.120/24"} {
		if !have[want] {
			t.Errorf("vmstore-0 lost %s: %v", want, e.sim.Appliance("vmstore-0").ConfigIPs)
		}
	}
	for _, dir := range []string{a, b} {
		if _, _, code := e.runIn(dir, "plan", "-detailed-exitcode"); code != 0 {
			t.Errorf("plan of %s after both applies: exit %d, want 0 (no changes)", filepath.Base(dir), code)
		}
	}
}

// TestFaultKillMidApply: SIGKILL with a write in flight, answered or not. The intent
// recorded before the write stays without an outcome; the next plan says so, and the next
// apply records it as unknown, then makes only what is still to do: every VMstore ends
// right and is written once.
func TestFaultKillMidApply(t *testing.T) {
	for _, tt := range []struct {
		name    string
		landed  bool // the write in flight reached the VMstore before the kill
		pending int  // changes the plan after the kill finds
	}{
		{name: "write made, answer lost", landed: true, pending: 1},
		{name: "write not made", landed: false, pending: 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "dns", 3)
			hold := e.sim.Hold("vmstore-1", "PUT", appliancePath, tt.landed)
			p := e.start(e.dir, "apply", "-auto-approve", "-parallelism", "1")
			waitFor(t, hold.Held(), "the write to vmstore-1")
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			p.wait(t)
			waitFor(t, hold.Gone(), "the simulator to see the client gone")
			hold.Release()

			out, errOut := e.mustRun(2, "plan", "-detailed-exitcode")
			if !strings.Contains(errOut, "outcome unknown") || !strings.Contains(out, fmt.Sprintf("Plan: 0 to add, %d to change", tt.pending)) {
				t.Errorf("plan after the kill: stdout:\n%s\nstderr:\n%s", out, errOut)
			}
			e.mustRun(0, "apply", "-auto-approve")
			e.mustRun(0, "plan", "-detailed-exitcode")
			e.checkDNSOnce(3)
			got := results(e.audit()) // every intent has an outcome
			if got[e.key(1)] != plan.AuditOK && got[e.key(1)] != plan.AuditUnknown {
				t.Errorf("vmstore-1's last outcome: %q", got[e.key(1)])
			}
			if unknown := countResult(e.audit(), plan.AuditUnknown); unknown != 1 {
				t.Errorf("%d unknown outcomes, want 1 (the write in flight)", unknown)
			}
		})
	}
}

func countResult(recs []plan.AuditRecord, result string) int {
	n := 0
	for _, r := range recs {
		if r.Result == result {
			n++
		}
	}
	return n
}

// TestFaultTermMidApply: on SIGTERM (or SIGINT, the same) no further change starts and the
// one in flight finishes within the grace period (recorded ok), or, past it, is recorded
// as unknown. Before, changes in flight were cancelled and recorded as failed although
// some had been made.
func TestFaultTermMidApply(t *testing.T) {
	for _, tt := range []struct {
		name  string
		sig   syscall.Signal
		grace string
		want  string // vmstore-1's outcome
	}{
		{name: "in flight finishes", sig: syscall.SIGTERM, grace: "1m", want: plan.AuditOK},
		{name: "grace runs out", sig: syscall.SIGTERM, grace: "200ms", want: plan.AuditUnknown},
		{name: "SIGINT", sig: syscall.SIGINT, grace: "1m", want: plan.AuditOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "dns", 4)
			hold := e.sim.Hold("vmstore-1", "PUT", appliancePath, true)
			p := e.start(e.dir, "apply", "-auto-approve", "-parallelism", "1", "-shutdown-grace", tt.grace)
			waitFor(t, hold.Held(), "the write to vmstore-1")
			if err := p.cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			p.waitOutput(t, "interrupted: no further change starts")
			if tt.want == plan.AuditUnknown {
				p.waitOutput(t, "grace period over")
			}
			hold.Release()
			if code := p.wait(t); code != 1 || !strings.Contains(p.out.String(), "Apply interrupted:") {
				t.Errorf("apply: exit %d, stdout:\n%s", code, p.out.String())
			}
			got := results(e.audit())
			want := map[string]string{e.key(0): plan.AuditOK, e.key(1): tt.want}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("outcomes %v, want %v (nothing started after the signal)", got, want)
			}
			if puts := e.puts(); len(puts) != 2 {
				t.Errorf("writes after SIGTERM: %v, want vmstore-0 and vmstore-1 only", puts)
			}
			out, _ := e.mustRun(2, "plan", "-detailed-exitcode")
			if !strings.Contains(out, "Plan: 0 to add, 2 to change") {
				t.Errorf("plan after the interrupted apply:\n%s", out)
			}
		})
	}
}

// TestFaultSecondSignal: a second SIGTERM (or SIGINT) kills apply at once, while the write
// it let finish is still held, instead of waiting for the grace period. The audit log
// tells the truth: the write in flight has its intent and no outcome, the next plan warns
// about it and shows it still to do, and the next apply records it as unknown and makes
// what is left, every VMstore written once.
func TestFaultSecondSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			e := newE2E(t, "dns", 3)
			hold := e.sim.Hold("vmstore-1", "PUT", appliancePath, false)
			p := e.start(e.dir, "apply", "-auto-approve", "-parallelism", "1", "-shutdown-grace", "10m")
			waitFor(t, hold.Held(), "the write to vmstore-1")
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			p.waitOutput(t, "interrupted: no further change starts")
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.done:
			case <-time.After(15 * time.Second):
				t.Fatalf("apply still running 15s after the second %v, its write held:\n%s", sig, p.errOut.String())
			}
			if p.code != -1 {
				t.Errorf("apply after a second %v: exit %d, want killed by the signal", sig, p.code)
			}
			waitFor(t, hold.Gone(), "the simulator to see the client gone")
			hold.Release()

			recs, err := engine.ReadAudit(filepath.Join(e.dir, engine.DefaultStateDir))
			if err != nil {
				t.Fatal(err)
			}
			byResult := map[string][]string{}
			for _, r := range recs {
				byResult[r.Result] = append(byResult[r.Result], r.Server)
			}
			want := map[string][]string{plan.AuditIntent: {e.key(0), e.key(1)}, plan.AuditOK: {e.key(0)}}
			if fmt.Sprint(byResult) != fmt.Sprint(want) {
				t.Errorf("audit records by result %v, want %v (vmstore-1's write in flight without an outcome)", byResult, want)
			}
			out, errOut := e.mustRun(2, "plan", "-detailed-exitcode")
			if !strings.Contains(errOut, "outcome unknown") || !strings.Contains(out, "Plan: 0 to add, 2 to change") {
				t.Errorf("plan after the kill: stdout:\n%s\nstderr:\n%s", out, errOut)
			}
			e.mustRun(0, "apply", "-auto-approve")
			e.checkDNSOnce(3)
			if unknown := countResult(e.audit(), plan.AuditUnknown); unknown != 1 {
				t.Errorf("%d unknown outcomes, want 1 (the write in flight)", unknown)
			}
		})
	}
}

// TestFaultAuditOnFullDisk: an audit log that cannot take a line (a link to /dev/full)
// makes apply refuse before its first write.
func TestFaultAuditOnFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	e := newE2E(t, "dns", 2)
	state := filepath.Join(e.dir, engine.DefaultStateDir)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", filepath.Join(state, engine.AuditFile)); err != nil {
		t.Fatal(err)
	}
	_, errOut := e.mustRun(1, "apply", "-auto-approve")
	if !strings.Contains(errOut, "is not a regular file") || e.sim.Writes() != 0 {
		t.Errorf("apply with the audit log on /dev/full: %d writes, stderr:\n%s", e.sim.Writes(), errOut)
	}
}

// TestFaultAuditOnFillingDisk: the audit log fills up mid-apply (a file size limit, so
// writes fail with EFBIG after a short write). The change whose intent cannot be written
// is not made and nothing after it is; the next apply moves the torn line aside, records
// the change whose outcome was lost as unknown and makes the rest: each VMstore is
// written once and every write has its intent on record.
func TestFaultAuditOnFillingDisk(t *testing.T) {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("no prlimit")
	}
	e := newE2E(t, "dns", 5)
	// An exec'd process keeps an ignored signal ignored: the limit then fails writes with
	// EFBIG instead of killing the process with SIGXFSZ.
	ignoreFileSizeSignal(t)
	cmd := exec.Command(prlimit, "--fsize=1700", "--", binPath, "apply", "-auto-approve", "-parallelism", "1")
	cmd.Dir, cmd.Env = e.dir, e.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "audit log") {
		t.Fatalf("apply with a full disk: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(e.dir, engine.DefaultStateDir, engine.AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	intents := strings.Count(string(raw), `"result":"intent"`)
	if w := e.sim.Writes(); w == 0 || int(w) > intents {
		t.Fatalf("%d writes with %d intents on record: a write without its intent", w, intents)
	}
	_, errOut := e.mustRun(0, "apply", "-auto-approve")
	if !strings.Contains(errOut, "torn last line") {
		t.Errorf("second apply did not report the torn line:\n%s", errOut)
	}
	e.mustRun(0, "plan", "-detailed-exitcode")
	e.checkDNSOnce(5)
	e.audit() // schema-valid lines, every intent with an outcome
}

// TestFaultTornAuditLine: a last line cut short by a crash is moved to audit.jsonl.torn;
// the next records start on a line of their own instead of being glued onto it.
func TestFaultTornAuditLine(t *testing.T) {
	e := newE2E(t, "dns", 2)
	state := filepath.Join(e.dir, engine.DefaultStateDir)
	if err := os.MkdirAll(state, 0o700); err != nil {
		t.Fatal(err)
	}
	torn := `{"format_version":"2","time":"2026-11-30T06:00:00Z","apply_id":"x","se`
	if err := os.WriteFile(filepath.Join(state, engine.AuditFile), []byte(torn), 0o600); err != nil {
		t.Fatal(err)
	}
	e.mustRun(0, "apply", "-auto-approve")
	e.checkAuditMatchesDNS(2)
	moved, err := os.ReadFile(filepath.Join(state, engine.AuditFile+".torn"))
	if err != nil || string(moved) != torn+"\n" {
		t.Errorf("audit.jsonl.torn = %q, %v; want the torn line", moved, err)
	}
}

// ignoreFileSizeSignal ignores SIGXFSZ in the test process (and so in the processes it
// starts) until the test ends.
func ignoreFileSizeSignal(t *testing.T) {
	t.Helper()
	signal.Ignore(syscall.SIGXFSZ)
	t.Cleanup(func() { signal.Reset(syscall.SIGXFSZ) })
}
