package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// ApplyLockWait is how long an apply-mode run waits for another apply of the state
// directory (a CLI apply, another job's run) to finish before it fails: the default of
// Options.LockWait.
const ApplyLockWait = 10 * time.Minute

// NotifyTimeout bounds a -notify-command run.
const NotifyTimeout = time.Minute

// maxDriftLogLines bounds the per-change log lines of one plan-mode run.
const maxDriftLogLines = 50

// runJob is the scheduler's Run: one plan (and apply, in apply mode) of one job, recorded
// in the history, the metrics and the log whatever happens, panics included.
func (d *Daemon) runJob(ctx context.Context, req RunRequest) {
	rec := plan.RunRecord{FormatVersion: plan.FormatVersion, ID: newRunID(), Job: req.Job.Name, Trigger: req.Trigger, Scheduled: req.Scheduled, Start: d.clock.Now()}
	mode := req.Job.Mode
	if mode == "" {
		mode = config.ModeApply
	}
	log := d.opts.Log.With().Str("job", rec.Job).Str("run_id", rec.ID).Logger()
	log.Info().Str("trigger", rec.Trigger).Str("mode", mode).Time("scheduled", rec.Scheduled).Msg("run started")
	out := &runOutcome{}
	defer func() {
		if r := recover(); r != nil {
			rec.Result, rec.Error = plan.ResultError, fmt.Sprintf("panic: %v", r)
			log.Error().Bytes("stack", debug.Stack()).Msg(rec.Error)
		}
		rec.End = d.clock.Now()
		d.finish(log, rec, mode)
		d.notifier.Report(req.Config.Config, out.report(rec))
	}()
	eng := d.engine(req, rec.ID, log, out)
	// One run: the apply reuses the sessions and in-flight limits of the plan.
	run := eng.Open()
	defer run.Close(ctx)
	p, err := run.Plan(ctx, engine.Selection{Jobs: []string{rec.Job}})
	out.plan = p
	switch {
	case err != nil:
		rec.Result, rec.Error = plan.ResultError, err.Error()
	case mode == config.ModePlan:
		if err := eng.RecordClaims(ctx, p); err != nil {
			log.Warn().Err(err).Msg("cannot record the job's claims for the conflict checks of later runs")
		}
		out.drift = d.checkDrift(ctx, log, &rec, req.Config, p)
	default:
		if _, err := eng.Settle(ctx); err != nil {
			log.Warn().Err(err).Msg("cannot record the outcome of changes an earlier apply left in flight")
		}
		// A shutdown stops the run from starting further changes at once; those in flight
		// have until ctx ends (the shutdown grace period) to finish.
		res, err := run.Apply(ctx, p, engine.ApplyOptions{Stop: d.stopping})
		out.result = res
		recordApply(log, &rec, p, res, err)
	}
	if ctx.Err() != nil {
		rec.Result = plan.ResultCancelled
		if rec.Error == "" {
			rec.Error = "cancelled at the end of the shutdown grace period"
		}
	}
}

// engine is the engine of one run: its log lines carry the run id, and the changes it
// applies are logged and noted in out.
func (d *Daemon) engine(req RunRequest, runID string, log zerolog.Logger, out *runOutcome) *engine.Engine {
	return &engine.Engine{
		Config: req.Config,
		// The engine adds job and task to its lines itself: a key given twice makes JSON
		// log lines that collectors read differently.
		Log:           d.opts.Log.With().Str("run_id", runID).Logger(),
		Parallelism:   d.opts.Parallelism,
		StateDir:      d.opts.StateDir,
		Now:           d.clock.Now,
		Observer:      d.metrics,
		LockTimeout:   d.opts.LockWait,
		LockCommand:   "tintri-jobs daemon",
		AuditRotation: d.opts.AuditRotation,
		// Failed changes are logged by the engine; applied ones at info level here.
		OnChange: func(a plan.AuditRecord) {
			if a.Result == plan.AuditOK {
				out.applied(a)
				log.Info().Str("task", a.Task).Str("server", a.Server).Str("object", a.Object).
					Str("action", string(a.Action)).Str("change_id", a.ID).Msg("change applied")
			}
		},
	}
}

