package tasks

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// The VM selection of the kinds that act on VMs of a TGC chosen by name (vm_affinity,
// vm_snapshot): a union of criteria minus exclusions, listed in one paged request.

// vmSelectionBody is the attributes that select VMs; kinds embed it.
type vmSelectionBody struct {
	NameContains *string  `hcl:"name_contains,optional" doc:"Selects the VMs whose name contains this text, ignoring case like the TGC's own name filter."`
	NameRegex    *string  `hcl:"name_regex,optional" doc:"Selects the VMs whose name matches this Go (RE2) regular expression: case-sensitive, unanchored unless the pattern anchors it."`
	NameGlob     *string  `hcl:"name_glob,optional" doc:"Selects the VMs whose whole name matches this glob (*, ?, [a-z]), case-sensitive."`
	ServiceGroup *string  `hcl:"service_group,optional" nonempty:"true" doc:"Selects the members of this TGC service group, by its exact name."`
	VMs          []string `hcl:"vms,optional" doc:"Selects the VMs with exactly these names; names the TGC does not know are warnings."`
	VMsCSV       *string  `hcl:"vms_csv,optional" doc:"Selects the VMs named in this CSV file (relative to the job file), read like service_group_members' csv."`
	VMsCSVColumn *string  `hcl:"vms_csv_column,optional" nonempty:"true" doc:"The header of the vms_csv column holding the names (default: a column called name, vm, vm name or vmname, else every cell)."`
	ExcludeNames []string `hcl:"exclude_names,optional" doc:"Removes VMs from the selection: exact names or globs."`
	AllowEmpty   bool     `hcl:"allow_empty,optional" default:"false" doc:"Accept a selection that matches no VM; otherwise the plan fails."`
}

// vmSelection is a decoded vmSelectionBody.
type vmSelection struct {
	sel nameSelector
	// group is the service_group criterion ("" when unset).
	group string
	// listed are the vms and vms_csv names, for unknown-name warnings.
	listed     []nameSource
	allowEmpty bool
}

// nameSelector selects VMs by name. A VM is selected when any of the set criteria
// matches (a union) and no exclude pattern matches. The zero value selects nothing.
type nameSelector struct {
	// Contains selects names containing it, ignoring case (like the server's name filter).
	Contains string
	// Regex selects names it matches (Go RE2 syntax, unanchored unless the pattern anchors).
	Regex *regexp.Regexp
	// Glob selects names matching it in path.Match syntax.
	Glob string
	// Names selects exactly these names.
	Names map[string]bool
	// Exclude removes names equal to an entry or matching it as a path.Match glob.
	Exclude []string
}

// included reports whether any criterion selects name.
func (s *nameSelector) included(name string) bool {
	switch {
	case s.Contains != "" && strings.Contains(strings.ToLower(name), strings.ToLower(s.Contains)):
		return true
	case s.Regex != nil && s.Regex.MatchString(name):
		return true
	case s.Names[name]:
		return true
	case s.Glob != "":
		ok, _ := path.Match(s.Glob, name) // the pattern was checked at decode time
		return ok
	}
	return false
}

// excluded reports whether an exclude entry removes name.
func (s *nameSelector) excluded(name string) bool {
	for _, e := range s.Exclude {
		if e == name {
			return true
		}
		if ok, _ := path.Match(e, name); ok { // patterns were checked at decode time
			return true
		}
	}
	return false
}

// selection checks the selection attributes and reads the VM list file. m holds their
// ranges.
func (b vmSelectionBody) selection(dc *runner.DecodeContext, m *decode.Meta) (vmSelection, hcl.Diagnostics) {
	s := vmSelection{allowEmpty: b.AllowEmpty, sel: nameSelector{Exclude: b.ExcludeNames}}
	diags := b.checkPatterns(m, &s.sel)
	if b.ServiceGroup != nil {
		s.group = *b.ServiceGroup
	}
	if m.Has("vms") || b.VMsCSV != nil || b.VMsCSVColumn != nil {
		list := vmNameList{csvAttr: "vms_csv", columnAttr: "vms_csv_column", listAttr: "vms",
			csv: b.VMsCSV, column: b.VMsCSVColumn, list: b.VMs}
		names, d := list.names(dc, m)
		diags = append(diags, d...)
		s.listed = names
		s.sel.Names = map[string]bool{}
		for _, n := range names {
			s.sel.Names[n.Name] = true
		}
	}
	for _, e := range b.ExcludeNames {
		if _, err := path.Match(e, ""); err != nil || e == "" {
			diags = append(diags, decode.Invalid(m.Attr("exclude_names"),
				"The exclude_names entry %q is not a valid glob pattern (path.Match syntax); write \\[ to match a literal [.", e))
		}
	}
	if b.NameContains == nil && b.NameRegex == nil && b.NameGlob == nil && b.ServiceGroup == nil && s.sel.Names == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing VM selection",
			Detail:   "Select VMs with at least one of name_contains, name_regex, name_glob, service_group, vms and vms_csv.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	return s, diags
}

