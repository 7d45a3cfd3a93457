package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func TestDiagnosticsAndWarnings(t *testing.T) {
	diags := hcl.Diagnostics{
		{Severity: hcl.DiagError, Summary: "Reference to undeclared fleet", Detail: "No fleet nope.",
			Subject: &hcl.Range{Filename: "job.hcl", Start: hcl.Pos{Line: 3, Column: 13}, End: hcl.Pos{Line: 3, Column: 23}}},
		{Severity: hcl.DiagWarning, Summary: "Duplicate VM name", Detail: `"vdi-0002" is listed on lines 3, 5 of vms.csv; it counts once.`,
			Subject: &hcl.Range{Filename: "vms.csv", Start: hcl.Pos{Line: 5, Column: 1}, End: hcl.Pos{Line: 5, Column: 9}}},
		{Severity: hcl.DiagWarning, Summary: "Other job files not read", Detail: "Pass -config ."},
	}
	wantDiags := []plan.Diagnostic{
		{Severity: "error", Code: "reference_to_undeclared_fleet", Summary: "Reference to undeclared fleet", Detail: "No fleet nope.",
			File: "job.hcl", Line: 3, Column: 13, EndLine: 3, EndColumn: 23},
		{Severity: "warning", Code: "duplicate_vm_name", Summary: "Duplicate VM name", Detail: `"vdi-0002" is listed on lines 3, 5 of vms.csv; it counts once.`,
			File: "vms.csv", Line: 5, Column: 1, EndLine: 5, EndColumn: 9},
		{Severity: "warning", Code: "other_job_files_not_read", Summary: "Other job files not read", Detail: "Pass -config ."},
	}
	if diff := cmp.Diff(wantDiags, Diagnostics(diags)); diff != "" {
		t.Errorf("Diagnostics (-want +got):\n%s", diff)
	}
	wantWarnings := []plan.Warning{
		{Code: "duplicate_vm_name", Message: `Duplicate VM name: "vdi-0002" is listed on lines 3, 5 of vms.csv; it counts once.`, File: "vms.csv", Line: 5, Column: 1},
		{Code: "other_job_files_not_read", Message: "Other job files not read: Pass -config ."},
	}
	if diff := cmp.Diff(wantWarnings, Warnings(diags)); diff != "" {
		t.Errorf("Warnings (-want +got):\n%s", diff)
	}
	for in, want := range map[string]string{"Invalid max_changes": "invalid_max_changes", " CSV: bad  row! ": "csv_bad_row", "Überprüfung 2": "überprüfung_2"} {
		if got := SnakeCase(in); got != want {
			t.Errorf("SnakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPlanWarnings: a plan lists the configuration's warnings, then per job and task its
// max_changes exceeded and its task warnings, coded ones with their codes and places and
// bare strings as task_warning.
func TestPlanWarnings(t *testing.T) {
	change := plan.Change{Server: "s", ID: "x", Action: plan.ActionUpdate}
	tp := plan.TaskPlan{Changes: []plan.Change{change, change}, Warnings: []string{"bare"}}
	tp.Warn(plan.Warning{Code: plan.WarnUnknownVM, Message: "VM x not found", File: "vms.csv", Line: 4})
	tp.Warnings = append(tp.Warnings, "VM x not found") // the same message, added bare
	p := &plan.Plan{Jobs: []plan.JobPlan{{Name: "j", MaxChanges: 1, Tasks: []plan.TaskEntry{{Name: "t", MaxChanges: 1, TaskPlan: tp}}}}}
	e := &Engine{Config: &Config{Warnings: []plan.Warning{{Code: "c", Message: "config"}}}}
	want := []plan.Warning{
		{Code: "c", Message: "config"},
		{Code: plan.WarnMaxChanges, Message: "2 objects affected exceed the job's max_changes = 1: apply will refuse this plan", Job: "j"},
		{Code: plan.WarnMaxChanges, Message: "2 objects affected exceed the task's max_changes = 1: apply will refuse this plan", Job: "j", Task: "t"},
		{Code: plan.WarnTask, Message: "bare", Job: "j", Task: "t"},
		{Code: plan.WarnUnknownVM, Message: "VM x not found", File: "vms.csv", Line: 4, Job: "j", Task: "t"},
		{Code: plan.WarnTask, Message: "VM x not found", Job: "j", Task: "t"},
	}
	if diff := cmp.Diff(want, e.planWarnings(p)); diff != "" {
		t.Errorf("plan warnings (-want +got):\n%s", diff)
	}
}
