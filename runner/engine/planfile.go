package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// PlanKeyFile holds, in the state directory, the key plan files are signed with.
const PlanKeyFile = "plan.key"

// ErrPlanMismatch is wrapped by the refusal of a plan file with a change the current
// configuration would not make: an edited file, or one from another configuration that
// hashes alike.
var ErrPlanMismatch = errors.New("the plan file does not match what the configuration plans")

// WritePlanFile saves p to path (mode 0600), signed with the state directory's plan key,
// which it creates on first use.
func (e *Engine) WritePlanFile(path string, p *plan.Plan) error {
	signed := *p
	if err := e.SignPlan(&signed); err != nil {
		return err
	}
	return plan.WriteFile(path, &signed)
}

// SignPlan signs p with the state directory's plan key, which it creates on first use, as
// WritePlanFile does: Apply with FromFile then checks p as it checks a plan file (a plan
// kept in memory until someone approves it, for one).
func (e *Engine) SignPlan(p *plan.Plan) error {
	key, err := planKey(e.stateDir(), true)
	if err != nil {
		return err
	}
	return p.Sign(key)
}

// planKey reads the state directory's plan key; create makes one when there is none.
// It returns nil, without an error, when there is none and create is false.
func planKey(dir string, create bool) ([]byte, error) {
	path := filepath.Join(dir, PlanKeyFile)
	key, err := os.ReadFile(path)
	switch {
	case err == nil:
		return key, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("plan key: %w", err)
	case !create:
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("plan key: state dir: %w", err)
	}
	key = make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("plan key: %w", err)
	}
	if err := atomicfile.WriteBytes(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("plan key: %w", err)
	}
	return key, nil
}

// checkSignature refuses a plan file whose signature this state directory's key did not
// make for exactly its content. A file without a signature, or a state directory
// without a key (the plan was made elsewhere), is only logged: the check against a fresh
// plan (checkSaved) applies to every file.
func (e *Engine) checkSignature(p *plan.Plan) error {
	key, err := planKey(e.stateDir(), false)
	if err != nil {
		return err
	}
	switch {
	case p.Signature == "":
		e.Log.Info().Msg("the plan file is not signed: it is checked against a fresh plan only")
		return nil
	case key == nil:
		e.Log.Info().Msg("no plan key in the state directory to check the plan file's signature: it is checked against a fresh plan only")
		return nil
	}
	ok, err := p.SignedWith(key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: its signature does not match: the file was changed after plan -out wrote it, or another version of tintri-jobs wrote it; nothing applied; run plan again", ErrPlanMismatch)
	}
	return nil
}

// savedTask is what re-planning one task of a saved plan found.
type savedTask struct {
	todo      []plan.Change  // saved changes still to make
	unchanged int            // saved changes found already made
	stale     []plan.Failure // saved changes whose target changed since the plan: the task is refused
	lost      []plan.Failure // saved changes on targets the fresh plan could not read
	err       error          // the task could not plan again
	claims    map[string]string
	// settled are the saved changes found already made, stale or unreadable, with
	// their outcomes.
	settled []settledChange
}

// checkSaved re-plans every task of the saved plan p, as of the plan's time (so that a
// report's {date} is the same), and sorts out its changes (keyed "job.task"). It refuses
// the whole plan (ErrPlanMismatch, before anything is written) when a saved change is not
// one the configuration would make now: the fresh plan has the same target with another
// action, object, after or addresses, or has no change there and does not claim every
// address the saved change writes, or changes one of them in another change. A saved
// change the fresh plan lacks, whose addresses it claims and leaves alone, is already made.
func (e *Engine) checkSaved(ctx context.Context, clients *runner.Clients, p *plan.Plan, blocks map[string]*config.TaskBlock) (map[string]*savedTask, error) {
	out := map[string]*savedTask{}
	var bad []string
	at := func() time.Time { return p.CreatedAt }
	for _, jp := range p.Jobs {
		for _, entry := range jp.Tasks {
			if len(entry.Changes) == 0 {
				continue
			}
			id := jp.Name + "." + entry.Name
			tb := blocks[id]
			env := runner.NewPlanEnv(clients, e.taskLog(jp.Name, entry.Name), e.parallelism(), at)
			fresh, err := planTask(ctx, env, e.Config.Task(tb), tb)
			st := &savedTask{err: err}
			out[id] = st
			if err != nil {
				continue
			}
			st.claims = fresh.Claims
			for _, msg := range st.sort(entry.Changes, fresh) {
				bad = append(bad, fmt.Sprintf("task %s: %s", id, msg))
			}
		}
	}
	if len(bad) > 0 {
		if len(bad) > maxMismatches {
			bad = append(bad[:maxMismatches], fmt.Sprintf("and %d more", len(bad)-maxMismatches))
		}
		return nil, fmt.Errorf("%w now: nothing applied; run plan again:\n  %s", ErrPlanMismatch, strings.Join(bad, "\n  "))
	}
	return out, nil
}

