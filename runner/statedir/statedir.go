// Package statedir guards a state directory (audit log, history, daemon files) with
// exclusive, cross-platform file locks (github.com/gofrs/flock: flock(2) on Unix,
// LockFileEx on Windows). The operating system releases a lock when its process exits,
// however it exits, so a killed process never leaves a stale lock behind.
package statedir

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
)

// retryDelay is how often a waiting Acquire tries the lock again.
const retryDelay = 100 * time.Millisecond

// Lock is an exclusive lock on one lock file of a state directory.
type Lock struct {
	fl *flock.Flock
}

// HeldError is the refusal of a lock another process holds.
type HeldError struct {
	Path string
	// Pid and Command describe the holder as it recorded itself (0 and "" when unknown).
	Pid     int
	Command string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s is held by %s", e.Path, e.Holder())
}

// Holder describes the holding process: "pid 1234 (tintri-jobs apply -auto-approve)".
func (e *HeldError) Holder() string {
	switch {
	case e.Pid == 0:
		return "another process"
	case e.Command == "":
		return fmt.Sprintf("pid %d", e.Pid)
	}
	return fmt.Sprintf("pid %d (%s)", e.Pid, e.Command)
}

// Acquire creates dir if needed and takes the lock file name in it, trying again until
// timeout has passed (0: once) or ctx ends. Once held, the lock records this process's pid
// and command (what it is doing, e.g. "tintri-jobs apply"; never its arguments, which may
// hold secrets) in name+".holder", so that a refused Acquire returns a *HeldError naming
// them.
func Acquire(ctx context.Context, dir, name, command string, timeout time.Duration) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	path := filepath.Join(dir, name)
	fl := flock.New(path, flock.SetPermissions(0o600))
	var ok bool
	var err error
	if timeout <= 0 {
		ok, err = fl.TryLock()
	} else {
		tctx, cancel := context.WithTimeout(ctx, timeout)
		ok, err = fl.TryLockContext(tctx, retryDelay)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if !ok {
		return nil, readHolder(path)
	}
	record := strconv.Itoa(os.Getpid()) + " " + command + "\n"
	if err := atomicfile.WriteBytes(path+".holder", []byte(record), 0o600); err != nil {
		return nil, errors.Join(fmt.Errorf("lock %s: record holder: %w", path, err), fl.Unlock())
	}
	return &Lock{fl: fl}, nil
}

// readHolder returns the HeldError of the lock at path from its holder record.
func readHolder(path string) *HeldError {
	e := &HeldError{Path: path}
	b, err := os.ReadFile(path + ".holder")
	if err != nil {
		return e
	}
	pid, cmd, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if n, err := strconv.Atoi(pid); err == nil {
		e.Pid, e.Command = n, cmd
	}
	return e
}

// Unlock releases the lock. The holder record stays; only the lock matters.
func (l *Lock) Unlock() error {
	if err := l.fl.Unlock(); err != nil {
		return fmt.Errorf("unlock %s: %w", l.fl.Path(), err)
	}
	return nil
}
