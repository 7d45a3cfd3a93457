package engine

import (
	"context"
	"testing"
)

// TestRunSharesClients: the Plan and Apply of one Run log in to each VMstore once and out
// once, at Close, and report the in-flight limit of every server they reached; the Engine's
// own Plan and Apply are each a run of their own.
func TestRunSharesClients(t *testing.T) {
	f := newEngineFixture(t, 3, dnsJob)
	ctx := context.Background()
	run := f.eng.Open()
	p, err := run.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if in, out := engineSessionCounts(f.sim); in != 3 || out != 0 {
		t.Errorf("after the run's plan: %d logins, %d logouts; want 3 and none yet", in, out)
	}
	res, err := run.Apply(ctx, p, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Tasks[0].Changed != 3 {
		t.Fatalf("apply: %+v", res.Tasks)
	}
	run.Close(ctx)
	if in, out := engineSessionCounts(f.sim); in != 3 || out != 3 {
		t.Errorf("after the run: %d logins, %d logouts; want 3 each", in, out)
	}
	for name, limits := range map[string]map[string]int{"plan": p.InflightLimits, "result": res.InflightLimits} {
		if len(limits) != 3 {
			t.Errorf("%s: in-flight limits %v, want one per VMstore", name, limits)
		}
		for _, u := range f.sim.VMstoreURLs() {
			if n := limits[memberKeyOf(t, u)]; n < 1 {
				t.Errorf("%s: in-flight limits %v lack %s", name, limits, u)
			}
		}
	}

	f.sim.ResetCounters()
	if p, err = f.eng.Plan(ctx, Selection{}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.eng.Apply(ctx, p, ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if in, out := engineSessionCounts(f.sim); in != 3 || out != 3 {
		t.Errorf("Engine.Plan then Engine.Apply of nothing: %d logins, %d logouts; want 3 each (the apply reaches no server)", in, out)
	}
}
