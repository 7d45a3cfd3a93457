package runner

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestParallelismFor: the default parallelism is 256 targets at once unless the open-file
// limit cannot hold two connections for each, plus a reserve.
func TestParallelismFor(t *testing.T) {
	for _, tt := range []struct {
		nofile uint64
		want   int
	}{{0, 256}, {1 << 20, 256}, {1024, 256}, {576, 256}, {256, 96}, {100, 18}, {66, 1}, {10, 1}} {
		if got := parallelismFor(tt.nofile); got != tt.want {
			t.Errorf("parallelismFor(%d) = %d, want %d", tt.nofile, got, tt.want)
		}
	}
	if n := DefaultParallelism(); n < 1 || n > MaxDefaultParallelism {
		t.Errorf("DefaultParallelism() = %d, want 1 to %d", n, MaxDefaultParallelism)
	}
}

// TestShared: concurrent callers of one key share one computation and its outcome, an error
// included; another key is computed apart, and a caller whose context ends stops waiting.
func TestShared(t *testing.T) {
	e := NewApplyEnv(nil, zerolog.Nop(), 0, time.Now)
	var calls atomic.Int32
	release := make(chan struct{})
	slow := func(context.Context) (int, error) {
		calls.Add(1)
		<-release
		return 42, nil
	}
	got := make([]int, 20)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			v, err := Shared(context.Background(), e, "a", slow)
			if err != nil {
				t.Error(err)
			}
			got[i] = v
		})
	}
	for calls.Load() == 0 { // the computation has started
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Shared(ctx, e, "a", slow); !errors.Is(err, context.Canceled) {
		t.Errorf("a caller whose context ended: %v, want context.Canceled", err)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 || slices.ContainsFunc(got, func(v int) bool { return v != 42 }) {
		t.Errorf("%d computations, values %v; want 1 and 42 for all", calls.Load(), got)
	}
	boom := errors.New("boom")
	for range 2 {
		if _, err := Shared(context.Background(), e, "b", func(context.Context) (int, error) { calls.Add(1); return 0, boom }); !errors.Is(err, boom) {
			t.Errorf("key b: %v, want boom", err)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d computations after key b, want 2", calls.Load())
	}
}
