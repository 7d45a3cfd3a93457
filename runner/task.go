package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"
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
	// member's host), as Env.Client takes it.
	Server string `json:"server"`
	// Object names the target inside the server for humans, e.g. "vm vdi-0001".
	Object string `json:"object"`
	// ID identifies the target uniquely within its task and stays stable between plans.
	ID      string          `json:"id"`
	Action  Action          `json:"action"`
	Summary string          `json:"summary"`
	Before  json.RawMessage `json:"before,omitempty"`
	After   json.RawMessage `json:"after,omitempty"`
	// Details are extra lines a view may shorten, such as "+ vdi-0001" per added member.
	Details []string `json:"details,omitempty"`
	// AlwaysApply marks a change that is not a state difference (a report to write): it has
	// no Before to compare and applies every time it is planned.
	AlwaysApply bool `json:"always_apply,omitempty"`
}

// Failure is a target a task could not read or change; other targets go on.
type Failure struct {
	Server string `json:"server"`
	Object string `json:"object,omitempty"`
	Error  string `json:"error"`
}

// TaskPlan is what a task's Plan found: the changes to make, the targets already right, the
// targets that failed to read, and warnings for the person reading the plan.
type TaskPlan struct {
	Changes   []Change  `json:"changes"`
	Unchanged []string  `json:"unchanged,omitempty"`
	Failed    []Failure `json:"failed,omitempty"`
	Warnings  []string  `json:"warnings,omitempty"`
	// Info lines describe the plan without being changes (e.g. "12 members affected").
	Info []string `json:"info,omitempty"`
}

// Task is one decoded task block. Plan must only read; Apply makes exactly one change that
// this task's Plan produced (possibly in an earlier process, from a plan file).
type Task interface {
	Plan(ctx context.Context, env *Env) (*TaskPlan, error)
	Apply(ctx context.Context, env *Env, ch Change) error
}

// Kind is a task kind: its name as written in `task "<kind>" "name"` and its decoder.
type Kind struct {
	Name string
	// Decode decodes and validates a task body without any network access. Every problem is
	// a diagnostic with the source range of the offending attribute or value.
	Decode func(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register makes a task kind available to job files. Kinds register from init functions;
// registering a name twice is a programming error and panics.
func Register(k Kind) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[k.Name]; dup {
		panic(fmt.Sprintf("runner: task kind %q registered twice", k.Name))
	}
	kinds[k.Name] = k
}

// Kinds returns the registered kind names, sorted.
func Kinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func lookupKind(name string) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}

// MustJSON marshals v for Change.Before and Change.After. The values tasks put there are
// plain data, so a marshalling failure is a programming error and panics.
func MustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("runner: marshal change value: %v", err))
	}
	return b
}
