package runner

import (
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// DecodeContext is handed to Kind.Decode: what a task body may refer to and where its
// relative paths resolve.
type DecodeContext struct {
	// Eval holds var.*, server.<name> = "<name>", fleet.<name> = "<name>", the standard
	// library functions, env() and file().
	Eval *hcl.EvalContext
	// BaseDir is the job file's directory within FS; relative paths resolve against it.
	BaseDir string
	// FS is what files are read through (tests use fstest.MapFS).
	FS fs.FS
	// Root is the operating-system directory FS is rooted at (LoadOptions.Root); OSPath uses
	// it for files a task writes.
	Root string
	Job  string
	Task string
	// DefRange is the task block's header.
	DefRange hcl.Range
	// Config holds the servers and fleets, all decoded before any task.
	Config *Config

	// record, when set, is told about every file read (by its path within FS) so the loader
	// can hash it and print source snippets of diagnostics in it.
	record func(path string, b []byte)
}

// OSPath is Path as an operating-system path under Root, for files a task writes rather
// than reads through FS. An absolute p is returned as is.
func (dc *DecodeContext) OSPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dc.Root, filepath.FromSlash(dc.Path(p)))
}

// Path joins a relative, slash-separated p to BaseDir; an absolute p is returned as is.
func (dc *DecodeContext) Path(p string) string { return joinPath(dc.BaseDir, p) }

// ReadFile reads p, relative to BaseDir, through FS.
func (dc *DecodeContext) ReadFile(p string) ([]byte, error) {
	full, b, err := readRelative(dc.FS, dc.BaseDir, p)
	if err != nil {
		return nil, err
	}
	if dc.record != nil {
		dc.record(full, b)
	}
	return b, nil
}

// ServerRef resolves an expression naming a server block, written `server.tgc` or as a
// string "tgc". With wantKind (KindTGC or KindVMstore) set, the server must be of that
// kind. The name is "" when diagnostics explain why there is none, or when the
// expression's value is unknown because of an earlier error.
func (dc *DecodeContext) ServerRef(expr hcl.Expression, wantKind string) (string, hcl.Diagnostics) {
	return resolveServerRef(dc.Config, dc.Eval, expr, wantKind)
}

// TargetsRef resolves the VMstores a task works on: exactly one of fleet (`fleet.x` or
// "x") and servers (a list of vmstore servers). Either expression may be nil, or the
// null placeholder gohcl puts in an absent optional hcl.Expression field.
func (dc *DecodeContext) TargetsRef(fleet, servers hcl.Expression) (Targets, hcl.Diagnostics) {
	hasFleet, hasServers := !absentExpr(fleet), !absentExpr(servers)
	switch {
	case hasFleet && hasServers:
		return Targets{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Conflicting targets",
			Detail:   "Set either fleet or servers, not both.",
			Subject:  servers.Range().Ptr(),
		}}
	case !hasFleet && !hasServers:
		return Targets{}, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Missing targets",
			Detail:   "Set fleet = fleet.<name> or servers = [server.<name>, …] to say which VMstores the task works on.",
			Subject:  dc.DefRange.Ptr(),
		}}
	case hasFleet:
		name, diags := refName(dc.Eval, fleet, "fleet")
		if name == "" {
			return Targets{}, diags
		}
		if _, ok := dc.Config.Fleets[name]; !ok {
			return Targets{}, append(diags, undeclaredDiag("fleet", name, fleetNames(dc.Config), fleet.Range()))
		}
		return Targets{Fleet: name}, diags
	}
	return dc.serverTargets(servers)
}

