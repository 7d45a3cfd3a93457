package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// vm_report downloads a TGC VM report into a file:
//
//	task "vm_report" "daily" {
//	  server = server.tgc
//	  fields = "fields.csv"                      # or fields = ["VmName", "TotalIops", ...]
//	  output = "reports/vms-{date}-{time}.csv"   # relative to the job file
//	  format = "csv"                             # "csv" (default) or "json"
//	  since  = "2026-11-01T00:00:00Z"            # optional, RFC 3339
//	  until  = "2026-11-02T00:00:00Z"            # optional, RFC 3339
//	}
//
// fields.csv is the vendor template: one field per line, the field name first and an
// optional description after a comma, '#' lines commented out. Field names are the
// VirtualMachineDownloadableReportFilter attributes (tintri.VMReportAttributes).
//
// Placeholders in output, filled when the job is planned, from the run's clock in UTC:
//
//	{date}      2026-11-26
//	{time}      174501            (HHMMSS)
//	{datetime}  20261126T174501Z
//	{job}       the job's name
//	{task}      the task's name
//
// The plan always has one change (create, applied every run). Applying it requests the
// report, streams it into a temporary file beside the output, syncs and renames it: the
// output either holds a whole report or does not exist; on any error the temporary file
// is removed.

func init() {
	runner.Register("vm_report", "Downloads a TGC VM report into a file, atomically.", buildVMReport)
}

// reportBody is the body of a vm_report task.
type reportBody struct {
	decode.Meta
	tgcBody
	Fields hcl.Expression `hcl:"fields" type:"string or list(string)" doc:"The report's fields: a file in the vendor's template form (relative to the job file) or a list like [\"VmName\", \"TotalIops\"]."`
	Output string         `hcl:"output" doc:"The report file, relative to the job file; {date}, {time}, {datetime}, {job} and {task} are filled in from the run's clock (UTC)."`
	Format string         `hcl:"format,optional" enum:"csv,json" default:"csv" doc:"The report's file format."`
	Since  *string        `hcl:"since,optional" doc:"The start of the reported period, an RFC 3339 time like \"2026-11-01T00:00:00Z\"."`
	Until  *string        `hcl:"until,optional" doc:"The end of the reported period, an RFC 3339 time after since."`
}

// reportPlaceholders are the placeholders output may hold.
var reportPlaceholders = []string{"{date}", "{time}", "{datetime}", "{job}", "{task}"}

// reportTask is a decoded vm_report block.
type reportTask struct {
	server       string
	fields       []string
	output       string // OS path template (placeholders unexpanded)
	format       string // "CSV" or "JSON"
	since, until string // tintri.TimeLayout, or ""
	job, task    string
}

// reportSpec is the change's After: what Apply requests and where it writes.
type reportSpec struct {
	Path   string   `json:"path"`
	Fields []string `json:"fields"`
	Format string   `json:"format"`
	Since  string   `json:"since,omitempty"`
	Until  string   `json:"until,omitempty"`
}

