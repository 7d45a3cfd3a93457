package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// outcomeLines are a result's change outcomes as "job.task server: outcome", in order.
func outcomeLines(res *plan.Result) []string {
	var out []string
	for _, tr := range res.Tasks {
		for _, c := range tr.Changes {
			out = append(out, fmt.Sprintf("%s.%s %s: %s", tr.Job, tr.Task, c.Server, c.Outcome))
		}
	}
	return out
}

// checkOutcomesMatchAudit checks that every change outcome of res that was tried names
// its audit outcome record (the result's apply id and the record's seq) and says what it
// says, and that every record of the apply has its outcome.
func checkOutcomesMatchAudit(t *testing.T, dir string, res *plan.Result) {
	t.Helper()
	recs, err := ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[int]plan.AuditRecord{}
	for _, r := range outcomes(recs) {
		if r.ApplyID == res.ApplyID {
			bySeq[r.Seq] = r
		}
	}
	tried := 0
	for _, tr := range res.Tasks {
		for _, c := range tr.Changes {
			if c.Seq == 0 {
				continue
			}
			tried++
			r, ok := bySeq[c.Seq]
			if !ok || r.Job != tr.Job || r.Task != tr.Task || r.Server != c.Server || r.ID != c.ID ||
				plan.AuditOutcome(r.Result) != c.Outcome || r.Error != c.Error {
				t.Errorf("outcome %+v of %s.%s does not match its audit record %+v", c, tr.Job, tr.Task, r)
			}
		}
	}
	if tried != len(bySeq) {
		t.Errorf("%d changes tried, %d audit outcomes of apply %q", tried, len(bySeq), res.ApplyID)
	}
}

// TestSavedPlanOutcomes: applying a saved plan lists the changes found already made as
// unchanged, the stale one as stale, and the rest of its task as skipped; none of them
// has an audit record.
func TestSavedPlanOutcomes(t *testing.T) {
	f := newEngineFixture(t, 3, dnsJob)
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	set := func(i int, primary string) {
		c, err := tintri.New(tintri.Config{URL: f.sim.VMstoreURLs()[i], Username: f.sim.Username(),
			Password: tintri.Secret(f.sim.Password()), CAFile: f.sim.CAFile(), Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		if err := c.UpdateAppliance(ctx, tintri.Appliance{TypeID: tintri.TypeAppliance,
			DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: primary}}, tintri.PropDNSConfig); err != nil {
			t.Fatal(err)
		}
	}
	set(0, "10.9.9.9") // made meanwhile, as planned
	set(1, "10.1.1.1") // changed meanwhile: stale
	res, err := f.eng.Apply(ctx, p, ApplyOptions{FromFile: true})
	if err != nil {
		t.Fatal(err)
	}
	k := func(i int) string { return memberKeyOf(t, f.sim.VMstoreURLs()[i]) }
	want := []string{"dns.set " + k(0) + ": unchanged", "dns.set " + k(1) + ": stale", "dns.set " + k(2) + ": skipped"}
	if diff := cmp.Diff(want, outcomeLines(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if c := res.Tasks[0].Changes[1]; !strings.HasPrefix(c.Error, "stale: changed since the plan was made") || c.Seq != 0 {
		t.Errorf("stale outcome %+v", c)
	}
	checkOutcomesMatchAudit(t, f.dir, res)
}
