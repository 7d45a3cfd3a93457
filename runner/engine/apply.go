package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// ApplyOptions change how Apply treats its plan.
type ApplyOptions struct {
	// FromFile says the plan was read from a plan file: Apply refuses it when the
	// configuration changed, and re-plans each task to skip the changes already made and
	// refuse the stale ones.
	FromFile bool
	// AllowPartial applies a plan some of whose targets failed, were refused or are in
	// conflict: what could be planned is applied, the rest is not. Without it such a plan
	// is refused as a whole, unless every job with failures allows partial applies itself
	// (allow_partial = true).
	AllowPartial bool
}

// Apply makes the changes of p. Changes within a task run concurrently (Parallelism); a
// failed change does not stop the others unless its job is fail_fast, which stops the job
// at its first failure (later changes are Skipped). A plan breaking a job's or task's
// max_changes is refused as a whole before anything is written. Apply returns an error
// when it refuses the plan or the audit log cannot be written; failed changes are in the
// Result.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan, opts ApplyOptions) (*plan.Result, error) {
	if opts.FromFile {
		if hash := e.Config.PlanHash(p.JobNames()); p.ConfigHash != hash {
			return nil, fmt.Errorf("the plan was made from another configuration (hash %s, now %s): run plan again", short(p.ConfigHash), short(hash))
		}
	}
	if !opts.FromFile {
		// Recorded even when the plan is refused below: later runs of other tasks must see
		// what these wanted.
		e.recordClaims(ctx, p)
	}
	if err := checkMaxChanges(p); err != nil {
		return nil, err
	}
	if err := checkNoFailures(p, opts.AllowPartial); err != nil {
		return nil, err
	}
	blocks, err := e.taskBlocks(p)
	if err != nil {
		return nil, err
	}
	res := &plan.Result{Tasks: []plan.TaskResult{}}
	var audit *auditLog
	if p.Pending() > 0 {
		if audit, err = openAudit(e.stateDir()); err != nil {
			return nil, err
		}
		defer audit.close()
	}
	clients := e.newClients()
	defer clients.Close(ctx)
	run := &applyRun{eng: e, audit: audit, opts: opts, clients: clients}
	for _, jp := range p.Jobs {
		var stopped atomic.Bool
		for _, entry := range jp.Tasks {
			tr := run.task(ctx, jp, entry, blocks[jp.Name+"."+entry.Name], &stopped)
			res.Tasks = append(res.Tasks, tr)
		}
	}
	if err := run.auditErr(); err != nil {
		return res, err
	}
	if opts.FromFile {
		e.recordClaims(ctx, run.claimed(p))
	}
	return res, nil
}

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

// checkNoFailures refuses a plan with failed, refused or conflicting targets, unless
// partial applies are allowed (for the whole apply, or by each job with failures).
func checkNoFailures(p *plan.Plan, allowPartial bool) error {
	if allowPartial {
		return nil
	}
	for _, jp := range p.Jobs {
		n := 0
		for _, t := range jp.Tasks {
			n += t.Failures()
		}
		if n > 0 && !jp.AllowPartial {
			return fmt.Errorf("job %s: %d target(s) of the plan failed, were refused or are in conflict: %w "+
				"(a plan that could not read or was refused part of its targets is most likely wrong; fix it, "+
				"or apply what could be planned with -allow-partial, or allow_partial = true on the job)", jp.Name, n, ErrPartialPlan)
		}
	}
	return nil
}

// taskBlocks finds the configured task of every plan entry, keyed "job.task".
func (e *Engine) taskBlocks(p *plan.Plan) (map[string]*config.TaskBlock, error) {
	cfg := map[string]*config.TaskBlock{}
	for _, j := range e.Config.Jobs {
		for _, tb := range j.Tasks {
			cfg[j.Name+"."+tb.Name] = tb
		}
	}
	out := map[string]*config.TaskBlock{}
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
	eng     *Engine
	audit   *auditLog
	opts    ApplyOptions
	clients *runner.Clients

	mu       sync.Mutex
	auditBad error // first audit write failure: nothing more is applied after it
	// fresh holds the claims of the tasks re-planned to check a saved plan, by "job.task".
	fresh map[string]map[string]string
}

// claimed returns the saved plan p with each task's claims (a plan file holds none) from
// the re-plan that checked it.
func (r *applyRun) claimed(p *plan.Plan) *plan.Plan {
	out := *p
	out.Jobs = make([]plan.JobPlan, len(p.Jobs))
	for i, jp := range p.Jobs {
		jp.Tasks = append([]plan.TaskEntry(nil), jp.Tasks...)
		for k := range jp.Tasks {
			jp.Tasks[k].Claims = r.fresh[jp.Name+"."+jp.Tasks[k].Name]
		}
		out.Jobs[i] = jp
	}
	return &out
}

func (r *applyRun) auditErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.auditBad
}

