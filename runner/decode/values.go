package decode

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// SensitiveMark is the cty mark carried by the values of variables declared sensitive.
const SensitiveMark = "sensitive"

// Roots maps the root objects of the evaluation context whose attributes are declared
// block names to what those names are called in messages.
var Roots = map[string]string{"var": "variable", "server": "server", "fleet": "fleet"}

// Invalid is the error diagnostic every decoder uses for a bad attribute value:
// Summary "Invalid <name>", the detail given, the attribute's expression as Subject.
func Invalid(attr *hcl.Attribute, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + attr.Name,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  attr.Expr.Range().Ptr(),
	}
}

// CheckRefs reports references to undeclared variables, servers and fleets in expr, with
// the closest declared names, before evaluation would report them less helpfully.
func CheckRefs(expr hcl.Expression, ctx *hcl.EvalContext) hcl.Diagnostics {
	if ctx == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, trav := range expr.Variables() {
		what, ok := Roots[trav.RootName()]
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
			Detail:   fmt.Sprintf("No %s block is named %q%s.", what, step.Name, DidYouMean(step.Name, names)),
			Subject:  trav.SourceRange().Ptr(),
		})
	}
	return diags
}

// Eval evaluates attr in ctx and converts the value to ty. ok is false when the value is
// unusable: an error was reported, or the value is unknown because of an error reported
// elsewhere (then without a diagnostic of its own). The value is returned unmarked;
// sensitive says whether it carried the sensitive mark. A null value is an error.
func Eval(attr *hcl.Attribute, ctx *hcl.EvalContext, ty cty.Type) (v cty.Value, sensitive, ok bool, diags hcl.Diagnostics) {
	diags = CheckRefs(attr.Expr, ctx)
	if diags.HasErrors() {
		return cty.DynamicVal, false, false, diags
	}
	v, d := attr.Expr.Value(ctx)
	diags = append(diags, d...)
	if d.HasErrors() {
		return cty.DynamicVal, false, false, diags
	}
	v, marks := v.UnmarkDeep()
	sensitive = len(marks) > 0
	if !v.IsWhollyKnown() {
		return v, sensitive, false, diags
	}
	what := Describes(ty)
	if v.IsNull() {
		return v, sensitive, false, append(diags, Invalid(attr, "The %s attribute must be %s, not null.", attr.Name, what))
	}
	cv, err := convert.Convert(v, ty)
	if err != nil {
		return v, sensitive, false, append(diags, Invalid(attr, "The %s attribute must be %s, not %s.", attr.Name, what, Show(v, sensitive)))
	}
	if ty.IsListType() && cv.LengthInt() > 0 {
		for it := cv.ElementIterator(); it.Next(); {
			if _, e := it.Element(); e.IsNull() {
				return cv, sensitive, false, append(diags, Invalid(attr, "The %s attribute must be %s without null elements.", attr.Name, what))
			}
		}
	}
	return cv, sensitive, true, diags
}

// Describes names what a value of type ty is, for messages: "a string", "a list of strings".
func Describes(ty cty.Type) string {
	switch {
	case ty == cty.String:
		return "a string"
	case ty == cty.Number:
		return "a number"
	case ty == cty.Bool:
		return "true or false"
	case ty.IsListType() && ty.ElementType() == cty.String:
		return "a list of strings"
	}
	return ty.FriendlyNameForConstraint()
}

// Show renders a known value for a message: "(sensitive value)" when sensitive, strings
// quoted, numbers and bools as written, collections element by element.
func Show(v cty.Value, sensitive bool) string {
	if sensitive {
		return "(sensitive value)"
	}
	ty := v.Type()
	switch {
	case v.IsNull():
		return "null"
	case !v.IsKnown():
		return "(unknown)"
	case ty == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case ty == cty.Number:
		if bf := v.AsBigFloat(); bf.IsInt() {
			return bf.Text('f', 0)
		}
		return v.AsBigFloat().Text('g', -1)
	case ty == cty.Bool:
		return fmt.Sprint(v.True())
	case ty.IsListType() || ty.IsSetType() || ty.IsTupleType():
		parts := make([]string, 0, v.LengthInt())
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			parts = append(parts, Show(e, false))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "a value of type " + ty.FriendlyName()
}

// ShowString quotes s for a message, or hides it when sensitive.
func ShowString(s string, sensitive bool) string { return Show(cty.StringVal(s), sensitive) }

// String decodes a string attribute.
func String(attr *hcl.Attribute, ctx *hcl.EvalContext) (string, bool, hcl.Diagnostics) {
	v, _, ok, diags := Eval(attr, ctx, cty.String)
	if !ok {
		return "", false, diags
	}
	return v.AsString(), true, diags
}

// Strings decodes a list of strings.
func Strings(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]string, bool, hcl.Diagnostics) {
	v, _, ok, diags := Eval(attr, ctx, cty.List(cty.String))
	if !ok {
		return nil, false, diags
	}
	out := make([]string, 0, v.LengthInt())
	for it := v.ElementIterator(); it.Next(); {
		_, e := it.Element()
		out = append(out, e.AsString())
	}
	return out, true, diags
}

