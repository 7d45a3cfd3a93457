// Package grace ends goroutines within a grace period: wait for them, and cancel what is
// left when the period is over.
package grace

import (
	"context"
	"sync"
)

// Wait waits for wg and calls cancel once: after wg is done (over false), releasing what
// the goroutines' context holds, or, when ctx ends first (the grace period is over: over
// true), right away, to tell the goroutines to stop; then it waits for wg again.
func Wait(ctx context.Context, wg *sync.WaitGroup, cancel func(over bool)) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		cancel(false)
	case <-ctx.Done():
		cancel(true)
		<-done
	}
}
