package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// TestFindConflictsOrder: however many addresses the task with the most claims has (it is
// looked up, not indexed), conflicts name the tasks in plan order, recorded ones last, and
// an address only it claims is no conflict.
func TestFindConflictsOrder(t *testing.T) {
	claims := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	p := &plan.Plan{Jobs: []plan.JobPlan{{Name: "j", Tasks: []plan.TaskEntry{
		{Name: "a", TaskPlan: plan.TaskPlan{Claims: claims("x", "1")}},
		{Name: "big", TaskPlan: plan.TaskPlan{Claims: claims("x", "2", "y", "2", "z", "2", "w", "2"),
			Changes: []plan.Change{{Server: "s", ID: "w", Addresses: []string{"w"}}, {Server: "s", ID: "z", Addresses: []string{"z"}}}}},
		{Name: "c", TaskPlan: plan.TaskPlan{Claims: claims("x", "3", "z", "2")}},
	}}}}
	where := map[string]string{"j.a": "a.hcl:1", "j.big": "a.hcl:5", "j.c": "a.hcl:9", "j.old": "b.hcl:1"}
	recorded := map[string]storedTask{"j.old": {Where: "b.hcl:1", Claims: claims("w", "9")}}
	findConflicts(p, where, recorded)
	got := map[string][]string{}
	for _, tk := range p.Jobs[0].Tasks {
		for _, f := range tk.Failed {
			got[tk.Name] = append(got[tk.Name], f.Object+": "+f.Error)
		}
	}
	want := map[string][]string{
		"a": {"x: conflict: task j.a (a.hcl:1) wants 1; task j.big (a.hcl:5) wants 2; task j.c (a.hcl:9) wants 3: neither is applied until one of them changes"},
		"big": {
			"w: conflict: task j.big (a.hcl:5) wants 2; task j.old (b.hcl:1), as its last run planned, wants 9: neither is applied until one of them changes",
			"x: conflict: task j.big (a.hcl:5) wants 2; task j.a (a.hcl:1) wants 1; task j.c (a.hcl:9) wants 3: neither is applied until one of them changes",
		},
		"c": {"x: conflict: task j.c (a.hcl:9) wants 3; task j.a (a.hcl:1) wants 1; task j.big (a.hcl:5) wants 2: neither is applied until one of them changes"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if ch := p.Jobs[0].Tasks[1].Changes; len(ch) != 1 || ch[0].ID != "z" {
		t.Errorf("big keeps changes %+v, want only z's (w is in conflict)", ch)
	}
}
