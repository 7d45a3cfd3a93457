package daemon

import (
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestDaemonAllowPartial: with one VMstore of three unreachable, a run of a job without
// allow_partial changes nothing and fails naming the unreadable target; a run of a job with
// allow_partial = true changes the two others and fails for the one.
func TestDaemonAllowPartial(t *testing.T) {
	jobs := `
job "strict" {
  schedule  = "30 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.1.1.1"
  }
}
job "partial" {
  schedule      = "0 * * * *"
  time_zone     = "UTC"
  allow_partial = true
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.1.1.1"
  }
}
`
	f := newDaemonFixture(t, sim.Options{VMstores: 3, VMs: 3, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), jobs, Options{})
	if err := f.sim.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	f.start()
	f.clk.next(t) // 00:30
	r := f.run(t)
	if r.Job != "strict" || r.Result != plan.ResultFailed || r.Failed != 1 || !strings.Contains(r.Error, "connection refused") {
		t.Errorf("run of the job without allow_partial: %+v, want failed naming the unreachable VMstore", summarize(r))
	}
	if w := f.sim.Writes(); w != 0 {
		t.Errorf("the run of the job without allow_partial wrote %d times, want none", w)
	}
	f.clk.next(t) // 01:00
	r = f.run(t)
	if r.Job != "partial" || r.Result != plan.ResultFailed || r.Changed != 2 || r.Failed != 1 {
		t.Errorf("run of the allow_partial job: %+v, want failed with 2 changed and 1 failed", summarize(r))
	}
	if w := f.sim.Writes(); w != 2 {
		t.Errorf("the allow_partial job's run wrote %d times, want 2", w)
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
}
