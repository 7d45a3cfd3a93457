package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// ServerRef resolves an expression naming a server block, written `server.tgc` or as a
// string "tgc". With wantKind (KindTGC or KindVMstore) set, the server must be of that
// kind. The name is "" when diagnostics explain why there is none, or when the
// expression's value is unknown because of an earlier error.
func ServerRef(cfg *Config, ctx *hcl.EvalContext, expr hcl.Expression, wantKind string) (string, hcl.Diagnostics) {
	name, diags := RefName(ctx, expr, "server")
	if name == "" {
		return "", diags
	}
	srv, ok := cfg.Servers[name]
	if !ok {
		return "", append(diags, undeclaredDiag("server", name, cfg.ServerNames(), expr.Range()))
	}
	if wantKind != "" && srv.Kind != "" && srv.Kind != wantKind {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Wrong server kind",
			Detail:   fmt.Sprintf("Server %q is a %s, but a %s is required here.", name, srv.Kind, wantKind),
			Subject:  expr.Range().Ptr(),
		})
	}
	return name, diags
}

// FleetRef resolves an expression naming a fleet block: `fleet.lab` or "lab".
func FleetRef(cfg *Config, ctx *hcl.EvalContext, expr hcl.Expression) (string, hcl.Diagnostics) {
	name, diags := RefName(ctx, expr, "fleet")
	if name == "" {
		return "", diags
	}
	if _, ok := cfg.Fleets[name]; !ok {
		return "", append(diags, undeclaredDiag("fleet", name, cfg.FleetNames(), expr.Range()))
	}
	return name, diags
}

// RefName reads a reference to a block of type root ("server" or "fleet"): the traversal
// root.<name>, or any expression giving the name as a string. It does not check that the
// block exists.
func RefName(ctx *hcl.EvalContext, expr hcl.Expression, root string) (string, hcl.Diagnostics) {
	if trav, diags := hcl.AbsTraversalForExpr(expr); !diags.HasErrors() {
		switch trav.RootName() {
		case "server", "fleet":
			step, ok := trav[len(trav)-1].(hcl.TraverseAttr)
			if trav.RootName() != root || len(trav) != 2 || !ok {
				return "", hcl.Diagnostics{invalidRef(root, expr, fmt.Sprintf("Expected %s.<name> or the %s's name as a string.", root, root))}
			}
			return step.Name, nil
		}
	}
	v, sensitive, ok, diags := decode.Eval(&hcl.Attribute{Name: root, Expr: expr}, ctx, cty.String)
	switch {
	case !ok:
		return "", diags
	case sensitive:
		return "", append(diags, invalidRef(root, expr, fmt.Sprintf("A %s name must not come from a sensitive value.", root)))
	case v.AsString() == "":
		return "", append(diags, invalidRef(root, expr, fmt.Sprintf("The %s name must not be empty.", root)))
	}
	return v.AsString(), diags
}

func invalidRef(root string, expr hcl.Expression, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + root + " reference",
		Detail:   detail,
		Subject:  expr.Range().Ptr(),
	}
}

// undeclaredDiag reports a reference to a block that does not exist.
func undeclaredDiag(what, name string, declared []string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + what,
		Detail:   fmt.Sprintf("No %s block is named %q%s.", what, name, decode.DidYouMean(name, declared)),
		Subject:  rng.Ptr(),
	}
}
