package sim_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestListingFollowsChanges: listings served from the simulator's index (sorted VM lists,
// group membership) show a VM added and a membership changed after they were first served.
func TestListingFollowsChanges(t *testing.T) {
	s := start(t, sim.Options{})
	tgc := login(t, s, s.TGCURL())
	store := login(t, s, s.VMstoreURLs()[0])
	group := s.ServiceGroups()[3] // "Empty Group"
	members := "/api/v310/vm?serviceGroupIds=" + group.ID()
	before := len(tgc.listVMs("/api/v310/vm"))
	if n := len(tgc.listVMs(members)); n != 0 {
		t.Fatalf("%s has %d members before the test", group.Name, n)
	}
	_ = store.listVMs("/api/v310/vm")

	vm := s.AddVM("aaa-new", 0)
	all := tgc.listVMs("/api/v310/vm")
	if len(all) != before+1 || all[0].ID() != vm.ID() {
		t.Errorf("TGC lists %d VMs starting with %q, want %d starting with aaa-new", len(all), all[0].Name(), before+1)
	}
	if first := store.listVMs("/api/v310/vm")[0]; first.ID() != vm.ID() {
		t.Errorf("vmstore-0 lists %q first, want aaa-new", first.Name())
	}

	put := func(add, remove []string) {
		t.Helper()
		tgc.do("PUT", "/api/v310/servicegroup/"+group.ID()+"/members/static", map[string]any{
			"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": add, "objectIdsRemoved": remove,
		}).wantNoContent(t)
	}
	put([]string{vm.ID()}, nil)
	got := tgc.listVMs(members)
	if len(got) != 1 || got[0].ID() != vm.ID() || got[0].ServiceGroup == nil || got[0].ServiceGroup.GroupID != group.ID() {
		t.Errorf("after adding aaa-new, %s lists %+v", group.Name, got)
	}
	put(nil, []string{vm.ID()})
	if got := tgc.listVMs(members); len(got) != 0 {
		t.Errorf("after removing aaa-new, %s still lists %d VMs", group.Name, len(got))
	}
	if sg := tgc.listVMs("/api/v310/vm")[0].ServiceGroup; sg != nil {
		t.Errorf("aaa-new removed from %s still reports service group %q", group.Name, sg.Name)
	}
}

// BenchmarkVMListPage160k serves one page of 2000 VMs, trimmed as vm_affinity lists them,
// from the middle of an inventory of 160,000, over HTTPS: with the index its cost is the
// page's, not the inventory's (the simulator used to scan every group's members for each VM
// and sort all VMs on every request). Inventory setup is not timed.
func BenchmarkVMListPage160k(b *testing.B) {
	s := start(b, sim.Options{VMstores: 4, VMs: 160000})
	tgc := login(b, s, s.TGCURL())
	for _, q := range []string{"offset=80000&limit=2000&includeFields=uuid,vmware,affinityRule,vmstoreName", "offset=80000&limit=2000"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var p tintri.Page
				tgc.do("GET", "/api/v310/vm?"+q, nil).decode(b, &p)
				if len(p.Items) != 2000 {
					b.Fatalf("%d items", len(p.Items))
				}
			}
		})
	}
}

// TestIndexedGroupsOfManyMembers: a group of thousands of members added in chunks lists
// them all, each once, in the order added.
func TestIndexedGroupsOfManyMembers(t *testing.T) {
	s := start(t, sim.Options{VMs: 3000})
	tgc := login(t, s, s.TGCURL())
	group := s.ServiceGroups()[3]
	var ids []string
	for _, vm := range s.VMs() {
		ids = append(ids, vm.ID())
	}
	for i := 0; i < len(ids); i += 500 {
		chunk := ids[i:min(i+500, len(ids))]
		tgc.do("PUT", "/api/v310/servicegroup/"+group.ID()+"/members/static", map[string]any{
			"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": slices.Concat(chunk, ids[:1]), "objectIdsRemoved": []string{},
		}).wantNoContent(t)
	}
	var got []string
	for _, m := range s.ServiceGroupMembers(group.Name) {
		got = append(got, m.MemberID)
	}
	if !slices.Equal(got, ids) {
		t.Errorf("members: %d listed, want the %d VMs in order (first %v)", len(got), len(ids), fmt.Sprint(got[:min(3, len(got))]))
	}
	if n := len(tgc.listVMs("/api/v310/vm?limit=1000&serviceGroupIds=" + group.ID())); n != len(ids) {
		t.Errorf("serviceGroupIds filter lists %d VMs, want %d", n, len(ids))
	}
}
