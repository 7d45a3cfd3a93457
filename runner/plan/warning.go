package plan

// Warning is a structured warning of a plan: the plan document lists every one of them,
// with a stable Code for machines and the Message the text view shows. File and Line (and
// Column) point at the job file or data file line it is about, when it has one; Job and
// Task name the task it is about, when it is about one.
type Warning struct {
	// Code names the kind of warning in snake_case ("duplicate_vm_name", "unknown_vm",
	// "max_changes_exceeded"). A configuration warning's code is its summary in
	// snake_case; a task's warning added without one is "task_warning".
	Code    string `json:"code"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Job     string `json:"job,omitempty"`
	Task    string `json:"task,omitempty"`
}

// Warning codes the engine and the task kinds use.
const (
	// WarnTask is the code of a task warning added as a bare string to TaskPlan.Warnings.
	WarnTask = "task_warning"
	// WarnMaxChanges says a job or task affects more objects than its max_changes: apply
	// will refuse the plan.
	WarnMaxChanges = "max_changes_exceeded"
	// WarnUnknownVM says a listed VM name matches no VM.
	WarnUnknownVM = "unknown_vm"
	// WarnAmbiguousVM says a listed VM name matches several VMs.
	WarnAmbiguousVM = "ambiguous_vm_name"
	// WarnNoRows says a data file has no rows for a target, which is left as it is.
	WarnNoRows = "no_rows"
	// WarnSnapshotCloned says an expired snapshot is kept because it has clones.
	WarnSnapshotCloned = "snapshot_has_clones"
)

// Warn adds w to the task plan: its message to Warnings (what the text view and the plan
// document's tasks[].warnings show) and w itself to Coded (what the document's warnings
// list, with the job and task, as the engine fills them in).
func (tp *TaskPlan) Warn(w Warning) {
	if w.Code == "" {
		w.Code = WarnTask
	}
	tp.Warnings = append(tp.Warnings, w.Message)
	tp.Coded = append(tp.Coded, w)
}

// TaskWarnings returns the structured warnings of the task: those added with Warn, in
// order, and each message added to Warnings directly as a WarnTask warning, each with the
// job and task set.
func (t *TaskEntry) TaskWarnings(job string) []Warning {
	coded := map[string][]Warning{}
	for _, w := range t.Coded {
		coded[w.Message] = append(coded[w.Message], w)
	}
	out := make([]Warning, 0, len(t.Warnings))
	for _, msg := range t.Warnings {
		w := Warning{Code: WarnTask, Message: msg}
		if ws := coded[msg]; len(ws) > 0 {
			w, coded[msg] = ws[0], ws[1:]
		}
		w.Job, w.Task = job, t.Name
		out = append(out, w)
	}
	return out
}
