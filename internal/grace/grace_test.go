package grace

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestWait: goroutines that finish in time are not cancelled before they end; those still
// running when the grace period is over are cancelled and waited for. Either way cancel
// is called once, told which happened.
func TestWait(t *testing.T) {
	t.Run("in time", func(t *testing.T) {
		var wg sync.WaitGroup
		var cancelled atomic.Int32
		wg.Go(func() {
			if cancelled.Load() != 0 {
				t.Error("cancelled before it ended")
			}
		})
		Wait(context.Background(), &wg, func(over bool) {
			if over {
				t.Error("cancel told the grace period was over")
			}
			cancelled.Add(1)
		})
		if n := cancelled.Load(); n != 1 {
			t.Errorf("cancel called %d times, want 1", n)
		}
	})
	t.Run("grace over", func(t *testing.T) {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		var ended atomic.Bool
		wg.Go(func() {
			<-stop
			ended.Store(true)
		})
		ctx, over := context.WithCancel(context.Background())
		over()
		Wait(ctx, &wg, func(over bool) {
			if !over {
				t.Error("cancel not told the grace period was over")
			}
			close(stop) // a second call would panic
		})
		if !ended.Load() {
			t.Error("Wait returned before the cancelled goroutine ended")
		}
	})
}
