package plan

import (
	"encoding/json"
	"time"
)

// Result is what an apply did, per task in plan order. Its JSON form is the
// "apply_result" document.
type Result struct {
	Tasks []TaskResult `json:"tasks"`
	// Interrupted says the apply was asked to stop (a signal, a daemon shutdown): the
	// changes it had not started are skipped.
	Interrupted bool `json:"interrupted"`
	// ApplyID is the apply's id in the audit log; empty when it tried no change.
	ApplyID string `json:"apply_id,omitempty"`
	// InflightLimits is, by server key, how many requests the run let be in flight to each
	// server it reached when the apply ended (the adaptive limit, or the fixed one).
	InflightLimits map[string]int `json:"inflight_limits,omitempty"`
}

// TaskResult counts one task's outcomes: state changes made, runs made (reports), targets
// already right, failures (changes and unreadable targets), changes whose outcome is
// unknown (in flight when the apply was interrupted; counted among the failures too) and
// changes skipped (not started after a fail_fast stop, a stale refusal or an interrupt).
type TaskResult struct {
	Job       string    `json:"job"`
	Task      string    `json:"task"`
	Kind      string    `json:"kind"`
	Changed   int       `json:"changed"`
	Runs      int       `json:"runs"`
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
	Unknown   int       `json:"unknown"`
	Skipped   int       `json:"skipped"`
	Errors    []Failure `json:"errors"`
	// Changes are the outcomes of the task's planned changes, in plan order.
	Changes []ChangeOutcome `json:"changes"`
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
		total.Unknown += t.Unknown
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
	Interrupted   bool          `json:"interrupted"`
	ApplyID       string        `json:"apply_id,omitempty"`
	Tasks         []TaskResult  `json:"tasks"`
	Summary       resultSummary `json:"summary"`
	// InflightLimits is Result.InflightLimits.
	InflightLimits map[string]int `json:"inflight_limits,omitempty"`
}

// resultSummary is the totals of an apply result.
type resultSummary struct {
	Changed   int `json:"changed"`
	Runs      int `json:"runs"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	Unknown   int `json:"unknown"`
	Skipped   int `json:"skipped"`
}

// MarshalJSON writes the "apply_result" document, arrays never null.
func (r *Result) MarshalJSON() ([]byte, error) {
	t := r.Total()
	doc := resultDocument{FormatVersion: FormatVersion, Type: "apply_result", Interrupted: r.Interrupted, ApplyID: r.ApplyID,
		Tasks:          make([]TaskResult, len(r.Tasks)),
		Summary:        resultSummary{Changed: t.Changed, Runs: t.Runs, Unchanged: t.Unchanged, Failed: t.Failed, Unknown: t.Unknown, Skipped: t.Skipped},
		InflightLimits: r.InflightLimits}
	for i, t := range r.Tasks {
		t.Errors, t.Changes = nonNil(t.Errors), nonNil(t.Changes)
		doc.Tasks[i] = t
	}
	return json.Marshal(doc)
}

// Audit results. An apply writes an AuditIntent record (fsynced) before each change and
// an AuditOK, AuditError or AuditUnknown record with the same ApplyID and Seq after it.
const (
	AuditIntent  = "intent"  // the change is about to be made
	AuditOK      = "ok"      // the change was made
	AuditError   = "error"   // the change failed (Error says why)
	AuditUnknown = "unknown" // the process stopped or was interrupted with the change in flight
)

// AuditFormatVersion is the format version of audit records: "2" since intent records
// exist (version 1 had one record per change, written after it).
const AuditFormatVersion = "2"

// AuditRecord is one line of the audit log: an intent to make a change, or how a change
// ended, with the change as planned, where and when.
type AuditRecord struct {
	FormatVersion string    `json:"format_version"`
	Time          time.Time `json:"time"`
	// ApplyID names the apply; Seq numbers its changes from 1, and an outcome record
	// carries the Seq of its intent.
	ApplyID string `json:"apply_id,omitempty"`
	Seq     int    `json:"seq,omitempty"`
	Job     string `json:"job"`
	Task    string `json:"task"`
	Change
	Result string `json:"result"`
	Error  string `json:"error,omitempty"`
	// RequestedBy and ApprovedBy are the people who asked for and approved a chat apply;
	// absent for other applies.
	RequestedBy *Actor `json:"requested_by,omitempty"`
	ApprovedBy  *Actor `json:"approved_by,omitempty"`
}

// Actor is a person acting through chat: a Slack user's ID and name.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// String is "name (ID)".
func (a Actor) String() string { return a.Name + " (" + a.ID + ")" }

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
