package engine

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// DefaultStateDir is where the audit log goes when the Engine does not say.
const DefaultStateDir = ".tintri-jobs"

// Engine plans and applies the jobs of one Config. Approval prompts are the caller's
// business. An Engine may run several Plan and Apply calls, also concurrently.
type Engine struct {
	Config *Config
	Log    zerolog.Logger
	// Parallelism bounds the targets read and the changes made at once within a task
	// (default runner.DefaultParallelism()); each client further bounds its requests in flight.
	Parallelism int
	// StateDir holds the audit log, the apply lock and the plan key (default
	// DefaultStateDir).
	StateDir string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observer, when set, is handed to every API client.
	Observer tintri.Observer
	// ListUnchanged makes plans name every target found already right (plan -detail);
	// otherwise a task names the first plan.MaxUnchangedListed and counts the rest.
	ListUnchanged bool
	// OnChange, when set, is called with the outcome record of each change tried, once it
	// is in the audit log, possibly from several goroutines at once.
	OnChange func(plan.AuditRecord)
	// LockTimeout is how long Lock (and Apply, when the caller does not hold the lock)
	// waits for another apply of the state directory to finish: 0 not at all.
	LockTimeout time.Duration
	// LockCommand is how the lock's holder names itself to those it refuses (default
	// DefaultLockCommand); never with arguments, which may hold secrets.
	LockCommand string
	// AuditRotation says when Apply and Settle rotate the audit log (zero: never).
	AuditRotation AuditRotation

	mu   sync.Mutex
	held int // Lock calls not yet released
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
	return runner.DefaultParallelism()
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

// planEnv is the environment of one task's Plan.
func (e *Engine) planEnv(clients *runner.Clients, job, task string) *runner.PlanEnv {
	env := runner.NewPlanEnv(clients, e.taskLog(job, task), e.parallelism(), e.now)
	env.ListUnchanged = e.ListUnchanged
	return env
}

// taskLog is the logger of one task.
func (e *Engine) taskLog(job, task string) zerolog.Logger {
	return e.Log.With().Str("job", job).Str("task", task).Logger()
}

// selected returns, in file order, the jobs and tasks sel picks.
func (e *Engine) selected(sel Selection) ([]*config.Job, map[*config.Job][]*config.TaskBlock, error) {
	jobs := map[string]*config.Job{}
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
	var order []*config.Job
	tasks := map[*config.Job][]*config.TaskBlock{}
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
