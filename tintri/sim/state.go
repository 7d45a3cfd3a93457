package sim

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// vmRec is one simulated VM. Pointers inside are never shared with callers.
type vmRec struct {
	uuid     string
	name     string
	store    int // index of the VMstore holding the VM
	host     string
	vcenter  string
	powered  bool
	affinity *tintri.VirtualMachineAffinityRule
	qos      tintri.VirtualMachineQoSConfig
	snaps    []*snapRec // oldest first
}

// groupRec is one TGC service group; static holds member VM uuids in insertion order.
type groupRec struct {
	uuid   string
	name   string
	desc   string
	static []string
	qos    tintri.VirtualMachineQoSConfig
}

// storeRec is one VMstore: its uuid, the host name its server answers to ("127.0.0.1:PORT",
// set once it listens), its appliance configuration and its snapshots by uuid.
type storeRec struct {
	uuid      string
	hostname  string
	appliance tintri.Appliance
	snaps     map[string]*snapRec
}

// state is the inventory shared by every simulated server.
type state struct {
	mu       sync.RWMutex
	seed     int64
	latest   [2]string // start and end of every VM's stat: the 10-minute slice before the start
	vms      map[string]*vmRec
	groups   []*groupRec
	stores   []*storeRec
	tgc      tintri.Appliance
	nextVM   int
	nextSnap int
	reports  map[string]reportReq
	idx      index // sorted VM lists and group membership (index.go)
}

// groupByID returns the service group with that uuid, or nil. The caller holds s.mu.
func (st *state) groupByID(id string) *groupRec {
	for _, g := range st.groups {
		if g.uuid == id {
			return g
		}
	}
	return nil
}

// storeName is the local alias of VMstore i ("vmstore-0"): its server's name in the Sim API
// and its localAlias in the TGC's VmStore list and in its appliance.
func storeName(i int) string { return fmt.Sprintf("vmstore-%d", i) }

// vmDTO renders a VM as the given server reports it, with its latest statistics slice as
// stat unless withStat is false (a list trimmed to other fields): the TGC adds the TgcOnly
// fields vmstoreName (the VMstore's hostname, which a client can log in to, as on a real
// TGC) and vmstoreTintriUuid. The caller holds s.mu.
func (st *state) vmDTO(v *vmRec, tgc, withStat bool) tintri.VirtualMachine {
	live, deleted := true, false
	qos := v.qos
	out := tintri.VirtualMachine{
		TypeID: tintri.TypeVirtualMachine,
		UUID:   &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: v.uuid},
		Vmware: &tintri.VirtualMachineVmwareInfo{
			TypeID: tintri.TypeVirtualMachineVmwareInfo, Name: v.name, Host: v.host,
			VcenterName: v.vcenter, IsPowered: v.powered,
		},
		IsLive:    &live,
		IsDeleted: &deleted,
		QosConfig: &qos,
	}
	if tgc {
		out.VmstoreName = st.stores[v.store].hostname
		out.VmstoreTintriUuid = st.stores[v.store].uuid
	}
	if v.affinity != nil {
		r := *v.affinity
		r.VmstoreTintriUuids = append([]string(nil), v.affinity.VmstoreTintriUuids...)
		out.AffinityRule = &r
	}
	if withStat {
		out.Stat = st.latestStat(v)
	}
	if gs := st.groupsOf(v.uuid); len(gs) > 0 {
		out.ServiceGroup = &tintri.VirtualMachineServiceGroupInfo{
			TypeID: tintri.TypeVMServiceGroupInfo, GroupID: gs[0].uuid, Name: gs[0].name, Static: true,
		}
	}
	return out
}

// groupDTO renders a service group. The caller holds s.mu.
func (st *state) groupDTO(g *groupRec) tintri.ServiceGroup {
	qos := g.qos
	return tintri.ServiceGroup{
		TypeID:            tintri.TypeServiceGroup,
		UUID:              &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: g.uuid},
		Name:              g.name,
		Description:       g.desc,
		MemberCount:       len(g.static),
		StaticMemberCount: len(g.static),
		QosConfig:         &qos,
	}
}

// membersDTO renders a group's members in insertion order. The caller holds s.mu.
func (st *state) membersDTO(g *groupRec) []tintri.ServiceGroupMember {
	out := make([]tintri.ServiceGroupMember, 0, len(g.static))
	for _, id := range g.static {
		name := ""
		if v := st.vms[id]; v != nil {
			name = v.name
		}
		out = append(out, tintri.ServiceGroupMember{
			TypeID: tintri.TypeServiceGroupMember, GroupID: g.uuid, MemberID: id,
			MemberName: name, MemberType: "VIRTUAL_MACHINE", Static: true,
		})
	}
	return out
}

// copyAppliance deep-copies an appliance through JSON so callers never share its slices.
func copyAppliance(a tintri.Appliance) tintri.Appliance {
	b, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("sim: marshal appliance: %v", err))
	}
	var out tintri.Appliance
	if err := json.Unmarshal(b, &out); err != nil {
		panic(fmt.Sprintf("sim: unmarshal appliance: %v", err))
	}
	return out
}

// matchesName reports whether name contains sub, ignoring case.
func matchesName(name, sub string) bool {
	return strings.Contains(strings.ToLower(name), strings.ToLower(sub))
}