func buildVMReport(dc *runner.DecodeContext, b *reportBody) (runner.Task, hcl.Diagnostics) {
	t := &reportTask{format: strings.ToUpper(b.Format), job: dc.Job, task: dc.Task, output: dc.OSPath(b.Output)}
	server, diags := b.server(dc)
	t.server = server
	fields, d := decodeReportFields(dc, b.Attr("fields"))
	diags = append(diags, d...)
	t.fields = fields
	diags = append(diags, checkOutput(b.Attr("output"), b.Output)...)
	var since, until time.Time
	for _, f := range []struct {
		name string
		val  *string
		t    *time.Time
		s    *string
	}{{"since", b.Since, &since, &t.since}, {"until", b.Until, &until, &t.until}} {
		if f.val == nil {
			continue
		}
		ts, err := time.Parse(time.RFC3339, *f.val)
		if err != nil {
			diags = append(diags, decode.Invalid(b.Attr(f.name),
				"The %s attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z, not %q.", f.name, *f.val))
			continue
		}
		*f.t, *f.s = ts, tintri.FormatTime(ts)
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		diags = append(diags, decode.Invalid(b.Attr("until"),
			"The until time %s must be after the since time %s.", until.Format(time.RFC3339), since.Format(time.RFC3339)))
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// decodeReportFields reads fields as a file name (the vendor template) or a list of names.
func decodeReportFields(dc *runner.DecodeContext, attr *hcl.Attribute) ([]string, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(dc.Eval)
	if diags.HasErrors() {
		return nil, diags
	}
	if v.Type() == cty.String {
		p, ok, d := decode.String(attr, dc.Eval)
		if !ok {
			return nil, d
		}
		return readReportFields(dc, attr, p)
	}
	list, ok, d := decode.Strings(attr, dc.Eval)
	if !ok {
		return nil, d
	}
	if len(list) == 0 {
		return nil, hcl.Diagnostics{attrError(attr, "Empty fields", "The fields attribute must list at least one report field.")}
	}
	seen := map[string]bool{}
	for _, f := range list {
		msg := checkField(f)
		if msg == "" && seen[f] {
			msg = fmt.Sprintf("field %q is listed twice", f)
		}
		if msg != "" {
			diags = append(diags, attrError(attr, "Invalid report field", "%s.", strings.ToUpper(msg[:1])+msg[1:]))
		}
		seen[f] = true
	}
	return list, diags
}

// readReportFields reads the report field file p, which attr names.
func readReportFields(dc *runner.DecodeContext, attr *hcl.Attribute, p string) ([]string, hcl.Diagnostics) {
	data, err := readDataFile(dc, p)
	if err != nil {
		return nil, hcl.Diagnostics{attrError(attr, "Unreadable field list", "Cannot read the report field list: %s.", err)}
	}
	src := newSrcLines(dc.Path(p), data)
	entries, errs := readFields(src.file, data)
	var diags hcl.Diagnostics
	for _, e := range errs {
		diags = append(diags, e.diag("Invalid report field", src))
	}
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Name
	}
	return out, diags
}

// checkOutput validates an output template: not empty, not a directory, only known
// placeholders.
func checkOutput(attr *hcl.Attribute, s string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if strings.TrimSpace(s) == "" || strings.HasSuffix(s, "/") {
		diags = append(diags, decode.Invalid(attr, "The output attribute must name a file, not %q.", s))
	}
	for _, p := range placeholderRE.FindAllString(s, -1) {
		known := false
		for _, k := range reportPlaceholders {
			known = known || p == k
		}
		if !known {
			diags = append(diags, attrError(attr, "Unknown placeholder",
				"The output placeholder %s is not one of %s.", p, strings.Join(reportPlaceholders, " ")))
		}
	}
	return diags
}

// expandOutput fills the output template's placeholders.
func (t *reportTask) expandOutput(now time.Time) string {
	return strings.NewReplacer(append(clockReplacements(now), "{job}", t.job, "{task}", t.task)...).Replace(t.output)
}

// Plan checks that the server is a TGC and plans writing the report.
func (t *reportTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	if _, err := tgcClient(ctx, env.Client, t.server); err != nil {
		return nil, err
	}
	spec := reportSpec{Path: t.expandOutput(env.Now()), Fields: t.fields, Format: t.format, Since: t.since, Until: t.until}
	fields := "fields"
	if len(spec.Fields) == 1 {
		fields = "field"
	}
	// The file is the report's address: two tasks writing one file are in conflict, and a
	// plan file's report is written only where the configuration says.
	address := "file/" + filepath.ToSlash(spec.Path)
	tp := &plan.TaskPlan{Changes: []plan.Change{{
		Server:      t.server,
		Object:      "vm report",
		ID:          "vm-report",
		Action:      plan.ActionCreate,
		Summary:     fmt.Sprintf("write report to %s (%s, %d %s)", spec.Path, spec.Format, len(spec.Fields), fields),
		After:       plan.MustJSON(spec),
		AlwaysApply: true,
		Addresses:   []string{address},
	}}}
	tp.Claim(address, spec)
	return tp, nil
}

// Apply requests the report and downloads it atomically into the planned path.
func (t *reportTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var spec reportSpec
	if err := json.Unmarshal(ch.After, &spec); err != nil {
		return fmt.Errorf("decode planned report: %w", err)
	}
	c, err := tgcWriter(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	url, err := c.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{
		Attributes: spec.Fields,
		Format:     spec.Format,
		Attachment: filepath.Base(spec.Path),
		Since:      spec.Since,
		Until:      spec.Until,
	})
	if err != nil {
		return fmt.Errorf("request vm report: %w", err)
	}
	n, err := writeAtomic(spec.Path, func(w io.Writer) (int64, error) { return c.Download(ctx, url, w) })
	if err != nil {
		return fmt.Errorf("vm report %s: %w", spec.Path, err)
	}
	env.Log.Info().Str("path", spec.Path).Int64("bytes", n).Msg("vm report written")
	return nil
}

// writeAtomic creates p (and its directory, if needed) with what fill writes, through
// internal/atomicfile: p holds the whole content or is left as it was. It returns the
// bytes fill wrote.
func writeAtomic(p string, fill func(io.Writer) (int64, error)) (n int64, err error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, fmt.Errorf("create directory: %w", err)
	}
	err = atomicfile.Write(p, 0o600, func(w io.Writer) error {
		var err error
		if n, err = fill(w); err != nil {
			return fmt.Errorf("download: %w", err)
		}
		return nil
	})
	return n, err
}
