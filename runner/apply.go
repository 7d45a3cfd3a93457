package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// ApplyOptions change how Apply treats its plan.
type ApplyOptions struct {
	// FromFile says the plan was read from a plan file: Apply refuses it when the
	// configuration changed, and re-plans each task to skip the changes already made and
	// refuse the stale ones.
	FromFile bool
}

// Result is what an Apply did, per task in plan order.
type Result struct {
	Tasks []TaskResult `json:"tasks"`
}

// TaskResult counts one task's changes: made (runs such as reports included), already
// right, failed (changes and unreadable targets), and skipped (not tried after a fail_fast
// stop, a stale refusal or cancellation). Ran counts the runs among Changed: AlwaysApply
// changes, which are not state changes (see Plan.Runs).
type TaskResult struct {
	Job       string    `json:"job"`
	Task      string    `json:"task"`
	Kind      string    `json:"kind"`
	Changed   int       `json:"changed"`
	Ran       int       `json:"ran,omitempty"`
	Unchanged int       `json:"unchanged"`
	Failed    int       `json:"failed"`
	Skipped   int       `json:"skipped"`
	Errors    []Failure `json:"errors,omitempty"`
}

// StateChanges counts the changes made that are state changes: Changed without the runs.
func (t *TaskResult) StateChanges() int { return t.Changed - t.Ran }

// Total adds up the counts of every task (Changed, Ran, Unchanged, Failed, Skipped), as
// the summaries of the CLI and the daemon show them.
func (r *Result) Total() TaskResult {
	var total TaskResult
	for _, t := range r.Tasks {
		total.Changed += t.Changed
		total.Ran += t.Ran
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

// Apply makes the changes of p. Changes within a task run concurrently (Parallelism); a
// failed change does not stop the others unless its job is fail_fast, which stops the job
// at its first failure (later changes are Skipped). A plan breaking a job's or task's
// max_changes is refused as a whole before anything is written. Apply returns an error
// when it refuses the plan or the audit log cannot be written; failed changes are in the
// Result.
func (e *Engine) Apply(ctx context.Context, p *Plan, opts ApplyOptions) (*Result, error) {
	if opts.FromFile {
		if p.FormatVersion != PlanFormatVersion {
			return nil, fmt.Errorf("plan format version %d, this build applies version %d", p.FormatVersion, PlanFormatVersion)
		}
		if p.ConfigHash != e.Config.Hash {
			return nil, fmt.Errorf("the plan was made from another configuration (hash %s, now %s): run plan again", short(p.ConfigHash), short(e.Config.Hash))
		}
	}
	if err := checkMaxChanges(p); err != nil {
		return nil, err
	}
	blocks, err := e.taskBlocks(p)
	if err != nil {
		return nil, err
	}
	res := &Result{Tasks: []TaskResult{}}
	var audit *auditLog
	if p.Pending() > 0 {
		if audit, err = openAudit(e.stateDir()); err != nil {
			return nil, err
		}
		defer audit.close()
	}
	env := e.newEnv()
	defer env.close(ctx)
	run := &applyRun{eng: e, audit: audit, opts: opts}
	for _, jp := range p.Jobs {
		var stopped atomic.Bool
		for _, entry := range jp.Tasks {
			tr := run.task(ctx, env.forTask(jp.Name, entry.Name), jp, entry, blocks[jp.Name+"."+entry.Name], &stopped)
			res.Tasks = append(res.Tasks, tr)
		}
	}
	if err := run.auditErr(); err != nil {
		return res, err
	}
	return res, nil
}

// checkMaxChanges refuses a plan with more changes than a job's or task's max_changes.
func checkMaxChanges(p *Plan) error {
	for _, jp := range p.Jobs {
		if n := jp.Changes(); jp.MaxChanges > 0 && n > jp.MaxChanges {
			return fmt.Errorf("job %s: the plan has %d changes, more than its max_changes = %d: nothing applied", jp.Name, n, jp.MaxChanges)
		}
		for _, t := range jp.Tasks {
			if n := t.Changes(); t.MaxChanges > 0 && n > t.MaxChanges {
				return fmt.Errorf("task %s.%s: the plan has %d changes, more than its max_changes = %d: nothing applied", jp.Name, t.Name, n, t.MaxChanges)
			}
		}
	}
	return nil
}

// taskBlocks finds the configured task of every plan entry, keyed "job.task".
func (e *Engine) taskBlocks(p *Plan) (map[string]*TaskBlock, error) {
	cfg := map[string]*TaskBlock{}
	for _, j := range e.Config.Jobs {
		for _, tb := range j.Tasks {
			cfg[j.Name+"."+tb.Name] = tb
		}
	}
	out := map[string]*TaskBlock{}
	for _, jp := range p.Jobs {
		for _, t := range jp.Tasks {
			tb, ok := cfg[jp.Name+"."+t.Name]
			if !ok || tb.Kind != t.Kind {
				return nil, fmt.Errorf("the plan's task %s.%s (%s) is not in the configuration", jp.Name, t.Name, t.Kind)
			}
			out[jp.Name+"."+t.Name] = tb
		}
	}
	return out, nil
}

// applyRun is the state of one Apply shared by its tasks.
type applyRun struct {
	eng   *Engine
	audit *auditLog
	opts  ApplyOptions

	mu       sync.Mutex
	auditBad error // first audit write failure: nothing more is applied after it
}

func (r *applyRun) auditErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.auditBad
}

// task applies one task's changes. stopped is its job's fail_fast flag.
func (r *applyRun) task(ctx context.Context, env *Env, jp JobPlan, entry TaskPlanEntry, tb *TaskBlock, stopped *atomic.Bool) TaskResult {
	tr := TaskResult{Job: jp.Name, Task: entry.Name, Kind: entry.Kind, Errors: []Failure{}}
	tr.Unchanged = len(entry.Plan.Unchanged)
	changes := entry.Plan.Changes
	if entry.Error != "" {
		tr.Failed++
		tr.Errors = append(tr.Errors, Failure{Error: "plan: " + entry.Error})
	}
	for _, f := range entry.Plan.Failed {
		tr.Failed++
		tr.Errors = append(tr.Errors, f)
	}
	if tr.Failed > 0 && jp.FailFast {
		stopped.Store(true)
	}
	if stopped.Load() || r.auditErr() != nil {
		tr.Skipped += len(changes)
		return tr
	}
	if r.opts.FromFile && len(changes) > 0 {
		var ok bool
		if changes, ok = r.staleCheck(ctx, env, entry, tb, &tr); !ok {
			if jp.FailFast {
				stopped.Store(true)
			}
			return tr
		}
	}
	var mu sync.Mutex
	env.ForEach(ctx, len(changes), func(ctx context.Context, i int) {
		ch := changes[i]
		if stopped.Load() || ctx.Err() != nil || r.auditErr() != nil {
			mu.Lock()
			tr.Skipped++
			mu.Unlock()
			return
		}
		err := applyChange(ctx, env, tb, ch)
		rec := AuditRecord{Time: r.eng.now().UTC(), Job: jp.Name, Task: entry.Name, Server: ch.Server, Object: ch.Object,
			ID: ch.ID, Action: ch.Action, Before: ch.Before, After: ch.After, Result: AuditOK}
		if err != nil {
			rec.Result, rec.Error = AuditError, err.Error()
		}
		if aerr := r.audit.write(rec); aerr != nil {
			r.mu.Lock()
			if r.auditBad == nil {
				r.auditBad = aerr
			}
			r.mu.Unlock()
			if err == nil {
				err = fmt.Errorf("applied, but %w", aerr)
			}
		} else if r.eng.OnChange != nil {
			r.eng.OnChange(rec)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			tr.Failed++
			tr.Errors = append(tr.Errors, Failure{Server: ch.Server, Object: ch.Object, Error: err.Error()})
			env.Log.Error().Str("server", ch.Server).Str("object", ch.Object).Err(err).Msg("change failed")
			if jp.FailFast {
				stopped.Store(true)
			}
			return
		}
		tr.Changed++
		if ch.AlwaysApply {
			tr.Ran++
		}
		env.Log.Debug().Str("server", ch.Server).Str("object", ch.Object).Str("action", string(ch.Action)).Msg(ch.Summary)
	})
	return tr
}

// applyChange runs one task's Apply, turning a panic into an error.
func applyChange(ctx context.Context, env *Env, tb *TaskBlock, ch Change) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			env.Log.Error().Bytes("stack", debug.Stack()).Msg("task apply panicked")
			err = fmt.Errorf("task %s panicked: %v", tb.Name, rec)
		}
	}()
	return tb.Task.Apply(ctx, env, ch)
}

