package tasks

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
//	  since  = "-24h"                            # optional, RFC 3339 or before the plan time
//	  until  = "2026-11-02T00:00:00Z"            # optional, likewise
//	  header = "description"                     # "name" (default) or the file's descriptions
//	  mode   = "0640"                            # the default
//	}
//
// fields.csv is the vendor template: one field per line, the field name first and an
// optional description after a comma, '#' lines commented out. Field names are the
// VirtualMachineDownloadableReportFilter attributes (tintri.VMReportAttributes) or the VM
// statistics of a VM's stat (tintri.VMStatFields: latencyTotalMs, operationsTotalIops,
// throughputTotalMBps, spaceUsedGiB …), which vm_report_stats.go joins to the TGC's
// report. since and until are RFC 3339 times or durations before the plan time ("-24h");
// the plan holds the times they make. The file gets mode (0640: group-readable); a mode
// letting group or others write, or with execute bits, is refused.
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
	Since  *string        `hcl:"since,optional" doc:"The start of the reported period: an RFC 3339 time like \"2026-11-01T00:00:00Z\", or a duration before the plan time like \"-24h\"."`
	Until  *string        `hcl:"until,optional" doc:"The end of the reported period, after since: an RFC 3339 time or a duration before the plan time like \"-1h\"."`
	Header string         `hcl:"header,optional" enum:"name,description" default:"name" doc:"The column headers: the field names, or the descriptions of the field file (a field without one keeps its name)."`
	Mode   string         `hcl:"mode,optional" default:"0640" doc:"The report file's mode, an octal string like \"0600\"; group and others may read but not write, and nobody execute."`
}

// reportPlaceholders are the placeholders output may hold.
var reportPlaceholders = []string{"{date}", "{time}", "{datetime}", "{job}", "{task}"}

// reportTask is a decoded vm_report block.
type reportTask struct {
	server       string
	fields       []string
	headers      []string // nil: the field names
	output       string   // OS path template (placeholders unexpanded)
	format       string   // "CSV" or "JSON"
	since, until reportTime
	mode         os.FileMode
	job, task    string
}

// reportSpec is the change's After: what Apply requests and where it writes.
type reportSpec struct {
	Path    string   `json:"path"`
	Fields  []string `json:"fields"`
	Headers []string `json:"headers,omitempty"` // when not the field names
	Format  string   `json:"format"`
	Since   string   `json:"since,omitempty"`
	Until   string   `json:"until,omitempty"`
	Mode    string   `json:"mode"`
}

func buildVMReport(dc *runner.DecodeContext, b *reportBody) (runner.Task, hcl.Diagnostics) {
	t := &reportTask{format: strings.ToUpper(b.Format), job: dc.Job, task: dc.Task, output: dc.OSPath(b.Output)}
	server, diags := b.server(dc)
	t.server = server
	fields, descriptions, d := decodeReportFields(dc, b.Attr("fields"))
	diags = append(diags, d...)
	t.fields = fields
	diags = append(diags, checkOutput(b.Attr("output"), b.Output)...)
	if fi, err := os.Stat(t.output); err == nil && fi.IsDir() {
		diags = append(diags, decode.Invalid(b.Attr("output"), "The output %q is a directory: name a file in it, such as %q.",
			b.Output, strings.TrimSuffix(b.Output, "/")+"/{job}-{date}.csv"))
	}
	diags = append(diags, t.decodeReportOptions(b, descriptions)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// reportTime is a since or until: absent, an absolute time, or a duration before the plan
// time (rel, negative or zero).
type reportTime struct {
	set bool
	abs time.Time
	rel time.Duration
	// relative says rel, not abs, holds the time.
	relative bool
}

// at is the time t names for a plan made at now.
func (t reportTime) at(now time.Time) time.Time {
	if t.relative {
		return now.Add(t.rel)
	}
	return t.abs
}

// parseReportTime reads an RFC 3339 time or a duration before now ("-24h").
func parseReportTime(s string) (reportTime, error) {
	if strings.HasPrefix(strings.TrimSpace(s), "-") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return reportTime{}, err
		}
		return reportTime{set: true, rel: d, relative: true}, nil
	}
	ts, err := time.Parse(time.RFC3339, s)
	return reportTime{set: true, abs: ts}, err
}

