package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// daemonTestKind is a task kind for the daemon's tests only, so they do not depend on the
// tasks package:
//
//	task "daemontest" "x" {
//	  fleet   = fleet.f      # optional: set every member's primary DNS server to `primary`
//	  primary = "10.9.9.9"
//	  offline = 2            # optional: plan this many changes that need no server (soak)
//	  panic   = true         # optional: Plan panics
//	}
const daemonTestKind = "daemontest"

// daemonTestBeforeApply, when a test sets it, is called before each DNS change daemontest
// applies, with the run's context (tests using it do not run in parallel).
var daemonTestBeforeApply func(ctx context.Context)

func init() {
	Register(Kind{Name: daemonTestKind, Decode: decodeDaemonTest})
}

type daemonTestTask struct {
	targets Targets
	primary string
	offline int
	panics  bool
}

func decodeDaemonTest(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics) {
	var raw struct {
		Fleet   hcl.Expression `hcl:"fleet,optional"`
		Primary string         `hcl:"primary,optional"`
		Offline int            `hcl:"offline,optional"`
		Panic   bool           `hcl:"panic,optional"`
	}
	diags := gohcl.DecodeBody(body, dc.Eval, &raw)
	if diags.HasErrors() {
		return nil, diags
	}
	t := &daemonTestTask{primary: raw.Primary, offline: raw.Offline, panics: raw.Panic}
	if !absentExpr(raw.Fleet) {
		var d hcl.Diagnostics
		t.targets, d = dc.TargetsRef(raw.Fleet, nil)
		diags = append(diags, d...)
	}
	return t, diags
}

func (t *daemonTestTask) Plan(ctx context.Context, env *Env) (*TaskPlan, error) {
	if t.panics {
		panic("daemontest boom")
	}
	tp := &TaskPlan{}
	for i := range t.offline {
		tp.Changes = append(tp.Changes, Change{Server: "none", Object: fmt.Sprintf("report %d", i),
			ID: fmt.Sprint(i), Action: ActionCreate, Summary: "write a report", AlwaysApply: true})
	}
	if t.targets.Fleet == "" {
		return tp, nil
	}
	keys, err := env.Members(ctx, t.targets)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		c, err := env.Client(ctx, k)
		var dns *tintri.ApplianceDns
		if err == nil {
			dns, err = c.ApplianceDNS(ctx)
		}
		switch {
		case err != nil:
			tp.Failed = append(tp.Failed, Failure{Server: k, Error: err.Error()})
		case dns.DNSPrimary == t.primary:
			tp.Unchanged = append(tp.Unchanged, k)
		default:
			tp.Changes = append(tp.Changes, Change{Server: k, Object: "appliance dns", ID: k + "/dns",
				Action: ActionUpdate, Summary: "primary " + dns.DNSPrimary + " -> " + t.primary,
				Before: MustJSON(dns.DNSPrimary), After: MustJSON(t.primary)})
		}
	}
	return tp, nil
}

func (t *daemonTestTask) Apply(ctx context.Context, env *Env, ch Change) error {
	if ch.AlwaysApply {
		return nil
	}
	var want string
	if err := json.Unmarshal(ch.After, &want); err != nil {
		return err
	}
	c, err := env.Client(ctx, ch.Server)
	if err != nil {
		return err
	}
	if daemonTestBeforeApply != nil {
		daemonTestBeforeApply(ctx)
	}
	return c.UpdateAppliance(ctx, tintri.Appliance{TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: want}}, tintri.PropDNSConfig)
}
