package tasks

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Helpers shared by the task kinds: "did you mean" suggestions, service-group lookup by
// name, VM name selection and attribute evaluation.

// maxSuggestions is how many close names a "did you mean" lists.
const maxSuggestions = 3

// closestNames returns up to maxSuggestions of candidates closest to given by Levenshtein
// distance (case-insensitive), closest first and then by name. Candidates farther than
// half of given's length (at least 3 edits) are left out, so unrelated names are never
// suggested; a candidate that contains given, or that given contains, always qualifies.
func closestNames(given string, candidates []string) []string {
	type scored struct {
		name string
		dist int
	}
	g := strings.ToLower(given)
	limit := max(len(g)/2, 3)
	seen := map[string]bool{}
	var out []scored
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		lc := strings.ToLower(c)
		d := levenshtein.Distance(g, lc, nil)
		if d <= limit || (g != "" && (strings.Contains(lc, g) || strings.Contains(g, lc))) {
			out = append(out, scored{c, d})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].dist != out[j].dist {
			return out[i].dist < out[j].dist
		}
		return out[i].name < out[j].name
	})
	names := make([]string, 0, maxSuggestions)
	for i := 0; i < len(out) && i < maxSuggestions; i++ {
		names = append(names, out[i].name)
	}
	return names
}

// didYouMean returns ` (did you mean "a", "b"?)` for the names closest to given, or "".
func didYouMean(given string, candidates []string) string {
	names := closestNames(given, candidates)
	if len(names) == 0 {
		return ""
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return " (did you mean " + strings.Join(q, ", ") + "?)"
}

// findServiceGroup returns the service group of the TGC named exactly name. When none is,
// the error lists the closest names.
func findServiceGroup(ctx context.Context, c *tintri.Client, name string) (*tintri.ServiceGroup, error) {
	groups, err := c.ListServiceGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list service groups: %w", err)
	}
	names := make([]string, 0, len(groups))
	for i := range groups {
		if groups[i].Name == name {
			return &groups[i], nil
		}
		names = append(names, groups[i].Name)
	}
	return nil, fmt.Errorf("service group %q not found%s", name, didYouMean(name, names))
}

// tgcServiceGroup returns the client of a TGC server block and its service group named
// name; a missing group's error lists the closest names.
func tgcServiceGroup(ctx context.Context, env *runner.Env, server, name string) (*tintri.Client, *tintri.ServiceGroup, error) {
	c, err := tgcClient(ctx, env, server)
	if err != nil {
		return nil, nil, err
	}
	g, err := findServiceGroup(ctx, c, name)
	if err != nil {
		return nil, nil, fmt.Errorf("tgc %s: %w", server, err)
	}
	return c, g, nil
}

// decodeTGCServer resolves the server attribute of a TGC task body to a server block of
// kind tgc; it returns "" when the attribute is absent (its schema reports that).
func decodeTGCServer(dc *runner.DecodeContext, content *hcl.BodyContent) (string, hcl.Diagnostics) {
	attr := content.Attributes["server"]
	if attr == nil {
		return "", nil
	}
	return dc.ServerRef(attr.Expr, runner.KindTGC)
}

