package engine

import (
	"context"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Run is one run of an Engine: the Plan and the Apply of one CLI apply or one daemon run.
// They share the run's API clients, so that every server is logged in to once per run
// (not once to plan and again to apply), its product and version are read once, and the
// in-flight limit its client learnt while planning carries over to the apply. Close logs
// out of every server the run reached. A Run is safe for concurrent use, and an Engine may
// have several Runs at once: each has its own clients.
type Run struct {
	eng     *Engine
	clients *runner.Clients
}

// Open starts a run. It contacts no server; its clients are built on first use.
func (e *Engine) Open() *Run {
	return &Run{eng: e, clients: runner.NewClients(e.Config.Config, e.Log, e.Observer)}
}

// Plan is Engine.Plan with the run's clients.
func (r *Run) Plan(ctx context.Context, sel Selection) (*plan.Plan, error) {
	p, err := r.eng.plan(ctx, r.clients, sel)
	if p != nil {
		p.InflightLimits = r.clients.InflightLimits()
	}
	return p, err
}

// Apply is Engine.Apply with the run's clients.
func (r *Run) Apply(ctx context.Context, p *plan.Plan, opts ApplyOptions) (*plan.Result, error) {
	res, err := r.eng.apply(ctx, r.clients, p, opts)
	if res != nil {
		res.InflightLimits = r.clients.InflightLimits()
	}
	return res, err
}

// Close logs out of every server the run reached (within a bound of its own when ctx is
// cancelled). The run must not be used after.
func (r *Run) Close(ctx context.Context) { r.clients.Close(ctx) }
