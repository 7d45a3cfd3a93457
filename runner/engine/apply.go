package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
	// configuration changed or its signature does not match, re-plans every task, refuses
	// the file when a change in it is not one the configuration makes now, skips the
	// changes already made and refuses the tasks with stale ones.
	FromFile bool
	// AllowPartial applies a plan some of whose targets failed, were refused or are in
	// conflict: what could be planned is applied, the rest is not. Without it such a plan
	// is refused as a whole, unless every job with failures allows partial applies itself
	// (allow_partial = true).
	AllowPartial bool
	// Stop, when closed, asks the apply to stop: no further change starts (the rest are
	// skipped), and the changes in flight go on until they end or ctx does. Cancelling
	// ctx instead abandons the changes in flight, whose outcome is then unknown.
	Stop <-chan struct{}
	// RequestedBy and ApprovedBy, when set, name the people who asked for the apply and
	// approved it (in chat); every audit record of the apply carries them.
	RequestedBy, ApprovedBy *plan.Actor
}

// Apply makes the changes of p, holding the state directory's apply lock (see Lock).
// Changes within a task run concurrently (Parallelism); a failed change does not stop the
// others unless its job is fail_fast, which stops the job at its first failure (later
// changes are skipped). A plan breaking a job's or task's max_changes is refused as a
// whole before anything is written. Each change is preceded by an intent record in the
// audit log and followed by its outcome; a change whose intent cannot be written is not
// made, and nothing more is. Apply returns an error when it refuses the plan or the audit
// log fails; failed changes are in the Result. It is a Run of its own: to apply a plan
// with the clients that made it, use the Plan and Apply of one Run.
func (e *Engine) Apply(ctx context.Context, p *plan.Plan, opts ApplyOptions) (*plan.Result, error) {
	r := e.Open()
	defer r.Close(context.WithoutCancel(ctx))
	return r.Apply(ctx, p, opts)
}

