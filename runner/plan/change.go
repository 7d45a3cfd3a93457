package plan

import (
	"encoding/json"
	"fmt"
)

// Action says what a change does to its target. Its Symbol is the Terraform-like sign the
// human plan view prints.
type Action string

// The actions a task can plan.
const (
	ActionCreate Action = "create" // + something new appears (a member, a data IP, a report)
	ActionUpdate Action = "update" // ~ an existing value changes
	ActionDelete Action = "delete" // - something is removed
)

// Symbol returns "+", "~" or "-".
func (a Action) Symbol() string {
	switch a {
	case ActionCreate:
		return "+"
	case ActionDelete:
		return "-"
	default:
		return "~"
	}
}

// Change is one planned write against one target. Before and After are JSON values that a
// task produces with MustJSON and reads back with json.Unmarshal; a plan file stores them as
// they are, so a change applies the same way from memory and from a file.
type Change struct {
	// Server is the key of the server the change goes to (a server block's name or a fleet
	// member's host[:port]).
	Server string `json:"server"`
	// Object names the target inside the server for humans, e.g. "vm vdi-0001".
	Object string `json:"object"`
	// ID identifies the target uniquely within its task and stays stable between plans.
	ID      string          `json:"id"`
	Action  Action          `json:"action"`
	Summary string          `json:"summary"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
	// Details are extra lines a view may shorten, such as "+ vdi-0001" per added member.
	Details []string `json:"details,omitzero"`
	// AlwaysApply marks a change that is not a state difference (a report to write): it has
	// no Before to compare and applies every time it is planned.
	AlwaysApply bool `json:"always_apply"`
}

// Failure is a target a task could not read or change; other targets go on.
type Failure struct {
	Server string `json:"server"`
	Object string `json:"object,omitempty"`
	Error  string `json:"error"`
}

// TaskPlan is what a task's Plan found: the changes to make, the targets already right, the
// targets that failed to read, and notes for the person reading the plan.
type TaskPlan struct {
	Changes   []Change  `json:"changes"`
	Unchanged []string  `json:"unchanged"`
	Failed    []Failure `json:"failed"`
	Warnings  []string  `json:"warnings"`
	// Info lines describe the plan without being changes (e.g. "12 members affected").
	Info []string `json:"info"`
}

// MustJSON marshals v for Change.Before and Change.After. The values tasks put there are
// plain data, so a marshalling failure is a programming error and panics.
func MustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("plan: marshal change value: %v", err))
	}
	return b
}

// nonNil returns s, or an empty slice for nil, so documents show [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
