package sim_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestInventoryDeterministic(t *testing.T) {
	a := start(t, sim.Options{Seed: 42, VMs: 40})
	b := start(t, sim.Options{Seed: 42, VMs: 40})
	c := start(t, sim.Options{Seed: 43, VMs: 40})
	ids := func(s *sim.Sim) []string {
		var out []string
		for _, vm := range s.VMs() {
			out = append(out, fmt.Sprintf("%s %s vmstore %d", vm.Name(), vm.ID(), storeIndex(s, vm)))
		}
		return out
	}
	if diff := cmp.Diff(ids(a), ids(b)); diff != "" {
		t.Errorf("same seed, different inventory (-a +b):\n%s", diff)
	}
	if cmp.Equal(ids(a), ids(c)) {
		t.Error("different seeds gave the same inventory")
	}
	got := names(a.VMs())
	wantPrefix := map[string]int{"vdi-": 16, "web-": 8, "sql-prod-": 4, "exch-": 2, "dev-": 10}
	for p, n := range wantPrefix {
		if c := countPrefix(got, p); c != n {
			t.Errorf("%d VMs named %s*, want %d", c, p, n)
		}
	}
	if !slices.Contains(got, "vdi-0001") || !slices.Contains(got, "sql-prod-01") || !slices.Contains(got, "web-001") || !slices.Contains(got, "exch-01") || !slices.Contains(got, "dev-001") {
		t.Errorf("missing expected names in %v", got)
	}
	if !sort.StringsAreSorted(got) {
		t.Errorf("VMs() not sorted by name: %v", got)
	}
	gotGroups := []string{}
	for _, g := range a.ServiceGroups() {
		gotGroups = append(gotGroups, g.Name)
	}
	if diff := cmp.Diff([]string{"VDI", "SQL Production", "Web Tier", "Empty Group"}, gotGroups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if n := len(a.ServiceGroupMembers("SQL Production")); n != 4 {
		t.Errorf("SQL Production has %d members, want 4 (every sql-prod VM)", n)
	}
	for _, srv := range []string{"vmstore-0", "vmstore-1"} {
		app := a.Appliance(srv)
		for _, ip := range app.ConfigIPs {
			if !strings.HasPrefix(ip.IP, "192.0.2.") && !strings.HasPrefix(ip.IP, "198.51.100.") && !strings.HasPrefix(ip.IP, "203.0.113.") {
				t.Errorf("%s ip %s outside the documentation ranges", srv, ip.IP)
			}
		}
		if app.Info.ModelName != "T880" || app.MaintenanceMode.IsEnabled || len(app.ConfigIPs) != 3 {
			t.Errorf("%s appliance = model %q maintenance %v ips %d, want T880, off, 3", srv, app.Info.ModelName, app.MaintenanceMode.IsEnabled, len(app.ConfigIPs))
		}
	}
}

func countPrefix(names []string, p string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, p) {
			n++
		}
	}
	return n
}

func TestPaging(t *testing.T) {
	s := start(t, sim.Options{VMs: 45, VMstores: 3})
	tgc := login(t, s, s.TGCURL())

	var first tintri.Page
	tgc.do("GET", "/api/v310/vm?offset=0&limit=10", nil).decode(t, &first)
	if first.FilteredTotal != 45 || first.AbsoluteTotal != 45 || first.Total != 45 || len(first.Items) != 10 || first.Next != "offset=10&limit=10" {
		t.Errorf("first page = totals %d/%d/%d items %d next %q", first.FilteredTotal, first.AbsoluteTotal, first.Total, len(first.Items), first.Next)
	}
	var last tintri.Page
	tgc.do("GET", "/api/v310/vm?offset=40&limit=10", nil).decode(t, &last)
	if len(last.Items) != 5 || last.Next != "" || strings.Contains(string(tgc.do("GET", "/api/v310/vm?offset=40&limit=10", nil).body), `"next"`) {
		t.Errorf("last page: %d items, next %q; want 5 and no next key", len(last.Items), last.Next)
	}
	var def tintri.Page
	tgc.do("GET", "/api/v310/vm", nil).decode(t, &def)
	if def.Limit != 2000 || len(def.Items) != 45 || def.Next != "" {
		t.Errorf("default page: limit %d items %d next %q, want 2000, 45, none", def.Limit, len(def.Items), def.Next)
	}
	tgc.do("GET", "/api/v310/vm?limit=x", nil).wantError(t, http.StatusBadRequest, "ERR-API-0203")

	all := tgc.listVMs("/api/v310/vm?offset=0&limit=7")
	if diff := cmp.Diff(names(s.VMs()), names(all)); diff != "" {
		t.Errorf("paged TGC list (-want +got):\n%s", diff)
	}
	var perStore []string
	for _, u := range s.VMstoreURLs() {
		perStore = append(perStore, names(login(t, s, u).listVMs("/api/v310/vm?limit=4"))...)
	}
	sort.Strings(perStore)
	if diff := cmp.Diff(names(s.VMs()), perStore); diff != "" {
		t.Errorf("union of VMstore lists (-want +got):\n%s", diff)
	}
}

