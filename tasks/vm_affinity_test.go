package tasks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// simRules maps every sim VM name to its normalized rule, rendered like showAffinity
// with uuids.
func simRules(s *sim.Sim) map[string]string {
	out := map[string]string{}
	for _, vm := range s.VMs() {
		out[vm.Name()] = showAffinity(normalizeAffinity(vm.AffinityRule), nil)
	}
	return out
}

// objects renders a plan's change objects, sorted.
func changeObjects(objs []string) []string {
	sort.Strings(objs)
	return objs
}

func TestVMAffinityNameContainsMatchesVendorScript(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 80, Seed: 11})
	s.AddVM("MY-VDI-Upper", 1)
	s.AddVM("ViDi-not", 2)
	h := newHarness(t, s, `
  task "vm_affinity" "never" {
    server        = server.tgc
    name_contains = "vdi"
    rule          = "never"
  }`, nil)

	// What the vendor script does: ask the TGC for the VMs whose name contains "vdi"
	// (GET /v310/vm?name=vdi, which ignores case) and set NEVER on each.
	c := simClient(t, s)
	tgcNames := func(f tintri.VMFilter) []string {
		t.Helper()
		f.IncludeFields = []string{"uuid", "vmware"}
		vms, err := c.ListVMs(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, vm := range vms {
			out = append(out, "vm "+vm.Name())
		}
		return changeObjects(out)
	}
	want := tgcNames(tintri.VMFilter{Name: "vdi"})
	if len(want) != 33 || !slices.Contains(want, "vm MY-VDI-Upper") || slices.Contains(want, "vm ViDi-not") {
		t.Fatalf("the TGC's name filter selects %d VMs %v; want the 32 vdi-NNNN and MY-VDI-Upper", len(want), want)
	}
	if got := tgcNames(tintri.VMFilter{AffinityRuleTypes: []string{tintri.AffinityNever}}); len(got) != 0 {
		t.Fatalf("VMs with NEVER before the apply: %v", got)
	}

	s.ResetCounters()
	tp := h.plan()
	var got []string
	for _, ch := range tp.Changes {
		got = append(got, ch.Object)
		if ch.Action != "update" || ch.Summary != "affinity none → NEVER" {
			t.Errorf("change %s: %s %q", ch.Object, ch.Action, ch.Summary)
		}
	}
	if diff := cmp.Diff(changeObjects(want), changeObjects(got)); diff != "" {
		t.Errorf("changed VMs (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/vm/{id}/affinity": 33}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	// Exactly the VMs the TGC's name filter selects now have NEVER, and no other VM has a rule.
	if diff := cmp.Diff(want, tgcNames(tintri.VMFilter{AffinityRuleTypes: []string{tintri.AffinityNever}})); diff != "" {
		t.Errorf("VMs with NEVER (-name filter +rule filter):\n%s", diff)
	}
	for name, rule := range simRules(s) {
		wantRule := "none"
		if slices.Contains(want, "vm "+name) {
			wantRule = tintri.AffinityNever
		}
		if rule != wantRule {
			t.Errorf("vm %s: rule %s, want %s", name, rule, wantRule)
		}
	}

	s.ResetCounters()
	tp = h.plan()
	if len(tp.Changes) != 0 || len(tp.Unchanged) != 33 {
		t.Errorf("second plan: %d changes, %d unchanged; want 0 and 33", len(tp.Changes), len(tp.Unchanged))
	}
	h.apply()
	if s.Writes() != 0 {
		t.Errorf("second apply made %d writes", s.Writes())
	}
}

// TestVMAffinityNameContainsAgreesWithServerFilter: the vendor scripts select VMs with the
// TGC's own name filter (GET /v310/vm?name=…). For several strings, the VMs a name_contains
// plan selects are exactly the server's answer, both when the task lets the server filter
// (name_contains alone) and when it filters the full listing itself (combined with a
// criterion that matches nothing).
func TestVMAffinityNameContainsAgreesWithServerFilter(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 120, Seed: 4})
	s.AddVM("Lab-VDI-Pool", 0)
	s.AddVM("sqlvdi", 2)
	c := simClient(t, s)
	for _, sub := range []string{"vdi", "VDI", "prod-0", "-01", "Web"} {
		vms, err := c.ListVMs(context.Background(), tintri.VMFilter{Name: sub, IncludeFields: []string{"uuid", "vmware"}})
		if err != nil {
			t.Fatal(err)
		}
		var server []string
		for _, vm := range vms {
			server = append(server, "vm "+vm.Name())
		}
		if len(server) < 2 {
			t.Fatalf("name=%s: the server selects only %v", sub, server)
		}
		for _, extra := range []string{"", `name_regex = "^$"`} {
			h := newHarness(t, s, fmt.Sprintf(`
  task "vm_affinity" "never" {
    server        = server.tgc
    name_contains = %q
    %s
    rule          = "never"
  }`, sub, extra), nil)
			var got []string
			for _, ch := range h.plan().Changes {
				got = append(got, ch.Object)
			}
			if diff := cmp.Diff(changeObjects(server), changeObjects(got)); diff != "" {
				t.Errorf("name_contains %q %s: selection differs from the server's name filter (-server +task):\n%s", sub, extra, diff)
			}
		}
	}
}

