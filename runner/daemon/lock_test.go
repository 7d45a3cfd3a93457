package daemon

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestLockDaemonRefusesASecondDaemon(t *testing.T) {
	dir := t.TempDir()
	l, err := lockDaemon(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lockDaemon(dir)
	want := fmt.Sprintf("state dir %s is locked by another daemon (pid %d); stop it or use another -state-dir", dir, os.Getpid())
	if err == nil || err.Error() != want {
		t.Fatalf("second lock: %v\nwant: %s", err, want)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l, err = lockDaemon(dir)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonRunWaitsForApplyLock: an apply-mode run waits up to Options.LockWait
// (ApplyLockWait, 10 minutes, by default) for an apply of another process to release the
// state directory's apply lock: it writes nothing while the lock is held and applies once
// it is released; when the wait runs out the run fails naming the holder.
func TestDaemonRunWaitsForApplyLock(t *testing.T) {
	jobs := `
job "dns" {
  schedule  = "0 * * * *"
  time_zone = "UTC"
  task "daemontest" "set" {
    fleet   = fleet.all
    primary = "10.1.1.1"
  }
}
`
	if ApplyLockWait != 10*time.Minute {
		t.Errorf("ApplyLockWait = %s, docs/daemon.md says 10 minutes", ApplyLockWait)
	}
	for _, tt := range []struct {
		name    string
		release bool
	}{{"released while waiting", true}, {"held past the wait", false}} {
		t.Run(tt.name, func(t *testing.T) {
			wait := 2 * time.Second
			if tt.release {
				wait = time.Minute
			}
			f := newDaemonFixture(t, sim.Options{VMstores: 2, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), jobs, Options{LockWait: wait})
			lock, err := statedir.Acquire(context.Background(), f.dir, engine.ApplyLockFile, "tintri-jobs apply", 0)
			if err != nil {
				t.Fatal(err)
			}
			f.start()
			f.clk.next(t)
			if tt.release {
				time.Sleep(500 * time.Millisecond)
				if w := f.sim.Writes(); w != 0 {
					t.Errorf("%d writes while another process held the apply lock", w)
				}
				if err := lock.Unlock(); err != nil {
					t.Fatal(err)
				}
			}
			r := f.run(t)
			switch want := fmt.Sprintf("locked by pid %d (tintri-jobs apply)", os.Getpid()); {
			case tt.release && (r.Result != plan.ResultSuccess || r.Changed != 2):
				t.Errorf("run after the lock was released: %+v, want success with 2 changed", summarize(r))
			case !tt.release && (r.Result == plan.ResultSuccess || !strings.Contains(r.Error, want) || !strings.Contains(r.Error, "still held after waiting 2s")):
				t.Errorf("run while the lock was held: %+v, want a failure naming the holder (%s) and the wait", summarize(r), want)
			case !tt.release && f.sim.Writes() != 0:
				t.Errorf("%d writes while another process held the apply lock", f.sim.Writes())
			}
			if !tt.release {
				if err := lock.Unlock(); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.stop(t); err != nil {
				t.Fatal(err)
			}
		})
	}
}
