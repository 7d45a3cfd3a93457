package sim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestVMstoreNameIsLoginHost: a TGC VM's vmstoreName is the hostname GET /v310/vmstore reports
// for its VMstore, and a client that logs in to it (as the vendor's per-VMstore QoS example
// does) finds the VM there. The local aliases vmstore-N stay in the VmStore's and the
// appliance's localAlias.
func TestVMstoreNameIsLoginHost(t *testing.T) {
	s := start(t, sim.Options{VMstores: 3, VMs: 30})
	tgc := login(t, s, s.TGCURL())
	var stores []tintri.VmStore
	tgc.do("GET", "/api/v310/vmstore", nil).decode(t, &stores)
	byHost := map[string]tintri.VmStore{}
	for i, vs := range stores {
		byHost[vs.Hostname] = vs
		if want := s.ServerNames()[i+1]; vs.LocalAlias != want || s.Appliance(want).LocalAlias != want {
			t.Errorf("VMstore %d: localAlias %q, appliance localAlias %q, want %q", i, vs.LocalAlias, s.Appliance(want).LocalAlias, want)
		}
	}
	seen := map[string]bool{}
	for _, vm := range tgc.listVMs("/api/v310/vm?limit=7") {
		vs, ok := byHost[vm.VmstoreName]
		if !ok || vs.UUID.ID() != vm.VmstoreTintriUuid {
			t.Fatalf("%s: vmstoreName %q, vmstoreTintriUuid %s; VMstores %v", vm.Name(), vm.VmstoreName, vm.VmstoreTintriUuid, stores)
		}
		if seen[vm.VmstoreName] {
			continue
		}
		seen[vm.VmstoreName] = true
		var onStore tintri.VirtualMachine
		login(t, s, "https://"+vm.VmstoreName).do("GET", "/api/v310/vm/"+vm.ID(), nil).decode(t, &onStore)
		if onStore.Name() != vm.Name() {
			t.Errorf("on %s: %q, want %q", vm.VmstoreName, onStore.Name(), vm.Name())
		}
	}
	if len(seen) != 3 {
		t.Errorf("VMs on %d VMstores, want 3", len(seen))
	}
	// A VMstore does not report the TgcOnly vmstoreName.
	a := login(t, s, s.VMstoreURLs()[0]).do("GET", "/api/v310/vm?limit=1", nil)
	if a.status != http.StatusOK || strings.Contains(string(a.body), "vmstoreName") {
		t.Errorf("VMstore list: %d %s", a.status, a.body)
	}
}
