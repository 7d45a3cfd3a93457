//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// TestFaultKillAcrossAuditRotation kills an apply with a change in flight whose intent
// the apply's later records have since pushed into a rotated file: the next plan finds the
// intent without an outcome (reading from the killed apply's first file on), the next
// apply records it as unknown and makes the change, and in the end every intent in the log
// has exactly one outcome, no record lost or doubled across the rotations, and every
// VMstore written once.
func TestFaultKillAcrossAuditRotation(t *testing.T) {
	e := newE2E(t, "dns", 4)
	state := filepath.Join(e.dir, engine.DefaultStateDir)
	rotate := []string{"-audit-max-size", "1KiB", "-audit-keep", "0"}
	hold := e.sim.Hold("vmstore-0", "PUT", appliancePath, false)
	p := e.start(e.dir, append([]string{"apply", "-auto-approve", "-parallelism", "2"}, rotate...)...)
	waitFor(t, hold.Held(), "the write to vmstore-0")
	// The other three changes end while vmstore-0's is in flight.
	deadline := time.Now().Add(time.Minute)
	for {
		recs, err := engine.ReadAudit(state)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 7 { // 4 intents, 3 outcomes
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d audit records, want 7", len(recs))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.wait(t)
	waitFor(t, hold.Gone(), "the simulator to see the client gone")
	hold.Release()

	rotated, _ := filepath.Glob(filepath.Join(state, "audit.*.jsonl"))
	current, err := os.ReadFile(filepath.Join(state, engine.AuditFile))
	if err != nil || len(rotated) < 2 || strings.Contains(string(current), `"server":"`+e.key(0)+`"`) {
		t.Fatalf("rotated files %v (%v): the intent in flight must be in one of them, not in audit.jsonl:\n%s", rotated, err, current)
	}
	_, errOut := e.mustRun(2, "plan", "-detailed-exitcode")
	if n := strings.Count(errOut, "outcome unknown"); n != 1 {
		t.Errorf("plan after the kill warns of %d changes in flight, want 1:\n%s", n, errOut)
	}
	e.mustRun(0, append([]string{"apply", "-auto-approve"}, rotate...)...)
	e.mustRun(0, "plan", "-detailed-exitcode")
	e.checkDNSOnce(4)
	// e.audit checks that every intent has exactly one outcome and returns the outcomes:
	// the killed apply's three made and one unknown, the next apply's one.
	outcomes := e.audit()
	if len(outcomes) != 5 {
		t.Errorf("%d outcomes, want 5", len(outcomes))
	}
	if unknown := countResult(outcomes, plan.AuditUnknown); unknown != 1 {
		t.Errorf("%d unknown outcomes, want 1 (the write in flight)", unknown)
	}
	if recs, err := engine.ReadAudit(state); err != nil || len(recs) != 10 {
		t.Errorf("%d records (%v), want 5 intents and 5 outcomes", len(recs), err)
	}
}
