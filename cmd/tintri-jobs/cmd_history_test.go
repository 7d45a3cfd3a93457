package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/runner/daemon"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func TestHistoryCommand(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 6, 1, 2, 30, 0, 0, time.UTC)
	recs := []plan.RunRecord{
		{ID: "0000000000000001", Job: "qos", Trigger: daemon.TriggerSchedule, Start: t0, End: t0.Add(1500 * time.Millisecond),
			Result: plan.ResultSuccess, Changed: 3, Unchanged: 41},
		{ID: "0000000000000002", Job: "drift", Trigger: daemon.TriggerCatchUp, Start: t0.Add(time.Minute), End: t0.Add(time.Minute + 2*time.Second),
			Result: plan.ResultDrift, Unchanged: 5, Pending: 2},
		{ID: "0000000000000003", Job: "qos", Trigger: daemon.TriggerManual, Start: t0.Add(time.Hour), End: t0.Add(time.Hour + time.Second),
			Result: plan.ResultFailed, Changed: 1, Failed: 1, Error: "task gold: tgc: boom"},
	}
	var b strings.Builder
	for _, r := range recs {
		line, _ := json.Marshal(r)
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString(`{"id":"torn`) // a crash mid-write: ignored
	if err := os.WriteFile(filepath.Join(dir, daemon.HistoryFile), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	local := func(d time.Duration) string { return t0.Add(d).Local().Format("2006-01-02 15:04:05") }

	stdout, stderr, code := runInProcess(t, nil, "", false, "history", "-state-dir", dir, "-job", "qos")
	want := "START                JOB  TRIGGER   RESULT   DURATION  CHANGED  UNCHANGED  FAILED  PENDING  RUN ID            ERROR\n" +
		local(time.Hour) + "  qos  manual    failed   1s        1        0          1       -        0000000000000003  task gold: tgc: boom\n" +
		local(0) + "  qos  schedule  success  1.5s      3        41         0       -        0000000000000001\n"
	if code != 0 || stderr != "" {
		t.Fatalf("history -job qos: exit %d, stderr %q", code, stderr)
	}
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}

	stdout, _, code = runInProcess(t, nil, "", false, "history", "-state-dir", dir, "-json", "-limit", "2")
	var got []plan.RunRecord
	if err := json.Unmarshal([]byte(stdout), &got); code != 0 || err != nil {
		t.Fatalf("history -json: exit %d, %v\n%s", code, err, stdout)
	}
	if diff := cmp.Diff([]plan.RunRecord{recs[2], recs[1]}, got); diff != "" {
		t.Errorf("json (-want +got):\n%s", diff)
	}

	missing := filepath.Join(dir, "nope")
	_, stderr, code = runInProcess(t, nil, "", false, "history", "-state-dir", missing)
	if want := "Error: no daemon history in " + missing + " (history.jsonl not found)\n"; code != 1 || stderr != want {
		t.Errorf("missing history: exit %d, stderr %q, want %q", code, stderr, want)
	}
	_, stderr, code = runInProcess(t, nil, "", false, "history", "-state-dir", dir, "-limit", "-1")
	if want := "Error: -limit -1: want 0 or more\n"; code != 1 || stderr != want {
		t.Errorf("-limit -1: exit %d, stderr %q", code, stderr)
	}
}
