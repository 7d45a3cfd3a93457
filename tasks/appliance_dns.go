package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// appliance_dns sets the DNS servers of every VMstore of a fleet (or a list of servers):
//
//	task "appliance_dns" "lab" {
//	  fleet     = fleet.lab            # or servers = [server.vmstore1, ...]
//	  primary   = "192.0.2.53"
//	  secondary = "192.0.2.54"         # optional
//	  tertiary  = "192.0.2.55"         # optional
//	}
//
// At least one of primary, secondary and tertiary is set; an attribute left out is not
// managed and keeps the appliance's value. The plan has one change per VMstore whose managed
// values differ; applying it sends the merged configuration with only "dnsConfig" updated.

func init() {
	runner.Register(runner.Kind{Name: "appliance_dns", Decode: decodeApplianceDNS})
}

var dnsSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{
		{Name: "primary"},
		{Name: "secondary"},
		{Name: "tertiary"},
	}, applianceTargetAttrs...),
}

// dnsState is the DNS configuration a plan compares and a change carries. An empty field
// is a DNS server the appliance does not have.
type dnsState struct {
	Primary   string `json:"primary,omitempty"`
	Secondary string `json:"secondary,omitempty"`
	Tertiary  string `json:"tertiary,omitempty"`
}

// dnsTask is a decoded appliance_dns block. A nil pointer is an unmanaged server.
type dnsTask struct {
	targets                      runner.Targets
	primary, secondary, tertiary *string
}

func decodeApplianceDNS(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(dnsSchema)
	t := &dnsTask{}
	targets, tdiags := applianceDecodeTargets(dc, content)
	diags = append(diags, tdiags...)
	t.targets = targets

	seen := map[netip.Addr]string{}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"primary", &t.primary}, {"secondary", &t.secondary}, {"tertiary", &t.tertiary}} {
		attr := content.Attributes[f.name]
		if attr == nil {
			continue
		}
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		addr, err := netip.ParseAddr(s)
		if err != nil || addr.Zone() != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid DNS server address",
				Detail:   fmt.Sprintf("The %s DNS server must be an IPv4 or IPv6 address, not %q.", f.name, s),
				Subject:  attr.Expr.Range().Ptr(),
			})
			continue
		}
		if prev, dup := seen[addr]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate DNS server",
				Detail:   fmt.Sprintf("%s is already the %s DNS server; each DNS server can be listed once.", addr, prev),
				Subject:  attr.Expr.Range().Ptr(),
			})
			continue
		}
		seen[addr] = f.name
		canon := addr.String()
		*f.dst = &canon
	}
	if content.Attributes["primary"] == nil && content.Attributes["secondary"] == nil && content.Attributes["tertiary"] == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing DNS servers",
			Detail:   "Set at least one of primary, secondary and tertiary; the ones left out keep the appliance's value.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Plan reads every target's DNS configuration and plans one change per VMstore whose
// managed servers differ.
func (t *dnsTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Client) (*runner.Change, error) {
		cur, err := c.ApplianceDNS(ctx)
		if err != nil {
			return nil, fmt.Errorf("read dns: %w", err)
		}
		before := dnsState{Primary: cur.DNSPrimary, Secondary: cur.DNSSecondary, Tertiary: cur.DNSTertiary}
		after := before
		var details, changed []string
		for _, f := range []struct {
			name string
			want *string
			cur  *string
		}{{"primary", t.primary, &after.Primary}, {"secondary", t.secondary, &after.Secondary}, {"tertiary", t.tertiary, &after.Tertiary}} {
			if f.want == nil || dnsSameAddr(*f.cur, *f.want) {
				continue
			}
			details = append(details, fmt.Sprintf("~ %s: %s → %s", f.name, dnsShow(*f.cur), *f.want))
			changed = append(changed, f.name)
			*f.cur = *f.want
		}
		if len(details) == 0 {
			return nil, nil
		}
		return &runner.Change{
			Server:  key,
			Object:  "appliance dns",
			ID:      key + "/dns",
			Action:  runner.ActionUpdate,
			Summary: "update dns " + strings.Join(changed, ", "),
			Before:  runner.MustJSON(before),
			After:   runner.MustJSON(after),
			Details: details,
		}, nil
	})
}

