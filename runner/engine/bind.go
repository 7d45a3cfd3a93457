package engine

import (
	"fmt"
	"io/fs"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Config is a loaded configuration whose task bodies are decoded by their kinds: what the
// engine plans and applies.
type Config struct {
	*config.Config
	// Warnings are the warnings of loading the configuration (Load fills them in), which
	// every plan made from it lists.
	Warnings  []plan.Warning
	tasks     map[*config.TaskBlock]runner.Task
	jobHashes map[string]string
}

// Task returns the decoded task of a task block of this configuration.
func (c *Config) Task(tb *config.TaskBlock) runner.Task { return c.tasks[tb] }

// Load loads the job files at p (config.Load) and decodes every task body with its kind
// (Bind), so that one run reports every problem. It never uses the network; `validate` is
// exactly this. The Config is never nil; with errors only its Files and Sources are meant
// to be used.
func Load(fsys fs.FS, p string, opts config.LoadOptions) (*Config, hcl.Diagnostics) {
	cfg, diags := config.Load(fsys, p, opts)
	bound, d := Bind(cfg)
	diags = append(diags, d...)
	bound.Warnings = Warnings(diags)
	return bound, diags
}

// Bind decodes the task bodies of cfg with their registered kinds. A body that uses a
// sensitive value, or a value an earlier error left unknown, is refused before its kind
// sees it.
func Bind(cfg *config.Config) (*Config, hcl.Diagnostics) {
	out := &Config{Config: cfg, tasks: map[*config.TaskBlock]runner.Task{}, jobHashes: map[string]string{}}
	var diags hcl.Diagnostics
	files := map[*config.TaskBlock][]string{}
	for _, j := range cfg.Jobs {
		for _, tb := range j.Tasks {
			task, read, d := bindTask(cfg, j, tb)
			diags = append(diags, d...)
			files[tb] = read
			if task != nil {
				out.tasks[tb] = task
			}
		}
		out.jobHashes[j.Name] = jobHash(cfg, j, files)
	}
	return out, diags
}

// bindTask decodes one task body and returns the files its kind read; a panicking kind is
// reported, not fatal.
func bindTask(cfg *config.Config, j *config.Job, tb *config.TaskBlock) (task runner.Task, read []string, diags hcl.Diagnostics) {
	kind, ok := runner.LookupKind(tb.Kind)
	if !ok {
		known := runner.KindNames()
		return nil, nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown task kind",
			Detail: fmt.Sprintf("There is no task kind %q%s. Known kinds: %s.",
				tb.Kind, decode.DidYouMean(tb.Kind, known), strings.Join(known, ", ")),
			Subject: tb.KindRange.Ptr(),
		}}
	}
	d, unknown := checkTaskRefs(tb.Body, cfg.Eval)
	if d.HasErrors() || unknown {
		return nil, nil, d
	}
	dc := runner.NewDecodeContext(cfg, j.Name, tb)
	defer func() {
		if r := recover(); r != nil {
			task, diags = nil, append(d, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Task kind failed",
				Detail:   fmt.Sprintf("The %s kind failed to decode this task: %v\n%s", tb.Kind, r, debug.Stack()),
				Subject:  tb.DeclRange.Ptr(),
			})
		}
	}()
	task, kd := kind.Decode(dc, tb.Body)
	return task, dc.Files, append(d, kd...)
}

// checkTaskRefs reports the references to undeclared variables, servers and fleets in a
// task body and the uses of sensitive values, and says whether the body uses a value left
// unknown by an earlier error. Either way the kind's decoder is not run: it would only
// repeat those errors less clearly.
func checkTaskRefs(body hcl.Body, ctx *hcl.EvalContext) (diags hcl.Diagnostics, unknown bool) {
	attrs, _ := body.JustAttributes()
	sorted := make([]*hcl.Attribute, 0, len(attrs))
	for _, a := range attrs {
		sorted = append(sorted, a)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
	for _, attr := range sorted {
		d := decode.CheckRefs(attr.Expr, ctx)
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
	if sb, ok := body.(*hclsyntax.Body); ok {
		for _, blk := range sb.Blocks {
			d, u := checkTaskRefs(blk.Body, ctx)
			diags = append(diags, d...)
			unknown = unknown || u
		}
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
