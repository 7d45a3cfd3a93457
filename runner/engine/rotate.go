package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
)

// Rotation: once audit.jsonl has reached AuditRotation.MaxSize, the next record goes to a
// new audit.jsonl and the full one is renamed to the segment audit.NNNNNN.jsonl, NNNNNN
// counting up from 000001 (so `cat audit*.jsonl` reads the whole log, oldest first). The
// oldest segments beyond AuditRotation.Keep are removed, except those that hold records of
// the apply in progress. Only an apply (or Settle) rotates, holding the apply lock; the
// readers (ReadAudit, Unsettled) read the segments and the current file as one snapshot.

// AuditRotation says when the audit log is rotated and how many rotated files are kept.
// The zero value never rotates.
type AuditRotation struct {
	// MaxSize is the size in bytes audit.jsonl reaches before the next record starts a new
	// file (0: never rotate). A file ends up larger by at most the records written
	// concurrently with the one that found it full.
	MaxSize int64
	// Keep is how many rotated files are kept (0: all). Older ones are removed, except
	// those holding records of the apply in progress.
	Keep int
}

// DefaultAuditRotation is the rotation of the CLI's apply and daemon unless their
// -audit-max-size and -audit-keep say otherwise: files of 100 MB, the newest 10 kept.
var DefaultAuditRotation = AuditRotation{MaxSize: 100_000_000, Keep: 10}

// segmentPrefix and segmentSuffix frame a segment's sequence number; segmentDigits is
// its least width.
const (
	segmentPrefix = "audit."
	segmentSuffix = ".jsonl"
	segmentDigits = 6
)

// segmentName is the file name of the segment seq.
func segmentName(seq int) string {
	return fmt.Sprintf("%s%0*d%s", segmentPrefix, segmentDigits, seq, segmentSuffix)
}

// segments lists the sequence numbers of the segments in dir, oldest first.
func segments(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var seqs []int
	for _, e := range entries {
		num, prefixed := strings.CutPrefix(e.Name(), segmentPrefix)
		num, suffixed := strings.CutSuffix(num, segmentSuffix)
		if !prefixed || !suffixed || len(num) < segmentDigits {
			continue
		}
		if n, err := strconv.Atoi(num); err == nil && n > 0 && strings.Trim(num, "0123456789") == "" {
			seqs = append(seqs, n)
		}
	}
	slices.Sort(seqs)
	return seqs, nil
}

// nextSegment is the sequence number the current file gets when it is rotated.
func nextSegment(dir string) (int, error) {
	seqs, err := segments(dir)
	if err != nil || len(seqs) == 0 {
		return 1, err
	}
	return seqs[len(seqs)-1] + 1, nil
}

// rotateDue reports whether the next record should go to a new file.
func (a *auditLog) rotateDue() bool {
	if a.rot.MaxSize <= 0 {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err == nil && a.size >= max(a.rot.MaxSize, a.retryAt)
}

// rotate renames the full audit log to the next segment and opens a new one. Every record
// written before is on disk first; the writes and syncs of other goroutines wait.
func (a *auditLog) rotate() error {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil || a.size < max(a.rot.MaxSize, a.retryAt) {
		return a.err // broken, or another writer rotated meanwhile
	}
	rotated, err := a.rotateLocked()
	if err != nil {
		a.err = fmt.Errorf("audit log: rotate: %w", err)
		return a.err
	}
	if rotated {
		a.prune()
	}
	return nil
}

// rotateLocked does the work of rotate and reports whether the file was rotated. Each
// step leaves every record in a file the readers find: the full file keeps its records
// under its new name before a new file starts, and a crash before the new file exists only
// means the next apply creates it. When the file cannot be renamed (on Windows, while a
// reader has it open), the records go on into it, and rotation is tried again once it has
// grown by a tenth of the limit.
func (a *auditLog) rotateLocked() (bool, error) {
	if err := a.f.Sync(); err != nil {
		return false, err
	}
	a.synced = a.written
	// Closed before the rename, which Windows refuses for a file open without sharing
	// its deletion. Its records are on disk (synced above).
	if err := a.f.Close(); err != nil {
		return false, err
	}
	path := filepath.Join(a.dir, AuditFile)
	renameErr := os.Rename(path, filepath.Join(a.dir, segmentName(a.seq)))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return false, err
	}
	a.f = f
	if renameErr != nil {
		a.retryAt = a.size + max(a.rot.MaxSize/10, 1)
		a.log.Warn().Err(renameErr).Msg("audit log: cannot rotate; records go on into " + AuditFile + ", rotation is tried again later")
		return false, nil
	}
	a.size, a.retryAt = 0, 0
	a.seq++
	return true, atomicfile.SyncDir(a.dir)
}

// prune removes the oldest segments beyond Keep, never one from the apply's first
// segment on. A segment it cannot remove is left for the next rotation to try again.
func (a *auditLog) prune() {
	if a.rot.Keep <= 0 {
		return
	}
	seqs, err := segments(a.dir)
	if err != nil {
		a.log.Warn().Err(err).Msg("audit log: cannot list the rotated files to remove the oldest")
		return
	}
	for _, seq := range seqs[:max(len(seqs)-a.rot.Keep, 0)] {
		if a.pinned > 0 && seq >= a.pinned {
			return
		}
		if err := os.Remove(filepath.Join(a.dir, segmentName(seq))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			a.log.Warn().Err(err).Msg("audit log: cannot remove a rotated file beyond those kept")
		}
	}
}

// logFile is one file of the audit log: a segment, or the current file (seq 0).
type logFile struct {
	*os.File
	seq int
}

// snapshotPatience bounds how long openLog retries while applies rotate the log.
const snapshotPatience = 5 * time.Second

// openLog opens the files of the audit log in dir that a reader needs, oldest first: the
// segments from the segment from on (0: all; later ones when it is gone), then the
// current file, if any. They are one snapshot: when an apply rotated the log meanwhile,
// openLog tries again (backing off a little each time, for up to snapshotPatience), so
// that no record is missed or read twice.
func openLog(dir string, from int) ([]logFile, error) {
	deadline := time.Now().Add(snapshotPatience)
	for try := 1; ; try++ {
		before, err := segments(dir)
		if err != nil {
			return nil, err
		}
		files, err := openLogFiles(dir, before, from)
		if err != nil {
			return nil, err
		}
		after, err := segments(dir)
		if err != nil {
			return nil, errors.Join(err, closeLog(files))
		}
		if last(after) == last(before) {
			return files, nil
		}
		if err := closeLog(files); err != nil {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("audit log %s: rotated %d times while being read, for %s", dir, try, snapshotPatience)
		}
		time.Sleep(time.Duration(min(try, 20)) * time.Millisecond)
	}
}

// openLogFiles opens the segments seqs from from on and the current file, skipping the
// segments removed meanwhile (pruned: their records are not to be read any more).
func openLogFiles(dir string, seqs []int, from int) ([]logFile, error) {
	var files []logFile
	open := func(name string, seq int) error {
		f, err := os.Open(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return errors.Join(fmt.Errorf("audit log: %w", err), closeLog(files))
		}
		files = append(files, logFile{f, seq})
		return nil
	}
	for _, seq := range seqs {
		if seq >= from {
			if err := open(segmentName(seq), seq); err != nil {
				return nil, err
			}
		}
	}
	if err := open(AuditFile, 0); err != nil {
		return nil, err
	}
	return files, nil
}

func closeLog(files []logFile) error {
	var errs []error
	for _, f := range files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

func last(seqs []int) int {
	if len(seqs) == 0 {
		return 0
	}
	return seqs[len(seqs)-1]
}
