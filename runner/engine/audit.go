package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// The audit log is <state-dir>/audit.jsonl, one JSON record per line. An apply writes an
// intent record before each change and an outcome record after it, each on disk (fsynced)
// before the apply goes on: a change whose intent cannot be written is not made. While an
// apply has the log open, <state-dir>/apply.open names it and where its records start; an
// apply that ends cleanly removes the file. Finding it means the apply before stopped
// (killed, crashed, power lost): the next apply settles its intents without an outcome as
// "unknown" (the next plan shows whether each change was made), and the torn last line a
// crash mid-write leaves is moved to audit.jsonl.torn so that new records start on a line
// of their own. A full log is rotated (see rotate.go): the apply.open marker then also
// names the rotated file its apply's records start in.
const (
	// AuditFile is the audit log's file name inside the state directory.
	AuditFile = "audit.jsonl"
	// OpenApplyFile marks an apply that has the audit log open.
	OpenApplyFile = "apply.open"
	// tornSuffix names the file torn last lines are moved to: AuditFile + tornSuffix.
	tornSuffix = ".torn"
)

// openApply is the content of OpenApplyFile.
type openApply struct {
	ApplyID string    `json:"apply_id"`
	Pid     int       `json:"pid"`
	Started time.Time `json:"started"`
	// Offset is the audit log's size when the apply opened it: its records come after.
	Offset int64 `json:"offset"`
	// Segment is the segment the audit log became when it was rotated (see rotate.go):
	// the apply's records start at Offset in that segment, or in audit.jsonl while there
	// is no such segment, and go on in the later files. 0 (a marker from before rotation
	// was possible): they are in audit.jsonl.
	Segment int `json:"segment,omitempty"`
}

// auditLog appends records to the audit log, each on disk before write returns. Writers
// that arrive while another syncs share the next sync (group commit), so concurrent
// changes do not each wait for their own. After a failed write or sync nothing more is
// written: the log may end in a partial line, which the next apply repairs.
type auditLog struct {
	dir string
	rot AuditRotation
	log zerolog.Logger
	// pinned is the segment the apply's records start in (openApply.Segment): rotation
	// never removes it or a later one. 0 before the apply began.
	pinned int

	mu      sync.Mutex
	f       *os.File // replaced by rotation, which holds both mutexes
	size    int64    // of f
	retryAt int64    // the size from which rotation is tried again after it failed
	seq     int      // the segment f becomes when rotated
	written uint64   // records written to the log
	err     error    // first write, sync or rotation failure

	syncMu sync.Mutex
	synced uint64 // records known to be on disk
}

// openAudit creates the state directory if needed, opens its audit log for appending and
// repairs a torn last line. The log must be a regular file (or a link to one). The caller
// holds the apply lock: the log is rotated as rot says.
func openAudit(dir string, rot AuditRotation, log zerolog.Logger) (*auditLog, []byte, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("audit log: state dir: %w", err)
	}
	path := filepath.Join(dir, AuditFile)
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("audit log %s is not a regular file (%s): nothing applied", path, fi.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	torn, err := repairTorn(f, path+tornSuffix)
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("audit log: repair the torn last line: %w", err), f.Close())
	}
	a := &auditLog{dir: dir, rot: rot, log: log, f: f}
	if a.size, err = f.Seek(0, io.SeekEnd); err == nil {
		a.seq, err = nextSegment(dir)
	}
	if err != nil {
		return nil, nil, errors.Join(fmt.Errorf("audit log: %w", err), f.Close())
	}
	return a, torn, nil
}

// repairTorn moves a last line without its newline (a write cut short) from f to the file
// tornPath and returns it; nil when the log ends with a newline.
func repairTorn(f *os.File, tornPath string) ([]byte, error) {
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil || size == 0 {
		return nil, err
	}
	start := size
	buf := make([]byte, 4096)
	for start > 0 {
		n := int64(len(buf))
		if start < n {
			n = start
		}
		if _, err := f.ReadAt(buf[:n], start-n); err != nil {
			return nil, err
		}
		if i := lastNewline(buf[:n]); i >= 0 {
			start = start - n + int64(i) + 1
			break
		}
		start -= n
	}
	if start == size {
		return nil, nil
	}
	torn := make([]byte, size-start)
	if _, err := f.ReadAt(torn, start); err != nil {
		return nil, err
	}
	if err := appendSynced(tornPath, append(torn[:len(torn):len(torn)], '\n')); err != nil {
		return nil, err
	}
	if err := f.Truncate(start); err != nil {
		return nil, err
	}
	return torn, f.Sync()
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}

