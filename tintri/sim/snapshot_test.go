package sim_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// snapshots decodes a Page of Snapshot.
func snapshots(t *testing.T, a answer) (tintri.Page, []tintri.Snapshot) {
	t.Helper()
	var p tintri.Page
	a.decode(t, &p)
	out := make([]tintri.Snapshot, len(p.Items))
	for i, raw := range p.Items {
		if err := json.Unmarshal(raw, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return p, out
}

func snapshotIDs(sns []tintri.Snapshot) []string {
	out := make([]string, len(sns))
	for i := range sns {
		out[i] = sns[i].ID()
	}
	return out
}

// TestSnapshotLifecycle creates snapshots as the vendor's snapshot_vm.py does (POST a list of
// SnapshotSpec, 200 and a list of uuids), lists them as delete_snapshot.py does
// (queryType=TOP_DOCS_BY_TIME, limit=1, type=USER_GENERATED_SNAPSHOT: the oldest) through the
// VMstore and the TGC, and deletes one (200 and a string body).
func TestSnapshotLifecycle(t *testing.T) {
	s := start(t, sim.Options{VMstores: 2, VMs: 20})
	vs, tgc := login(t, s, s.VMstoreURLs()[0]), login(t, s, s.TGCURL())
	mine := vs.listVMs("/api/v310/vm")
	vm, vm2 := mine[0], mine[1]
	old, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm.ID(), Name: "seeded", Created: time.Now().Add(-48 * time.Hour), CloneReferenceCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm2.ID(), Type: tintri.SnapshotScheduled, Created: time.Now().Add(-72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()

	spec := func(id, name string, retention int) map[string]any {
		return map[string]any{"typeId": tintri.TypeSnapshotSpec, "consistency": tintri.ConsistencyCrash, "retentionMinutes": retention, "snapshotName": name, "sourceVmTintriUUID": id}
	}
	var ids []string
	vs.do("POST", "/api/v310/snapshot", []any{spec(vm.ID(), "nightly-1", 240), spec(vm2.ID(), "nightly-1", -1)}).decode(t, &ids)
	if len(ids) != 2 || ids[0] == ids[1] {
		t.Fatalf("created %v, want 2 uuids", ids)
	}
	if s.Writes() != 1 {
		t.Errorf("Writes = %d after one POST, want 1", s.Writes())
	}

	// The vendor's "oldest user generated snapshot" query, on the VMstore.
	p, got := snapshots(t, vs.do("GET", "/api/v310/snapshot?queryType=TOP_DOCS_BY_TIME&limit=1&type=USER_GENERATED_SNAPSHOT", nil))
	if p.FilteredTotal != 3 || p.AbsoluteTotal != 4 || len(got) != 1 || got[0].ID() != old.ID() {
		t.Fatalf("oldest: totals %d/%d, items %+v; want 3/4 and %s", p.FilteredTotal, p.AbsoluteTotal, got, old.ID())
	}
	want := tintri.Snapshot{
		TypeID: tintri.TypeSnapshot, UUID: &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: old.ID()},
		VMUUID: &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: vm.ID()}, VMName: vm.Name(), Description: "seeded",
		Type: tintri.SnapshotUserGenerated, Consistency: tintri.ConsistencyCrash, CreateTime: old.CreateTime,
		CloneReferenceCount: 2, Location: "local",
	}
	if diff := cmp.Diff(want, got[0]); diff != "" {
		t.Errorf("oldest (-want +got):\n%s", diff)
	}
	if age := time.Since(time.UnixMilli(got[0].CreateTime)); age < 47*time.Hour || age > 49*time.Hour {
		t.Errorf("createTime %d is %v ago, want 48h (epoch milliseconds)", got[0].CreateTime, age)
	}

	// The TGC lists a VM's snapshots, with the VMstore that holds them, and needs vmUuid.
	_, onTGC := snapshots(t, tgc.do("GET", "/api/v310/snapshot?vmUuid="+vm.ID(), nil))
	if diff := cmp.Diff([]string{old.ID(), ids[0]}, snapshotIDs(onTGC)); diff != "" {
		t.Fatalf("TGC snapshots of %s (-want +got):\n%s", vm.Name(), diff)
	}
	created := onTGC[1]
	tgcVM, _ := s.VMByName(vm.Name())
	if created.Description != "nightly-1" || created.CreatorName != s.Username() ||
		created.HostNameOrIP != tgcVM.VmstoreName || created.VmstoreTintriUuid != tgcVM.VmstoreTintriUuid ||
		created.ExpirationTime != created.CreateTime+240*60*1000 {
		t.Errorf("created snapshot on the TGC = %+v", created)
	}
	tgc.do("GET", "/api/v310/snapshot", nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	if diff := cmp.Diff(append(snapshotIDs(onTGC), ids[1]), snapshotIDs(s.Snapshots()[1:])); diff != "" {
		t.Errorf("Sim.Snapshots (-want +got):\n%s", diff)
	}

	// Newest first; by type; one snapshot by uuid.
	_, desc := snapshots(t, vs.do("GET", "/api/v310/snapshot?sortedBy=createTime&sortOrder=DESC&vmUuid="+vm.ID(), nil))
	if diff := cmp.Diff([]string{ids[0], old.ID()}, snapshotIDs(desc)); diff != "" {
		t.Errorf("DESC (-want +got):\n%s", diff)
	}
	if p, _ := snapshots(t, vs.do("GET", "/api/v310/snapshot?type=SCHEDULED_SNAPSHOT", nil)); p.FilteredTotal != 1 {
		t.Errorf("scheduled snapshots = %d, want 1", p.FilteredTotal)
	}
	var one tintri.Snapshot
	vs.do("GET", "/api/v310/snapshot/"+ids[1], nil).decode(t, &one)
	if one.ID() != ids[1] || one.VMName != vm2.Name() || one.ExpirationTime != 0 || one.HostNameOrIP != "" {
		t.Errorf("GET snapshot = %+v", one)
	}

	// DELETE answers 200 with a string; a snapshot with clones stays.
	s.ResetCounters()
	a := vs.do("DELETE", "/api/v310/snapshot/"+ids[0], nil)
	var msg string
	a.decode(t, &msg)
	if msg == "" {
		t.Error("DELETE answered an empty string")
	}
	vs.do("DELETE", "/api/v310/snapshot/"+ids[0], nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	vs.do("DELETE", "/api/v310/snapshot/"+old.ID(), nil).wantError(t, http.StatusInternalServerError, "ERR-API-3107")
	vs.do("DELETE", "/api/v310/snapshot?vmUuid="+vm.ID(), nil).wantError(t, http.StatusInternalServerError, "ERR-API-3129")
	vs.do("DELETE", "/api/v310/snapshot?vmUuid="+vm2.ID(), nil).decode(t, &msg)
	if diff := cmp.Diff([]string{old.ID()}, snapshotIDs(s.Snapshots())); diff != "" {
		t.Errorf("left (-want +got):\n%s", diff)
	}
	if s.Writes() != 5 {
		t.Errorf("Writes = %d after 5 DELETEs, want 5", s.Writes())
	}
	// Once its clones are gone, the snapshot can be deleted.
	if err := s.SetCloneReferenceCount(old.ID(), 0); err != nil {
		t.Fatal(err)
	}
	vs.do("DELETE", "/api/v310/snapshot/"+old.ID(), nil).decode(t, &msg)
	if err := s.SetCloneReferenceCount(old.ID(), 1); err == nil || len(s.Snapshots()) != 0 {
		t.Errorf("SetCloneReferenceCount of a deleted snapshot: %v; %d snapshots left", err, len(s.Snapshots()))
	}
}

// TestSnapshotClock: snapshots taken get their createTime from Options.Clock.
func TestSnapshotClock(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	s := start(t, sim.Options{Clock: func() time.Time { return at }})
	vm := s.VMs()[0]
	vs := login(t, s, "https://"+vm.VmstoreName)
	var ids []string
	vs.do("POST", "/api/v310/snapshot", []map[string]any{{"typeId": tintri.TypeSnapshotSpec, "consistency": "CRASH_CONSISTENT", "sourceVmTintriUUID": vm.ID()}}).decode(t, &ids)
	seeded, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm.ID()})
	if err != nil {
		t.Fatal(err)
	}
	for _, sn := range s.Snapshots() {
		if sn.CreateTime != at.UnixMilli() {
			t.Errorf("snapshot %s (taken %v, seeded %s) createTime %d, want %d", sn.ID(), ids, seeded.ID(), sn.CreateTime, at.UnixMilli())
		}
	}
}

// TestSnapshotRefusals: bad SnapshotSpecs create nothing; unsupported filters are refused;
// the VMstoreOnly routes are refused by the TGC.
func TestSnapshotRefusals(t *testing.T) {
	s := start(t, sim.Options{VMstores: 2, VMs: 20})
	vs, tgc := login(t, s, s.VMstoreURLs()[0]), login(t, s, s.TGCURL())
	mine := vs.listVMs("/api/v310/vm")[0]
	foreign := login(t, s, s.VMstoreURLs()[1]).listVMs("/api/v310/vm")[0]
	spec := func(kv ...any) map[string]any {
		m := map[string]any{"typeId": tintri.TypeSnapshotSpec, "sourceVmTintriUUID": mine.ID()}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	for name, body := range map[string]any{
		"empty list":         []any{},
		"other VMstore's VM": []any{spec(), spec("sourceVmTintriUUID", foreign.ID())},
		"unknown VM":         spec("sourceVmTintriUUID", "nope"),
		"consistency":        spec("consistency", "SORT_OF"),
		"retention":          spec("retentionMinutes", 30),
		"typeId":             spec("typeId", tintri.TypeVirtualMachine),
	} {
		t.Run(name, func(t *testing.T) {
			vs.do("POST", "/api/v310/snapshot", body).wantError(t, http.StatusBadRequest, "ERR-API-3105")
		})
	}
	for range 128 {
		if _, err := s.AddSnapshot(sim.SnapshotSeed{VMID: mine.ID()}); err != nil {
			t.Fatal(err)
		}
	}
	vs.do("POST", "/api/v310/snapshot", spec()).wantError(t, http.StatusBadRequest, "ERR-API-3105")
	if n := len(s.Snapshots()); n != 128 {
		t.Errorf("%d snapshots after refused requests, want the 128 seeded", n)
	}
	for _, q := range []string{"queryType=TOP_DOCS_BY_LATEST_TIME", "type=NIGHTLY", "consistency=SORT_OF", "sortedBy=vmName", "sortOrder=UP"} {
		vs.do("GET", "/api/v310/snapshot?"+q, nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	}
	vs.do("DELETE", "/api/v310/snapshot", nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	vs.do("DELETE", "/api/v310/snapshot?vmUuid="+foreign.ID(), nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
	vs.do("GET", "/api/v310/snapshot/nope", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	for _, r := range []struct{ method, path string }{
		{"POST", "/api/v310/snapshot"}, {"DELETE", "/api/v310/snapshot?vmUuid=" + mine.ID()},
		{"GET", "/api/v310/snapshot/x"}, {"DELETE", "/api/v310/snapshot/x"},
	} {
		tgc.do(r.method, r.path, []any{spec()}).wantError(t, http.StatusBadRequest, "ERR-API-0005")
	}
	if _, err := s.AddSnapshot(sim.SnapshotSeed{VMID: "nope"}); err == nil {
		t.Error("AddSnapshot of an unknown VM succeeded")
	}
}

// TestSnapshotFaults: snapshot routes fail on request like any other.
func TestSnapshotFaults(t *testing.T) {
	s := start(t, sim.Options{})
	vs := login(t, s, s.VMstoreURLs()[0])
	vm := vs.listVMs("/api/v310/vm?limit=1")[0]
	s.FailNextMatching("vmstore-0", "POST", "/api/v310/snapshot", 1, http.StatusServiceUnavailable)
	body := []any{map[string]any{"typeId": tintri.TypeSnapshotSpec, "sourceVmTintriUUID": vm.ID()}}
	vs.do("POST", "/api/v310/snapshot", body).wantError(t, http.StatusServiceUnavailable, "ERR-API-0007")
	if n := len(s.Snapshots()); n != 0 || s.Writes() != 0 {
		t.Fatalf("failed POST: %d snapshots, %d writes", n, s.Writes())
	}
	var ids []string
	vs.do("POST", "/api/v310/snapshot", body).decode(t, &ids)
	if len(ids) != 1 || s.Writes() != 1 {
		t.Errorf("retried POST: %v, %d writes", ids, s.Writes())
	}
}
