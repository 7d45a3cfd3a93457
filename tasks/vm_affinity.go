package tasks

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
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
// The plan reads the VMs in one paged listing trimmed to uuid, vmware (the name) and
// affinityRule (plus one listing of the group's members, by the serviceGroupIds filter,
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
var affinityFields = []string{"uuid", "vmware", "affinityRule"}

// affinityBody is the body of a vm_affinity task.
type affinityBody struct {
	decode.Meta
	tgcBody
	vmSelectionBody
	Rule            string      `hcl:"rule" enum:"never,exclude_vmstores,clear" doc:"The rule the selected VMs get: \"never\" (never migrate), \"exclude_vmstores\" (never to the VMstores listed) or \"clear\" (no rule)."`
	ExcludeVMstores []string    `hcl:"exclude_vmstores,optional" doc:"The VMstores the VMs must not move to, by hostname or local alias; only with rule = \"exclude_vmstores\"."`
	Mode            string      `hcl:"mode,optional" enum:"add,exact" default:"add" doc:"\"add\" sets the rule on the selected VMs; \"exact\" also clears it from the VMs of the scope that carry this rule but are no longer selected."`
	Scope           []scopeBody `hcl:"scope,block" doc:"With mode = \"exact\": the VMs the task owns, selected with the same attributes as the task (default: every VM of the TGC)."`
}

// scopeBody is a scope block: the VMs a task in mode exact owns.
type scopeBody struct {
	decode.Meta
	vmSelectionBody
}

// affinityTask is a decoded vm_affinity block.
type affinityTask struct {
	server   string
	vms      vmSelection
	rule     string
	vmstores []string // exclude_vmstores as written
	exact    bool
	scope    *vmSelection // mode exact: nil is every VM of the TGC
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
	diags = append(diags, t.decodeMode(dc, b)...)
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

// decodeMode checks mode and the scope block: mode exact owns a rule, so it cannot go with
// rule = "clear", and a scope only means something in mode exact.
func (t *affinityTask) decodeMode(dc *runner.DecodeContext, b *affinityBody) hcl.Diagnostics {
	t.exact = b.Mode == "exact"
	var diags hcl.Diagnostics
	switch {
	case t.exact && b.Rule == "clear":
		return append(diags, attrError(b.Attr("mode"), "Nothing to own",
			"mode = \"exact\" clears this task's rule from the VMs it no longer selects; with rule = \"clear\" there is no rule to own."))
	case len(b.Scope) > 1:
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Duplicate scope",
			Detail: "A task has at most one scope block.", Subject: b.Scope[1].DefRange.Ptr()})
	case len(b.Scope) == 1 && !t.exact:
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Scope without mode exact",
			Detail: "A scope names the VMs a task in mode = \"exact\" owns; set mode = \"exact\" or remove it.", Subject: b.Scope[0].DefRange.Ptr()})
	case len(b.Scope) == 1:
		sc := &b.Scope[0]
		scope, d := sc.selection(&runner.DecodeContext{Eval: dc.Eval, Job: dc.Job, Task: dc.Task, DefRange: sc.DefRange, Config: dc.Config}, &sc.Meta)
		diags = append(diags, d...)
		scope.allowEmpty = true
		t.scope = &scope
	}
	return diags
}

