package tasks

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// qosSQLTask sets the QoS of the sim's "SQL Production" group to 500…5000.
const qosSQLTask = `task "service_group_qos" "sql" {
    server              = server.tgc
    service_group       = "SQL Production"
    min_normalized_iops = 500
    max_normalized_iops = 5000
  }`

// qosGroup returns the sim's service group named name.
func qosGroup(t *testing.T, s *sim.Sim, name string) tintri.ServiceGroup {
	t.Helper()
	for _, g := range s.ServiceGroups() {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("sim has no service group %q", name)
	return tintri.ServiceGroup{}
}

func TestServiceGroupQoSPlanApply(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 2, VMs: 60, Seed: 1})
	g := qosGroup(t, s, "SQL Production")
	members := s.ServiceGroupMembers("SQL Production")
	if g.MemberCount != len(members) || len(members) == 0 {
		t.Fatalf("sim group SQL Production has no members: %+v", g)
	}
	h := newHarness(t, s, qosSQLTask, nil)

	s.ResetCounters()
	tp := h.plan()
	want := &plan.TaskPlan{
		Changes: []plan.Change{{
			Server: "tgc", Object: "service group SQL Production", ID: g.ID(), Action: plan.ActionUpdate,
			Summary:   fmt.Sprintf("set qos min default → 500, max default → 5000 normalized IOPS and apply it to the %d members", len(members)),
			Before:    plan.MustJSON(qosState{MembersBehind: len(members)}),
			After:     plan.MustJSON(qosState{qosLimits: qosLimits{Min: 500, Max: 5000}}),
			Addresses: []string{"tgc/servicegroup/" + g.ID() + "/qos"},
			Objects:   len(members),
		}},
		Info:   []string{fmt.Sprintf("service group SQL Production: %d members affected", len(members))},
		Claims: map[string]string{"tgc/servicegroup/" + g.ID() + "/qos": `{"minNormalizedIops":500,"maxNormalizedIops":5000}`},
	}
	if diff := cmp.Diff(want, tp); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	h.apply()
	wantWrites := map[string]int64{
		"PUT /api/v310/servicegroup/{id}/qosConfig": 1,
		"POST /api/v310/servicegroup/{id}/qos":      1,
	}
	if diff := cmp.Diff(wantWrites, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	for _, m := range members {
		vm, ok := s.VMByName(m.MemberName)
		if !ok || vm.QosConfig == nil {
			t.Fatalf("member %s: no qos in the sim", m.MemberName)
		}
		if vm.QosConfig.MinNormalizedIops != 500 || vm.QosConfig.MaxNormalizedIops != 5000 {
			t.Errorf("member %s qos = %d..%d, want 500..5000", m.MemberName, vm.QosConfig.MinNormalizedIops, vm.QosConfig.MaxNormalizedIops)
		}
	}

	s.ResetCounters()
	tp = h.plan()
	if diff := cmp.Diff(&plan.TaskPlan{Changes: []plan.Change{}, Unchanged: []string{"service group SQL Production"}, UnchangedCount: 1,
		Claims: map[string]string{"tgc/servicegroup/" + g.ID() + "/qos": `{"minNormalizedIops":500,"maxNormalizedIops":5000}`}}, tp); diff != "" {
		t.Errorf("second plan (-want +got):\n%s", diff)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

// TestServiceGroupQoSFinishesPartialApply: when PUT qosConfig succeeded and POST qos did
// not, the group is right and its members are not. The next plan must see the members and
// plan only the POST; applying it puts every member right.
func TestServiceGroupQoSFinishesPartialApply(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 2, VMs: 60, Seed: 1})
	g := qosGroup(t, s, "SQL Production")
	members := s.ServiceGroupMembers("SQL Production")
	if len(members) < 2 {
		t.Fatalf("sim group SQL Production has %d members", len(members))
	}
	// The half-done apply: the group's qosConfig is set, nothing applied to the members.
	c := simClient(t, s)
	if err := c.SetServiceGroupQoS(context.Background(), g.ID(), tintri.VirtualMachineQoSConfig{
		TypeID: tintri.TypeQoSConfig, MinNormalizedIops: 500, MaxNormalizedIops: 5000,
	}); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s, qosSQLTask, nil)

	s.ResetCounters()
	tp := h.plan()
	n := len(members)
	want := &plan.TaskPlan{
		Changes: []plan.Change{{
			Server: "tgc", Object: "service group SQL Production", ID: g.ID(), Action: plan.ActionUpdate,
			Summary:   fmt.Sprintf("apply the group's qos (min 500, max 5000 normalized IOPS) to the %d of %d members whose qos differs", n, n),
			Before:    plan.MustJSON(qosState{qosLimits: qosLimits{Min: 500, Max: 5000}, MembersBehind: n}),
			After:     plan.MustJSON(qosState{qosLimits: qosLimits{Min: 500, Max: 5000}}),
			Addresses: []string{"tgc/servicegroup/" + g.ID() + "/qos"},
			Objects:   n,
		}},
		Info:   []string{fmt.Sprintf("service group SQL Production: %d members affected", n)},
		Claims: map[string]string{"tgc/servicegroup/" + g.ID() + "/qos": `{"minNormalizedIops":500,"maxNormalizedIops":5000}`},
	}
	if diff := cmp.Diff(want, tp); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"POST /api/v310/servicegroup/{id}/qos": 1}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	for _, m := range members {
		vm, _ := s.VMByName(m.MemberName)
		if vm.QosConfig == nil || vm.QosConfig.MinNormalizedIops != 500 || vm.QosConfig.MaxNormalizedIops != 5000 {
			t.Errorf("member %s qos = %+v, want 500..5000", m.MemberName, vm.QosConfig)
		}
	}

	s.ResetCounters()
	tp = h.plan()
	if diff := cmp.Diff(&plan.TaskPlan{Changes: []plan.Change{}, Unchanged: []string{"service group SQL Production"}, UnchangedCount: 1,
		Claims: map[string]string{"tgc/servicegroup/" + g.ID() + "/qos": `{"minNormalizedIops":500,"maxNormalizedIops":5000}`}}, tp); diff != "" {
		t.Errorf("plan after apply (-want +got):\n%s", diff)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}

	// A member whose QoS was changed by hand on its VMstore is found and put back.
	vm, _ := s.VMByName(members[0].MemberName)
	vc := simClientAt(t, s, "https://"+vm.VmstoreName) // a TGC VM's vmstoreName is its VMstore's host
	if err := vc.SetVMQoS(context.Background(), []string{vm.ID()}, tintri.VirtualMachineQoSConfig{
		TypeID: tintri.TypeQoSConfig, MinNormalizedIops: 100, MaxNormalizedIops: 200,
	}); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()
	tp = h.plan()
	if len(tp.Changes) != 1 || tp.Changes[0].Summary != fmt.Sprintf("apply the group's qos (min 500, max 5000 normalized IOPS) to the 1 of %d members whose qos differs", n) {
		t.Fatalf("plan after a hand change: %+v", tp)
	}
	h.apply()
	if diff := cmp.Diff(map[string]int64{"POST /api/v310/servicegroup/{id}/qos": 1}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if vm, _ = s.VMByName(members[0].MemberName); vm.QosConfig.MinNormalizedIops != 500 || vm.QosConfig.MaxNormalizedIops != 5000 {
		t.Errorf("member %s qos = %+v after apply", vm.Name(), vm.QosConfig)
	}
}