// Bool decodes true or false.
func Bool(attr *hcl.Attribute, ctx *hcl.EvalContext) (bool, bool, hcl.Diagnostics) {
	v, _, ok, diags := Eval(attr, ctx, cty.Bool)
	if !ok {
		return false, false, diags
	}
	return v.True(), true, diags
}

// Bounds limit a whole number; a nil end is open.
type Bounds struct{ Min, Max *int }

// Int decodes a whole number within b.
func Int(attr *hcl.Attribute, ctx *hcl.EvalContext, b Bounds) (int, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := Eval(attr, ctx, cty.Number)
	if !ok {
		return 0, false, diags
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if !bf.IsInt() || acc != 0 || n != int64(int(n)) {
		return 0, false, append(diags, Invalid(attr, "The %s attribute must be a whole number, not %s.", attr.Name, Show(v, sensitive)))
	}
	shown := Show(v, sensitive)
	switch {
	case b.Min != nil && b.Max != nil && (int(n) < *b.Min || int(n) > *b.Max):
		return 0, false, append(diags, Invalid(attr, "The %s attribute must be between %d and %d, not %s.", attr.Name, *b.Min, *b.Max, shown))
	case b.Min != nil && int(n) < *b.Min:
		return 0, false, append(diags, Invalid(attr, "The %s attribute must be at least %d, not %s.", attr.Name, *b.Min, shown))
	case b.Max != nil && int(n) > *b.Max:
		return 0, false, append(diags, Invalid(attr, "The %s attribute must be at most %d, not %s.", attr.Name, *b.Max, shown))
	}
	return int(n), true, diags
}

// Duration decodes a Go duration string ("30s", "10m", "1h30m") that is not negative.
func Duration(attr *hcl.Attribute, ctx *hcl.EvalContext) (time.Duration, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := Eval(attr, ctx, cty.String)
	if !ok {
		return 0, false, diags
	}
	d, err := time.ParseDuration(v.AsString())
	if err != nil || d < 0 {
		return 0, false, append(diags, Invalid(attr, "The %s attribute must be a duration such as \"30s\", \"10m\" or \"1h30m\", not %s.",
			attr.Name, Show(v, sensitive)))
	}
	return d, true, diags
}

// Enum decodes a string that must be one of allowed.
func Enum(attr *hcl.Attribute, ctx *hcl.EvalContext, allowed ...string) (string, bool, hcl.Diagnostics) {
	v, sensitive, ok, diags := Eval(attr, ctx, cty.String)
	if !ok {
		return "", false, diags
	}
	s := v.AsString()
	for _, a := range allowed {
		if s == a {
			return s, true, diags
		}
	}
	return "", false, append(diags, Invalid(attr, "The %s attribute must be one of %s, not %s.",
		attr.Name, QuoteList(allowed, ", "), Show(v, sensitive)))
}

// IsLiteral reports whether expr is a constant written in the file: no references, no
// function calls, no interpolations.
func IsLiteral(expr hcl.Expression) bool {
	if len(expr.Variables()) > 0 {
		return false
	}
	switch e := hcl.UnwrapExpression(expr).(type) {
	case *hclsyntax.LiteralValueExpr:
		return true
	case *hclsyntax.TemplateWrapExpr:
		return IsLiteral(e.Wrapped)
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

// Absent reports whether expr stands for an attribute that was not written: nil, or the
// null placeholder of an absent optional attribute.
func Absent(expr hcl.Expression) bool {
	if expr == nil {
		return true
	}
	if len(expr.Variables()) > 0 {
		return false
	}
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}
