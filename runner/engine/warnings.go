package engine

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Diagnostics converts HCL diagnostics (of the job files and the data files they read) to
// the structured form `validate -json` and JSON logs show.
func Diagnostics(diags hcl.Diagnostics) []plan.Diagnostic {
	out := make([]plan.Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := plan.Diagnostic{Severity: plan.SeverityWarning, Code: SnakeCase(d.Summary), Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagError {
			pd.Severity = plan.SeverityError
		}
		if r := d.Subject; r != nil {
			pd.File, pd.Line, pd.Column, pd.EndLine, pd.EndColumn = r.Filename, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column
		}
		out = append(out, pd)
	}
	return out
}

// Warnings converts the warnings among diags to plan warnings, which every plan made
// from the configuration lists.
func Warnings(diags hcl.Diagnostics) []plan.Warning {
	var out []plan.Warning
	for _, d := range Diagnostics(diags) {
		if d.Severity != plan.SeverityWarning {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		out = append(out, plan.Warning{Code: d.Code, Message: msg, File: d.File, Line: d.Line, Column: d.Column})
	}
	return out
}

// SnakeCase turns a diagnostic summary into a code: "Duplicate VM name" becomes
// "duplicate_vm_name".
func SnakeCase(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			sep = b.Len() > 0
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// planWarnings lists every warning of p: the configuration's, each task's, and each job
// or task whose changes affect more objects than its max_changes.
func (e *Engine) planWarnings(p *plan.Plan) []plan.Warning {
	out := append([]plan.Warning{}, e.Config.Warnings...)
	for _, jp := range p.Jobs {
		if n := jp.Objects(); jp.MaxChanges > 0 && n > jp.MaxChanges {
			out = append(out, plan.Warning{Code: plan.WarnMaxChanges, Job: jp.Name,
				Message: fmt.Sprintf("%d objects affected exceed the job's max_changes = %d: apply will refuse this plan", n, jp.MaxChanges)})
		}
		for _, t := range jp.Tasks {
			if n := t.Objects(); t.MaxChanges > 0 && n > t.MaxChanges {
				out = append(out, plan.Warning{Code: plan.WarnMaxChanges, Job: jp.Name, Task: t.Name,
					Message: fmt.Sprintf("%d objects affected exceed the task's max_changes = %d: apply will refuse this plan", n, t.MaxChanges)})
			}
			out = append(out, t.TaskWarnings(jp.Name)...)
		}
	}
	return out
}
