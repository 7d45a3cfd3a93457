package runner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime/debug"
	"time"

	"github.com/rs/zerolog"
)

// NotifyTimeout bounds a -notify-command run.
const NotifyTimeout = time.Minute

// maxDriftLogLines bounds the per-change log lines of one plan-mode run.
const maxDriftLogLines = 50

// DriftSummary is what a plan-mode run that found pending changes writes, as JSON, to the
// notify command's standard input.
type DriftSummary struct {
	Job     string        `json:"job"`
	RunID   string        `json:"run_id"`
	Time    time.Time     `json:"time"`
	Pending int           `json:"pending"`
	Changes []DriftChange `json:"changes"`
}

// DriftChange is one pending change of a DriftSummary.
type DriftChange struct {
	Task    string `json:"task"`
	Kind    string `json:"kind"`
	Server  string `json:"server"`
	Object  string `json:"object"`
	Action  Action `json:"action"`
	Summary string `json:"summary"`
}

// runJob is the scheduler's Run: one plan (and apply, in apply mode) of one job, recorded
// in the history, the metrics and the log whatever happens, panics included.
func (d *Daemon) runJob(ctx context.Context, req RunRequest) {
	rec := RunRecord{ID: newRunID(), Job: req.Job.Name, Trigger: req.Trigger, Scheduled: req.Scheduled, Start: d.clock.Now()}
	mode := req.Job.Mode
	if mode == "" {
		mode = ModeApply
	}
	log := d.opts.Log.With().Str("job", rec.Job).Str("run_id", rec.ID).Logger()
	log.Info().Str("trigger", rec.Trigger).Str("mode", mode).Time("scheduled", rec.Scheduled).Msg("run started")
	defer func() {
		if r := recover(); r != nil {
			rec.Result, rec.Error = ResultError, fmt.Sprintf("panic: %v", r)
			log.Error().Bytes("stack", debug.Stack()).Msg(rec.Error)
		}
		rec.End = d.clock.Now()
		d.finish(log, rec, mode)
	}()
	eng := &Engine{
		Config:      req.Config,
		Log:         log,
		Parallelism: d.opts.Parallelism,
		StateDir:    d.opts.StateDir,
		Now:         d.clock.Now,
		Observer:    d.metrics,
	}
	plan, err := eng.Plan(ctx, Selection{Jobs: []string{rec.Job}})
	switch {
	case err != nil:
		rec.Result, rec.Error = ResultError, err.Error()
	case mode == ModePlan:
		d.checkDrift(ctx, log, &rec, plan)
	default:
		res, err := eng.Apply(ctx, plan, ApplyOptions{})
		var fails []string
		if res != nil {
			for _, t := range res.Tasks {
				rec.Changed += t.Changed
				rec.Unchanged += t.Unchanged
				rec.Failed += t.Failed
				for _, f := range t.Errors {
					fails = append(fails, failureText(t.Task, f))
				}
			}
		}
		switch {
		case err != nil:
			rec.Result, rec.Error = ResultError, err.Error()
		case res.Failed():
			rec.Result, rec.Error = ResultFailed, firstOf(fails)
		default:
			rec.Result = ResultSuccess
		}
	}
	if ctx.Err() != nil {
		rec.Result = ResultCancelled
		if rec.Error == "" {
			rec.Error = "cancelled at the end of the shutdown grace period"
		}
	}
}

// finish records a finished run in the history and the metrics and logs its end.
func (d *Daemon) finish(log zerolog.Logger, rec RunRecord, mode string) {
	d.metrics.observeRun(rec, mode)
	if err := d.history.Append(rec); err != nil {
		log.Error().Err(err).Msg("cannot record the run in the history")
	}
	ev := log.Info()
	if rec.Result != ResultSuccess {
		ev = log.Warn()
	}
	if rec.Error != "" {
		ev = ev.Str("error", rec.Error)
	}
	ev.Str("result", rec.Result).Dur("duration", rec.Duration()).Int("changed", rec.Changed).
		Int("unchanged", rec.Unchanged).Int("failed", rec.Failed).Int("pending", rec.Pending).Msg("run finished")
	if d.opts.OnRun != nil {
		d.opts.OnRun(rec)
	}
}

// checkDrift fills a plan-mode run's record from its plan, logs the pending changes and
// runs the notify command when there are some.
func (d *Daemon) checkDrift(ctx context.Context, log zerolog.Logger, rec *RunRecord, plan *Plan) {
	sum := DriftSummary{Job: rec.Job, RunID: rec.ID, Time: d.clock.Now(), Changes: []DriftChange{}}
	var fails []string
	for _, jp := range plan.Jobs {
		for _, tp := range jp.Tasks {
			if tp.Error != "" {
				rec.Failed++
				fails = append(fails, failureText(tp.Name, Failure{Error: "plan: " + tp.Error}))
				log.Warn().Str("task", tp.Name).Str("error", tp.Error).Msg("task could not plan")
			}
			rec.Unchanged += len(tp.Plan.Unchanged)
			rec.Failed += len(tp.Plan.Failed)
			for _, f := range tp.Plan.Failed {
				fails = append(fails, failureText(tp.Name, f))
			}
			for _, ch := range tp.Plan.Changes {
				if ch.AlwaysApply {
					continue // a report is not drift
				}
				sum.Changes = append(sum.Changes, DriftChange{Task: tp.Name, Kind: tp.Kind, Server: ch.Server,
					Object: ch.Object, Action: ch.Action, Summary: ch.Summary})
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
		rec.Result, rec.Error = ResultFailed, firstOf(fails)
	case rec.Pending > 0:
		rec.Result = ResultDrift
	default:
		rec.Result = ResultSuccess
	}
	if rec.Pending > 0 && d.opts.NotifyCommand != "" {
		if err := runNotify(ctx, d.opts.NotifyCommand, sum); err != nil {
			log.Error().Err(err).Msg("notify command failed")
		}
	}
}

// failureText describes one failure of a task for a run record.
func failureText(task string, f Failure) string {
	s := "task " + task + ": "
	if f.Server != "" {
		s += f.Server + ": "
	}
	if f.Object != "" {
		s += f.Object + ": "
	}
	return s + f.Error
}

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

// runNotify runs command through /bin/sh -c with the summary as JSON on its standard input.
func runNotify(ctx context.Context, command string, sum DriftSummary) error {
	in, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("notify: encode drift summary: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, NotifyTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
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

// newRunID returns a random 16-hex-digit run id.
func newRunID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
