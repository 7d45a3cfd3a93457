package daemon

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

func TestMain(m *testing.M) {
	// Durations in log lines as the CLI writes them (cmd/tintri-jobs/logging.go): "48h0m0s".
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
	os.Exit(m.Run())
}

// logLines returns the JSON log lines in buf whose message is msg, as "level field=value"
// for the given fields.
func logLines(t *testing.T, buf *syncBuffer, msg string, fields ...string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["message"] != msg {
			continue
		}
		s := fmt.Sprint(m["level"])
		for _, f := range fields {
			s += fmt.Sprintf(" %s=%v", f, m[f])
		}
		out = append(out, s)
	}
	return out
}

// nextRuns moves the clock to each of the next n fire times and returns the runs'
// scheduled instants, in UTC.
func (h *schedHarness) nextRuns(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	for range n {
		h.clk.next(t)
		got = append(got, asReq(recv(t, h.runs, "run"), time.UTC).Scheduled)
		recv(t, h.idle, "idle")
	}
	return got
}

const stepMsg = "wall clock stepped back: jobs run on schedule from the current time"

// A history record in the future (written before the clock was stepped back, or by a
// clock that was ahead) must not hold the schedule until the clock gets there: an
// every-minute job runs the next minute, and the step is logged once, with its size.
func TestFaultClockStepBackHistoryInTheFuture(t *testing.T) {
	t0 := ts(t, "2026-06-01T12:00:30Z")
	job := &config.Job{Name: "j", Schedule: "* * * * *", TimeZone: "UTC"}
	h := newSchedHarness(t, t0, false, 0, job)
	var logs syncBuffer
	h.s.opts.Log = zerolog.New(&logs)
	last := map[string]LastRun{"j": {Start: ts(t, "2026-06-03T12:00:30Z"), Scheduled: ts(t, "2026-06-03T12:00:00Z")}}
	if err := h.s.SetConfig(&engine.Config{Config: &config.Config{Jobs: []*config.Job{job}}}, last); err != nil {
		t.Fatal(err)
	}
	h.s.CatchUp(last)
	h.start()
	got := h.nextRuns(t, 3)
	h.shutdown(t)
	if diff := cmp.Diff([]string{"2026-06-01 12:01 UTC", "2026-06-01 12:02 UTC", "2026-06-01 12:03 UTC"}, got); diff != "" {
		t.Errorf("runs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"warn step=48h0m0s"}, logLines(t, &logs, stepMsg, "step")); diff != "" {
		t.Errorf("step warnings (-want +got):\n%s", diff)
	}
}

// A wall clock stepped back while the daemon runs: the job's schedule goes on from the
// current time (instants the clock shows again run again), except the instant the job last
// ran for, which never runs twice. The step is logged once.
func TestFaultClockStepBack(t *testing.T) {
	tests := []struct {
		name     string
		step     time.Duration
		want     []string // the next two runs after the step
		wantWarn string
	}{
		{
			// The fake clock has no monotonic reading, so the step is measured from the
			// loop's last reading (12:01:00) to its first after the step (the stale 12:02
			// timer): a minute less than the step itself.
			name: "two days", step: -48 * time.Hour,
			want:     []string{"2026-05-30 12:03 UTC", "2026-05-30 12:04 UTC"},
			wantWarn: "warn step=47h59m0s",
		},
		{
			name: "90 seconds: 12:01 does not run again", step: -90 * time.Second,
			want:     []string{"2026-06-01 12:02 UTC", "2026-06-01 12:03 UTC"},
			wantWarn: "warn step=30s",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := &config.Job{Name: "j", Schedule: "* * * * *", TimeZone: "UTC"}
			h := newSchedHarness(t, ts(t, "2026-06-01T12:00:00Z"), false, 0, job)
			var logs syncBuffer
			h.s.opts.Log = zerolog.New(&logs)
			h.start()
			h.nextRuns(t, 1)       // 12:01
			h.clk.waitTimers(t, 1) // the loop waits for 12:02
			h.clk.step(tt.step)
			h.clk.next(t) // the stale timer: the loop reads the clock and sees the step
			got := h.nextRuns(t, 2)
			h.shutdown(t)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("runs after the step (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{tt.wantWarn}, logLines(t, &logs, stepMsg, "step")); diff != "" {
				t.Errorf("step warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// stepBack measures a step by the monotonic clock when both readings have one; time.Now's
// readings taken in order never show a step, however the wall clock moves meanwhile
// (it cannot be moved from a test, so the step itself is measured by the wall clock above).
func TestStepBack(t *testing.T) {
	t0 := ts(t, "2026-06-01T12:00:00Z")
	tests := []struct {
		name      string
		prev, now time.Time
		want      time.Duration
	}{
		{"wall clock back", t0, t0.Add(-time.Hour), time.Hour},
		{"wall clock forward", t0, t0.Add(time.Hour), 0},
		{"monotonic readings, no step", time.Now(), time.Now(), 0},
	}
	for _, tt := range tests {
		if got := stepBack(tt.prev, tt.now); got != tt.want && !(tt.want == 0 && got < time.Millisecond) {
			t.Errorf("%s: stepBack = %s, want %s", tt.name, got, tt.want)
		}
	}
}
