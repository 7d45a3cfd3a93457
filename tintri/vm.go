package tintri

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// AffinityMinVersion is the API version that introduced PUT /v310/vm/{vmId}/affinity.
const AffinityMinVersion = "v310.51"

// qosProperties are the VirtualMachineQoSConfig properties SetVMQoS updates.
var qosProperties = []string{"minNormalizedIops", "maxNormalizedIops"}

// VMFilter selects and trims the VMs of GET /v310/vm (VirtualMachineFilterSpec).
type VMFilter struct {
	Name              string   // "name": VM name contains
	ServiceGroupIDs   []string // "serviceGroupIds"; TGC only
	AffinityRuleTypes []string // "affinityRuleTypes" (NONE, NEVER, EXCLUDE_DATASTORES); TGC only
	IncludeFields     []string // "includeFields", e.g. uuid, vmware: the only fields sent and kept
	Limit             int      // page size; 0 => the server's default (2000)
}

// query renders the filter as query parameters (multi-valued ones comma-separated).
func (f VMFilter) query() url.Values {
	q := url.Values{}
	if f.Name != "" {
		q.Set("name", f.Name)
	}
	if len(f.ServiceGroupIDs) > 0 {
		q.Set("serviceGroupIds", strings.Join(f.ServiceGroupIDs, ","))
	}
	if len(f.AffinityRuleTypes) > 0 {
		q.Set("affinityRuleTypes", strings.Join(f.AffinityRuleTypes, ","))
	}
	if len(f.IncludeFields) > 0 {
		q.Set("includeFields", strings.Join(f.IncludeFields, ","))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	return q
}

// EachVM calls fn for every VM matching f, in the server's order, fetching pages
// concurrently once the total is known. fn's error stops the listing and is returned as is.
// The reference marks the serviceGroupIds and affinityRuleTypes filters TgcOnly: with either
// set, a VMstore is refused before any listing, since a server ignoring the filter would
// answer every VM.
func (c *Reader) EachVM(ctx context.Context, f VMFilter, fn func(*VirtualMachine) error) error {
	if len(f.ServiceGroupIDs) > 0 || len(f.AffinityRuleTypes) > 0 {
		if err := c.RequireTGC(ctx); err != nil {
			return fmt.Errorf("list vms by service group or affinity rule type: %w", err)
		}
	}
	return eachItem(ctx, c.conn, listing{op: "list vms", path: "/v310/vm", route: "/v310/vm", query: f.query()}, fn)
}

// ListVMs returns every VM matching f.
func (c *Reader) ListVMs(ctx context.Context, f VMFilter) ([]VirtualMachine, error) {
	var out []VirtualMachine
	err := c.EachVM(ctx, f, func(vm *VirtualMachine) error {
		out = append(out, *vm)
		return nil
	})
	return out, err
}

// GetVM returns one VM by its Tintri uuid (GET /v310/vm/{vmId}).
func (c *Reader) GetVM(ctx context.Context, id string) (*VirtualMachine, error) {
	var vm VirtualMachine
	err := c.do(ctx, &call{
		method: http.MethodGet, path: "/v310/vm/" + url.PathEscape(id), route: "/v310/vm/{id}",
		auth: true, idempotent: true, decode: decodeJSON(&vm),
	})
	if err != nil {
		return nil, err
	}
	return &vm, nil
}

// SetVMAffinity sets a VM's affinity rule (PUT /v310/vm/{vmId}/affinity; TGC only, since
// v310.51); a rule without RuleType clears it. A rule the reference calls invalid (see
// ValidateAffinityRule) is refused before any request. The PUT is idempotent and retried.
func (c *Client) SetVMAffinity(ctx context.Context, id string, rule VirtualMachineAffinityRule) error {
	if err := ValidateAffinityRule(rule); err != nil {
		return fmt.Errorf("%s: set affinity of vm %s: %w", c.host, id, err)
	}
	if err := c.RequireTGC(ctx); err != nil {
		return fmt.Errorf("set affinity of vm %s: %w", id, err)
	}
	if err := c.RequireVersion(ctx, AffinityMinVersion); err != nil {
		return fmt.Errorf("set affinity of vm %s: %w", id, err)
	}
	rule.TypeID = TypeAffinityRule
	body, err := c.marshal("set vm affinity", rule)
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		method: http.MethodPut, path: "/v310/vm/" + url.PathEscape(id) + "/affinity", route: "/v310/vm/{id}/affinity",
		body: body, auth: true, idempotent: true,
	})
}

// ValidateAffinityRule checks rule against the reference: NEVER rules must have an empty
// list of VMstores, EXCLUDE_DATASTORES rules a non-empty one, and an empty rule (no
// RuleType), which clears the VM's rule, names no VMstores.
func ValidateAffinityRule(rule VirtualMachineAffinityRule) error {
	n := len(rule.VmstoreTintriUuids)
	switch rule.RuleType {
	case "":
		if n > 0 {
			return fmt.Errorf("affinity rule without ruleType clears the rule and takes no vmstores, got %d", n)
		}
	case AffinityNever:
		if n > 0 {
			return fmt.Errorf("affinity rule %s must have an empty list of vmstores, got %d", AffinityNever, n)
		}
	case AffinityExcludeDatastores:
		if n == 0 {
			return fmt.Errorf("affinity rule %s needs at least one vmstore uuid", AffinityExcludeDatastores)
		}
		for _, u := range rule.VmstoreTintriUuids {
			if u == "" {
				return fmt.Errorf("affinity rule %s: empty vmstore uuid", AffinityExcludeDatastores)
			}
		}
	default:
		return fmt.Errorf("affinity rule type %q is not %s or %s", rule.RuleType, AffinityNever, AffinityExcludeDatastores)
	}
	return nil
}

// SetVMQoS sets the min and max normalized IOPS of the VMs ids (PUT /v310/vm/qosConfig,
// a MultipleSelectionRequest; VMstore only). The PUT is idempotent and retried.
func (c *Client) SetVMQoS(ctx context.Context, ids []string, qos VirtualMachineQoSConfig) error {
	if err := c.RequireVMstore(ctx); err != nil {
		return fmt.Errorf("set qos of %d vms: %w", len(ids), err)
	}
	qos.TypeID = TypeQoSConfig
	nv, err := c.marshal("set vm qos", qos)
	if err != nil {
		return err
	}
	body, err := c.marshal("set vm qos", MultipleSelectionRequest{
		TypeID: TypeMultipleSelectionRequest, IDs: nonNil(ids), NewValue: json.RawMessage(nv), PropertyNames: qosProperties,
	})
	if err != nil {
		return err
	}
	return c.do(ctx, &call{
		method: http.MethodPut, path: "/v310/vm/qosConfig", route: "/v310/vm/qosConfig",
		body: body, auth: true, idempotent: true,
	})
}

// nonNil makes a nil slice encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