func TestServiceGroupQoSUnknownGroup(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 20, Seed: 1})
	h := newHarness(t, s, `task "service_group_qos" "sql" {
    server              = server.tgc
    service_group       = "SQL Prod"
    min_normalized_iops = 0
    max_normalized_iops = 100
  }`, nil)
	s.ResetCounters()
	msg := h.planErr()
	if !strings.HasSuffix(msg, `service group "SQL Prod" not found (did you mean "SQL Production"?)`) {
		t.Errorf("plan error = %q", msg)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("%d writes", w)
	}
}

// TestServiceGroupQoSWrongServerKind declares a VMstore's URL as a tgc server block: the
// task must refuse it before any write.
func TestServiceGroupQoSWrongServerKind(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 20, Seed: 1})
	src := strings.Replace(jobSource(s, `task "service_group_qos" "sql" {
    server              = server.fake
    service_group       = "SQL Production"
    min_normalized_iops = 0
    max_normalized_iops = 100
  }`), "job \"test\"", fmt.Sprintf(
		"server \"fake\" {\n  kind = \"tgc\"\n  url = %q\n  username = %q\n  password = env(\"TINTRI_PASSWORD\")\n  ca_file = %q\n}\n\njob \"test\"",
		s.VMstoreURLs()[0], s.Username(), s.CAFile()), 1)
	h := loadHarness(t, s, map[string]string{"job.hcl": src})
	s.ResetCounters()
	if msg := h.planErr(); !strings.Contains(msg, "unsupported by this server") || !strings.HasPrefix(msg, "server fake: ") {
		t.Errorf("plan error = %q", msg)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("%d writes", w)
	}
}

