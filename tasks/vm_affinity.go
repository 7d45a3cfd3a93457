package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
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
	runner.Register(runner.Kind{Name: "vm_affinity", Decode: decodeVMAffinity})
}

// affinityMinVersion is the API version that introduced PUT /v310/vm/{id}/affinity.
const affinityMinVersion = "v310.51"

// The rule attribute's values.
const (
	ruleNever           = "never"
	ruleExcludeVMstores = "exclude_vmstores"
	ruleClear           = "clear"
)

var affinitySchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "server", Required: true},
		{Name: "name_contains"},
		{Name: "name_regex"},
		{Name: "name_glob"},
		{Name: "service_group"},
		{Name: "vms"},
		{Name: "vms_csv"},
		{Name: "vms_csv_column"},
		{Name: "exclude_names"},
		{Name: "rule", Required: true},
		{Name: "exclude_vmstores"},
		{Name: "allow_empty"},
	},
}

// affinityTask is a decoded vm_affinity block.
type affinityTask struct {
	server     string
	sel        nameSelector
	group      string
	listed     []nameSource // vms and vms_csv names, for unknown-name warnings
	rule       string
	vmstores   []string // exclude_vmstores as written
	allowEmpty bool
}

// affinityState is a VM's rule as plans compare it: RuleType "" is no rule; VMstores
// are sorted uuids (only with EXCLUDE_DATASTORES).
type affinityState struct {
	Rule     string   `json:"rule"`
	VMstores []string `json:"vmstores,omitempty"`
}

func decodeVMAffinity(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(affinitySchema)
	t := &affinityTask{}
	server, d := decodeTGCServer(dc, content)
	diags = append(diags, d...)
	t.server = server
	diags = append(diags, t.decodeSelection(dc, content)...)
	if attr := content.Attributes["rule"]; attr != nil {
		s, d := evalEnum(dc, attr, ruleNever, ruleExcludeVMstores, ruleClear)
		diags = append(diags, d...)
		t.rule = s
	}
	if attr := content.Attributes["allow_empty"]; attr != nil {
		b, d := evalBool(dc, attr)
		diags = append(diags, d...)
		t.allowEmpty = b
	}
	attr := content.Attributes["exclude_vmstores"]
	switch {
	case attr != nil && t.rule != ruleExcludeVMstores && t.rule != "":
		diags = append(diags, attrDiag(attr, "Unexpected exclude_vmstores",
			fmt.Sprintf("The exclude_vmstores attribute only goes with rule = %q; this rule is %q.", ruleExcludeVMstores, t.rule)))
	case attr != nil:
		list, d := evalStrings(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() && len(list) == 0 {
			diags = append(diags, attrDiag(attr, "Empty exclude_vmstores", "The exclude_vmstores attribute must list at least one VMstore."))
		}
		for _, s := range list {
			if strings.TrimSpace(s) == "" {
				diags = append(diags, attrDiag(attr, "Invalid exclude_vmstores", "The exclude_vmstores attribute must not hold empty names."))
				break
			}
		}
		t.vmstores = list
	case t.rule == ruleExcludeVMstores:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing exclude_vmstores",
			Detail:   fmt.Sprintf("The rule %q needs exclude_vmstores: the VMstores the VMs must not move to.", ruleExcludeVMstores),
			Subject:  content.Attributes["rule"].Expr.Range().Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// decodeSelection decodes the selection attributes into t.sel, t.group and t.listed.
func (t *affinityTask) decodeSelection(dc *runner.DecodeContext, content *hcl.BodyContent) hcl.Diagnostics {
	var diags hcl.Diagnostics
	criteria := 0
	if attr := content.Attributes["name_contains"]; attr != nil {
		criteria++
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() && s == "" {
			diags = append(diags, attrDiag(attr, "Invalid name_contains", "The name_contains attribute must not be empty: it would select every VM."))
		}
		t.sel.Contains = s
	}
	if attr := content.Attributes["name_regex"]; attr != nil {
		criteria++
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			re, err := regexp.Compile(s)
			if err != nil {
				diags = append(diags, attrDiag(attr, "Invalid name_regex", fmt.Sprintf("The name_regex attribute is not a valid regular expression: %s.", err)))
			}
			t.sel.Regex = re
		}
	}
	if attr := content.Attributes["name_glob"]; attr != nil {
		criteria++
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			if _, err := path.Match(s, ""); err != nil || s == "" {
				diags = append(diags, attrDiag(attr, "Invalid name_glob", fmt.Sprintf("The name_glob attribute %q is not a valid glob pattern (path.Match syntax).", s)))
			}
		}
		t.sel.Glob = s
	}
	if attr := content.Attributes["service_group"]; attr != nil {
		criteria++
		s, d := evalServiceGroupName(dc, attr)
		diags = append(diags, d...)
		t.group = s
	}
	if content.Attributes["vms"] != nil || content.Attributes["vms_csv"] != nil || content.Attributes["vms_csv_column"] != nil {
		criteria++
		names, d := decodeVMNames(dc, content, "vms_csv", "vms_csv_column", "vms")
		diags = append(diags, d...)
		t.listed = names
		t.sel.Names = map[string]bool{}
		for _, n := range names {
			t.sel.Names[n.Name] = true
		}
	}
	if attr := content.Attributes["exclude_names"]; attr != nil {
		list, d := evalStrings(dc, attr)
		diags = append(diags, d...)
		for _, e := range list {
			if _, err := path.Match(e, ""); err != nil || e == "" {
				diags = append(diags, attrDiag(attr, "Invalid exclude_names",
					fmt.Sprintf("The exclude_names entry %q is not a valid glob pattern (path.Match syntax); write \\[ to match a literal [.", e)))
			}
		}
		t.sel.Exclude = list
	}
	if criteria == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing VM selection",
			Detail:   "Select VMs with at least one of name_contains, name_regex, name_glob, service_group, vms and vms_csv.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	return diags
}

// Plan lists the VMs, selects them and plans one change per selected VM whose rule
// differs from the wanted one.
func (t *affinityTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	c, err := tgcClient(ctx, env, t.server)
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
	vms, err := t.selectVMs(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("tgc %s: %w", t.server, err)
	}
	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	seenNames := map[string]bool{}
	for _, vm := range vms {
		seenNames[vm.Name()] = true
	}
	for _, n := range t.listed {
		if !seenNames[n.Name] {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("VM %q (%s) not found on %s", n.Name, n.Where, t.server))
		}
	}
	if len(vms) == 0 && !t.allowEmpty {
		return nil, fmt.Errorf("tgc %s: no VM matches the selection (set allow_empty = true if that is expected)", t.server)
	}
	for _, vm := range vms {
		cur := normalizeAffinity(vm.AffinityRule)
		object := "vm " + vm.Name()
		if cur.Rule == want.Rule && slices.Equal(cur.VMstores, want.VMstores) {
			plan.Unchanged = append(plan.Unchanged, object)
			continue
		}
		action := runner.ActionUpdate
		switch {
		case cur.Rule == "":
			action = runner.ActionCreate
		case want.Rule == "":
			action = runner.ActionDelete
		}
		plan.Changes = append(plan.Changes, runner.Change{
			Server:  t.server,
			Object:  object,
			ID:      vm.ID(),
			Action:  action,
			Summary: fmt.Sprintf("affinity %s → %s", showAffinity(cur, storeNames), showAffinity(want, storeNames)),
			Before:  runner.MustJSON(cur),
			After:   runner.MustJSON(want),
		})
	}
	plan.Info = append(plan.Info, fmt.Sprintf("%d VMs selected", len(vms)))
	return plan, nil
}