// planFailures lists the targets of p that could not be planned, were refused or are in
// conflict, and the tasks that could not plan, and logs the latter.
func planFailures(log zerolog.Logger, p *plan.Plan) []string {
	var fails []string
	for _, jp := range p.Jobs {
		for _, tp := range jp.Tasks {
			if tp.Error != "" {
				fails = append(fails, failureText(tp.Name, plan.Failure{Error: "plan: " + tp.Error}))
				log.Warn().Str("task", tp.Name).Str("error", tp.Error).Msg("task could not plan")
			}
			for _, f := range tp.Failed {
				fails = append(fails, failureText(tp.Name, f))
			}
		}
	}
	return fails
}

// recordApply fills an apply-mode run's record from the apply's result and error. A plan
// refused for its failures counts them.
func recordApply(log zerolog.Logger, rec *plan.RunRecord, p *plan.Plan, res *plan.Result, err error) {
	if errors.Is(err, engine.ErrPartialPlan) {
		fails := planFailures(log, p)
		rec.Result, rec.Failed, rec.Error = plan.ResultFailed, len(fails), firstOf(fails)
		log.Error().Err(err).Msg("plan refused")
		return
	}
	var fails []string
	if res != nil {
		total := res.Total()
		rec.Changed, rec.Ran, rec.Unchanged, rec.Failed = total.Changed, total.Runs, total.Unchanged, total.Failed
		for _, t := range res.Tasks {
			for _, f := range t.Errors {
				fails = append(fails, failureText(t.Task, f))
			}
		}
	}
	switch {
	case err != nil:
		rec.Result, rec.Error = plan.ResultError, err.Error()
	case res.Interrupted:
		total := res.Total()
		rec.Result = plan.ResultCancelled
		rec.Error = fmt.Sprintf("interrupted by the daemon's shutdown: %d change(s) not started, %d in flight with an unknown outcome",
			total.Skipped, total.Unknown)
	case res.Failed():
		rec.Result, rec.Error = plan.ResultFailed, firstOf(fails)
	default:
		rec.Result = plan.ResultSuccess
	}
}

// finish records a finished run in the history and the metrics and logs its end.
func (d *Daemon) finish(log zerolog.Logger, rec plan.RunRecord, mode string) {
	d.metrics.observeRun(rec, mode)
	d.forgetIfRemoved(rec.Job)
	if err := d.history.Append(rec); err != nil {
		log.Error().Err(err).Msg("cannot record the run in the history")
	}
	ev := log.Info()
	if rec.Result != plan.ResultSuccess {
		ev = log.Warn()
	}
	if rec.Error != "" {
		ev = ev.Str("error", rec.Error)
	}
	ev.Str("result", rec.Result).Dur("duration", rec.Duration()).Int("changed", rec.Changed).
		Int("ran", rec.Ran).Int("unchanged", rec.Unchanged).Int("failed", rec.Failed).Int("pending", rec.Pending).Msg("run finished")
	if d.opts.OnRun != nil {
		d.opts.OnRun(rec)
	}
}

