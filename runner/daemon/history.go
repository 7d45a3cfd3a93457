package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// HistoryFile is the history's file name inside the state directory.
const HistoryFile = "history.jsonl"

// History is the daemon's run log: an append-only JSONL file, one fsynced line per finished
// run, compacted to each job's limit by rewriting a temporary file and renaming it over.
// It keeps the retained records in memory, so its size is bounded by the limits.
type History struct {
	path  string
	limit func(job string) int

	mu      sync.Mutex
	f       *os.File
	records []plan.RunRecord // oldest first
	appends int              // since the last compaction
	// broken is set when a write or fsync failed: the file may end in part of a line, so
	// the next Append rewrites it from records first. A compaction that failed after its
	// rename leaves f nil, which the next Append repairs the same way.
	broken bool
	closed bool
}

// CompactEvery is the number of appends between compactions.
const CompactEvery = 50

// OpenHistory opens (creating) <dir>/history.jsonl, drops a torn last line left by a crash,
// and compacts it. limit gives a job's retention (nil: config.DefaultHistoryLimit for all).
func OpenHistory(dir string, limit func(job string) int) (*History, error) {
	if limit == nil {
		limit = func(string) int { return config.DefaultHistoryLimit }
	}
	h := &History{path: filepath.Join(dir, HistoryFile), limit: limit}
	recs, err := ReadHistory(h.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	h.records = recs
	if err := h.compactLocked(); err != nil {
		return nil, err
	}
	return h, nil
}

// ReadHistory reads a history file. A last line without its newline (a write torn by a
// crash) is ignored; any other line that is not a record is an error naming the line.
func ReadHistory(path string) ([]plan.RunRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
	}
	var recs []plan.RunRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r plan.RunRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read history %s: %w", path, err)
	}
	return recs, nil
}

// SetLimit replaces the retention function (after a configuration reload).
func (h *History) SetLimit(limit func(job string) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.limit = limit
}

// Append writes r as one line and fsyncs it; every CompactEvery appends it compacts. After a
// failed write it first rewrites the file, so that a torn line never ends up in the middle.
func (h *History) Append(r plan.RunRecord) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("history: encode run %s: %w", r.ID, err)
	}
	line = append(line, '\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return fmt.Errorf("history: append run %s: %s is closed", r.ID, h.path)
	}
	if h.broken || h.f == nil {
		if err := h.compactLocked(); err != nil {
			return fmt.Errorf("history: append run %s: repair after a failed write: %w", r.ID, err)
		}
	}
	if _, err := h.f.Write(line); err != nil {
		h.broken = true
		return fmt.Errorf("history: append run %s: %w", r.ID, err)
	}
	if err := h.f.Sync(); err != nil {
		h.broken = true
		return fmt.Errorf("history: append run %s: sync: %w", r.ID, err)
	}
	h.records = append(h.records, r)
	h.appends++
	if h.appends >= CompactEvery {
		return h.compactLocked()
	}
	return nil
}

// Recent returns up to n of the newest records (all when n <= 0), newest first, of one job
// or of all jobs when job is "".
func (h *History) Recent(job string, n int) []plan.RunRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return RecentRuns(h.records, job, n)
}

// RecentRuns returns up to n of the last records in recs (all when n <= 0), newest first,
// of one job or of all jobs when job is "".
func RecentRuns(recs []plan.RunRecord, job string, n int) []plan.RunRecord {
	var out []plan.RunRecord
	for i := len(recs) - 1; i >= 0 && (n <= 0 || len(out) < n); i-- {
		if job == "" || recs[i].Job == job {
			out = append(out, recs[i])
		}
	}
	return out
}

// Last returns the start of each job's newest run and the scheduled instant of its newest
// run that was not manual. Newest is the order of the file (a job runs once at a time), not
// of the times: runs recorded before the wall clock was stepped back lie in the future.
func (h *History) Last() map[string]LastRun {
	h.mu.Lock()
	defer h.mu.Unlock()
	last := map[string]LastRun{}
	for _, r := range h.records {
		l := last[r.Job]
		l.Start = r.Start
		if r.Trigger != TriggerManual {
			l.Scheduled = r.Scheduled
		}
		last[r.Job] = l
	}
	return last
}

// Close closes the file.
func (h *History) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	return err
}

// compactLocked rewrites the history from the retained records (atomically: a temporary
// file, fsynced and renamed over it) and reopens it for appending. The file is closed
// during the rewrite, as Windows cannot rename over an open file; when the rewrite fails
// the old file stays and is reopened, still marked broken if it was.
func (h *History) compactLocked() error {
	h.records = retain(h.records, h.limit)
	var closeErr error
	if h.f != nil {
		closeErr = h.f.Close()
		h.f = nil
	}
	err := atomicfile.Write(h.path, 0o600, func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		enc := json.NewEncoder(bw)
		for _, r := range h.records {
			if err := enc.Encode(r); err != nil {
				return fmt.Errorf("encode run %s: %w", r.ID, err)
			}
		}
		return bw.Flush()
	})
	f, openErr := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if openErr == nil {
		h.f = f
	}
	if err = errors.Join(err, closeErr, openErr); err != nil {
		return fmt.Errorf("history: compact: %w", err)
	}
	h.appends = 0
	h.broken = false
	return nil
}

// retain keeps each job's newest limit(job) records, in their original order.
func retain(recs []plan.RunRecord, limit func(job string) int) []plan.RunRecord {
	count := map[string]int{}
	keep := make([]bool, len(recs))
	for i := len(recs) - 1; i >= 0; i-- {
		j := recs[i].Job
		if count[j] < limit(j) {
			count[j]++
			keep[i] = true
		}
	}
	out := make([]plan.RunRecord, 0, len(recs))
	for i, r := range recs {
		if keep[i] {
			out = append(out, r)
		}
	}
	return out
}

// historyLimits returns the retention function for cfg: each job's history_limit, and
// config.DefaultHistoryLimit for jobs it does not (or no longer) define.
func historyLimits(cfg *config.Config) func(string) int {
	limits := map[string]int{}
	for _, j := range cfg.Jobs {
		if j.HistoryLimit > 0 {
			limits[j.Name] = j.HistoryLimit
		}
	}
	return func(job string) int {
		if n, ok := limits[job]; ok {
			return n
		}
		return config.DefaultHistoryLimit
	}
}
