package sim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestInfo(t *testing.T) {
	s := start(t, sim.Options{TGCVersion: "v310.61", VMstoreVersion: "v310.41"})
	tests := []struct {
		base        string
		product     string
		preferred   string
		lastVersion string
	}{
		{s.TGCURL(), tintri.ProductTGC, "v310.61", "v310.61"},
		{s.VMstoreURLs()[1], tintri.ProductVMstore, "v310.41", "v310.41"},
	}
	for _, tt := range tests {
		se := &session{t: t, c: httpClient(t, s), base: tt.base}
		var info tintri.RestApi
		se.do("GET", "/api/info", nil).decode(t, &info)
		if info.TypeID != tintri.TypeRestApi || info.ProductName != tt.product || info.PreferredVersion != tt.preferred {
			t.Errorf("%s info = %+v, want typeId %s product %q preferred %q", tt.base, info, tintri.TypeRestApi, tt.product, tt.preferred)
		}
		if n := len(info.SupportedVersionSet); n == 0 || info.SupportedVersionSet[0] != "v310.1" || info.SupportedVersionSet[n-1] != tt.lastVersion {
			t.Errorf("supportedVersionSet = %v, want v310.1 … %s", info.SupportedVersionSet, tt.lastVersion)
		}
	}
}

// TestLoginLogout: a failed login is 401 ERR-API-0124; a request without a valid session
// (missing, unknown, opened on another server, logged out) is 401 ERR-API-0104, the code on
// which the vendor SDK logs in again.
func TestLoginLogout(t *testing.T) {
	s := start(t, sim.Options{Password: "s3cret"})
	anon := &session{t: t, c: httpClient(t, s), base: s.TGCURL()}

	bad := anon.do("POST", "/api/v310/session/login", tintri.RestApiCredentials{TypeID: tintri.TypeRestApiCredentials, Username: "admin", Password: "wrong"})
	bad.wantError(t, http.StatusUnauthorized, "ERR-API-0124")
	if got := bad.header.Get("Set-Cookie"); got != "" {
		t.Errorf("failed login set cookie %q", got)
	}
	anon.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")
	unknown := &session{t: t, c: anon.c, base: s.TGCURL(), cookie: "0123456789abcdef0123456789abcdef"}
	unknown.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")

	se := login(t, s, s.TGCURL())
	var role string
	se.do("POST", "/api/v310/session/login", tintri.RestApiCredentials{TypeID: tintri.TypeRestApiCredentials, Username: "admin", Password: "s3cret"}).decode(t, &role)
	if role != "Admin" {
		t.Errorf("login role = %q, want Admin", role)
	}
	if a := se.do("GET", "/api/v310/vm?limit=1", nil); a.status != http.StatusOK {
		t.Fatalf("with session: %d %s", a.status, a.body)
	}
	// A session is only valid on the server that opened it.
	other := &session{t: t, c: se.c, base: s.VMstoreURLs()[0], cookie: se.cookie}
	other.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")

	se.do("POST", "/api/v310/session/logout", nil).wantNoContent(t)
	se.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")

	se2 := login(t, s, s.TGCURL())
	se2.do("GET", "/api/v310/session/logout", nil).wantNoContent(t)
	se2.do("GET", "/api/v310/servicegroup", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")
}

func TestSessionExpiry(t *testing.T) {
	t.Run("ExpireSessions", func(t *testing.T) {
		s := start(t, sim.Options{})
		tgc, vs := login(t, s, s.TGCURL()), login(t, s, s.VMstoreURLs()[0])
		s.ExpireSessions()
		tgc.do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")
		vs.do("GET", "/api/v310/appliance/default/dns", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")
		login(t, s, s.TGCURL()).do("GET", "/api/v310/vm?limit=1", nil).decode(t, &tintri.Page{})
	})
	t.Run("idle TTL", func(t *testing.T) {
		s := start(t, sim.Options{SessionTTL: time.Nanosecond})
		login(t, s, s.TGCURL()).do("GET", "/api/v310/vm", nil).wantError(t, http.StatusUnauthorized, "ERR-API-0104")
	})
}

// nestedTypeIDs are the typeIds of DTOs nested in others, by field name.
var nestedTypeIDs = map[string]string{
	"uuid":             tintri.TypeUuid,
	"vmware":           tintri.TypeVirtualMachineVmwareInfo,
	"affinityRule":     tintri.TypeAffinityRule,
	"qosConfig":        tintri.TypeQoSConfig,
	"serviceGroup":     tintri.TypeVMServiceGroupInfo,
	"dnsConfig":        tintri.TypeApplianceDns,
	"configIps":        tintri.TypeApplianceIp,
	"maintenanceMode":  tintri.TypeApplianceMaintenanceMode,
	"info":             tintri.TypeApplianceInfo,
	"applianceInfo":    tintri.TypeApplianceInfo,
	"components":       tintri.TypeApplianceComponent,
	"failedComponents": tintri.TypeApplianceFailedComponent,
	"stat":             tintri.TypeStats,
	"sortedStats":      tintri.TypeVirtualMachineStat,
	"vmUuid":           tintri.TypeUuid,
}

// checkNestedTypeIDs checks that every object below the top level of v carries a typeId:
// the one nestedTypeIDs names for its field, or for an item of a Page any com.tintri one.
func checkNestedTypeIDs(t *testing.T, field string, v any) {
	t.Helper()
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			checkNestedTypeIDs(t, field, e)
		}
	case map[string]any:
		if field != "" {
			id, _ := v["typeId"].(string)
			if want, ok := nestedTypeIDs[field]; ok && id != want || !ok && !strings.HasPrefix(id, "com.tintri.api.rest.") {
				t.Errorf("%s: typeId %q, want %q", field, id, nestedTypeIDs[field])
			}
		}
		for k, e := range v {
			checkNestedTypeIDs(t, k, e)
		}
	}
}

