package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
)

// ClaimsFile is where the state directory keeps what each task last claimed, so that tasks
// planned at different times — the daemon's jobs, `apply -target` — see each other's
// claims. An apply and every daemon run record the claims of the tasks they planned; a
// plan only reads them. A task's record counts while its job's values are those it was
// recorded with (Config.JobHash): after an edit, the task's next run records it anew.
const ClaimsFile = "claims.json"

// claimsLock serialises the read-modify-write of the claims file between processes.
const claimsLock = "claims.lock"

// storedClaims is the claims file.
type storedClaims struct {
	FormatVersion string                `json:"format_version"`
	Tasks         map[string]storedTask `json:"tasks"` // by "job.task"
}

// storedTask is one task's last claims.
type storedTask struct {
	JobHash string            `json:"job_hash"`
	Where   string            `json:"where"`
	Time    time.Time         `json:"time"`
	Claims  map[string]string `json:"claims"`
}

// readClaims reads the claims file of dir; a missing file is an empty one.
func readClaims(dir string) (storedClaims, error) {
	s := storedClaims{FormatVersion: plan.FormatVersion, Tasks: map[string]storedTask{}}
	b, err := os.ReadFile(filepath.Join(dir, ClaimsFile))
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("claims: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("claims: %s: %w", filepath.Join(dir, ClaimsFile), err)
	}
	if s.Tasks == nil {
		s.Tasks = map[string]storedTask{}
	}
	return s, nil
}

// recordedClaims returns the recorded claims of the configuration's tasks that p does not
// plan, when recorded with their job's current values.
func (e *Engine) recordedClaims(p *plan.Plan) (map[string]storedTask, error) {
	stored, err := readClaims(e.stateDir())
	if err != nil {
		return nil, err
	}
	inPlan := map[string]bool{}
	for _, jp := range p.Jobs {
		for _, t := range jp.Tasks {
			inPlan[jp.Name+"."+t.Name] = true
		}
	}
	out := map[string]storedTask{}
	for _, j := range e.Config.Jobs {
		for _, tb := range j.Tasks {
			id := j.Name + "." + tb.Name
			if st, ok := stored.Tasks[id]; ok && !inPlan[id] && st.JobHash == e.Config.JobHash(j.Name) {
				out[id] = st
			}
		}
	}
	return out, nil
}

// recordClaims is RecordClaims whose failure is logged: it costs later runs their conflict
// checks against these tasks, not this run its changes.
func (e *Engine) recordClaims(ctx context.Context, p *plan.Plan) {
	if err := e.RecordClaims(ctx, p); err != nil {
		e.Log.Warn().Err(err).Msg("cannot record the tasks' claims for the conflict checks of later runs")
	}
}

// RecordClaims records, in the state directory, the claims of every task p planned (tasks
// that could not plan keep their last record), and drops the records of tasks the
// configuration no longer has.
func (e *Engine) RecordClaims(ctx context.Context, p *plan.Plan) error {
	lock, err := statedir.Acquire(ctx, e.stateDir(), claimsLock, "tintri-jobs (recording claims)", 30*time.Second)
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	defer lock.Unlock()
	stored, err := readClaims(e.stateDir())
	if err != nil {
		return err
	}
	where := taskPositions(e.Config.Config)
	for _, jp := range p.Jobs {
		for _, t := range jp.Tasks {
			if t.Error == "" {
				id := jp.Name + "." + t.Name
				stored.Tasks[id] = storedTask{JobHash: e.Config.JobHash(jp.Name), Where: where[id], Time: e.now().UTC(), Claims: t.Claims}
			}
		}
	}
	for id := range stored.Tasks {
		if _, ok := where[id]; !ok {
			delete(stored.Tasks, id)
		}
	}
	b, err := json.Marshal(stored)
	if err != nil {
		return fmt.Errorf("claims: encode: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(e.stateDir(), ClaimsFile), b, 0o600); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	return nil
}
