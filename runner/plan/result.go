package plan

import (
	"encoding/json"
	"time"
)

// Result is what an apply did, per task in plan order. Its JSON form is the
// "apply_result" document.
type Result struct {
	Tasks []TaskResult `json:"tasks"`
}

// TaskResult counts one task's outcomes: state changes made, runs made (reports), targets
// already right, failures (changes and unreadable targets), and changes skipped (not
// tried after a fail_fast stop, a stale refusal or cancellation).
type TaskResult struct {
	Job       string    `json:"job"`
	Task      string    `json:"task"`
	Kind      string    `json:"kind"`
	Changed   int       `json:"changed"`
	Runs      int       `json:"runs"`
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
	Skipped   int       `json:"skipped"`
	Errors    []Failure `json:"errors"`
}

// Total adds up the counts of every task, as the summaries of the CLI and the daemon show
// them.
func (r *Result) Total() TaskResult {
	var total TaskResult
	for _, t := range r.Tasks {
		total.Changed += t.Changed
		total.Runs += t.Runs
		total.Unchanged += t.Unchanged
		total.Failed += t.Failed
		total.Skipped += t.Skipped
	}
	return total
}

// Failed reports whether anything failed.
func (r *Result) Failed() bool {
	for _, t := range r.Tasks {
		if t.Failed > 0 {
			return true
		}
	}
	return false
}

// resultDocument is Result's JSON form.
type resultDocument struct {
	FormatVersion string        `json:"format_version"`
	Type          string        `json:"type"`
	Tasks         []TaskResult  `json:"tasks"`
	Summary       resultSummary `json:"summary"`
}

// resultSummary is the totals of an apply result.
type resultSummary struct {
	Changed   int `json:"changed"`
	Runs      int `json:"runs"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

// MarshalJSON writes the "apply_result" document, arrays never null.
func (r *Result) MarshalJSON() ([]byte, error) {
	t := r.Total()
	doc := resultDocument{FormatVersion: FormatVersion, Type: "apply_result", Tasks: make([]TaskResult, len(r.Tasks)),
		Summary: resultSummary{Changed: t.Changed, Runs: t.Runs, Unchanged: t.Unchanged, Failed: t.Failed, Skipped: t.Skipped}}
	for i, t := range r.Tasks {
		t.Errors = nonNil(t.Errors)
		doc.Tasks[i] = t
	}
	return json.Marshal(doc)
}

// Audit results.
const (
	AuditOK    = "ok"
	AuditError = "error"
)

// AuditRecord is one change an apply tried, as a line of the audit log stores it: the
// change as planned, where and when, and how it ended.
type AuditRecord struct {
	FormatVersion string    `json:"format_version"`
	Time          time.Time `json:"time"`
	Job           string    `json:"job"`
	Task          string    `json:"task"`
	Change
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
}

// DriftSummary is what a plan-mode run of the daemon that found pending changes reports
// (to the notify command, as JSON on its standard input).
type DriftSummary struct {
	FormatVersion string        `json:"format_version"`
	Job           string        `json:"job"`
	RunID         string        `json:"run_id"`
	Time          time.Time     `json:"time"`
	Pending       int           `json:"pending"`
	Changes       []DriftChange `json:"changes"`
}

// DriftChange is one pending change of a DriftSummary: the planned change and its task.
type DriftChange struct {
	Task string `json:"task"`
	Kind string `json:"kind"`
	Change
}
