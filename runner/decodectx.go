package runner

import (
	"fmt"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// DecodeContext is handed to a kind's build function: what a task body may refer to and
// where its relative paths resolve.
type DecodeContext struct {
	// Eval holds var.*, server.<name> = "<name>", fleet.<name> = "<name>", the standard
	// library functions, env() and file().
	Eval *hcl.EvalContext
	Job  string
	Task string
	// DefRange is the task block's header.
	DefRange hcl.Range
	// Config holds the servers and fleets, all decoded before any task.
	Config *config.Config
	// Files lists the files ReadFile read, by their paths within Config.FS.
	Files []string
}

// NewDecodeContext is the context of the task tb of job in cfg.
func NewDecodeContext(cfg *config.Config, job string, tb *config.TaskBlock) *DecodeContext {
	return &DecodeContext{Eval: cfg.Eval, Job: job, Task: tb.Name, DefRange: tb.DeclRange, Config: cfg}
}

// FS is what files are read through (tests use fstest.MapFS).
func (dc *DecodeContext) FS() fs.FS { return dc.Config.FS }

// Path joins a relative, slash-separated p to the job file's directory; an absolute p is
// returned as is.
func (dc *DecodeContext) Path(p string) string { return dc.Config.Path(p) }

// OSPath is Path as an operating-system path, for files a task writes rather than reads.
func (dc *DecodeContext) OSPath(p string) string { return dc.Config.OSPath(p) }

// ReadFile reads p, relative to the job file's directory, and records it: it counts in the
// configuration's hash and diagnostics in it show source snippets.
func (dc *DecodeContext) ReadFile(p string) ([]byte, error) {
	full, b, err := dc.Config.ReadFile(p)
	if err == nil {
		dc.Files = append(dc.Files, full)
	}
	return b, err
}

// ServerRef resolves an expression naming a server block, written `server.tgc` or as a
// string "tgc". With wantKind (config.KindTGC or config.KindVMstore) set, the server must
// be of that kind. The name is "" when diagnostics explain why there is none.
func (dc *DecodeContext) ServerRef(expr hcl.Expression, wantKind string) (string, hcl.Diagnostics) {
	return config.ServerRef(dc.Config, dc.Eval, expr, wantKind)
}

// Targets names the VMstores a fleet-wide task works on: a fleet, or a list of servers.
type Targets struct {
	Fleet   string   `json:"fleet,omitempty"`
	Servers []string `json:"servers,omitempty"`
}

// TargetsRef resolves the VMstores a task works on: exactly one of fleet (`fleet.x` or
// "x") and servers (a list of vmstore servers). Either expression may be nil (absent).
func (dc *DecodeContext) TargetsRef(fleet, servers hcl.Expression) (Targets, hcl.Diagnostics) {
	hasFleet, hasServers := !decode.Absent(fleet), !decode.Absent(servers)
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
		name, diags := config.FleetRef(dc.Config, dc.Eval, fleet)
		if name == "" {
			return Targets{}, diags
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
		v, sensitive, ok, d := decode.Eval(&hcl.Attribute{Name: "servers", Expr: servers}, dc.Eval, cty.List(cty.String))
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
			Detail:   "The servers attribute must list at least one vmstore server.",
			Subject:  servers.Range().Ptr(),
		})
	}
	var t Targets
	seen := map[string]bool{}
	for _, item := range items {
		name, d := dc.ServerRef(item, config.KindVMstore)
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
