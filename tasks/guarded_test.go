package tasks

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// Tasks of TestFaultChangedSincePlan.
const (
	secondaryTask = `task "appliance_dns" "t" {
    servers   = [server.vmstore0]
    secondary = "192.0.2.54"
  }`
	add110Task = `task "data_ip" "t" {
    servers = [server.vmstore0]
    data_ip {
      vmstore = "vmstore-0"
      ip      = "198.51.100.110"
      prefix  = 24
    }
  }`
)

// applyAfter plans h's job, lets meanwhile write to the simulator as someone else would,
// then applies the plan made before that write, as an approved apply does. It returns the
// first failure ("" when none) and the writes the apply made.
func (h *harness) applyAfter(meanwhile func()) (string, int64) {
	h.t.Helper()
	p, _, errText := h.runPlan()
	if errText != "" {
		h.t.Fatalf("plan: %s", errText)
	}
	meanwhile()
	before := h.Sim.Writes()
	res, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		h.t.Fatalf("apply: %v", err)
	}
	for _, tr := range res.Tasks {
		for _, f := range tr.Errors {
			return f.Error, h.Sim.Writes() - before
		}
	}
	return "", h.Sim.Writes() - before
}

// TestFaultChangedSincePlan: apply writes on top of what a target holds right before the
// write, not the copy its plan read. A change made meanwhile to anything else is kept (it
// was silently reverted before); a change meanwhile to what the task sets is refused as
// stale, with nothing written; a target already as planned is not written again.
func TestFaultChangedSincePlan(t *testing.T) {
	ctx := context.Background()
	type env struct {
		s   *sim.Sim
		vs0 *tintri.Client
		tgc *tintri.Client
	}
	setDNS := func(e env, secondary, tertiary string) {
		cur := e.s.Appliance("vmstore-0").DNSConfig
		a := tintri.Appliance{DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns,
			DNSPrimary: cur.DNSPrimary, DNSSecondary: secondary, DNSTertiary: tertiary}}
		if err := e.vs0.UpdateAppliance(ctx, a, tintri.PropDNSConfig); err != nil {
			t.Fatal(err)
		}
	}
	addIP := func(e env, cidr string) {
		ips := e.s.Appliance("vmstore-0").ConfigIPs
		ips = append(ips, tintri.ApplianceIp{TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: cidr, VlanID: "untagged"})
		if err := e.vs0.UpdateAppliance(ctx, tintri.Appliance{ConfigIPs: ips}, tintri.PropConfigIPs); err != nil {
			t.Fatal(err)
		}
	}
	ips := func(e env) string {
		var out []string
		for _, ip := range e.s.Appliance("vmstore-0").ConfigIPs {
			out = append(out, ip.IPCidr)
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name, task string
		meanwhile  func(env)
		wantErr    string // "" for success
		check      func(t *testing.T, e env)
	}{{
		name:      "dns: another server changed meanwhile is kept",
		task:      secondaryTask,
		meanwhile: func(e env) { setDNS(e, e.s.Appliance("vmstore-0").DNSConfig.DNSSecondary, "192.0.2.99") },
		check: func(t *testing.T, e env) {
			if d := e.s.Appliance("vmstore-0").DNSConfig; d.DNSSecondary != "192.0.2.54" || d.DNSTertiary != "192.0.2.99" {
				t.Errorf("dns %+v, want secondary set and the tertiary set meanwhile kept", d)
			}
		},
	}, {
		name:      "dns: the server the task sets changed meanwhile is stale",
		task:      secondaryTask,
		meanwhile: func(e env) { setDNS(e, "192.0.2.77", "") },
		wantErr:   "stale: changed since the plan: the secondary DNS server is 192.0.2.77 now, 198.51.100.53 at plan time; nothing written, run plan again",
	}, {
		name:      "dns: already as planned is not written",
		task:      secondaryTask,
		meanwhile: func(e env) { setDNS(e, "192.0.2.54", "") },
	}, {
		name:      "data_ip: an IP added meanwhile is kept",
		task:      add110Task,
		meanwhile: func(e env) { addIP(e, "198.51.100.130/24") },
		check: func(t *testing.T, e env) {
			if got := ips(e); !strings.Contains(got, "198.51.100.110/24") || !strings.Contains(got, "198.51.100.130/24") {
				t.Errorf("vmstore-0 ips %s, want .110 added and .130 kept", got)
			}
		},
	}, {
		name:      "data_ip: the IP the task sets added meanwhile otherwise is stale",
		task:      add110Task,
		meanwhile: func(e env) { addIP(e, "198.51.100.110/25") },
		wantErr:   "stale: changed since the plan: the data IP 198.51.100.110 is 198.51.100.110/25 vlan untagged now, absent at plan time",
	}, {
		name: "maintenance_mode: enabled meanwhile for another length is stale",
		task: `task "maintenance_mode" "t" {
    servers  = [server.vmstore0]
    enabled  = true
    duration = "2h"
  }`,
		meanwhile: func(e env) {
			start := time.Now()
			mm := &tintri.ApplianceMaintenanceMode{TypeID: tintri.TypeApplianceMaintenanceMode, IsEnabled: true,
				StartTime: tintri.FormatTime(start), EndTime: tintri.FormatTime(start.Add(6 * time.Hour))}
			if err := e.vs0.UpdateAppliance(ctx, tintri.Appliance{MaintenanceMode: mm}, tintri.PropMaintenanceMode); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: "stale: changed since the plan: maintenance mode is enabled for 6h0m0s now, disabled at plan time",
	}, {
		name: "service_group_qos: limits changed meanwhile are stale",
		task: qosSQLTask,
		meanwhile: func(e env) {
			g := qosGroup(t, e.s, "SQL Production")
			q := tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig, MinNormalizedIops: 200, MaxNormalizedIops: 800}
			if err := e.tgc.SetServiceGroupQoS(ctx, g.ID(), q); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: "stale: changed since the plan: the group's qos is min 200, max 800 now, min default, max default at plan time",
	}, {
		name: "vm_affinity: a rule set meanwhile is stale",
		task: `task "vm_affinity" "t" {
    server = server.tgc
    vms    = ["exch-01"]
    rule   = "never"
  }`,
		meanwhile: func(e env) {
			vm, _ := e.s.VMByName("exch-01")
			rule := tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: tintri.AffinityExcludeDatastores,
				VmstoreTintriUuids: []string{e.s.VMstores()[1].UUID.ID()}}
			if err := e.tgc.SetVMAffinity(ctx, vm.ID(), rule); err != nil {
				t.Fatal(err)
			}
		},
		wantErr: "stale: changed since the plan: the affinity rule is EXCLUDE_DATASTORES(",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, sim.Options{VMstores: 2, VMs: 60, Seed: 7})
			e := env{s: s, vs0: simClientAt(t, s, s.VMstoreURLs()[0]), tgc: simClient(t, s)}
			h := newHarness(t, s, tt.task, nil)
			msg, writes := h.applyAfter(func() { tt.meanwhile(e) })
			switch {
			case tt.wantErr != "" && (!strings.HasPrefix(msg, tt.wantErr) || writes != 0):
				t.Errorf("apply: %d writes, error %q; want none and %q", writes, msg, tt.wantErr)
			case tt.wantErr == "" && msg != "":
				t.Errorf("apply: %s", msg)
			case tt.check == nil && tt.wantErr == "" && writes != 0:
				t.Errorf("apply wrote %d times, want none: already as planned", writes)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
			recs, err := engine.ReadAudit(h.Engine.StateDir)
			if err != nil {
				t.Fatal(err)
			}
			if last := recs[len(recs)-1]; (tt.wantErr == "") != (last.Result == plan.AuditOK) {
				t.Errorf("audit outcome %q (%s)", last.Result, last.Error)
			}
		})
	}
}

