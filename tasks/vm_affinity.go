package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// vm_affinity sets the migration-affinity rule of the VMs a TGC manages (v310.51+):
//
//	task "vm_affinity" "vdi-stay" {
//	  server           = server.tgc
//	  name_contains    = "vdi"             # any of these select (a union):
//	  # name_regex     = "^sql-prod-\\d+$" #   Go RE2, unanchored unless anchored
//	  # name_glob      = "web-0*"          #   path.Match syntax
//	  # service_group  = "VDI"             #   members of the group
//	  # vms            = ["web-017"]       #   exact names
//	  # vms_csv        = "vms.csv"         #   exact names from a file (vms_csv_column picks a column)
//	  exclude_names    = ["vdi-0001", "vdi-9*"]   # exact names or globs
//	  rule             = "exclude_vmstores"       # "never", "exclude_vmstores" or "clear"
//	  exclude_vmstores = ["vmstore-1"]            # hostname or local alias; iff exclude_vmstores
//	  allow_empty      = false                    # an empty selection is an error unless true
//	}
//
// name_contains compares case-insensitively, like the server's name filter (and the
// vendor script that relies on it): "vdi" selects VDI-01 and my-vdi alike. name_regex and
// name_glob are case-sensitive unless the pattern says otherwise ((?i) for a regex).
//
// The plan reads the VMs in one paged listing trimmed to uuid, vmware, affinityRule and
// vmstoreName (plus one listing of the group's members, by the serviceGroupIds filter,
// when service_group is combined with other criteria), never one request per VM. It has
// one change per selected VM whose rule differs; the order of VMstores does not matter.

func init() {
	runner.Register("vm_affinity", "Sets the migration-affinity rule of the VMs a TGC manages, selected by name, service group or list (v310.51+).", buildVMAffinity)
}

// affinityMinVersion is the API version that introduced PUT /v310/vm/{id}/affinity.
const affinityMinVersion = "v310.51"

// The rule attribute's values.
const (
	ruleNever           = "never"
	ruleExcludeVMstores = "exclude_vmstores"
)

// affinityFields are the VM fields a plan lists.
var affinityFields = []string{"uuid", "vmware", "affinityRule", "vmstoreName"}

// affinityBody is the body of a vm_affinity task.
type affinityBody struct {
	decode.Meta
	tgcBody
	vmSelectionBody
	Rule            string   `hcl:"rule" enum:"never,exclude_vmstores,clear" doc:"The rule the selected VMs get: \"never\" (never migrate), \"exclude_vmstores\" (never to the VMstores listed) or \"clear\" (no rule)."`
	ExcludeVMstores []string `hcl:"exclude_vmstores,optional" doc:"The VMstores the VMs must not move to, by hostname or local alias; only with rule = \"exclude_vmstores\"."`
}

// affinityTask is a decoded vm_affinity block.
type affinityTask struct {
	server   string
	vms      vmSelection
	rule     string
	vmstores []string // exclude_vmstores as written
}

// affinityState is a VM's rule as plans compare it: RuleType "" is no rule; VMstores
// are sorted uuids (only with EXCLUDE_DATASTORES).
type affinityState struct {
	Rule     string   `json:"rule"`
	VMstores []string `json:"vmstores,omitempty"`
}

