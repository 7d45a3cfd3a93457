package tintri_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestServiceGroups(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)

	groups, err := c.ListServiceGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.ServiceGroups(), groups); diff != "" {
		t.Fatalf("ListServiceGroups (-want +got):\n%s", diff)
	}
	g := groups[0]
	one, err := c.GetServiceGroup(ctx, g.ID())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(g, *one); diff != "" {
		t.Errorf("GetServiceGroup (-want +got):\n%s", diff)
	}
	members, err := c.ServiceGroupMembers(ctx, g.ID())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.ServiceGroupMembers(g.Name), members); diff != "" {
		t.Errorf("ServiceGroupMembers (-want +got):\n%s", diff)
	}

	var outsider tintri.VirtualMachine
	for _, vm := range s.VMs() {
		if !slices.ContainsFunc(members, func(m tintri.ServiceGroupMember) bool { return m.MemberID == vm.ID() }) {
			outsider = vm
			break
		}
	}
	s.ResetCounters()
	s.FailNext("tgc", 1, 504)
	if err := c.UpdateServiceGroupStaticMembers(ctx, g.ID(), tintri.CollectionChangeRequest{ObjectIdsAdded: []string{outsider.ID()}}); err != nil {
		t.Fatal(err)
	}
	after := s.ServiceGroupMembers(g.Name)
	if !slices.ContainsFunc(after, func(m tintri.ServiceGroupMember) bool { return m.MemberID == outsider.ID() && m.Static }) {
		t.Errorf("%s is not a static member after the update: %+v", outsider.Name(), after)
	}
	if len(after) != len(members)+1 {
		t.Errorf("members after adding one = %d, want %d", len(after), len(members)+1)
	}

	q := tintri.VirtualMachineQoSConfig{MinNormalizedIops: 50, MaxNormalizedIops: 5000}
	if err := c.SetServiceGroupQoS(ctx, g.ID(), q); err != nil {
		t.Fatal(err)
	}
	got, err := c.ServiceGroupQoS(ctx, g.ID())
	if err != nil {
		t.Fatal(err)
	}
	if got.MinNormalizedIops != 50 || got.MaxNormalizedIops != 5000 || got.TypeID != tintri.TypeQoSConfig {
		t.Errorf("ServiceGroupQoS = %+v, want 50..5000", got)
	}
	if err := c.ApplyServiceGroupQoS(ctx, g.ID()); err != nil {
		t.Fatal(err)
	}
	if w := s.Writes(); w != 3 {
		t.Errorf("writes = %d, want 3 (static members, qos config, qos apply)", w)
	}
}