// checkPatterns checks name_contains, name_regex and name_glob into sel.
func (b vmSelectionBody) checkPatterns(m *decode.Meta, sel *nameSelector) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if b.NameContains != nil {
		sel.Contains = *b.NameContains
		if sel.Contains == "" {
			diags = append(diags, decode.Invalid(m.Attr("name_contains"), "The name_contains attribute must not be empty: it would select every VM."))
		}
	}
	if b.NameRegex != nil {
		re, err := regexp.Compile(*b.NameRegex)
		if err != nil {
			diags = append(diags, decode.Invalid(m.Attr("name_regex"), "The name_regex attribute is not a valid regular expression: %s.", err))
		}
		sel.Regex = re
	}
	if b.NameGlob != nil {
		sel.Glob = *b.NameGlob
		if _, err := path.Match(sel.Glob, ""); err != nil || sel.Glob == "" {
			diags = append(diags, decode.Invalid(m.Attr("name_glob"), "The name_glob attribute %q is not a valid glob pattern (path.Match syntax).", sel.Glob))
		}
	}
	return diags
}

// picked is what a selection found on a TGC.
type picked struct {
	// vms are the selected VMs, sorted by name then uuid.
	vms []tintri.VirtualMachine
	// warnings name each listed name no VM has, with the closest names.
	warnings []plan.Warning
}

// pick lists the TGC's VMs with fields and returns the selected ones. A selection matching
// no VM is an error unless allow_empty is set; a listed name that is excluded is not
// reported as unknown. Errors name the server. A kind that need not keep every selected VM
// visits them instead (visit).
func (s *vmSelection) pick(ctx context.Context, c *tintri.Reader, server string, fields []string) (*picked, error) {
	p := &picked{}
	var err error
	p.warnings, err = s.visit(ctx, c, server, fields, func(vm *tintri.VirtualMachine) { p.vms = append(p.vms, *vm) })
	if err != nil {
		return nil, err
	}
	sortVMs(p.vms)
	return p, nil
}

// visit lists the TGC's VMs with fields and calls fn with each selected one, in the
// server's order (fn must copy what it keeps: the VM is reused), and returns the
// unknown-name warnings. A selection matching no VM is an error unless allow_empty is set.
// Errors name the server.
func (s *vmSelection) visit(ctx context.Context, c *tintri.Reader, server string, fields []string, fn func(*tintri.VirtualMachine)) ([]plan.Warning, error) {
	selected, names, err := s.list(ctx, c, fields, fn)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", server, err)
	}
	return s.finish(selected, names, server)
}

