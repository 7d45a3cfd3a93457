package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// service_group_members makes VMs static members of a TGC service group:
//
//	task "service_group_members" "vdi" {
//	  server        = server.tgc
//	  service_group = "VDI"
//	  csv           = "vms.csv"    # relative to the job file; and/or vms = ["vdi-0001", ...]
//	  csv_column    = "VM Name"    # optional: the header column holding the names
//	  mode          = "add"        # "add" (default) or "exact": also remove static members not listed
//	  on_unknown_vm = "warn"       # "warn" (default) or "fail": names the TGC does not know
//	  chunk_size    = 500          # ids per PUT members/static (default 500)
//	}
//
// The file is read when the job is loaded, so a malformed list fails validate. The plan
// has at most one change, for the group; applying it PUTs members/static in chunks.

func init() {
	runner.Register("service_group_members", "Makes VMs static members of a TGC service group, from a list or a CSV file.", buildServiceGroupMembers)
}

// sgmBody is the body of a service_group_members task.
type sgmBody struct {
	decode.Meta
	serviceGroupBody
	CSV         *string  `hcl:"csv,optional" doc:"A CSV file of VM names, relative to the job file, read at validate time; and/or vms."`
	CSVColumn   *string  `hcl:"csv_column,optional" nonempty:"true" doc:"The header of the csv column holding the names (default: a column called name, vm, vm name or vmname, else every cell)."`
	VMs         []string `hcl:"vms,optional" doc:"VM names to make members; and/or csv."`
	Mode        string   `hcl:"mode,optional" enum:"add,exact" default:"add" doc:"\"add\" keeps the group's other members; \"exact\" also removes the static members not listed."`
	OnUnknownVM string   `hcl:"on_unknown_vm,optional" enum:"warn,fail" default:"warn" doc:"What a name the TGC does not know does: \"warn\" lists it in the plan, \"fail\" fails the plan so nothing is written."`
	ChunkSize   int      `hcl:"chunk_size,optional" min:"1" max:"10000" default:"500" doc:"How many VM ids one PUT members/static request sends."`
	// MaxUnknownPercent guards mode exact: a list with unknown names (a wrong column, an
	// export in another encoding) would otherwise remove members it meant to keep.
	MaxUnknownPercent int `hcl:"max_unknown_percent,optional" min:"0" max:"100" default:"0" doc:"With mode = \"exact\": the share of listed names, in percent, that may be unknown to the TGC before removing members is refused."`
}

// sgmTask is a decoded service_group_members block.
type sgmTask struct {
	server     string
	group      string
	names      []nameSource // wanted VM names, each once, in listing order
	exact      bool
	failOnUnk  bool
	chunk      int
	maxUnknown int // percent of names, mode exact
}

// sgmMember is a VM the change adds or removes.
type sgmMember struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// sgmAfter is a change's After: the members once applied, and the ids to send.
type sgmAfter struct {
	Members []string    `json:"members"`
	Add     []sgmMember `json:"add,omitempty"`
	Remove  []sgmMember `json:"remove,omitempty"`
}

