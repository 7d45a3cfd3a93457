package config

import (
	"fmt"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// jobBody is the body of a `job "name"` block.
type jobBody struct {
	decode.Meta
	Schedule      hcl.Expression `hcl:"schedule,optional" type:"string" doc:"When the daemon runs the job: five cron fields (\"30 2 * * 1-5\") or a descriptor (\"@daily\", \"@every 6h\"); plan and apply ignore it."`
	TimeZone      hcl.Expression `hcl:"time_zone,optional" type:"string" doc:"IANA time zone of the schedule (default: the host's)."`
	Mode          string         `hcl:"mode,optional" enum:"apply,plan" default:"apply" doc:"Daemon: apply the changes, or only plan them (drift check)."`
	MaxChanges    int            `hcl:"max_changes,optional" min:"0" doc:"Refuse to apply a plan with more changes than this (0: no limit)."`
	FailFast      bool           `hcl:"fail_fast,optional" default:"false" doc:"Stop the job at its first failed change."`
	AllowPartial  bool           `hcl:"allow_partial,optional" default:"false" doc:"Apply what could be planned when some targets failed, were refused or are in conflict (for fleets where some appliances are expected to be down); otherwise such a plan is not applied at all."`
	Overlap       string         `hcl:"overlap,optional" enum:"skip,queue" default:"skip" doc:"Daemon: skip a run while the previous one is going, or queue one."`
	CatchUpWithin time.Duration  `hcl:"catch_up_within,optional" default:"0s" doc:"Daemon: catch up one run missed by less than this (0s: never)."`
	Jitter        time.Duration  `hcl:"jitter,optional" default:"0s" doc:"Daemon: random delay before each run."`
	HistoryLimit  int            `hcl:"history_limit,optional" min:"1" default:"100" doc:"Daemon: runs kept in the history for this job."`
	Tasks         []*hcl.Block   `hcl:"task,block" labels:"kind,name" doc:"The job's tasks: task \"<kind>\" \"<name>\" { … }."`
}

// taskCommon holds the attributes every task body has besides its kind's.
type taskCommon struct {
	MaxChanges int `hcl:"max_changes,optional" min:"0" doc:"Refuse to apply a plan in which this task has more changes than this (0: no limit)."`
}

// JobAttributes documents the attributes of a job block.
func JobAttributes() []decode.Attr { return decode.Describe(jobBody{}) }

// TaskAttributes documents the attributes every task takes besides its kind's.
func TaskAttributes() []decode.Attr { return decode.Describe(taskCommon{}) }

// decodeJobBlock decodes a job block and its tasks' common attributes. The returned job
// is never nil.
func (l *loader) decodeJobBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Job, hcl.Diagnostics) {
	var body jobBody
	_, diags := decode.Body(b.Body, ctx, &body)
	job := &Job{Name: b.Labels[0], DeclRange: b.DefRange, Mode: body.Mode, MaxChanges: body.MaxChanges,
		FailFast: body.FailFast, AllowPartial: body.AllowPartial, Overlap: body.Overlap, CatchUpWithin: body.CatchUpWithin, Jitter: body.Jitter,
		HistoryLimit: body.HistoryLimit}
	if attr := body.Attr("schedule"); attr != nil {
		v, sensitive, ok, d := decode.Eval(attr, ctx, cty.String)
		diags = append(diags, d...)
		if ok {
			diags = append(diags, checkSchedule(v.AsString(), sensitive, attr)...)
			job.Schedule = v.AsString()
		}
	}
	if attr := body.Attr("time_zone"); attr != nil {
		v, sensitive, ok, d := decode.Eval(attr, ctx, cty.String)
		diags = append(diags, d...)
		if ok {
			if _, err := time.LoadLocation(v.AsString()); err != nil || v.AsString() == "" {
				diags = append(diags, decode.Invalid(attr, "%s is not a known IANA time zone name such as \"UTC\" or \"Europe/Berlin\".",
					decode.Show(v, sensitive)))
			}
			job.TimeZone = v.AsString()
		}
	}
	if job.HistoryLimit == 0 {
		job.HistoryLimit = DefaultHistoryLimit
	}
	if len(body.Tasks) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Job without tasks",
			Detail:   fmt.Sprintf("Job %q has no task blocks, so it would do nothing.", job.Name),
			Subject:  b.DefRange.Ptr(),
		})
	}
	seen := map[string]hcl.Range{}
	for _, tb := range body.Tasks {
		name := tb.Labels[1]
		if prev, dup := seen[name]; dup {
			diags = append(diags, duplicateDiag("task", name, prev, tb.DefRange))
			continue
		}
		seen[name] = tb.DefRange
		task, d := decodeTaskBlock(tb, ctx)
		diags = append(diags, d...)
		job.Tasks = append(job.Tasks, task)
	}
	return job, diags
}

// checkSchedule parses a cron spec the way the scheduler will (ParseSchedule), in the
// host's zone: whether a schedule ever fires does not depend on the zone.
func checkSchedule(s string, sensitive bool, attr *hcl.Attribute) hcl.Diagnostics {
	_, err := parseSpec(s, "", time.Now())
	if err == nil {
		return nil
	}
	why := err.Error()
	if sensitive {
		why = "it does not parse"
	}
	return hcl.Diagnostics{decode.Invalid(attr, "The schedule %s is not valid: %s. Write five fields (minute hour "+
		"day-of-month month day-of-week, e.g. \"30 2 * * 1-5\") or a descriptor such as "+
		"\"@daily\" or \"@every 6h\".", decode.ShowString(s, sensitive), why)}
}

// decodeTaskBlock checks a task block's name and decodes max_changes; the kind decodes the
// rest of the body.
func decodeTaskBlock(b *hcl.Block, ctx *hcl.EvalContext) (*TaskBlock, hcl.Diagnostics) {
	kind, name := b.Labels[0], b.Labels[1]
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
	var common taskCommon
	_, remain, d := decode.PartialBody(b.Body, ctx, &common)
	diags = append(diags, d...)
	return &TaskBlock{Kind: kind, Name: name, MaxChanges: common.MaxChanges, Body: remain,
		KindRange: b.LabelRanges[0], DeclRange: b.DefRange}, diags
}
