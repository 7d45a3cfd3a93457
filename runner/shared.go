package runner

import (
	"context"
	"fmt"
)

// sharedValue is the outcome of one Shared computation; done is closed once it is known.
type sharedValue struct {
	done chan struct{}
	val  any
	err  error
}

// Shared returns what fn returns for key, computing it once for every change of the task
// in this apply: the first caller runs fn with its context, concurrent and later callers
// wait for its outcome (or for their own context's end). A task whose changes each read
// their target before writing can read them all at once instead, e.g. one listing for
// thousands of VMs. fn's error is every caller's, except the end of the first caller's
// context: then the next caller computes it again. A panic in fn is the first caller's;
// the others get an error.
func Shared[T any](ctx context.Context, e *ApplyEnv, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for {
		if err := ctx.Err(); err != nil {
			return zero, err
		}
		v, loaded := e.shared.LoadOrStore(key, &sharedValue{done: make(chan struct{})})
		sv := v.(*sharedValue)
		if !loaded {
			compute(ctx, e, key, sv, fn)
		}
		select {
		case <-sv.done:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
		if sv.err == nil {
			return sv.val.(T), nil
		}
		if cur, ok := e.shared.Load(key); ok && cur == sv {
			return zero, sv.err
		}
		// The caller that computed it was cancelled and removed its outcome: try again.
	}
}

// compute runs fn for sv and publishes its outcome; a panic in fn goes on up after it is
// published as an error. An error while ctx has ended is removed from e's values, so that
// it is not every caller's.
func compute[T any](ctx context.Context, e *ApplyEnv, key string, sv *sharedValue, fn func(context.Context) (T, error)) {
	finished := false
	defer func() {
		if !finished {
			sv.err = fmt.Errorf("%s: the shared read failed (panic)", key)
		}
		if sv.err != nil && ctx.Err() != nil {
			e.shared.CompareAndDelete(key, sv)
		}
		close(sv.done)
	}()
	sv.val, sv.err = fn(ctx)
	finished = true
}
