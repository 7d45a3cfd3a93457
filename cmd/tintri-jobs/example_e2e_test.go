package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestJobsExample runs the README's quick start on jobs.example.hcl, as make demo does:
// a shell sources the env file the simulator writes, then validate, plan (reads only, exit
// 2 with -detailed-exitcode), apply -auto-approve and a second plan that finds nothing to
// change (exit 0). The job file and its CSV files are copied as they are into a temporary
// directory, so the report the example writes lands there.
func TestJobsExample(t *testing.T) {
	awayFromMidnightUTC(t)
	s, err := sim.Start(sim.Options{VMstores: 3, VMs: 400, Seed: 1})
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	dir := t.TempDir()
	copyFile(t, filepath.Join("..", "..", "jobs.example.hcl"), filepath.Join(dir, "jobs.example.hcl"))
	csvs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.csv"))
	if err != nil || len(csvs) == 0 {
		t.Fatalf("example CSV files: %v %v", csvs, err)
	}
	if err := os.Mkdir(filepath.Join(dir, "examples"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range csvs {
		copyFile(t, f, filepath.Join(dir, "examples", filepath.Base(f)))
	}
	if err := s.WriteEnvFile(filepath.Join(dir, "sim.env")); err != nil {
		t.Fatal(err)
	}
	run := func(want int, args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command("sh", append([]string{"-c", `. ./sim.env && exec "$0" "$@"`, binPath}, args...)...)
		cmd.Dir = dir
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		code := 0
		if err := cmd.Run(); err != nil {
			ee, ok := err.(*exec.ExitError)
			if !ok {
				t.Fatalf("run %v: %v", args, err)
			}
			code = ee.ExitCode()
		}
		if code != want {
			t.Fatalf("tintri-jobs %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, want, out.String(), errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), s.Password()) {
			t.Errorf("tintri-jobs %s printed the password", strings.Join(args, " "))
		}
		return out.String(), errOut.String()
	}

	out, errOut := run(0, "validate", "-config", "jobs.example.hcl")
	if want := "The configuration is valid: 5 jobs, 9 tasks, 1 server, 1 fleet in 1 file.\n"; out != want || errOut != "" {
		t.Errorf("validate: stdout %q, want %q; stderr %q", out, want, errOut)
	}
	if n := s.Reads() + s.Writes(); n != 0 {
		t.Errorf("validate made %d requests", n)
	}

	out, _ = run(2, "plan", "-config", "jobs.example.hcl", "-detailed-exitcode")
	if w := s.Writes(); w != 0 {
		t.Fatalf("plan wrote %d times", w)
	}
	if want := "\nPlan: 40 to add, 146 to change, 0 to remove (228 objects), 1 to run, 3 unchanged, 0 failed.\n"; !strings.HasSuffix(out, want) {
		t.Errorf("plan output does not end with %q:\n%s", want, out)
	}
	for _, kind := range []string{"service_group_members", "vm_affinity", "service_group_qos", "appliance_dns", "data_ip", "maintenance_mode", "vm_report", "vm_snapshot"} {
		if !strings.Contains(out, "  task "+kind+" ") {
			t.Errorf("plan shows no %s task:\n%s", kind, out)
		}
	}

	out, _ = run(0, "apply", "-config", "jobs.example.hcl", "-auto-approve")
	if want := "\nApply complete: 186 changed, 1 run, 3 unchanged, 0 failed, 0 skipped.\n"; !strings.HasSuffix(out, want) {
		t.Errorf("apply output does not end with %q:\n%s", want, out)
	}
	reports, err := filepath.Glob(filepath.Join(dir, "reports", "vms-*.csv"))
	if err != nil || len(reports) != 1 {
		t.Errorf("reports written: %v %v, want one", reports, err)
	}

	s.ResetCounters()
	out, _ = run(0, "plan", "-config", "jobs.example.hcl", "-detailed-exitcode")
	if want := "\nNo changes.\nPlan: 0 to add, 0 to change, 0 to remove, 1 to run, 189 unchanged, 0 failed.\n"; !strings.HasSuffix(out, want) {
		t.Errorf("second plan does not end with %q:\n%s", want, out)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("second plan wrote %d times", w)
	}
}

// awayFromMidnightUTC waits, when the UTC day turns within two minutes, until it has: the
// example's vm_snapshot task snapshots once per UTC day, so a test running across midnight
// would find the new day's snapshots to take on its second plan.
func awayFromMidnightUTC(t *testing.T) {
	now := time.Now().UTC()
	if left := now.Truncate(24 * time.Hour).Add(24 * time.Hour).Sub(now); left < 2*time.Minute {
		t.Logf("waiting %s for the UTC day to turn", left.Round(time.Second))
		time.Sleep(left + time.Second)
	}
}