func buildServiceGroupMembers(dc *runner.DecodeContext, b *sgmBody) (runner.Task, hcl.Diagnostics) {
	t := &sgmTask{group: b.ServiceGroup, exact: b.Mode == "exact", failOnUnk: b.OnUnknownVM == "fail", chunk: b.ChunkSize,
		maxUnknown: b.MaxUnknownPercent}
	if b.Has("max_unknown_percent") && !t.exact {
		return nil, hcl.Diagnostics{attrError(b.Attr("max_unknown_percent"), "Unexpected max_unknown_percent",
			"The max_unknown_percent attribute guards the removals of mode = \"exact\"; this task's mode is %q.", b.Mode)}
	}
	server, diags := b.server(dc)
	t.server = server
	list := vmNameList{csvAttr: "csv", columnAttr: "csv_column", listAttr: "vms", csv: b.CSV, column: b.CSVColumn, list: b.VMs}
	names, d := list.names(dc, &b.Meta)
	diags = append(diags, d...)
	t.names = names
	if !d.HasErrors() && b.CSV == nil && !b.Has("vms") {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing VM names",
			Detail:   "Set csv (a file of VM names) or vms (a list of VM names), or both.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Plan compares the group's members with the wanted VMs: one change for the group when
// VMs are to be added (or, in exact mode, static members removed).
func (t *sgmTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	c, g, err := tgcServiceGroup(ctx, env, t.server, t.group)
	if err != nil {
		return nil, err
	}
	members, err := c.ServiceGroupMembers(ctx, g.ID())
	if err != nil {
		return nil, fmt.Errorf("server %s: service group %q: read members: %w", t.server, g.Name, err)
	}
	ids, allNames, err := vmIDsByName(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", t.server, err)
	}
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	m := t.match(ids, allNames, members)
	var remove []sgmMember
	if t.exact {
		for _, mb := range members {
			if mb.Static && !m.wanted[mb.MemberID] {
				remove = append(remove, sgmMember{Name: mb.MemberName, ID: mb.MemberID})
			}
		}
	}
	if err := t.checkUnknown(m, len(remove) > 0); err != nil {
		return nil, err
	}
	for _, w := range append(m.warnings, m.unknown...) {
		tp.Warn(w)
	}
	for id := range m.wanted {
		tp.Claim(sgmAddress(g.ID(), id), "member")
	}
	for _, r := range remove {
		tp.Claim(sgmAddress(g.ID(), r.ID), "not a member")
	}
	object := "service group " + g.Name
	if len(m.add) == 0 && len(remove) == 0 {
		tp.AddUnchanged(object, env.ListUnchanged)
		return tp, nil
	}
	tp.Changes = append(tp.Changes, sgmChange(t.server, object, g.ID(), members, m.add, remove))
	return tp, nil
}

// sgmAddress is the canonical address of a VM's membership of a service group.
func sgmAddress(group, vm string) string { return "tgc/servicegroup/" + group + "/member/" + vm }

// checkUnknown refuses a plan whose listed names resolve to no VM at all (a list that
// cannot mean anything: a wrong column, separator or encoding), one with unknown names
// under on_unknown_vm = "fail", and, in mode exact, one with more unknown names than
// max_unknown_percent allows when it would remove members, which the list may have meant
// to keep.
func (t *sgmTask) checkUnknown(m sgmMatch, removing bool) error {
	if len(m.unknown) == 0 {
		return nil
	}
	listed := warningMessages(m.unknown)
	if len(listed) > maxHinted {
		listed = append(listed[:maxHinted:maxHinted], fmt.Sprintf("and %d more", len(m.unknown)-maxHinted))
	}
	switch {
	case len(m.wanted) == 0:
		return fmt.Errorf("server %s: none of the %d listed VM names exists: %s", t.server, len(t.names), strings.Join(listed, "; "))
	case t.failOnUnk:
		return fmt.Errorf("server %s: %d VM names not found (on_unknown_vm = \"fail\"): %s", t.server, len(m.unknown), strings.Join(listed, "; "))
	case removing && len(m.unknown)*100 > t.maxUnknown*len(t.names):
		return fmt.Errorf("server %s: mode = \"exact\": %d of %d listed VM names are unknown, more than max_unknown_percent = %d allows: "+
			"removing members is refused, since a name the TGC does not know may stand for a VM the list meant to keep: %s",
			t.server, len(m.unknown), len(t.names), t.maxUnknown, strings.Join(listed, "; "))
	}
	return nil
}

// sgmMatch is what the wanted names came to on the TGC.
type sgmMatch struct {
	add      []sgmMember     // wanted VMs not members yet
	wanted   map[string]bool // ids of every wanted VM
	warnings []plan.Warning  // names matching several VMs
	unknown  []plan.Warning  // names matching none
}

// match looks the wanted names up among the TGC's VMs (ids: uuids by name; allNames for
// suggestions) against the group's current members.
func (t *sgmTask) match(ids map[string][]string, allNames []string, members []tintri.ServiceGroupMember) sgmMatch {
	m := sgmMatch{wanted: map[string]bool{}}
	current := map[string]bool{} // member ids
	for _, mb := range members {
		current[mb.MemberID] = true
	}
	known := make(map[string]bool, len(ids))
	for n := range ids {
		known[n] = true
	}
	m.unknown = unknownVMs(t.names, known, allNames, t.server, nil)
	for _, n := range t.names {
		vmIDs := ids[n.Name]
		if len(vmIDs) == 0 {
			continue
		}
		if len(vmIDs) > 1 {
			m.warnings = append(m.warnings, n.warning(plan.WarnAmbiguousVM,
				fmt.Sprintf("VM name %q (%s) matches %d VMs; all of them are wanted", n.Name, n.Where, len(vmIDs))))
		}
		for _, id := range vmIDs {
			m.wanted[id] = true
			if !current[id] {
				m.add = append(m.add, sgmMember{Name: n.Name, ID: id})
			}
		}
	}
	return m
}

// sgmChange builds the group's change from its current members and the VMs to add and remove.
func sgmChange(server, object, id string, members []tintri.ServiceGroupMember, add, remove []sgmMember) plan.Change {
	sortMembers(add)
	sortMembers(remove)
	before := make([]string, 0, len(members))
	removed := map[string]bool{}
	for _, r := range remove {
		removed[r.ID] = true
	}
	after := make([]string, 0, len(members)+len(add))
	for _, m := range members {
		before = append(before, m.MemberName)
		if !removed[m.MemberID] {
			after = append(after, m.MemberName)
		}
	}
	details := make([]string, 0, len(add)+len(remove))
	for _, a := range add {
		after = append(after, a.Name)
		details = append(details, "+ "+a.Name)
	}
	for _, r := range remove {
		details = append(details, "- "+r.Name)
	}
	sort.Strings(before)
	sort.Strings(after)
	addresses := make([]string, 0, len(add)+len(remove))
	for _, m := range append(append([]sgmMember(nil), add...), remove...) {
		addresses = append(addresses, sgmAddress(id, m.ID))
	}
	return plan.Change{
		Server:    server,
		Object:    object,
		ID:        id,
		Action:    plan.ActionUpdate,
		Summary:   fmt.Sprintf("add %d, remove %d static members (%d → %d members)", len(add), len(remove), len(before), len(after)),
		Before:    plan.MustJSON(before),
		After:     plan.MustJSON(sgmAfter{Members: after, Add: add, Remove: remove}),
		Details:   details,
		Addresses: addresses,
		Objects:   len(add) + len(remove),
	}
}

func sortMembers(ms []sgmMember) {
	sort.Slice(ms, func(i, j int) bool {
		if ms[i].Name != ms[j].Name {
			return ms[i].Name < ms[j].Name
		}
		return ms[i].ID < ms[j].ID
	})
}

// Apply sends the change's additions and removals in PUT members/static requests of at
// most chunk_size ids each, additions first. Adding a member twice or removing a
// non-member is a no-op for the server, so repeating a partly applied change is safe.
func (t *sgmTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var after sgmAfter
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("decode planned members: %w", err)
	}
	c, err := tgcWriter(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	for _, req := range sgmRequests(after, t.chunk) {
		if err := c.UpdateServiceGroupStaticMembers(ctx, ch.ID, req); err != nil {
			return fmt.Errorf("update static members (%d added, %d removed): %w",
				len(req.ObjectIdsAdded), len(req.ObjectIdsRemoved), err)
		}
	}
	return nil
}

// sgmRequests splits the ids to add and remove into requests of at most chunk ids.
func sgmRequests(after sgmAfter, chunk int) []tintri.CollectionChangeRequest {
	var reqs []tintri.CollectionChangeRequest
	cur := tintri.CollectionChangeRequest{ObjectIdsAdded: []string{}, ObjectIdsRemoved: []string{}}
	n := 0
	flush := func() {
		if n > 0 {
			reqs = append(reqs, cur)
			cur = tintri.CollectionChangeRequest{ObjectIdsAdded: []string{}, ObjectIdsRemoved: []string{}}
			n = 0
		}
	}
	for _, a := range after.Add {
		cur.ObjectIdsAdded = append(cur.ObjectIdsAdded, a.ID)
		if n++; n == chunk {
			flush()
		}
	}
	for _, r := range after.Remove {
		cur.ObjectIdsRemoved = append(cur.ObjectIdsRemoved, r.ID)
		if n++; n == chunk {
			flush()
		}
	}
	flush()
	return reqs
}
