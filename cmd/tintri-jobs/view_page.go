package main

import (
	"strconv"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// pageModel is a plan, or an apply's result with its plan, as the page views (Markdown,
// HTML) show it: a summary table of the tasks, the warnings and failures, and each
// task's changes grouped by server.
type pageModel struct {
	Result     bool   // an apply's result, not a plan
	Title      string // "tintri-jobs plan" or "tintri-jobs apply"
	CreatedAt  string // when the plan was made, RFC 3339
	ConfigHash string // the plan's configuration hash, shortened
	Verdict    string // "Plan: 3 to add, …" or "Apply complete: …"
	Warnings   []plan.Warning
	Tasks      []pageTask
	Servers    []string // the servers of every change, in order of first appearance
	Changes    int      // the changes of every task
	seen       map[string]bool
}

// pageTask is one task's row in the summary table and its changes.
type pageTask struct {
	Job, Task, Kind string
	Counts          string // the task's counts, as the text view writes them
	// Cells are the task's counts in the summary table's columns (pageColumns).
	Cells    []int
	Changes  []pageChange
	Failures []string // failed targets and changes, and why the task could not plan
	Info     []string
}

// pageChange is one change: its symbol (+, ~, -), category (add, change, remove, run, as
// the filters name them), where, what, its details and, in a result, its outcome.
type pageChange struct {
	Symbol, Category        string
	Server, Object, Summary string
	Details                 []string
	Outcome, Error          string
}

// pageColumns are the numeric columns of the summary table of a plan and of a result.
var pageColumns = map[bool][]string{
	false: {"Add", "Change", "Remove", "Run", "Unchanged", "Failed"},
	true:  {"Changed", "Run", "Unchanged", "Failed", "Skipped"},
}

// category is the filter category of a change: add, change, remove or run.
func category(action plan.Action, alwaysApply bool) string {
	switch {
	case alwaysApply:
		return "run"
	case action == plan.ActionCreate:
		return "add"
	case action == plan.ActionDelete:
		return "remove"
	}
	return "change"
}

// newPlanPage is the page of a plan.
func newPlanPage(p *plan.Plan) *pageModel {
	m := &pageModel{Title: "tintri-jobs plan", Verdict: "Plan: " + planCounts(p), Warnings: p.Warnings}
	m.setPlan(p)
	for _, jp := range p.Jobs {
		for _, t := range jp.Tasks {
			a := t.ActionCounts()
			pt := pageTask{Job: jp.Name, Task: t.Name, Kind: t.Kind, Info: t.Info,
				Cells: []int{a.Add, a.Change, a.Remove, a.Run, t.UnchangedTotal(), t.Failures()}}
			if t.Error != "" {
				pt.Counts = "could not plan"
				pt.Failures = append(pt.Failures, "could not plan: "+t.Error)
			} else {
				pt.Counts = taskCounts(&t)
			}
			for _, f := range t.Failed {
				pt.Failures = append(pt.Failures, f.String())
			}
			for i := range t.Changes {
				c := &t.Changes[i]
				pt.Changes = append(pt.Changes, pageChange{Symbol: c.Action.Symbol(), Category: category(c.Action, c.AlwaysApply),
					Server: c.Server, Object: c.Object, Summary: c.Summary, Details: c.Details})
			}
			m.add(pt)
		}
	}
	return m
}

// newResultPage is the page of an apply's result; p, its plan, gives each change its
// details (and may be nil).
func newResultPage(p *plan.Plan, r *plan.Result) *pageModel {
	m := &pageModel{Result: true, Title: "tintri-jobs apply", Verdict: resultVerdict(r) + ": " + resultCounts(r.Total())}
	details := map[string][]string{}
	if p != nil {
		m.setPlan(p)
		m.Warnings = p.Warnings
		for _, jp := range p.Jobs {
			for _, t := range jp.Tasks {
				for _, c := range t.Changes {
					details[jp.Name+"\x00"+t.Name+"\x00"+c.Server+"\x00"+c.ID] = c.Details
				}
			}
		}
	}
	for _, t := range r.Tasks {
		pt := pageTask{Job: t.Job, Task: t.Task, Kind: t.Kind, Counts: resultCounts(t),
			Cells: []int{t.Changed, t.Runs, t.Unchanged, t.Failed, t.Skipped}}
		for _, f := range t.Errors {
			pt.Failures = append(pt.Failures, f.String())
		}
		for _, c := range t.Changes {
			pt.Changes = append(pt.Changes, pageChange{Symbol: c.Action.Symbol(), Category: category(c.Action, c.AlwaysApply),
				Server: c.Server, Object: c.Object, Summary: c.Summary, Outcome: c.Outcome, Error: c.Error,
				Details: details[t.Job+"\x00"+t.Task+"\x00"+c.Server+"\x00"+c.ID]})
		}
		m.add(pt)
	}
	return m
}

// setPlan takes the plan's time and configuration hash.
func (m *pageModel) setPlan(p *plan.Plan) {
	if !p.CreatedAt.IsZero() {
		m.CreatedAt = p.CreatedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	m.ConfigHash = p.ConfigHash
	if len(m.ConfigHash) > 12 {
		m.ConfigHash = m.ConfigHash[:12]
	}
}

// add appends a task, counting its changes and servers.
func (m *pageModel) add(t pageTask) {
	m.Tasks = append(m.Tasks, t)
	m.Changes += len(t.Changes)
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	for _, c := range t.Changes {
		if !m.seen[c.Server] {
			m.seen[c.Server] = true
			m.Servers = append(m.Servers, c.Server)
		}
	}
}

// Columns are the names of the summary table's numeric columns.
func (m *pageModel) Columns() []string { return pageColumns[m.Result] }

// Failures are the failures of every task, as "job.task: failure".
func (m *pageModel) Failures() []string {
	var out []string
	for _, t := range m.Tasks {
		for _, f := range t.Failures {
			out = append(out, t.Job+"."+t.Task+": "+f)
		}
	}
	return out
}

// where is a warning's place, "file:line" or "file", or "" when it has none.
func where(w plan.Warning) string {
	switch {
	case w.File == "":
		return ""
	case w.Line > 0:
		return w.File + ":" + strconv.Itoa(w.Line)
	}
	return w.File
}
