package main

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// syntheticPlan exercises every part of the plan views: a job over its max_changes, a
// task that could not plan, changes of each action on two servers, more details than the
// view shows by default, more changes on one server than it shows by default, warnings,
// info lines and failed targets.
func syntheticPlan() *plan.Plan {
	var details []string
	for i := 1; i <= 13; i++ {
		details = append(details, fmt.Sprintf("+ vdi-%04d", i))
	}
	var affinity []plan.Change
	for i := 1; i <= 12; i++ {
		affinity = append(affinity, plan.Change{Server: "tgc", Object: fmt.Sprintf("vm sql-%02d", i), ID: fmt.Sprintf("vm/%d", i),
			Action: plan.ActionUpdate, Summary: "affinity none → NEVER", Before: plan.MustJSON(nil), After: plan.MustJSON("NEVER")})
	}
	return &plan.Plan{
		CreatedAt:  time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		ConfigHash: "abc123",
		Jobs: []plan.JobPlan{
			{Name: "groups", MaxChanges: 2, FailFast: true, Tasks: []plan.TaskEntry{
				{Name: "vdi", Kind: "service_group_members", TaskPlan: plan.TaskPlan{
					Changes: []plan.Change{
						{Server: "tgc", Object: "service group VDI", ID: "sg/VDI", Action: plan.ActionUpdate,
							Summary: "add 13 members", Before: plan.MustJSON([]string{}), After: plan.MustJSON([]string{"vdi-0001"}), Details: details},
						{Server: "tgc", Object: "report vms.csv", ID: "report", Action: plan.ActionCreate, Summary: "write the VM report", AlwaysApply: true},
						{Server: "10.0.0.5", Object: "data ip 10.0.1.5", ID: "ip", Action: plan.ActionDelete, Summary: "remove data ip"},
						{Server: "10.0.0.5", Object: "data ip 10.0.1.9", ID: "ip9", Action: plan.ActionCreate, Summary: "add data ip <a&b>",
							Details: []string{"+ 10.0.1.9/24 vlan 12", "~ gateway: 10.0.1.1 → 10.0.1.254", "- 10.0.1.7"}},
					},
					Unchanged: []string{"sg/SQL"},
					Failed:    []plan.Failure{{Server: "10.0.0.6", Error: "10.0.0.6: GET /api/info: connection refused"}},
					Warnings:  []string{"service group Old is empty"},
					Info:      []string{"13 VMs selected"},
				}},
				{Name: "broken", Kind: "vm_affinity", Error: "server tgc: login: status 401", TaskPlan: plan.TaskPlan{Changes: []plan.Change{}}},
			}},
			{Name: "quiet", Tasks: []plan.TaskEntry{
				{Name: "dns", Kind: "appliance_dns", MaxChanges: 5, TaskPlan: plan.TaskPlan{Changes: []plan.Change{}, Unchanged: []string{"a", "b"}}},
			}},
			{Name: "placement", Tasks: []plan.TaskEntry{
				{Name: "sql-never", Kind: "vm_affinity", TaskPlan: plan.TaskPlan{Changes: affinity}},
			}},
		},
		Warnings: []plan.Warning{
			{Code: "duplicate_vm_name", Message: `Duplicate VM name: "vdi-0007" is listed on lines 3, 7 of vms.csv; it counts once.`, File: "vms.csv", Line: 7, Column: 1},
			{Code: plan.WarnTask, Message: "service group Old is empty", Job: "groups", Task: "vdi"},
		},
	}
}

func TestPlanViews(t *testing.T) {
	tests := []struct {
		golden string
		opts   viewOptions
	}{
		{"synthetic.txt", viewOptions{format: formatText}},
		{"synthetic_detail.txt", viewOptions{format: formatText, detail: true}},
		{"synthetic_color.txt", viewOptions{format: formatText, color: true}},
		{"synthetic.json", viewOptions{format: formatJSON}},
		{"synthetic.md", viewOptions{format: formatMarkdown}},
		{"synthetic.html", viewOptions{format: formatHTML}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			v := newView(&b, tt.opts)
			if err := v.Plan(syntheticPlan()); err != nil {
				t.Fatal(err)
			}
			if err := v.Finish(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.String())
		})
	}
}