// appendSynced appends b to the file at path (mode 0600) and syncs it.
func appendSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// begin marks the log open by the apply id, from the log's current end.
func (a *auditLog) begin(id string, now time.Time) error {
	a.mu.Lock()
	off, seq := a.size, a.seq
	a.mu.Unlock()
	b, err := json.Marshal(openApply{ApplyID: id, Pid: os.Getpid(), Started: now.UTC(), Offset: off, Segment: seq})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(a.dir, OpenApplyFile), b, 0o600); err != nil {
		return fmt.Errorf("audit log: mark the apply open: %w", err)
	}
	a.pinned = seq
	return nil
}

// write appends rec and returns once it is on disk. It first rotates the log when it is
// full: a record that returns an error is in no file.
func (a *auditLog) write(rec plan.AuditRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("audit log: encode: %w", err)
	}
	if a.rotateDue() {
		if err := a.rotate(); err != nil {
			return err
		}
	}
	a.mu.Lock()
	if a.err != nil {
		a.mu.Unlock()
		return a.err
	}
	n, err := a.f.Write(append(b, '\n'))
	a.size += int64(n)
	if err != nil {
		a.err = fmt.Errorf("audit log: write: %w", err)
		a.mu.Unlock()
		return a.err
	}
	a.written++
	mine := a.written
	a.mu.Unlock()
	return a.sync(mine)
}

// sync returns once the record numbered n is on disk, syncing the file unless a sync that
// started after the record was written has done so (or a rotation, which syncs the full
// file before it renames it).
func (a *auditLog) sync(n uint64) error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	err, upto, f := a.err, a.written, a.f
	a.mu.Unlock()
	if a.synced >= n {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		a.mu.Lock()
		a.err = fmt.Errorf("audit log: sync: %w", err)
		a.mu.Unlock()
		return a.err
	}
	a.synced = upto
	return nil
}

// close closes the log; when every record made it to disk, the apply is no longer open.
func (a *auditLog) close() error {
	err := a.f.Close()
	a.mu.Lock()
	failed := a.err
	a.mu.Unlock()
	if err == nil && failed == nil {
		err = os.Remove(filepath.Join(a.dir, OpenApplyFile))
		if errors.Is(err, fs.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("audit log: close: %w", err)
	}
	return nil
}

// ReadAudit reads every record of the audit log in dir, oldest first: those of the
// rotated files kept (audit.NNNNNN.jsonl), then those of audit.jsonl; intents and outcomes
// (format version 2) and the outcome-only records of version 1. A last line without its
// newline (torn) is left out. It reads while applies write and rotate the log, missing
// no record and reading none twice; the records written after it started may be missing.
func ReadAudit(dir string) ([]plan.AuditRecord, error) {
	files, err := openLog(dir, 0)
	if err != nil {
		return nil, err
	}
	defer closeLog(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("audit log: %w", &fs.PathError{Op: "open", Path: filepath.Join(dir, AuditFile), Err: fs.ErrNotExist})
	}
	var recs []plan.AuditRecord
	for _, f := range files {
		if err := eachAuditRecord(f, func(r plan.AuditRecord) { recs = append(recs, r) }); err != nil {
			return recs, fmt.Errorf("%s: %w", f.Name(), err)
		}
	}
	return recs, nil
}

// eachAuditRecord calls fn with each complete record r holds.
func eachAuditRecord(r io.Reader, fn func(plan.AuditRecord)) error {
	n := 0
	return eachLine(r, func(line []byte) error {
		n++
		var rec plan.AuditRecord
		if err := json.Unmarshal(line, &rec); err != nil {
			return fmt.Errorf("audit log: line %d: %w", n, err)
		}
		fn(rec)
		return nil
	})
}
