package tintri_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func TestExpBound(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		base, max time.Duration
		attempt   int
		want      time.Duration
	}{
		{100 * ms, time.Second, 1, 100 * ms},
		{100 * ms, time.Second, 2, 200 * ms},
		{100 * ms, time.Second, 3, 400 * ms},
		{100 * ms, time.Second, 4, 800 * ms},
		{100 * ms, time.Second, 5, time.Second},
		{100 * ms, time.Second, 1000, time.Second},
		{0, time.Second, 3, 0},
		{time.Hour, 0, 3, 4 * time.Hour},
	}
	for _, tt := range tests {
		if got := tintri.ExpBound(tt.base, tt.max, tt.attempt); got != tt.want {
			t.Errorf("ExpBound(%v, %v, %d) = %v, want %v", tt.base, tt.max, tt.attempt, got, tt.want)
		}
	}
	if got := tintri.ExpBound(time.Second, 0, 500); got <= 0 {
		t.Errorf("ExpBound without a cap overflowed to %v", got)
	}
}

func TestRetryDelay(t *testing.T) {
	fixed := func(d time.Duration) func(int) time.Duration { return func(int) time.Duration { return d } }
	tests := []struct {
		name       string
		p          tintri.RetryPolicy
		retryAfter time.Duration
		want       time.Duration
	}{
		{"override", tintri.RetryPolicy{Backoff: fixed(3 * time.Second)}, 0, 3 * time.Second},
		{"zero override", tintri.RetryPolicy{Backoff: tintri.NoDelay, BaseDelay: time.Second}, 0, 0},
		{"retry-after raises", tintri.RetryPolicy{Backoff: tintri.NoDelay, MaxDelay: time.Minute}, 5 * time.Second, 5 * time.Second},
		{"retry-after capped", tintri.RetryPolicy{Backoff: tintri.NoDelay, MaxDelay: 2 * time.Second}, 5 * time.Second, 2 * time.Second},
		{"override capped", tintri.RetryPolicy{Backoff: fixed(time.Hour), MaxDelay: time.Second}, 0, time.Second},
		{"no base no delay", tintri.RetryPolicy{}, 0, 0},
	}
	for _, tt := range tests {
		if got := tt.p.Delay(2, tt.retryAfter); got != tt.want {
			t.Errorf("%s: Delay = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestFullJitter checks that the jittered waits stay within [0, bound] and are not constant.
func TestFullJitter(t *testing.T) {
	p := tintri.RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}
	for attempt, bound := range map[int]time.Duration{1: 100 * time.Millisecond, 3: 400 * time.Millisecond, 9: time.Second} {
		seen := map[time.Duration]bool{}
		for range 200 {
			d := p.Delay(attempt, 0)
			if d < 0 || d > bound {
				t.Fatalf("attempt %d: delay %v outside [0, %v]", attempt, d, bound)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: 200 delays all equal %v: no jitter", attempt, seen)
		}
	}
}

func TestDefaultRetryPolicy(t *testing.T) {
	p := tintri.DefaultRetryPolicy()
	if p.MaxAttempts != 4 || p.BaseDelay != 500*time.Millisecond || p.MaxDelay != 15*time.Second || p.Backoff != nil {
		t.Errorf("DefaultRetryPolicy() = %+v", p)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"3", 3 * time.Second},
		{"0", 0},
		{"-4", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := tintri.RetryAfter(tt.h, now); got != tt.want {
			t.Errorf("RetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
