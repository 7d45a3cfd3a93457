package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
)

// Unsettled returns the changes an earlier apply of the state directory began and never
// recorded an outcome of: it stopped (killed, crashed, power lost) between their intent
// and outcome records, so each may or may not have been made. The next apply records them
// as "unknown"; meanwhile a plan shows whether each was made. Unsettled only reads.
//
// An apply running now holds the apply lock and has changes in flight: they are not
// unsettled, and none are returned.
func (e *Engine) Unsettled() ([]plan.AuditRecord, error) {
	dir := e.stateDir()
	prev, err := readOpenApply(dir)
	if prev == nil || err != nil {
		return nil, err
	}
	lock, err := statedir.Acquire(context.Background(), dir, ApplyLockFile, "tintri-jobs (checking the audit log)", 0)
	var held *statedir.HeldError
	if errors.As(err, &held) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	return unfinished(dir, prev)
}

// Settle records, under the apply lock, an "unknown" outcome for each change an earlier
// apply began and never recorded the outcome of (see Unsettled), and returns those
// records. Apply settles too; Settle is for callers that may not apply anything.
func (e *Engine) Settle(ctx context.Context) ([]plan.AuditRecord, error) {
	if prev, err := readOpenApply(e.stateDir()); prev == nil || err != nil {
		return nil, err
	}
	unlock, err := e.lockForApply(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	a, err := e.openAudit()
	if err != nil {
		return nil, err
	}
	recs, err := e.settle(a)
	return recs, errors.Join(err, a.close())
}

// openAudit opens the audit log, logging a torn last line it moved aside.
func (e *Engine) openAudit() (*auditLog, error) {
	a, torn, err := openAudit(e.stateDir(), e.AuditRotation, e.Log)
	if len(torn) > 0 {
		e.Log.Warn().Int("bytes", len(torn)).Str("moved_to", AuditFile+tornSuffix).
			Msg("audit log: moved aside the torn last line an interrupted write left")
	}
	return a, err
}

// settle settles the changes an earlier apply left without an outcome and logs each.
func (e *Engine) settle(a *auditLog) ([]plan.AuditRecord, error) {
	recs, err := a.settle(e.now())
	for _, rec := range recs {
		e.Log.Warn().Str("job", rec.Job).Str("task", rec.Task).Str("server", rec.Server).Str("object", rec.Object).
			Str("apply_id", rec.ApplyID).Msg("an earlier apply stopped with this change in flight: outcome unknown, recorded as such; the plan shows whether it was made")
	}
	return recs, err
}

// settle records an "unknown" outcome for each change the apply that left OpenApplyFile
// behind began and never finished, and returns those records. The caller holds the apply
// lock, so that apply is over.
func (a *auditLog) settle(now time.Time) ([]plan.AuditRecord, error) {
	prev, err := readOpenApply(a.dir)
	if prev == nil || err != nil {
		return nil, err
	}
	open, err := unfinished(a.dir, prev)
	if err != nil {
		return nil, err
	}
	out := make([]plan.AuditRecord, len(open))
	for i, rec := range open {
		rec.Time, rec.Result = now.UTC(), plan.AuditUnknown
		rec.Error = fmt.Sprintf("outcome unknown: apply %s (pid %d) stopped after the intent to make this change and before "+
			"recording how it ended; the next plan shows whether it was made", prev.ApplyID, prev.Pid)
		if err := a.write(rec); err != nil {
			return nil, err
		}
		out[i] = rec
	}
	return out, nil
}

// readOpenApply reads OpenApplyFile in dir: nil when there is none.
func readOpenApply(dir string) (*openApply, error) {
	b, err := os.ReadFile(filepath.Join(dir, OpenApplyFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var o openApply
	if err := json.Unmarshal(b, &o); err != nil {
		// Written atomically, so damage is not a crash's: read the whole log instead.
		return &openApply{}, nil
	}
	return &o, nil
}

// unfinished returns the intent records of the apply prev, in the audit log in dir, that
// have no outcome record. An empty prev.ApplyID (an unreadable marker) takes every apply's.
func unfinished(dir string, prev *openApply) ([]plan.AuditRecord, error) {
	files, err := prevApplyFiles(dir, prev)
	if err != nil {
		return nil, err
	}
	defer closeLog(files)
	type key struct {
		apply string
		seq   int
	}
	var intents []plan.AuditRecord
	done := map[key]bool{}
	for _, f := range files {
		err := eachLine(f, func(line []byte) error {
			var rec plan.AuditRecord
			if json.Unmarshal(line, &rec) != nil || rec.ApplyID == "" || (prev.ApplyID != "" && rec.ApplyID != prev.ApplyID) {
				return nil
			}
			if rec.Result == plan.AuditIntent {
				intents = append(intents, rec)
			} else {
				done[key{rec.ApplyID, rec.Seq}] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var open []plan.AuditRecord
	for _, rec := range intents {
		if !done[key{rec.ApplyID, rec.Seq}] {
			open = append(open, rec)
		}
	}
	return open, nil
}

// prevApplyFiles opens the files of the audit log in dir that hold the records of the
// apply prev, positioned where they start: from prev.Offset in the segment prev.Segment
// (in audit.jsonl when it was not rotated since), then the later files. A marker without a
// segment (from before rotation) names audit.jsonl alone; when that file is now shorter
// than the offset, it was replaced since, and all of it is read.
func prevApplyFiles(dir string, prev *openApply) ([]logFile, error) {
	from := prev.Segment
	if from == 0 {
		from = math.MaxInt // no segment: audit.jsonl only
	}
	files, err := openLog(dir, from)
	if err != nil || len(files) == 0 {
		return nil, err
	}
	first := files[0]
	if first.seq != prev.Segment && first.seq != 0 {
		return files, nil // the segment is gone: read the later ones whole
	}
	if fi, err := first.Stat(); err == nil && prev.Offset <= fi.Size() {
		if _, err := first.Seek(prev.Offset, io.SeekStart); err != nil {
			return nil, errors.Join(fmt.Errorf("audit log: %w", err), closeLog(files))
		}
	}
	return files, nil
}

// eachLine calls fn with each complete line of r until fn returns an error, which it
// returns; a torn last line is not a complete one.
func eachLine(r io.Reader, fn func(line []byte) error) error {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		if err := fn(line); err != nil {
			return err
		}
	}
}
