package tintri_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// storeClientOf returns a client of the VMstore that holds vm (its vmstoreName is the host
// its VMstore answers on).
func storeClientOf(t *testing.T, s *sim.Sim, vm tintri.VirtualMachine) *tintri.Client {
	t.Helper()
	for _, u := range s.VMstoreURLs() {
		if strings.TrimPrefix(u, "https://") == vm.VmstoreName {
			return newClient(t, s, u, nil)
		}
	}
	t.Fatalf("no VMstore answers on %s", vm.VmstoreName)
	return nil
}

// TestSnapshotCalls takes, lists, reads and deletes snapshots through the client: a create
// answers the new uuids, a VMstore lists its snapshots oldest first and a TGC one VM's, a
// snapshot with clones is refused deletion with the VMstore's error, a deleted one is gone.
func TestSnapshotCalls(t *testing.T) {
	s := startSim(t, sim.Options{})
	ctx := testContext(t)
	vm, _ := s.VMByName("sql-prod-01")
	store, tgc := storeClientOf(t, s, vm), newClient(t, s, s.TGCURL(), nil)
	old, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm.ID(), Name: "golden", Created: time.Now().Add(-time.Hour), CloneReferenceCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := store.CreateSnapshots(ctx, []tintri.SnapshotSpec{{Consistency: tintri.ConsistencyVM, SnapshotName: "nightly-1", SourceVMTintriUUID: vm.ID()}})
	if err != nil || len(ids) != 1 {
		t.Fatalf("CreateSnapshots = %v, %v", ids, err)
	}
	mine, err := store.ListSnapshots(ctx, tintri.SnapshotFilter{Types: []string{tintri.SnapshotUserGenerated}})
	if err != nil {
		t.Fatal(err)
	}
	byVM, err := tgc.ListSnapshots(ctx, tintri.SnapshotFilter{VMUUID: vm.ID()})
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string][]tintri.Snapshot{"vmstore": mine, "tgc": byVM} {
		var names []string
		for _, sn := range got {
			names = append(names, sn.Description+"/"+sn.VMName+"/"+sn.Consistency)
		}
		if diff := cmp.Diff([]string{"golden/sql-prod-01/CRASH_CONSISTENT", "nightly-1/sql-prod-01/VM_CONSISTENT"}, names); diff != "" {
			t.Errorf("%s listing (-want +got):\n%s", what, diff)
		}
	}
	if _, err := tgc.ListSnapshots(ctx, tintri.SnapshotFilter{}); !errors.Is(err, tintri.ErrUnsupported) {
		t.Errorf("TGC listing without a VM: %v, want ErrUnsupported", err)
	}
	got, err := store.GetSnapshot(ctx, ids[0])
	if err != nil || got.ID() != ids[0] || got.CloneReferenceCount != 0 || got.CreateTime == 0 {
		t.Errorf("GetSnapshot = %+v, %v", got, err)
	}
	var te *tintri.TintriError
	if err := store.DeleteSnapshot(ctx, old.ID()); !errors.As(err, &te) || te.Status != 500 || te.Code != "ERR-API-3107" {
		t.Errorf("deleting a snapshot with clones: %v, want 500 ERR-API-3107", err)
	}
	if err := store.DeleteSnapshot(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := store.GetSnapshot(ctx, ids[0]); !errors.As(err, &te) || te.Status != 404 {
		t.Errorf("GetSnapshot of a deleted snapshot: %v, want 404", err)
	}
	if n := len(s.Snapshots()); n != 1 {
		t.Errorf("%d snapshots left, want the one with clones", n)
	}
}

// TestVMStatsHistoric reads a day of a VM's statistics: 144 ten-minute slices, oldest first,
// each ending within the window.
func TestVMStatsHistoric(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	vm := s.VMs()[3]
	until := time.Now().Truncate(10 * time.Minute)
	got, err := c.VMStatsHistoric(testContext(t), vm.ID(), until.Add(-24*time.Hour), until)
	if err != nil {
		t.Fatal(err)
	}
	if got.NumberOfSlices != 144 || len(got.SortedStats) != 144 {
		t.Fatalf("%d slices (numberOfSlices %d), want 144", len(got.SortedStats), got.NumberOfSlices)
	}
	first, _ := tintri.ParseTime(got.SortedStats[0].TimeEnd)
	last, _ := tintri.ParseTime(got.SortedStats[143].TimeEnd)
	if !first.Equal(until.Add(-24*time.Hour+10*time.Minute)) || !last.Equal(until) {
		t.Errorf("slices end %s … %s, want %s … %s", first, last, until.Add(-24*time.Hour+10*time.Minute), until)
	}
}

// TestVMStatValue reads a stat's figures by their JSON names.
func TestVMStatValue(t *testing.T) {
	st := tintri.VirtualMachineStat{LatencyTotalMs: 1.25, OperationsTotalIops: 300, SpaceUsedGiB: 42}
	for field, want := range map[string]float64{"latencyTotalMs": 1.25, "operationsTotalIops": 300, "spaceUsedGiB": 42, "throughputTotalMBps": 0} {
		if got, ok := st.Value(field); !ok || got != want {
			t.Errorf("Value(%s) = %v, %v; want %v", field, got, ok, want)
		}
	}
	if _, ok := st.Value("timeStart"); ok {
		t.Error("Value(timeStart) found a figure")
	}
	if len(tintri.VMStatFields) != 20 || tintri.VMStatFields[0] != "spaceProvisionedGiB" || tintri.VMStatFields[19] != "flashHitPercent" {
		t.Errorf("VMStatFields = %v", tintri.VMStatFields)
	}
}