// serverTargets resolves `servers = [...]`: each entry a vmstore server, listed once.
func (dc *DecodeContext) serverTargets(servers hcl.Expression) (Targets, hcl.Diagnostics) {
	items, diags := hcl.ExprList(servers)
	if diags.HasErrors() {
		// Not written as a list: evaluate it (e.g. a variable holding names).
		v, sensitive, ok, d := attrValue(&hcl.Attribute{Name: "servers", Expr: servers}, dc.Eval, cty.List(cty.String))
		if !ok {
			return Targets{}, d
		}
		if sensitive {
			return Targets{}, append(d, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid server reference",
				Detail:   "Server names must not come from a sensitive value.",
				Subject:  servers.Range().Ptr(),
			})
		}
		items = nil
		for _, ev := range v.AsValueSlice() {
			items = append(items, hcl.StaticExpr(ev, servers.Range()))
		}
		diags = d
	}
	if len(items) == 0 {
		return Targets{}, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty server list",
			Detail:   "The attribute \"servers\" must list at least one vmstore server.",
			Subject:  servers.Range().Ptr(),
		})
	}
	var t Targets
	seen := map[string]bool{}
	for _, item := range items {
		name, d := dc.ServerRef(item, KindVMstore)
		diags = append(diags, d...)
		if name == "" {
			continue
		}
		if seen[name] {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate target",
				Detail:   fmt.Sprintf("Server %q is listed more than once.", name),
				Subject:  item.Range().Ptr(),
			})
			continue
		}
		seen[name] = true
		t.Servers = append(t.Servers, name)
	}
	return t, diags
}

// absentExpr reports whether expr stands for an attribute that was not written.
func absentExpr(expr hcl.Expression) bool {
	if expr == nil {
		return true
	}
	if len(expr.Variables()) > 0 {
		return false
	}
	v, diags := expr.Value(nil)
	return !diags.HasErrors() && v.IsNull()
}

// resolveServerRef is DecodeContext.ServerRef for callers without a DecodeContext.
func resolveServerRef(cfg *Config, ctx *hcl.EvalContext, expr hcl.Expression, wantKind string) (string, hcl.Diagnostics) {
	name, diags := refName(ctx, expr, "server")
	if name == "" {
		return "", diags
	}
	srv, ok := cfg.Servers[name]
	if !ok {
		names := make([]string, 0, len(cfg.Servers))
		for n := range cfg.Servers {
			names = append(names, n)
		}
		return "", append(diags, undeclaredDiag("server", name, names, expr.Range()))
	}
	if wantKind != "" && srv.Kind != "" && srv.Kind != wantKind {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Wrong server kind",
			Detail: fmt.Sprintf("Server %q is a %s, but a %s is required here.",
				name, srv.Kind, wantKind),
			Subject: expr.Range().Ptr(),
		})
	}
	return name, diags
}

// refName reads a reference to a block of type root ("server" or "fleet"): the traversal
// root.<name>, or any expression giving the name as a string.
func refName(ctx *hcl.EvalContext, expr hcl.Expression, root string) (string, hcl.Diagnostics) {
	if trav, diags := hcl.AbsTraversalForExpr(expr); !diags.HasErrors() {
		switch trav.RootName() {
		case "server", "fleet":
			step, ok := trav[len(trav)-1].(hcl.TraverseAttr)
			if trav.RootName() != root || len(trav) != 2 || !ok {
				return "", hcl.Diagnostics{{
					Severity: hcl.DiagError,
					Summary:  "Invalid " + root + " reference",
					Detail:   fmt.Sprintf("Expected %s.<name> or the %s's name as a string.", root, root),
					Subject:  expr.Range().Ptr(),
				}}
			}
			return step.Name, nil
		}
	}
	s, sensitive, ok, diags := attrString(&hcl.Attribute{Name: root, Expr: expr}, ctx)
	if !ok {
		return "", diags
	}
	if sensitive {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + root + " reference",
			Detail:   fmt.Sprintf("A %s name must not come from a sensitive value.", root),
			Subject:  expr.Range().Ptr(),
		})
	}
	if s == "" {
		return "", append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + root + " reference",
			Detail:   fmt.Sprintf("The %s name must not be empty.", root),
			Subject:  expr.Range().Ptr(),
		})
	}
	return s, diags
}

// undeclaredDiag reports a reference to a block that does not exist.
func undeclaredDiag(what, name string, declared []string, rng hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Reference to undeclared " + what,
		Detail:   fmt.Sprintf("No %s block is named %q.%s", what, name, didYouMean(name, declared)),
		Subject:  rng.Ptr(),
	}
}

// fleetNames lists the declared fleets.
func fleetNames(cfg *Config) []string {
	names := make([]string, 0, len(cfg.Fleets))
	for n := range cfg.Fleets {
		names = append(names, n)
	}
	return names
}
