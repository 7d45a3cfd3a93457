package tintri_test

import (
	"reflect"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// TestReaderHasNoWrites pins the read/write split: *Reader has exactly the listed reads,
// and the methods a *Client has beyond them are exactly the calls that change a server
// (plus Close and ReadOnly). A method added to Reader must be added to the read list here,
// deliberately; a read left on Client only fails too.
func TestReaderHasNoWrites(t *testing.T) {
	methods := func(v any) map[string]bool {
		m := map[string]bool{}
		ty := reflect.TypeOf(v)
		for i := range ty.NumMethod() {
			m[ty.Method(i).Name] = true
		}
		return m
	}
	reader, client := methods(&tintri.Reader{}), methods(&tintri.Client{})
	var reads []string
	for name := range reader {
		reads = append(reads, name)
	}
	sort.Strings(reads)
	wantReads := []string{"Appliance", "ApplianceAlias", "ApplianceDNS", "ApplianceFailedComponents", "ApplianceIPs", "ApplianceInfo",
		"ApplianceMaintenanceMode", "Download", "EachVM", "GetServiceGroup", "GetSnapshot", "GetVM", "GoString", "Host", "InflightLimit", "Info",
		"ListServiceGroups", "ListSnapshots", "ListVMs", "ListVMstores", "RequireTGC", "RequireVMstore", "RequireVersion",
		"ServiceGroupMembers", "ServiceGroupQoS", "String", "URL", "VMStatsHistoric"}
	if diff := cmp.Diff(wantReads, reads); diff != "" {
		t.Errorf("methods of *Reader (-want +got): a new one must be a read:\n%s", diff)
	}
	var onlyClient []string
	for name := range client {
		if !reader[name] {
			onlyClient = append(onlyClient, name)
		}
	}
	sort.Strings(onlyClient)
	want := []string{"ApplyServiceGroupQoS", "Close", "CreateSnapshots", "DeleteSnapshot", "ReadOnly", "RequestVMReport", "SetServiceGroupQoS",
		"SetVMAffinity", "SetVMQoS", "UpdateAppliance", "UpdateServiceGroupStaticMembers"}
	if diff := cmp.Diff(want, onlyClient); diff != "" {
		t.Errorf("methods of *Client that *Reader lacks (-want +got):\n%s", diff)
	}
	for name := range reader {
		if !client[name] {
			t.Errorf("*Reader has %s but *Client does not", name)
		}
	}
}
