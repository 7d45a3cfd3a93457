package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// view renders plans and apply results; humanView and jsonView render the same model.
type view interface {
	Plan(p *plan.Plan) error
	Result(r *plan.Result) error
}

func newView(w io.Writer, asJSON, detail bool) view {
	if asJSON {
		return jsonView{w: w}
	}
	return humanView{w: w, detail: detail}
}

// maxLines is how many changes per server, and detail lines per change, the human view
// shows without -detail; the rest are counted.
const maxLines = 10

// humanView writes plans and results for people, Terraform-style: grouped by job, task
// and target server, one line per change with its symbol (~ update, + create, - delete).
type humanView struct {
	w      io.Writer
	detail bool
}

func (v humanView) Plan(p *plan.Plan) error {
	var b strings.Builder
	for _, jp := range p.Jobs {
		fmt.Fprintf(&b, "job %q\n", jp.Name)
		if n := jp.Objects(); jp.MaxChanges > 0 && n > jp.MaxChanges {
			fmt.Fprintf(&b, "  warning: %d objects affected exceed the job's max_changes = %d: apply will refuse this plan\n", n, jp.MaxChanges)
		}
		for _, t := range jp.Tasks {
			v.task(&b, t)
		}
		b.WriteString("\n")
	}
	changes, unchanged, failed := p.Changes(), p.Unchanged(), p.Failures()
	if changes == 0 && failed == 0 {
		// Not when something failed: what could not be read may well need changes.
		b.WriteString("No changes.\n")
	}
	runs := ""
	if n := p.Runs(); n > 0 {
		runs = fmt.Sprintf(" %d to run,", n)
	}
	fmt.Fprintf(&b, "Plan: %d to change%s,%s %d unchanged, %d failed.\n", changes, objects(changes, p.Summary().Objects), runs, unchanged, failed)
	_, err := io.WriteString(v.w, b.String())
	return err
}

// objects is " (N objects)" when the changes affect more objects than there are changes
// (members, data IPs): what max_changes counts.
func objects(changes, objects int) string {
	if objects == changes {
		return ""
	}
	return fmt.Sprintf(" (%d objects)", objects)
}

// task writes one task's part of the plan.
func (v humanView) task(b *strings.Builder, t plan.TaskEntry) {
	fmt.Fprintf(b, "  task %s %q", t.Kind, t.Name)
	if t.Error != "" {
		fmt.Fprintf(b, ": error: %s\n", t.Error)
		return
	}
	tp := t.TaskPlan
	switch changes, runs := t.StateChanges(), t.Runs(); {
	case changes == 0 && runs == 0 && len(tp.Failed) == 0:
		fmt.Fprintf(b, ": no changes, %d unchanged", tp.UnchangedTotal())
	case runs > 0:
		fmt.Fprintf(b, ": %d to change%s, %d to run, %d unchanged", changes, objects(changes, t.Objects()), runs, tp.UnchangedTotal())
	default:
		fmt.Fprintf(b, ": %d to change%s, %d unchanged", changes, objects(changes, t.Objects()), tp.UnchangedTotal())
	}
	if len(tp.Failed) > 0 {
		fmt.Fprintf(b, ", %d failed", len(tp.Failed))
	}
	b.WriteString("\n")
	if n := t.Objects(); t.MaxChanges > 0 && n > t.MaxChanges {
		fmt.Fprintf(b, "    warning: %d objects affected exceed the task's max_changes = %d: apply will refuse this plan\n", n, t.MaxChanges)
	}
	for _, w := range tp.Warnings {
		fmt.Fprintf(b, "    warning: %s\n", w)
	}
	for _, line := range tp.Info {
		fmt.Fprintf(b, "    %s\n", line)
	}
	// Changes grouped by server, servers in order of first appearance.
	var servers []string
	byServer := map[string][]plan.Change{}
	for _, c := range tp.Changes {
		if _, seen := byServer[c.Server]; !seen {
			servers = append(servers, c.Server)
		}
		byServer[c.Server] = append(byServer[c.Server], c)
	}
	for _, s := range servers {
		fmt.Fprintf(b, "    server %s\n", s)
		changes := byServer[s]
		if !v.detail && len(changes) > maxLines {
			changes = changes[:maxLines]
		}
		for _, c := range changes {
			fmt.Fprintf(b, "      %s %s: %s\n", c.Action.Symbol(), c.Object, c.Summary)
			details := c.Details
			if !v.detail && len(details) > maxLines {
				details = details[:maxLines]
			}
			for _, d := range details {
				fmt.Fprintf(b, "          %s\n", d)
			}
			if n := len(c.Details) - len(details); n > 0 {
				fmt.Fprintf(b, "          … and %d more (-detail shows all)\n", n)
			}
		}
		if n := len(byServer[s]) - len(changes); n > 0 {
			fmt.Fprintf(b, "      … and %d more changes on %s (-detail shows all)\n", n, s)
		}
	}
	for _, f := range tp.Failed {
		fmt.Fprintf(b, "    failed: %s\n", f.String())
	}
}

func (v humanView) Result(r *plan.Result) error {
	var b strings.Builder
	for _, t := range r.Tasks {
		fmt.Fprintf(&b, "%s.%s (%s): %s\n", t.Job, t.Task, t.Kind, resultCounts(t))
		for _, f := range t.Errors {
			fmt.Fprintf(&b, "  failed: %s\n", f.String())
		}
	}
	total := r.Total()
	verdict := "Apply complete"
	switch {
	case r.Interrupted:
		verdict = "Apply interrupted"
	case total.Failed > 0:
		verdict = "Apply finished with failures"
	}
	fmt.Fprintf(&b, "\n%s: %s.\n", verdict, resultCounts(total))
	if total.Unknown > 0 || (r.Interrupted && total.Skipped > 0) {
		b.WriteString("Run plan to see what is still to do: it reads what each change in flight did.\n")
	}
	_, err := io.WriteString(v.w, b.String())
	return err
}

// resultCounts is "N changed, [N run, ]N unchanged, N failed[ (N outcome unknown)], N
// skipped"; runs (reports) are counted apart from state changes, as in the plan.
func resultCounts(t plan.TaskResult) string {
	runs, unknown := "", ""
	if t.Runs > 0 {
		runs = fmt.Sprintf(" %d run,", t.Runs)
	}
	if t.Unknown > 0 {
		unknown = fmt.Sprintf(" (%d outcome unknown)", t.Unknown)
	}
	return fmt.Sprintf("%d changed,%s %d unchanged, %d failed%s, %d skipped", t.Changed, runs, t.Unchanged, t.Failed, unknown, t.Skipped)
}
