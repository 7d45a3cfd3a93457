package plan

// ActionCounts counts changes by what they do: objects or members that appear (Add),
// attributes that change (Change), objects or members that disappear (Remove), and runs
// (always_apply changes such as reports, counted apart from the state changes).
type ActionCounts struct {
	Add, Change, Remove, Run int
}

// Count adds one change to the counts.
func (a *ActionCounts) Count(c *Change) {
	switch {
	case c.AlwaysApply:
		a.Run++
	case c.Action == ActionCreate:
		a.Add++
	case c.Action == ActionDelete:
		a.Remove++
	default:
		a.Change++
	}
}

// ActionCounts counts the task's changes by action.
func (t *TaskEntry) ActionCounts() ActionCounts {
	var a ActionCounts
	for i := range t.Changes {
		a.Count(&t.Changes[i])
	}
	return a
}
