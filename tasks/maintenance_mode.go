package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
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
	runner.Register(runner.Kind{Name: "maintenance_mode", Decode: decodeMaintenanceMode})
}

// maintenanceDefaultDuration is the appliance UI's default maintenance window.
const maintenanceDefaultDuration = 6 * time.Hour

// maintenanceMinDuration is the shortest window accepted: the appliance's times have no
// use for shorter windows and a seconds-long window is almost certainly a typo.
const maintenanceMinDuration = time.Minute

var maintenanceSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{
		{Name: "enabled", Required: true},
		{Name: "duration"},
	}, applianceTargetAttrs...),
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

func decodeMaintenanceMode(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(maintenanceSchema)
	t := &maintenanceTask{duration: maintenanceDefaultDuration}
	targets, d := applianceDecodeTargets(dc, content)
	diags = append(diags, d...)
	t.targets = targets

	enabledOK := false
	if attr := content.Attributes["enabled"]; attr != nil {
		v, d := evalBool(dc, attr)
		diags = append(diags, d...)
		t.enabled, enabledOK = v, !d.HasErrors()
	}
	if attr := content.Attributes["duration"]; attr != nil {
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() {
			diags = append(diags, t.decodeDuration(attr, s, enabledOK)...)
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// decodeDuration validates the duration attribute's value s.
func (t *maintenanceTask) decodeDuration(attr *hcl.Attribute, s string, enabledOK bool) hcl.Diagnostics {
	if enabledOK && !t.enabled {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duration without maintenance",
			Detail:   "duration sets the length of the maintenance window and is only allowed with enabled = true.",
			Subject:  attr.NameRange.Ptr(),
		}}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid duration",
			Detail:   fmt.Sprintf("%q is not a duration; write it like \"6h\" or \"90m\".", s),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	if d < maintenanceMinDuration {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Duration too short",
			Detail:   fmt.Sprintf("The maintenance window must last at least %s, not %q.", maintenanceShowDuration(maintenanceMinDuration), s),
			Subject:  attr.Expr.Range().Ptr(),
		}}
	}
	t.duration = d
	return nil
}

// Plan reads every target's maintenance mode and plans a change for each VMstore whose
// isEnabled differs from the desired value.
func (t *maintenanceTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	return applianceFleetPlan(ctx, env, t.targets, func(ctx context.Context, key string, c *tintri.Client) (*runner.Change, error) {
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
		return &runner.Change{
			Server:  key,
			Object:  "maintenance mode",
			ID:      key + "/maintenanceMode",
			Action:  runner.ActionUpdate,
			Summary: summary,
			Before:  runner.MustJSON(before),
			After:   runner.MustJSON(after),
		}, nil
	})
}

// Apply switches the change's VMstore into or out of maintenance mode. An enabling change
// starts the window now.
func (t *maintenanceTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
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
