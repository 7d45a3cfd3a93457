package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// auditRec is a record of the apply id with the sequence number seq and a result.
func auditRec(id string, seq int, result string) plan.AuditRecord {
	return plan.AuditRecord{FormatVersion: plan.AuditFormatVersion, Time: time.Unix(0, 0).UTC(), ApplyID: id, Seq: seq,
		Job: "j", Task: "t", Change: plan.Change{Server: "vs", Object: fmt.Sprintf("object %d", seq), Action: plan.ActionUpdate},
		Result: result}
}

// key names a record by apply id, sequence number and result.
func key(r plan.AuditRecord) string { return fmt.Sprintf("%s/%d/%s", r.ApplyID, r.Seq, r.Result) }

func keys(recs []plan.AuditRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = key(r)
	}
	return out
}

// openTestAudit opens the audit log in dir as an apply holding the lock would.
func openTestAudit(t *testing.T, dir string, rot AuditRotation) *auditLog {
	t.Helper()
	a, _, err := openAudit(dir, rot, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAuditRotationConcurrentWriters writes records from many goroutines at once into a
// log that rotates every few records, while readers read it: the log ends up with every
// record exactly once, and every reader saw a prefix of it (no record missed, none twice,
// none out of order) although files were renamed under it.
func TestAuditRotationConcurrentWriters(t *testing.T) {
	const writers, perWriter = 8, 150
	dir := t.TempDir()
	a := openTestAudit(t, dir, AuditRotation{MaxSize: 2048})
	if err := a.begin("apply1", time.Now()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				if err := a.write(auditRec("apply1", w*perWriter+i+1, plan.AuditIntent)); err != nil {
					t.Errorf("write: %v", err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	var snapshots [][]string
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			recs, err := ReadAudit(dir)
			if err != nil {
				t.Errorf("ReadAudit while writing: %v", err)
				return
			}
			snapshots = append(snapshots, keys(recs))
		}
	})
	wg.Wait()
	close(done)
	readers.Wait()
	if err := a.close(); err != nil {
		t.Fatal(err)
	}

	recs, err := ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	final := keys(recs)
	if len(final) != writers*perWriter {
		t.Errorf("%d records, want %d", len(final), writers*perWriter)
	}
	seen := map[string]bool{}
	for _, k := range final {
		if seen[k] {
			t.Errorf("record %s twice", k)
		}
		seen[k] = true
	}
	seqs, err := segments(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) < 10 {
		t.Errorf("%d rotated files, want many: the test does not rotate", len(seqs))
	}
	for _, s := range seqs {
		// Each record is about 300 bytes: a file grows past MaxSize by at most the
		// records written concurrently with the one that found it full.
		if fi, err := os.Stat(filepath.Join(dir, segmentName(s))); err != nil || fi.Size() > 2048+writers*400 {
			t.Errorf("%s: %v, %v", segmentName(s), fi.Size(), err)
		}
	}
	for i, snap := range snapshots {
		if !slices.Equal(snap, final[:min(len(snap), len(final))]) {
			t.Fatalf("snapshot %d of %d records is not a prefix of the log", i, len(snap))
		}
	}
	if len(snapshots) < 2 {
		t.Errorf("%d snapshots read while writing", len(snapshots))
	}
}

// TestAuditRotationKeep checks that rotation keeps the newest Keep files and never
// removes one holding records of the apply in progress.
func TestAuditRotationKeep(t *testing.T) {
	dir := t.TempDir()
	a := openTestAudit(t, dir, AuditRotation{MaxSize: 1024, Keep: 2})
	for i := range 40 {
		if err := a.write(auditRec("old", i+1, plan.AuditOK)); err != nil {
			t.Fatal(err)
		}
	}
	seqs, _ := segments(dir)
	if len(seqs) != 2 || seqs[1] != a.seq-1 {
		t.Fatalf("segments %v (next %d), want the newest 2", seqs, a.seq)
	}
	// From here on this apply's records are kept, however many files they take.
	if err := a.begin("apply2", time.Now()); err != nil {
		t.Fatal(err)
	}
	first := a.seq
	for i := range 40 {
		if err := a.write(auditRec("apply2", i+1, plan.AuditIntent)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	seqs, _ = segments(dir)
	if len(seqs) < 5 || seqs[0] != first {
		t.Errorf("segments %v, want every one from %d on", seqs, first)
	}
	recs, err := ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		if r.ApplyID == "apply2" {
			n++
		}
	}
	if n != 40 {
		t.Errorf("%d records of the apply in progress, want all 40", n)
	}
}

// TestSettleAcrossRotation kills (abandons) an apply whose intents and outcomes straddle
// several rotations: the next apply finds exactly the intents without an outcome, in
// whichever file they are, and settles them, its own outcome records rotating the log too.
func TestSettleAcrossRotation(t *testing.T) {
	dir := t.TempDir()
	rot := AuditRotation{MaxSize: 1024, Keep: 1}
	a := openTestAudit(t, dir, rot)
	for i := range 10 { // an earlier apply's records, before the killed one's offset
		if err := a.write(auditRec("earlier", i+1, plan.AuditIntent)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.begin("killed", time.Now()); err != nil {
		t.Fatal(err)
	}
	var want []string
	for seq := 1; seq <= 30; seq++ {
		if err := a.write(auditRec("killed", seq, plan.AuditIntent)); err != nil {
			t.Fatal(err)
		}
		if seq%7 == 0 || seq == 30 {
			want = append(want, key(auditRec("killed", seq, plan.AuditIntent)))
			continue // in flight when it was killed
		}
		if err := a.write(auditRec("killed", seq, plan.AuditOK)); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.f.Close(); err != nil { // killed: the marker stays
		t.Fatal(err)
	}
	if seqs, _ := segments(dir); len(seqs) < 5 {
		t.Fatalf("segments %v: the killed apply's records do not straddle rotations", seqs)
	}

	eng := &Engine{StateDir: dir, Log: zerolog.Nop(), AuditRotation: rot}
	open, err := eng.Unsettled()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, keys(open)); diff != "" {
		t.Errorf("unsettled (-want +got):\n%s", diff)
	}
	settled, err := eng.Settle(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(settled) != len(want) {
		t.Errorf("settled %d, want %d", len(settled), len(want))
	}
	if open, err := eng.Unsettled(); err != nil || len(open) != 0 {
		t.Errorf("after Settle: unsettled %v, %v", keys(open), err)
	}
	recs, err := ReadAudit(dir)
	if err != nil {
		t.Fatal(err)
	}
	unknown := 0
	for _, r := range recs {
		if r.ApplyID == "killed" && r.Result == plan.AuditUnknown {
			unknown++
		}
	}
	if unknown != len(want) {
		t.Errorf("%d unknown outcomes in the log, want %d", unknown, len(want))
	}
}

// TestApplyRotatesAuditLog applies a plan whose audit records fill several files: each
// change has its intent and its outcome, wherever rotation put them.
func TestApplyRotatesAuditLog(t *testing.T) {
	f := newEngineFixture(t, 6, dnsJob)
	f.eng.AuditRotation = AuditRotation{MaxSize: 1024, Keep: 1}
	f.eng.Parallelism = 3
	p, err := f.eng.Plan(context.Background(), Selection{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.eng.Apply(context.Background(), p, ApplyOptions{})
	if err != nil || res.Failed() {
		t.Fatalf("apply: %v, %+v", err, res)
	}
	recs, err := ReadAudit(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	results := map[int][]string{}
	for _, r := range recs {
		results[r.Seq] = append(results[r.Seq], r.Result)
	}
	if len(results) != 6 {
		t.Errorf("%d changes in the audit log, want 6", len(results))
	}
	for seq, rs := range results {
		if !slices.Equal(rs, []string{plan.AuditIntent, plan.AuditOK}) {
			t.Errorf("change %d: %v", seq, rs)
		}
	}
	if seqs, _ := segments(f.dir); len(seqs) < 2 {
		t.Errorf("segments %v: the apply did not rotate, or removed its own files", seqs)
	}
	if _, err := os.Stat(filepath.Join(f.dir, OpenApplyFile)); !os.IsNotExist(err) {
		t.Errorf("%s after a clean apply: %v", OpenApplyFile, err)
	}
}

// TestSegments checks which files count as rotated audit logs, and their order.
func TestSegments(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{AuditFile, AuditFile + tornSuffix, OpenApplyFile, "audit.12.jsonl", "audit.00000x.jsonl",
		"xaudit.000001.jsonl", "audit.000002.json", "audit.000010.jsonl", "audit.000003.jsonl", "audit.1000000.jsonl", "audit.-00001.jsonl"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	got, err := segments(dir)
	if want := []int{3, 10, 1000000}; err != nil || !slices.Equal(got, want) {
		t.Errorf("segments = %v, %v; want %v", got, err, want)
	}
	if next, err := nextSegment(dir); next != 1000001 || err != nil {
		t.Errorf("nextSegment = %d, %v", next, err)
	}
	if segmentName(7) != "audit.000007.jsonl" {
		t.Errorf("segmentName(7) = %q", segmentName(7))
	}
}

// TestAuditRotationRenameFails: when the full file cannot be renamed (on Windows, while a
// reader has it open; here, because its new name is taken by a directory), the records go
// on into audit.jsonl, none is lost and the apply goes on; rotation happens once the file
// has grown by a tenth of the limit and the name is free.
func TestAuditRotationRenameFails(t *testing.T) {
	dir := t.TempDir()
	a := openTestAudit(t, dir, AuditRotation{MaxSize: 2048})
	blocker := filepath.Join(dir, segmentName(a.seq))
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	seq := 0
	write := func(n int) {
		for range n {
			seq++
			if err := a.write(auditRec("apply", seq, plan.AuditIntent)); err != nil {
				t.Fatalf("write %d: %v", seq, err)
			}
		}
	}
	write(20) // well past the limit
	if fi, err := os.Stat(filepath.Join(dir, AuditFile)); err != nil || fi.Size() < 4096 {
		t.Fatalf("audit.jsonl: %v, %v; want every record in it", fi, err)
	}
	if err := os.RemoveAll(blocker); err != nil {
		t.Fatal(err)
	}
	write(20)
	if err := a.close(); err != nil {
		t.Fatal(err)
	}
	if seqs, _ := segments(dir); len(seqs) == 0 {
		t.Error("no rotation once the name was free")
	}
	recs, err := ReadAudit(dir)
	if err != nil || len(recs) != seq {
		t.Errorf("%d records (%v), want %d", len(recs), err, seq)
	}
}

// BenchmarkAuditWrite measures a record's write (fsynced, concurrent writers sharing
// syncs) without rotation and with a rotation every few hundred records.
func BenchmarkAuditWrite(b *testing.B) {
	for _, bc := range []struct {
		name string
		rot  AuditRotation
	}{
		{"no-rotation", AuditRotation{}},
		{"rotate-64KiB", AuditRotation{MaxSize: 64 << 10, Keep: 2}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			a, _, err := openAudit(b.TempDir(), bc.rot, zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			rec := auditRec("bench", 1, plan.AuditIntent)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := a.write(rec); err != nil {
						b.Error(err)
						return
					}
				}
			})
			if err := a.close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
