package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func record(job string, i int) plan.RunRecord {
	start := time.Date(2026, 6, 1, 0, i, 0, 0, time.UTC)
	return plan.RunRecord{ID: fmt.Sprintf("%s-%d", job, i), Job: job, Trigger: TriggerSchedule, Scheduled: start,
		Start: start, End: start.Add(time.Second), Result: plan.ResultSuccess, Changed: i}
}

func ids(recs []plan.RunRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID
	}
	return out
}

func TestHistoryAppendReopenRecent(t *testing.T) {
	dir := t.TempDir()
	h, err := OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for _, job := range []string{"a", "b"} {
			if err := h.Append(record(job, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	h, err = OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if diff := cmp.Diff([]string{"b-2", "a-2", "b-1"}, ids(h.Recent("", 3))); diff != "" {
		t.Errorf("Recent(all, 3) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a-2", "a-1", "a-0"}, ids(h.Recent("a", 0))); diff != "" {
		t.Errorf("Recent(a) (-want +got):\n%s", diff)
	}
	want := map[string]LastRun{
		"a": {Start: record("a", 2).Start, Scheduled: record("a", 2).Scheduled},
		"b": {Start: record("b", 2).Start, Scheduled: record("b", 2).Scheduled},
	}
	if diff := cmp.Diff(want, h.Last()); diff != "" {
		t.Errorf("Last (-want +got):\n%s", diff)
	}
}

func TestHistoryTornLastLineIgnored(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, HistoryFile)
	good := `{"id":"1","job":"a","trigger":"schedule","start":"2026-06-01T00:00:00Z","end":"2026-06-01T00:00:01Z","result":"success","changed":1,"unchanged":0,"failed":0,"pending":0}` + "\n"
	if err := os.WriteFile(path, []byte(good+`{"id":"2","job":"a","trig`), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadHistory(path)
	if err != nil || len(recs) != 1 || recs[0].ID != "1" {
		t.Fatalf("ReadHistory = %v, %v; want only run 1", ids(recs), err)
	}
	h, err := OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Append(record("a", 5)); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err = ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1", "a-5"}, ids(recs)); diff != "" {
		t.Errorf("after a torn line and an append (-want +got):\n%s", diff)
	}
}

func TestHistoryCorruptMiddleLineIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), HistoryFile)
	if err := os.WriteFile(path, []byte("{\"id\":\"1\"}\nnot json\n{\"id\":\"3\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ReadHistory(path)
	if want := path + ":2: invalid character 'o' in literal null (expecting 'u')"; err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
}

func TestHistoryCompactionKeepsEachJobsLimit(t *testing.T) {
	dir := t.TempDir()
	limit := func(job string) int {
		if job == "small" {
			return 2
		}
		return 5
	}
	h, err := OpenHistory(dir, limit)
	if err != nil {
		t.Fatal(err)
	}
	// CompactEvery appends trigger one compaction; the file then holds only retained runs.
	for i := range CompactEvery {
		job := "big"
		if i%2 == 0 {
			job = "small"
		}
		if err := h.Append(record(job, i)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := ReadHistory(filepath.Join(dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"big-41", "big-43", "big-45", "small-46", "big-47", "small-48", "big-49"}
	if diff := cmp.Diff(want, ids(recs)); diff != "" {
		t.Errorf("file after compaction (-want +got):\n%s", diff)
	}
	mem := ids(h.Recent("", 0))
	slices.Reverse(mem)
	if diff := cmp.Diff(want, mem); diff != "" {
		t.Errorf("memory after compaction (-want +got):\n%s", diff)
	}
	// Appending goes on into the renamed file.
	if err := h.Append(record("small", 60)); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	recs, _ = ReadHistory(filepath.Join(dir, HistoryFile))
	if got := recs[len(recs)-1].ID; got != "small-60" {
		t.Errorf("last run in the file = %s, want small-60", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

// A write that fails part way (a full disk) may leave part of a line in the file. The next
// append must not land after it: that would turn the torn line into a corrupt line in the
// middle, which ReadHistory refuses, and the daemon could not start again.
func TestHistoryFailedAppendLeavesNoTornLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, HistoryFile)
	h, err := OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if err := h.Append(record("a", 1)); err != nil {
		t.Fatal(err)
	}
	// The failed write: part of the line reaches the file, then the write fails.
	if err := os.WriteFile(path, append(mustRead(t, path), `{"id":"a-2","jo`...), 0o600); err != nil {
		t.Fatal(err)
	}
	writable := h.f
	readOnly, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	h.f = readOnly
	if err := h.Append(record("a", 2)); err == nil {
		t.Fatal("append to a read-only file succeeded")
	}
	if err := readOnly.Close(); err != nil {
		t.Fatal(err)
	}
	h.f = writable // space again
	if err := h.Append(record("a", 3)); err != nil {
		t.Fatal(err)
	}
	recs, err := ReadHistory(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a-1", "a-3"}, ids(recs)); diff != "" {
		t.Errorf("history after a failed append (-want +got):\n%s", diff)
	}
}

// TestHistoryReopensAfterFailedCompaction: a compaction that renamed its file but could
// not reopen it leaves no open file; the next Append rewrites and reopens it instead of
// failing for good. After Close, Append fails.
func TestHistoryReopensAfterFailedCompaction(t *testing.T) {
	dir := t.TempDir()
	h, err := OpenHistory(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Append(record("a", 1)); err != nil {
		t.Fatal(err)
	}
	if err := h.f.Close(); err != nil {
		t.Fatal(err)
	}
	h.f = nil // what a compaction whose directory sync or reopen failed leaves
	if err := h.Append(record("a", 2)); err != nil {
		t.Fatalf("append after a failed compaction: %v", err)
	}
	recs, err := ReadHistory(filepath.Join(dir, HistoryFile))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a-1", "a-2"}, ids(recs)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Append(record("a", 3)); err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("append after close: %v, want an error saying it is closed", err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Last is about each job's newest record, not its latest times: after the wall clock was
// stepped back, the records written before the step lie in the future.
func TestHistoryLastIsTheNewestRecord(t *testing.T) {
	h, err := OpenHistory(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	before, after := record("a", 50), record("a", 3) // run 3 started after a step back
	manual := record("a", 4)
	manual.Trigger = TriggerManual
	for _, r := range []plan.RunRecord{before, after, manual} {
		if err := h.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]LastRun{"a": {Start: manual.Start, Scheduled: after.Scheduled}}
	if diff := cmp.Diff(want, h.Last()); diff != "" {
		t.Errorf("Last (-want +got):\n%s", diff)
	}
}
