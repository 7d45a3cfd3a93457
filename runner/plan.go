package runner

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// PlanFormatVersion is the version of the Plan value's JSON form (the plan file).
const PlanFormatVersion = 1

// Plan is what a plan run found: per job and task, the changes to make. It is plain data,
// JSON-serialisable and free of secrets; Apply consumes it.
type Plan struct {
	FormatVersion int       `json:"format_version"`
	CreatedAt     time.Time `json:"created_at"`
	// ConfigHash is the Config.Hash the plan was made from.
	ConfigHash string    `json:"config_hash"`
	Jobs       []JobPlan `json:"jobs"`
}

// JobPlan is the plan of one job, its tasks in file order.
type JobPlan struct {
	Name       string          `json:"name"`
	MaxChanges int             `json:"max_changes,omitempty"`
	FailFast   bool            `json:"fail_fast,omitempty"`
	Tasks      []TaskPlanEntry `json:"tasks"`
}

// TaskPlanEntry is the plan of one task. Error is set when the task could not plan at all.
type TaskPlanEntry struct {
	Job        string   `json:"job"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	MaxChanges int      `json:"max_changes,omitempty"`
	Plan       TaskPlan `json:"plan"`
	Error      string   `json:"error,omitempty"`
}

// Changes counts the plan's state changes: differences between live state and the
// configuration. Runs (reports) are not among them; see Runs.
func (p *Plan) Changes() int {
	n := 0
	for _, j := range p.Jobs {
		n += j.Changes()
	}
	return n
}

// Runs counts the plan's AlwaysApply changes: work such as a report that is done every time
// it is applied and is not drift, so it neither makes a plan "have changes" nor counts
// against max_changes.
func (p *Plan) Runs() int {
	n := 0
	for _, j := range p.Jobs {
		for _, t := range j.Tasks {
			n += t.Runs()
		}
	}
	return n
}

// Pending counts everything an apply of the plan would do: changes and runs.
func (p *Plan) Pending() int { return p.Changes() + p.Runs() }

// Unchanged counts the targets the plan found already right.
func (p *Plan) Unchanged() int {
	n := 0
	for _, j := range p.Jobs {
		for _, t := range j.Tasks {
			n += len(t.Plan.Unchanged)
		}
	}
	return n
}

// Failures counts the targets that could not be read plus the tasks that could not plan.
func (p *Plan) Failures() int {
	n := 0
	for _, j := range p.Jobs {
		for _, t := range j.Tasks {
			n += t.Failures()
		}
	}
	return n
}

// Changes counts the job's state changes (runs excluded).
func (j *JobPlan) Changes() int {
	n := 0
	for _, t := range j.Tasks {
		n += t.Changes()
	}
	return n
}

// Changes counts the task's state changes (runs excluded).
func (t *TaskPlanEntry) Changes() int { return len(t.Plan.Changes) - t.Runs() }

// Runs counts the task's AlwaysApply changes.
func (t *TaskPlanEntry) Runs() int {
	n := 0
	for _, c := range t.Plan.Changes {
		if c.AlwaysApply {
			n++
		}
	}
	return n
}

// Failures counts the task's unreadable targets, or 1 when the task could not plan.
func (t *TaskPlanEntry) Failures() int {
	if t.Error != "" {
		return 1
	}
	return len(t.Plan.Failed)
}

// Plan reads the current state of every selected task's targets and returns the changes
// that would make them match the configuration. It writes nothing: tasks only get the
// read side of the Env, and Apply is a separate path. Jobs and tasks are planned in file
// order; a task that cannot plan gets an Error and the others go on. Plan returns an
// error only for a bad selection or a cancelled context.
func (e *Engine) Plan(ctx context.Context, sel Selection) (*Plan, error) {
	jobs, tasks, err := e.selected(sel)
	if err != nil {
		return nil, err
	}
	env := e.newEnv()
	defer env.close(ctx)
	p := &Plan{FormatVersion: PlanFormatVersion, CreatedAt: e.now().UTC(), ConfigHash: e.Config.Hash}
	for _, j := range jobs {
		jp := JobPlan{Name: j.Name, MaxChanges: j.MaxChanges, FailFast: j.FailFast, Tasks: []TaskPlanEntry{}}
		for _, tb := range tasks[j] {
			entry := TaskPlanEntry{Job: j.Name, Name: tb.Name, Kind: tb.Kind, MaxChanges: tb.MaxChanges}
			tp, err := planTask(ctx, env.forTask(j.Name, tb.Name), tb)
			if err != nil {
				entry.Error = err.Error()
				env.Log.Warn().Str("job", j.Name).Str("task", tb.Name).Err(err).Msg("task could not plan")
			} else {
				entry.Plan = *tp
			}
			if entry.Plan.Changes == nil {
				entry.Plan.Changes = []Change{}
			}
			jp.Tasks = append(jp.Tasks, entry)
		}
		p.Jobs = append(p.Jobs, jp)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("plan cancelled: %w", err)
		}
	}
	if p.Jobs == nil {
		p.Jobs = []JobPlan{}
	}
	return p, nil
}

// planTask runs one task's Plan, turning a panic into an error so one broken task kind
// cannot take the run down.
func planTask(ctx context.Context, env *Env, tb *TaskBlock) (tp *TaskPlan, err error) {
	defer func() {
		if r := recover(); r != nil {
			env.Log.Error().Bytes("stack", debug.Stack()).Msg("task plan panicked")
			tp, err = nil, fmt.Errorf("task %s panicked: %v", tb.Name, r)
		}
	}()
	tp, err = tb.Task.Plan(ctx, env)
	if err == nil && tp == nil {
		tp = &TaskPlan{}
	}
	return tp, err
}
