package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
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
	runner.Register(runner.Kind{Name: "service_group_members", Decode: decodeServiceGroupMembers})
}

// Defaults and bounds of service_group_members.
const (
	sgmDefaultChunk = 500
	sgmMaxChunk     = 10000
	// sgmMaxListed bounds the unknown names a failing plan lists and the names that get
	// "did you mean" suggestions (each costs a pass over every VM name).
	sgmMaxListed = 20
)

var sgmSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "server", Required: true},
		{Name: "service_group", Required: true},
		{Name: "csv"},
		{Name: "csv_column"},
		{Name: "vms"},
		{Name: "mode"},
		{Name: "on_unknown_vm"},
		{Name: "chunk_size"},
	},
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

// nameSource is a wanted VM name and where it was written ("vms.csv:4" or "vms").
type nameSource struct {
	Name  string
	Where string
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

func decodeServiceGroupMembers(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(sgmSchema)
	t := &sgmTask{chunk: sgmDefaultChunk}
	server, d := decodeTGCServer(dc, content)
	diags = append(diags, d...)
	t.server = server
	if attr := content.Attributes["service_group"]; attr != nil {
		s, d := evalServiceGroupName(dc, attr)
		diags = append(diags, d...)
		t.group = s
	}
	if attr := content.Attributes["mode"]; attr != nil {
		s, d := evalEnum(dc, attr, "add", "exact")
		diags = append(diags, d...)
		t.exact = s == "exact"
	}
	if attr := content.Attributes["on_unknown_vm"]; attr != nil {
		s, d := evalEnum(dc, attr, "warn", "fail")
		diags = append(diags, d...)
		t.failOnUnk = s == "fail"
	}
	if attr := content.Attributes["chunk_size"]; attr != nil {
		n, d := evalInt(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() && (n < 1 || n > sgmMaxChunk) {
			diags = append(diags, attrDiag(attr, "Invalid chunk_size",
				fmt.Sprintf("The chunk_size attribute must be between 1 and %d, not %d.", sgmMaxChunk, n)))
		}
		t.chunk = n
	}
	names, d := decodeVMNames(dc, content, "csv", "csv_column", "vms")
	diags = append(diags, d...)
	t.names = names
	if !d.HasErrors() && content.Attributes["csv"] == nil && content.Attributes["vms"] == nil {
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

// decodeVMNames reads the VM names of a csv file attribute (with its optional column
// attribute) and a list attribute, as a union in listing order. Duplicates within the
// file or the list are warnings; a name in both is taken once silently.
func decodeVMNames(dc *runner.DecodeContext, content *hcl.BodyContent, csvAttr, colAttr, listAttr string) ([]nameSource, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var out []nameSource
	seen := map[string]bool{}
	column := ""
	if attr := content.Attributes[colAttr]; attr != nil {
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		column = strings.TrimSpace(s)
		if !d.HasErrors() && column == "" {
			diags = append(diags, attrDiag(attr, "Invalid "+colAttr, fmt.Sprintf("The %s attribute must name a header column.", colAttr)))
		}
		if content.Attributes[csvAttr] == nil {
			diags = append(diags, attrDiag(attr, "Column without a file",
				fmt.Sprintf("The %s attribute picks a column of the %s file; set %s too.", colAttr, csvAttr, csvAttr)))
		}
	}
	if attr := content.Attributes[csvAttr]; attr != nil && !diags.HasErrors() {
		p, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			names, d := readNamesFile(dc, attr, p, column)
			diags = append(diags, d...)
			for _, n := range names {
				if !seen[n.Name] {
					seen[n.Name] = true
					out = append(out, nameSource{Name: n.Name, Where: fmt.Sprintf("%s:%d", p, n.Line)})
				}
			}
		}
	}
	if attr := content.Attributes[listAttr]; attr != nil {
		list, d := evalStrings(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() && len(list) == 0 {
			diags = append(diags, attrDiag(attr, "Empty "+listAttr, fmt.Sprintf("The %s attribute must list at least one VM name.", listAttr)))
		}
		inList := map[string]bool{}
		for _, raw := range list {
			n := strings.TrimSpace(raw)
			switch {
			case n == "":
				diags = append(diags, attrDiag(attr, "Invalid "+listAttr, fmt.Sprintf("The %s attribute must not hold empty names.", listAttr)))
				continue
			case inList[n]:
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagWarning,
					Summary:  "Duplicate VM name",
					Detail:   fmt.Sprintf("%q is listed more than once in %s; it counts once.", n, listAttr),
					Subject:  attr.Expr.Range().Ptr(),
				})
				continue
			}
			inList[n] = true
			if !seen[n] {
				seen[n] = true
				out = append(out, nameSource{Name: n, Where: listAttr})
			}
		}
	}
	return out, diags
}

// readNamesFile reads a VM name file at decode time: unreadable and malformed files are
// errors, duplicated names warnings pointing at the repeated lines.
func readNamesFile(dc *runner.DecodeContext, attr *hcl.Attribute, p, column string) ([]nameEntry, hcl.Diagnostics) {
	data, err := dc.ReadFile(p)
	if err != nil {
		return nil, hcl.Diagnostics{attrDiag(attr, "Unreadable VM list", fmt.Sprintf("Cannot read the VM list: %s.", err))}
	}
	src := newSrcLines(dc.Path(p), data)
	names, dups, err := readNames(src.file, data, column)
	if err != nil {
		if fe, ok := err.(*fileError); ok {
			return nil, hcl.Diagnostics{fe.diag("Invalid VM list", src)}
		}
		return nil, hcl.Diagnostics{attrDiag(attr, "Invalid VM list", err.Error()+".")}
	}
	var diags hcl.Diagnostics
	for _, d := range dups {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Duplicate VM name",
			Detail:   fmt.Sprintf("%q is listed on lines %s of %s; it counts once.", d.Name, joinLines(d.Lines), p),
			Subject:  src.lineRange(d.Lines[1]).Ptr(),
		})
	}
	return names, diags
}