// staleCheck re-plans a task of a saved plan and returns the saved changes still to make:
// a change whose ID the fresh plan lacks is already made (counted unchanged), one whose
// Before differs from the fresh plan's is stale. Any stale change refuses the whole task
// (ok false, nothing of it written, the stale ones failed and the others skipped).
func (r *applyRun) staleCheck(ctx context.Context, env *Env, entry TaskPlanEntry, tb *TaskBlock, tr *TaskResult) ([]Change, bool) {
	saved := entry.Plan.Changes
	fresh, err := planTask(ctx, env, tb)
	if err != nil {
		tr.Failed++
		tr.Errors = append(tr.Errors, Failure{Error: fmt.Sprintf("re-plan to check the saved plan: %v", err)})
		tr.Skipped += len(saved)
		return nil, false
	}
	now := map[string]Change{}
	for _, c := range fresh.Changes {
		now[c.ID] = c
	}
	unreadable := map[string]string{}
	for _, f := range fresh.Failed {
		unreadable[f.Server] = f.Error
	}
	var todo []Change
	var stale, lost []Failure
	for _, c := range saved {
		cur, present := now[c.ID]
		switch {
		case c.AlwaysApply:
			todo = append(todo, c)
		case !present && unreadable[c.Server] != "":
			lost = append(lost, Failure{Server: c.Server, Object: c.Object, Error: "cannot check the saved change: " + unreadable[c.Server]})
		case !present:
			tr.Unchanged++
		case !sameJSON(cur.Before, c.Before):
			stale = append(stale, Failure{Server: c.Server, Object: c.Object,
				Error: fmt.Sprintf("stale: changed since the plan was made (planned from %s, now %s)", compactJSON(c.Before), compactJSON(cur.Before))})
		default:
			todo = append(todo, c)
		}
	}
	if len(stale) > 0 {
		tr.Failed += len(stale) + len(lost)
		tr.Errors = append(tr.Errors, stale...)
		tr.Errors = append(tr.Errors, lost...)
		tr.Skipped += len(todo)
		env.Log.Error().Int("stale", len(stale)).Msg("saved plan is stale for this task: nothing of it applied; run plan again")
		return nil, false
	}
	tr.Failed += len(lost)
	tr.Errors = append(tr.Errors, lost...)
	return todo, true
}

// sameJSON compares two JSON values by meaning (key order and spacing aside).
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	ca, errA := json.Marshal(va)
	cb, errB := json.Marshal(vb)
	return errors.Join(errA, errB) == nil && bytes.Equal(ca, cb)
}

func compactJSON(m json.RawMessage) string {
	if len(m) == 0 {
		return "nothing"
	}
	var b bytes.Buffer
	if json.Compact(&b, m) != nil {
		return string(m)
	}
	return b.String()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