// TestTypeIDs checks that every JSON answer, and every DTO nested in it, carries the typeId
// of its reference DTO.
func TestTypeIDs(t *testing.T) {
	s := start(t, sim.Options{})
	vm := s.VMs()[0]
	group := s.ServiceGroups()[0]
	snap, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm.ID()})
	if err != nil {
		t.Fatal(err)
	}
	store := s.ServerNames()[storeIndex(s, vm)+1]
	tests := []struct {
		server string
		path   string
		shape  string // object, list or page
		typeID string // of the object, of each element, or of each page item
	}{
		{"tgc", "/api/info", "object", tintri.TypeRestApi},
		{"tgc", "/api/v310/vm?limit=5", "page", tintri.TypeVirtualMachine},
		{"tgc", "/api/v310/vm/" + vm.ID(), "object", tintri.TypeVirtualMachine},
		{"tgc", "/api/v310/servicegroup", "page", tintri.TypeServiceGroup},
		{"tgc", "/api/v310/servicegroup/" + group.ID(), "object", tintri.TypeServiceGroup},
		{"tgc", "/api/v310/servicegroup/" + group.ID() + "/members", "page", tintri.TypeServiceGroupMember},
		{"tgc", "/api/v310/servicegroup/" + group.ID() + "/qosConfig", "object", tintri.TypeQoSConfig},
		{"tgc", "/api/v310/vmstore", "list", tintri.TypeVmStore},
		{"tgc", "/api/v310/appliance", "list", tintri.TypeAppliance},
		{"tgc", "/api/v310/appliance/default", "list", tintri.TypeAppliance},
		{"tgc", "/api/v310/appliance/default/dns", "object", tintri.TypeApplianceDns},
		{"tgc", "/api/v310/appliance/default/ips", "list", tintri.TypeApplianceIp},
		{"tgc", "/api/v310/appliance/default/info", "object", tintri.TypeApplianceInfo},
		{"vmstore-0", "/api/info", "object", tintri.TypeRestApi},
		{"vmstore-0", "/api/v310/vm?limit=5", "page", tintri.TypeVirtualMachine},
		{"vmstore-0", "/api/v310/servicegroup", "page", ""},
		{"vmstore-0", "/api/v310/appliance", "list", tintri.TypeAppliance},
		{"vmstore-0", "/api/v310/appliance/default", "list", tintri.TypeAppliance},
		{"vmstore-0", "/api/v310/appliance/default/dns", "object", tintri.TypeApplianceDns},
		{"vmstore-0", "/api/v310/appliance/default/ips", "list", tintri.TypeApplianceIp},
		{"vmstore-0", "/api/v310/appliance/default/info", "object", tintri.TypeApplianceInfo},
		{"vmstore-0", "/api/v310/appliance/default/maintenanceMode", "object", tintri.TypeApplianceMaintenanceMode},
		{"vmstore-0", "/api/v310/appliance/default/failedComponents", "object", tintri.TypeApplianceFailedComps},
		{"vmstore-1", "/api/v310/vm?limit=5", "page", tintri.TypeVirtualMachine},
		{"tgc", "/api/v310/vm/" + vm.ID() + "/statsHistoric", "page", tintri.TypeStats},
		{store, "/api/v310/vm/" + vm.ID() + "/statsHistoric", "page", tintri.TypeStats},
		{store, "/api/v310/vm/" + vm.ID() + "/statsRealtime", "page", tintri.TypeStats},
		{"tgc", "/api/v310/snapshot?vmUuid=" + vm.ID(), "page", tintri.TypeSnapshot},
		{store, "/api/v310/snapshot", "page", tintri.TypeSnapshot},
		{store, "/api/v310/snapshot/" + snap.ID(), "object", tintri.TypeSnapshot},
	}
	sessions := map[string]*session{"tgc": login(t, s, s.TGCURL())}
	for i, u := range s.VMstoreURLs() {
		sessions[s.ServerNames()[i+1]] = login(t, s, u)
	}
	// Give the listed VM every optional nested DTO: a rule and a static group membership.
	sessions["tgc"].do("PUT", "/api/v310/vm/"+vm.ID()+"/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}).wantNoContent(t)
	sessions["tgc"].do("PUT", "/api/v310/servicegroup/"+group.ID()+"/members/static",
		map[string]any{"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": []string{vm.ID()}}).wantNoContent(t)
	if got, _ := s.VMByName(vm.Name()); got.AffinityRule == nil || got.ServiceGroup == nil || got.QosConfig == nil || got.Vmware == nil {
		t.Fatalf("fixture: VM lacks nested DTOs: %+v", got)
	}
	type typed struct {
		TypeID string `json:"typeId"`
	}
	for _, tt := range tests {
		t.Run(tt.server+tt.path, func(t *testing.T) {
			a := sessions[tt.server].do("GET", tt.path, nil)
			if ct := a.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			var got []string
			switch tt.shape {
			case "object":
				var o typed
				a.decode(t, &o)
				got = []string{o.TypeID}
			case "list":
				var l []typed
				a.decode(t, &l)
				for _, o := range l {
					got = append(got, o.TypeID)
				}
			case "page":
				var p tintri.Page
				a.decode(t, &p)
				if p.TypeID != tintri.TypePage {
					t.Errorf("page typeId = %q, want %q", p.TypeID, tintri.TypePage)
				}
				for _, raw := range p.Items {
					var o typed
					if err := json.Unmarshal(raw, &o); err != nil {
						t.Fatal(err)
					}
					got = append(got, o.TypeID)
				}
			}
			var doc any
			if err := json.Unmarshal(a.body, &doc); err != nil {
				t.Fatal(err)
			}
			checkNestedTypeIDs(t, "", doc)
			if tt.typeID == "" {
				if len(got) != 0 {
					t.Errorf("got %d items, want none", len(got))
				}
				return
			}
			if len(got) == 0 {
				t.Fatalf("no objects in %s", a.body)
			}
			for _, id := range got {
				if id != tt.typeID {
					t.Errorf("typeId = %q, want %q", id, tt.typeID)
				}
			}
		})
	}
}

