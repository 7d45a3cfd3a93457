package tasks

import (
	"context"
	"fmt"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

// Writes that replace a whole object (an appliance's DNS servers or IP list, a
// maintenance window, a group's QoS, a VM's affinity rule) are made on top of what the
// object holds right before the write, never from the plan's copy of it: anything changed
// since the plan outside the change's own fields is kept, and a field the change sets that
// someone else changed since is refused as stale. The Tintri API has no conditional
// update, so where two writers may each change part of one object (data IPs, DNS fields)
// the object is read again after the write: when a concurrent write replaced this one,
// the change is made again on top of it.

// maxRaces bounds how often a change is made again because a concurrent write replaced it.
const maxRaces = 3

// guarded describes one guarded write of an object of type T.
type guarded[T any] struct {
	// read returns the object as it is now.
	read func(context.Context) (T, error)
	// merge returns the object to write: cur with the planned change made; nil when cur
	// already has it. A field of the change that holds neither its planned before nor its
	// after is an error wrapping runner.ErrStale.
	merge func(cur T) (*T, error)
	// write writes the object.
	write func(context.Context, T) error
	// verify reads the object again after the write and makes the change again when a
	// concurrent write replaced it.
	verify bool
}

// run makes the guarded write.
func (g guarded[T]) run(ctx context.Context) error {
	for writes := 0; ; writes++ {
		cur, err := g.read(ctx)
		if err != nil {
			if writes > 0 {
				return fmt.Errorf("written, but reading it back failed: %w", err)
			}
			return fmt.Errorf("read before writing: %w", err)
		}
		next, err := g.merge(cur)
		if err != nil || next == nil {
			return err
		}
		if writes == maxRaces+1 {
			return fmt.Errorf("another writer replaced this change %d times while it was being made; nothing more written; run plan again", maxRaces)
		}
		if err := g.write(ctx, *next); err != nil {
			return err
		}
		if !g.verify {
			return nil
		}
	}
}

// stale is the error of a field that changed since the plan: "stale: changed since the
// plan: <what> is <now> now, <before> at plan time; nothing written, run plan again".
func stale(what, now, before string) error {
	return fmt.Errorf("%w: %s is %s now, %s at plan time; nothing written, run plan again", runner.ErrStale, what, now, before)
}