func buildVMAffinity(dc *runner.DecodeContext, b *affinityBody) (runner.Task, hcl.Diagnostics) {
	t := &affinityTask{rule: b.Rule, vmstores: b.ExcludeVMstores}
	server, diags := b.server(dc)
	t.server = server
	vms, d := b.selection(dc, &b.Meta)
	diags = append(diags, d...)
	t.vms = vms
	attr := b.Attr("exclude_vmstores")
	switch {
	case attr != nil && b.Rule != ruleExcludeVMstores:
		diags = append(diags, attrError(attr, "Unexpected exclude_vmstores",
			"The exclude_vmstores attribute only goes with rule = %q; this rule is %q.", ruleExcludeVMstores, b.Rule))
	case attr != nil:
		if len(b.ExcludeVMstores) == 0 {
			diags = append(diags, attrError(attr, "Empty exclude_vmstores", "The exclude_vmstores attribute must list at least one VMstore."))
		}
		for _, s := range b.ExcludeVMstores {
			if strings.TrimSpace(s) == "" {
				diags = append(diags, decode.Invalid(attr, "The exclude_vmstores attribute must not hold empty names."))
				break
			}
		}
	case b.Rule == ruleExcludeVMstores:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing exclude_vmstores",
			Detail:   fmt.Sprintf("The rule %q needs exclude_vmstores: the VMstores the VMs must not move to.", ruleExcludeVMstores),
			Subject:  b.Range("rule").Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Plan lists the VMs, selects them and plans one change per selected VM whose rule
// differs from the wanted one.
func (t *affinityTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	c, err := tgcClient(ctx, env.Client, t.server)
	if err != nil {
		return nil, err
	}
	if err := c.RequireVersion(ctx, affinityMinVersion); err != nil {
		return nil, fmt.Errorf("tgc %s: vm affinity: %w", t.server, err)
	}
	want := affinityState{}
	storeNames := map[string]string{} // uuid -> display name
	switch t.rule {
	case ruleNever:
		want.Rule = tintri.AffinityNever
	case ruleExcludeVMstores:
		want.Rule = tintri.AffinityExcludeDatastores
		want.VMstores, storeNames, err = resolveVMstores(ctx, c, t.vmstores)
		if err != nil {
			return nil, fmt.Errorf("tgc %s: %w", t.server, err)
		}
	}
	vms, warnings, err := t.vms.pick(ctx, c, t.server, affinityFields)
	if err != nil {
		return nil, err
	}
	tp := &plan.TaskPlan{Changes: []plan.Change{}, Warnings: warnings}
	for _, vm := range vms {
		cur := normalizeAffinity(vm.AffinityRule)
		object := "vm " + vm.Name()
		if cur.Rule == want.Rule && slices.Equal(cur.VMstores, want.VMstores) {
			tp.Unchanged = append(tp.Unchanged, object)
			continue
		}
		action := plan.ActionUpdate
		switch {
		case cur.Rule == "":
			action = plan.ActionCreate
		case want.Rule == "":
			action = plan.ActionDelete
		}
		tp.Changes = append(tp.Changes, plan.Change{
			Server:  t.server,
			Object:  object,
			ID:      vm.ID(),
			Action:  action,
			Summary: fmt.Sprintf("affinity %s → %s", showAffinity(cur, storeNames), showAffinity(want, storeNames)),
			Before:  plan.MustJSON(cur),
			After:   plan.MustJSON(want),
		})
	}
	tp.Info = append(tp.Info, fmt.Sprintf("%d VMs selected", len(vms)))
	return tp, nil
}

// affinityNone is the affinityRuleTypes filter's name for "no rule". The reference's rule
// DTO has no such type, but a server echoing it must not make every plan clear the rule.
const affinityNone = "NONE"

// normalizeAffinity turns a VM's rule into its comparable form: no rule (nil, an empty
// or "NONE" type), NEVER, or EXCLUDE_DATASTORES with its VMstores sorted and distinct.
func normalizeAffinity(r *tintri.VirtualMachineAffinityRule) affinityState {
	if r == nil || r.RuleType == "" || r.RuleType == affinityNone {
		return affinityState{}
	}
	st := affinityState{Rule: r.RuleType}
	if r.RuleType == tintri.AffinityExcludeDatastores {
		st.VMstores = slices.Clone(r.VmstoreTintriUuids)
		sort.Strings(st.VMstores)
		st.VMstores = slices.Compact(st.VMstores)
	}
	return st
}

// showAffinity renders a rule for a change summary.
func showAffinity(st affinityState, names map[string]string) string {
	switch st.Rule {
	case "":
		return "none"
	case tintri.AffinityExcludeDatastores:
		shown := make([]string, len(st.VMstores))
		for i, id := range st.VMstores {
			shown[i] = id
			if n, ok := names[id]; ok {
				shown[i] = n
			}
		}
		return st.Rule + "(" + strings.Join(shown, ", ") + ")"
	}
	return st.Rule
}

// Apply sets the VM's rule to the planned one.
func (t *affinityTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var after affinityState
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("%s: decode planned affinity: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env.Client, ch.Server)
	if err != nil {
		return err
	}
	rule := tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: after.Rule, VmstoreTintriUuids: after.VMstores}
	if err := c.SetVMAffinity(ctx, ch.ID, rule); err != nil {
		return fmt.Errorf("tgc %s: %s: set affinity: %w", ch.Server, ch.Object, err)
	}
	return nil
}