// decodeReportOptions checks since, until, header and mode.
func (t *reportTask) decodeReportOptions(b *reportBody, descriptions []string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range []struct {
		name string
		val  *string
		dst  *reportTime
	}{{"since", b.Since, &t.since}, {"until", b.Until, &t.until}} {
		if f.val == nil {
			continue
		}
		rt, err := parseReportTime(*f.val)
		if err != nil {
			diags = append(diags, decode.Invalid(b.Attr(f.name),
				"The %s attribute must be an RFC 3339 time such as 2026-11-26T00:00:00Z or a duration before the plan time such as \"-24h\", not %q.", f.name, *f.val))
			continue
		}
		*f.dst = rt
	}
	if t.since.set && t.until.set && t.since.relative == t.until.relative && !t.since.at(time.Time{}).Before(t.until.at(time.Time{})) {
		diags = append(diags, decode.Invalid(b.Attr("until"), "The until time %s must be after the since time %s.", *b.Until, *b.Since))
	}
	if b.Header == "description" {
		if descriptions == nil {
			diags = append(diags, decode.Invalid(b.Attr("header"), "header = \"description\" takes the descriptions of a field file; these fields are a list."))
		}
		t.headers = make([]string, len(descriptions))
		for i, d := range descriptions {
			t.headers[i] = cmp.Or(d, t.fields[i])
		}
	}
	mode, err := strconv.ParseUint(b.Mode, 8, 32)
	switch {
	case err != nil || len(b.Mode) < 3 || mode > 0o777:
		diags = append(diags, decode.Invalid(b.Attr("mode"), "The mode must be an octal file mode such as \"0640\", not %q.", b.Mode))
	case mode&0o022 != 0 || mode&0o111 != 0:
		diags = append(diags, decode.Invalid(b.Attr("mode"), "The mode %s lets group or others write, or someone execute, the report; use at most 0644.", b.Mode))
	case mode&0o400 == 0:
		diags = append(diags, decode.Invalid(b.Attr("mode"), "The mode %s does not let the owner read the report.", b.Mode))
	}
	t.mode = os.FileMode(mode)
	return diags
}

// period is the since and until of a plan made at now, in tintri.TimeLayout ("" when
// unset); an until not after since is an error.
func (t *reportTask) period(now time.Time) (string, string, error) {
	var out [2]string
	for i, rt := range []reportTime{t.since, t.until} {
		if rt.set {
			out[i] = tintri.FormatTime(rt.at(now))
		}
	}
	if t.since.set && t.until.set && !t.since.at(now).Before(t.until.at(now)) {
		return "", "", fmt.Errorf("vm report: until %s is not after since %s", out[1], out[0])
	}
	return out[0], out[1], nil
}

