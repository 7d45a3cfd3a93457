package runner

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"github.com/zclconf/go-cty/cty/gocty"
)

// sensitiveMark marks the values of sensitive variables.
const sensitiveMark = "sensitive"

// refRoots names the objects of the evaluation context whose attributes are declared
// names, and what a missing attribute is called in a diagnostic.
var refRoots = map[string]string{"var": "variable", "server": "server", "fleet": "fleet"}

// checkRefs reports references to undeclared variables, servers and fleets in expr,
// with the closest declared name, before evaluation would report them less helpfully.
func checkRefs(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	if ctx == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, trav := range expr.Variables() {
		what, ok := refRoots[trav.RootName()]
		obj, declared := ctx.Variables[trav.RootName()]
		if !ok || !declared || len(trav) < 2 {
			continue
		}
		step, ok := trav[1].(hcl.TraverseAttr)
		if !ok || obj.Type().HasAttribute(step.Name) {
			continue
		}
		names := make([]string, 0, len(obj.Type().AttributeTypes()))
		for n := range obj.Type().AttributeTypes() {
			names = append(names, n)
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Reference to undeclared " + what,
			Detail: fmt.Sprintf("No %s block is named %q.%s", what, step.Name,
				didYouMean(step.Name, names)),
			Subject: trav.SourceRange().Ptr(),
		})
	}
	return diags
}

// didYouMean suggests the declared name closest to given, or returns "".
func didYouMean(given string, names []string) string {
	sort.Strings(names)
	best, bestDist := "", 3
	for _, n := range names {
		if d := levenshtein.Distance(given, n, nil); d < bestDist {
			best, bestDist = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" Did you mean %q?", best)
}

// attrValue evaluates an attribute and converts it to ty. ok is false when the value is
// unusable: an error was reported, or the value is unknown because of an earlier error.
// The result is unmarked; sensitive says whether it carried the sensitive mark.
func attrValue(attr *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type) (v cty.Value, sensitive, ok bool, diags hcl.Diagnostics) {
	expr := attr.Expr
	if te, isTask := expr.(taskExpr); isTask {
		expr = te.Expression // keep the marks a task body's expression drops
	}
	diags = checkRefs(expr, ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, false, false, diags
	}
	v, d := expr.Value(ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return cty.DynamicVal, false, false, diags
	}
	v, marks := v.UnmarkDeep()
	sensitive = len(marks) > 0
	if !v.IsWhollyKnown() {
		return v, sensitive, false, diags
	}
	if v.IsNull() {
		return v, sensitive, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid attribute value",
			Detail:   fmt.Sprintf("The attribute %q must not be null.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return v, sensitive, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Incorrect attribute value type",
			Detail: fmt.Sprintf("Inappropriate value for attribute %q: %s required.",
				attr.Name, ty.FriendlyNameForConstraint()),
			Subject: attr.Expr.Range().Ptr(),
		})
	}
	return cv, sensitive, true, diags
}

// attrString decodes a string attribute.
func attrString(attr *hcl.Attribute, ctx *hcl.EvalContext) (s string, sensitive, ok bool, diags hcl.Diagnostics) {
	v, sensitive, ok, diags := attrValue(attr, ctx, cty.String)
	if !ok {
		return "", sensitive, false, diags
	}
	return v.AsString(), sensitive, true, diags
}

// attrBool decodes a bool attribute.
func attrBool(attr *hcl.Attribute, ctx *hcl.EvalContext) (bool, bool, hcl.Diagnostics) {
	v, _, ok, diags := attrValue(attr, ctx, cty.Bool)
	if !ok {
		return false, false, diags
	}
	return v.True(), true, diags
}

// attrInt decodes a whole-number attribute of at least min.
func attrInt(attr *hcl.Attribute, ctx *hcl.EvalContext, min int) (int, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := attrValue(attr, ctx, cty.Number)
	if !ok {
		return 0, false, diags
	}
	var n int
	if err := gocty.FromCtyValue(v, &n); err != nil {
		return 0, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + attr.Name,
			Detail:   fmt.Sprintf("The attribute %q must be a whole number.", attr.Name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	if n < min {
		return 0, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + attr.Name,
			Detail:   fmt.Sprintf("The attribute %q must be at least %d, not %s.", attr.Name, min, quoteValue(strconv.Itoa(n), sensitive)),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return n, true, diags
}

// quoteValue quotes s for a diagnostic, or hides it when it is sensitive.
func quoteValue(s string, sensitive bool) string {
	if sensitive {
		return "(sensitive value)"
	}
	return fmt.Sprintf("%q", s)
}

// attrDuration decodes a Go duration string ("10m", "30s") that must not be negative.
func attrDuration(attr *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, bool, hcl.Diagnostics) {
	s, sensitive, ok, diags := attrString(attr, ctx)
	if !ok {
		return 0, false, diags
	}
	d, err := time.ParseDuration(s)
	if err == nil && d < 0 {
		err = fmt.Errorf("negative duration")
	}
	if err != nil {
		return 0, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid duration",
			Detail: fmt.Sprintf("The attribute %q must be a non-negative duration such as \"30s\", "+
				"\"10m\" or \"1h30m\", not %s.", attr.Name, quoteValue(s, sensitive)),
			Subject: attr.Expr.Range().Ptr(),
		})
	}
	return d, true, diags
}

// attrKeyword decodes a string attribute that must be one of allowed.
func attrKeyword(attr *hcl.Attribute, ctx *hcl.EvalContext, allowed ...string) (string, bool, hcl.Diagnostics) {
	s, sensitive, ok, diags := attrString(attr, ctx)
	if !ok {
		return "", false, diags
	}
	for _, a := range allowed {
		if s == a {
			return s, true, diags
		}
	}
	quoted := ""
	for i, a := range allowed {
		if i > 0 {
			quoted += " or "
		}
		quoted += fmt.Sprintf("%q", a)
	}
	return "", false, append(diags, &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + attr.Name,
		Detail:   fmt.Sprintf("The attribute %q must be %s, not %s.", attr.Name, quoted, quoteValue(s, sensitive)),
		Subject:  attr.Expr.Range().Ptr(),
	})
}

// isLiteralExpr reports whether expr is a constant written in the file: no references,
// no function calls, no interpolations.
func isLiteralExpr(expr hcl.Expression) bool {
	if len(expr.Variables()) > 0 {
		return false
	}
	switch e := hcl.UnwrapExpression(expr).(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateWrapExpr:
		return isLiteralExpr(e.Wrapped)
	case *hclsyntax.TemplateExpr:
		for _, part := range e.Parts {
			if _, ok := part.(*hclsyntax.LiteralValueExpr); !ok {
				return false
			}
		}
		return true
	}
	return false
}
