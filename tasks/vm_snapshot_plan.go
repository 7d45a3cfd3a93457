package tasks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// How vm_snapshot plans (see vm_snapshot.go): the VMs selected on the TGC, the snapshots
// of each VMstore that holds some, and per VM a snapshot to take and the expired ones to
// delete.

// snapshotCreate is a create change's After: what Apply takes.
type snapshotCreate struct {
	VM          string    `json:"vm"`
	VMUUID      string    `json:"vm_uuid"`
	Name        string    `json:"name"`
	Consistency string    `json:"consistency"`
	WindowStart time.Time `json:"window_start"`
}

// snapshotsGone is a delete change's Before: the VM's snapshots Apply deletes.
type snapshotsGone struct {
	VM        string         `json:"vm"`
	VMUUID    string         `json:"vm_uuid"`
	Snapshots []snapshotGone `json:"snapshots"`
}

// snapshotGone is one snapshot to delete.
type snapshotGone struct {
	UUID    string    `json:"uuid"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

// snapshotRetention is what the task claims for each VM it snapshots, at the address of
// its snapshots of the family: two tasks managing one family differently conflict.
type snapshotRetention struct {
	Consistency string `json:"consistency"`
	KeepLast    int    `json:"keep_last,omitempty"`
	MaxAge      string `json:"max_age,omitempty"`
}

// snapshotStore is what a plan read from one target VMstore that holds selected VMs.
type snapshotStore struct {
	key, name, host string
	byVM            map[string][]tintri.Snapshot // every snapshot, by VM uuid, oldest first
	err             error
}

// snapshotPlan is the task plan being built, with the run's clock.
type snapshotPlan struct {
	plan.TaskPlan
	now, start time.Time // the plan's time and the start of its window
	name       string    // the name a snapshot taken now gets
	take, have int       // VMs to snapshot, VMs with a snapshot of the window
	deletes    int
	listAll    bool // name every unchanged VM (plan -detail)
}

// Plan lists the selected VMs, the snapshots of the VMstores they are on, and plans per
// VM the snapshot of this window and the deletion of its expired snapshots.
func (t *snapshotTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	c, err := tgcClient(ctx, env.Client, t.server)
	if err != nil {
		return nil, err
	}
	p, err := t.vms.pick(ctx, c, t.server, snapshotFields)
	if err != nil {
		return nil, err
	}
	stores, err := t.readStores(ctx, env, p.vms)
	if err != nil {
		return nil, err
	}
	now := env.Now().UTC()
	sp := &snapshotPlan{TaskPlan: plan.TaskPlan{Changes: []plan.Change{}},
		now: now, start: now.Truncate(t.window), name: t.snapshotName(now), listAll: env.ListUnchanged}
	for _, w := range p.warnings {
		sp.Warn(w)
	}
	for _, st := range stores {
		if st.err != nil {
			sp.Failed = append(sp.Failed, plan.Failure{Server: st.key, Object: "snapshots of " + st.name, Error: st.err.Error()})
		}
	}
	byHost := map[string]*snapshotStore{}
	for _, st := range stores {
		if st.host != "" {
			byHost[hostKey(st.host)] = st
		}
	}
	for i := range p.vms {
		vm := &p.vms[i]
		st := byHost[hostKey(vm.VmstoreName)]
		switch {
		case st == nil || vm.VmstoreName == "":
			sp.Failed = append(sp.Failed, plan.Failure{Server: vm.VmstoreName, Object: "vm " + vm.Name(),
				Error: fmt.Sprintf("its VMstore %s is not one of the task's VMstores (%s): no snapshot taken", vm.VmstoreName, storeHosts(stores))})
		case st.err == nil:
			t.planVM(sp, vm, st)
		}
	}
	sp.Info = append(sp.Info, fmt.Sprintf("%s selected: %d to snapshot, %d with a snapshot of the window since %s; %s to delete",
		plural(len(p.vms), "VM", "VMs"), sp.take, sp.have, sp.start.Format("2006-01-02 15:04 UTC"), plural(sp.deletes, "expired snapshot", "expired snapshots")))
	return &sp.TaskPlan, nil
}

// readStores reads, concurrently, the snapshots of every target VMstore that holds one of
// vms (by host); the others are listed with no snapshots and not contacted. A VMstore that
// cannot be read has err set.
func (t *snapshotTask) readStores(ctx context.Context, env *runner.PlanEnv, vms []tintri.VirtualMachine) ([]*snapshotStore, error) {
	members, err := applianceMembers(ctx, env, t.targets)
	if err != nil {
		return nil, err
	}
	hosts := map[string]bool{}
	for i := range vms {
		hosts[hostKey(vms[i].VmstoreName)] = true
	}
	stores := make([]*snapshotStore, len(members))
	env.ForEach(ctx, len(members), func(ctx context.Context, i int) {
		st := &snapshotStore{key: members[i], name: members[i]}
		stores[i] = st
		c, err := env.Client(ctx, st.key)
		if err != nil {
			st.err = err
			return
		}
		st.host = c.Host()
		if !hosts[hostKey(st.host)] {
			return
		}
		if st.err = c.RequireVMstore(ctx); st.err != nil {
			return
		}
		st.name = vmstoreName(ctx, c, st.key)
		all, err := c.ListSnapshots(ctx, tintri.SnapshotFilter{})
		if err != nil {
			st.err = fmt.Errorf("list snapshots: %w", err)
			return
		}
		st.byVM = map[string][]tintri.Snapshot{}
		for _, sn := range all {
			st.byVM[sn.VMUUID.ID()] = append(st.byVM[sn.VMUUID.ID()], sn)
		}
	})
	return stores, nil
}

// hostKey is the form in which a VM's vmstoreName and the host[:port] of a target's URL
// are compared: the host, lower case, without the default port.
func hostKey(s string) string {
	if k, err := config.MemberKey(s); err == nil {
		s = k
	}
	return strings.TrimSuffix(strings.ToLower(s), ":443")
}

// storeHosts lists the targets' hosts for a message, the first five.
func storeHosts(stores []*snapshotStore) string {
	var hosts []string
	for _, st := range stores {
		if st.host != "" {
			hosts = append(hosts, st.host)
		}
	}
	if len(hosts) > 5 {
		hosts = append(hosts[:5], fmt.Sprintf("and %d more", len(hosts)-5))
	}
	return strings.Join(hosts, ", ")
}

// planVM plans one VM: the snapshot of this window unless it has one, and the deletion of
// its expired snapshots, claiming the names it keeps and its retention.
func (t *snapshotTask) planVM(sp *snapshotPlan, vm *tintri.VirtualMachine, st *snapshotStore) {
	all := st.byVM[vm.ID()]
	var mine []tintri.Snapshot // newest first
	for i := len(all) - 1; i >= 0; i-- {
		sn := &all[i]
		switch {
		case t.mine(sn):
			mine = append(mine, *sn)
		case sn.Type == tintri.SnapshotUserGenerated && strings.HasPrefix(sn.Description, t.prefix):
			sp.Info = append(sp.Info, fmt.Sprintf("vm %s: snapshot %q starts with the prefix but is not a name the template gives: not this task's, left alone", vm.Name(), sn.Description))
		}
	}
	object := "vm " + vm.Name() + " on " + st.name
	sp.Claim(t.retentionAddress(vm), t.retention())
	var taken []string
	for _, sn := range mine {
		if !time.UnixMilli(sn.CreateTime).Before(sp.start) || sn.Description == sp.name {
			taken = append(taken, sn.Description)
			sp.Claim(snapshotAddress(vm, sn.Description), "present")
		}
	}
	create := len(taken) == 0
	gone, cloned := t.expired(sp.now, mine, create)
	if create && len(all)-len(gone)+1 > snapshotMaxKeep {
		create = false
		gone, cloned = t.expired(sp.now, mine, false)
		sp.Failed = append(sp.Failed, plan.Failure{Server: st.key, Object: object,
			Error: fmt.Sprintf("the VM has %d snapshots, the most a VM can have: no snapshot taken; delete some or lower keep_last", len(all)-len(gone))})
	}
	for _, sn := range cloned {
		sp.Warn(plan.Warning{Code: plan.WarnSnapshotCloned, Message: fmt.Sprintf("vm %s: snapshot %s has %s: kept although expired (%s)",
			vm.Name(), sn.Description, plural(sn.CloneReferenceCount, "clone", "clones"), t.why())})
	}
	if create {
		t.planCreate(sp, vm, st.key, object)
	} else if len(taken) > 0 {
		sp.have++
	}
	if len(gone) > 0 {
		t.planDelete(sp, vm, st.key, object, gone)
	}
	if !create && len(gone) == 0 {
		sp.AddUnchanged(object, sp.listAll)
	}
}

// expired returns the VM's snapshots of this task (mine, newest first) that retention
// deletes at now, oldest first, when the run takes a new one (create) or not, and the
// expired ones that clones use, which stay.
func (t *snapshotTask) expired(now time.Time, mine []tintri.Snapshot, create bool) (gone, cloned []tintri.Snapshot) {
	first := 0
	if create {
		first = 1
	}
	for i, sn := range mine {
		beyond := t.keepLast == 0 || first+i >= t.keepLast
		old := t.maxAge == 0 || now.Sub(time.UnixMilli(sn.CreateTime)) > t.maxAge
		switch {
		case !beyond || !old:
		case sn.CloneReferenceCount > 0:
			cloned = append(cloned, sn)
		default:
			gone = append(gone, sn)
		}
	}
	slices.Reverse(gone)
	return gone, cloned
}

// why says what expires a snapshot of this task.
func (t *snapshotTask) why() string {
	var parts []string
	if t.keepLast > 0 {
		parts = append(parts, fmt.Sprintf("beyond keep_last %d", t.keepLast))
	}
	if t.maxAge > 0 {
		parts = append(parts, "older than max_age "+showDuration(t.maxAge))
	}
	return strings.Join(parts, " and ")
}

// planCreate adds the change that takes the VM's snapshot of this window.
func (t *snapshotTask) planCreate(sp *snapshotPlan, vm *tintri.VirtualMachine, key, object string) {
	address := snapshotAddress(vm, sp.name)
	sp.Claim(address, "present")
	sp.take++
	kind := map[string]string{tintri.ConsistencyCrash: "crash consistent", tintri.ConsistencyVM: "VM consistent"}[t.consistency]
	sp.Changes = append(sp.Changes, plan.Change{
		Server:    key,
		Object:    object,
		ID:        vm.ID() + "/snapshot/" + sp.name,
		Action:    plan.ActionCreate,
		Summary:   fmt.Sprintf("take snapshot %s (%s)", sp.name, kind),
		Before:    plan.MustJSON(nil),
		After:     plan.MustJSON(snapshotCreate{VM: vm.Name(), VMUUID: vm.ID(), Name: sp.name, Consistency: t.consistency, WindowStart: sp.start}),
		Addresses: []string{address},
		Objects:   1,
	})
}

// planDelete adds the change that deletes the VM's expired snapshots (gone, oldest first):
// one change per VM, so that a plan file applied after an apply that deleted some of them
// is stale rather than half believed.
func (t *snapshotTask) planDelete(sp *snapshotPlan, vm *tintri.VirtualMachine, key, object string, gone []tintri.Snapshot) {
	sp.deletes += len(gone)
	before := make([]snapshotGone, len(gone))
	details := make([]string, len(gone))
	for i, sn := range gone {
		created := time.UnixMilli(sn.CreateTime).UTC()
		before[i] = snapshotGone{UUID: sn.ID(), Name: sn.Description, Created: created}
		details[i] = fmt.Sprintf("- %s taken %s", sn.Description, created.Format("2006-01-02 15:04 UTC"))
	}
	sp.Changes = append(sp.Changes, plan.Change{
		Server:    key,
		Object:    object,
		ID:        vm.ID() + "/expired",
		Action:    plan.ActionDelete,
		Summary:   fmt.Sprintf("delete %s (%s)", plural(len(gone), "expired snapshot", "expired snapshots"), t.why()),
		Before:    plan.MustJSON(snapshotsGone{VM: vm.Name(), VMUUID: vm.ID(), Snapshots: before}),
		After:     plan.MustJSON(nil),
		Details:   details,
		Addresses: []string{t.retentionAddress(vm)},
		Objects:   len(gone),
	})
}

// snapshotAddress is the canonical address of a VM's snapshot of a name.
func snapshotAddress(vm *tintri.VirtualMachine, name string) string {
	return "tgc/vm/" + vm.ID() + "/snapshot/" + name
}

// retentionAddress is the canonical address of the VM's snapshots of the task's family,
// whose retention a deletion carries out.
func (t *snapshotTask) retentionAddress(vm *tintri.VirtualMachine) string {
	return "tgc/vm/" + vm.ID() + "/snapshots/" + t.family
}

// retention is the value the task claims at each VM's retention address.
func (t *snapshotTask) retention() snapshotRetention {
	r := snapshotRetention{Consistency: t.consistency, KeepLast: t.keepLast}
	if t.maxAge > 0 {
		r.MaxAge = showDuration(t.maxAge)
	}
	return r
}
