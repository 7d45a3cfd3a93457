package sim_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestStaticMembersOneUUID sends objectIdsAdded and objectIdsRemoved as one uuid string, as
// the vendor's add_vms_to_service_group.py does (one PUT per VM).
func TestStaticMembersOneUUID(t *testing.T) {
	s := start(t, sim.Options{})
	tgc := login(t, s, s.TGCURL())
	var empty tintri.ServiceGroup
	for _, g := range s.ServiceGroups() {
		if g.Name == "Empty Group" {
			empty = g
		}
	}
	static := "/api/v310/servicegroup/" + empty.ID() + "/members/static"
	dev, _ := s.VMByName("dev-001")
	dev2, _ := s.VMByName("dev-002")
	for _, vm := range []tintri.VirtualMachine{dev, dev2} {
		tgc.do("PUT", static, map[string]any{"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": vm.ID()}).wantNoContent(t)
	}
	tgc.do("PUT", static, map[string]any{"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": "", "objectIdsRemoved": dev.ID()}).wantNoContent(t)
	var got []string
	for _, m := range s.ServiceGroupMembers("Empty Group") {
		got = append(got, m.MemberName)
	}
	if diff := cmp.Diff([]string{"dev-002"}, got); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	tgc.do("PUT", static, map[string]any{"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": 7}).wantError(t, http.StatusBadRequest, "ERR-API-0203")
}

// TestListFieldsAcceptOneValue sends every other list field of the request DTOs the simulator
// accepts as one value instead of a one-element list: each request succeeds and has the effect
// of the list form.
func TestListFieldsAcceptOneValue(t *testing.T) {
	s := start(t, sim.Options{})
	tgc, vs := login(t, s, s.TGCURL()), login(t, s, s.VMstoreURLs()[0])
	mine := vs.listVMs("/api/v310/vm?limit=3")[0]
	other := s.VMs()[0]
	storeUUID := s.VMstores()[1].UUID.ID()
	qos := map[string]any{"typeId": tintri.TypeQoSConfig, "minNormalizedIops": 100, "maxNormalizedIops": 900}
	ips := s.Appliance("vmstore-0").ConfigIPs

	tgc.do("PUT", "/api/v310/vm/"+other.ID()+"/affinity", map[string]any{
		"typeId": tintri.TypeAffinityRule, "ruleType": "EXCLUDE_DATASTORES", "vmstoreTintriUuids": storeUUID,
	}).wantNoContent(t)
	vs.do("PUT", "/api/v310/vm/qosConfig", map[string]any{
		"typeId": tintri.TypeMultipleSelectionRequest, "ids": mine.ID(), "newValue": qos, "propertyNames": "maxNormalizedIops",
	}).wantNoContent(t)
	vs.do("PUT", "/api/v310/appliance/default", map[string]any{
		"typeId": tintri.TypeRequest, "propertiesToBeUpdated": "configIps",
		"objectsWithNewValues": map[string]any{"typeId": tintri.TypeAppliance, "configIps": ips[0]},
	}).wantNoContent(t)
	a := tgc.do("POST", "/api/v310/vm/vmListDownloadable", map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": "VmName", "format": "CSV"})
	if a.status != http.StatusOK {
		t.Errorf("report with one attribute: %d %s", a.status, a.body)
	}

	if got, _ := s.VMByName(other.Name()); got.AffinityRule == nil || !cmp.Equal(got.AffinityRule.VmstoreTintriUuids, []string{storeUUID}) {
		t.Errorf("affinity = %+v, want EXCLUDE_DATASTORES %s", got.AffinityRule, storeUUID)
	}
	if got, _ := s.VMByName(mine.Name()); got.QosConfig.MaxNormalizedIops != 900 || got.QosConfig.MinNormalizedIops != 0 {
		t.Errorf("qos = %+v, want only max set to 900", got.QosConfig)
	}
	// The one admin IP sent replaces the admin IPs and the data IPs (none sent); the
	// replication IP, of a type the list lacks, stays.
	if got := s.Appliance("vmstore-0").ConfigIPs; len(got) != 2 || got[0] != ips[2] || got[1] != ips[0] {
		t.Errorf("configIps = %+v, want the replication IP %s kept and the admin IP %s", got, ips[2].IP, ips[0].IP)
	}
	if n := s.Writes(); n != 3 {
		t.Errorf("Writes = %d, want 3", n)
	}
}