// visitScoped lists every VM of the TGC once and calls fn with each selected one
// (selected true) and each other VM of scope (nil: all VMs; selected false), in the
// server's order, for a kind that owns what it set within the scope. It returns what
// visit returns.
func (s *vmSelection) visitScoped(ctx context.Context, c *tintri.Reader, server string, fields []string, scope *vmSelection,
	fn func(vm *tintri.VirtualMachine, selected bool)) ([]plan.Warning, error) {
	sel, err := s.matcher(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", server, err)
	}
	in := func(*tintri.VirtualMachine) bool { return true }
	if scope != nil {
		m, err := scope.matcher(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("server %s: scope: %w", server, err)
		}
		in = m.matches
	}
	selected, names := 0, map[string]bool{}
	err = c.EachVM(ctx, tintri.VMFilter{IncludeFields: fields}, func(vm *tintri.VirtualMachine) error {
		if len(s.listed) > 0 {
			names[vm.Name()] = true
		}
		switch {
		case sel.matches(vm):
			selected++
			fn(vm, true)
		case vm.Name() != "" && vm.ID() != "" && in(vm):
			fn(vm, false)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("server %s: list vms: %w", server, err)
	}
	return s.finish(selected, names, server)
}

// finish returns the unknown-name warnings of a listing that selected VMs and saw names,
// and refuses an empty selection.
func (s *vmSelection) finish(selected int, names map[string]bool, server string) ([]plan.Warning, error) {
	var warnings []plan.Warning
	if len(s.listed) > 0 {
		all := make([]string, 0, len(names))
		for n := range names {
			all = append(all, n)
		}
		sort.Strings(all)
		warnings = unknownVMs(s.listed, names, all, server, s.sel.excluded)
	}
	if selected == 0 && !s.allowEmpty {
		return nil, fmt.Errorf("server %s: no VM matches the selection (set allow_empty = true if that is expected)", server)
	}
	return warnings, nil
}

// matcher decides whether a listed VM is selected: by name, or as a member of the
// selection's service group (whose members it lists once).
type matcher struct {
	s     *vmSelection
	group map[string]bool
}

func (s *vmSelection) matcher(ctx context.Context, c *tintri.Reader) (matcher, error) {
	m := matcher{s: s}
	if s.group != "" {
		g, err := findServiceGroup(ctx, c, s.group)
		if err != nil {
			return m, err
		}
		if m.group, err = groupMemberIDs(ctx, c, g); err != nil {
			return m, err
		}
	}
	return m, nil
}

func (m matcher) matches(vm *tintri.VirtualMachine) bool {
	name := vm.Name()
	if name == "" || vm.ID() == "" || m.s.sel.excluded(name) {
		return false
	}
	return m.s.sel.included(name) || m.group[vm.ID()]
}

// sortVMs sorts VMs by name then uuid.
func sortVMs(vms []tintri.VirtualMachine) {
	sort.Slice(vms, func(i, j int) bool {
		if vms[i].Name() != vms[j].Name() {
			return vms[i].Name() < vms[j].Name()
		}
		return vms[i].ID() < vms[j].ID()
	})
}

// list calls fn with every selected VM and returns how many it selected and the names of
// every VM it listed (for suggestions; only when names were listed). A name_contains or
// service_group criterion used alone narrows the listing on the server; otherwise every VM
// is listed once (plus the group's members, when service_group is combined).
func (s *vmSelection) list(ctx context.Context, c *tintri.Reader, fields []string, fn func(*tintri.VirtualMachine)) (int, map[string]bool, error) {
	nameOnly := s.sel.Regex == nil && s.sel.Glob == "" && s.sel.Names == nil
	filter := tintri.VMFilter{IncludeFields: fields}
	var groupMembers map[string]bool // nil: no service_group criterion
	if s.group != "" {
		g, err := findServiceGroup(ctx, c, s.group)
		if err != nil {
			return 0, nil, err
		}
		if nameOnly && s.sel.Contains == "" {
			// The group is the only criterion: the server filters the listing.
			filter.ServiceGroupIDs = []string{g.ID()}
		} else if groupMembers, err = groupMemberIDs(ctx, c, g); err != nil {
			return 0, nil, err
		}
	} else if nameOnly {
		// name_contains is the only criterion: the server's name filter narrows the
		// listing; included re-checks it so the result never depends on the server.
		filter.Name = s.sel.Contains
	}
	selected, names := 0, map[string]bool{}
	err := c.EachVM(ctx, filter, func(vm *tintri.VirtualMachine) error {
		name := vm.Name()
		if len(s.listed) > 0 {
			names[name] = true
		}
		if name == "" || vm.ID() == "" || s.sel.excluded(name) {
			return nil
		}
		if len(filter.ServiceGroupIDs) > 0 || s.sel.included(name) || groupMembers[vm.ID()] {
			selected++
			fn(vm)
		}
		return nil
	})
	if err != nil {
		return 0, nil, fmt.Errorf("list vms: %w", err)
	}
	return selected, names, nil
}

// groupMemberIDs returns the uuids of the members of service group g.
func groupMemberIDs(ctx context.Context, c *tintri.Reader, g *tintri.ServiceGroup) (map[string]bool, error) {
	ids := map[string]bool{}
	err := c.EachVM(ctx, tintri.VMFilter{ServiceGroupIDs: []string{g.ID()}, IncludeFields: []string{"uuid"}},
		func(vm *tintri.VirtualMachine) error { ids[vm.ID()] = true; return nil })
	if err != nil {
		return nil, fmt.Errorf("list members of service group %q: %w", g.Name, err)
	}
	return ids, nil
}
