package runner

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// MaxDefaultParallelism is the most targets a task reads or changes at once when the run
// does not say: appliances are independent, so a fleet is worked on all at once up to this
// (each client still bounds the requests in flight to its appliance).
const MaxDefaultParallelism = 256

// fdsPerTarget is the file descriptors one target in flight may hold (its connection and
// one being replaced), and fdsReserved those the process needs besides (job files, logs,
// the audit log, the daemon's listener).
const (
	fdsPerTarget = 2
	fdsReserved  = 64
)

// DefaultParallelism is the targets a task reads or changes at once when the run does not
// say: MaxDefaultParallelism, or fewer when the open-file limit (RLIMIT_NOFILE on Unix)
// would not let that many connections be open at once.
func DefaultParallelism() int { return parallelismFor(openFileLimit()) }

// parallelismFor is DefaultParallelism under an open-file limit of nofile (0: none known).
func parallelismFor(nofile uint64) int {
	if nofile == 0 {
		return MaxDefaultParallelism
	}
	if nofile <= fdsReserved+fdsPerTarget {
		return 1
	}
	return int(min((nofile-fdsReserved)/fdsPerTarget, MaxDefaultParallelism))
}

// env is what PlanEnv and ApplyEnv share: the run's clients and how to work on many
// targets at once.
type env struct {
	// Log is the task's logger (fields job and task).
	Log zerolog.Logger
	// Parallelism bounds ForEach (0: DefaultParallelism()).
	Parallelism int
	// Now is the run's clock.
	Now func() time.Time

	clients *Clients
}

// Members returns the server keys of targets (see Clients.Members).
func (e *env) Members(ctx context.Context, t Targets) ([]string, error) {
	return e.clients.Members(ctx, t)
}

// ForEach calls fn(ctx, i) for i in 0..n-1, at most Parallelism at once, and returns when
// every call has returned. fn sees ctx as given and decides itself what a cancelled
// context means for its target.
func (e *env) ForEach(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	limit := e.Parallelism
	if limit <= 0 {
		limit = DefaultParallelism()
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(ctx, i)
		})
	}
	wg.Wait()
}

// PlanEnv is what a task's Plan gets: read-only clients.
type PlanEnv struct {
	env
	// ListUnchanged asks the task to name every target it finds already right (plan
	// -detail), not only the first plan.MaxUnchangedListed: pass it to
	// plan.TaskPlan.AddUnchanged.
	ListUnchanged bool
}

// ApplyEnv is what a task's Apply gets: clients that write. One ApplyEnv serves every
// change of one task in one apply.
type ApplyEnv struct {
	env
	// Changes are the changes this apply of the task makes, for a task that reads their
	// targets in one request rather than one by one (see Shared).
	Changes []plan.Change

	shared sync.Map // key -> *sharedValue
}

// NewPlanEnv is the environment of a task's Plan, its logger log.
func NewPlanEnv(c *Clients, log zerolog.Logger, parallelism int, now func() time.Time) *PlanEnv {
	return &PlanEnv{env: env{Log: log, Parallelism: parallelism, Now: now, clients: c}}
}

// NewApplyEnv is the environment of a task's Apply, its logger log.
func NewApplyEnv(c *Clients, log zerolog.Logger, parallelism int, now func() time.Time) *ApplyEnv {
	return &ApplyEnv{env: env{Log: log, Parallelism: parallelism, Now: now, clients: c}}
}

// Client returns the read-only client of a server block (by name) or fleet member (by
// host[:port]).
func (e *PlanEnv) Client(ctx context.Context, server string) (*tintri.Reader, error) {
	c, err := e.clients.Client(ctx, server)
	if err != nil {
		return nil, err
	}
	return c.ReadOnly(), nil
}

// Client returns the client of a server block (by name) or fleet member (by host[:port]).
func (e *ApplyEnv) Client(ctx context.Context, server string) (*tintri.Client, error) {
	return e.clients.Client(ctx, server)
}
