package tasks

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Plumbing of the kinds that work on many VMstores (appliance_dns, data_ip,
// maintenance_mode, vm_snapshot): the target attributes, the VMstore client check, and planning every
// target concurrently.

// targetsBody is the attributes naming the VMstores a kind works on; kinds embed it.
// Exactly one of the two is set.
type targetsBody struct {
	Fleet   hcl.Expression `hcl:"fleet,optional" type:"fleet reference" doc:"The fleet whose VMstores the task works on: fleet.<name>; set this or servers."`
	Servers hcl.Expression `hcl:"servers,optional" type:"list(server reference)" doc:"The server blocks of kind vmstore the task works on: [server.<name>, …]; set this or fleet."`
}

// targets resolves the fleet or servers attribute.
func (b targetsBody) targets(dc *runner.DecodeContext) (runner.Targets, hcl.Diagnostics) {
	return dc.TargetsRef(b.Fleet, b.Servers)
}

// applianceClient returns the writing client of a VMstore target after checking it is a
// VMstore. Like every Apply error, its errors do not name the target: the engine records
// them with the change's server and object.
func applianceClient(ctx context.Context, env *runner.ApplyEnv, key string) (*tintri.Client, error) {
	c, err := env.Client(ctx, key)
	if err == nil {
		err = c.RequireVMstore(ctx)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// applianceMembers lists the member keys of targets.
func applianceMembers(ctx context.Context, env *runner.PlanEnv, targets runner.Targets) ([]string, error) {
	members, err := env.Members(ctx, targets)
	if err != nil {
		return nil, fmt.Errorf("list vmstores: %w", err)
	}
	return members, nil
}

// applianceEach runs fn for every member concurrently (env.ForEach) with the member's
// reader, once it is known to be a VMstore, and returns the error per member. fn may fill
// per-member results by index.
func applianceEach(ctx context.Context, env *runner.PlanEnv, members []string,
	fn func(ctx context.Context, i int, key string, c *tintri.Reader) error) []error {
	errs := make([]error, len(members))
	env.ForEach(ctx, len(members), func(ctx context.Context, i int) {
		c, err := env.Client(ctx, members[i])
		if err == nil {
			err = c.RequireVMstore(ctx)
		}
		if err == nil {
			err = fn(ctx, i, members[i], c)
		}
		errs[i] = err
	})
	return errs
}

// vmstoreDisplay names a VMstore for people, by the alias they know it by and the key the
// task reaches it as: "vmstore-0 (127.0.0.1:8443)"; the key alone when the VMstore has no
// alias or the alias is the key.
func vmstoreDisplay(key, alias string) string {
	if alias == "" || alias == key {
		return key
	}
	return fmt.Sprintf("%s (%s)", alias, key)
}

// vmstoreName is vmstoreDisplay of the VMstore c reaches as key, its alias read once per
// client; the key alone when the alias cannot be read (the task's own reads say why).
func vmstoreName(ctx context.Context, c *tintri.Reader, key string) string {
	return vmstoreDisplay(key, vmstoreAlias(ctx, c, key))
}

// vmstoreAlias is the alias of the VMstore c reaches as key: "" when it has none, it is
// the key, or it cannot be read.
func vmstoreAlias(ctx context.Context, c *tintri.Reader, key string) string {
	alias, err := c.ApplianceAlias(ctx)
	if err != nil || alias == key {
		return ""
	}
	return alias
}

// targetPlan is what planning one VMstore found: the values the task wants there, by
// canonical address (its claims), and the change to make, nil when it is already right.
// The change's Object says what changes ("appliance dns"); applianceFleetPlan adds which
// VMstore (" of vmstore-0").
type targetPlan struct {
	claims map[string]any
	change *plan.Change
}

// vmstoreAddress is the canonical address of an attribute of the VMstore c reaches: by the
// host of its URL, so that a server block and a fleet member naming the same appliance
// address it alike.
func vmstoreAddress(c *tintri.Reader, attribute string) string {
	return "vmstore/" + c.Host() + "/" + attribute
}

// applianceFleetPlan plans a task that makes at most one change per VMstore. Per-VMstore
// errors become TaskPlan.Failed; the plan lists targets in member order, each change and
// unchanged target by its VMstore's name (vmstoreName); a change's object names the
// VMstore's alias, since views show the change's server beside it.
func applianceFleetPlan(ctx context.Context, env *runner.PlanEnv, targets runner.Targets,
	planOne func(ctx context.Context, key string, c *tintri.Reader) (*targetPlan, error)) (*plan.TaskPlan, error) {
	members, err := applianceMembers(ctx, env, targets)
	if err != nil {
		return nil, err
	}
	results := make([]*targetPlan, len(members))
	aliases := make([]string, len(members))
	errs := applianceEach(ctx, env, members, func(ctx context.Context, i int, key string, c *tintri.Reader) error {
		r, err := planOne(ctx, key, c)
		results[i], aliases[i] = r, vmstoreAlias(ctx, c, key)
		return err
	})
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	for i, key := range members {
		if errs[i] != nil {
			tp.Failed = append(tp.Failed, plan.Failure{Server: key, Error: errs[i].Error()})
			continue
		}
		for addr, v := range results[i].claims {
			tp.Claim(addr, v)
		}
		if ch := results[i].change; ch != nil {
			if aliases[i] != "" {
				ch.Object += " of " + aliases[i]
			}
			tp.Changes = append(tp.Changes, *ch)
		} else {
			tp.AddUnchanged(vmstoreDisplay(key, aliases[i]), env.ListUnchanged)
		}
	}
	return tp, nil
}
