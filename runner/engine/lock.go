package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/tintri-jobs/tintri-jobs/runner/statedir"
)

// ApplyLockFile is the lock file of the state directory that every apply holds while it
// writes: two applies of one state directory never run at once. The CLI takes it before
// it plans, so that what it shows for approval is not changed by another apply meanwhile.
const ApplyLockFile = "apply.lock"

// DefaultLockCommand is how an apply holding the lock names itself when the Engine's
// LockCommand is empty.
const DefaultLockCommand = "tintri-jobs apply"

// ErrLocked is wrapped by the refusal of an apply whose state directory another apply
// holds.
var ErrLocked = errors.New("the state directory is locked")

// Lock takes the apply lock of the engine's state directory, waiting up to LockTimeout
// (0: not at all) or until ctx ends, and returns its release. Apply takes the lock itself
// unless the caller holds it through Lock. A refusal wraps ErrLocked and names the holder's
// pid and command.
func (e *Engine) Lock(ctx context.Context) (unlock func() error, err error) {
	cmd := e.LockCommand
	if cmd == "" {
		cmd = DefaultLockCommand
	}
	l, err := statedir.Acquire(ctx, e.stateDir(), ApplyLockFile, cmd, e.LockTimeout)
	var held *statedir.HeldError
	if errors.As(err, &held) {
		wait := "wait for it to finish, or give -lock-timeout to wait"
		if e.LockTimeout > 0 {
			wait = fmt.Sprintf("still held after waiting %s", e.LockTimeout)
		}
		return nil, fmt.Errorf("%w by %s, which is applying (state dir %s): %s", ErrLocked, held.Holder(), e.stateDir(), wait)
	}
	if err != nil {
		return nil, fmt.Errorf("apply lock: %w", err)
	}
	e.mu.Lock()
	e.held++
	e.mu.Unlock()
	return func() error {
		e.mu.Lock()
		e.held--
		e.mu.Unlock()
		return l.Unlock()
	}, nil
}

// lockForApply returns the release of the apply lock: a no-op when the caller holds it.
func (e *Engine) lockForApply(ctx context.Context) (func() error, error) {
	e.mu.Lock()
	held := e.held > 0
	e.mu.Unlock()
	if held {
		return func() error { return nil }, nil
	}
	return e.Lock(ctx)
}
