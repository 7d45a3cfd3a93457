package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// The behaviours a storage team relies on across kinds (issue 10): conflicts between
// tasks, ownership in mode exact, object counts, no partial applies after refusals.

// planAll plans every job of h and fails the test on a write or a plan error.
func planAll(t *testing.T, h *harness) *plan.Plan {
	t.Helper()
	before := h.Sim.Writes()
	p, err := h.Engine.Plan(context.Background(), engine.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if w := h.Sim.Writes() - before; w != 0 {
		t.Fatalf("plan made %d writes", w)
	}
	return p
}

// entry returns the plan of task name of job "test".
func entry(t *testing.T, p *plan.Plan, name string) plan.TaskEntry {
	t.Helper()
	for _, jp := range p.Jobs {
		for _, te := range jp.Tasks {
			if te.Name == name {
				return te
			}
		}
	}
	t.Fatalf("no task %s in the plan", name)
	return plan.TaskEntry{}
}

// affinityOf returns the sim's affinity rule of the VM named name ("" for none).
func affinityOf(t *testing.T, s *sim.Sim, name string) string {
	t.Helper()
	vm, ok := s.VMByName(name)
	if !ok {
		t.Fatalf("no VM %s", name)
	}
	return normalizeAffinity(vm.AffinityRule).Rule
}

// TestConflictingTasksNeverFlipFlop: two tasks that want different rules for exch-01 are
// a conflict: both report it with the other's file and line, neither writes exch-01, and
// repeated applies leave it alone (before, it flip-flopped NEVER / none on every apply).
func TestConflictingTasksNeverFlipFlop(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `
  task "vm_affinity" "by-name" {
    server        = server.tgc
    name_contains = "exch-"
    rule          = "never"
  }
  task "vm_affinity" "clear-exch-01" {
    server = server.tgc
    vms    = ["exch-01"]
    rule   = "clear"
  }`, nil)
	p := planAll(t, h)
	byName, clear := entry(t, p, "by-name"), entry(t, p, "clear-exch-01")
	for _, te := range []plan.TaskEntry{byName, clear} {
		if len(te.Failed) != 1 || !strings.HasPrefix(te.Failed[0].Object, "tgc/vm/") {
			t.Fatalf("task %s: failures %+v, want one conflict on exch-01's affinity", te.Name, te.Failed)
		}
		for _, c := range te.Changes {
			if c.Object == "vm exch-01" {
				t.Errorf("task %s still plans %s", te.Name, c.Summary)
			}
		}
	}
	msg := byName.Failed[0].Error
	for _, want := range []string{`task test.by-name (job.hcl:`, `wants {"rule":"NEVER"}`, `task test.clear-exch-01 (job.hcl:`,
		`wants {"rule":""}`, "neither is applied"} {
		if !strings.Contains(msg, want) {
			t.Errorf("conflict message lacks %q:\n%s", want, msg)
		}
	}
	if _, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{}); !errors.Is(err, engine.ErrPartialPlan) || s.Writes() != 0 {
		t.Fatalf("apply of a plan with a conflict: %v, %d writes; want a refusal and none", err, s.Writes())
	}
	// Applied anyway, three times: exch-01 is never written, the other exch VMs once.
	applyAll := func() {
		t.Helper()
		if _, err := h.Engine.Apply(context.Background(), planAll(t, h), engine.ApplyOptions{AllowPartial: true}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		applyAll()
		if got := affinityOf(t, s, "exch-01"); got != "" {
			t.Fatalf("exch-01 was set to %s", got)
		}
	}
	if got := affinityOf(t, s, "exch-02"); got != tintri.AffinityNever {
		t.Errorf("exch-02 (no conflict) = %q, want NEVER", got)
	}
	s.ResetCounters()
	applyAll()
	if w := s.Writes(); w != 0 {
		t.Errorf("a further apply made %d writes: the tasks flip-flop", w)
	}
}

// TestTasksAgreeingAreNoConflict: two tasks that want the same rule for a VM do not
// conflict, also when they are in different jobs.
func TestTasksAgreeingAreNoConflict(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	files := map[string]string{"job.hcl": jobSource(s, `
  task "vm_affinity" "by-name" {
    server        = server.tgc
    name_contains = "exch-"
    rule          = "never"
  }
}
job "other" {
  task "vm_affinity" "exch-01" {
    server = server.tgc
    vms    = ["exch-01"]
    rule   = "never"
  }`)}
	h := loadHarness(t, s, files)
	p := planAll(t, h)
	if n := p.Failures(); n != 0 {
		t.Fatalf("%d failures: %+v", n, p.Jobs)
	}
	if _, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := affinityOf(t, s, "exch-01"); got != tintri.AffinityNever {
		t.Errorf("exch-01 = %q, want NEVER", got)
	}
}