func TestVMFilters(t *testing.T) {
	s := start(t, sim.Options{VMs: 60})
	tgc := login(t, s, s.TGCURL())
	var sqlGroup tintri.ServiceGroup
	for _, g := range s.ServiceGroups() {
		if g.Name == "SQL Production" {
			sqlGroup = g
		}
	}
	never := s.VMs()[3]
	tgc.do("PUT", "/api/v310/vm/"+never.ID()+"/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}).wantNoContent(t)

	byName := func(pred func(vm tintri.VirtualMachine) bool) []string {
		var out []string
		for _, vm := range s.VMs() {
			if pred(vm) {
				out = append(out, vm.Name())
			}
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"name=SQL-PROD", byName(func(vm tintri.VirtualMachine) bool { return strings.HasPrefix(vm.Name(), "sql-prod-") })},
		{"name=dev-00", byName(func(vm tintri.VirtualMachine) bool { return strings.HasPrefix(vm.Name(), "dev-00") })},
		{"serviceGroupIds=" + sqlGroup.ID(), byName(func(vm tintri.VirtualMachine) bool { return strings.HasPrefix(vm.Name(), "sql-prod-") })},
		{"affinityRuleTypes=NEVER", []string{never.Name()}},
		{"affinityRuleTypes=NEVER,EXCLUDE_DATASTORES&name=" + never.Name(), []string{never.Name()}},
		{"affinityRuleTypes=NONE&name=" + never.Name(), nil},
		{"name=no-such-vm", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			got := names(tgc.listVMs("/api/v310/vm?limit=3&" + tt.query))
			if len(tt.want) == 0 && len(got) == 0 {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if len(tests[0].want) != 6 {
		t.Errorf("fixture: %d sql-prod VMs, want 6", len(tests[0].want))
	}
	tgc.do("GET", "/api/v310/vm?affinityRuleTypes=SOMETIMES", nil).wantError(t, http.StatusBadRequest, "ERR-API-0203")

	// next keeps the filter, and a client re-adding it (as the vendor scripts do) is harmless.
	var p tintri.Page
	tgc.do("GET", "/api/v310/vm?offset=0&limit=2&name=sql", nil).decode(t, &p)
	if p.Next != "offset=2&limit=2&name=sql" || p.FilteredTotal != 6 || p.AbsoluteTotal != 60 {
		t.Errorf("filtered page: next %q filteredTotal %d absoluteTotal %d", p.Next, p.FilteredTotal, p.AbsoluteTotal)
	}
	var p2 tintri.Page
	tgc.do("GET", "/api/v310/vm?"+p.Next+"&name=sql", nil).decode(t, &p2)
	if p2.FilteredTotal != 6 || len(p2.Items) != 2 {
		t.Errorf("second page with repeated filter: filteredTotal %d items %d", p2.FilteredTotal, len(p2.Items))
	}
}

func TestIncludeFields(t *testing.T) {
	s := start(t, sim.Options{})
	for _, q := range []string{"includeFields=uuid,vmware", "includeFields=uuid&includeFields=vmware"} {
		var p tintri.Page
		login(t, s, s.TGCURL()).do("GET", "/api/v310/vm?limit=3&"+q, nil).decode(t, &p)
		if len(p.Items) != 3 {
			t.Fatalf("%s: %d items, want 3", q, len(p.Items))
		}
		for _, raw := range p.Items {
			var m map[string]json.RawMessage
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if diff := cmp.Diff([]string{"typeId", "uuid", "vmware"}, keys); diff != "" {
				t.Errorf("%s: item keys (-want +got):\n%s", q, diff)
			}
		}
	}
}

// TestRequireFields: with Options.RequireFields a VM listing without includeFields is
// refused (400) and one with it is served.
func TestRequireFields(t *testing.T) {
	s := start(t, sim.Options{RequireFields: true})
	tgc := login(t, s, s.TGCURL())
	if a := tgc.do("GET", "/api/v310/vm?limit=3", nil); a.status != http.StatusBadRequest || !strings.Contains(string(a.body), "includeFields is required") {
		t.Errorf("untrimmed listing: %d %s, want 400 naming includeFields", a.status, a.body)
	}
	if a := tgc.do("GET", "/api/v310/vm?limit=3&includeFields=uuid", nil); a.status != http.StatusOK {
		t.Errorf("trimmed listing: %d %s, want 200", a.status, a.body)
	}
}

func TestAffinity(t *testing.T) {
	s := start(t, sim.Options{VMstores: 3})
	tgc := login(t, s, s.TGCURL())
	vm := s.VMs()[0]
	stores := s.VMstores()
	path := "/api/v310/vm/" + vm.ID() + "/affinity"
	rule := func(kv ...any) map[string]any {
		m := map[string]any{"typeId": tintri.TypeAffinityRule}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
		want   *tintri.VirtualMachineAffinityRule // after the request
	}{
		{"never", path, rule("ruleType", "NEVER"), 204, "", &tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "NEVER"}},
		{"never with vmstores", path, rule("ruleType", "NEVER", "vmstoreTintriUuids", []string{stores[0].UUID.UUID}), 400, "ERR-API-3128", &tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "NEVER"}},
		{"exclude list", path, rule("ruleType", "EXCLUDE_DATASTORES", "vmstoreTintriUuids", []string{stores[1].UUID.UUID, stores[2].UUID.UUID}), 204, "",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[1].UUID.UUID, stores[2].UUID.UUID}}},
		{"exclude single string", path, rule("ruleType", "EXCLUDE_DATASTORES", "vmstoreTintriUuids", stores[0].UUID.UUID), 204, "",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"exclude empty", path, rule("ruleType", "EXCLUDE_DATASTORES", "vmstoreTintriUuids", []string{}), 400, "ERR-API-3128",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"exclude unknown vmstore", path, rule("ruleType", "EXCLUDE_DATASTORES", "vmstoreTintriUuids", []string{"nope"}), 400, "ERR-API-3128",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"unknown rule type", path, rule("ruleType", "SOMETIMES"), 400, "ERR-API-3128",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"wrong typeId", path, map[string]string{"typeId": tintri.TypeQoSConfig, "ruleType": "NEVER"}, 400, "ERR-API-0203",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"malformed", path, "{", 400, "ERR-API-0203",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"unknown vm", "/api/v310/vm/nope/affinity", rule("ruleType", "NEVER"), 404, "ERR-API-8001",
			&tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: "EXCLUDE_DATASTORES", VmstoreTintriUuids: []string{stores[0].UUID.UUID}}},
		{"clear", path, rule(), 204, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tgc.do("PUT", tt.path, tt.body)
			if tt.code == "" {
				a.wantNoContent(t)
			} else {
				a.wantError(t, tt.status, tt.code)
			}
			got, _ := s.VMByName(vm.Name())
			if diff := cmp.Diff(tt.want, got.AffinityRule); diff != "" {
				t.Errorf("rule after request (-want +got):\n%s", diff)
			}
		})
	}

	// Set through the TGC, visible through the VM's VMstore.
	tgc.do("PUT", path, rule("ruleType", "NEVER")).wantNoContent(t)
	idx := storeIndex(s, vm)
	var onStore tintri.VirtualMachine
	login(t, s, s.VMstoreURLs()[idx]).do("GET", "/api/v310/vm/"+vm.ID(), nil).decode(t, &onStore)
	if onStore.AffinityRule == nil || onStore.AffinityRule.RuleType != "NEVER" {
		t.Errorf("VMstore view of the rule = %+v, want NEVER", onStore.AffinityRule)
	}
}

