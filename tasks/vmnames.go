package tasks

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// VM names listed in a task body: a CSV file read at decode time (csv_names.go reads it)
// and a list attribute, as service_group_members (csv, csv_column, vms) and vm_affinity
// (vms_csv, vms_csv_column, vms) take them.

// nameSource is a wanted VM name and where it was written: Where for people ("vms.csv:4"
// or "vms"), File and Line for the plan's warnings (the file's line, or the attribute's).
type nameSource struct {
	Name  string
	Where string
	File  string
	Line  int
}

// vmNameList is a kind's VM name attributes, as decoded: their names in the kind's body
// and their values (nil when absent).
type vmNameList struct {
	csvAttr, columnAttr, listAttr string
	csv, column                   *string
	list                          []string
}

// names reads the VM names of the file (with its optional column) and the list, as a
// union in listing order. Duplicates within the file or the list are warnings; a name in
// both is taken once silently. m holds the attributes' ranges.
func (l vmNameList) names(dc *runner.DecodeContext, m *decode.Meta) ([]nameSource, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if l.column != nil && l.csv == nil {
		diags = append(diags, attrError(m.Attr(l.columnAttr), "Column without a file",
			"The %s attribute picks a column of the %s file; set %s too.", l.columnAttr, l.csvAttr, l.csvAttr))
	}
	var out []nameSource
	seen := map[string]bool{}
	add := func(n nameSource) {
		if !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n)
		}
	}
	if l.csv != nil && !diags.HasErrors() {
		column := ""
		if l.column != nil {
			column = strings.TrimSpace(*l.column)
		}
		entries, d := readNamesFile(dc, m.Attr(l.csvAttr), *l.csv, column)
		diags = append(diags, d...)
		for _, e := range entries {
			add(nameSource{Name: e.Name, Where: fmt.Sprintf("%s:%d", *l.csv, e.Line), File: dc.Path(*l.csv), Line: e.Line})
		}
	}
	if attr := m.Attr(l.listAttr); attr != nil {
		names, d := l.listed(attr)
		diags = append(diags, d...)
		for _, n := range names {
			add(nameSource{Name: n, Where: l.listAttr, File: attr.Range.Filename, Line: attr.Range.Start.Line})
		}
	}
	return out, diags
}

// listed checks the list attribute's names: at least one, none blank, each once (a
// repeated name is a warning).
func (l vmNameList) listed(attr *hcl.Attribute) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	if len(l.list) == 0 {
		diags = append(diags, attrError(attr, "Empty "+l.listAttr, "The %s attribute must list at least one VM name.", l.listAttr))
	}
	var out []string
	inList := map[string]bool{}
	for _, raw := range l.list {
		n := strings.TrimSpace(raw)
		switch {
		case n == "":
			diags = append(diags, decode.Invalid(attr, "The %s attribute must not hold empty names.", l.listAttr))
			continue
		case inList[n]:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Duplicate VM name",
				Detail:   fmt.Sprintf("%q is listed more than once in %s; it counts once.", n, l.listAttr),
				Subject:  attr.Expr.Range().Ptr(),
			})
			continue
		}
		inList[n] = true
		out = append(out, n)
	}
	return out, diags
}

// readNamesFile reads a VM name file at decode time: unreadable and malformed files are
// errors, duplicated names warnings pointing at the repeated lines.
func readNamesFile(dc *runner.DecodeContext, attr *hcl.Attribute, p, column string) ([]nameEntry, hcl.Diagnostics) {
	data, err := readDataFile(dc, p)
	if err != nil {
		return nil, hcl.Diagnostics{attrError(attr, "Unreadable VM list", "Cannot read the VM list: %s.", err)}
	}
	src := newSrcLines(dc.Path(p), data)
	names, dups, err := readNames(src.file, data, column)
	if err != nil {
		if fe, ok := err.(*fileError); ok {
			return nil, hcl.Diagnostics{fe.diag("Invalid VM list", src)}
		}
		return nil, hcl.Diagnostics{attrError(attr, "Invalid VM list", "%s.", err)}
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
	return names, capDiags(src.file, diags)
}

// maxHinted bounds the unknown VM names that get "did you mean" suggestions (each costs a
// pass over every VM name) and that a failing plan lists.
const maxHinted = 20

// unknownVMs describes each listed name the TGC server has no VM of (known), with the
// closest existing names for the first maxHinted: `VM "vdi-011" (vms.csv:4) not found on
// tgc (did you mean "vdi-0011"?)`, each pointing at where the name is listed. Names skip
// says are not wanted (excluded) are never reported.
func unknownVMs(listed []nameSource, known map[string]bool, allNames []string, server string, skip func(string) bool) []plan.Warning {
	var out []plan.Warning
	for _, n := range listed {
		if known[n.Name] || (skip != nil && skip(n.Name)) {
			continue
		}
		hint := ""
		if len(out) < maxHinted {
			hint = decode.DidYouMean(n.Name, allNames)
		}
		out = append(out, n.warning(plan.WarnUnknownVM, fmt.Sprintf("VM %q (%s) not found on %s%s", n.Name, n.Where, server, hint)))
	}
	return out
}

// warning is a plan warning about the listed name n.
func (n nameSource) warning(code, msg string) plan.Warning {
	return plan.Warning{Code: code, Message: msg, File: n.File, Line: n.Line}
}

// warningMessages returns the messages of ws.
func warningMessages(ws []plan.Warning) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Message
	}
	return out
}

// plural is "1 VM" or "3 VMs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
