package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

// twoDNSJobs are two jobs that want different primary DNS servers on the same fleet.
const twoDNSJobs = `job "a" {
  task "appliance_dns" "set" {
    fleet   = fleet.lab
    primary = "10.1.1.1"
  }
}

job "b" {
  task "appliance_dns" "set" {
    fleet   = fleet.lab
    primary = "10.2.2.2"
  }
}
`

// TestStoredClaims: `apply -job a` records a's claims in the state directory; a later
// `plan -job b`, which does not plan a, still reports the conflict with it (naming its file
// and line) and leaves the claims file as it was: plan only reads it. Once job a's values
// change, its recorded claims no longer count and b plans its change.
func TestStoredClaims(t *testing.T) {
	e := newE2E(t, "dns", 2)
	e.writeFile("job.hcl", twoDNSJobs)
	e.mustRun(0, "apply", "-auto-approve", "-job", "a")
	claims := filepath.Join(e.dir, engine.DefaultStateDir, engine.ClaimsFile)
	before, err := os.ReadFile(claims)
	if err != nil {
		t.Fatalf("apply -job a recorded no claims: %v", err)
	}
	st, err := os.Stat(claims)
	if err != nil {
		t.Fatal(err)
	}

	out, errOut := e.mustRun(1, "plan", "-job", "b")
	for _, want := range []string{"conflict: task b.set (job.hcl:9) wants", "task a.set (job.hcl:2), as its last run planned, wants \"10.1.1.1\"", "neither is applied until one of them changes"} {
		if !strings.Contains(out, want) {
			t.Errorf("plan -job b lacks %q:\nstdout:\n%s\nstderr:\n%s", want, out, errOut)
		}
	}
	after, err := os.ReadFile(claims)
	if err != nil {
		t.Fatal(err)
	}
	st2, err := os.Stat(claims)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("plan changed %s:\nbefore %s\nafter  %s", claims, before, after)
	}
	e.mustRun(1, "apply", "-auto-approve", "-job", "b")
	if got := e.dns(0).DNSPrimary; got != "10.1.1.1" {
		t.Errorf("vmstore-0 primary %q after apply -job b in conflict, want a's 10.1.1.1 kept", got)
	}

	// Job a edited: the claims recorded with its old values no longer hold b back.
	e.writeFile("job.hcl", strings.Replace(twoDNSJobs, "10.1.1.1", "10.3.3.3", 1))
	out, errOut = e.mustRun(2, "plan", "-job", "b", "-detailed-exitcode")
	if strings.Contains(out, "conflict") || !strings.Contains(out, "Plan: 0 to add, 2 to change") {
		t.Errorf("plan -job b after job a changed:\nstdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

// writeFile writes data to name in the working directory.
func (e *e2e) writeFile(name, data string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(data), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// TestJobAllowPartial: with one VMstore of three unreachable, a job with allow_partial =
// true is applied as far as it could be planned by apply, and its plan is saved by
// plan -out and applied by apply PLANFILE, without -allow-partial. A job without it needs
// -allow-partial: plan -out -allow-partial saves the plan, and applying the file takes
// -allow-partial again, as the command plan prints says.
func TestJobAllowPartial(t *testing.T) {
	partialJob := "job \"dns\" {\n  allow_partial = true\n"
	for _, tt := range []struct {
		name, header string
		run          func(e *e2e) (stdout, stderr string)
	}{
		{"job: apply", partialJob, func(e *e2e) (string, string) {
			return e.mustRun(1, "apply", "-auto-approve")
		}},
		{"job: plan -out, apply PLANFILE", partialJob, func(e *e2e) (string, string) {
			out, errOut := e.mustRun(1, "plan", "-out", "p.plan")
			if want := "Make exactly these changes with: tintri-jobs apply p.plan\n"; !strings.Contains(out, want) {
				t.Errorf("plan -out lacks %q:\n%s\n%s", want, out, errOut)
			}
			return e.mustRun(1, "apply", "p.plan")
		}},
		{"flag: plan -out -allow-partial, apply -allow-partial PLANFILE", `job "dns" {` + "\n", func(e *e2e) (string, string) {
			out, errOut := e.mustRun(1, "plan", "-out", "p.plan", "-allow-partial")
			if want := "Make exactly these changes with: tintri-jobs apply -allow-partial p.plan\n"; !strings.Contains(out, want) {
				t.Errorf("plan -out -allow-partial lacks %q:\n%s\n%s", want, out, errOut)
			}
			if _, errOut := e.mustRun(1, "apply", "p.plan"); !strings.Contains(errOut, "nothing applied") || e.sim.Writes() != 0 {
				t.Errorf("apply of the partial plan without -allow-partial: %d writes, stderr:\n%s", e.sim.Writes(), errOut)
			}
			return e.mustRun(1, "apply", "-allow-partial", "p.plan")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, "dns", 3)
			src, err := os.ReadFile(filepath.Join(e.dir, "job.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			e.writeFile("job.hcl", strings.Replace(string(src), "job \"dns\" {\n", tt.header, 1))
			if err := e.sim.StopServer("vmstore-1"); err != nil {
				t.Fatal(err)
			}
			out, errOut := tt.run(e)
			if want := "Apply finished with failures: 2 changed, 0 unchanged, 1 failed, 0 skipped."; !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, out, errOut)
			}
			if w := e.sim.Writes(); w != 2 {
				t.Errorf("%d writes, want 2 (the reachable VMstores)", w)
			}
			e.checkAuditMatchesDNS(2)
		})
	}
}
