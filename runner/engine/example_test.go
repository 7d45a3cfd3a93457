package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	_ "github.com/tintri-jobs/tintri-jobs/tasks" // every task kind
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestPlanExampleWritesNothing plans jobs.example.hcl, which has a task of every kind the
// tasks package registers, against the simulator: the plan finds work for every task, and
// the simulator counts no write. Plan and Apply are separate code paths; this is the test
// that no task kind's Plan writes.
func TestPlanExampleWritesNothing(t *testing.T) {
	s, err := sim.Start(sim.Options{VMstores: 3, VMs: 400, Seed: 1})
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	env := []string{
		"TINTRI_TGC_URL=" + s.TGCURL(),
		"TINTRI_VMSTORE_URLS=" + strings.Join(s.VMstoreURLs(), " "),
		"TINTRI_CA_FILE=" + s.CAFile(),
		"TINTRI_USERNAME=" + s.Username(),
		"TINTRI_PASSWORD=" + s.Password(),
	}
	cfg, diags := engine.Load(config.OSFS{}, "../../jobs.example.hcl", config.LoadOptions{Env: env})
	if len(diags) > 0 {
		t.Fatalf("load jobs.example.hcl: %v", diags)
	}
	eng := &engine.Engine{Config: cfg, Log: zerolog.Nop(), StateDir: t.TempDir()}
	p, err := eng.Plan(context.Background(), engine.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("plan made %d writes: %v", w, s.Counts())
	}
	if p.Failures() != 0 {
		t.Errorf("plan failures: %d: %+v", p.Failures(), p.Jobs)
	}
	planned := map[string]bool{}
	for _, j := range p.Jobs {
		for _, tk := range j.Tasks {
			planned[tk.Kind] = true
			if len(tk.Changes)+len(tk.Unchanged) == 0 {
				t.Errorf("task %s.%s (%s) planned nothing at all", j.Name, tk.Name, tk.Kind)
			}
		}
	}
	var want, got []string
	for _, k := range runner.KindNames() {
		if strings.Contains(k, "test") {
			continue // the kinds this package's own tests register
		}
		want = append(want, k)
		if planned[k] {
			got = append(got, k)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("kinds not in jobs.example.hcl (-registered +planned):\n%s", diff)
	}
	if p.Changes() != 186 || p.Runs() != 1 { // 40 of them the snapshots of the SQL Production VMs
		t.Errorf("plan has %d changes and %d runs, want 186 and 1", p.Changes(), p.Runs())
	}
}