// task applies one task's changes. stopped is its job's fail_fast flag.
func (r *applyRun) task(ctx context.Context, jp plan.JobPlan, entry plan.TaskEntry, tb *config.TaskBlock, stopped *atomic.Bool) plan.TaskResult {
	tr := plan.TaskResult{Job: jp.Name, Task: entry.Name, Kind: entry.Kind, Errors: []plan.Failure{}}
	tr.Unchanged = len(entry.Unchanged)
	changes := entry.Changes
	task := r.eng.Config.Task(tb)
	log := r.eng.taskLog(jp.Name, entry.Name)
	env := runner.NewApplyEnv(r.clients, log, r.eng.parallelism(), r.eng.now)
	if entry.Error != "" {
		tr.Failed++
		tr.Errors = append(tr.Errors, plan.Failure{Error: "plan: " + entry.Error})
	}
	for _, f := range entry.Failed {
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
		penv := runner.NewPlanEnv(r.clients, log, r.eng.parallelism(), r.eng.now)
		if changes, ok = r.staleCheck(ctx, penv, entry, task, tb, &tr); !ok {
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
		err := r.applyAudited(ctx, env, task, tb, jp.Name, ch)
		mu.Lock()
		defer mu.Unlock()
		count(&tr, env, ch, err)
		if err != nil && jp.FailFast {
			stopped.Store(true)
		}
	})
	return tr
}

// applyAudited applies one change and appends its audit record; the change fails when its
// record cannot be written, and nothing more is applied after that.
func (r *applyRun) applyAudited(ctx context.Context, env *runner.ApplyEnv, task runner.Task, tb *config.TaskBlock, job string, ch plan.Change) error {
	err := applyChange(ctx, env, task, tb, ch)
	rec := plan.AuditRecord{FormatVersion: plan.FormatVersion, Time: r.eng.now().UTC(), Job: job, Task: tb.Name,
		Change: ch, Result: plan.AuditOK}
	if err != nil {
		rec.Result, rec.Error = plan.AuditError, err.Error()
	}
	aerr := r.audit.write(rec)
	if aerr == nil {
		if r.eng.OnChange != nil {
			r.eng.OnChange(rec)
		}
		return err
	}
	r.mu.Lock()
	if r.auditBad == nil {
		r.auditBad = aerr
	}
	r.mu.Unlock()
	if err == nil {
		err = fmt.Errorf("applied, but %w", aerr)
	}
	return err
}

// count adds one tried change to the task's result.
func count(tr *plan.TaskResult, env *runner.ApplyEnv, ch plan.Change, err error) {
	switch {
	case err != nil:
		tr.Failed++
		tr.Errors = append(tr.Errors, plan.Failure{Server: ch.Server, Object: ch.Object, Error: err.Error()})
		env.Log.Error().Str("server", ch.Server).Str("object", ch.Object).Err(err).Msg("change failed")
		return
	case ch.AlwaysApply:
		tr.Runs++
	default:
		tr.Changed++
	}
	env.Log.Debug().Str("server", ch.Server).Str("object", ch.Object).Str("action", string(ch.Action)).Msg(ch.Summary)
}

// applyChange runs one task's Apply, turning a panic into an error.
func applyChange(ctx context.Context, env *runner.ApplyEnv, task runner.Task, tb *config.TaskBlock, ch plan.Change) (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			env.Log.Error().Bytes("stack", debug.Stack()).Msg("task apply panicked")
			err = fmt.Errorf("task %s panicked: %v", tb.Name, rec)
		}
	}()
	return task.Apply(ctx, env, ch)
}

// staleCheck re-plans a task of a saved plan and returns the saved changes still to make:
// a change whose ID the fresh plan lacks is already made (counted unchanged), one whose
// Before differs from the fresh plan's is stale. Any stale change refuses the whole task
// (ok false, nothing of it written, the stale ones failed and the others skipped).
func (r *applyRun) staleCheck(ctx context.Context, env *runner.PlanEnv, entry plan.TaskEntry, task runner.Task, tb *config.TaskBlock, tr *plan.TaskResult) ([]plan.Change, bool) {
	saved := entry.Changes
	fresh, err := planTask(ctx, env, task, tb)
	if err != nil {
		tr.Failed++
		tr.Errors = append(tr.Errors, plan.Failure{Error: fmt.Sprintf("re-plan to check the saved plan: %v", err)})
		tr.Skipped += len(saved)
		return nil, false
	}
	r.mu.Lock()
	if r.fresh == nil {
		r.fresh = map[string]map[string]string{}
	}
	r.fresh[tr.Job+"."+tr.Task] = fresh.Claims
	r.mu.Unlock()
	now := map[string]plan.Change{}
	for _, c := range fresh.Changes {
		now[c.ID] = c
	}
	unreadable := map[string]string{}
	for _, f := range fresh.Failed {
		unreadable[f.Server] = f.Error
	}
	var todo []plan.Change
	var stale, lost []plan.Failure
	for _, c := range saved {
		cur, present := now[c.ID]
		switch {
		case c.AlwaysApply:
			todo = append(todo, c)
		case !present && unreadable[c.Server] != "":
			lost = append(lost, plan.Failure{Server: c.Server, Object: c.Object, Error: "cannot check the saved change: " + unreadable[c.Server]})
		case !present:
			tr.Unchanged++
		case !sameJSON(cur.Before, c.Before):
			stale = append(stale, plan.Failure{Server: c.Server, Object: c.Object,
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
