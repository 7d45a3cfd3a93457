package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/big"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

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
// max unless max is 0 (no explicit maximum). The plan compares the group's qosConfig; the
// change PUTs the new qosConfig and then POSTs .../qos so every member picks it up.

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

// qosState is the part of a service group's qosConfig this task manages.
type qosState struct {
	Min int64 `json:"minNormalizedIops"`
	Max int64 `json:"maxNormalizedIops"`
}

// qosTask is a decoded service_group_qos block.
type qosTask struct {
	server string
	group  string
	want   qosState
}

func decodeServiceGroupQoS(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(qosSchema)
	t := &qosTask{}
	if attr := content.Attributes["server"]; attr != nil {
		name, d := dc.ServerRef(attr.Expr, runner.KindTGC)
		diags = append(diags, d...)
		t.server = name
	}
	if attr := content.Attributes["service_group"]; attr != nil {
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		if !d.HasErrors() && s == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty service group name",
				Detail:   "service_group names the TGC service group whose QoS to set.",
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
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
	v, diags := evalAttr(dc, attr, cty.Number, "a whole number")
	if diags.HasErrors() {
		return 0, diags
	}
	bf := v.AsBigFloat()
	n, acc := bf.Int64()
	if acc != big.Exact || !bf.IsInt() || n < 0 || n > math.MaxInt32 {
		return 0, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + attr.Name,
			Detail:   fmt.Sprintf("%s must be a whole number from 0 (system default) to %d, not %s.", attr.Name, math.MaxInt32, bf.Text('g', -1)),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return n, diags
}

// Plan looks the service group up by name and compares its qosConfig.
func (t *qosTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	c, err := env.Client(ctx, t.server)
	if err != nil {
		return nil, fmt.Errorf("tgc %s: %w", t.server, err)
	}
	if err := c.RequireTGC(ctx); err != nil {
		return nil, fmt.Errorf("tgc %s: %w", t.server, err)
	}
	g, err := findServiceGroup(ctx, c, t.group)
	if err != nil {
		return nil, fmt.Errorf("tgc %s: %w", t.server, err)
	}
	cur, err := c.ServiceGroupQoS(ctx, g.ID())
	if err != nil {
		return nil, fmt.Errorf("tgc %s: service group %q: read qos: %w", t.server, g.Name, err)
	}
	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	object := fmt.Sprintf("service group %s", g.Name)
	before := qosState{Min: cur.MinNormalizedIops, Max: cur.MaxNormalizedIops}
	if before == t.want {
		plan.Unchanged = append(plan.Unchanged, object)
		return plan, nil
	}
	plan.Info = append(plan.Info, fmt.Sprintf("%s: %d members affected", object, g.MemberCount))
	plan.Changes = append(plan.Changes, runner.Change{
		Server: t.server,
		Object: object,
		ID:     g.ID(),
		Action: runner.ActionUpdate,
		Summary: fmt.Sprintf("set qos min %s → %s, max %s → %s normalized IOPS (%d members)",
			qosShow(before.Min), qosShow(t.want.Min), qosShow(before.Max), qosShow(t.want.Max), g.MemberCount),
		Before: runner.MustJSON(before),
		After:  runner.MustJSON(t.want),
	})
	return plan, nil
}

// Apply updates the group's qosConfig and applies it to the group's members.
func (t *qosTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var after qosState
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("%s: decode planned qos: %w", ch.Object, err)
	}
	c, err := env.Client(ctx, ch.Server)
	if err != nil {
		return fmt.Errorf("tgc %s: %w", ch.Server, err)
	}
	if err := c.RequireTGC(ctx); err != nil {
		return fmt.Errorf("tgc %s: %w", ch.Server, err)
	}
	q := tintri.VirtualMachineQoSConfig{
		TypeID:            tintri.TypeQoSConfig,
		MinNormalizedIops: after.Min,
		MaxNormalizedIops: after.Max,
	}
	if err := c.SetServiceGroupQoS(ctx, ch.ID, q); err != nil {
		return fmt.Errorf("tgc %s: %s: set qos: %w", ch.Server, ch.Object, err)
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