// evalServiceGroupName evaluates a service_group attribute: a string that is not blank.
func evalServiceGroupName(dc *runner.DecodeContext, attr *hcl.Attribute) (string, hcl.Diagnostics) {
	s, diags := evalString(dc, attr)
	if !diags.HasErrors() && strings.TrimSpace(s) == "" {
		diags = append(diags, attrDiag(attr, "Invalid "+attr.Name, fmt.Sprintf("The %s attribute must name a service group.", attr.Name)))
	}
	return s, diags
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

// evalAttr evaluates attr and converts it to ty, reporting null, unknown and ill-typed
// values against the attribute's expression. what describes the wanted value in the
// diagnostic ("a string", "a list of strings").
func evalAttr(dc *runner.DecodeContext, attr *hcl.Attribute, ty cty.Type, what string) (cty.Value, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(dc.Eval)
	if diags.HasErrors() {
		return cty.NilVal, diags
	}
	v, marks := v.UnmarkDeep()
	if v.IsNull() || !v.IsWhollyKnown() {
		return cty.NilVal, append(diags, attrDiag(attr, "Invalid "+attr.Name,
			fmt.Sprintf("The %s attribute must be %s.", attr.Name, what)))
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		shown := "(sensitive value)"
		if len(marks) == 0 {
			shown = showValue(v)
		}
		return cty.NilVal, append(diags, attrDiag(attr, "Invalid "+attr.Name,
			fmt.Sprintf("The %s attribute must be %s, not %s.", attr.Name, what, shown)))
	}
	if ty.IsListType() {
		for it := cv.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.IsNull() {
				return cty.NilVal, append(diags, attrDiag(attr, "Invalid "+attr.Name,
					fmt.Sprintf("The %s attribute must be %s without null elements.", attr.Name, what)))
			}
		}
	}
	return cv, diags
}

// showValue renders a known, unmarked value for a diagnostic: strings quoted, numbers and
// bools as written, lists, sets and tuples element by element, anything else by its type.
func showValue(v cty.Value) string {
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case ty == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case ty == cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case ty == cty.Bool:
		return fmt.Sprint(v.True())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		parts := make([]string, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, showValue(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "a value of type " + ty.FriendlyName()
}

// evalString evaluates attr as a string.
func evalString(dc *runner.DecodeContext, attr *hcl.Attribute) (string, hcl.Diagnostics) {
	v, diags := evalAttr(dc, attr, cty.String, "a string")
	if diags.HasErrors() {
		return "", diags
	}
	return v.AsString(), diags
}

// evalStrings evaluates attr as a list of strings.
func evalStrings(dc *runner.DecodeContext, attr *hcl.Attribute) ([]string, hcl.Diagnostics) {
	v, diags := evalAttr(dc, attr, cty.List(cty.String), "a list of strings")
	if diags.HasErrors() {
		return nil, diags
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e.AsString())
	}
	return out, diags
}

// evalInt evaluates attr as a whole number.
func evalInt(dc *runner.DecodeContext, attr *hcl.Attribute) (int, hcl.Diagnostics) {
	v, diags := evalAttr(dc, attr, cty.Number, "a whole number")
	if diags.HasErrors() {
		return 0, diags
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || n != int64(int(n)) {
		return 0, append(diags, attrDiag(attr, "Invalid "+attr.Name,
			fmt.Sprintf("The %s attribute must be a whole number, not %s.", attr.Name, bf.Text('g', -1))))
	}
	return int(n), diags
}

// evalBool evaluates attr as true or false.
func evalBool(dc *runner.DecodeContext, attr *hcl.Attribute) (bool, hcl.Diagnostics) {
	v, diags := evalAttr(dc, attr, cty.Bool, "true or false")
	if diags.HasErrors() {
		return false, diags
	}
	return v.True(), diags
}

// evalEnum evaluates attr as one of the allowed strings.
func evalEnum(dc *runner.DecodeContext, attr *hcl.Attribute, allowed ...string) (string, hcl.Diagnostics) {
	s, diags := evalString(dc, attr)
	if diags.HasErrors() {
		return "", diags
	}
	for _, a := range allowed {
		if s == a {
			return s, diags
		}
	}
	q := make([]string, len(allowed))
	for i, a := range allowed {
		q[i] = fmt.Sprintf("%q", a)
	}
	return "", append(diags, attrDiag(attr, "Invalid "+attr.Name,
		fmt.Sprintf("The %s attribute must be one of %s, not %q.", attr.Name, strings.Join(q, ", "), s)))
}

// attrDiag is an error diagnostic about attr's value.
func attrDiag(attr *hcl.Attribute, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  attr.Expr.Range().Ptr(),
	}
}

// sortedNames returns the keys of a set, sorted.
func sortedNames(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