func TestUnknownRoutesAndObjects(t *testing.T) {
	s := start(t, sim.Options{})
	tgc := login(t, s, s.TGCURL())
	tgc.do("GET", "/api/v310/vm/no-such-vm", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/nothing", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("DELETE", "/api/v310/vm", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/servicegroup/nope", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/appliance/nope", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/appliance/nope/dns", nil).wantError(t, http.StatusNotFound, "ERR-API-0102")
	// A VMstore only knows its own VMs.
	var other tintri.VirtualMachine
	for _, vm := range s.VMs() {
		if storeIndex(s, vm) == 1 {
			other = vm
			break
		}
	}
	login(t, s, s.VMstoreURLs()[0]).do("GET", "/api/v310/vm/"+other.ID(), nil).wantError(t, http.StatusNotFound, "ERR-API-8001")
	var got tintri.VirtualMachine
	login(t, s, s.VMstoreURLs()[1]).do("GET", "/api/v310/vm/"+other.ID(), nil).decode(t, &got)
	if diff := cmp.Diff(other.Name(), got.Name()); diff != "" || got.VmstoreName != "" {
		t.Errorf("vmstore-1 VM: name diff %s, vmstoreName %q (TgcOnly, want empty)", diff, got.VmstoreName)
	}
}

// TestServerKindRefusals checks TgcOnly endpoints and VM filters on a VMstore and
// VMstoreOnly endpoints on the TGC.
func TestServerKindRefusals(t *testing.T) {
	s := start(t, sim.Options{})
	tgc, vs := login(t, s, s.TGCURL()), login(t, s, s.VMstoreURLs()[0])
	vm := s.VMs()[0]
	group := s.ServiceGroups()[0]
	tests := []struct {
		se     *session
		method string
		path   string
		body   any
	}{
		{vs, "GET", "/api/v310/vmstore", nil},
		{vs, "PUT", "/api/v310/vm/" + vm.ID() + "/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}},
		{vs, "POST", "/api/v310/vm/vmListDownloadable", map[string]any{"typeId": tintri.TypeVMReportFilter, "attributes": []string{"VmName"}, "format": "CSV"}},
		{vs, "PUT", "/api/v310/servicegroup/" + group.ID() + "/members/static", map[string]any{"typeId": tintri.TypeCollectionChangeRequest}},
		{vs, "GET", "/api/v310/servicegroup/" + group.ID() + "/qosConfig", nil},
		{vs, "POST", "/api/v310/servicegroup/" + group.ID() + "/qos", nil},
		{vs, "GET", "/api/v310/vm?serviceGroupIds=" + group.ID(), nil},
		{vs, "GET", "/api/v310/vm?limit=5&affinityRuleTypes=NEVER", nil},
		{tgc, "GET", "/api/v310/appliance/default/maintenanceMode", nil},
		{tgc, "GET", "/api/v310/appliance/default/failedComponents", nil},
		{tgc, "PUT", "/api/v310/vm/qosConfig", map[string]any{"typeId": tintri.TypeMultipleSelectionRequest}},
		{tgc, "PUT", "/api/v310/appliance/default", map[string]any{"typeId": tintri.TypeRequest}},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			tt.se.do(tt.method, tt.path, tt.body).wantError(t, http.StatusBadRequest, "ERR-API-0005")
		})
	}
	// Refused requests reached an endpoint, so they count: 5 PUT/POST writes (the report
	// request is not a write).
	if n := s.Writes(); n != 5 {
		t.Errorf("Writes = %d, want 5", n)
	}
}
