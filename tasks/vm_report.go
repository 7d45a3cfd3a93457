package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner"
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
	runner.Register(runner.Kind{Name: "vm_report", Decode: decodeVMReport})
}

var reportSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "server", Required: true},
		{Name: "fields", Required: true},
		{Name: "output", Required: true},
		{Name: "format"},
		{Name: "since"},
		{Name: "until"},
	},
}

// placeholderRE finds {word} placeholders in an output template.
var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

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

func decodeVMReport(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(reportSchema)
	t := &reportTask{format: "CSV", job: dc.Job, task: dc.Task}
	server, d := decodeTGCServer(dc, content)
	diags = append(diags, d...)
	t.server = server
	if attr := content.Attributes["fields"]; attr != nil {
		fields, d := decodeReportFields(dc, attr)
		diags = append(diags, d...)
		t.fields = fields
	}
	if attr := content.Attributes["output"]; attr != nil {
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, checkOutput(attr, s)...)
			t.output = dc.OSPath(s)
		}
	}
	if attr := content.Attributes["format"]; attr != nil {
		s, d := evalEnum(dc, attr, "csv", "json")
		diags = append(diags, d...)
		t.format = strings.ToUpper(s)
	}
	var since, until time.Time
	for _, f := range []struct {
		name string
		t    *time.Time
		s    *string
	}{{"since", &since, &t.since}, {"until", &until, &t.until}} {
		attr := content.Attributes[f.name]
		if attr == nil {
			continue
		}
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		ts, err := time.Parse(time.RFC3339, s)
		if err != nil {
			diags = append(diags, attrDiag(attr, "Invalid "+f.name,
				fmt.Sprintf("The %s attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z, not %q.", f.name, s)))
			continue
		}
		*f.t, *f.s = ts, tintri.FormatTime(ts)
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		diags = append(diags, attrDiag(content.Attributes["until"], "Invalid until",
			fmt.Sprintf("The until time %s must be after the since time %s.", until.Format(time.RFC3339), since.Format(time.RFC3339))))
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
		p, d := evalString(dc, attr)
		if d.HasErrors() {
			return nil, d
		}
		data, err := dc.ReadFile(p)
		if err != nil {
			return nil, hcl.Diagnostics{attrDiag(attr, "Unreadable field list", fmt.Sprintf("Cannot read the report field list: %s.", err))}
		}
		src := newSrcLines(dc.Path(p), data)
		entries, errs := readFields(src.file, data)
		for _, e := range errs {
			diags = append(diags, e.diag("Invalid report field", src))
		}
		out := make([]string, len(entries))
		for i, e := range entries {
			out[i] = e.Name
		}
		return out, diags
	}
	list, d := evalStrings(dc, attr)
	if d.HasErrors() {
		return nil, d
	}
	if len(list) == 0 {
		return nil, hcl.Diagnostics{attrDiag(attr, "Empty fields", "The fields attribute must list at least one report field.")}
	}
	seen := map[string]bool{}
	for _, f := range list {
		msg := checkField(f)
		if msg == "" && seen[f] {
			msg = fmt.Sprintf("field %q is listed twice", f)
		}
		if msg != "" {
			diags = append(diags, attrDiag(attr, "Invalid report field", strings.ToUpper(msg[:1])+msg[1:]+"."))
		}
		seen[f] = true
	}
	return list, diags
}

// checkOutput validates an output template: not empty, not a directory, only known
// placeholders.
func checkOutput(attr *hcl.Attribute, s string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if strings.TrimSpace(s) == "" || strings.HasSuffix(s, "/") {
		diags = append(diags, attrDiag(attr, "Invalid output", fmt.Sprintf("The output attribute must name a file, not %q.", s)))
	}
	for _, p := range placeholderRE.FindAllString(s, -1) {
		known := false
		for _, k := range reportPlaceholders {
			known = known || p == k
		}
		if !known {
			diags = append(diags, attrDiag(attr, "Unknown placeholder",
				fmt.Sprintf("The output placeholder %s is not one of %s.", p, strings.Join(reportPlaceholders, " "))))
		}
	}
	return diags
}

// expandOutput fills the output template's placeholders.
func (t *reportTask) expandOutput(now time.Time) string {
	now = now.UTC()
	return strings.NewReplacer(
		"{date}", now.Format("2006-01-02"),
		"{time}", now.Format("150405"),
		"{datetime}", now.Format("20060102T150405Z"),
		"{job}", t.job,
		"{task}", t.task,
	).Replace(t.output)
}

// Plan checks that the server is a TGC and plans writing the report.
func (t *reportTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	if _, err := tgcClient(ctx, env, t.server); err != nil {
		return nil, err
	}
	spec := reportSpec{Path: t.expandOutput(env.Now()), Fields: t.fields, Format: t.format, Since: t.since, Until: t.until}
	fields := "fields"
	if len(spec.Fields) == 1 {
		fields = "field"
	}
	return &runner.TaskPlan{Changes: []runner.Change{{
		Server:      t.server,
		Object:      "vm report",
		ID:          "vm-report",
		Action:      runner.ActionCreate,
		Summary:     fmt.Sprintf("write report to %s (%s, %d %s)", spec.Path, spec.Format, len(spec.Fields), fields),
		After:       runner.MustJSON(spec),
		AlwaysApply: true,
	}}}, nil
}

// Apply requests the report and downloads it atomically into the planned path.
func (t *reportTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var spec reportSpec
	if err := json.Unmarshal(ch.After, &spec); err != nil {
		return fmt.Errorf("%s: decode planned report: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env, ch.Server)
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
		return fmt.Errorf("tgc %s: request vm report: %w", ch.Server, err)
	}
	n, err := writeAtomic(spec.Path, func(f *os.File) (int64, error) { return c.Download(ctx, url, f) })
	if err != nil {
		return fmt.Errorf("tgc %s: vm report %s: %w", ch.Server, spec.Path, err)
	}
	env.Log.Info().Str("path", spec.Path).Int64("bytes", n).Msg("vm report written")
	return nil
}

// writeAtomic creates p through a temporary file in p's directory (created if needed):
// fill writes the content, which is then synced and renamed over p, and the directory
// synced. On any error the temporary file is removed and p is left as it was.
func writeAtomic(p string, fill func(*os.File) (int64, error)) (n int64, err error) {
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("create directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(p)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("create temporary file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if n, err = fill(f); err != nil {
		return n, fmt.Errorf("download: %w", err)
	}
	if err = f.Sync(); err != nil {
		return n, fmt.Errorf("sync: %w", err)
	}
	if err = f.Close(); err != nil {
		return n, fmt.Errorf("close: %w", err)
	}
	if err = os.Rename(f.Name(), p); err != nil {
		return n, fmt.Errorf("rename: %w", err)
	}
	if d, derr := os.Open(dir); derr == nil {
		serr := d.Sync()
		cerr := d.Close()
		if serr = errors.Join(serr, cerr); serr != nil {
			return n, fmt.Errorf("sync directory: %w", serr)
		}
	}
	return n, nil
}