// selectVMs returns the selected VMs, sorted by name then uuid.
func (t *affinityTask) selectVMs(ctx context.Context, c *tintri.Client) ([]tintri.VirtualMachine, error) {
	fields := []string{"uuid", "vmware", "affinityRule", "vmstoreName"}
	nameOnly := t.sel.Regex == nil && t.sel.Glob == "" && t.sel.Names == nil
	filter := tintri.VMFilter{IncludeFields: fields}
	var groupMembers map[string]bool // nil: no service_group criterion
	if t.group != "" {
		g, err := findServiceGroup(ctx, c, t.group)
		if err != nil {
			return nil, err
		}
		if nameOnly && t.sel.Contains == "" {
			// The group is the only criterion: the server filters the listing.
			filter.ServiceGroupIDs = []string{g.ID()}
		} else {
			groupMembers = map[string]bool{}
			err := c.EachVM(ctx, tintri.VMFilter{ServiceGroupIDs: []string{g.ID()}, IncludeFields: []string{"uuid"}},
				func(vm *tintri.VirtualMachine) error { groupMembers[vm.ID()] = true; return nil })
			if err != nil {
				return nil, fmt.Errorf("list members of service group %q: %w", g.Name, err)
			}
		}
	} else if nameOnly {
		// name_contains is the only criterion: the server's name filter narrows the
		// listing; matches re-checks it so the result never depends on the server.
		filter.Name = t.sel.Contains
	}
	var out []tintri.VirtualMachine
	err := c.EachVM(ctx, filter, func(vm *tintri.VirtualMachine) error {
		name := vm.Name()
		if name == "" || vm.ID() == "" || t.sel.excluded(name) {
			return nil
		}
		if len(filter.ServiceGroupIDs) > 0 || t.sel.included(name) || groupMembers[vm.ID()] {
			out = append(out, *vm)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list vms: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name() != out[j].Name() {
			return out[i].Name() < out[j].Name()
		}
		return out[i].ID() < out[j].ID()
	})
	return out, nil
}

// resolveVMstores maps VMstore names (hostname or local alias) to sorted uuids, and
// uuids to display names. An unknown name is an error listing the closest names.
func resolveVMstores(ctx context.Context, c *tintri.Client, names []string) ([]string, map[string]string, error) {
	stores, err := c.ListVMstores(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list vmstores: %w", err)
	}
	display := map[string]string{}
	var known []string
	uuids := map[string]bool{}
	for _, n := range names {
		found := false
		for _, s := range stores {
			if s.UUID.ID() != "" && (s.Hostname == n || s.LocalAlias == n) {
				uuids[s.UUID.ID()] = true
				display[s.UUID.ID()] = n
				found = true
				break
			}
		}
		if !found {
			if known == nil {
				for _, s := range stores {
					known = append(known, s.Hostname)
					if s.LocalAlias != "" {
						known = append(known, s.LocalAlias)
					}
				}
			}
			return nil, nil, fmt.Errorf("vmstore %q not found among the TGC's VMstores%s", n, didYouMean(n, known))
		}
	}
	return sortedNames(uuids), display, nil
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
func (t *affinityTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var after affinityState
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("%s: decode planned affinity: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	rule := tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: after.Rule, VmstoreTintriUuids: after.VMstores}
	if err := c.SetVMAffinity(ctx, ch.ID, rule); err != nil {
		return fmt.Errorf("tgc %s: %s: set affinity: %w", ch.Server, ch.Object, err)
	}
	return nil
}
