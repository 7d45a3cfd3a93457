package engine

import "github.com/tintri-jobs/tintri-jobs/runner/plan"

// changeOutcomes are the outcomes of a task's planned changes, in plan order, each skipped
// until it is settled otherwise.
type changeOutcomes struct {
	list []plan.ChangeOutcome
	pos  map[string]int // by changeKey
}

func changeKey(c *plan.Change) string { return c.Server + "\x00" + c.ID }

func newChangeOutcomes(changes []plan.Change) *changeOutcomes {
	o := &changeOutcomes{list: make([]plan.ChangeOutcome, len(changes)), pos: make(map[string]int, len(changes))}
	for i := range changes {
		o.list[i] = plan.NewChangeOutcome(&changes[i])
		o.pos[changeKey(&changes[i])] = i
	}
	return o
}

// set records the outcome of c (a change of the task's plan) with its error, and the seq
// of its audit records when it was tried.
func (o *changeOutcomes) set(c *plan.Change, outcome string, seq int, err error) {
	i, ok := o.pos[changeKey(c)]
	if !ok {
		return
	}
	o.list[i].Outcome, o.list[i].Seq = outcome, seq
	if err != nil {
		o.list[i].Error = err.Error()
	}
}

// settle records what re-planning a saved task found of its changes before any is tried.
func (o *changeOutcomes) settle(st *savedTask) {
	for _, s := range st.settled {
		if i, ok := o.pos[changeKey(&s.change)]; ok {
			o.list[i].Outcome, o.list[i].Error = s.outcome, s.err
		}
	}
}

// settledChange is a saved change that re-planning found already made, stale, or not to
// be checked.
type settledChange struct {
	change  plan.Change
	outcome string
	err     string
}

// triedOutcome is the outcome of a change that was tried, from its audit result and
// error: a change made whose outcome record could not be written failed, as the counts
// have it.
func triedOutcome(result string, err error) string {
	if o := plan.AuditOutcome(result); o != plan.OutcomeApplied || err == nil {
		return o
	}
	return plan.OutcomeFailed
}
