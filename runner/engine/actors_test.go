package engine

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// TestApproveInMemoryPlan applies a plan kept in memory the way a chat approval does:
// signed with SignPlan, applied with FromFile; a plan changed after signing is refused,
// and every audit record of the apply names who asked for it and who approved it.
func TestApproveInMemoryPlan(t *testing.T) {
	f := newEngineFixture(t, 2, dnsJob)
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{Jobs: []string{"dns"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := Applicable(p); err != nil {
		t.Fatalf("Applicable: %v", err)
	}
	if err := f.eng.SignPlan(p); err != nil {
		t.Fatal(err)
	}
	tampered := *p
	tampered.Jobs = []plan.JobPlan{p.Jobs[0]}
	tampered.Jobs[0].Tasks = []plan.TaskEntry{p.Jobs[0].Tasks[0]}
	tampered.Jobs[0].Tasks[0].Changes = append([]plan.Change(nil), p.Jobs[0].Tasks[0].Changes...)
	tampered.Jobs[0].Tasks[0].Changes[0].After = json.RawMessage(`"10.6.6.6"`)
	if _, err := f.eng.Apply(ctx, &tampered, ApplyOptions{FromFile: true}); !errors.Is(err, ErrPlanMismatch) {
		t.Fatalf("apply of a plan changed after signing: error = %v, want ErrPlanMismatch", err)
	}

	alice, bob := &plan.Actor{ID: "U0000AAAA", Name: "alice"}, &plan.Actor{ID: "U0000BBBB", Name: "bob"}
	res, err := f.eng.Apply(ctx, p, ApplyOptions{FromFile: true, RequestedBy: alice, ApprovedBy: bob})
	if err != nil {
		t.Fatal(err)
	}
	if tr := res.Total(); tr.Changed != 2 || tr.Failed != 0 {
		t.Fatalf("result %+v, want 2 changed", tr)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, AuditFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 4 {
		t.Fatalf("audit log has %d lines, want 4 (intent and outcome of 2 changes):\n%s", len(lines), raw)
	}
	for _, line := range lines {
		schematest.Validate(t, schematest.AuditRecord, []byte(line))
		var r plan.AuditRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		if r.RequestedBy == nil || *r.RequestedBy != *alice || r.ApprovedBy == nil || *r.ApprovedBy != *bob {
			t.Errorf("audit record without requester alice and approver bob: %s", line)
		}
	}
}
