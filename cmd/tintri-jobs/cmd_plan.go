package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func init() {
	register(command{name: "plan", synopsis: "show the changes the jobs would make (reads only)", run: runPlan})
}

// runFlags are the flags plan and apply share: what to run and how.
type runFlags struct {
	config       *configFlags
	jobs         multiFlag
	targets      multiFlag
	parallelism  int
	stateDir     string
	output       *formatFlags
	allowPartial bool
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	rf := &runFlags{config: addConfigFlags(fs)}
	rf.config.limits = addRequestFlags(fs)
	fs.Var(&rf.jobs, "job", "plan only the job `NAME` (repeatable)")
	fs.Var(&rf.targets, "target", "plan only the task `JOB.TASK` (repeatable)")
	fs.IntVar(&rf.parallelism, "parallelism", runner.DefaultParallelism(), "`N` targets read or changed at once within a task: a fleet's appliances all at once, up to this many (by default fewer when the open-file limit is low)")
	fs.StringVar(&rf.stateDir, "state-dir", engine.DefaultStateDir, "state directory `DIR`: the audit log (audit.jsonl), the apply lock and the plan key")
	rf.output = addFormatFlags(fs, fmt.Sprintf("show every detail line of each change in the text output (default: the first %d), and name every target already right in the plan (default: the first %d of each task, the rest counted)", maxLines, plan.MaxUnchangedListed))
	fs.BoolVar(&rf.allowPartial, "allow-partial", false, "apply (or save) a plan some of whose targets failed, were refused or are in conflict: what could be planned is applied; without it such a plan changes nothing, unless its jobs have allow_partial = true")
	return rf
}

func (rf *runFlags) selection() engine.Selection {
	return engine.Selection{Jobs: rf.jobs, Targets: rf.targets}
}

// engine loads the configuration and builds the engine for it.
func (c *cli) engine(rf *runFlags) (*engine.Engine, error) {
	log, err := c.logger()
	if err != nil {
		return nil, err
	}
	if rf.parallelism < 1 {
		return nil, fmt.Errorf("-parallelism %d: want at least 1", rf.parallelism)
	}
	cfg, err := c.loadConfig(rf.config)
	if err != nil {
		return nil, err
	}
	return &engine.Engine{Config: cfg, Log: log, Parallelism: rf.parallelism, StateDir: rf.stateDir, ListUnchanged: rf.output.detail}, nil
}

// warnUnsettled logs the changes an earlier apply of the state directory left without an
// outcome (it was killed between their intent and outcome records): the plan that follows
// shows whether each was made, and the next apply records them as unknown.
func warnUnsettled(eng *engine.Engine) {
	recs, err := eng.Unsettled()
	if err != nil {
		eng.Log.Warn().Err(err).Msg("cannot check the audit log for changes of an earlier apply left without an outcome")
	}
	for _, r := range recs {
		eng.Log.Warn().Str("job", r.Job).Str("task", r.Task).Str("server", r.Server).Str("object", r.Object).Str("apply_id", r.ApplyID).
			Msg("an earlier apply stopped with this change in flight: outcome unknown; the plan shows whether it was made")
	}
}

// savePlan writes p to path for `apply PLANFILE` and says how to apply it. A plan with
// failed, refused or conflicting targets in a job without allow_partial = true is not saved
// without -allow-partial: applying it would be refused anyway.
func savePlan(c *cli, rf *runFlags, eng *engine.Engine, path string, p *plan.Plan) error {
	n := 0
	for _, jp := range p.Jobs {
		if !jp.AllowPartial {
			n += jp.Failures()
		}
	}
	if n > 0 && !rf.allowPartial {
		return fmt.Errorf("not saving the plan to %s: %d target(s) or task(s) failed, were refused or are in conflict "+
			"(see the plan above); fix them, or save what could be planned with -allow-partial (or allow_partial = true on the job)", path, n)
	}
	if err := eng.WritePlanFile(path, p); err != nil {
		return err
	}
	if rf.output.format == formatText {
		fmt.Fprintf(c.stdout, "\nSaved the plan to %s. Make exactly these changes with: %s\n", path, applyCommand(rf, path))
	} else if !rf.output.json {
		// Not on stdout, which holds one page.
		eng.Log.Info().Str("path", path).Str("apply", applyCommand(rf, path)).Msg("saved the plan")
	}
	return nil
}

// applyCommand is the command line that applies the plan file path with the configuration
// this run read: -config when given, -allow-partial when used. Variables are named, not
// shown: their values may be secrets.
func applyCommand(rf *runFlags, path string) string {
	cmd := "tintri-jobs apply"
	if rf.config.given() {
		cmd += " -config " + shellQuote(rf.config.path)
	}
	if rf.allowPartial {
		cmd += " -allow-partial"
	}
	cmd += " " + shellQuote(path)
	if len(rf.config.vars) > 0 || len(rf.config.varFiles) > 0 {
		cmd += " (with the same -var and -var-file options)"
	}
	return cmd
}

// shellQuote quotes s for a POSIX shell when it holds anything but safe characters.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// view returns the view of the output flags on stdout (in apply, a page format holds the
// plan back for one page with the result).
func (c *cli) view(ff *formatFlags, apply bool) (view, error) {
	format, err := ff.resolve()
	if err != nil {
		return nil, err
	}
	return newView(c.stdout, viewOptions{format: format, detail: ff.detail, color: c.colorOn(isTerminal(c.stdout)), apply: apply}), nil
}

func runPlan(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("plan", "[-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-json | -format text|json|markdown|html] [-no-color] [-out FILE] [-allow-partial] [-detailed-exitcode] [-detail] [-job NAME]... [-target JOB.TASK]... [-parallelism N] [-timeout DURATION] [-attempts N] [-state-dir DIR]")
	rf := addRunFlags(fs)
	out := fs.String("out", "", "save the plan to `FILE`, for apply to make exactly these changes")
	detailed := fs.Bool("detailed-exitcode", false, "exit 2 when the plan has state changes (0: none or only reports to run, 1: error)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	v, err := c.view(rf.output, false)
	if err != nil {
		return err
	}
	eng, err := c.engine(rf)
	if err != nil {
		return err
	}
	warnUnsettled(eng)
	p, err := eng.Plan(ctx, rf.selection())
	if err != nil {
		return err
	}
	if err := v.Plan(p); err != nil {
		return err
	}
	if *out != "" {
		if err := savePlan(c, rf, eng, *out, p); err != nil {
			return err
		}
	}
	if n := p.Failures(); n > 0 {
		return fmt.Errorf("planning failed for %d target(s) or task(s); see the plan above", n)
	}
	if *detailed && p.Changes() > 0 {
		return exitStatus(exitChanges)
	}
	return nil
}
