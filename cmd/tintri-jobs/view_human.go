package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// maxLines is how many changes per server, and detail lines per change, the human view
// shows without -detail; the rest are counted.
const maxLines = 10

// humanView writes plans and results for people, Terraform-style: grouped by job, task
// and target server, one line per change with its symbol (+ an object or member appears,
// ~ an attribute changes, - one disappears), coloured by pal.
type humanView struct {
	w      io.Writer
	detail bool
	pal    palette
}

func (v humanView) Plan(p *plan.Plan) error {
	var b strings.Builder
	for _, jp := range p.Jobs {
		fmt.Fprintf(&b, "job %q\n", jp.Name)
		if n := jp.Objects(); jp.MaxChanges > 0 && n > jp.MaxChanges {
			fmt.Fprintf(&b, "  %s %d objects affected exceed the job's max_changes = %d: apply will refuse this plan\n", v.pal.warn("warning:"), n, jp.MaxChanges)
		}
		for _, t := range jp.Tasks {
			v.task(&b, t)
		}
		b.WriteString("\n")
	}
	if p.Changes() == 0 && p.Failures() == 0 {
		// Not when something failed: what could not be read may well need changes.
		b.WriteString("No changes.\n")
	}
	b.WriteString(v.pal.bold("Plan:") + " " + planCounts(p) + ".\n")
	_, err := io.WriteString(v.w, b.String())
	return err
}

func (humanView) Finish() error { return nil }

// planCounts is "N to add, N to change, N to remove[ (N objects)][, N to run], N
// unchanged, N failed": the plan's summary line after "Plan: ".
func planCounts(p *plan.Plan) string {
	s := p.Summary()
	out := stateCounts(plan.ActionCounts{Add: s.Add, Change: s.Change, Remove: s.Remove}, s.Objects, true)
	if s.Runs > 0 {
		out += fmt.Sprintf(", %d to run", s.Runs)
	}
	return out + fmt.Sprintf(", %d unchanged, %d failed", s.Unchanged, s.Failed)
}

// stateCounts is "N to add, N to change, N to remove" and " (N objects)" when the
// changes affect more objects than there are changes (members, data IPs: what
// max_changes counts). all shows the counts that are 0 too; otherwise a count of 0 is
// left out, and no changes at all are "0 to change".
func stateCounts(a plan.ActionCounts, objects int, all bool) string {
	var parts []string
	for _, c := range []struct {
		n    int
		verb string
	}{{a.Add, "add"}, {a.Change, "change"}, {a.Remove, "remove"}} {
		if all || c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", c.n, c.verb))
		}
	}
	if len(parts) == 0 {
		parts = []string{"0 to change"}
	}
	out := strings.Join(parts, ", ")
	if changes := a.Add + a.Change + a.Remove; objects != changes {
		out += fmt.Sprintf(" (%d objects)", objects)
	}
	return out
}

// taskCounts is a task's counts, as its line in the plan shows them: "no changes, N
// unchanged", or its changes by action, runs, unchanged and failed targets.
func taskCounts(t *plan.TaskEntry) string {
	a := t.ActionCounts()
	var out string
	switch {
	case a.Add+a.Change+a.Remove == 0 && a.Run == 0 && len(t.Failed) == 0:
		out = fmt.Sprintf("no changes, %d unchanged", t.UnchangedTotal())
	case a.Add+a.Change+a.Remove == 0 && a.Run > 0:
		out = fmt.Sprintf("%d to run, %d unchanged", a.Run, t.UnchangedTotal())
	case a.Run > 0:
		out = fmt.Sprintf("%s, %d to run, %d unchanged", stateCounts(a, t.Objects(), false), a.Run, t.UnchangedTotal())
	default:
		out = fmt.Sprintf("%s, %d unchanged", stateCounts(a, t.Objects(), false), t.UnchangedTotal())
	}
	if len(t.Failed) > 0 {
		out += fmt.Sprintf(", %d failed", len(t.Failed))
	}
	return out
}

// byServer groups changes by server, servers in order of first appearance.
func byServer[C any](changes []C, server func(*C) string) (servers []string, groups map[string][]C) {
	groups = map[string][]C{}
	for i := range changes {
		s := server(&changes[i])
		if _, seen := groups[s]; !seen {
			servers = append(servers, s)
		}
		groups[s] = append(groups[s], changes[i])
	}
	return servers, groups
}

// task writes one task's part of the plan.
func (v humanView) task(b *strings.Builder, t plan.TaskEntry) {
	fmt.Fprintf(b, "  task %s %q", t.Kind, t.Name)
	if t.Error != "" {
		fmt.Fprintf(b, ": %s %s\n", v.pal.bad("error:"), t.Error)
		return
	}
	fmt.Fprintf(b, ": %s\n", taskCounts(&t))
	if n := t.Objects(); t.MaxChanges > 0 && n > t.MaxChanges {
		fmt.Fprintf(b, "    %s %d objects affected exceed the task's max_changes = %d: apply will refuse this plan\n", v.pal.warn("warning:"), n, t.MaxChanges)
	}
	for _, w := range t.Warnings {
		fmt.Fprintf(b, "    %s %s\n", v.pal.warn("warning:"), w)
	}
	for _, line := range t.Info {
		fmt.Fprintf(b, "    %s\n", line)
	}
	servers, groups := byServer(t.Changes, func(c *plan.Change) string { return c.Server })
	for _, s := range servers {
		fmt.Fprintf(b, "    server %s\n", s)
		changes := groups[s]
		if !v.detail && len(changes) > maxLines {
			changes = changes[:maxLines]
		}
		for _, c := range changes {
			v.change(b, &c)
		}
		if n := len(groups[s]) - len(changes); n > 0 {
			fmt.Fprintf(b, "      … and %d more changes on %s (-detail shows all)\n", n, s)
		}
	}
	for _, f := range t.Failed {
		fmt.Fprintf(b, "    %s %s\n", v.pal.bad("failed:"), f.String())
	}
}

// change writes one change and its details.
func (v humanView) change(b *strings.Builder, c *plan.Change) {
	fmt.Fprintf(b, "      %s %s: %s\n", v.pal.symbol(c.Action.Symbol()), c.Object, c.Summary)
	details := c.Details
	if !v.detail && len(details) > maxLines {
		details = details[:maxLines]
	}
	for _, d := range details {
		fmt.Fprintf(b, "          %s\n", v.pal.detail(d))
	}
	if n := len(c.Details) - len(details); n > 0 {
		fmt.Fprintf(b, "          … and %d more (-detail shows all)\n", n)
	}
}

func (v humanView) Result(r *plan.Result) error {
	var b strings.Builder
	for _, t := range r.Tasks {
		fmt.Fprintf(&b, "%s.%s (%s): %s\n", t.Job, t.Task, t.Kind, resultCounts(t))
		for _, f := range t.Errors {
			fmt.Fprintf(&b, "  %s %s\n", v.pal.bad("failed:"), f.String())
		}
	}
	total := r.Total()
	verdict := resultVerdict(r)
	if verdict == verdictComplete {
		verdict = v.pal.good(verdict)
	} else {
		verdict = v.pal.bad(verdict)
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

// verdictComplete is the verdict of an apply that was not interrupted and where nothing
// failed.
const verdictComplete = "Apply complete"

// resultVerdict is the first words of an apply's summary line.
func resultVerdict(r *plan.Result) string {
	switch {
	case r.Interrupted:
		return "Apply interrupted"
	case r.Total().Failed > 0:
		return "Apply finished with failures"
	}
	return verdictComplete
}
