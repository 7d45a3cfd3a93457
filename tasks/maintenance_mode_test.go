package tasks

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// maintenanceClock is the fixed apply time of the maintenance tests.
var maintenanceClock = time.Date(2026, 3, 14, 22, 0, 0, 0, time.UTC)

func TestMaintenanceModeEnableDisable(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	keys := applianceKeys(t, s)
	h := newHarness(t, s, `task "maintenance_mode" "on" {
    fleet    = fleet.lab
    enabled  = true
    duration = "2h"
  }`, nil)
	h.Engine.Now = func() time.Time { return maintenanceClock }
	others := func() map[string]tintri.Appliance {
		return appliancesWithout(s, func(a *tintri.Appliance) { a.MaintenanceMode = nil })
	}
	before := others()

	s.ResetCounters()
	tp := h.plan()
	var want []plan.Change
	for i, k := range keys {
		want = append(want, plan.Change{
			Server: k, Object: fmt.Sprintf("maintenance mode of vmstore-%d", i), ID: k + "/maintenanceMode", Action: plan.ActionUpdate,
			Summary:   "enable maintenance mode for 2h",
			Before:    plan.MustJSON(maintenanceState{}),
			After:     plan.MustJSON(maintenanceState{Enabled: true, Duration: "2h0m0s"}),
			Addresses: []string{"vmstore/" + k + "/maintenance"},
		})
	}
	if diff := cmp.Diff(want, tp.Changes); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 3}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	wantMM := &tintri.ApplianceMaintenanceMode{
		TypeID: tintri.TypeApplianceMaintenanceMode, IsEnabled: true,
		StartTime: "2026-03-14T22:00:00.000+0000", EndTime: "2026-03-15T00:00:00.000+0000",
	}
	for _, name := range []string{"vmstore-0", "vmstore-1", "vmstore-2"} {
		if diff := cmp.Diff(wantMM, s.Appliance(name).MaintenanceMode); diff != "" {
			t.Errorf("%s maintenance (-want +got):\n%s", name, diff)
		}
	}
	if diff := cmp.Diff(before, others()); diff != "" {
		t.Errorf("appliances besides maintenanceMode changed (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan has %d changes", len(tp.Changes))
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}

	off := newHarness(t, s, `task "maintenance_mode" "off" {
    servers = [server.vmstore0, server.vmstore2]
    enabled = false
  }`, nil)
	s.ResetCounters()
	tp = off.plan()
	if len(tp.Changes) != 2 || tp.Changes[0].Summary != "disable maintenance mode" {
		t.Fatalf("disable plan = %+v", tp.Changes)
	}
	off.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	offMM := &tintri.ApplianceMaintenanceMode{TypeID: tintri.TypeApplianceMaintenanceMode}
	if diff := cmp.Diff(offMM, s.Appliance("vmstore-2").MaintenanceMode); diff != "" {
		t.Errorf("vmstore-2 maintenance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMM, s.Appliance("vmstore-1").MaintenanceMode); diff != "" {
		t.Errorf("vmstore-1 (not a target) maintenance (-want +got):\n%s", diff)
	}
}

func TestMaintenanceModeDefaultDuration(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 2, VMs: 4, Seed: 1})
	h := newHarness(t, s, `task "maintenance_mode" "on" {
    servers = [server.vmstore1]
    enabled = true
  }`, nil)
	h.Engine.Now = func() time.Time { return maintenanceClock }
	if tp := h.plan(); len(tp.Changes) != 1 || tp.Changes[0].Summary != "enable maintenance mode for 6h" {
		t.Fatalf("plan = %+v", tp.Changes)
	}
	h.apply()
	mm := s.Appliance("vmstore-1").MaintenanceMode
	if mm.StartTime != "2026-03-14T22:00:00.000+0000" || mm.EndTime != "2026-03-15T04:00:00.000+0000" {
		t.Errorf("window = %s .. %s; want 6h from the apply clock", mm.StartTime, mm.EndTime)
	}
}

func TestMaintenanceModeBadInputs(t *testing.T) {
	runApplianceBadInputs(t, []applianceBadInput{
		{name: "duration when disabling", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = false
    duration = "2h"
  }`, want: []string{applianceAt(4, "Duration without maintenance: duration sets the length of the maintenance window and is only allowed with enabled = true.")}},
		{name: "not a duration", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = true
    duration = "two hours"
  }`, want: []string{applianceAt(4, `Invalid duration: The duration attribute must be a duration such as "30s", "10m" or "1h30m", not "two hours".`)}},
		{name: "days unit", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = true
    duration = "1d"
  }`, want: []string{applianceAt(4, `Invalid duration: The duration attribute must be a duration such as "30s", "10m" or "1h30m", not "1d".`)}},
		{name: "number without unit", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = true
    duration = 6
  }`, want: []string{applianceAt(4, `Invalid duration: The duration attribute must be a duration such as "30s", "10m" or "1h30m", not "6".`)}},
		{name: "too short", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = true
    duration = "30s"
  }`, want: []string{applianceAt(4, `Duration too short: The maintenance window must last at least 1m, not "30s".`)}},
		{name: "negative", task: `task "maintenance_mode" "x" {
    fleet    = fleet.lab
    enabled  = true
    duration = "-1h"
  }`, want: []string{applianceAt(4, `Invalid duration: The duration attribute must be a duration such as "30s", "10m" or "1h30m", not "-1h".`)}},
		{name: "enabled missing", task: `task "maintenance_mode" "x" {
    fleet = fleet.lab
  }`, want: []string{applianceAt(1, `Missing required argument: The argument "enabled" is required, but no definition was found.`)}},
		{name: "enabled not a bool", task: `task "maintenance_mode" "x" {
    fleet   = fleet.lab
    enabled = "maybe"
  }`, want: []string{applianceAt(3, `Invalid enabled: The enabled attribute must be true or false, not "maybe".`)}},
		{name: "unknown attribute", task: `task "maintenance_mode" "x" {
    fleet   = fleet.lab
    enabled = true
    until   = "2026-01-01"
  }`, want: []string{applianceAt(4, `Unsupported argument: An argument named "until" is not expected here.`)}},
		{name: "unknown fleet", task: `task "maintenance_mode" "x" {
    fleet   = fleet.labs
    enabled = true
  }`, want: []string{applianceAt(2, `Reference to undeclared fleet: No fleet block is named "labs" (did you mean "lab"?).`)}},
	})
}
