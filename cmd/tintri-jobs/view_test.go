package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

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
			Action: plan.ActionCreate, Summary: "affinity none → NEVER", Before: plan.MustJSON(nil), After: plan.MustJSON("NEVER")})
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
	}
}

func TestPlanViews(t *testing.T) {
	tests := []struct {
		golden       string
		json, detail bool
	}{
		{"synthetic.txt", false, false},
		{"synthetic_detail.txt", false, true},
		{"synthetic.json", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := newView(&b, tt.json, tt.detail).Plan(syntheticPlan()); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.String())
		})
	}
}

func TestNoChangesView(t *testing.T) {
	var b bytes.Buffer
	p := &plan.Plan{Jobs: []plan.JobPlan{}}
	if err := newView(&b, false, false).Plan(p); err != nil {
		t.Fatal(err)
	}
	if want := "No changes.\nPlan: 0 to change, 0 unchanged, 0 failed.\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}

	// A plan without changes because nothing could be read does not say "No changes".
	b.Reset()
	p.Jobs = []plan.JobPlan{{Name: "dns", Tasks: []plan.TaskEntry{{Name: "lab", Kind: "appliance_dns",
		TaskPlan: plan.TaskPlan{Changes: []plan.Change{}, Failed: []plan.Failure{{Server: "vs1", Error: "vs1: connection refused"}}}}}}}
	if err := newView(&b, false, false).Plan(p); err != nil {
		t.Fatal(err)
	}
	want := "job \"dns\"\n  task appliance_dns \"lab\": 0 to change, 0 unchanged, 1 failed\n    failed: vs1: connection refused\n\n" +
		"Plan: 0 to change, 0 unchanged, 1 failed.\n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestResultViews(t *testing.T) {
	res := &plan.Result{Tasks: []plan.TaskResult{
		{Job: "groups", Task: "vdi", Kind: "service_group_members", Changed: 2, Unchanged: 1, Failed: 2, Skipped: 1, Errors: []plan.Failure{
			{Server: "10.0.0.6", Error: "10.0.0.6: GET /api/info: connection refused"},
			{Server: "tgc", Object: "service group VDI", Error: "stale: changed since the plan was made"},
		}},
		{Job: "quiet", Task: "dns", Kind: "appliance_dns", Unchanged: 2, Errors: []plan.Failure{}},
		{Job: "nightly", Task: "capacity", Kind: "vm_report", Runs: 1, Errors: []plan.Failure{}},
	}}
	for _, tt := range []struct {
		golden string
		json   bool
	}{{"result.txt", false}, {"result.json", true}} {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := newView(&b, tt.json, false).Result(res); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, b.String())
		})
	}
}