func TestVMAffinityExcludeVMstoresOrderIrrelevant(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 40, Seed: 5})
	stores := s.VMstores()
	// Give web-001 the wanted rule with the VMstores in reverse order: it must stay unchanged.
	c := simClient(t, s)
	web1, _ := s.VMByName("web-001")
	ids := []string{stores[2].UUID.UUID, stores[0].UUID.UUID}
	if err := c.SetVMAffinity(context.Background(), web1.ID(), tintri.VirtualMachineAffinityRule{
		TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityExcludeDatastores, VmstoreTintriUuids: ids}); err != nil {
		t.Fatal(err)
	}
	// web-002 has NEVER and must be updated; web-003 is excluded by name.
	web2, _ := s.VMByName("web-002")
	if err := c.SetVMAffinity(context.Background(), web2.ID(), tintri.VirtualMachineAffinityRule{
		TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityNever}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s, fmt.Sprintf(`
  task "vm_affinity" "web" {
    server           = server.tgc
    name_glob        = "web-00[1-4]"
    exclude_names    = ["web-003"]
    rule             = "exclude_vmstores"
    exclude_vmstores = ["vmstore-2", %q]
  }`, stores[0].Hostname), nil)
	tp := h.plan()
	var got []string
	for _, ch := range tp.Changes {
		got = append(got, ch.Object+": "+ch.Summary)
	}
	want := []string{
		fmt.Sprintf("vm web-002: affinity NEVER → EXCLUDE_DATASTORES(%s)", strings.Join(sortedAliases(stores, 0, 2), ", ")),
		fmt.Sprintf("vm web-004: affinity none → EXCLUDE_DATASTORES(%s)", strings.Join(sortedAliases(stores, 0, 2), ", ")),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vm web-001"}, tp.Unchanged); diff != "" {
		t.Errorf("unchanged (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/vm/{id}/affinity": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan has changes: %+v", tp.Changes)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

func TestNormalizeAffinity(t *testing.T) {
	rule := func(typ string, ids ...string) *tintri.VirtualMachineAffinityRule {
		return &tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: typ, VmstoreTintriUuids: ids}
	}
	for _, tc := range []struct {
		name string
		in   *tintri.VirtualMachineAffinityRule
		want affinityState
	}{
		{"nil", nil, affinityState{}},
		{"empty rule", rule(""), affinityState{}},
		{"NONE as the filter names it", rule("NONE"), affinityState{}},
		{"never drops vmstores", rule(tintri.AffinityNever, "b"), affinityState{Rule: tintri.AffinityNever}},
		{"exclude sorted and distinct", rule(tintri.AffinityExcludeDatastores, "b", "a", "b"),
			affinityState{Rule: tintri.AffinityExcludeDatastores, VMstores: []string{"a", "b"}}},
	} {
		if diff := cmp.Diff(tc.want, normalizeAffinity(tc.in)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestVMAffinityClear: rule = "clear" removes the rules of the selected VMs that have one
// (one PUT with an empty rule each, planned as deletes), leaves the others alone, and a
// second apply writes nothing.
func TestVMAffinityClear(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 40, Seed: 6})
	c := simClient(t, s)
	stores := s.VMstores()
	set := map[string]tintri.VirtualMachineAffinityRule{
		"sql-prod-01": {TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityNever},
		"sql-prod-02": {TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityExcludeDatastores, VmstoreTintriUuids: []string{stores[1].UUID.UUID}},
		"web-001":     {TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityNever}, // not selected: kept
	}
	for name, rule := range set {
		vm, ok := s.VMByName(name)
		if !ok {
			t.Fatalf("sim has no VM %s", name)
		}
		if err := c.SetVMAffinity(context.Background(), vm.ID(), rule); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, s, `
  task "vm_affinity" "clear" {
    server     = server.tgc
    name_regex = "^sql-prod-"
    rule       = "clear"
  }`, nil)
	s.ResetCounters()
	tp := h.plan()
	var got []string
	for _, ch := range tp.Changes {
		got = append(got, fmt.Sprintf("%s %s: %s", ch.Action, ch.Object, ch.Summary))
	}
	want := []string{
		"update vm sql-prod-01: affinity NEVER → none",
		// A VMstore the configuration does not name is shown by its alias, not its uuid.
		"update vm sql-prod-02: affinity EXCLUDE_DATASTORES(vmstore-1) → none",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/vm/{id}/affinity": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	rules := simRules(s)
	for name, want := range map[string]string{"sql-prod-01": "none", "sql-prod-02": "none", "web-001": tintri.AffinityNever} {
		if rules[name] != want {
			t.Errorf("vm %s: rule %s, want %s", name, rules[name], want)
		}
	}
	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan has changes: %+v", tp.Changes)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

// sortedAliases returns the display names of stores i and j ordered by uuid, as
// showAffinity prints them: the hostname for store 0 (given by hostname in the task), the
// alias for store 2.
func sortedAliases(stores []tintri.VmStore, i, j int) []string {
	a, b := stores[i], stores[j]
	an, bn := a.Hostname, b.LocalAlias
	if a.UUID.UUID > b.UUID.UUID {
		return []string{bn, an}
	}
	return []string{an, bn}
}

func TestVMAffinityUnionAndServiceGroup(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 2})
	h := newHarness(t, s, `
  task "vm_affinity" "mix" {
    server        = server.tgc
    service_group = "Web Tier"
    name_regex    = "^sql-prod-0[12]$"
    vms_csv       = "vms.csv"
    vms           = ["exch-01", "ghost"]
    exclude_names = ["web-005"]
    rule          = "never"
  }`, map[string]string{"vms.csv": readTestdata(t, "affinity/vms.csv")})
	tp := h.plan()
	var got []string
	for _, ch := range tp.Changes {
		got = append(got, ch.Object)
	}
	want := []string{"vm dev-001", "vm exch-01", "vm sql-prod-01", "vm sql-prod-02", "vm web-001", "vm web-002", "vm web-003", "vm web-004"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`VM "ghost" (vms) not found on tgc`}, tp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	// Pointing at the vms attribute of the job file.
	if len(tp.Coded) != 1 || tp.Coded[0].Code != plan.WarnUnknownVM || tp.Coded[0].File != "job.hcl" || tp.Coded[0].Line == 0 {
		t.Errorf("coded warnings %+v, want the unknown VM at the line of vms in job.hcl", tp.Coded)
	}
	goldenJSON(t, "affinity/plan.golden.json", tp)
}

func TestVMAffinityPlanOnlyListsTenThousandVMs(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 VMs")
	}
	s := startSim(t, sim.Options{VMs: 10000, Seed: 1})
	h := newHarness(t, s, `
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = "clear"
  }`, nil)
	s.ResetCounters()
	tp := h.plan()
	if len(tp.Changes) != 0 || tp.UnchangedCount != 10000 || len(tp.Unchanged) != plan.MaxUnchangedListed {
		t.Fatalf("plan: %d changes, %d unchanged of which %d named; want 0 and 10000, %d named",
			len(tp.Changes), tp.UnchangedCount, len(tp.Unchanged), plan.MaxUnchangedListed)
	}
	got := map[string]int64{}
	for _, c := range s.Counts() {
		if !strings.HasPrefix(c.Path, "/api/v310/session/") && c.Path != "/api/info" {
			got[c.Server+" "+c.Method+" "+c.Path] += c.N
		}
	}
	// 10,000 VMs in pages of the default 2,000: five listing requests, nothing per VM.
	if diff := cmp.Diff(map[string]int64{"tgc GET /api/v310/vm": 5}, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// plan -detail names every one
	h.Engine.ListUnchanged = true
	if tp := h.plan(); tp.UnchangedCount != 10000 || len(tp.Unchanged) != 10000 {
		t.Errorf("with ListUnchanged: %d unchanged, %d named; want 10000 named", tp.UnchangedCount, len(tp.Unchanged))
	}
}

func TestVMAffinityDecodeErrors(t *testing.T) {
	l := taskLine
	head := "\n  task \"vm_affinity\" \"t\" {\n    server = server.tgc\n" // task lines 1-3
	cases := []struct {
		name, body string // body starts on task line 4
		files      map[string]string
		want       []string
	}{
		{"no selection", "    rule = \"never\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Missing VM selection: Select VMs with at least one of name_contains, name_regex, name_glob, service_group, vms and vms_csv.`, l(2))}},
		{"bad rule", "    name_contains = \"vdi\"\n    rule = \"always\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid rule: The rule attribute must be one of "never", "exclude_vmstores", "clear", not "always".`, l(5))}},
		{"missing rule", "    name_contains = \"vdi\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Missing required argument: The argument "rule" is required, but no definition was found.`, l(2))}},
		{"bad regex", "    name_regex = \"vdi-(\"\n    rule = \"never\"\n", nil, []string{
			fmt.Sprintf("job.hcl:%d: Invalid name_regex: The name_regex attribute is not a valid regular expression: error parsing regexp: missing closing ): `vdi-(`.", l(4))}},
		{"bad glob", "    name_glob = \"vdi-[\"\n    rule = \"never\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid name_glob: The name_glob attribute "vdi-[" is not a valid glob pattern (path.Match syntax).`, l(4))}},
		{"empty contains", "    name_contains = \"\"\n    rule = \"never\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid name_contains: The name_contains attribute must not be empty: it would select every VM.`, l(4))}},
		{"bad exclude glob", "    name_contains = \"vdi\"\n    exclude_names = [\"ok\", \"x[\"]\n    rule = \"never\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid exclude_names: The exclude_names entry "x[" is not a valid glob pattern (path.Match syntax); write \[ to match a literal [.`, l(5))}},
		{"exclude_vmstores missing", "    name_contains = \"vdi\"\n    rule = \"exclude_vmstores\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Missing exclude_vmstores: The rule "exclude_vmstores" needs exclude_vmstores: the VMstores the VMs must not move to.`, l(5))}},
		{"exclude_vmstores unexpected", "    name_contains = \"vdi\"\n    rule = \"never\"\n    exclude_vmstores = [\"vmstore-1\"]\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Unexpected exclude_vmstores: The exclude_vmstores attribute only goes with rule = "exclude_vmstores"; this rule is "never".`, l(6))}},
		{"exclude_vmstores empty", "    name_contains = \"vdi\"\n    rule = \"exclude_vmstores\"\n    exclude_vmstores = []\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Empty exclude_vmstores: The exclude_vmstores attribute must list at least one VMstore.`, l(6))}},
		{"vms not a list", "    vms = \"vdi-0001\"\n    rule = \"never\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid vms: The vms attribute must be a list of strings, not "vdi-0001".`, l(4))}},
		{"allow_empty not bool", "    name_contains = \"vdi\"\n    rule = \"never\"\n    allow_empty = \"maybe\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid allow_empty: The allow_empty attribute must be true or false, not "maybe".`, l(6))}},
		{"csv with commented header and malformed line", "    vms_csv = \"v.csv\"\n    vms_csv_column = \"Guest\"\n    rule = \"never\"\n",
			map[string]string{"v.csv": "# export\nHost,Guest\nh1,vdi-0001\nh2,\"vdi-0002\"x\n"}, []string{
				`v.csv:4: Invalid VM list: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "h2,\"vdi-0002\"x".`}},
		{"unknown attribute", "    name_contains = \"vdi\"\n    rule = \"never\"\n    name_prefix = \"v\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Unsupported argument: An argument named "name_prefix" is not expected here.`, l(6))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := diagLines(decodeTask(t, head+c.body+"  }", c.files))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVMAffinityPlanErrors(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 30, Seed: 4})
	old := startSim(t, sim.Options{VMs: 5, TGCVersion: "v310.41"})
	cases := []struct {
		name string
		s    *sim.Sim
		task string
		want string
	}{
		{"unknown vmstore", s, `
  task "vm_affinity" "t" {
    server           = server.tgc
    name_contains    = "vdi"
    rule             = "exclude_vmstores"
    exclude_vmstores = ["vmstore-7"]
  }`, `server tgc: vmstore "vmstore-7" not found among the TGC's VMstores (did you mean "vmstore-0", "vmstore-1", "vmstore-2"?)`},
		{"empty selection", s, `
  task "vm_affinity" "t" {
    server        = server.tgc
    name_contains = "oracle"
    rule          = "never"
  }`, `server tgc: no VM matches the selection (set allow_empty = true if that is expected)`},
		{"unknown group", s, `
  task "vm_affinity" "t" {
    server        = server.tgc
    service_group = "web tier"
    rule          = "never"
  }`, `server tgc: service group "web tier" not found (did you mean "Web Tier"?)`},
		{"old tgc", old, `
  task "vm_affinity" "t" {
    server        = server.tgc
    name_contains = "vdi"
    rule          = "never"
  }`, fmt.Sprintf("server tgc: vm affinity: %s: api version v310.41 is older than the required v310.51: unsupported by this server",
			strings.TrimPrefix(old.TGCURL(), "https://"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, c.s, c.task, nil)
			c.s.ResetCounters()
			got := h.planErr()
			if got != c.want {
				t.Errorf("plan error:\n got %s\nwant %s", got, c.want)
			}
			if w := c.s.Writes(); w != 0 {
				t.Errorf("%d writes", w)
			}
		})
	}
	t.Run("allow_empty", func(t *testing.T) {
		h := newHarness(t, s, `
  task "vm_affinity" "t" {
    server        = server.tgc
    name_contains = "oracle"
    rule          = "never"
    allow_empty   = true
  }`, nil)
		if tp := h.plan(); len(tp.Changes) != 0 || len(tp.Unchanged) != 0 {
			t.Errorf("plan = %+v, want empty", tp)
		}
	})
}

// BenchmarkVMAffinityPlan measures a plan over 10,000 and 160,000 VMs that are all right:
// one paged listing, no request per VM, and memory bounded by the pages in flight and the
// claims rather than by the VMs (profile it with -memprofile). The simulator shares the
// process: its CPU and allocations are counted too.
func BenchmarkVMAffinityPlan(b *testing.B) {
	for _, n := range []int{10000, 160000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s := startSim(b, sim.Options{VMs: n, VMstores: 4, Seed: 1})
			h := newHarness(b, s, `
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = "clear"
  }`, nil)
			b.ReportAllocs()
			for b.Loop() {
				if tp := h.plan(); tp.UnchangedCount != n {
					b.Fatalf("%d unchanged", tp.UnchangedCount)
				}
			}
		})
	}
}

// TestVMAffinityApplyReadsRulesInOneListing: an apply of affinityListAt changes or more
// reads the rules it replaces in one listing, not one GET per VM, and still leaves alone a
// rule already as planned and refuses one changed since the plan as stale.
func TestVMAffinityApplyReadsRulesInOneListing(t *testing.T) {
	s := startSim(t, sim.Options{VMs: affinityListAt + 100, Seed: 1})
	h := newHarness(t, s, `
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = "never"
  }`, nil)
	p, tp, errText := h.runPlan()
	if errText != "" || len(tp.Changes) != affinityListAt+100 {
		t.Fatalf("plan: %s, %d changes", errText, len(tp.Changes))
	}
	c, ctx := simClient(t, s), context.Background()
	vms := s.VMs()
	if err := c.SetVMAffinity(ctx, vms[0].ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever}); err != nil {
		t.Fatal(err)
	}
	stores := s.VMstores()
	if err := c.SetVMAffinity(ctx, vms[1].ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityExcludeDatastores,
		VmstoreTintriUuids: []string{stores[0].UUID.UUID}}); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()
	res, err := h.Engine.Apply(ctx, p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Tasks[0]
	if tr.Changed != affinityListAt+99 || tr.Failed != 1 || !strings.Contains(tr.Errors[0].Error, "stale") || tr.Errors[0].Object != "vm "+vms[1].Name() {
		t.Errorf("apply: %d changed, %d failed %+v; want %d changed and %s stale", tr.Changed, tr.Failed, tr.Errors, affinityListAt+99, vms[1].Name())
	}
	got := map[string]int64{}
	for _, c := range s.Counts() {
		if c.Path == "/api/v310/vm" || c.Path == "/api/v310/vm/{id}" || c.Path == "/api/v310/vm/{id}/affinity" {
			got[c.Method+" "+c.Path] += c.N
		}
	}
	want := map[string]int64{"GET /api/v310/vm": 1, "PUT /api/v310/vm/{id}/affinity": affinityListAt + 98}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("apply requests (-want +got):\n%s", diff)
	}
}