// TestAffinityExactOwnsItsRule: in mode exact a task clears its rule from the VMs of its
// scope it no longer selects — a VM that left the service group — and leaves the VMs
// outside the scope alone.
func TestAffinityExactOwnsItsRule(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	c := simClient(t, s)
	ctx := context.Background()
	outside, _ := s.VMByName("exch-01")
	if err := c.SetVMAffinity(ctx, outside.ID(), tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityNever}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s, `task "vm_affinity" "vdi-stay" {
    server        = server.tgc
    service_group = "VDI"
    rule          = "never"
    mode          = "exact"
    scope {
      name_contains = "vdi-"
    }
  }`, nil)
	h.apply()
	if got := affinityOf(t, s, "vdi-0003"); got != tintri.AffinityNever {
		t.Fatalf("member vdi-0003 = %q, want NEVER", got)
	}
	// vdi-0003 leaves the group.
	var group tintri.ServiceGroup
	for _, g := range s.ServiceGroups() {
		if g.Name == "VDI" {
			group = g
		}
	}
	leaver, _ := s.VMByName("vdi-0003")
	if err := c.UpdateServiceGroupStaticMembers(ctx, group.ID(), tintri.CollectionChangeRequest{ObjectIdsRemoved: []string{leaver.ID()}}); err != nil {
		t.Fatal(err)
	}
	tp := h.plan()
	var got []string
	for _, ch := range tp.Changes {
		got = append(got, fmt.Sprintf("%s %s: %s", ch.Action, ch.Object, ch.Summary))
	}
	if diff := cmp.Diff([]string{"update vm vdi-0003: affinity NEVER → none"}, got); diff != "" {
		t.Errorf("plan after vdi-0003 left the group (-want +got):\n%s", diff)
	}
	h.apply()
	if got := affinityOf(t, s, "vdi-0003"); got != "" {
		t.Errorf("vdi-0003 kept %q after leaving the group", got)
	}
	if got := affinityOf(t, s, "exch-01"); got != tintri.AffinityNever {
		t.Errorf("exch-01, outside the scope, = %q, want its own NEVER kept", got)
	}
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("third plan: %d changes", len(tp.Changes))
	}
}

// TestMaxChangesCountsObjects: max_changes counts members, not change records: an exact
// import that removes 9 members is refused under max_changes = 5.
func TestMaxChangesCountsObjects(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `task "service_group_members" "vdi" {
    server        = server.tgc
    service_group = "VDI"
    vms           = ["vdi-0001"]
    mode          = "exact"
    max_changes   = 5
  }`, nil)
	tp := h.plan()
	if len(tp.Changes) != 1 || tp.Changes[0].Objects != 9 {
		t.Fatalf("plan: %+v, want one change of 9 objects", tp.Changes)
	}
	if msg := h.applyErr(); msg != "task test.vdi: the plan affects 9 objects, more than its max_changes = 5: nothing applied" {
		t.Errorf("apply: %q", msg)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("%d writes", w)
	}
}

