package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// service_group_qos sets the QoS of a TGC service group and applies it to the members:
//
//	task "service_group_qos" "sql" {
//	  server              = server.tgc
//	  service_group       = "SQL Production"
//	  min_normalized_iops = 500
//	  max_normalized_iops = 5000
//	}
//
// Both limits are required. The reference types them xsd:int and documents 0 as "use the
// system default", so each is a whole number from 0 to 2147483647, and min must not exceed
// max unless max is 0 (no explicit maximum).
//
// The plan reads the group's qosConfig and, in one paged VM listing filtered by
// serviceGroupIds and trimmed to uuid, vmware and qosConfig, the members' own QoS. When
// the group's qosConfig differs, the change PUTs it and then POSTs .../qos so every
// member picks it up. When the group is right but some members' min or max differ (an
// earlier apply whose POST failed, or a member changed by hand), the change only POSTs
// .../qos. So a partly applied change is finished by the next apply.

func init() {
	runner.Register(runner.Kind{Name: "service_group_qos", Decode: decodeServiceGroupQoS})
}

var qosSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "server", Required: true},
		{Name: "service_group", Required: true},
		{Name: "min_normalized_iops", Required: true},
		{Name: "max_normalized_iops", Required: true},
	},
}

// qosLimits is the part of a qosConfig this task manages.
type qosLimits struct {
	Min int64 `json:"minNormalizedIops"`
	Max int64 `json:"maxNormalizedIops"`
}

// qosState is what a change compares: the group's limits and how many of its members
// have limits other than the wanted ones (0 in an After).
type qosState struct {
	qosLimits
	MembersBehind int `json:"membersBehind"`
}

// qosTask is a decoded service_group_qos block.
type qosTask struct {
	server string
	group  string
	want   qosLimits
}

func decodeServiceGroupQoS(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(qosSchema)
	t := &qosTask{}
	server, d := decodeTGCServer(dc, content)
	diags = append(diags, d...)
	t.server = server
	if attr := content.Attributes["service_group"]; attr != nil {
		s, d := evalServiceGroupName(dc, attr)
		diags = append(diags, d...)
		t.group = s
	}
	minAttr, maxAttr := content.Attributes["min_normalized_iops"], content.Attributes["max_normalized_iops"]
	minOK, maxOK := false, false
	if minAttr != nil {
		var d hcl.Diagnostics
		t.want.Min, d = qosEvalIOPS(dc, minAttr)
		diags, minOK = append(diags, d...), !d.HasErrors()
	}
	if maxAttr != nil {
		var d hcl.Diagnostics
		t.want.Max, d = qosEvalIOPS(dc, maxAttr)
		diags, maxOK = append(diags, d...), !d.HasErrors()
	}
	if minOK && maxOK && t.want.Max != 0 && t.want.Min > t.want.Max {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Minimum IOPS above maximum",
			Detail: fmt.Sprintf("min_normalized_iops (%d) must not exceed max_normalized_iops (%d); set max_normalized_iops = 0 for no explicit maximum.",
				t.want.Min, t.want.Max),
			Subject: minAttr.Expr.Range().Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// qosEvalIOPS evaluates a normalized IOPS limit: a whole number within xsd:int's range.
func qosEvalIOPS(dc *runner.DecodeContext, attr *hcl.Attribute) (int64, hcl.Diagnostics) {
	n, diags := evalInt(dc, attr)
	if !diags.HasErrors() && (n < 0 || n > math.MaxInt32) {
		diags = append(diags, attrDiag(attr, "Invalid "+attr.Name,
			fmt.Sprintf("The %s attribute must be a whole number from 0 (system default) to %d, not %d.", attr.Name, math.MaxInt32, n)))
	}
	return int64(n), diags
}

// Plan looks the service group up by name and compares its qosConfig and its members'.
func (t *qosTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	c, g, err := tgcServiceGroup(ctx, env, t.server, t.group)
	if err != nil {
		return nil, err
	}
	cur, err := c.ServiceGroupQoS(ctx, g.ID())
	if err != nil {
		return nil, fmt.Errorf("tgc %s: service group %q: read qos: %w", t.server, g.Name, err)
	}
	members, behind := 0, 0
	filter := tintri.VMFilter{ServiceGroupIDs: []string{g.ID()}, IncludeFields: []string{"uuid", "vmware", "qosConfig"}}
	err = c.EachVM(ctx, filter, func(vm *tintri.VirtualMachine) error {
		members++
		var have qosLimits
		if q := vm.QosConfig; q != nil {
			have = qosLimits{Min: q.MinNormalizedIops, Max: q.MaxNormalizedIops}
		}
		if have != t.want {
			behind++
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tgc %s: service group %q: list members: %w", t.server, g.Name, err)
	}
	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	object := "service group " + g.Name
	before := qosState{qosLimits: qosLimits{Min: cur.MinNormalizedIops, Max: cur.MaxNormalizedIops}, MembersBehind: behind}
	var summary string
	affected := members
	switch {
	case before.qosLimits != t.want:
		summary = fmt.Sprintf("set qos min %s → %s, max %s → %s normalized IOPS and apply it to the %d members",
			qosShow(before.Min), qosShow(t.want.Min), qosShow(before.Max), qosShow(t.want.Max), members)
	case behind > 0:
		summary = fmt.Sprintf("apply the group's qos (min %s, max %s normalized IOPS) to the %d of %d members whose qos differs",
			qosShow(t.want.Min), qosShow(t.want.Max), behind, members)
		affected = behind
	default:
		plan.Unchanged = append(plan.Unchanged, object)
		return plan, nil
	}
	plan.Info = append(plan.Info, fmt.Sprintf("%s: %d members affected", object, affected))
	plan.Changes = append(plan.Changes, runner.Change{
		Server:  t.server,
		Object:  object,
		ID:      g.ID(),
		Action:  runner.ActionUpdate,
		Summary: summary,
		Before:  runner.MustJSON(before),
		After:   runner.MustJSON(qosState{qosLimits: t.want}),
	})
	return plan, nil
}

// Apply updates the group's qosConfig when the plan found it different, then applies it
// to the group's members.
func (t *qosTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var before, after qosState
	if err := json.Unmarshal(ch.Before, &before); err != nil {
		return fmt.Errorf("%s: decode current qos: %w", ch.Object, err)
	}
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("%s: decode planned qos: %w", ch.Object, err)
	}
	c, err := tgcClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	if before.qosLimits != after.qosLimits {
		q := tintri.VirtualMachineQoSConfig{
			TypeID:            tintri.TypeQoSConfig,
			MinNormalizedIops: after.Min,
			MaxNormalizedIops: after.Max,
		}
		if err := c.SetServiceGroupQoS(ctx, ch.ID, q); err != nil {
			return fmt.Errorf("tgc %s: %s: set qos: %w", ch.Server, ch.Object, err)
		}
	}
	if err := c.ApplyServiceGroupQoS(ctx, ch.ID); err != nil {
		return fmt.Errorf("tgc %s: %s: apply qos to members: %w", ch.Server, ch.Object, err)
	}
	return nil
}

func qosShow(n int64) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}
