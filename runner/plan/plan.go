package plan

import (
	"encoding/json"
	"time"
)

// FormatVersion is the format version of every JSON document in this package.
const FormatVersion = "1"

// Plan is what a plan run found: per job and task, the changes to make. It is plain data,
// JSON-serialisable and free of secrets; an apply consumes it. Its JSON form is the "plan"
// document of docs/schemas/plan.schema.json, the same for `plan -json` and a plan file.
type Plan struct {
	CreatedAt time.Time `json:"created_at"`
	// ConfigHash is the hash of the configuration the plan was made from.
	ConfigHash string    `json:"config_hash"`
	Jobs       []JobPlan `json:"jobs"`
	// Warnings are every warning of the plan, structured: those of loading the
	// configuration, of each task, and of max_changes exceeded.
	Warnings []Warning `json:"warnings"`
	// Signature, set by Sign on a plan saved to a file, makes edits of the file evident.
	Signature string `json:"signature,omitempty"`
	// InflightLimits is, by server key, how many requests the run let be in flight to each
	// server it reached when the plan was done (the adaptive limit, or the fixed one).
	InflightLimits map[string]int `json:"inflight_limits,omitempty"`
}

// JobPlan is the plan of one job, its tasks in file order.
type JobPlan struct {
	Name       string `json:"name"`
	MaxChanges int    `json:"max_changes"`
	FailFast   bool   `json:"fail_fast"`
	// AllowPartial says the job may be applied although some of its targets failed.
	AllowPartial bool        `json:"allow_partial"`
	Tasks        []TaskEntry `json:"tasks"`
}

// TaskEntry is the plan of one task. Error is set when the task could not plan at all.
type TaskEntry struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	MaxChanges int    `json:"max_changes"`
	Error      string `json:"error,omitempty"`
	TaskPlan
}

// Summary totals a plan: state changes (and how many of them add, change and remove),
// the objects they affect, runs (reports), targets already right, and failures (unreadable
// targets, conflicts, tasks that could not plan).
type Summary struct {
	Changes   int `json:"changes"`
	Objects   int `json:"objects"`
	Runs      int `json:"runs"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	// Add, Change and Remove split Changes by action: create, update and delete.
	Add    int `json:"add"`
	Change int `json:"change"`
	Remove int `json:"remove"`
}

// Changes counts the plan's state changes: differences between live state and the
// configuration. Runs (reports) are not among them; see Runs.
func (p *Plan) Changes() int { return p.Summary().Changes }

// Runs counts the plan's AlwaysApply changes: work such as a report that is done every time
// it is applied and is not drift, so it neither makes a plan "have changes" nor counts
// against max_changes.
func (p *Plan) Runs() int { return p.Summary().Runs }

// Pending counts everything an apply of the plan would do: changes and runs.
func (p *Plan) Pending() int { s := p.Summary(); return s.Changes + s.Runs }

// Unchanged counts the targets the plan found already right.
func (p *Plan) Unchanged() int { return p.Summary().Unchanged }

// Failures counts the targets that could not be read plus the tasks that could not plan.
func (p *Plan) Failures() int { return p.Summary().Failed }

// JobNames lists the plan's jobs, in plan order.
func (p *Plan) JobNames() []string {
	names := make([]string, len(p.Jobs))
	for i, j := range p.Jobs {
		names[i] = j.Name
	}
	return names
}

// Summary totals the plan.
func (p *Plan) Summary() Summary {
	var s Summary
	for _, j := range p.Jobs {
		for _, t := range j.Tasks {
			s.Changes += t.StateChanges()
			a := t.ActionCounts()
			s.Add, s.Change, s.Remove = s.Add+a.Add, s.Change+a.Change, s.Remove+a.Remove
			s.Objects += t.Objects()
			s.Runs += t.Runs()
			s.Unchanged += t.UnchangedTotal()
			s.Failed += t.Failures()
		}
	}
	return s
}

// Changes counts the job's state changes (runs excluded).
func (j *JobPlan) Changes() int {
	n := 0
	for _, t := range j.Tasks {
		n += t.StateChanges()
	}
	return n
}

// Failures counts the job's unreadable targets and the tasks that could not plan.
func (j *JobPlan) Failures() int {
	n := 0
	for _, t := range j.Tasks {
		n += t.Failures()
	}
	return n
}

// Objects counts the objects the job's changes affect (what max_changes limits).
func (j *JobPlan) Objects() int {
	n := 0
	for _, t := range j.Tasks {
		n += t.Objects()
	}
	return n
}

// Objects counts the objects the task's changes affect (what max_changes limits).
func (t *TaskEntry) Objects() int {
	n := 0
	for _, c := range t.Changes {
		n += c.ObjectCount()
	}
	return n
}

// StateChanges counts the task's state changes (runs excluded). (Its Changes field, from
// TaskPlan, lists them with the runs.)
func (t *TaskEntry) StateChanges() int { return len(t.Changes) - t.Runs() }

// Runs counts the task's AlwaysApply changes.
func (t *TaskEntry) Runs() int {
	n := 0
	for _, c := range t.Changes {
		if c.AlwaysApply {
			n++
		}
	}
	return n
}

// Failures counts the task's unreadable targets, or 1 when the task could not plan.
func (t *TaskEntry) Failures() int {
	if t.Error != "" {
		return 1
	}
	return len(t.Failed)
}

// planDocument is Plan's JSON form: the plan plus its version, type and summary.
type planDocument struct {
	FormatVersion string    `json:"format_version"`
	Type          string    `json:"type"`
	CreatedAt     time.Time `json:"created_at"`
	ConfigHash    string    `json:"config_hash"`
	Jobs          []JobPlan `json:"jobs"`
	Warnings      []Warning `json:"warnings"`
	Summary       Summary   `json:"summary"`
	Signature     string    `json:"signature,omitempty"`
	// InflightLimits is Plan.InflightLimits.
	InflightLimits map[string]int `json:"inflight_limits,omitempty"`
}

// MarshalJSON writes the "plan" document, arrays never null.
func (p *Plan) MarshalJSON() ([]byte, error) {
	doc := planDocument{FormatVersion: FormatVersion, Type: "plan", CreatedAt: p.CreatedAt,
		ConfigHash: p.ConfigHash, Jobs: make([]JobPlan, len(p.Jobs)), Warnings: nonNil(p.Warnings), Summary: p.Summary(),
		Signature: p.Signature, InflightLimits: p.InflightLimits}
	for i, j := range p.Jobs {
		j.Tasks = append([]TaskEntry{}, j.Tasks...)
		for k := range j.Tasks {
			j.Tasks[k].TaskPlan = j.Tasks[k].normalized()
		}
		doc.Jobs[i] = j
	}
	return json.Marshal(doc)
}

// normalized returns a copy of tp whose slices, and its changes' details, are not nil.
func (tp TaskPlan) normalized() TaskPlan {
	out := TaskPlan{Changes: make([]Change, len(tp.Changes)), Unchanged: nonNil(tp.Unchanged), UnchangedCount: tp.UnchangedTotal(),
		Failed: nonNil(tp.Failed), Warnings: nonNil(tp.Warnings), Info: nonNil(tp.Info)}
	for i, c := range tp.Changes {
		c.Details = nonNil(c.Details)
		out.Changes[i] = c
	}
	return out
}
