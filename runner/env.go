package runner

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// DefaultParallelism bounds the targets a task reads or changes at once when the run does
// not say.
const DefaultParallelism = 10

// env is what PlanEnv and ApplyEnv share: the run's clients and how to work on many
// targets at once.
type env struct {
	// Log is the task's logger (fields job and task).
	Log zerolog.Logger
	// Parallelism bounds ForEach (0: DefaultParallelism).
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
		limit = DefaultParallelism
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
type PlanEnv struct{ env }

// ApplyEnv is what a task's Apply gets: clients that write.
type ApplyEnv struct{ env }

// NewPlanEnv is the environment of a task's Plan, its logger log.
func NewPlanEnv(c *Clients, log zerolog.Logger, parallelism int, now func() time.Time) *PlanEnv {
	return &PlanEnv{env{Log: log, Parallelism: parallelism, Now: now, clients: c}}
}

// NewApplyEnv is the environment of a task's Apply, its logger log.
func NewApplyEnv(c *Clients, log zerolog.Logger, parallelism int, now func() time.Time) *ApplyEnv {
	return &ApplyEnv{env{Log: log, Parallelism: parallelism, Now: now, clients: c}}
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