// Plan lists the VMs, selects them and plans one change per selected VM whose rule
// differs from the wanted one; in mode exact also one per VM of the scope that carries the
// rule but is no longer selected, which gets it cleared. The VMs are planned as the
// listing delivers them, so that a plan over a whole TGC keeps its changes and claims, not
// its VMs.
func (t *affinityTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	c, err := tgcClient(ctx, env.Client, t.server)
	if err != nil {
		return nil, err
	}
	if err := c.RequireVersion(ctx, affinityMinVersion); err != nil {
		return nil, fmt.Errorf("server %s: vm affinity: %w", t.server, err)
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
			return nil, fmt.Errorf("server %s: %w", t.server, err)
		}
	}
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	sel := &affinityPlanner{t: t, tp: tp, want: want, names: storeNames, listAll: env.ListUnchanged}
	clear := &affinityPlanner{t: t, tp: tp, want: affinityState{}, names: storeNames, listAll: env.ListUnchanged}
	if err := t.planVMs(ctx, c, sel, clear); err != nil {
		return nil, err
	}
	sortChanges(sel.changes)
	sortChanges(clear.changes)
	tp.Changes = append(sel.changes, clear.changes...)
	if sel.unnamed || clear.unnamed {
		if err := nameCurrentVMstores(ctx, c, tp.Changes, storeNames); err != nil {
			return nil, fmt.Errorf("server %s: %w", t.server, err)
		}
	}
	sort.Strings(tp.Unchanged)
	tp.Info = append(tp.Info, plural(sel.n, "VM", "VMs")+" selected")
	if t.exact {
		tp.Info = append(tp.Info, fmt.Sprintf("%s of the scope no longer selected %s the rule", plural(clear.n, "VM", "VMs"),
			map[bool]string{true: "loses", false: "lose"}[clear.n == 1]))
	}
	return tp, nil
}

// planVMs lists the VMs once and plans each selected one with sel and, in mode exact,
// each other VM of the scope carrying the rule with clear; it adds the selection's
// warnings to the plan.
func (t *affinityTask) planVMs(ctx context.Context, c *tintri.Reader, sel, clear *affinityPlanner) error {
	var warnings []plan.Warning
	var err error
	if t.exact {
		warnings, err = t.vms.visitScoped(ctx, c, t.server, affinityFields, t.scope, func(vm *tintri.VirtualMachine, in bool) {
			switch {
			case in:
				sel.vm(vm)
			case normalizeAffinity(vm.AffinityRule).equal(sel.want):
				clear.vm(vm)
			}
		})
	} else {
		warnings, err = t.vms.visit(ctx, c, t.server, affinityFields, sel.vm)
	}
	for _, w := range warnings {
		sel.tp.Warn(w)
	}
	return err
}

// affinityPlanner plans VMs that should have the rule want, into tp and changes.
type affinityPlanner struct {
	t       *affinityTask
	tp      *plan.TaskPlan
	want    affinityState
	names   map[string]string // VMstore uuid -> display name
	listAll bool              // name every unchanged VM (plan -detail)
	n       int               // VMs planned
	claim   string            // want as a claim, marshalled once
	changes []plan.Change
	unnamed bool // a change's current rule names a VMstore names lacks
}

// vm claims want for vm and plans a change when its rule differs. The rule is an
// attribute of the VM: setting, changing and clearing it all update the VM, which neither
// appears nor disappears.
func (p *affinityPlanner) vm(vm *tintri.VirtualMachine) {
	if p.claim == "" {
		p.claim = string(plan.MustJSON(p.want))
	}
	p.n++
	address := "tgc/vm/" + vm.ID() + "/affinity"
	p.tp.ClaimJSON(address, p.claim)
	cur := normalizeAffinity(vm.AffinityRule)
	object := "vm " + vm.Name()
	if cur.equal(p.want) {
		p.tp.AddUnchanged(object, p.listAll)
		return
	}
	for _, id := range cur.VMstores {
		_, known := p.names[id]
		p.unnamed = p.unnamed || !known
	}
	p.changes = append(p.changes, plan.Change{
		Server:    p.t.server,
		Object:    object,
		ID:        vm.ID(),
		Action:    plan.ActionUpdate,
		Summary:   affinitySummary(cur, p.want, p.names),
		Before:    plan.MustJSON(cur),
		After:     plan.MustJSON(p.want),
		Addresses: []string{address},
	})
}

// affinitySummary is the summary of a change of rule from cur to want.
func affinitySummary(cur, want affinityState, names map[string]string) string {
	return fmt.Sprintf("affinity %s → %s", showAffinity(cur, names), showAffinity(want, names))
}

