package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// The plan compares isEnabled and, when enabled, the window's length with duration: a
// window of another length is started again (the plan shows when the current one ends).
// Enabling sets the window at apply time, from env.Now() to env.Now()+duration; disabling
// sends no times.
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
				Detail:   fmt.Sprintf("The maintenance window must last at least %s, not %q.", showDuration(maintenanceMinDuration), written),
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
// isEnabled differs from the desired value, or whose enabled window does not last the
// configured duration (it is started again for duration; the plan shows when the current
// one ends).
func (t *maintenanceTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Reader) (*targetPlan, error) {
		cur, err := c.ApplianceMaintenanceMode(ctx)
		if err != nil {
			return nil, fmt.Errorf("read maintenance mode: %w", err)
		}
		address := vmstoreAddress(c, "maintenance")
		r := &targetPlan{claims: map[string]any{address: maintenanceState{Enabled: t.enabled, Duration: t.showDuration()}}}
		summary, details := t.difference(cur)
		if summary == "" {
			return r, nil
		}
		before := maintenanceStateOf(cur)
		after := maintenanceState{
			Enabled:          t.enabled,
			AutoArchive:      cur.AutoArchive,
			SendSnmpTrap:     cur.SendSnmpTrap,
			SendSummaryEmail: cur.SendSummaryEmail,
		}
		if t.enabled {
			after.Duration = t.duration.String()
		}
		r.change = &plan.Change{
			Server:    key,
			Object:    "maintenance mode",
			ID:        key + "/maintenanceMode",
			Action:    plan.ActionUpdate,
			Summary:   summary,
			Before:    plan.MustJSON(before),
			After:     plan.MustJSON(after),
			Details:   details,
			Addresses: []string{address},
		}
		return r, nil
	})
}

// windowTolerance is how far an enabled window's length may be from the configured
// duration and still count as right (the appliance's times are to the second).
const windowTolerance = time.Minute

// difference says what differs between cur and the wanted mode: "" when nothing does, else
// the change's summary and details.
func (t *maintenanceTask) difference(cur *tintri.ApplianceMaintenanceMode) (string, []string) {
	return maintenanceDifference(cur, t.enabled, t.duration)
}

// maintenanceDifference says what differs between cur and maintenance mode enabled (for
// duration) or disabled: "" when nothing does, else a change's summary and details.
func maintenanceDifference(cur *tintri.ApplianceMaintenanceMode, enabled bool, duration time.Duration) (string, []string) {
	show := showDuration(duration)
	switch {
	case cur.IsEnabled != enabled && enabled:
		return "enable maintenance mode for " + show, nil
	case cur.IsEnabled != enabled:
		return "disable maintenance mode", nil
	case !enabled:
		return "", nil
	}
	length, ok := windowLength(cur)
	if ok && (length-duration).Abs() <= windowTolerance {
		return "", nil
	}
	details := []string{"~ duration: " + showDuration(length) + " → " + show}
	if !ok {
		details[0] = "~ duration: (no window) → " + show
	}
	if cur.EndTime != "" {
		details = append(details, "the current window ends "+cur.EndTime+"; the new one starts at apply time")
	}
	return "restart the maintenance window for " + show, details
}

// windowLength is the length of cur's window, when its times can be read.
func windowLength(cur *tintri.ApplianceMaintenanceMode) (time.Duration, bool) {
	start, err1 := tintri.ParseTime(cur.StartTime)
	end, err2 := tintri.ParseTime(cur.EndTime)
	if err1 != nil || err2 != nil || cur.StartTime == "" || cur.EndTime == "" {
		return 0, false
	}
	return end.Sub(start), true
}

// showDuration is the configured duration as people write it ("6h").
func (t *maintenanceTask) showDuration() string {
	if !t.enabled {
		return ""
	}
	return showDuration(t.duration)
}

// Apply switches the change's VMstore into or out of maintenance mode. An enabling change
// starts the window now. The mode is read again right before the write (guarded): one
// already as planned is left alone, one changed since the plan is stale.
func (t *maintenanceTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var before, after maintenanceState
	if err := errors.Join(json.Unmarshal(ch.Before, &before), json.Unmarshal(ch.After, &after)); err != nil {
		return fmt.Errorf("decode planned maintenance mode: %w", err)
	}
	var length time.Duration
	if after.Enabled {
		d, err := time.ParseDuration(after.Duration)
		if err != nil || d <= 0 {
			return fmt.Errorf("planned maintenance duration %q is invalid", after.Duration)
		}
		length = d
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	return guarded[tintri.ApplianceMaintenanceMode]{
		read: func(ctx context.Context) (tintri.ApplianceMaintenanceMode, error) {
			cur, err := c.ApplianceMaintenanceMode(ctx)
			if err != nil {
				return tintri.ApplianceMaintenanceMode{}, fmt.Errorf("read maintenance mode: %w", err)
			}
			return *cur, nil
		},
		merge: func(cur tintri.ApplianceMaintenanceMode) (*tintri.ApplianceMaintenanceMode, error) {
			if summary, _ := maintenanceDifference(&cur, after.Enabled, length); summary == "" {
				return nil, nil
			}
			if now := maintenanceStateOf(&cur); now.Enabled != before.Enabled || now.Duration != before.Duration {
				return nil, stale("maintenance mode", now.show(), before.show())
			}
			mm := &tintri.ApplianceMaintenanceMode{TypeID: tintri.TypeApplianceMaintenanceMode, IsEnabled: after.Enabled,
				AutoArchive: after.AutoArchive, SendSnmpTrap: after.SendSnmpTrap, SendSummaryEmail: after.SendSummaryEmail}
			if after.Enabled {
				start := env.Now()
				mm.StartTime, mm.EndTime = tintri.FormatTime(start), tintri.FormatTime(start.Add(length))
			}
			return mm, nil
		},
		write: func(ctx context.Context, mm tintri.ApplianceMaintenanceMode) error {
			a := tintri.Appliance{TypeID: tintri.TypeAppliance, MaintenanceMode: &mm}
			if err := c.UpdateAppliance(ctx, a, tintri.PropMaintenanceMode); err != nil {
				return fmt.Errorf("update maintenance mode: %w", err)
			}
			return nil
		},
	}.run(ctx)
}

// maintenanceStateOf is cur as a change's before records it: enabled, and the length of
// an enabled window.
func maintenanceStateOf(cur *tintri.ApplianceMaintenanceMode) maintenanceState {
	s := maintenanceState{Enabled: cur.IsEnabled}
	if length, ok := windowLength(cur); ok && cur.IsEnabled {
		s.Duration = length.String()
	}
	return s
}

// show describes the state in a stale error: "disabled", "enabled for 2h0m0s".
func (s maintenanceState) show() string {
	switch {
	case !s.Enabled:
		return "disabled"
	case s.Duration == "":
		return "enabled"
	}
	return "enabled for " + s.Duration
}
