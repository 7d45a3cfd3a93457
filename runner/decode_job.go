package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// jobSchema is the body of a `job "name"` block.
var jobSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "schedule"},
		{Name: "time_zone"},
		{Name: "mode"},
		{Name: "max_changes"},
		{Name: "fail_fast"},
		{Name: "overlap"},
		{Name: "catch_up_within"},
		{Name: "jitter"},
		{Name: "history_limit"},
	},
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "task", LabelNames: []string{"kind", "name"}},
	},
}

// taskCommonSchema lists the attributes every task body has; the runner decodes them and
// the kind sees the rest.
var taskCommonSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "max_changes"}},
}

// decodeJobBlock decodes a job block and its tasks. The returned job is never nil.
func (l *loader) decodeJobBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Job, hcl.Diagnostics) {
	job := &Job{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(jobSchema)
	attrs := content.Attributes

	if attr, ok := attrs["schedule"]; ok {
		s, sensitive, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		if ok {
			diags = append(diags, checkSchedule(s, sensitive, attr)...)
			job.Schedule = s
		}
	}
	if attr, ok := attrs["time_zone"]; ok {
		s, sensitive, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		if ok {
			if _, err := time.LoadLocation(s); err != nil || s == "" {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Invalid time zone",
					Detail: fmt.Sprintf("%s is not a known IANA time zone name such as \"UTC\" "+
						"or \"Europe/Berlin\".", quoteValue(s, sensitive)),
					Subject: attr.Expr.Range().Ptr(),
				})
			}
			job.TimeZone = s
		}
	}
	if attr, ok := attrs["mode"]; ok {
		s, _, d := attrKeyword(attr, ctx, ModeApply, ModePlan)
		diags = append(diags, d...)
		job.Mode = s
	}
	if attr, ok := attrs["max_changes"]; ok {
		n, _, d := attrInt(attr, ctx, 0)
		diags = append(diags, d...)
		job.MaxChanges = n
	}
	if attr, ok := attrs["fail_fast"]; ok {
		v, _, d := attrBool(attr, ctx)
		diags = append(diags, d...)
		job.FailFast = v
	}
	if attr, ok := attrs["overlap"]; ok {
		s, _, d := attrKeyword(attr, ctx, OverlapSkip, OverlapQueue)
		diags = append(diags, d...)
		job.Overlap = s
	}
	if attr, ok := attrs["catch_up_within"]; ok {
		v, _, d := attrDuration(attr, ctx)
		diags = append(diags, d...)
		job.CatchUpWithin = v
	}
	if attr, ok := attrs["jitter"]; ok {
		v, _, d := attrDuration(attr, ctx)
		diags = append(diags, d...)
		job.Jitter = v
	}
	if attr, ok := attrs["history_limit"]; ok {
		n, _, d := attrInt(attr, ctx, 1)
		diags = append(diags, d...)
		job.HistoryLimit = n
	}

	if len(content.Blocks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Job without tasks",
			Detail:   fmt.Sprintf("Job %q has no task blocks, so it would do nothing.", job.Name),
			Subject:  b.DefRange.Ptr(),
		})
	}
	seen := map[string]hcl.Range{}
	for _, tb := range content.Blocks {
		name := tb.Labels[1]
		if prev, dup := seen[name]; dup {
			diags = append(diags, duplicateDiag("task", name, prev, tb.DefRange))
			continue
		}
		seen[name] = tb.DefRange
		task, d := l.decodeTaskBlock(job.Name, tb, ctx)
		diags = append(diags, d...)
		if task != nil {
			job.Tasks = append(job.Tasks, task)
		}
	}
	normalizeJob(job)
	return job, diags
}

// checkSchedule parses a cron spec the way the scheduler will.
func checkSchedule(s string, sensitive bool, attr *hcl.Attribute) hcl.Diagnostics {
	var err error
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "TZ=") || strings.HasPrefix(t, "CRON_TZ=") {
		err = fmt.Errorf("set the time zone with the time_zone attribute, not in the schedule")
	} else {
		_, err = cronParser.Parse(s) // the daemon's parser, so validate accepts what it runs
	}
	if err == nil {
		return nil
	}
	why := err.Error()
	if sensitive {
		why = "it does not parse"
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  "Invalid schedule",
		Detail: fmt.Sprintf("The schedule %s is not valid: %s. Write five fields (minute hour "+
			"day-of-month month day-of-week, e.g. \"30 2 * * 1-5\") or a descriptor such as "+
			"\"@daily\" or \"@every 6h\".", quoteValue(s, sensitive), why),
		Subject: attr.Expr.Range().Ptr(),
	}}
}

// normalizeJob fills in the defaults of attributes that were not set.
func normalizeJob(job *Job) {
	if job.Mode == "" {
		job.Mode = ModeApply
	}
	if job.Overlap == "" {
		job.Overlap = OverlapSkip
	}
	if job.HistoryLimit == 0 {
		job.HistoryLimit = DefaultHistoryLimit
	}
}

// decodeTaskBlock decodes max_changes and hands the rest of the body to the task's kind.
// It returns nil when the kind is unknown.
func (l *loader) decodeTaskBlock(job string, b *hcl.Block, ctx *hcl.EvalContext) (*TaskBlock, hcl.Diagnostics) {
	kindName, name := b.Labels[0], b.Labels[1]
	kind, ok := lookupKind(kindName)
	if !ok {
		known := Kinds()
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unknown task kind",
			Detail: fmt.Sprintf("There is no task kind %q.%s Known kinds: %s.",
				kindName, didYouMean(kindName, known), strings.Join(known, ", ")),
			Subject: b.LabelRanges[0].Ptr(),
		}}
	}
	var diags hcl.Diagnostics
	if !hclsyntax.ValidIdentifier(name) {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid task name",
			Detail: fmt.Sprintf("%q is not a valid task name: a name must start with a letter "+
				"and contain only letters, digits, underscores and dashes.", name),
			Subject: b.LabelRanges[1].Ptr(),
		})
	}
	tb := &TaskBlock{Kind: kindName, Name: name, DeclRange: b.DefRange}
	common, remain, d := b.Body.PartialContent(taskCommonSchema)
	diags = append(diags, d...)
	if attr, ok := common.Attributes["max_changes"]; ok {
		n, _, d := attrInt(attr, ctx, 0)
		diags = append(diags, d...)
		tb.MaxChanges = n
	}
	dc := &DecodeContext{
		Eval:     ctx,
		BaseDir:  l.baseDir,
		FS:       l.fsys,
		Root:     l.opts.Root,
		Job:      job,
		Task:     name,
		DefRange: b.DefRange,
		Config:   l.cfg,
		record: func(path string, b []byte) {
			l.hashInputs["file:"+path] = b
			l.cfg.Sources[path] = b
		},
	}
	d, unknown := checkTaskRefs(remain, ctx)
	diags = append(diags, d...)
	if d.HasErrors() || unknown {
		return tb, diags
	}
	body := newTaskBody(remain)
	task, d := kind.Decode(dc, body)
	diags = append(diags, body.dropFollowOnErrors(d)...)
	tb.Task = task
	return tb, diags
}
