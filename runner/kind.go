package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Task is one decoded task block. Plan must only read — its environment only hands out
// read-only clients; Apply makes exactly one change that this task's Plan produced
// (possibly in an earlier process, from a plan file). Apply's error is recorded with the
// change's server and object, so it names neither; a failed target of Plan is a
// plan.Failure with its server, whose error does not repeat it either.
type Task interface {
	Plan(ctx context.Context, env *PlanEnv) (*plan.TaskPlan, error)
	Apply(ctx context.Context, env *ApplyEnv, ch plan.Change) error
}

// ErrStale is wrapped by a task's Apply that finds a field its change sets changed, since
// the plan, to neither the planned before nor after: it writes nothing and the change
// fails. Apply re-reads what it replaces right before writing, so that changes made since
// the plan to anything else are kept (tasks/guarded.go).
var ErrStale = errors.New("stale: changed since the plan")

// Kind is a registered task kind.
type Kind struct {
	// Name is the kind as written in `task "<name>" "…"`.
	Name string
	// Doc says in one line what the kind does.
	Doc string

	body   any // a zero body struct, for Attributes
	decode func(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics)
}

// Attributes documents the kind's body, from its body struct's tags.
func (k Kind) Attributes() []decode.Attr { return decode.Describe(k.body) }

// Decode decodes and validates a task body of this kind, without any network access.
// Every problem is a diagnostic with the source range of the offending value. A body
// using a sensitive value, or a value left unknown by an earlier error, must be refused
// before (runner/engine does).
func (k Kind) Decode(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics) {
	return k.decode(dc, body)
}

var (
	kindsMu sync.RWMutex
	kinds   = map[string]Kind{}
)

// Register makes a task kind available to job files. B is its body struct, declared with
// the tags of package decode; build turns a decoded body into a Task after the checks
// that combine attributes or need the job's context (server references, files to read).
// build runs only when every attribute decoded. Kinds register from init functions;
// registering a name twice is a programming error and panics.
func Register[B any](name, doc string, build func(dc *DecodeContext, body *B) (Task, hcl.Diagnostics)) {
	var zero B
	decode.Describe(zero) // a malformed body struct panics at registration, not at first use
	k := Kind{Name: name, Doc: doc, body: zero, decode: func(dc *DecodeContext, body hcl.Body) (Task, hcl.Diagnostics) {
		b := new(B)
		decode.Init(b, dc.DefRange)
		ok, diags := decode.Body(body, dc.Eval, b)
		if !ok || diags.HasErrors() {
			return nil, diags
		}
		t, d := build(dc, b)
		return t, append(diags, d...)
	}}
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if _, dup := kinds[name]; dup {
		panic(fmt.Sprintf("runner: task kind %q registered twice", name))
	}
	kinds[name] = k
}

// Kinds returns the registered kinds, sorted by name.
func Kinds() []Kind {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]Kind, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// KindNames returns the registered kinds' names, sorted.
func KindNames() []string {
	ks := Kinds()
	names := make([]string, len(ks))
	for i, k := range ks {
		names[i] = k.Name
	}
	return names
}

// LookupKind returns the kind registered as name.
func LookupKind(name string) (Kind, bool) {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	k, ok := kinds[name]
	return k, ok
}
