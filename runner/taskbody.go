package runner

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// taskBody wraps a task block's body for Kind.Decode. Its attributes' expressions
// return their values unmarked: kinds decode with gohcl, which cannot take marked values, while
// diagnostics made during evaluation still see the marks and so never print a sensitive
// value.
type taskBody struct {
	hcl.Body
	// failed records the start of every expression whose evaluation reported an error.
	failed map[hcl.Pos]bool
}

// newTaskBody wraps body for Kind.Decode.
func newTaskBody(body hcl.Body) taskBody {
	return taskBody{Body: body, failed: map[hcl.Pos]bool{}}
}

// dropFollowOnErrors removes what gohcl adds after an evaluation error it already
// passed on: an "Unsuitable value type" diagnostic at the same expression saying the
// value must be known.
func (b taskBody) dropFollowOnErrors(diags hcl.Diagnostics) hcl.Diagnostics {
	out := diags[:0:0]
	for _, d := range diags {
		if d.Summary == "Unsuitable value type" && d.Subject != nil && b.failed[d.Subject.Start] &&
			strings.HasSuffix(d.Detail, "value must be known") {
			continue
		}
		out = append(out, d)
	}
	return out
}

// Content implements hcl.Body.
func (b taskBody) Content(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	c, diags := b.Body.Content(schema)
	return b.wrapContent(c), diags
}

// PartialContent implements hcl.Body.
func (b taskBody) PartialContent(schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	c, remain, diags := b.Body.PartialContent(schema)
	return b.wrapContent(c), taskBody{Body: remain, failed: b.failed}, diags
}

// JustAttributes implements hcl.Body.
func (b taskBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	attrs, diags := b.Body.JustAttributes()
	return b.wrapAttributes(attrs), diags
}

func (b taskBody) wrapContent(c *hcl.BodyContent) *hcl.BodyContent {
	if c == nil {
		return nil
	}
	out := *c
	out.Attributes = b.wrapAttributes(c.Attributes)
	out.Blocks = make(hcl.Blocks, len(c.Blocks))
	for i, blk := range c.Blocks {
		nb := *blk
		nb.Body = taskBody{Body: blk.Body, failed: b.failed}
		out.Blocks[i] = &nb
	}
	return &out
}

func (b taskBody) wrapAttributes(attrs hcl.Attributes) hcl.Attributes {
	if attrs == nil {
		return nil
	}
	out := make(hcl.Attributes, len(attrs))
	for name, a := range attrs {
		na := *a
		na.Expr = taskExpr{Expression: a.Expr, failed: b.failed}
		out[name] = &na
	}
	return out
}

// taskExpr is an attribute expression of a task body; see taskBody.
type taskExpr struct {
	hcl.Expression
	failed map[hcl.Pos]bool
}

// Value implements hcl.Expression.
func (e taskExpr) Value(ctx *hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	v, diags := e.Expression.Value(ctx)
	if diags.HasErrors() {
		e.failed[e.StartRange().Start] = true
	}
	v, _ = v.UnmarkDeep()
	return v, diags
}

// UnwrapExpression lets hcl.ExprList, hcl.AbsTraversalForExpr and friends see the
// expression as written.
func (e taskExpr) UnwrapExpression() hcl.Expression {
	return e.Expression
}

// checkTaskRefs reports the references to undeclared variables, servers and fleets in a
// task body and the uses of sensitive values, and says whether the body uses a value left
// unknown by an earlier error. Either way the kind's decoder is not run: it would only
// repeat those errors less clearly.
func checkTaskRefs(body hcl.Body, ctx *hcl.EvalContext) (diags hcl.Diagnostics, unknown bool) {
	sb, ok := body.(*hclsyntax.Body)
	if !ok {
		return nil, false
	}
	attrs := make([]*hclsyntax.Attribute, 0, len(sb.Attributes))
	for _, attr := range sb.Attributes {
		attrs = append(attrs, attr)
	}
	sort.Slice(attrs, func(i, j int) bool { return attrs[i].SrcRange.Start.Byte < attrs[j].SrcRange.Start.Byte })
	for _, attr := range attrs {
		d := checkRefs(attr.Expr, ctx)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		sensitive := false
		for _, trav := range attr.Expr.Variables() {
			v, d := trav.TraverseAbs(ctx)
			if d.HasErrors() {
				continue
			}
			if v.ContainsMarked() && !sensitive {
				sensitive = true
				diags = append(diags, sensitiveInTaskDiag(attr.Name, trav))
			}
			if !v.IsWhollyKnown() {
				unknown = true
			}
		}
	}
	for _, blk := range sb.Blocks {
		d, u := checkTaskRefs(blk.Body, ctx)
		diags = append(diags, d...)
		unknown = unknown || u
	}
	return diags, unknown
}

// sensitiveInTaskDiag reports a sensitive value used in a task body. Task kinds put their
// inputs into plans, plan files and the audit log, which have no way to redact them, so
// sensitive values are for credentials (server and fleet blocks) only.
func sensitiveInTaskDiag(attr string, trav hcl.Traversal) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Sensitive value in task",
		Detail: fmt.Sprintf("The attribute %q uses a sensitive value. A task's inputs are shown in "+
			"plans and written to plan files and the audit log, where they cannot be redacted: "+
			"sensitive variables are for the passwords of server and fleet blocks. Declare the "+
			"variable without sensitive = true to use it here.", attr),
		Subject: trav.SourceRange().Ptr(),
	}
}
