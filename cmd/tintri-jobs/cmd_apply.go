package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func init() {
	register(command{name: "apply", synopsis: "make the changes of a fresh plan (after approval) or of a saved plan file", run: runApply})
}

func runApply(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("apply", "[-auto-approve] [-allow-partial] [-json | -format text|json|markdown|html] [-detail] [-no-color] [-parallelism N] [-lock-timeout DURATION] [-shutdown-grace DURATION] [-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-job NAME]... [-target JOB.TASK]... [-timeout DURATION] [-attempts N] [-state-dir DIR] [-audit-max-size SIZE] [-audit-keep N] [PLANFILE]")
	rf := addRunFlags(fs)
	rot := addAuditFlags(fs)
	autoApprove := fs.Bool("auto-approve", false, "apply without asking (required for a fresh plan when stdin is not a terminal)")
	lockTimeout := fs.Duration("lock-timeout", 0, "wait up to `DURATION` for another apply of the state directory to finish (0: fail at once, naming it)")
	grace := fs.Duration("shutdown-grace", DefaultApplyGrace, "on SIGTERM or SIGINT, let changes in flight finish within `DURATION` (none start after the signal; a second signal kills at once)")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if *lockTimeout < 0 || *grace < 0 {
		return fmt.Errorf("-lock-timeout and -shutdown-grace: want zero or more")
	}
	if err := checkAuditFlags(rot); err != nil {
		return err
	}
	planFile := fs.Arg(0)
	if planFile != "" && (len(rf.jobs) > 0 || len(rf.targets) > 0) {
		return errors.New("-job and -target select what to plan; a saved plan file is applied as a whole")
	}
	v, err := c.view(rf.output, true)
	if err != nil {
		return err
	}
	if f := rf.output.format; planFile == "" && !*autoApprove && c.stdinTerminal && (f == formatMarkdown || f == formatHTML) {
		return errPageNeedsApproval
	}
	eng, err := c.engine(rf)
	if err != nil {
		return err
	}
	eng.LockTimeout, eng.AuditRotation = *lockTimeout, *rot
	err = c.apply(ctx, eng, v, rf, applyRequest{planFile: planFile, autoApprove: *autoApprove, grace: *grace})
	if ferr := v.Finish(); err == nil {
		err = ferr
	}
	return err
}

// applyRequest is what apply was asked to do: a saved plan or a fresh one, with or
// without asking, and the grace period of changes in flight.
type applyRequest struct {
	planFile    string
	autoApprove bool
	grace       time.Duration
}

// apply shows the plan (a saved or a fresh one), asks for approval where needed and
// applies it. A fresh plan needs approval: the answer of the person at the terminal, or
// -auto-approve. A saved plan was approved when it was saved: apply asks for it again only
// when it shows it as text to a person at a terminal; -json (whose output is the result
// alone, as always), a page format, or no terminal apply the file at once.
func (c *cli) apply(ctx context.Context, eng *engine.Engine, v view, rf *runFlags, req applyRequest) error {
	// Held from before the plan: what is shown for approval is what this apply changes,
	// not what another apply of the state directory changes meanwhile.
	unlock, err := eng.Lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, err := eng.Settle(ctx); err != nil {
		return err
	}
	// One run: the apply reuses the sessions and in-flight limits of the plan.
	run := eng.Open()
	defer run.Close(ctx)
	var p *plan.Plan
	if req.planFile != "" {
		if p, err = plan.ReadFile(req.planFile); err != nil {
			return err
		}
		if !rf.output.json {
			if err := v.Plan(p); err != nil {
				return err
			}
		}
		if !req.autoApprove && c.stdinTerminal && rf.output.format == formatText && p.Pending() > 0 {
			if err := c.approve(); err != nil {
				return err
			}
		}
	} else {
		if p, err = run.Plan(ctx, rf.selection()); err != nil {
			return err
		}
		if err := v.Plan(p); err != nil {
			return err
		}
		if p.Pending() == 0 {
			if n := p.Failures(); n > 0 {
				return fmt.Errorf("planning failed for %d target(s) or task(s); see the plan above", n)
			}
			return nil
		}
		if !req.autoApprove {
			if err := c.approve(); err != nil {
				return err
			}
		}
	}
	return c.applyPlan(ctx, eng, run, p, v, rf, req.grace, engine.ApplyOptions{FromFile: req.planFile != "", AllowPartial: rf.allowPartial})
}

// DefaultApplyGrace is apply's default -shutdown-grace.
const DefaultApplyGrace = 60 * time.Second

// graceful returns the context changes are made under: it ends grace after ctx does (the
// first SIGTERM or SIGINT), so that changes in flight can finish, or when the returned
// cancel is called.
func graceful(ctx context.Context, log zerolog.Logger, grace time.Duration) (context.Context, context.CancelFunc) {
	inflight, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go func() {
		select {
		case <-inflight.Done():
			return
		case <-ctx.Done():
			if inflight.Err() != nil {
				return // the apply ended first; ctx ended as the process exits
			}
		}
		log.Warn().Dur("grace", grace).Msg("interrupted: no further change starts; changes in flight may finish within the grace period (interrupt again to stop at once)")
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-t.C:
			log.Warn().Msg("grace period over: abandoning the changes in flight, whose outcome is then unknown")
			cancel()
		case <-inflight.Done():
		}
	}()
	return inflight, cancel
}

// applyPlan applies p in run with a progress bar on a terminal and shows the result.
func (c *cli) applyPlan(ctx context.Context, eng *engine.Engine, run *engine.Run, p *plan.Plan, v view, rf *runFlags, grace time.Duration, opts engine.ApplyOptions) error {
	bar, _ := c.stderr.(*progress)
	if rf.output.json || c.logFormat == "json" {
		// Machine-read output: JSON logs (a collector may read a terminal, e.g. a pod
		// with a TTY) get no bar redraws or escape codes between their lines.
		bar = nil
	}
	if bar != nil {
		bar.Start(p.Pending())
		eng.OnChange = bar.OnChange
	}
	inflight, cancel := graceful(ctx, eng.Log, grace)
	defer cancel()
	opts.Stop = ctx.Done()
	res, err := run.Apply(inflight, p, opts)
	if bar != nil {
		bar.Finish()
	}
	if res != nil {
		if verr := v.Result(res); verr != nil && err == nil {
			err = verr
		}
	}
	if err != nil {
		return err
	}
	if res.Interrupted {
		return errors.New("apply interrupted: the changes not started were skipped; see above")
	}
	if res.Failed() {
		return errors.New("some targets or changes failed; see above")
	}
	return nil
}

// approve asks the person at the terminal to type "yes".
func (c *cli) approve() error {
	if !c.stdinTerminal {
		return errors.New("refusing to apply without approval: stdin is not a terminal; review the plan and use -auto-approve, or apply a saved plan file")
	}
	fmt.Fprint(c.stderr, "\nDo you want to make these changes? Only 'yes' is accepted.\n  Enter a value: ")
	line, err := bufio.NewReader(c.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("read approval: %w", err)
	}
	if strings.TrimSpace(line) != "yes" {
		fmt.Fprintln(c.stderr, "Apply cancelled.")
		return exitStatus(exitError)
	}
	return nil
}