// decodeReportFields reads fields as a file name (the vendor template) or a list of names.
// It returns the names and, from a file, their descriptions (nil from a list).
func decodeReportFields(dc *runner.DecodeContext, attr *hcl.Attribute) ([]string, []string, hcl.Diagnostics) {
	v, diags := attr.Expr.Value(dc.Eval)
	if diags.HasErrors() {
		return nil, nil, diags
	}
	if v.Type() == cty.String {
		p, ok, d := decode.String(attr, dc.Eval)
		if !ok {
			return nil, nil, d
		}
		return readReportFields(dc, attr, p)
	}
	list, ok, d := decode.Strings(attr, dc.Eval)
	if !ok {
		return nil, nil, d
	}
	if len(list) == 0 {
		return nil, nil, hcl.Diagnostics{attrError(attr, "Empty fields", "The fields attribute must list at least one report field.")}
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
	return list, nil, diags
}

// readReportFields reads the report field file p, which attr names: the names and their
// descriptions.
func readReportFields(dc *runner.DecodeContext, attr *hcl.Attribute, p string) ([]string, []string, hcl.Diagnostics) {
	data, err := readDataFile(dc, p)
	if err != nil {
		return nil, nil, hcl.Diagnostics{attrError(attr, "Unreadable field list", "Cannot read the report field list: %s.", err)}
	}
	src := newSrcLines(dc.Path(p), data)
	entries, errs := readFields(src.file, data)
	var diags hcl.Diagnostics
	for _, e := range errs {
		diags = append(diags, e.diag("Invalid report field", src))
	}
	names, descriptions := make([]string, len(entries)), make([]string, len(entries))
	for i, e := range entries {
		names[i], descriptions[i] = e.Name, e.Description
	}
	return names, descriptions, diags
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
	now := env.Now()
	since, until, err := t.period(now)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", t.server, err)
	}
	spec := reportSpec{Path: t.expandOutput(now), Fields: t.fields, Headers: t.headers, Format: t.format,
		Since: since, Until: until, Mode: fmt.Sprintf("%04o", t.mode)}
	fields := plural(len(spec.Fields), "field", "fields")
	if n := len(slices.DeleteFunc(slices.Clone(spec.Fields), func(f string) bool { return !isStatField(f) })); n > 0 {
		fields += fmt.Sprintf(", %d from the VMs' statistics", n)
	}
	// The file is the report's address: two tasks writing one file are in conflict, and a
	// plan file's report is written only where the configuration says.
	address := "file/" + filepath.ToSlash(spec.Path)
	tp := &plan.TaskPlan{Changes: []plan.Change{{
		Server:      t.server,
		Object:      "vm report",
		ID:          "vm-report",
		Action:      plan.ActionCreate,
		Summary:     fmt.Sprintf("write report to %s (%s, %s)", spec.Path, spec.Format, fields),
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
	perm, err := strconv.ParseUint(spec.Mode, 8, 32)
	if err != nil {
		return fmt.Errorf("planned report mode %q: %w", spec.Mode, err)
	}
	c, err := tgcWriter(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	fill := func(w io.Writer) (int64, error) { return requestReport(ctx, c, spec, spec.Fields, w) }
	if spec.joined() {
		fill = func(w io.Writer) (int64, error) { return writeJoined(ctx, env, c, spec, w) }
	}
	n, err := writeAtomic(spec.Path, os.FileMode(perm), fill)
	if err != nil {
		return fmt.Errorf("vm report %s: %w", spec.Path, err)
	}
	env.Log.Info().Str("path", spec.Path).Int64("bytes", n).Msg("vm report written")
	return nil
}

// requestReport asks the TGC for the report of attrs over the spec's period and downloads
// it into w, returning the bytes written.
func requestReport(ctx context.Context, c *tintri.Client, spec reportSpec, attrs []string, w io.Writer) (int64, error) {
	url, err := c.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{
		Attributes: attrs,
		Format:     spec.Format,
		Attachment: filepath.Base(spec.Path),
		Since:      spec.Since,
		Until:      spec.Until,
	})
	if err != nil {
		return 0, fmt.Errorf("request vm report: %w", err)
	}
	n, err := c.Download(ctx, url, w)
	if err != nil {
		return n, fmt.Errorf("download: %w", err)
	}
	return n, nil
}

// writeAtomic creates p (and its directory, if needed) with mode perm and what fill writes,
// through internal/atomicfile: p holds the whole content or is left as it was. It returns
// the bytes fill wrote.
func writeAtomic(p string, perm os.FileMode, fill func(io.Writer) (int64, error)) (n int64, err error) {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return 0, fmt.Errorf("create directory: %w", err)
	}
	err = atomicfile.Write(p, perm, func(w io.Writer) error {
		var err error
		n, err = fill(w)
		return err
	})
	return n, err
}
