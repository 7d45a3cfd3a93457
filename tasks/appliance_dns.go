package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
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
	runner.Register("appliance_dns", "Sets the DNS servers of every VMstore of a fleet or a list of servers.", buildApplianceDNS)
}

// dnsBody is the body of an appliance_dns task.
type dnsBody struct {
	decode.Meta
	targetsBody
	Primary   *string `hcl:"primary,optional" doc:"The primary DNS server, an IPv4 or IPv6 address; when unset the VMstores keep theirs."`
	Secondary *string `hcl:"secondary,optional" doc:"The secondary DNS server, an IPv4 or IPv6 address; when unset the VMstores keep theirs."`
	Tertiary  *string `hcl:"tertiary,optional" doc:"The tertiary DNS server, an IPv4 or IPv6 address; when unset the VMstores keep theirs."`
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

func buildApplianceDNS(dc *runner.DecodeContext, b *dnsBody) (runner.Task, hcl.Diagnostics) {
	t := &dnsTask{}
	targets, diags := b.targets(dc)
	t.targets = targets

	seen := map[netip.Addr]string{}
	for _, f := range []struct {
		name string
		val  *string
		dst  **string
	}{{"primary", b.Primary, &t.primary}, {"secondary", b.Secondary, &t.secondary}, {"tertiary", b.Tertiary, &t.tertiary}} {
		if f.val == nil {
			continue
		}
		attr := b.Attr(f.name)
		addr, err := netip.ParseAddr(*f.val)
		if err != nil || addr.Zone() != "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid DNS server address",
				Detail:   fmt.Sprintf("The %s DNS server must be an IPv4 or IPv6 address, not %q.", f.name, *f.val),
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
	if b.Primary == nil && b.Secondary == nil && b.Tertiary == nil {
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
func (t *dnsTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Reader) (*plan.Change, error) {
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
		return &plan.Change{
			Server:  key,
			Object:  "appliance dns",
			ID:      key + "/dns",
			Action:  plan.ActionUpdate,
			Summary: "update dns " + strings.Join(changed, ", "),
			Before:  plan.MustJSON(before),
			After:   plan.MustJSON(after),
			Details: details,
		}, nil
	})
}

// Apply sends the change's merged DNS configuration to its VMstore.
func (t *dnsTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
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
