package tintri_test

import (
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"v310.51", "v310.111", -1},
		{"v310.111", "v310.51", 1},
		{"v310.51", "v310.51", 0},
		{"v310.5", "v310.51", -1},
		{"v310", "v310.0", 0},
		{"v310.1", "v310", 1},
		{"V310.21", "v310.21", 0},
		{"v311.1", "v310.131", 1},
	}
	for _, tt := range tests {
		got, err := tintri.CompareVersions(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "v", "v310.x", "v310..1", "v310.-1", "latest"} {
		if _, err := tintri.CompareVersions(bad, "v310.51"); err == nil {
			t.Errorf("CompareVersions(%q, …) accepted a malformed version", bad)
		}
	}
}