// nameCurrentVMstores adds to names (uuid → name) the TGC's VMstores that the changes'
// current rules exclude and the configuration does not name, and renders the changes'
// summaries again, so that plans show those VMstores by name rather than by uuid.
func nameCurrentVMstores(ctx context.Context, c *tintri.Reader, changes []plan.Change, names map[string]string) error {
	stores, err := c.ListVMstores(ctx)
	if err != nil {
		return fmt.Errorf("list vmstores: %w", err)
	}
	for _, s := range stores {
		if _, known := names[s.UUID.ID()]; !known && s.UUID.ID() != "" {
			names[s.UUID.ID()] = cmp.Or(s.LocalAlias, s.Hostname)
		}
	}
	for i := range changes {
		var cur, want affinityState
		if err := errors.Join(json.Unmarshal(changes[i].Before, &cur), json.Unmarshal(changes[i].After, &want)); err != nil {
			return fmt.Errorf("change of %s: %w", changes[i].Object, err)
		}
		changes[i].Summary = affinitySummary(cur, want, names)
	}
	return nil
}

// sortChanges sorts the changes of VMs by name then uuid.
func sortChanges(cs []plan.Change) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Object != cs[j].Object {
			return cs[i].Object < cs[j].Object
		}
		return cs[i].ID < cs[j].ID
	})
}

// currentRules lists the rules of the VMs changes names, on the TGC c, in one listing.
func currentRules(ctx context.Context, c *tintri.Client, changes []plan.Change) (map[string]affinityState, error) {
	wanted := make(map[string]bool, len(changes))
	for _, ch := range changes {
		wanted[ch.ID] = true
	}
	rules := make(map[string]affinityState, len(changes))
	err := c.EachVM(ctx, tintri.VMFilter{IncludeFields: []string{"uuid", "affinityRule"}}, func(vm *tintri.VirtualMachine) error {
		if id := vm.ID(); wanted[id] {
			rules[id] = normalizeAffinity(vm.AffinityRule)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the rules of the vms: %w", err)
	}
	return rules, nil
}

// equal reports whether two rules are the same.
func (a affinityState) equal(b affinityState) bool {
	return a.Rule == b.Rule && slices.Equal(a.VMstores, b.VMstores)
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

// affinityListAt is the number of changes from which an apply reads the rules it replaces
// in one listing of the TGC's VMs rather than one GET per VM: from there the listing costs
// fewer requests than the GETs for any inventory below a million VMs (2000 per page).
const affinityListAt = 500

// Apply sets the VM's rule to the planned one, after reading it again (guarded): a rule
// already as planned is left alone, one changed since the plan is stale. The read is a GET
// of the VM right before the write or, when the task makes affinityListAt changes or more,
// one listing of every VM's rule taken when the task's apply starts.
func (t *affinityTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var before, after affinityState
	if err := errors.Join(json.Unmarshal(ch.Before, &before), json.Unmarshal(ch.After, &after)); err != nil {
		return fmt.Errorf("decode planned affinity: %w", err)
	}
	c, err := tgcWriter(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	return guarded[affinityState]{
		read: func(ctx context.Context) (affinityState, error) {
			if len(env.Changes) >= affinityListAt {
				rules, err := runner.Shared(ctx, env, "rules "+ch.Server, func(ctx context.Context) (map[string]affinityState, error) {
					return currentRules(ctx, c, env.Changes)
				})
				if err != nil {
					return affinityState{}, err
				}
				if st, ok := rules[ch.ID]; ok {
					return st, nil
				}
			}
			vm, err := c.GetVM(ctx, ch.ID)
			if err != nil {
				return affinityState{}, fmt.Errorf("read vm: %w", err)
			}
			return normalizeAffinity(vm.AffinityRule), nil
		},
		merge: func(cur affinityState) (*affinityState, error) {
			switch {
			case cur.equal(after):
				return nil, nil
			case !cur.equal(before):
				return nil, stale("the affinity rule", showAffinity(cur, nil), showAffinity(before, nil))
			}
			return &after, nil
		},
		write: func(ctx context.Context, st affinityState) error {
			rule := tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: st.Rule, VmstoreTintriUuids: st.VMstores}
			if err := c.SetVMAffinity(ctx, ch.ID, rule); err != nil {
				return fmt.Errorf("set affinity: %w", err)
			}
			return nil
		},
	}.run(ctx)
}