func TestVMQoS(t *testing.T) {
	s := start(t, sim.Options{VMstores: 2})
	vs := login(t, s, s.VMstoreURLs()[0])
	mine := vs.listVMs("/api/v310/vm")
	var foreign string
	for _, vm := range s.VMs() {
		if storeIndex(s, vm) == 1 {
			foreign = vm.ID()
		}
	}
	if len(mine) < 3 || foreign == "" {
		t.Fatalf("fixture: %d VMs on vmstore-0, foreign VM %q", len(mine), foreign)
	}
	req := func(ids []string, qos any, props ...string) map[string]any {
		return map[string]any{"typeId": tintri.TypeMultipleSelectionRequest, "ids": ids, "newValue": qos, "propertyNames": props}
	}
	qos := map[string]any{"typeId": tintri.TypeQoSConfig, "minNormalizedIops": 100, "maxNormalizedIops": 5000}
	vs.do("PUT", "/api/v310/vm/qosConfig", req([]string{mine[0].ID(), mine[1].ID()}, qos, "minNormalizedIops", "maxNormalizedIops")).wantNoContent(t)
	vs.do("PUT", "/api/v310/vm/qosConfig", req(nil, qos)).wantError(t, http.StatusBadRequest, "ERR-API-3109")
	vs.do("PUT", "/api/v310/vm/qosConfig", req([]string{mine[2].ID()}, map[string]any{"minNormalizedIops": 900, "maxNormalizedIops": 10})).wantError(t, http.StatusBadRequest, "ERR-API-3109")
	vs.do("PUT", "/api/v310/vm/qosConfig", req([]string{mine[2].ID()}, qos, "color")).wantError(t, http.StatusBadRequest, "ERR-API-3109")
	vs.do("PUT", "/api/v310/vm/qosConfig", req([]string{mine[2].ID(), foreign}, qos)).wantError(t, http.StatusNotFound, "ERR-API-8001")

	for i, vm := range mine[:3] {
		got, _ := s.VMByName(vm.Name())
		want := &tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig}
		if i < 2 {
			want = &tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig, MinNormalizedIops: 100, MaxNormalizedIops: 5000, EffectiveMinNormalizedIops: 100, EffectiveMaxNormalizedIops: 5000}
		}
		if diff := cmp.Diff(want, got.QosConfig); diff != "" {
			t.Errorf("%s qos (-want +got):\n%s", vm.Name(), diff)
		}
	}
}

