package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// category is one family of generated VM names.
type category struct {
	format string // fmt format taking the 1-based number within the family
	host   string
}

// categories in the order of vmPattern's indices.
var categories = []category{
	{"vdi-%04d", "esx-vdi-%02d.lab.example"},
	{"web-%03d", "esx-web-%02d.lab.example"},
	{"sql-prod-%02d", "esx-db-%02d.lab.example"},
	{"exch-%02d", "esx-db-%02d.lab.example"},
	{"dev-%03d", "esx-dev-%02d.lab.example"},
}

// vmPattern assigns a category to each VM index (cycled): 8 vdi, 4 web, 2 sql, 1 exch, 5 dev.
var vmPattern = []int{0, 1, 4, 0, 2, 0, 1, 4, 0, 3, 0, 1, 4, 0, 2, 0, 1, 4, 0, 4}

// newState builds the deterministic inventory for opts (defaults already applied).
func newState(opts Options) *state {
	rng := rand.New(rand.NewPCG(uint64(opts.Seed), 0x7157a1))
	end := time.Now().Truncate(historicSlice)
	st := &state{
		seed: opts.Seed, latest: [2]string{tintri.FormatTime(end.Add(-historicSlice)), tintri.FormatTime(end)},
		vms: map[string]*vmRec{}, reports: map[string]reportReq{},
	}
	for i := 0; i < opts.VMstores; i++ {
		id := uuidLike(rng)
		st.stores = append(st.stores, &storeRec{uuid: id, appliance: vmstoreAppliance(i, id, rng), snaps: map[string]*snapRec{}})
	}
	st.tgc = tgcAppliance(uuidLike(rng))
	counts := make([]int, len(categories))
	for i := 0; i < opts.VMs; i++ {
		c := vmPattern[i%len(vmPattern)]
		counts[c]++
		cat := categories[c]
		st.addVM(fmt.Sprintf(cat.format, counts[c]), rng.IntN(opts.VMstores), fmt.Sprintf(cat.host, 1+rng.IntN(4)), rng.IntN(10) != 0)
	}
	sorted := st.sortedVMs(-1)
	pick := func(prefix string, max int) []string {
		var ids []string
		for _, v := range sorted {
			if len(ids) < max && len(v.name) > len(prefix) && v.name[:len(prefix)] == prefix {
				ids = append(ids, v.uuid)
			}
		}
		return ids
	}
	st.groups = []*groupRec{
		{uuid: uuidLike(rng), name: "VDI", desc: "Virtual desktops", static: pick("vdi-", 10)},
		{uuid: uuidLike(rng), name: "SQL Production", desc: "Production SQL Server", static: pick("sql-prod-", 1<<30)},
		{uuid: uuidLike(rng), name: "Web Tier", desc: "Front-end web servers", static: pick("web-", 5)},
		{uuid: uuidLike(rng), name: "Empty Group", desc: "No members yet"},
	}
	for _, g := range st.groups {
		g.qos = tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig}
	}
	return st
}

// addVM adds a VM to VMstore store and returns it. The caller holds s.mu (or owns st).
func (st *state) addVM(name string, store int, host string, powered bool) *vmRec {
	st.nextVM++
	v := &vmRec{
		uuid:    fmt.Sprintf("%s-VIM-%016X", st.stores[store].uuid, st.nextVM),
		name:    name,
		store:   store,
		host:    host,
		vcenter: "vcenter-01.lab.example",
		powered: powered,
		qos:     tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig},
	}
	st.vms[v.uuid] = v
	st.vmsChanged()
	return v
}

// uuidLike returns an upper-case 8-4-4-4-12 hex identifier drawn from rng.
func uuidLike(rng *rand.Rand) string {
	a, b := rng.Uint64(), rng.Uint64()
	return fmt.Sprintf("%08X-%04X-%04X-%04X-%012X", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// osVersion is the Tintri OS version every simulated appliance reports.
const osVersion = "5.6.0.1-12875.41552.24105"

// vmstoreAppliance is the initial appliance configuration of VMstore i.
func vmstoreAppliance(i int, id string, rng *rand.Rand) tintri.Appliance {
	host := 10 + i
	ip := func(svc, bond, net string) tintri.ApplianceIp {
		return tintri.ApplianceIp{
			TypeID: tintri.TypeApplianceIp, ServiceType: svc, NetworkBond: bond, VlanID: "untagged",
			IP: fmt.Sprintf("%s.%d", net, host), Netmask: "255.255.255.0",
			IPCidr: fmt.Sprintf("%s.%d/24", net, host), Gateway: net + ".1",
			Hostname: fmt.Sprintf("%s-%s", storeName(i), svc),
		}
	}
	comps := []tintri.ApplianceComponent{}
	for _, c := range []struct{ typ, loc string }{
		{"CONTROLLER", "Controller A"}, {"CONTROLLER", "Controller B"}, {"POWER_SUPPLY", "PSU 1"},
		{"POWER_SUPPLY", "PSU 2"}, {"FAN", "Fan 1"}, {"FAN", "Fan 2"}, {"DISK", "Disk 1"}, {"DISK", "Disk 2"},
	} {
		comps = append(comps, tintri.ApplianceComponent{TypeID: tintri.TypeApplianceComponent, Type: c.typ, Locator: c.loc, Status: "OK"})
	}
	return tintri.Appliance{
		TypeID:     tintri.TypeAppliance,
		UUID:       &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: id},
		LocalAlias: storeName(i),
		Info: &tintri.ApplianceInfo{
			TypeID: tintri.TypeApplianceInfo, ModelName: "T880", OsVersion: osVersion,
			SerialNumber: fmt.Sprintf("TTX%07d", rng.IntN(10_000_000)), CurrentCapacityGiB: 76800, IsAllFlash: true,
		},
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "192.0.2.53", DNSSecondary: "198.51.100.53"},
		ConfigIPs: []tintri.ApplianceIp{
			ip(tintri.ServiceTypeAdmin, "admin", "192.0.2"),
			ip(tintri.ServiceTypeData, "data", "198.51.100"),
			ip(tintri.ServiceTypeReplication, "data", "203.0.113"),
		},
		MaintenanceMode: &tintri.ApplianceMaintenanceMode{TypeID: tintri.TypeApplianceMaintenanceMode},
		Components:      comps,
	}
}

// tgcAppliance is the TGC's own appliance.
func tgcAppliance(id string) tintri.Appliance {
	return tintri.Appliance{
		TypeID:     tintri.TypeAppliance,
		UUID:       &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: id},
		LocalAlias: "tgc",
		Info: &tintri.ApplianceInfo{
			TypeID: tintri.TypeApplianceInfo, ModelName: "Tintri Global Center", OsVersion: osVersion,
			SerialNumber: "TGC0000001",
		},
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "192.0.2.53", DNSSecondary: "198.51.100.53"},
		ConfigIPs: []tintri.ApplianceIp{{
			TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeAdmin, NetworkBond: "admin", VlanID: "untagged",
			IP: "192.0.2.5", Netmask: "255.255.255.0", IPCidr: "192.0.2.5/24", Gateway: "192.0.2.1", Hostname: "tgc",
		}},
		Components: []tintri.ApplianceComponent{},
	}
}