// TestDataIPExactWithMissingRowsIsRefused: an exact data IP file with rows for 1 of 3
// VMstores refuses the 2 others, and the apply changes nothing at all: not even the data
// IPs of the VMstore the file lists (it used to remove them).
func TestDataIPExactWithMissingRowsIsRefused(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "data_ip" "lab" {
    fleet = fleet.lab
    mode  = "exact"
    csv   = "dataips.csv"
  }`, map[string]string{"dataips.csv": "vmstore,ip,prefix,gateway,vlan_id,jumbo_frames\nvmstore-0,198.51.100.20,24,198.51.100.1,100,true\n"})
	tp := h.plan()
	if len(tp.Failed) != 2 || len(tp.Changes) != 1 {
		t.Fatalf("plan: %d changes, failures %+v; want 1 and 2", len(tp.Changes), tp.Failed)
	}
	if msg := h.applyErr(); !strings.Contains(msg, "2 target(s) of the plan failed, were refused or are in conflict: nothing applied") {
		t.Errorf("apply: %q", msg)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("%d writes after a refused plan", w)
	}
}

// TestExcludedNamesAreNotUnknown: a listed VM that exclude_names removes exists; it is not
// reported as not found. A listed name that does exist nowhere is, with the closest names.
func TestExcludedNamesAreNotUnknown(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `task "vm_affinity" "vdi" {
    server        = server.tgc
    vms           = ["vdi-0011", "vdi-0002", "vdi-002"]
    exclude_names = ["vdi-001*"]
    rule          = "never"
  }`, nil)
	tp := h.plan()
	want := []string{`VM "vdi-002" (vms) not found on tgc (did you mean "vdi-0002", "vdi-0012", "vdi-0020"?)`}
	if diff := cmp.Diff(want, tp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"1 VM selected"}, tp.Info); diff != "" {
		t.Errorf("info (-want +got):\n%s", diff)
	}
}

// TestApplyErrorNamesEachOnce: a failed change's text names its server and object once.
func TestApplyErrorNamesEachOnce(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `task "vm_affinity" "one" {
    server = server.tgc
    vms    = ["vdi-0005"]
    rule   = "never"
  }`, nil)
	p := planAll(t, h)
	if p.Failures() != 0 || p.Changes() != 1 {
		t.Fatalf("plan: %+v", p.Jobs)
	}
	s.FailNextMatching("tgc", "PUT", "/api/v310/vm/", 4, 500)
	res, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := res.Tasks[0].Errors[0]
	text := f.String()
	if !strings.HasPrefix(text, "tgc vm vdi-0005: set affinity: ") || strings.Count(text, "vdi-0005") != 1 ||
		strings.Contains(text, "tgc tgc") {
		t.Errorf("failure %q", text)
	}
}

// TestDNSServerCanBeRemoved: secondary = "" and tertiary = null remove those DNS servers;
// the primary cannot be removed.
func TestDNSServerCanBeRemoved(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 2, VMs: 4, Seed: 1})
	h := newHarness(t, s, `task "appliance_dns" "dns" {
    fleet     = fleet.lab
    secondary = ""
    tertiary  = null
  }`, nil)
	tp := h.plan()
	if len(tp.Changes) != 2 || tp.Changes[0].Details[0] != "~ secondary: 198.51.100.53 → (unset)" {
		t.Fatalf("plan: %+v", tp.Changes)
	}
	h.apply()
	for _, n := range []string{"vmstore-0", "vmstore-1"} {
		if d := s.Appliance(n).DNSConfig; d.DNSSecondary != "" || d.DNSTertiary != "" || d.DNSPrimary != "192.0.2.53" {
			t.Errorf("%s dns = %+v, want the primary alone", n, d)
		}
	}
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan: %+v", tp.Changes)
	}
	diags := decodeTask(t, `task "appliance_dns" "dns" {
    fleet   = fleet.lab
    primary = ""
  }`, nil)
	want := []string{applianceAt(3, "Invalid primary: The primary DNS server cannot be removed: an appliance needs one. Leave primary unset to keep each VMstore's.")}
	if diff := cmp.Diff(want, diagLines(diags)); diff != "" {
		t.Errorf("primary = \"\" (-want +got):\n%s", diff)
	}
}

// TestMaintenanceDurationChange: an enabled window whose length is not the configured
// duration is started again for that duration; the plan says when the current one ends.
func TestMaintenanceDurationChange(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1})
	on := func(d string) *harness {
		h := newHarness(t, s, `task "maintenance_mode" "on" {
    fleet    = fleet.lab
    enabled  = true
    duration = "`+d+`"
  }`, nil)
		h.Engine.Now = func() time.Time { return maintenanceClock }
		return h
	}
	on("2h").apply()
	h := on("6h")
	tp := h.plan()
	if len(tp.Changes) != 1 {
		t.Fatalf("plan after the duration changed: %+v", tp)
	}
	ch := tp.Changes[0]
	wantDetails := []string{"~ duration: 2h → 6h", "the current window ends 2026-03-15T00:00:00.000+0000; the new one starts at apply time"}
	if ch.Summary != "restart the maintenance window for 6h" || !cmp.Equal(wantDetails, ch.Details) {
		t.Errorf("change %q %q", ch.Summary, ch.Details)
	}
	h.apply()
	mm := s.Appliance("vmstore-0").MaintenanceMode
	if mm.EndTime != "2026-03-15T04:00:00.000+0000" {
		t.Errorf("window after apply: %+v, want it to end 6h after the apply", mm)
	}
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan: %+v", tp.Changes)
	}
}

// TestQoSMinimumOptional: a task may set only the maximum; the minimum is then the system
// default (0).
func TestQoSMinimumOptional(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `task "service_group_qos" "cap" {
    server              = server.tgc
    service_group       = "SQL Production"
    max_normalized_iops = 5000
  }`, nil)
	tp := h.plan()
	if len(tp.Changes) != 1 || !strings.HasPrefix(tp.Changes[0].Summary, "set qos min default → default, max default → 5000") {
		t.Fatalf("plan: %+v", tp.Changes)
	}
	h.apply()
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan: %+v", tp.Changes)
	}
}