// Apply sends the change's merged DNS configuration to its VMstore.
func (t *dnsTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var after dnsState
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("vmstore %s: decode planned dns: %w", ch.Server, err)
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	a := tintri.Appliance{
		TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{
			TypeID:       tintri.TypeApplianceDns,
			DNSPrimary:   after.Primary,
			DNSSecondary: after.Secondary,
			DNSTertiary:  after.Tertiary,
		},
	}
	if err := c.UpdateAppliance(ctx, a, tintri.PropDNSConfig); err != nil {
		return fmt.Errorf("vmstore %s: update dns: %w", ch.Server, err)
	}
	return nil
}

// dnsSameAddr compares an appliance's DNS value with a canonical desired address.
func dnsSameAddr(cur, want string) bool {
	if a, err := netip.ParseAddr(cur); err == nil {
		return a.String() == want
	}
	return cur == want
}

func dnsShow(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}

// The helpers below are shared by the VMstore fleet kinds: appliance_dns, data_ip and
// maintenance_mode.

// applianceTargetAttrs are the attributes naming a fleet task's VMstores.
var applianceTargetAttrs = []hcl.AttributeSchema{{Name: "fleet"}, {Name: "servers"}}

// applianceDecodeTargets resolves the fleet or servers attribute of content.
func applianceDecodeTargets(dc *runner.DecodeContext, content *hcl.BodyContent) (runner.Targets, hcl.Diagnostics) {
	var fleet, servers hcl.Expression
	if a := content.Attributes["fleet"]; a != nil {
		fleet = a.Expr
	}
	if a := content.Attributes["servers"]; a != nil {
		servers = a.Expr
	}
	return dc.TargetsRef(fleet, servers)
}

// applianceClient returns the client of a VMstore target after checking it is a VMstore.
func applianceClient(ctx context.Context, env *runner.Env, key string) (*tintri.Client, error) {
	c, err := env.Client(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("vmstore %s: %w", key, err)
	}
	if err := c.RequireVMstore(ctx); err != nil {
		return nil, fmt.Errorf("vmstore %s: %w", key, err)
	}
	return c, nil
}

// applianceMembers lists the member keys of targets.
func applianceMembers(ctx context.Context, env *runner.Env, targets runner.Targets) ([]string, error) {
	members, err := env.Members(ctx, targets)
	if err != nil {
		return nil, fmt.Errorf("list vmstores: %w", err)
	}
	return members, nil
}

// applianceEach runs fn for every member concurrently (env.ForEach) with the member's
// client, once it is known to be a VMstore, and returns the error per member. fn may fill
// per-member results by index.
func applianceEach(ctx context.Context, env *runner.Env, members []string,
	fn func(ctx context.Context, i int, key string, c *tintri.Client) error) []error {
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

// applianceFleetPlan plans a task that makes at most one change per VMstore: planOne returns
// nil when the VMstore is already right. Per-VMstore errors become TaskPlan.Failed; the
// plan lists targets in member order.
func applianceFleetPlan(ctx context.Context, env *runner.Env, targets runner.Targets,
	planOne func(ctx context.Context, key string, c *tintri.Client) (*runner.Change, error)) (*runner.TaskPlan, error) {
	members, err := applianceMembers(ctx, env, targets)
	if err != nil {
		return nil, err
	}
	changes := make([]*runner.Change, len(members))
	errs := applianceEach(ctx, env, members, func(ctx context.Context, i int, key string, c *tintri.Client) error {
		ch, err := planOne(ctx, key, c)
		changes[i] = ch
		return err
	})
	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	for i, key := range members {
		switch {
		case errs[i] != nil:
			plan.Failed = append(plan.Failed, runner.Failure{Server: key, Error: errs[i].Error()})
		case changes[i] != nil:
			plan.Changes = append(plan.Changes, *changes[i])
		default:
			plan.Unchanged = append(plan.Unchanged, key)
		}
	}
	return plan, nil
}
