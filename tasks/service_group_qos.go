package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
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
// min_normalized_iops is optional (0, the system default, when only a maximum is wanted).
// The reference types both limits xsd:int and documents 0 as "use the
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
	runner.Register("service_group_qos", "Sets the QoS of a TGC service group and applies it to its members.", buildServiceGroupQoS)
}

// qosBody is the body of a service_group_qos task.
type qosBody struct {
	decode.Meta
	serviceGroupBody
	MinIOPS int `hcl:"min_normalized_iops,optional" min:"0" max:"2147483647" default:"0" doc:"The minimum normalized IOPS of each member; 0 (the default) is the system default."`
	MaxIOPS int `hcl:"max_normalized_iops" min:"0" max:"2147483647" doc:"The maximum normalized IOPS of each member, not below the minimum; 0 is no explicit maximum."`
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

func buildServiceGroupQoS(dc *runner.DecodeContext, b *qosBody) (runner.Task, hcl.Diagnostics) {
	t := &qosTask{group: b.ServiceGroup, want: qosLimits{Min: int64(b.MinIOPS), Max: int64(b.MaxIOPS)}}
	server, diags := b.server(dc)
	t.server = server
	if t.want.Max != 0 && t.want.Min > t.want.Max {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Minimum IOPS above maximum",
			Detail: fmt.Sprintf("min_normalized_iops (%d) must not exceed max_normalized_iops (%d); set max_normalized_iops = 0 for no explicit maximum.",
				t.want.Min, t.want.Max),
			Subject: b.Range("min_normalized_iops").Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// Plan looks the service group up by name and compares its qosConfig and its members'.
func (t *qosTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	c, g, err := tgcServiceGroup(ctx, env, t.server, t.group)
	if err != nil {
		return nil, err
	}
	cur, err := c.ServiceGroupQoS(ctx, g.ID())
	if err != nil {
		return nil, fmt.Errorf("server %s: service group %q: read qos: %w", t.server, g.Name, err)
	}
	members, behind, err := t.countMembers(ctx, c, g)
	if err != nil {
		return nil, fmt.Errorf("server %s: service group %q: list members: %w", t.server, g.Name, err)
	}
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	address := "tgc/servicegroup/" + g.ID() + "/qos"
	tp.Claim(address, t.want)
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
		tp.AddUnchanged(object, env.ListUnchanged)
		return tp, nil
	}
	tp.Info = append(tp.Info, fmt.Sprintf("%s: %s affected", object, plural(affected, "member", "members")))
	tp.Changes = append(tp.Changes, plan.Change{
		Server:    t.server,
		Object:    object,
		ID:        g.ID(),
		Action:    plan.ActionUpdate,
		Summary:   summary,
		Before:    plan.MustJSON(before),
		After:     plan.MustJSON(qosState{qosLimits: t.want}),
		Addresses: []string{address},
		Objects:   max(affected, 1),
	})
	return tp, nil
}

// countMembers lists the group's members, trimmed to their QoS, in one paged listing and
// counts them and those whose limits differ from the wanted ones.
func (t *qosTask) countMembers(ctx context.Context, c *tintri.Reader, g *tintri.ServiceGroup) (members, behind int, err error) {
	filter := tintri.VMFilter{ServiceGroupIDs: []string{g.ID()}, IncludeFields: []string{"uuid", "qosConfig"}}
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
	return members, behind, err
}

// Apply sets the group's qosConfig when the plan found it different, after reading it
// again right before the write (guarded: limits already as planned are left alone, limits
// changed since the plan are stale), then applies it to the group's members.
func (t *qosTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var before, after qosState
	if err := errors.Join(json.Unmarshal(ch.Before, &before), json.Unmarshal(ch.After, &after)); err != nil {
		return fmt.Errorf("decode planned qos: %w", err)
	}
	c, err := tgcWriter(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	err = guarded[qosLimits]{
		read: func(ctx context.Context) (qosLimits, error) {
			q, err := c.ServiceGroupQoS(ctx, ch.ID)
			if err != nil {
				return qosLimits{}, fmt.Errorf("read qos: %w", err)
			}
			return qosLimits{Min: q.MinNormalizedIops, Max: q.MaxNormalizedIops}, nil
		},
		merge: func(cur qosLimits) (*qosLimits, error) {
			switch {
			case cur == after.qosLimits:
				return nil, nil
			case cur != before.qosLimits:
				return nil, stale("the group's qos", cur.show(), before.show())
			}
			return &after.qosLimits, nil
		},
		write: func(ctx context.Context, l qosLimits) error {
			q := tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig, MinNormalizedIops: l.Min, MaxNormalizedIops: l.Max}
			if err := c.SetServiceGroupQoS(ctx, ch.ID, q); err != nil {
				return fmt.Errorf("set qos: %w", err)
			}
			return nil
		},
	}.run(ctx)
	if err != nil {
		return err
	}
	if err := c.ApplyServiceGroupQoS(ctx, ch.ID); err != nil {
		return fmt.Errorf("apply qos to members: %w", err)
	}
	return nil
}

// show describes the limits in a stale error: "min 100, max 500".
func (l qosLimits) show() string {
	return "min " + qosShow(l.Min) + ", max " + qosShow(l.Max)
}

func qosShow(n int64) string {
	if n == 0 {
		return "default"
	}
	return fmt.Sprint(n)
}
