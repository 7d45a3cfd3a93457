package runner

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
)

// testNoopKind is a task kind for the loader's tests: one required attribute and the
// optional references every real kind resolves through DecodeContext.
const testNoopKind = "test_noop"

func init() {
	Register(Kind{Name: testNoopKind, Decode: decodeTestNoop})
}

// testNoopTask is what the test kind decodes to.
type testNoopTask struct {
	Value   string
	Server  string
	Targets Targets
	BaseDir string
	Job     string
	Task    string
}

func (*testNoopTask) Plan(context.Context, *Env) (*TaskPlan, error) { return &TaskPlan{}, nil }
func (*testNoopTask) Apply(context.Context, *Env, Change) error     { return nil }

func decodeTestNoop(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics) {
	var raw struct {
		Value   string         `hcl:"value"`
		Server  hcl.Expression `hcl:"server,optional"`
		Fleet   hcl.Expression `hcl:"fleet,optional"`
		Servers hcl.Expression `hcl:"servers,optional"`
	}
	diags := gohcl.DecodeBody(body, dc.Eval, &raw)
	if diags.HasErrors() {
		return nil, diags
	}
	t := &testNoopTask{Value: raw.Value, BaseDir: dc.BaseDir, Job: dc.Job, Task: dc.Task}
	if !absentExpr(raw.Server) {
		name, d := dc.ServerRef(raw.Server, "")
		diags = append(diags, d...)
		t.Server = name
	}
	if !absentExpr(raw.Fleet) || !absentExpr(raw.Servers) {
		targets, d := dc.TargetsRef(raw.Fleet, raw.Servers)
		diags = append(diags, d...)
		t.Targets = targets
	}
	return t, diags
}
