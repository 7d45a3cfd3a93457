package chatops

import (
	"fmt"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// maxDetails bounds the detail lines shown per change.
const maxDetails = 5

// summary is a plan's counts: "N to change, N unchanged, N failed".
func summary(p *plan.Plan) string {
	s := fmt.Sprintf("%d to change", p.Changes())
	if n := p.Runs(); n > 0 {
		s += fmt.Sprintf(", %d to run", n)
	}
	return s + fmt.Sprintf(", %d unchanged, %d failed.", p.Unchanged(), p.Failures())
}

// render is a plan for chat: per job and task, each change on a line with its sign,
// server, object and summary, then the failures.
func render(p *plan.Plan) string {
	var b strings.Builder
	for _, jp := range p.Jobs {
		fmt.Fprintf(&b, "job %s\n", jp.Name)
		for _, t := range jp.Tasks {
			fmt.Fprintf(&b, "  task %s %s: ", t.Kind, t.Name)
			if t.Error != "" {
				fmt.Fprintf(&b, "error: %s\n", t.Error)
				continue
			}
			fmt.Fprintf(&b, "%d to change, %d unchanged, %d failed\n", len(t.Changes), t.UnchangedTotal(), len(t.Failed))
			for _, c := range t.Changes {
				fmt.Fprintf(&b, "    %s %s %s: %s\n", c.Action.Symbol(), c.Server, c.Object, c.Summary)
				for i, d := range c.Details {
					if i == maxDetails {
						fmt.Fprintf(&b, "        … and %d more\n", len(c.Details)-i)
						break
					}
					fmt.Fprintf(&b, "        %s\n", d)
				}
			}
			for _, f := range t.Failed {
				fmt.Fprintf(&b, "    failed: %s\n", f.String())
			}
		}
	}
	return b.String()
}

// outcome is an apply's result for chat: the counts, then each failure.
func outcome(r *plan.Result) string {
	t := r.Total()
	var b strings.Builder
	fmt.Fprintf(&b, "%d changed, %d unchanged, %d failed, %d skipped", t.Changed, t.Unchanged, t.Failed, t.Skipped)
	if t.Unknown > 0 {
		fmt.Fprintf(&b, " (%d outcome unknown: run plan to see)", t.Unknown)
	}
	b.WriteString(".")
	for _, tr := range r.Tasks {
		for _, f := range tr.Errors {
			fmt.Fprintf(&b, "\n• task %s: %s", tr.Task, f.String())
		}
	}
	return b.String()
}
