package runner

import "context"

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
// thousands of VMs. fn's error is every caller's.
func Shared[T any](ctx context.Context, e *ApplyEnv, key string, fn func(context.Context) (T, error)) (T, error) {
	v, loaded := e.shared.LoadOrStore(key, &sharedValue{done: make(chan struct{})})
	sv := v.(*sharedValue)
	if !loaded {
		sv.val, sv.err = fn(ctx)
		close(sv.done)
	}
	var zero T
	select {
	case <-sv.done:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if sv.err != nil {
		return zero, sv.err
	}
	return sv.val.(T), nil
}
