package tasks

import (
	"context"
	"encoding/json"
	"errors"
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
// managed and keeps the appliance's value; secondary or tertiary set to "" or null removes
// that DNS server (an appliance keeps a primary). The plan has one change per VMstore whose
// managed values differ; applying it sends the merged configuration with only "dnsConfig"
// updated.

func init() {
	runner.Register("appliance_dns", "Sets the DNS servers of every VMstore of a fleet or a list of servers.", buildApplianceDNS)
}

// dnsBody is the body of an appliance_dns task.
type dnsBody struct {
	decode.Meta
	targetsBody
	Primary   *string        `hcl:"primary,optional" doc:"The primary DNS server, an IPv4 or IPv6 address; when unset the VMstores keep theirs."`
	Secondary hcl.Expression `hcl:"secondary,optional" type:"string or null" doc:"The secondary DNS server, an IPv4 or IPv6 address; \"\" or null removes it; when unset the VMstores keep theirs."`
	Tertiary  hcl.Expression `hcl:"tertiary,optional" type:"string or null" doc:"The tertiary DNS server, an IPv4 or IPv6 address; \"\" or null removes it; when unset the VMstores keep theirs."`
}

// dnsState is the DNS configuration a plan compares and a change carries. An empty field
// is a DNS server the appliance does not have.
type dnsState struct {
	Primary   string `json:"primary,omitempty"`
	Secondary string `json:"secondary,omitempty"`
	Tertiary  string `json:"tertiary,omitempty"`
}

// dnsTask is a decoded appliance_dns block. A nil pointer is an unmanaged server, a
// pointer to "" one to remove.
type dnsTask struct {
	targets                      runner.Targets
	primary, secondary, tertiary *string
}

func buildApplianceDNS(dc *runner.DecodeContext, b *dnsBody) (runner.Task, hcl.Diagnostics) {
	t := &dnsTask{}
	targets, diags := b.targets(dc)
	t.targets = targets
	seen := map[netip.Addr]string{}
	if b.Primary != nil {
		t.primary, diags = dnsAddress(b.Attr("primary"), "primary", *b.Primary, seen, diags)
		if t.primary != nil && *t.primary == "" {
			diags = append(diags, decode.Invalid(b.Attr("primary"), "The primary DNS server cannot be removed: an appliance needs one. Leave primary unset to keep each VMstore's."))
		}
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"secondary", &t.secondary}, {"tertiary", &t.tertiary}} {
		attr := b.Attr(f.name)
		if attr == nil {
			continue
		}
		v, d := attr.Expr.Value(dc.Eval)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if v.IsNull() {
			*f.dst = new(string) // remove it
			continue
		}
		s, _, d := decode.String(attr, dc.Eval)
		if diags = append(diags, d...); !d.HasErrors() {
			*f.dst, diags = dnsAddress(attr, f.name, s, seen, diags)
		}
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

// dnsAddress checks the DNS server value of attribute name: "" (remove it), or an IP
// address listed once (seen holds the others), returned in canonical form.
func dnsAddress(attr *hcl.Attribute, name, value string, seen map[netip.Addr]string, diags hcl.Diagnostics) (*string, hcl.Diagnostics) {
	if value == "" {
		return new(string), diags
	}
	addr, err := netip.ParseAddr(value)
	if err != nil || addr.Zone() != "" {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid DNS server address",
			Detail:   fmt.Sprintf("The %s DNS server must be an IPv4 or IPv6 address, not %q.", name, value),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	if prev, dup := seen[addr]; dup {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate DNS server",
			Detail:   fmt.Sprintf("%s is already the %s DNS server; each DNS server can be listed once.", addr, prev),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	seen[addr] = name
	canon := addr.String()
	return &canon, diags
}

// Plan reads every target's DNS configuration and plans one change per VMstore whose
// managed servers differ.
func (t *dnsTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Reader) (*targetPlan, error) {
		cur, err := c.ApplianceDNS(ctx)
		if err != nil {
			return nil, fmt.Errorf("read dns: %w", err)
		}
		before := dnsState{Primary: cur.DNSPrimary, Secondary: cur.DNSSecondary, Tertiary: cur.DNSTertiary}
		after := before
		r := &targetPlan{claims: map[string]any{}}
		var details, changed, addresses []string
		for _, f := range []struct {
			name string
			want *string
			cur  *string
		}{{"primary", t.primary, &after.Primary}, {"secondary", t.secondary, &after.Secondary}, {"tertiary", t.tertiary, &after.Tertiary}} {
			if f.want == nil {
				continue
			}
			address := vmstoreAddress(c, "dns/"+f.name)
			r.claims[address] = *f.want
			if dnsSameAddr(*f.cur, *f.want) {
				continue
			}
			details = append(details, fmt.Sprintf("~ %s: %s → %s", f.name, dnsShow(*f.cur), dnsShow(*f.want)))
			changed = append(changed, f.name)
			addresses = append(addresses, address)
			*f.cur = *f.want
		}
		if len(details) > 0 {
			r.change = &plan.Change{
				Server:    key,
				Object:    "appliance dns",
				ID:        key + "/dns",
				Action:    plan.ActionUpdate,
				Summary:   "update dns " + strings.Join(changed, ", "),
				Before:    plan.MustJSON(before),
				After:     plan.MustJSON(after),
				Details:   details,
				Addresses: addresses,
			}
		}
		return r, nil
	})
}

// Apply sets the DNS servers the change changes, on top of the VMstore's DNS configuration
// as it is right before the write (guarded): a server changed since the plan that the
// change does not set is kept; one it sets that changed since is stale.
func (t *dnsTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var before, after dnsState
	if err := errors.Join(json.Unmarshal(ch.Before, &before), json.Unmarshal(ch.After, &after)); err != nil {
		return fmt.Errorf("decode planned dns: %w", err)
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	return guarded[dnsState]{
		read: func(ctx context.Context) (dnsState, error) {
			cur, err := c.ApplianceDNS(ctx)
			if err != nil {
				return dnsState{}, fmt.Errorf("read dns: %w", err)
			}
			return dnsState{Primary: cur.DNSPrimary, Secondary: cur.DNSSecondary, Tertiary: cur.DNSTertiary}, nil
		},
		merge: func(cur dnsState) (*dnsState, error) { return dnsMerge(cur, before, after) },
		write: func(ctx context.Context, next dnsState) error {
			a := tintri.Appliance{TypeID: tintri.TypeAppliance, DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns,
				DNSPrimary: next.Primary, DNSSecondary: next.Secondary, DNSTertiary: next.Tertiary}}
			if err := c.UpdateAppliance(ctx, a, tintri.PropDNSConfig); err != nil {
				return fmt.Errorf("update dns: %w", err)
			}
			return nil
		},
		verify: true, // another task may set another of the three servers at the same time
	}.run(ctx)
}

// dnsMerge returns cur with the servers that differ between before and after set to
// after's: nil when cur has them already, a stale error when one is neither.
func dnsMerge(cur, before, after dnsState) (*dnsState, error) {
	next, changed := cur, false
	for _, f := range []struct {
		name               string
		cur, before, after string
		dst                *string
	}{
		{"primary", cur.Primary, before.Primary, after.Primary, &next.Primary},
		{"secondary", cur.Secondary, before.Secondary, after.Secondary, &next.Secondary},
		{"tertiary", cur.Tertiary, before.Tertiary, after.Tertiary, &next.Tertiary},
	} {
		switch {
		case dnsSameAddr(f.before, f.after) || dnsSameAddr(f.cur, f.after):
		case dnsSameAddr(f.cur, f.before):
			*f.dst, changed = f.after, true
		default:
			return nil, stale("the "+f.name+" DNS server", dnsShow(f.cur), dnsShow(f.before))
		}
	}
	if !changed {
		return nil, nil
	}
	return &next, nil
}

// dnsSameAddr compares two DNS server values: as addresses when both are, else as text.
func dnsSameAddr(a, b string) bool {
	x, errA := netip.ParseAddr(a)
	y, errB := netip.ParseAddr(b)
	if errA == nil && errB == nil {
		return x == y
	}
	return a == b
}

func dnsShow(s string) string {
	if s == "" {
		return "(unset)"
	}
	return s
}
