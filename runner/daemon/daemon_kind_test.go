package daemon

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
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

// daemonTestBody is the test kind's body.
type daemonTestBody struct {
	Fleet   hcl.Expression `hcl:"fleet,optional" type:"fleet reference" doc:"The VMstores."`
	Primary string         `hcl:"primary,optional" doc:"The primary DNS server."`
	Offline int            `hcl:"offline,optional" doc:"Changes that need no server."`
	Panic   bool           `hcl:"panic,optional" doc:"Plan panics."`
}

func init() {
	runner.Register(daemonTestKind, "sets the primary DNS server (daemon tests)", decodeDaemonTest)
}

type daemonTestTask struct {
	targets runner.Targets
	primary string
	offline int
	panics  bool
}

func decodeDaemonTest(dc *runner.DecodeContext, raw *daemonTestBody) (runner.Task, hcl.Diagnostics) {
	t := &daemonTestTask{primary: raw.Primary, offline: raw.Offline, panics: raw.Panic}
	var diags hcl.Diagnostics
	if !decode.Absent(raw.Fleet) {
		t.targets, diags = dc.TargetsRef(raw.Fleet, nil)
	}
	return t, diags
}

func (t *daemonTestTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	if t.panics {
		panic("daemontest boom")
	}
	tp := &plan.TaskPlan{}
	for i := range t.offline {
		tp.Changes = append(tp.Changes, plan.Change{Server: "none", Object: fmt.Sprintf("report %d", i),
			ID: fmt.Sprint(i), Action: plan.ActionCreate, Summary: "write a report", AlwaysApply: true})
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
		address := "vmstore/" + k + "/dns/primary"
		switch {
		case err != nil:
			tp.Failed = append(tp.Failed, plan.Failure{Server: k, Error: err.Error()})
		case dns.DNSPrimary == t.primary:
			tp.Claim(address, t.primary)
			tp.Unchanged = append(tp.Unchanged, k)
		default:
			tp.Claim(address, t.primary)
			tp.Changes = append(tp.Changes, plan.Change{Server: k, Object: "appliance dns", ID: k + "/dns",
				Action: plan.ActionUpdate, Summary: "primary " + dns.DNSPrimary + " -> " + t.primary,
				Before: plan.MustJSON(dns.DNSPrimary), After: plan.MustJSON(t.primary), Addresses: []string{address}})
		}
	}
	return tp, nil
}

func (t *daemonTestTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
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
