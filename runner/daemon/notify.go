package daemon

import (
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner/notify"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// runOutcome collects what a run did for its notifications.
type runOutcome struct {
	plan   *plan.Plan
	result *plan.Result
	drift  []plan.DriftChange // pending changes of a plan-mode run

	mu   sync.Mutex
	made []plan.AuditRecord // outcome records of the state changes made
}

// applied records a change made (the engine's OnChange, from several goroutines).
func (o *runOutcome) applied(a plan.AuditRecord) {
	if a.AlwaysApply {
		return // a report written is not a change
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.made = append(o.made, a)
}

// report is the notifier's view of the finished run rec: its failures when it failed,
// its drift when a plan-mode run read every target, the changes it made.
func (o *runOutcome) report(rec plan.RunRecord) notify.Run {
	o.mu.Lock()
	defer o.mu.Unlock()
	run := notify.Run{Record: rec, Applied: o.made}
	if (rec.Result == plan.ResultSuccess || rec.Result == plan.ResultDrift) && o.drift != nil {
		run.Drift = o.drift
	}
	if rec.Result == plan.ResultFailed || rec.Result == plan.ResultError {
		run.Failures = o.failures()
		if len(run.Failures) == 0 {
			run.Failures = []notify.Failure{{Failure: plan.Failure{Error: rec.Error}}}
		}
	}
	return run
}

// failures lists the failed targets and changes: the apply's when it ran, else the plan's.
func (o *runOutcome) failures() []notify.Failure {
	var out []notify.Failure
	if o.result != nil {
		for _, t := range o.result.Tasks {
			for _, f := range t.Errors {
				out = append(out, notify.Failure{Task: t.Task, Failure: f})
			}
		}
		return out
	}
	if o.plan == nil {
		return nil
	}
	for _, jp := range o.plan.Jobs {
		for _, t := range jp.Tasks {
			if t.Error != "" {
				out = append(out, notify.Failure{Task: t.Name, Failure: plan.Failure{Error: "plan: " + t.Error}})
			}
			for _, f := range t.Failed {
				out = append(out, notify.Failure{Task: t.Name, Failure: f})
			}
		}
	}
	return out
}
