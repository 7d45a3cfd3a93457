package engine

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Plan reads the current state of every selected task's targets and returns the changes
// that would make them match the configuration. It writes nothing: tasks get a
// runner.PlanEnv, whose clients are read-only, and Apply is a separate path. Jobs and
// tasks are planned in file order; a task that cannot plan gets an Error and the others go
// on. Plan returns an error only for a bad selection or a cancelled context. It is a Run
// of its own: to apply the plan with the same clients, Open a Run and use its Plan.
func (e *Engine) Plan(ctx context.Context, sel Selection) (*plan.Plan, error) {
	r := e.Open()
	defer r.Close(ctx)
	return r.Plan(ctx, sel)
}

// plan is Plan with the clients of a Run.
func (e *Engine) plan(ctx context.Context, clients *runner.Clients, sel Selection) (*plan.Plan, error) {
	jobs, tasks, err := e.selected(sel)
	if err != nil {
		return nil, err
	}
	p := &plan.Plan{CreatedAt: e.now().UTC(), Jobs: []plan.JobPlan{}}
	for _, j := range jobs {
		jp := plan.JobPlan{Name: j.Name, MaxChanges: j.MaxChanges, FailFast: j.FailFast, AllowPartial: j.AllowPartial, Tasks: []plan.TaskEntry{}}
		for _, tb := range tasks[j] {
			entry := plan.TaskEntry{Name: tb.Name, Kind: tb.Kind, MaxChanges: tb.MaxChanges}
			env := e.planEnv(clients, j.Name, tb.Name)
			tp, err := planTask(ctx, env, e.Config.Task(tb), tb)
			if err != nil {
				entry.Error = err.Error()
				env.Log.Warn().Err(err).Msg("task could not plan")
			} else {
				entry.TaskPlan = *tp
			}
			jp.Tasks = append(jp.Tasks, entry)
		}
		p.Jobs = append(p.Jobs, jp)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("plan cancelled: %w", err)
		}
	}
	p.ConfigHash = e.Config.PlanHash(p.JobNames())
	recorded, err := e.recordedClaims(p)
	if err != nil {
		// The plan's own tasks are still checked against each other.
		e.Log.Warn().Err(err).Msg("cannot read the claims of earlier runs: conflicts with tasks not in this plan go unseen")
	}
	findConflicts(p, taskPositions(e.Config.Config), recorded)
	p.Warnings = e.planWarnings(p)
	return p, nil
}

// planTask runs one task's Plan, turning a panic into an error so one broken task kind
// cannot take the run down.
func planTask(ctx context.Context, env *runner.PlanEnv, task runner.Task, tb *config.TaskBlock) (tp *plan.TaskPlan, err error) {
	defer func() {
		if r := recover(); r != nil {
			env.Log.Error().Bytes("stack", debug.Stack()).Msg("task plan panicked")
			tp, err = nil, fmt.Errorf("task %s panicked: %v", tb.Name, r)
		}
	}()
	tp, err = task.Plan(ctx, env)
	if err == nil && tp == nil {
		tp = &plan.TaskPlan{}
	}
	return tp, err
}
