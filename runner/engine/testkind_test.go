package engine

import (
	"context"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// testNoopKind is a task kind for the loader's tests: one required attribute and the
// optional references every real kind resolves through DecodeContext.
const testNoopKind = "test_noop"

// testNoopBody is the test kind's body.
type testNoopBody struct {
	Value   string         `hcl:"value" doc:"Any string."`
	Server  hcl.Expression `hcl:"server,optional" type:"server reference" doc:"A server block."`
	Fleet   hcl.Expression `hcl:"fleet,optional" type:"fleet reference" doc:"A fleet block."`
	Servers hcl.Expression `hcl:"servers,optional" type:"list(server reference)" doc:"VMstore server blocks."`
}

func init() {
	runner.Register(testNoopKind, "does nothing (tests)", decodeTestNoop)
}

// testNoopTask is what the test kind decodes to.
type testNoopTask struct {
	Value   string
	Server  string
	Targets runner.Targets
	BaseDir string
	Job     string
	Task    string
}

func (*testNoopTask) Plan(context.Context, *runner.PlanEnv) (*plan.TaskPlan, error) {
	return &plan.TaskPlan{}, nil
}
func (*testNoopTask) Apply(context.Context, *runner.ApplyEnv, plan.Change) error { return nil }

func decodeTestNoop(dc *runner.DecodeContext, raw *testNoopBody) (runner.Task, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	t := &testNoopTask{Value: raw.Value, BaseDir: dc.Config.BaseDir, Job: dc.Job, Task: dc.Task}
	if !decode.Absent(raw.Server) {
		name, d := dc.ServerRef(raw.Server, "")
		diags = append(diags, d...)
		t.Server = name
	}
	if !decode.Absent(raw.Fleet) || !decode.Absent(raw.Servers) {
		targets, d := dc.TargetsRef(raw.Fleet, raw.Servers)
		diags = append(diags, d...)
		t.Targets = targets
	}
	return t, diags
}