// TestAffinityNeedsV310_51 checks that a TGC older than v310.51 has no affinity endpoint.
func TestAffinityNeedsV310_51(t *testing.T) {
	s := start(t, sim.Options{TGCVersion: "v310.41"})
	vm := s.VMs()[0]
	tgc := login(t, s, s.TGCURL())
	tgc.do("PUT", "/api/v310/vm/"+vm.ID()+"/affinity", map[string]string{"typeId": tintri.TypeAffinityRule, "ruleType": "NEVER"}).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("GET", "/api/v310/servicegroup/"+s.ServiceGroups()[0].ID()+"/qosConfig", nil).decode(t, &tintri.VirtualMachineQoSConfig{})
	if got, _ := s.VMByName(vm.Name()); got.AffinityRule != nil {
		t.Errorf("rule set on an old TGC: %+v", got.AffinityRule)
	}
}

// TestNextKeepsSubDelims: next carries includeFields=uuid,vmware with its comma as is, so a
// client gets the requested fields on every page whether it re-sends next verbatim or, as the
// vendor's SDK does, splits it into pairs and URL-encodes them again.
func TestNextKeepsSubDelims(t *testing.T) {
	s := start(t, sim.Options{VMs: 25})
	tgc := login(t, s, s.TGCURL())
	var first tintri.Page
	tgc.do("GET", "/api/v310/vm?limit=10&includeFields=uuid,vmware&name=-0", nil).decode(t, &first)
	if want := "offset=10&limit=10&includeFields=uuid,vmware&name=-0"; first.Next != want {
		t.Fatalf("next = %q, want %q", first.Next, want)
	}
	resend := map[string]func(next string) string{
		"verbatim": func(next string) string { return "/api/v310/vm?" + next },
		"re-encoded pairs": func(next string) string {
			q := url.Values{}
			for _, kv := range strings.Split(next, "&") {
				k, v, _ := strings.Cut(kv, "=")
				q.Set(k, v)
			}
			return "/api/v310/vm?" + q.Encode()
		},
	}
	for name, build := range resend {
		t.Run(name, func(t *testing.T) {
			pages, n := 1, len(first.Items)
			for next := first.Next; next != ""; pages++ {
				var p tintri.Page
				tgc.do("GET", build(next), nil).decode(t, &p)
				for _, raw := range p.Items {
					var item map[string]json.RawMessage
					if err := json.Unmarshal(raw, &item); err != nil {
						t.Fatal(err)
					}
					if len(item) != 3 || item["uuid"] == nil || item["vmware"] == nil {
						t.Fatalf("page %d item has fields %v, want typeId, uuid, vmware", pages+1, slices.Sorted(maps.Keys(item)))
					}
				}
				n += len(p.Items)
				next = p.Next
			}
			if int64(n) != first.FilteredTotal || pages != 3 {
				t.Errorf("%d items in %d pages, want %d in 3", n, pages, first.FilteredTotal)
			}
		})
	}
}

// TestLiveFilter: every simulated VM is live, so live=TRUE (as the vendor's examples send
// it) and BOTH list them all, FALSE lists none and other values are refused.
func TestLiveFilter(t *testing.T) {
	s := start(t, sim.Options{VMs: 12})
	tgc := login(t, s, s.TGCURL())
	for q, want := range map[string]int64{"live=TRUE": 12, "live=true": 12, "live=BOTH": 12, "live=FALSE": 0} {
		var p tintri.Page
		tgc.do("GET", "/api/v310/vm?"+q, nil).decode(t, &p)
		if p.FilteredTotal != want || p.AbsoluteTotal != 12 {
			t.Errorf("%s: filteredTotal %d absoluteTotal %d, want %d and 12", q, p.FilteredTotal, p.AbsoluteTotal, want)
		}
	}
	tgc.do("GET", "/api/v310/vm?live=NOT_FOUND", nil).wantError(t, http.StatusBadRequest, "ERR-API-4003")
}
