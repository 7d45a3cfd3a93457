package runner

import (
	"context"
	"errors"
	"slices"
	"strings"
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

// TestSharedCancelAndPanic: a first caller whose context ends while it computes does not
// hand its cancellation to the callers waiting for it: the next one computes again; a panic
// in the computation is its caller's, and a waiting caller gets an error instead of
// waiting for ever.
func TestSharedCancelAndPanic(t *testing.T) {
	e := NewApplyEnv(nil, zerolog.Nop(), 0, time.Now)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := Shared(ctx, e, "c", func(ctx context.Context) (int, error) {
			close(started)
			<-ctx.Done()
			return 0, ctx.Err()
		})
		first <- err
	}()
	<-started
	second := make(chan int, 1)
	go func() {
		v, err := Shared(context.Background(), e, "c", func(context.Context) (int, error) { return 7, nil })
		if err != nil {
			t.Errorf("waiting caller after the first was cancelled: %v", err)
		}
		second <- v
	}()
	time.Sleep(20 * time.Millisecond) // the second caller waits for the first's outcome
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("first caller: %v, want context.Canceled", err)
	}
	if v := <-second; v != 7 {
		t.Errorf("waiting caller got %d, want 7 (computed again)", v)
	}

	inside := make(chan struct{})
	proceed := make(chan struct{})
	go func() {
		defer func() { _ = recover() }()
		_, _ = Shared(context.Background(), e, "d", func(context.Context) (int, error) {
			close(inside)
			<-proceed
			panic("boom")
		})
	}()
	<-inside
	waited := make(chan error, 1)
	go func() {
		_, err := Shared(context.Background(), e, "d", func(context.Context) (int, error) { return 1, nil })
		waited <- err
	}()
	time.Sleep(20 * time.Millisecond)
	close(proceed)
	select {
	case err := <-waited:
		if err == nil || !strings.Contains(err.Error(), "panic") {
			t.Errorf("caller waiting on a computation that panicked: %v, want an error naming the panic", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a caller waiting on a computation that panicked waits for ever")
	}
}
