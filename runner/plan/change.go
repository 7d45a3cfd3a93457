package plan

import (
	"encoding/json"
	"fmt"
	"strings"
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
	// Addresses name the attributes the change writes, canonically: the same whichever task
	// plans them ("tgc/vm/<uuid>/affinity", "vmstore/<host>/dns/primary",
	// "tgc/servicegroup/<uuid>/member/<vm uuid>"). Two tasks that want different values at
	// one address are in conflict.
	Addresses []string `json:"addresses,omitzero"`
	// Objects counts what the change affects, for max_changes and the plan's header: each
	// member added or removed, each data IP added, changed or removed, each VM, each
	// appliance whose settings change. 0 counts as 1.
	Objects int `json:"objects,omitzero"`
}

// ObjectCount is the number of objects the change affects: Objects, at least 1 for a
// state change, 0 for a run.
func (c *Change) ObjectCount() int {
	switch {
	case c.AlwaysApply:
		return 0
	case c.Objects > 0:
		return c.Objects
	}
	return 1
}

// Failure is a target a task could not read or change; other targets go on.
type Failure struct {
	Server string `json:"server"`
	Object string `json:"object,omitempty"`
	Error  string `json:"error"`
}

// String renders the failure for a person: "server object: error", naming the server
// once although the API client's errors start with its host too ("host: GET /api/…").
func (f Failure) String() string {
	msg := f.Error
	if f.Server != "" {
		msg = strings.TrimPrefix(msg, f.Server+": ")
		for _, method := range []string{"GET ", "PUT ", "POST ", "DELETE "} {
			msg = strings.Replace(msg, f.Server+": "+method, method, 1)
		}
	}
	where := strings.TrimSpace(f.Server + " " + f.Object)
	if where == "" {
		return msg
	}
	return where + ": " + msg
}

// TaskPlan is what a task's Plan found: the changes to make, the targets already right, the
// targets that failed to read, and notes for the person reading the plan.
type TaskPlan struct {
	Changes []Change `json:"changes"`
	// Unchanged names the targets already right that AddUnchanged listed: all of them when
	// the run asks for it (plan -detail), else the first MaxUnchangedListed. UnchangedCount
	// counts them all; see UnchangedTotal.
	Unchanged      []string  `json:"unchanged"`
	UnchangedCount int       `json:"unchanged_count"`
	Failed         []Failure `json:"failed"`
	Warnings       []string  `json:"warnings"`
	// Coded are the warnings added with Warn, with their codes and places; the engine
	// lists them in the plan's Warnings. They are not part of the task's document.
	Coded []Warning `json:"-"`
	// Info lines describe the plan without being changes (e.g. "12 members affected").
	Info []string `json:"info"`
	// Claims are the values the task wants at every address it manages, changed or already
	// right: address → canonical JSON of the wanted value. The engine finds conflicts
	// between tasks in them; they are not part of the plan document.
	Claims map[string]string `json:"-"`
}

// MaxUnchangedListed is how many targets already right a task names, unless the run asks
// for every one (runner.PlanEnv.ListUnchanged): a plan over a whole fleet's VMs keeps a
// count, not a string per VM.
const MaxUnchangedListed = 1000

// AddUnchanged records a target found already right: counted, and named in Unchanged when
// all is set or fewer than MaxUnchangedListed are named.
func (tp *TaskPlan) AddUnchanged(object string, all bool) {
	tp.UnchangedCount++
	if all || len(tp.Unchanged) < MaxUnchangedListed {
		tp.Unchanged = append(tp.Unchanged, object)
	}
}

// UnchangedTotal is the number of targets found already right: UnchangedCount, or the
// length of Unchanged when that is longer (a plan file of an earlier build, which listed
// them all and counted none).
func (tp *TaskPlan) UnchangedTotal() int { return max(tp.UnchangedCount, len(tp.Unchanged)) }

// Claim records that the task wants value (any JSON-marshalable value) at address.
func (tp *TaskPlan) Claim(address string, value any) {
	if tp.Claims == nil {
		tp.Claims = map[string]string{}
	}
	tp.Claims[address] = string(MustJSON(value))
}

// ClaimJSON is Claim with the value already marshalled (canonical JSON): a task claiming
// one value at many addresses marshals it once and shares the string.
func (tp *TaskPlan) ClaimJSON(address, value string) {
	if tp.Claims == nil {
		tp.Claims = map[string]string{}
	}
	tp.Claims[address] = value
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