// apply is Apply with the clients of a Run.
func (e *Engine) apply(ctx context.Context, clients *runner.Clients, p *plan.Plan, opts ApplyOptions) (*plan.Result, error) {
	if opts.FromFile {
		if hash := e.Config.PlanHash(p.JobNames()); p.ConfigHash != hash {
			return nil, fmt.Errorf("the plan was made from another configuration (hash %s, now %s): run plan again", short(p.ConfigHash), short(hash))
		}
		if err := e.checkSignature(p); err != nil {
			return nil, err
		}
	} else {
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
	run := &applyRun{eng: e, opts: opts, clients: clients}
	if p.Pending() > 0 {
		unlock, err := e.lockForApply(ctx)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if opts.FromFile {
			if run.saved, err = e.checkSaved(ctx, run.clients, p, blocks); err != nil {
				return nil, err
			}
		}
		if err := run.openAudit(); err != nil {
			return nil, err
		}
		defer run.audit.close()
	}
	res := &plan.Result{Tasks: []plan.TaskResult{}}
	for _, jp := range p.Jobs {
		var stopped atomic.Bool
		for _, entry := range jp.Tasks {
			res.Tasks = append(res.Tasks, run.task(ctx, jp, entry, blocks[jp.Name+"."+entry.Name], &stopped))
		}
	}
	res.Interrupted, res.ApplyID = run.interrupted(ctx), run.id
	if err := run.auditErr(); err != nil {
		return res, err
	}
	if opts.FromFile {
		e.recordClaims(ctx, run.claimed(p))
	}
	return res, nil
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
	opts    ApplyOptions
	clients *runner.Clients
	id      string // the apply's id in the audit log
	audit   *auditLog
	seq     atomic.Int64
	// saved holds what re-planning found for each task of a plan file, by "job.task".
	saved map[string]*savedTask

	mu       sync.Mutex
	auditBad error // first audit write failure: nothing more is applied after it
}

// openAudit opens the audit log, moves a torn last line aside, settles the changes an
// apply that stopped left without an outcome, and marks this apply open.
func (r *applyRun) openAudit() error {
	e := r.eng
	a, err := e.openAudit()
	if err != nil {
		return err
	}
	_, err = e.settle(a)
	if err == nil {
		r.id = newApplyID()
		err = a.begin(r.id, e.now())
	}
	if err != nil {
		return errors.Join(fmt.Errorf("%w: nothing applied", err), a.close())
	}
	r.audit = a
	return nil
}

// newApplyID returns a random apply id.
func newApplyID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// claimed returns the tasks of the saved plan p that were planned again, with their claims
// (a plan file holds none) from that re-plan; the recorded claims of the others stay.
func (r *applyRun) claimed(p *plan.Plan) *plan.Plan {
	out := *p
	out.Jobs = make([]plan.JobPlan, len(p.Jobs))
	for i, jp := range p.Jobs {
		tasks := jp.Tasks
		jp.Tasks = nil
		for _, t := range tasks {
			if st := r.saved[jp.Name+"."+t.Name]; st != nil && st.err == nil {
				t.Claims = st.claims
				jp.Tasks = append(jp.Tasks, t)
			}
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

// stopping reports whether no further change may start: a stop was asked for, ctx ended
// or the audit log failed.
func (r *applyRun) stopping(ctx context.Context) bool {
	return r.interrupted(ctx) || r.auditErr() != nil
}

// interrupted reports whether the apply was asked to stop or its context ended.
func (r *applyRun) interrupted(ctx context.Context) bool {
	select {
	case <-r.opts.Stop:
		return true
	default:
		return ctx.Err() != nil
	}
}

// task applies one task's changes. stopped is its job's fail_fast flag.
func (r *applyRun) task(ctx context.Context, jp plan.JobPlan, entry plan.TaskEntry, tb *config.TaskBlock, stopped *atomic.Bool) (tr plan.TaskResult) {
	tr = plan.TaskResult{Job: jp.Name, Task: entry.Name, Kind: entry.Kind, Errors: []plan.Failure{}}
	outs := newChangeOutcomes(entry.Changes)
	defer func() { tr.Changes = outs.list }() // whichever way the task ends
	tr.Unchanged = entry.UnchangedTotal()
	if entry.Error != "" {
		tr.Failed++
		tr.Errors = append(tr.Errors, plan.Failure{Error: "plan: " + entry.Error})
	}
	for _, f := range entry.Failed {
		tr.Failed++
		tr.Errors = append(tr.Errors, f)
	}
	changes := entry.Changes
	if st := r.saved[jp.Name+"."+entry.Name]; st != nil {
		outs.settle(st)
		var ok bool
		if changes, ok = st.result(&tr, len(entry.Changes)); !ok && len(st.stale) > 0 {
			log := r.eng.taskLog(jp.Name, entry.Name)
			log.Error().Int("stale", len(st.stale)).Msg("saved plan is stale for this task: nothing of it applied; run plan again")
		}
	}
	if tr.Failed > 0 && jp.FailFast {
		stopped.Store(true)
	}
	if stopped.Load() || r.stopping(ctx) {
		tr.Skipped += len(changes)
		return tr
	}
	task := r.eng.Config.Task(tb)
	env := runner.NewApplyEnv(r.clients, r.eng.taskLog(jp.Name, entry.Name), r.eng.parallelism(), r.eng.now)
	env.Changes = changes
	var mu sync.Mutex
	env.ForEach(ctx, len(changes), func(ctx context.Context, i int) {
		ch := changes[i]
		if stopped.Load() || r.stopping(ctx) {
			mu.Lock()
			tr.Skipped++
			mu.Unlock()
			return
		}
		seq, outcome, err := r.change(ctx, env, task, tb, jp.Name, ch)
		mu.Lock()
		defer mu.Unlock()
		count(&tr, env, ch, outcome, err)
		outs.set(&ch, triedOutcome(outcome, err), seq, err)
		if err != nil && jp.FailFast {
			stopped.Store(true)
		}
	})
	return tr
}

// result adds what re-planning found to tr and returns the saved changes still to make
// (none, ok false, when the task could not plan again or has stale changes).
func (st *savedTask) result(tr *plan.TaskResult, saved int) ([]plan.Change, bool) {
	if st.err != nil {
		tr.Failed++
		tr.Errors = append(tr.Errors, plan.Failure{Error: fmt.Sprintf("re-plan to check the saved plan: %v", st.err)})
		tr.Skipped += saved
		return nil, false
	}
	tr.Unchanged += st.unchanged
	tr.Failed += len(st.stale) + len(st.lost)
	tr.Errors = append(append(tr.Errors, st.stale...), st.lost...)
	if len(st.stale) > 0 {
		tr.Skipped += len(st.todo)
		return nil, false
	}
	return st.todo, true
}

// change makes one change between its intent and outcome records, and returns the seq
// of its records (0 when none was written), its outcome (plan.AuditOK, AuditError or
// AuditUnknown) and error. A change whose intent cannot be recorded is not made; after any
// audit failure nothing more is.
func (r *applyRun) change(ctx context.Context, env *runner.ApplyEnv, task runner.Task, tb *config.TaskBlock, job string, ch plan.Change) (int, string, error) {
	rec := plan.AuditRecord{FormatVersion: plan.AuditFormatVersion, Time: r.eng.now().UTC(), ApplyID: r.id,
		Seq: int(r.seq.Add(1)), Job: job, Task: tb.Name, Change: ch, Result: plan.AuditIntent,
		RequestedBy: r.opts.RequestedBy, ApprovedBy: r.opts.ApprovedBy}
	if err := r.audit.write(rec); err != nil {
		r.auditFailed(err)
		return 0, plan.AuditError, fmt.Errorf("not applied: cannot record the intent in the audit log: %w", err)
	}
	err := applyChange(ctx, env, task, tb, ch)
	rec.Time, rec.Result, rec.Error = r.eng.now().UTC(), plan.AuditOK, ""
	switch {
	case err != nil && ctx.Err() != nil:
		err = fmt.Errorf("outcome unknown: the apply was interrupted with the change in flight (%w); the next plan shows whether it was made", err)
		rec.Result, rec.Error = plan.AuditUnknown, err.Error()
	case err != nil:
		rec.Result, rec.Error = plan.AuditError, err.Error()
	}
	if aerr := r.audit.write(rec); aerr != nil {
		r.auditFailed(aerr)
		if err == nil {
			return rec.Seq, plan.AuditOK, fmt.Errorf("applied, but its outcome is not in the audit log (the intent is): %w", aerr)
		}
		return rec.Seq, rec.Result, err
	}
	if r.eng.OnChange != nil {
		r.eng.OnChange(rec)
	}
	return rec.Seq, rec.Result, err
}

func (r *applyRun) auditFailed(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.auditBad == nil {
		r.auditBad = err
	}
}

// count adds one tried change to the task's result.
func count(tr *plan.TaskResult, env *runner.ApplyEnv, ch plan.Change, outcome string, err error) {
	if outcome == plan.AuditUnknown {
		tr.Unknown++
	}
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