func TestNoChangesView(t *testing.T) {
	var b bytes.Buffer
	p := &plan.Plan{Jobs: []plan.JobPlan{}}
	if err := newView(&b, viewOptions{format: formatText}).Plan(p); err != nil {
		t.Fatal(err)
	}
	if want := "No changes.\nPlan: 0 to add, 0 to change, 0 to remove, 0 unchanged, 0 failed.\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}

	// A plan without changes because nothing could be read does not say "No changes".
	b.Reset()
	p.Jobs = []plan.JobPlan{{Name: "dns", Tasks: []plan.TaskEntry{{Name: "lab", Kind: "appliance_dns",
		TaskPlan: plan.TaskPlan{Changes: []plan.Change{}, Failed: []plan.Failure{{Server: "vs1", Error: "vs1: connection refused"}}}}}}}
	if err := newView(&b, viewOptions{format: formatText}).Plan(p); err != nil {
		t.Fatal(err)
	}
	want := "job \"dns\"\n  task appliance_dns \"lab\": 0 to change, 0 unchanged, 1 failed\n    failed: vs1: connection refused\n\n" +
		"Plan: 0 to add, 0 to change, 0 to remove, 0 unchanged, 1 failed.\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

// syntheticResult is an apply of syntheticPlan with an outcome of each kind.
func syntheticResult() *plan.Result {
	p := syntheticPlan()
	outcome := func(c plan.Change, outcome, err string, seq int) plan.ChangeOutcome {
		o := plan.NewChangeOutcome(&c)
		o.Outcome, o.Error, o.Seq = outcome, err, seq
		return o
	}
	vdi := p.Jobs[0].Tasks[0].Changes
	var placement []plan.ChangeOutcome
	for i, c := range p.Jobs[2].Tasks[0].Changes {
		placement = append(placement, outcome(c, plan.OutcomeApplied, "", 4+i))
	}
	placement[11] = outcome(p.Jobs[2].Tasks[0].Changes[11], plan.OutcomeUnknown, "outcome unknown: the apply was interrupted", 15)
	return &plan.Result{ApplyID: "0123456789abcdef", Tasks: []plan.TaskResult{
		{Job: "groups", Task: "vdi", Kind: "service_group_members", Changed: 1, Runs: 1, Unchanged: 1, Failed: 2, Skipped: 1, Errors: []plan.Failure{
			{Server: "10.0.0.6", Error: "10.0.0.6: GET /api/info: connection refused"},
			{Server: "10.0.0.5", Object: "data ip 10.0.1.5", Error: "stale: changed since the plan was made"},
		}, Changes: []plan.ChangeOutcome{
			outcome(vdi[0], plan.OutcomeApplied, "", 1), outcome(vdi[1], plan.OutcomeApplied, "", 2),
			outcome(vdi[2], plan.OutcomeStale, "stale: changed since the plan was made", 0), outcome(vdi[3], plan.OutcomeSkipped, "", 0),
		}},
		{Job: "groups", Task: "broken", Kind: "vm_affinity", Failed: 1, Errors: []plan.Failure{{Error: "plan: server tgc: login: status 401"}}},
		{Job: "quiet", Task: "dns", Kind: "appliance_dns", Unchanged: 2},
		{Job: "placement", Task: "sql-never", Kind: "vm_affinity", Changed: 11, Failed: 1, Unknown: 1, Changes: placement, Errors: []plan.Failure{
			{Server: "tgc", Object: "vm sql-12", Error: "outcome unknown: the apply was interrupted"}}},
	}, Interrupted: true}
}

func TestResultViews(t *testing.T) {
	for _, tt := range []struct {
		golden string
		opts   viewOptions
	}{
		{"result.txt", viewOptions{format: formatText}},
		{"result_color.txt", viewOptions{format: formatText, color: true}},
		{"result.json", viewOptions{format: formatJSON}},
		{"result.md", viewOptions{format: formatMarkdown}},
		{"result.html", viewOptions{format: formatHTML}},
	} {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			tt.opts.apply = true
			v := newView(&b, tt.opts)
			if tt.opts.format != formatJSON && tt.opts.format != formatText {
				// The page holds the plan back for one page with the result.
				if err := v.Plan(syntheticPlan()); err != nil || b.Len() != 0 {
					t.Fatalf("Plan: %v, wrote %q", err, b.String())
				}
			}
			res := syntheticResult()
			if err := v.Result(res); err != nil {
				t.Fatal(err)
			}
			if err := v.Finish(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.String())
			if tt.opts.format == formatJSON {
				schematest.Validate(t, schematest.ApplyResult, b.Bytes())
			}
		})
	}
}

// TestPageViewWithoutResult: an apply that ends before its result (refused, nothing to
// do) still writes the page of its plan, once.
func TestPageViewWithoutResult(t *testing.T) {
	for _, format := range []string{formatMarkdown, formatHTML} {
		var b, want bytes.Buffer
		v := newView(&b, viewOptions{format: format, apply: true})
		if err := v.Plan(syntheticPlan()); err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(v.Finish(), v.Finish()); err != nil {
			t.Fatal(err)
		}
		if err := newView(&want, viewOptions{format: format}).Plan(syntheticPlan()); err != nil {
			t.Fatal(err)
		}
		if b.String() != want.String() {
			t.Errorf("%s: apply without a result wrote (-want +got):\n%s", format, cmp.Diff(want.String(), b.String()))
		}
	}
}
