package engine

import (
	"errors"
	"fmt"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// checkMaxChanges refuses a plan affecting more objects than a job's or task's max_changes.
func checkMaxChanges(p *plan.Plan) error {
	for _, jp := range p.Jobs {
		if n := jp.Objects(); jp.MaxChanges > 0 && n > jp.MaxChanges {
			return fmt.Errorf("job %s: the plan affects %d objects, more than its max_changes = %d: nothing applied", jp.Name, n, jp.MaxChanges)
		}
		for _, t := range jp.Tasks {
			if n := t.Objects(); t.MaxChanges > 0 && n > t.MaxChanges {
				return fmt.Errorf("task %s.%s: the plan affects %d objects, more than its max_changes = %d: nothing applied", jp.Name, t.Name, n, t.MaxChanges)
			}
		}
	}
	return nil
}

// ErrPartialPlan is wrapped by Apply's refusal of a plan some of whose targets failed, were
// refused or are in conflict.
var ErrPartialPlan = errors.New("nothing applied")

// Applicable returns why Apply would refuse p before making any change without
// AllowPartial (max_changes broken; failed, refused or conflicting targets), or nil.
func Applicable(p *plan.Plan) error {
	if err := checkMaxChanges(p); err != nil {
		return err
	}
	return checkNoFailures(p, false)
}

// checkNoFailures refuses a plan with failed, refused or conflicting targets, unless
// partial applies are allowed (for the whole apply, or by each job with failures).
func checkNoFailures(p *plan.Plan, allowPartial bool) error {
	if allowPartial {
		return nil
	}
	for _, jp := range p.Jobs {
		if n := jp.Failures(); n > 0 && !jp.AllowPartial {
			return fmt.Errorf("job %s: %d target(s) of the plan failed, were refused or are in conflict: %w "+
				"(a plan that could not read or was refused part of its targets is most likely wrong; fix it, "+
				"or apply what could be planned with -allow-partial, or allow_partial = true on the job)", jp.Name, n, ErrPartialPlan)
		}
	}
	return nil
}