// TestFaultReplacedAfterWrite: the writes of appliance_dns and data_ip are read back, and
// made again on top of a concurrent write that replaced them, at most maxRaces times. A
// writer that replaces the change after every write gets 1+3 writes and an error naming
// the bound; one that replaces it once gets the change made again, 2 writes in all.
func TestFaultReplacedAfterWrite(t *testing.T) {
	dropIP := func(a *tintri.Appliance) {
		a.ConfigIPs = slices.DeleteFunc(a.ConfigIPs, func(ip tintri.ApplianceIp) bool { return ip.IPCidr == "198.51.100.110/24" })
	}
	var planSecondary string
	resetSecondary := func(a *tintri.Appliance) { a.DNSConfig.DNSSecondary = planSecondary }
	tests := []struct {
		name, task string
		replace    func(*tintri.Appliance)
		times      int // how many writes the concurrent writer replaces; -1: all
		wantWrites int64
		wantErr    string
		done       func(tintri.Appliance) bool
	}{
		{"data_ip: replaced once", add110Task, dropIP, 1, 2, "",
			func(a tintri.Appliance) bool {
				return slices.ContainsFunc(a.ConfigIPs, func(ip tintri.ApplianceIp) bool { return ip.IPCidr == "198.51.100.110/24" })
			}},
		{"data_ip: replaced every time", add110Task, dropIP, -1, 1 + maxRaces,
			"another writer replaced this change 3 times while it was being made; nothing more written; run plan again", nil},
		{"dns: replaced once", secondaryTask, resetSecondary, 1, 2, "",
			func(a tintri.Appliance) bool { return a.DNSConfig.DNSSecondary == "192.0.2.54" }},
		{"dns: replaced every time", secondaryTask, resetSecondary, -1, 1 + maxRaces,
			"another writer replaced this change 3 times while it was being made; nothing more written; run plan again", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSim(t, sim.Options{VMstores: 2, VMs: 10, Seed: 7})
			planSecondary = s.Appliance("vmstore-0").DNSConfig.DNSSecondary
			h := newHarness(t, s, tt.task, nil)
			var mu sync.Mutex
			replaced := 0
			msg, writes := h.applyAfter(func() {
				s.OnServed("vmstore-0", "PUT", "/api/v310/appliance", func() {
					mu.Lock()
					defer mu.Unlock()
					if tt.times < 0 || replaced < tt.times {
						replaced++
						s.EditAppliance("vmstore-0", tt.replace)
					}
				})
			})
			if writes != tt.wantWrites || msg != tt.wantErr {
				t.Errorf("apply: %d writes, error %q; want %d and %q", writes, msg, tt.wantWrites, tt.wantErr)
			}
			if tt.done != nil && !tt.done(s.Appliance("vmstore-0")) {
				t.Errorf("vmstore-0 lacks the change: %+v", s.Appliance("vmstore-0"))
			}
		})
	}
}
