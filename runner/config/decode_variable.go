package config

import (
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// variableSchema is the body of a `variable "name"` block.
var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"},
		{Name: "default"},
		{Name: "description"},
		{Name: "sensitive"},
	},
}

// varState is a declared variable while its value is being resolved.
type varState struct {
	decl *Variable
	ty   cty.Type
	// val is the value so far; cty.NilVal while unset. An unusable value (after an
	// error) is cty.DynamicVal so that references to it report nothing more.
	val cty.Value
}

// decodeVariables decodes the variable blocks, resolves their values and returns them
// keyed by name, marked sensitive where declared so.
func (l *loader) decodeVariables(blocks []*hcl.Block) (map[string]cty.Value, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	states := map[string]*varState{}
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if d := checkBlockName("variable", b, seen); d != nil {
			diags = append(diags, d)
			continue
		}
		st, d := l.decodeVariableBlock(b)
		diags = append(diags, d...)
		states[st.decl.Name] = st
		l.cfg.Variables[st.decl.Name] = st.decl
	}
	diags = append(diags, l.resolveVariables(states)...)

	vals := make(map[string]cty.Value, len(states))
	for name, st := range states {
		v := st.val
		if st.decl.Sensitive {
			v = v.Mark(decode.SensitiveMark)
		}
		vals[name] = v
	}
	return vals, diags
}

// decodeVariableBlock decodes one variable block, including its default value, which is
// kept out of Config.Sources when the variable is sensitive.
func (l *loader) decodeVariableBlock(b *hcl.Block) (*varState, hcl.Diagnostics) {
	st := &varState{
		decl: &Variable{Name: b.Labels[0], DeclRange: b.DefRange},
		ty:   cty.DynamicPseudoType,
	}
	content, diags := b.Body.Content(variableSchema)
	if attr, ok := content.Attributes["type"]; ok {
		ty, d := typeexpr.TypeConstraint(attr.Expr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			st.ty = ty
		}
	}
	if attr, ok := content.Attributes["description"]; ok {
		s, _, d := decode.String(attr, nil)
		diags = append(diags, d...)
		st.decl.Description = s
	}
	if attr, ok := content.Attributes["sensitive"]; ok {
		v, _, d := decode.Bool(attr, nil)
		diags = append(diags, d...)
		st.decl.Sensitive = v
	}
	if attr, ok := content.Attributes["default"]; ok {
		if st.decl.Sensitive {
			l.redactCredential(attr.Expr)
		}
		v, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if !d.HasErrors() {
			cv, err := convert.Convert(v, st.ty)
			if err != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid default value for variable",
					Detail: fmt.Sprintf("The default value of variable %q is not a %s.",
						st.decl.Name, st.ty.FriendlyNameForConstraint()),
					Subject: attr.Expr.Range().Ptr(),
				})
				cv = cty.DynamicVal
			}
			st.val = cv
		} else {
			st.val = cty.DynamicVal
		}
	}
	return st, diags
}

// resolveVariables applies, in increasing precedence, the environment, the variable
// files and the -var values, then reports variables left without a value.
func (l *loader) resolveVariables(states map[string]*varState) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := make([]string, 0, len(states))
	for n := range states {
		names = append(names, n)
	}
	sort.Strings(names)

	for _, name := range names {
		if raw, ok := l.env[EnvVarPrefix+name]; ok {
			v, d := parseRawVariable(states[name], raw, "environment variable "+EnvVarPrefix+name)
			diags = append(diags, d...)
			states[name].val = v
		}
	}
	for _, p := range l.opts.VarFiles {
		diags = append(diags, l.applyVarFile(p, states, names)...)
	}
	given := make([]string, 0, len(l.opts.Vars))
	for n := range l.opts.Vars {
		given = append(given, n)
	}
	sort.Strings(given)
	for _, name := range given {
		st, ok := states[name]
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("A -var option sets %q, but no variable block declares it%s.",
					name, decode.DidYouMean(name, names)),
			})
			continue
		}
		v, d := parseRawVariable(st, l.opts.Vars[name], "-var option")
		diags = append(diags, d...)
		st.val = v
	}
	for _, name := range names {
		st := states[name]
		if st.val == cty.NilVal {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "No value for required variable",
				Detail: fmt.Sprintf("Variable %q has no default, so it needs a value: -var %s=…, "+
					"a variable file, or the environment variable %s%s.", name, name, EnvVarPrefix, name),
				Subject: st.decl.DeclRange.Ptr(),
			})
			st.val = cty.DynamicVal
		}
	}
	return diags
}

// parseRawVariable turns text from the environment or -var into a value of the
// variable's type: verbatim for string (or untyped) variables, else as an HCL expression.
func parseRawVariable(st *varState, raw, source string) (cty.Value, hcl.Diagnostics) {
	if st.ty == cty.String || st.ty == cty.DynamicPseudoType {
		return cty.StringVal(raw), nil
	}
	filename := fmt.Sprintf("<value for var.%s>", st.decl.Name)
	if d := checkSource(filename, fmt.Sprintf("The value of var.%s from the %s", st.decl.Name, source), []byte(raw), true); d != nil {
		return cty.DynamicVal, hcl.Diagnostics{d}
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	v, diags := expr.Value(nil)
	if diags.HasErrors() {
		return cty.DynamicVal, diags
	}
	cv, err := convert.Convert(v, st.ty)
	if err != nil {
		return cty.DynamicVal, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid value for variable",
			Detail: fmt.Sprintf("The %s does not give variable %q a %s.",
				source, st.decl.Name, st.ty.FriendlyNameForConstraint()),
			Subject: expr.Range().Ptr(),
		}}
	}
	return cv, nil
}

// applyVarFile sets variables from an HCL file of name = value attributes.
func (l *loader) applyVarFile(p string, states map[string]*varState, names []string) hcl.Diagnostics {
	src, err := readAtMost(l.fsys, p, maxSourceSize)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read variable file",
			Detail:   fmt.Sprintf("Cannot read %s: %s.", p, err),
		}}
	}
	if d := checkSource(p, "The variable file "+p, src, false); d != nil {
		return hcl.Diagnostics{d}
	}
	l.cfg.Sources[p] = src
	f, diags := hclsyntax.ParseConfig(src, p, hcl.InitialPos)
	if diags.HasErrors() {
		l.redactUnparsed(p, src, true)
		return diags
	}
	attrs, d := f.Body.JustAttributes()
	diags = append(diags, d...)
	sorted := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
	for _, attr := range sorted {
		st, ok := states[attr.Name]
		if !ok || st.decl.Sensitive {
			// An undeclared name may be a misspelt sensitive one.
			l.redactCredential(attr.Expr)
		}
		if !ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Value for undeclared variable",
				Detail: fmt.Sprintf("The variable file sets %q, but no variable block declares it%s.",
					attr.Name, decode.DidYouMean(attr.Name, names)),
				Subject: attr.NameRange.Ptr(),
			})
			continue
		}
		v, d := attr.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			st.val = cty.DynamicVal
			continue
		}
		cv, err := convert.Convert(v, st.ty)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid value for variable",
				Detail: fmt.Sprintf("The variable file does not give variable %q a %s.",
					attr.Name, st.ty.FriendlyNameForConstraint()),
				Subject: attr.Expr.Range().Ptr(),
			})
			cv = cty.DynamicVal
		}
		st.val = cv
	}
	return diags
}
