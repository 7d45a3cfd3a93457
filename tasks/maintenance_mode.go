package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// maintenance_mode turns the maintenance mode of every VMstore of a fleet on or off:
//
//	task "maintenance_mode" "patch-window" {
//	  fleet    = fleet.lab        # or servers = [server.vmstore1, ...]
//	  enabled  = true
//	  duration = "6h"             # only with enabled = true; default 6h, as the appliance UI
//	}
//
// The plan compares isEnabled only: an enabled window is not extended. Enabling sets the
// window at apply time, from env.Now() to env.Now()+duration; disabling sends no times.
// The appliance's other maintenance settings (autoArchive, sendSnmpTrap, sendSummaryEmail)
// are sent back as they were read.

func init() {
	runner.Register("maintenance_mode", "Turns the maintenance mode of every VMstore of a fleet or a list of servers on or off.", buildMaintenanceMode)
}

// maintenanceMinDuration is the shortest window accepted: the appliance's times have no
// use for shorter windows and a seconds-long window is almost certainly a typo.
const maintenanceMinDuration = time.Minute

// maintenanceBody is the body of a maintenance_mode task. Duration's default is the
// appliance UI's default window.
type maintenanceBody struct {
	decode.Meta
	targetsBody
	Enabled  bool          `hcl:"enabled" doc:"Whether the VMstores should be in maintenance mode (true) or out of it (false)."`
	Duration time.Duration `hcl:"duration,optional" default:"6h" doc:"How long the maintenance window lasts from the apply, like \"6h\" or \"90m\" (at least 1m); only with enabled = true."`
}

// maintenanceState is what a maintenance change compares (Before) and applies (After).
// Duration is set in After of an enabling change only; the flags are the appliance's
// current settings, preserved.
type maintenanceState struct {
	Enabled          bool   `json:"isEnabled"`
	Duration         string `json:"duration,omitempty"`
	AutoArchive      bool   `json:"autoArchive,omitempty"`
	SendSnmpTrap     bool   `json:"sendSnmpTrap,omitempty"`
	SendSummaryEmail bool   `json:"sendSummaryEmail,omitempty"`
}

// maintenanceTask is a decoded maintenance_mode block.
type maintenanceTask struct {
	targets  runner.Targets
	enabled  bool
	duration time.Duration
}

func buildMaintenanceMode(dc *runner.DecodeContext, b *maintenanceBody) (runner.Task, hcl.Diagnostics) {
	t := &maintenanceTask{enabled: b.Enabled, duration: b.Duration}
	targets, diags := b.targets(dc)
	t.targets = targets
	if attr := b.Attr("duration"); attr != nil {
		switch {
		case !b.Enabled:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duration without maintenance",
				Detail:   "duration sets the length of the maintenance window and is only allowed with enabled = true.",
				Subject:  attr.NameRange.Ptr(),
			})
		case b.Duration < maintenanceMinDuration:
			written, _, _ := decode.String(attr, dc.Eval)
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duration too short",
				Detail:   fmt.Sprintf("The maintenance window must last at least %s, not %q.", maintenanceShowDuration(maintenanceMinDuration), written),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Plan reads every target's maintenance mode and plans a change for each VMstore whose
// isEnabled differs from the desired value.
func (t *maintenanceTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Reader) (*plan.Change, error) {
		cur, err := c.ApplianceMaintenanceMode(ctx)
		if err != nil {
			return nil, fmt.Errorf("read maintenance mode: %w", err)
		}
		if cur.IsEnabled == t.enabled {
			return nil, nil
		}
		before := maintenanceState{Enabled: cur.IsEnabled}
		after := maintenanceState{
			Enabled:          t.enabled,
			AutoArchive:      cur.AutoArchive,
			SendSnmpTrap:     cur.SendSnmpTrap,
			SendSummaryEmail: cur.SendSummaryEmail,
		}
		summary := "disable maintenance mode"
		if t.enabled {
			after.Duration = t.duration.String()
			summary = "enable maintenance mode for " + maintenanceShowDuration(t.duration)
		}
		return &plan.Change{
			Server:  key,
			Object:  "maintenance mode",
			ID:      key + "/maintenanceMode",
			Action:  plan.ActionUpdate,
			Summary: summary,
			Before:  plan.MustJSON(before),
			After:   plan.MustJSON(after),
		}, nil
	})
}

// Apply switches the change's VMstore into or out of maintenance mode. An enabling change
// starts the window now.
func (t *maintenanceTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var after maintenanceState
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("vmstore %s: decode planned maintenance mode: %w", ch.Server, err)
	}
	mm := &tintri.ApplianceMaintenanceMode{
		TypeID:           tintri.TypeApplianceMaintenanceMode,
		IsEnabled:        after.Enabled,
		AutoArchive:      after.AutoArchive,
		SendSnmpTrap:     after.SendSnmpTrap,
		SendSummaryEmail: after.SendSummaryEmail,
	}
	if after.Enabled {
		d, err := time.ParseDuration(after.Duration)
		if err != nil || d <= 0 {
			return fmt.Errorf("vmstore %s: planned maintenance duration %q is invalid", ch.Server, after.Duration)
		}
		start := env.Now()
		mm.StartTime = tintri.FormatTime(start)
		mm.EndTime = tintri.FormatTime(start.Add(d))
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	a := tintri.Appliance{TypeID: tintri.TypeAppliance, MaintenanceMode: mm}
	if err := c.UpdateAppliance(ctx, a, tintri.PropMaintenanceMode); err != nil {
		return fmt.Errorf("vmstore %s: update maintenance mode: %w", ch.Server, err)
	}
	return nil
}

// maintenanceShowDuration prints whole hours as "6h" rather than time's "6h0m0s".
func maintenanceShowDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