// checkDrift fills a plan-mode run's record from its plan, logs the pending changes and
// runs the notify command when there are some. It returns the pending changes.
func (d *Daemon) checkDrift(ctx context.Context, log zerolog.Logger, rec *plan.RunRecord, cfg *engine.Config, p *plan.Plan) []plan.DriftChange {
	sum := plan.DriftSummary{FormatVersion: plan.FormatVersion, Job: rec.Job, RunID: rec.ID, Time: d.clock.Now(), Changes: []plan.DriftChange{}}
	fails := planFailures(log, p)
	rec.Failed += len(fails)
	for _, jp := range p.Jobs {
		for _, tp := range jp.Tasks {
			rec.Unchanged += tp.UnchangedTotal()
			for _, ch := range tp.Changes {
				if ch.AlwaysApply {
					continue // a report is not drift
				}
				sum.Changes = append(sum.Changes, plan.DriftChange{Task: tp.Name, Kind: tp.Kind, Change: ch})
			}
		}
	}
	sum.Pending = len(sum.Changes)
	rec.Pending = sum.Pending
	for i, ch := range sum.Changes {
		if i == maxDriftLogLines {
			log.Info().Int("more", sum.Pending-i).Msg("drift: more pending changes")
			break
		}
		log.Info().Str("task", ch.Task).Str("server", ch.Server).Str("object", ch.Object).
			Str("action", string(ch.Action)).Msg("drift: " + ch.Summary)
	}
	switch {
	case rec.Failed > 0:
		rec.Result, rec.Error = plan.ResultFailed, firstOf(fails)
	case rec.Pending > 0:
		rec.Result = plan.ResultDrift
	default:
		rec.Result = plan.ResultSuccess
	}
	if rec.Pending > 0 && d.opts.NotifyCommand != "" {
		env := d.opts.Environ
		if env == nil {
			env = os.Environ()
		}
		if err := runNotify(ctx, d.opts.NotifyCommand, notifyEnv(env, cfg), sum); err != nil {
			log.Error().Err(err).Msg("notify command failed")
		}
	}
	return sum.Changes
}

// failureText describes one failure of a task for a run record.
func failureText(task string, f plan.Failure) string { return "task " + task + ": " + f.String() }

// firstOf returns the first failure and how many more there are.
func firstOf(fails []string) string {
	switch len(fails) {
	case 0:
		return ""
	case 1:
		return fails[0]
	default:
		return fmt.Sprintf("%s (and %d more)", fails[0], len(fails)-1)
	}
}

// NotifyWaitDelay bounds how long a notify command's output is awaited after the command
// was killed (its own children may hold the output open).
const NotifyWaitDelay = 5 * time.Second

// runNotify runs command through the system shell (/bin/sh -c; cmd.exe on Windows) with
// the summary as JSON on its standard input and env as its environment.
func runNotify(ctx context.Context, command string, env []string, sum plan.DriftSummary) error {
	in, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("notify: encode drift summary: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, NotifyTimeout)
	defer cancel()
	cmd := shellCommand(ctx, command)
	cmd.Env = env
	cmd.WaitDelay = NotifyWaitDelay
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := bytes.TrimSpace(out.Bytes())
		if len(msg) > 1024 {
			msg = msg[:1024]
		}
		return fmt.Errorf("notify command: %w: %s", err, msg)
	}
	return nil
}

// notifyEnv returns environ without the variables that hold a secret of cfg: any whose
// value is (see secretIn) a server's or fleet's password, a Slack token or signing secret
// or a webhook secret (config.Secrets), TINTRI_JOBS_VAR_<name> of a sensitive variable,
// and TINTRI_PASSWORD. The notify command needs none of them.
func notifyEnv(environ []string, cfg *engine.Config) []string {
	secrets := cfg.Secrets()
	drop := map[string]bool{"TINTRI_PASSWORD": true}
	for name, v := range cfg.Variables {
		if v.Sensitive {
			drop[config.EnvVarPrefix+name] = true
		}
	}
	out := make([]string, 0, len(environ))
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if drop[name] || slices.ContainsFunc(secrets, func(s string) bool { return secretIn(value, s) }) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// secretMinContained is the shortest password notifyEnv looks for inside longer values:
// a shorter one (say "abc") would match unrelated variables such as PATH by accident.
const secretMinContained = 8

// secretIn reports whether value is the secret or, for a secret long enough not to match
// by chance, holds it (a URL with embedded credentials, for one).
func secretIn(value, secret string) bool {
	return value == secret || (len(secret) >= secretMinContained && strings.Contains(value, secret))
}

// newRunID returns a random 16-hex-digit run id.
func newRunID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
