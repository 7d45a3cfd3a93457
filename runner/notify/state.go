package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// StateFile is the notifier's file in the state directory: the drift last sent to each
// target of each job.
const StateFile = "notify.json"

// sentDrift is a drift as notified: its digest ("" for none) and its number of changes.
type sentDrift struct {
	Digest  string `json:"digest"`
	Pending int    `json:"pending"`
}

// stateDocument is the content of StateFile.
type stateDocument struct {
	FormatVersion string                          `json:"format_version"`
	Drift         map[string]map[string]sentDrift `json:"drift"` // job → notify block → drift
}

// driftState is the drift delivered to each target (on disk) and the drift last queued
// for it (delivered, or on its way).
type driftState struct {
	path string

	mu        sync.Mutex
	delivered map[string]map[string]sentDrift
	queued    map[string]map[string]sentDrift
}

// driftKey names the drift a delivery carries.
type driftKey struct {
	job, target string
	sent        sentDrift
}

// loadState reads dir/StateFile; a missing file is an empty state, a damaged one is
// logged and read as empty.
func loadState(dir string, log zerolog.Logger) *driftState {
	st := &driftState{path: filepath.Join(dir, StateFile), delivered: map[string]map[string]sentDrift{}, queued: map[string]map[string]sentDrift{}}
	b, err := os.ReadFile(st.path)
	var doc stateDocument
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err == nil && json.Unmarshal(b, &doc) == nil:
		for job, targets := range doc.Drift {
			for target, s := range targets {
				set(st.delivered, job, target, s)
				set(st.queued, job, target, s)
			}
		}
	default:
		log.Warn().Str("file", st.path).Msg("cannot read the drift last notified: a drift may be notified once more")
	}
	return st
}

func set(m map[string]map[string]sentDrift, job, target string, s sentDrift) {
	if m[job] == nil {
		m[job] = map[string]sentDrift{}
	}
	m[job][target] = s
}

// want reports whether s differs from the drift last queued for target, returning that
// drift; when it differs, s becomes the drift queued.
func (st *driftState) want(job, target string, s sentDrift) (sentDrift, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	last := st.queued[job][target]
	if last.Digest == s.Digest {
		return last, false
	}
	set(st.queued, job, target, s)
	return last, true
}

// sent records s as delivered, on disk.
func (st *driftState) sent(job, target string, s sentDrift) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	set(st.delivered, job, target, s)
	doc := stateDocument{FormatVersion: plan.FormatVersion, Drift: st.delivered}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("notify state: %w", err)
	}
	if err := atomicfile.WriteBytes(st.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("notify state: %w", err)
	}
	return nil
}

// unsent forgets that s was queued, unless another drift was queued since: the next run
// that finds s queues it again.
func (st *driftState) unsent(job, target string, s sentDrift) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.queued[job][target] == s {
		set(st.queued, job, target, st.delivered[job][target])
	}
}
