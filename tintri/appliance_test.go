package tintri_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestApplianceReads(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.VMstoreURLs()[1], nil)
	ctx := testContext(t)
	want := s.Appliance("vmstore-1")

	a, err := c.Appliance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, *a); diff != "" {
		t.Errorf("Appliance (-want +got):\n%s", diff)
	}
	dns, err := c.ApplianceDNS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.DNSConfig, dns); diff != "" {
		t.Errorf("ApplianceDNS (-want +got):\n%s", diff)
	}
	ips, err := c.ApplianceIPs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.ConfigIPs, ips); diff != "" {
		t.Errorf("ApplianceIPs (-want +got):\n%s", diff)
	}
	mm, err := c.ApplianceMaintenanceMode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.MaintenanceMode, mm); diff != "" {
		t.Errorf("ApplianceMaintenanceMode (-want +got):\n%s", diff)
	}
	info, err := c.ApplianceInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.Info, info); diff != "" {
		t.Errorf("ApplianceInfo (-want +got):\n%s", diff)
	}
	failed, err := c.ApplianceFailedComponents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if failed.TypeID != tintri.TypeApplianceFailedComps {
		t.Errorf("ApplianceFailedComponents typeId = %q", failed.TypeID)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("reads wrote %d times", w)
	}
}

// TestApplianceAlias reads the VMstore's localAlias once however often it is asked.
func TestApplianceAlias(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.VMstoreURLs()[1], nil)
	for range 3 {
		if got, err := c.ApplianceAlias(testContext(t)); err != nil || got != "vmstore-1" {
			t.Fatalf("ApplianceAlias = %q, %v; want vmstore-1", got, err)
		}
	}
	reads := int64(0)
	for _, n := range s.Counts() {
		if n.Path == "/api/v310/appliance/{uuid}" {
			reads += n.N
		}
	}
	if reads != 1 {
		t.Errorf("%d appliance reads for three aliases, want 1", reads)
	}
}

func TestUpdateApplianceDNS(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.VMstoreURLs()[0], nil)
	ctx := testContext(t)
	dns := &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "10.9.8.7", DNSSecondary: "10.9.8.6"}
	s.FailNext("vmstore-0", 1, 502)
	if err := c.UpdateAppliance(ctx, tintri.Appliance{DNSConfig: dns}, tintri.PropDNSConfig); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dns, s.Appliance("vmstore-0").DNSConfig); diff != "" {
		t.Errorf("dns after update (-want +got):\n%s", diff)
	}
	// The change shows through the API: in the appliance and in its dns sub-resource.
	a, err := c.Appliance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.ApplianceDNS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dns, a.DNSConfig); diff != "" {
		t.Errorf("Appliance().DNSConfig after update (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(dns, got); diff != "" {
		t.Errorf("ApplianceDNS after update (-want +got):\n%s", diff)
	}
	if w := s.Writes(); w != 1 {
		t.Errorf("writes = %d, want 1", w)
	}
	if err := c.UpdateAppliance(ctx, tintri.Appliance{}); err == nil {
		t.Error("UpdateAppliance without properties succeeded")
	}
}

func TestSetVMQoS(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1})
	c := newClient(t, s, s.VMstoreURLs()[0], nil)
	vms := s.VMs()[:3]
	if err := c.SetVMQoS(testContext(t), vmIDs(vms), tintri.VirtualMachineQoSConfig{MinNormalizedIops: 100, MaxNormalizedIops: 900}); err != nil {
		t.Fatal(err)
	}
	for _, vm := range vms {
		got, _ := s.VMByName(vm.Name())
		if got.QosConfig == nil || got.QosConfig.MinNormalizedIops != 100 || got.QosConfig.MaxNormalizedIops != 900 {
			t.Errorf("qos of %s = %+v, want 100..900", vm.Name(), got.QosConfig)
		}
	}
	if w := s.Writes(); w != 1 {
		t.Errorf("writes = %d, want 1", w)
	}
}

func TestListVMstores(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3})
	c := newClient(t, s, s.TGCURL(), nil)
	got, err := c.ListVMstores(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.VMstores(), got); diff != "" {
		t.Errorf("ListVMstores (-want +got):\n%s", diff)
	}
}