func TestServiceGroupQoSBadInputs(t *testing.T) {
	task := func(lines ...string) string {
		return "task \"service_group_qos\" \"x\" {\n" + strings.Join(lines, "\n") + "\n  }"
	}
	const (
		srv   = `    server              = server.tgc`
		group = `    service_group       = "SQL Production"`
		min   = `    min_normalized_iops = 100`
		max   = `    max_normalized_iops = 1000`
	)
	runApplianceBadInputs(t, []applianceBadInput{
		{name: "min above max", task: task(srv, group, `    min_normalized_iops = 2000`, max),
			want: []string{applianceAt(4, "Minimum IOPS above maximum: min_normalized_iops (2000) must not exceed max_normalized_iops (1000); set max_normalized_iops = 0 for no explicit maximum.")}},
		{name: "negative", task: task(srv, group, `    min_normalized_iops = -1`, max),
			want: []string{applianceAt(4, "Invalid min_normalized_iops: The min_normalized_iops attribute must be between 0 and 2147483647, not -1.")}},
		{name: "fraction", task: task(srv, group, min, `    max_normalized_iops = 1000.5`),
			want: []string{applianceAt(5, "Invalid max_normalized_iops: The max_normalized_iops attribute must be a whole number, not 1000.5.")}},
		{name: "above xsd:int", task: task(srv, group, min, `    max_normalized_iops = 3000000000`),
			want: []string{applianceAt(5, "Invalid max_normalized_iops: The max_normalized_iops attribute must be between 0 and 2147483647, not 3000000000.")}},
		{name: "not a number", task: task(srv, group, `    min_normalized_iops = "many"`, max),
			want: []string{applianceAt(4, `Invalid min_normalized_iops: The min_normalized_iops attribute must be a number, not "many".`)}},
		{name: "empty group", task: task(srv, `    service_group       = ""`, min, max),
			want: []string{applianceAt(3, "Invalid service_group: The service_group attribute must not be empty.")}},
		{name: "missing max", task: task(srv, group, min),
			want: []string{applianceAt(1, `Missing required argument: The argument "max_normalized_iops" is required, but no definition was found.`)}},
		{name: "vmstore server", task: task(`    server              = server.vmstore0`, group, min, max),
			want: []string{applianceAt(2, `Wrong server kind: Server "vmstore0" is a vmstore, but a tgc is required here.`)}},
		{name: "unknown attribute", task: task(srv, group, min, max, `    burst_iops          = 10`),
			want: []string{applianceAt(6, `Unsupported argument: An argument named "burst_iops" is not expected here.`)}},
	})
}
