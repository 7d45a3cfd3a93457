package runner

import "testing"

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