// maxMismatches bounds the mismatches a refused plan file lists.
const maxMismatches = 10

// sort files each saved change as still to make, already made, stale or unreadable, and
// returns why the saved changes that the fresh plan contradicts are not believable.
func (st *savedTask) sort(saved []plan.Change, fresh *plan.TaskPlan) []string {
	now := map[string]plan.Change{}
	pending := map[string]bool{} // addresses the fresh plan changes
	for _, c := range fresh.Changes {
		now[c.Server+"\x00"+c.ID] = c
		for _, a := range c.Addresses {
			pending[a] = true
		}
	}
	unreadable := map[string]string{}
	for _, f := range fresh.Failed {
		unreadable[f.Server] = f.Error
	}
	var bad []string
	for _, c := range saved {
		cur, present := now[c.Server+"\x00"+c.ID]
		where := fmt.Sprintf("change to %s on %s", c.Object, c.Server)
		switch {
		case !present && unreadable[c.Server] != "":
			f := plan.Failure{Server: c.Server, Object: c.Object, Error: "cannot check the saved change: " + unreadable[c.Server]}
			st.lost = append(st.lost, f)
			st.settled = append(st.settled, settledChange{c, plan.OutcomeFailed, f.Error})
		case !present && (c.AlwaysApply || !claimsAll(fresh.Claims, c.Addresses) || slices.ContainsFunc(c.Addresses, func(a string) bool { return pending[a] })):
			// Not already made: the configuration does not manage its addresses, or plans
			// another change of them (a server swapped in the file).
			bad = append(bad, where+": the configuration plans no such change")
		case !present:
			st.unchanged++
			st.settled = append(st.settled, settledChange{c, plan.OutcomeUnchanged, ""})
		case !c.AlwaysApply && !sameJSON(cur.Before, c.Before):
			f := plan.Failure{Server: c.Server, Object: c.Object,
				Error: fmt.Sprintf("stale: changed since the plan was made (planned from %s, now %s)", compactJSON(c.Before), compactJSON(cur.Before))}
			st.stale = append(st.stale, f)
			st.settled = append(st.settled, settledChange{c, plan.OutcomeStale, f.Error})
		case cur.Action != c.Action || cur.Object != c.Object || !sameJSON(cur.After, c.After) || !sameSet(cur.Addresses, c.Addresses):
			bad = append(bad, fmt.Sprintf("%s: the file says %s %s, the configuration %s %s",
				where, c.Action, compactJSON(c.After), cur.Action, compactJSON(cur.After)))
		default:
			st.todo = append(st.todo, c)
		}
	}
	return bad
}

// claimsAll reports whether claims has every one of addrs (and addrs is not empty).
func claimsAll(claims map[string]string, addrs []string) bool {
	for _, a := range addrs {
		if _, ok := claims[a]; !ok {
			return false
		}
	}
	return len(addrs) > 0
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// sameJSON compares two JSON values by meaning (key order and spacing aside).
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return len(bytes.TrimSpace(a)) == 0 && len(bytes.TrimSpace(b)) == 0
	}
	ca, errA := json.Marshal(va)
	cb, errB := json.Marshal(vb)
	return errors.Join(errA, errB) == nil && bytes.Equal(ca, cb)
}

func compactJSON(m json.RawMessage) string {
	if len(m) == 0 {
		return "nothing"
	}
	var b bytes.Buffer
	if json.Compact(&b, m) != nil {
		return string(m)
	}
	return b.String()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
