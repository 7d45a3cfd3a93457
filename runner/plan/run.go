package plan

import "time"

// Run results recorded in the history.
const (
	ResultSuccess   = "success"   // the run finished with nothing failed (and, in plan mode, no drift)
	ResultFailed    = "failed"    // some targets or changes failed; the others went on
	ResultDrift     = "drift"     // plan mode found pending changes
	ResultError     = "error"     // the run could not plan or apply at all (or panicked)
	ResultCancelled = "cancelled" // the shutdown grace period ended during the run
)

// RunRecord is one daemon run of one job, as a line of history.jsonl stores it. Lines
// written before format_version existed have none.
type RunRecord struct {
	FormatVersion string    `json:"format_version,omitempty"`
	ID            string    `json:"id"`
	Job           string    `json:"job"`
	Trigger       string    `json:"trigger"`
	Scheduled     time.Time `json:"scheduled,omitzero"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	Result        string    `json:"result"`
	// Changed counts state changes made; Ran the tasks that act without changing state
	// (reports), as the apply result counts them.
	Changed   int `json:"changed"`
	Ran       int `json:"ran,omitempty"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	// Pending counts the changes a plan-mode run found and did not make.
	Pending int    `json:"pending"`
	Error   string `json:"error,omitempty"`
}

// Duration is how long the run took.
func (r RunRecord) Duration() time.Duration { return r.End.Sub(r.Start) }
