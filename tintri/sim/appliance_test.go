package sim_test

import (
	"maps"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestAppliancePut(t *testing.T) {
	s := start(t, sim.Options{})
	vs := login(t, s, s.VMstoreURLs()[1])
	newDNS := map[string]any{"typeId": tintri.TypeApplianceDns, "dnsPrimary": "192.0.2.153", "dnsSecondary": "198.51.100.153"}
	put := func(objects any, props ...string) answer {
		return vs.do("PUT", "/api/v310/appliance/default", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": objects, "propertiesToBeUpdated": props})
	}
	appliance := func(kv ...any) map[string]any {
		m := map[string]any{"typeId": tintri.TypeAppliance}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	before := s.Appliance("vmstore-1")

	// One object (as set_dns_primary.py sends it) and a one-element list both work; only
	// the named property changes, although the object carries others.
	put(appliance("dnsConfig", newDNS, "maintenanceMode", map[string]any{"isEnabled": true}), "dnsConfig").wantNoContent(t)
	after := s.Appliance("vmstore-1")
	want := before
	want.DNSConfig = &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "192.0.2.153", DNSSecondary: "198.51.100.153"}
	if diff := cmp.Diff(want, after); diff != "" {
		t.Errorf("after dnsConfig update (-want +got):\n%s", diff)
	}
	var dns tintri.ApplianceDns
	vs.do("GET", "/api/v310/appliance/default/dns", nil).decode(t, &dns)
	if diff := cmp.Diff(*want.DNSConfig, dns); diff != "" {
		t.Errorf("GET dns (-want +got):\n%s", diff)
	}
	if other := s.Appliance("vmstore-0"); other.DNSConfig.DNSPrimary != "192.0.2.53" {
		t.Errorf("vmstore-0 dns changed to %s", other.DNSConfig.DNSPrimary)
	}

	ips := []map[string]any{
		{"typeId": tintri.TypeApplianceIp, "serviceType": "admin", "ip": "192.0.2.99", "netmask": "255.255.255.0", "gateway": "192.0.2.1"},
		{"typeId": tintri.TypeApplianceIp, "serviceType": "data", "ipCidr": "198.51.100.99/24"},
	}
	put([]any{appliance("configIps", ips)}, "configIps").wantNoContent(t)
	var gotIPs []tintri.ApplianceIp
	vs.do("GET", "/api/v310/appliance/default/ips", nil).decode(t, &gotIPs)
	wantIPs := []tintri.ApplianceIp{
		before.ConfigIPs[2], // the replication IP, which the list does not replace
		{TypeID: tintri.TypeApplianceIp, ServiceType: "admin", IP: "192.0.2.99", Netmask: "255.255.255.0", Gateway: "192.0.2.1"},
		{TypeID: tintri.TypeApplianceIp, ServiceType: "data", IPCidr: "198.51.100.99/24"},
	}
	if diff := cmp.Diff(wantIPs, gotIPs); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}

	mm := map[string]any{"typeId": tintri.TypeApplianceMaintenanceMode, "isEnabled": true, "startTime": "2026-12-01T01:00:00.000-0800", "endTime": "2026-12-01T05:00:00.000-0800"}
	put(appliance("maintenanceMode", mm), "maintenanceMode").wantNoContent(t)
	var gotMM tintri.ApplianceMaintenanceMode
	vs.do("GET", "/api/v310/appliance/default/maintenanceMode", nil).decode(t, &gotMM)
	if !gotMM.IsEnabled || gotMM.StartTime != "2026-12-01T01:00:00.000-0800" || gotMM.EndTime != "2026-12-01T05:00:00.000-0800" {
		t.Errorf("maintenance mode = %+v", gotMM)
	}
	put(appliance("maintenanceMode", map[string]any{"isEnabled": false}), "maintenanceMode").wantNoContent(t)
	if m := s.Appliance("vmstore-1").MaintenanceMode; m.IsEnabled || m.StartTime != "" {
		t.Errorf("maintenance mode after disable = %+v", m)
	}

	s.ResetCounters()
	saved := s.Appliance("vmstore-1")
	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"unknown property", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance(), "propertiesToBeUpdated": []string{"timezone"}}, 400, "ERR-API-0203"},
		{"no properties", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("dnsConfig", newDNS)}, 400, "ERR-API-0203"},
		{"no object", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": []any{}, "propertiesToBeUpdated": []string{"dnsConfig"}}, 400, "ERR-API-0201"},
		{"two objects", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": []any{appliance(), appliance()}, "propertiesToBeUpdated": []string{"dnsConfig"}}, 400, "ERR-API-0203"},
		{"bad dns ip", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("dnsConfig", map[string]any{"dnsPrimary": "10.0.0.300"}), "propertiesToBeUpdated": []string{"dnsConfig"}}, 400, "ERR-API-0020"},
		{"bad service type", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("configIps", []any{map[string]any{"serviceType": "mgmt", "ip": "192.0.2.9"}}), "propertiesToBeUpdated": []string{"configIps"}}, 400, "ERR-API-0020"},
		{"bad cidr", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("configIps", []any{map[string]any{"serviceType": "admin", "ipCidr": "192.0.2.9/40"}}), "propertiesToBeUpdated": []string{"configIps"}}, 400, "ERR-API-0020"},
		{"maintenance without times", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("maintenanceMode", map[string]any{"isEnabled": true}), "propertiesToBeUpdated": []string{"maintenanceMode"}}, 400, "ERR-API-0020"},
		{"maintenance bad time", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("maintenanceMode", map[string]any{"isEnabled": true, "startTime": "tomorrow", "endTime": "2026-12-01T05:00:00.000-0800"}), "propertiesToBeUpdated": []string{"maintenanceMode"}}, 400, "ERR-API-0020"},
		{"maintenance end before start", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("maintenanceMode", map[string]any{"isEnabled": true, "startTime": "2026-12-01T05:00:00.000-0800", "endTime": "2026-12-01T01:00:00.000-0800"}), "propertiesToBeUpdated": []string{"maintenanceMode"}}, 400, "ERR-API-0020"},
		{"wrong typeId", map[string]any{"typeId": tintri.TypeMultipleSelectionRequest, "objectsWithNewValues": appliance("dnsConfig", newDNS), "propertiesToBeUpdated": []string{"dnsConfig"}}, 400, "ERR-API-0203"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs.do("PUT", "/api/v310/appliance/default", tt.body).wantError(t, tt.status, tt.code)
		})
	}
	if diff := cmp.Diff(saved, s.Appliance("vmstore-1")); diff != "" {
		t.Errorf("rejected updates changed the appliance (-want +got):\n%s", diff)
	}
	if got := s.Writes(); got != int64(len(tests)) {
		t.Errorf("Writes = %d, want %d (one per PUT)", got, len(tests))
	}
	want404 := vs.do("PUT", "/api/v310/appliance/not-mine", map[string]any{"typeId": tintri.TypeRequest, "objectsWithNewValues": appliance("dnsConfig", newDNS), "propertiesToBeUpdated": []string{"dnsConfig"}})
	want404.wantError(t, http.StatusNotFound, "ERR-API-8001")
}

