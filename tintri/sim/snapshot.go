package sim

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// maxSnapshotsPerVM is the reference's limit: "a VM can only have 128 snapshots".
const maxSnapshotsPerVM = 128

// snapshotTypes and snapshotConsistencies are the reference's Snapshot enums.
var (
	snapshotTypes = []string{
		tintri.SnapshotScheduled, tintri.SnapshotUserGenerated, "AUTO_GENERATED_CLONING_SNAPSHOT",
		"VAAI_GENERATED_SNAPSHOT", "ODX_GENERATED_SNAPSHOT", "CINDER_GENERATED_SNAPSHOT",
		"SCHEDULED_HIGH_FREQUENCY_SNAPSHOT", "HYPERV_SHARE_SNAPSHOT", "SYNCREPL_RESYNC_SNAPSHOT",
	}
	snapshotConsistencies = []string{tintri.ConsistencyCrash, tintri.ConsistencyVM, tintri.ConsistencyApp}
)

// snapRec is one snapshot, held by the VMstore of its VM.
type snapRec struct {
	uuid        string
	vm          *vmRec
	name        string // SnapshotSpec.snapshotName, reported as description
	typ         string
	consistency string
	created     time.Time
	retention   int // minutes; <= 0: never expires
	clones      int
	creator     string
}

// compareSnaps orders snapshots oldest first, then by uuid.
func compareSnaps(a, b *snapRec) int {
	if c := a.created.Compare(b.created); c != 0 {
		return c
	}
	return cmp.Compare(a.uuid, b.uuid)
}

// addSnapshot records sn on its VM and VMstore, giving it a uuid. The caller holds st.mu.
func (st *state) addSnapshot(sn *snapRec) {
	st.nextSnap++
	store := st.stores[sn.vm.store]
	sn.uuid = fmt.Sprintf("%s-SST-%016X", store.uuid, st.nextSnap)
	store.snaps[sn.uuid] = sn
	i, _ := slices.BinarySearchFunc(sn.vm.snaps, sn, compareSnaps)
	sn.vm.snaps = slices.Insert(sn.vm.snaps, i, sn)
}

// deleteSnapshot removes sn. The caller holds st.mu.
func (st *state) deleteSnapshot(sn *snapRec) {
	delete(st.stores[sn.vm.store].snaps, sn.uuid)
	sn.vm.snaps = slices.DeleteFunc(sn.vm.snaps, func(o *snapRec) bool { return o == sn })
}

// storeSnapshots returns the snapshots of VMstore i, oldest first. The caller holds st.mu.
func (st *state) storeSnapshots(i int) []*snapRec {
	out := make([]*snapRec, 0, len(st.stores[i].snaps))
	for _, sn := range st.stores[i].snaps {
		out = append(out, sn)
	}
	slices.SortFunc(out, compareSnaps)
	return out
}

// snapshotDTO renders a snapshot as the given server reports it: the TGC adds the TgcOnly
// hostNameOrIp (the VMstore's hostname) and vmstoreTintriUuid. The caller holds st.mu.
func (st *state) snapshotDTO(sn *snapRec, tgc bool) tintri.Snapshot {
	out := tintri.Snapshot{
		TypeID: tintri.TypeSnapshot, UUID: &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: sn.uuid},
		VMUUID: &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: sn.vm.uuid}, VMName: sn.vm.name,
		Description: sn.name, Type: sn.typ, Consistency: sn.consistency, CreateTime: sn.created.UnixMilli(),
		CloneReferenceCount: sn.clones, CreatorName: sn.creator, Location: "local",
	}
	if sn.retention > 0 {
		out.ExpirationTime = sn.created.Add(time.Duration(sn.retention) * time.Minute).UnixMilli()
	}
	if tgc {
		store := st.stores[sn.vm.store]
		out.HostNameOrIP, out.VmstoreTintriUuid = store.hostname, store.uuid
	}
	return out
}

// SnapshotSeed describes a snapshot for Sim.AddSnapshot; zero fields take the defaults named.
type SnapshotSeed struct {
	VMID                string    // uuid of the VM (required)
	Name                string    // reported as the snapshot's description, as snapshotName is
	Type                string    // default USER_GENERATED_SNAPSHOT
	Consistency         string    // default CRASH_CONSISTENT
	Created             time.Time // default Options.Clock()
	RetentionMinutes    int       // 0 or -1: never expires
	CloneReferenceCount int       // > 0: the VMstore refuses to delete it
	Creator             string    // creatorName
}

// AddSnapshot adds a snapshot to a VM, as if taken on its VMstore, and returns it as the TGC
// reports it. It fails for an unknown VM or type or consistency outside the reference's enums.
func (s *Sim) AddSnapshot(seed SnapshotSeed) (tintri.Snapshot, error) {
	sn := &snapRec{
		name: seed.Name, typ: cmp.Or(seed.Type, tintri.SnapshotUserGenerated),
		consistency: cmp.Or(seed.Consistency, tintri.ConsistencyCrash), created: seed.Created,
		retention: seed.RetentionMinutes, clones: seed.CloneReferenceCount, creator: seed.Creator,
	}
	if sn.created.IsZero() {
		sn.created = s.opts.Clock()
	}
	if !slices.Contains(snapshotTypes, sn.typ) || !slices.Contains(snapshotConsistencies, sn.consistency) {
		return tintri.Snapshot{}, fmt.Errorf("sim: add snapshot: type %q or consistency %q not in the reference", sn.typ, sn.consistency)
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if sn.vm = s.st.vms[seed.VMID]; sn.vm == nil {
		return tintri.Snapshot{}, fmt.Errorf("sim: add snapshot: unknown VM %q", seed.VMID)
	}
	s.st.addSnapshot(sn)
	return s.st.snapshotDTO(sn, true), nil
}

// Snapshots returns every snapshot, oldest first, as the TGC reports them.
func (s *Sim) Snapshots() []tintri.Snapshot {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	var all []*snapRec
	for i := range s.st.stores {
		all = append(all, s.st.storeSnapshots(i)...)
	}
	slices.SortFunc(all, compareSnaps)
	out := make([]tintri.Snapshot, len(all))
	for i, sn := range all {
		out[i] = s.st.snapshotDTO(sn, true)
	}
	return out
}

// SetCloneReferenceCount sets a snapshot's cloneReferenceCount, as if clones of it were
// made or deleted. It fails for an unknown snapshot.
func (s *Sim) SetCloneReferenceCount(id string, n int) error {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	for _, store := range s.st.stores {
		if sn := store.snaps[id]; sn != nil {
			sn.clones = n
			return nil
		}
	}
	return fmt.Errorf("sim: unknown snapshot %q", id)
}
