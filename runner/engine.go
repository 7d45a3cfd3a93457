package runner

// The engine plans and applies the jobs of a loaded Config. How to use it (the CLI's plan
// and apply commands and the daemon's runs do exactly this):
//
//	eng := &runner.Engine{Config: cfg, Log: log, StateDir: dir}
//	plan, err := eng.Plan(ctx, runner.Selection{Jobs: []string{"nightly"}}) // reads only
//	if err != nil { ... }                  // the run could not plan at all (bad selection, cancelled)
//	// plan.Changes() == 0: nothing to do; plan.Failures() > 0: some targets could not be read
//	res, err := eng.Apply(ctx, plan, runner.ApplyOptions{})
//	if err != nil { ... }                  // refused (max_changes, other config) or audit log broken
//	if res.Failed() { ... }                // some changes or targets failed; the others were made
//
// A plan saved with WritePlanFile and read back with ReadPlanFile is applied with
// ApplyOptions{FromFile: true}: the engine refuses it when the configuration changed since,
// re-plans each task, skips the changes already made and refuses the stale ones.
//
// Every applied change (made or failed) is appended to <StateDir>/audit.jsonl before it
// counts as done, then passed to OnChange. Plan and Apply each build their API clients
// lazily and log out of all of them before returning.

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Engine defaults.
const (
	DefaultParallelism = 10
	DefaultStateDir    = ".tintri-jobs"
)

// Engine plans and applies the jobs of one Config. Approval prompts are the caller's
// business. An Engine may run several Plan and Apply calls, also concurrently.
type Engine struct {
	Config *Config
	Log    zerolog.Logger
	// Parallelism bounds the targets read and the changes made at once within a task
	// (default DefaultParallelism); each client further bounds its requests in flight.
	Parallelism int
	// StateDir holds the audit log (default DefaultStateDir).
	StateDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observer, when set, is handed to every API client.
	Observer tintri.Observer
	// OnChange, when set, is called after each applied change has been audited, possibly
	// from several goroutines at once.
	OnChange func(AuditRecord)
}

// Selection picks what to plan: whole jobs by name and single tasks as "job.task". Both
// empty means every job.
type Selection struct {
	Jobs    []string
	Targets []string
}

func (e *Engine) parallelism() int {
	if e.Parallelism > 0 {
		return e.Parallelism
	}
	return DefaultParallelism
}

func (e *Engine) stateDir() string {
	if e.StateDir != "" {
		return e.StateDir
	}
	return DefaultStateDir
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) newEnv() *Env {
	return newEnv(e.Config, e.Log, e.parallelism(), e.now, e.Observer)
}

// selected returns, in file order, the jobs and tasks sel picks.
func (e *Engine) selected(sel Selection) ([]*Job, map[*Job][]*TaskBlock, error) {
	jobs := map[string]*Job{}
	var names []string
	for _, j := range e.Config.Jobs {
		jobs[j.Name] = j
		names = append(names, j.Name)
	}
	all := len(sel.Jobs) == 0 && len(sel.Targets) == 0
	wholeJob := map[string]bool{}
	for _, n := range sel.Jobs {
		if _, ok := jobs[n]; !ok {
			return nil, nil, fmt.Errorf("no job named %q (jobs: %s)", n, strings.Join(names, ", "))
		}
		wholeJob[n] = true
	}
	pickedTask := map[string]bool{}
	for _, t := range sel.Targets {
		jn, tn, ok := strings.Cut(t, ".")
		if !ok {
			return nil, nil, fmt.Errorf("target %q: want JOB.TASK", t)
		}
		j, found := jobs[jn]
		if !found {
			return nil, nil, fmt.Errorf("target %q: no job named %q (jobs: %s)", t, jn, strings.Join(names, ", "))
		}
		var taskNames []string
		found = false
		for _, tb := range j.Tasks {
			taskNames = append(taskNames, tb.Name)
			found = found || tb.Name == tn
		}
		if !found {
			return nil, nil, fmt.Errorf("target %q: job %s has no task named %q (tasks: %s)", t, jn, tn, strings.Join(taskNames, ", "))
		}
		pickedTask[t] = true
	}
	var order []*Job
	tasks := map[*Job][]*TaskBlock{}
	for _, j := range e.Config.Jobs {
		for _, tb := range j.Tasks {
			if all || wholeJob[j.Name] || pickedTask[j.Name+"."+tb.Name] {
				tasks[j] = append(tasks[j], tb)
			}
		}
		if _, ok := tasks[j]; ok || all || wholeJob[j.Name] {
			order = append(order, j)
		}
	}
	return order, tasks, nil
}
