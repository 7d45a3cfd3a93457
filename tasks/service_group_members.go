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

// sgmMaxListed bounds the unknown names a failing plan lists and the names that get "did
// you mean" suggestions (each costs a pass over every VM name).
const sgmMaxListed = 20

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
}

// sgmTask is a decoded service_group_members block.
type sgmTask struct {
	server    string
	group     string
	names     []nameSource // wanted VM names, each once, in listing order
	exact     bool
	failOnUnk bool
	chunk     int
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
	t := &sgmTask{group: b.ServiceGroup, exact: b.Mode == "exact", failOnUnk: b.OnUnknownVM == "fail", chunk: b.ChunkSize}
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
		return nil, fmt.Errorf("tgc %s: service group %q: read members: %w", t.server, g.Name, err)
	}
	ids, allNames, err := vmIDsByName(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("tgc %s: %w", t.server, err)
	}
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	m := t.match(ids, allNames, members)
	tp.Warnings = m.warnings
	if len(m.unknown) > 0 && t.failOnUnk {
		listed := m.unknown
		if len(listed) > sgmMaxListed {
			listed = append(listed[:sgmMaxListed:sgmMaxListed], fmt.Sprintf("and %d more", len(m.unknown)-sgmMaxListed))
		}
		return nil, fmt.Errorf("tgc %s: %d VM names not found (on_unknown_vm = \"fail\"): %s", t.server, len(m.unknown), strings.Join(listed, "; "))
	}
	tp.Warnings = append(tp.Warnings, m.unknown...)
	var remove []sgmMember
	if t.exact {
		for _, mb := range members {
			if mb.Static && !m.wanted[mb.MemberID] {
				remove = append(remove, sgmMember{Name: mb.MemberName, ID: mb.MemberID})
			}
		}
	}
	object := "service group " + g.Name
	if len(m.add) == 0 && len(remove) == 0 {
		tp.Unchanged = append(tp.Unchanged, object)
		return tp, nil
	}
	tp.Changes = append(tp.Changes, sgmChange(t.server, object, g.ID(), members, m.add, remove))
	return tp, nil
}

// sgmMatch is what the wanted names came to on the TGC.
type sgmMatch struct {
	add      []sgmMember     // wanted VMs not members yet
	wanted   map[string]bool // ids of every wanted VM
	warnings []string        // names matching several VMs
	unknown  []string        // names matching none, as messages
}

// match looks the wanted names up among the TGC's VMs (ids: uuids by name; allNames for
// suggestions) against the group's current members.
func (t *sgmTask) match(ids map[string][]string, allNames []string, members []tintri.ServiceGroupMember) sgmMatch {
	m := sgmMatch{wanted: map[string]bool{}}
	current := map[string]bool{} // member ids
	for _, mb := range members {
		current[mb.MemberID] = true
	}
	for _, n := range t.names {
		vmIDs := ids[n.Name]
		if len(vmIDs) == 0 {
			hint := ""
			if len(m.unknown) < sgmMaxListed {
				hint = decode.DidYouMean(n.Name, allNames)
			}
			m.unknown = append(m.unknown, fmt.Sprintf("VM %q (%s) not found on %s%s", n.Name, n.Where, t.server, hint))
			continue
		}
		if len(vmIDs) > 1 {
			m.warnings = append(m.warnings, fmt.Sprintf("VM name %q (%s) matches %d VMs; all of them are wanted", n.Name, n.Where, len(vmIDs)))
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
	return plan.Change{
		Server:  server,
		Object:  object,
		ID:      id,
		Action:  plan.ActionUpdate,
		Summary: fmt.Sprintf("add %d, remove %d static members (%d → %d members)", len(add), len(remove), len(before), len(after)),
		Before:  plan.MustJSON(before),
		After:   plan.MustJSON(sgmAfter{Members: after, Add: add, Remove: remove}),
		Details: details,
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
		return fmt.Errorf("%s: decode planned members: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env.Client, ch.Server)
	if err != nil {
		return err
	}
	for _, req := range sgmRequests(after, t.chunk) {
		if err := c.UpdateServiceGroupStaticMembers(ctx, ch.ID, req); err != nil {
			return fmt.Errorf("tgc %s: %s: update static members (%d added, %d removed): %w",
				ch.Server, ch.Object, len(req.ObjectIdsAdded), len(req.ObjectIdsRemoved), err)
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
