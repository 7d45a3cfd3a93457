package plan

// Outcomes of a change in an apply result. Applied, failed and unknown match the audit
// record's ok, error and unknown; unchanged, stale and skipped changes have no audit
// record (they were not tried).
const (
	OutcomeApplied   = "applied"   // made (audit "ok")
	OutcomeFailed    = "failed"    // tried and failed (audit "error"), or could not be checked
	OutcomeUnknown   = "unknown"   // in flight when the apply was interrupted (audit "unknown")
	OutcomeUnchanged = "unchanged" // a saved change found already made
	OutcomeStale     = "stale"     // a saved change whose target changed since the plan
	OutcomeSkipped   = "skipped"   // not started: fail_fast, an interrupt, a stale task
)

// ChangeOutcome is what an apply did with one planned change: the change (without its
// before and after, which the plan holds) and its outcome. Seq, with the result's
// ApplyID, names the change's audit records when it was tried.
type ChangeOutcome struct {
	Server      string `json:"server"`
	Object      string `json:"object"`
	ID          string `json:"id"`
	Action      Action `json:"action"`
	Summary     string `json:"summary"`
	AlwaysApply bool   `json:"always_apply"`
	Outcome     string `json:"outcome"`
	Error       string `json:"error,omitempty"`
	Seq         int    `json:"seq,omitempty"`
}

// NewChangeOutcome returns the outcome of c, as yet skipped.
func NewChangeOutcome(c *Change) ChangeOutcome {
	return ChangeOutcome{Server: c.Server, Object: c.Object, ID: c.ID, Action: c.Action, Summary: c.Summary,
		AlwaysApply: c.AlwaysApply, Outcome: OutcomeSkipped}
}

// AuditOutcome maps an audit record's result (AuditOK, AuditError, AuditUnknown) to the
// change outcome an apply result shows for it.
func AuditOutcome(result string) string {
	switch result {
	case AuditOK:
		return OutcomeApplied
	case AuditUnknown:
		return OutcomeUnknown
	}
	return OutcomeFailed
}
