package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

// jsonFormatVersion is the version of the machine-readable output documented in
// docs/plan-json.md. Adding fields keeps it; renaming or removing one bumps it.
const jsonFormatVersion = "1"

// jsonView writes one JSON document per line: a "plan" document for a plan, an
// "apply_result" document for a result.
type jsonView struct{ w io.Writer }

type jsonPlan struct {
	FormatVersion string          `json:"format_version"`
	Type          string          `json:"type"`
	CreatedAt     time.Time       `json:"created_at"`
	ConfigHash    string          `json:"config_hash"`
	Jobs          []jsonJob       `json:"jobs"`
	Summary       jsonPlanSummary `json:"summary"`
}

type jsonPlanSummary struct {
	Changes   int `json:"changes"`
	Runs      int `json:"runs"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
}

type jsonJob struct {
	Name       string     `json:"name"`
	MaxChanges int        `json:"max_changes"`
	FailFast   bool       `json:"fail_fast"`
	Tasks      []jsonTask `json:"tasks"`
}

type jsonTask struct {
	Name       string           `json:"name"`
	Kind       string           `json:"kind"`
	MaxChanges int              `json:"max_changes"`
	Error      string           `json:"error,omitempty"`
	Changes    []jsonChange     `json:"changes"`
	Unchanged  []string         `json:"unchanged"`
	Failed     []runner.Failure `json:"failed"`
	Warnings   []string         `json:"warnings"`
	Info       []string         `json:"info"`
}

type jsonChange struct {
	Server      string          `json:"server"`
	Object      string          `json:"object"`
	ID          string          `json:"id"`
	Action      runner.Action   `json:"action"`
	Summary     string          `json:"summary"`
	Before      json.RawMessage `json:"before"`
	After       json.RawMessage `json:"after"`
	Details     []string        `json:"details"`
	AlwaysApply bool            `json:"always_apply"`
}

type jsonResult struct {
	FormatVersion string            `json:"format_version"`
	Type          string            `json:"type"`
	Tasks         []jsonTaskResult  `json:"tasks"`
	Summary       jsonResultSummary `json:"summary"`
}

type jsonTaskResult struct {
	Job       string           `json:"job"`
	Task      string           `json:"task"`
	Kind      string           `json:"kind"`
	Changed   int              `json:"changed"`
	Runs      int              `json:"runs"`
	Unchanged int              `json:"unchanged"`
	Failed    int              `json:"failed"`
	Skipped   int              `json:"skipped"`
	Errors    []runner.Failure `json:"errors"`
}

type jsonResultSummary struct {
	Changed   int `json:"changed"`
	Runs      int `json:"runs"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	Skipped   int `json:"skipped"`
}

func (v jsonView) Plan(p *runner.Plan) error {
	out := jsonPlan{FormatVersion: jsonFormatVersion, Type: "plan", CreatedAt: p.CreatedAt, ConfigHash: p.ConfigHash,
		Jobs: []jsonJob{}, Summary: jsonPlanSummary{Changes: p.Changes(), Runs: p.Runs(), Unchanged: p.Unchanged(), Failed: p.Failures()}}
	for _, jp := range p.Jobs {
		j := jsonJob{Name: jp.Name, MaxChanges: jp.MaxChanges, FailFast: jp.FailFast, Tasks: []jsonTask{}}
		for _, t := range jp.Tasks {
			jt := jsonTask{Name: t.Name, Kind: t.Kind, MaxChanges: t.MaxChanges, Error: t.Error, Changes: []jsonChange{},
				Unchanged: nonNil(t.Plan.Unchanged), Failed: nonNil(t.Plan.Failed),
				Warnings: nonNil(t.Plan.Warnings), Info: nonNil(t.Plan.Info)}
			for _, c := range t.Plan.Changes {
				jt.Changes = append(jt.Changes, jsonChange{Server: c.Server, Object: c.Object, ID: c.ID, Action: c.Action,
					Summary: c.Summary, Before: jsonOrNull(c.Before), After: jsonOrNull(c.After),
					Details: nonNil(c.Details), AlwaysApply: c.AlwaysApply})
			}
			j.Tasks = append(j.Tasks, jt)
		}
		out.Jobs = append(out.Jobs, j)
	}
	return v.write(out)
}

func (v jsonView) Result(r *runner.Result) error {
	out := jsonResult{FormatVersion: jsonFormatVersion, Type: "apply_result", Tasks: []jsonTaskResult{}}
	for _, t := range r.Tasks {
		out.Tasks = append(out.Tasks, jsonTaskResult{Job: t.Job, Task: t.Task, Kind: t.Kind, Changed: t.StateChanges(),
			Runs: t.Ran, Unchanged: t.Unchanged, Failed: t.Failed, Skipped: t.Skipped, Errors: nonNil(t.Errors)})
	}
	total := r.Total()
	out.Summary.Changed, out.Summary.Runs = total.StateChanges(), total.Ran
	out.Summary.Unchanged, out.Summary.Failed, out.Summary.Skipped = total.Unchanged, total.Failed, total.Skipped
	return v.write(out)
}

func (v jsonView) write(doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode json output: %w", err)
	}
	_, err = v.w.Write(append(b, '\n'))
	return err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func jsonOrNull(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return json.RawMessage("null")
	}
	return m
}