func TestApplianceReads(t *testing.T) {
	s := start(t, sim.Options{})
	vs := login(t, s, s.VMstoreURLs()[0])
	var list []tintri.Appliance
	vs.do("GET", "/api/v310/appliance", nil).decode(t, &list)
	var byDefault []tintri.Appliance
	vs.do("GET", "/api/v310/appliance/default", nil).decode(t, &byDefault)
	want := s.Appliance("vmstore-0")
	if diff := cmp.Diff([]tintri.Appliance{want}, list); diff != "" {
		t.Errorf("GET appliance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]tintri.Appliance{want}, byDefault); diff != "" {
		t.Errorf("GET appliance/default (-want +got):\n%s", diff)
	}
	var byUUID []tintri.Appliance
	vs.do("GET", "/api/v310/appliance/"+want.UUID.UUID, nil).decode(t, &byUUID)
	if len(byUUID) != 1 || byUUID[0].LocalAlias != "vmstore-0" {
		t.Errorf("GET appliance/{uuid} = %+v", byUUID)
	}
	var failed tintri.ApplianceFailedComponents
	vs.do("GET", "/api/v310/appliance/default/failedComponents", nil).decode(t, &failed)
	if failed.FailedComponents == nil || len(failed.FailedComponents) != 0 {
		t.Errorf("failedComponents = %#v, want an empty list", failed.FailedComponents)
	}
	var info tintri.ApplianceInfo
	vs.do("GET", "/api/v310/appliance/default/info", nil).decode(t, &info)
	if info.ModelName != "T880" || info.OsVersion == "" {
		t.Errorf("info = %+v", info)
	}
	var stores []tintri.VmStore
	login(t, s, s.TGCURL()).do("GET", "/api/v310/vmstore", nil).decode(t, &stores)
	if diff := cmp.Diff(s.VMstores(), stores); diff != "" {
		t.Errorf("vmstore list (-want +got):\n%s", diff)
	}
	for i, vsr := range stores {
		if "https://"+vsr.Hostname != s.VMstoreURLs()[i] || vsr.LocalAlias != s.ServerNames()[i+1] || vsr.IPAddress != "127.0.0.1" || vsr.UUID.UUID != s.Appliance(vsr.LocalAlias).UUID.UUID {
			t.Errorf("vmstore %d = %+v", i, vsr)
		}
	}
}

// TestApplianceDataIPsOnly sends PUT configIps the way the vendor's set_data_ip.py does: the
// list holds only the data IPs (the current ones plus a copy with a new address), sent as
// one object. The VMstore takes the data IPs and keeps its admin and replication IPs.
func TestApplianceDataIPsOnly(t *testing.T) {
	s := start(t, sim.Options{})
	vs := login(t, s, s.VMstoreURLs()[0])
	before := s.Appliance("vmstore-0").ConfigIPs
	var data []map[string]any
	var cur []map[string]any
	vs.do("GET", "/api/v310/appliance/default/ips", nil).decode(t, &cur)
	for _, ip := range cur {
		if ip["serviceType"] == "data" {
			data = append(data, ip)
		}
	}
	added := maps.Clone(data[0])
	added["ip"], added["vlanId"] = "198.51.100.99", "untagged"
	vs.do("PUT", "/api/v310/appliance/default", map[string]any{
		"typeId":                tintri.TypeRequest,
		"objectsWithNewValues":  map[string]any{"typeId": tintri.TypeAppliance, "configIps": append(data, added)},
		"propertiesToBeUpdated": []string{"configIps"},
	}).wantNoContent(t)
	want := []tintri.ApplianceIp{before[0], before[2], before[1], before[1]}
	want[3].IP = "198.51.100.99"
	if diff := cmp.Diff(want, s.Appliance("vmstore-0").ConfigIPs); diff != "" {
		t.Errorf("ips (-want +got):\n%s", diff)
	}
}