// Plan compares the group's members with the wanted VMs: one change for the group when
// VMs are to be added (or, in exact mode, static members removed).
func (t *sgmTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
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
	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	var unknown []string
	wanted := map[string]bool{}
	var add []sgmMember
	current := map[string]bool{} // member ids
	for _, m := range members {
		current[m.MemberID] = true
	}
	for _, n := range t.names {
		vmIDs := ids[n.Name]
		if len(vmIDs) == 0 {
			hint := ""
			if len(unknown) < sgmMaxListed {
				hint = didYouMean(n.Name, allNames)
			}
			unknown = append(unknown, fmt.Sprintf("VM %q (%s) not found on %s%s", n.Name, n.Where, t.server, hint))
			continue
		}
		if len(vmIDs) > 1 {
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("VM name %q (%s) matches %d VMs; all of them are wanted", n.Name, n.Where, len(vmIDs)))
		}
		for _, id := range vmIDs {
			wanted[id] = true
			if !current[id] {
				add = append(add, sgmMember{Name: n.Name, ID: id})
			}
		}
	}
	if len(unknown) > 0 && t.failOnUnk {
		listed := unknown
		if len(listed) > sgmMaxListed {
			listed = append(listed[:sgmMaxListed:sgmMaxListed], fmt.Sprintf("and %d more", len(unknown)-sgmMaxListed))
		}
		return nil, fmt.Errorf("tgc %s: %d VM names not found (on_unknown_vm = \"fail\"): %s", t.server, len(unknown), strings.Join(listed, "; "))
	}
	plan.Warnings = append(plan.Warnings, unknown...)
	var remove []sgmMember
	if t.exact {
		for _, m := range members {
			if m.Static && !wanted[m.MemberID] {
				remove = append(remove, sgmMember{Name: m.MemberName, ID: m.MemberID})
			}
		}
	}
	object := "service group " + g.Name
	if len(add) == 0 && len(remove) == 0 {
		plan.Unchanged = append(plan.Unchanged, object)
		return plan, nil
	}
	plan.Changes = append(plan.Changes, sgmChange(t.server, object, g.ID(), members, add, remove))
	return plan, nil
}

// sgmChange builds the group's change from its current members and the VMs to add and remove.
func sgmChange(server, object, id string, members []tintri.ServiceGroupMember, add, remove []sgmMember) runner.Change {
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
	return runner.Change{
		Server:  server,
		Object:  object,
		ID:      id,
		Action:  runner.ActionUpdate,
		Summary: fmt.Sprintf("add %d, remove %d static members (%d → %d members)", len(add), len(remove), len(before), len(after)),
		Before:  runner.MustJSON(before),
		After:   runner.MustJSON(sgmAfter{Members: after, Add: add, Remove: remove}),
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
func (t *sgmTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var after sgmAfter
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("%s: decode planned members: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env, ch.Server)
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

// tgcClient returns the client of a TGC server block after checking it is a TGC.
func tgcClient(ctx context.Context, env *runner.Env, server string) (*tintri.Client, error) {
	c, err := env.Client(ctx, server)
	if err != nil {
		return nil, fmt.Errorf("tgc %s: %w", server, err)
	}
	if err := c.RequireTGC(ctx); err != nil {
		return nil, fmt.Errorf("tgc %s: %w", server, err)
	}
	return c, nil
}

// vmIDsByName lists every VM of a TGC (uuid and name only) and maps names to uuids; it
// also returns the distinct names, sorted, for suggestions.
func vmIDsByName(ctx context.Context, c *tintri.Client) (map[string][]string, []string, error) {
	ids := map[string][]string{}
	err := c.EachVM(ctx, tintri.VMFilter{IncludeFields: []string{"uuid", "vmware"}}, func(vm *tintri.VirtualMachine) error {
		if n := vm.Name(); n != "" && vm.ID() != "" {
			ids[n] = append(ids[n], vm.ID())
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list vms: %w", err)
	}
	names := make([]string, 0, len(ids))
	for n := range ids {
		names = append(names, n)
	}
	sort.Strings(names)
	return ids, names, nil
}
