package tasks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// applianceJobLine returns the line of job.hcl (as jobSource writes it) holding line n
// (1-based) of the task HCL.
func applianceJobLine(n int) int {
	src := jobSource(nil, "")
	return strings.Count(src[:strings.Index(src, "job \"test\" {\n")], "\n") + 1 + n
}

// applianceSummaries renders diagnostics as "FILE:LINE: Summary" for exact comparisons.
func applianceSummaries(diags hcl.Diagnostics) []string {
	out := make([]string, 0, len(diags))
	for _, l := range diagLines(diags) {
		parts := strings.SplitN(l, ": ", 3)
		out = append(out, parts[0]+": "+parts[1])
	}
	return out
}

// applianceKeys returns the fleet member keys (host:port) of the sim's VMstores.
func applianceKeys(t *testing.T, s *sim.Sim) []string {
	t.Helper()
	var keys []string
	for _, u := range s.VMstoreURLs() {
		k, err := config.MemberKey(u)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	return keys
}

// appliancesWithout returns the sim's VMstore appliances by name with the part a task
// manages cleared by clear, to check that a task changed nothing else.
func appliancesWithout(s *sim.Sim, clear func(*tintri.Appliance)) map[string]tintri.Appliance {
	out := map[string]tintri.Appliance{}
	for i := range s.VMstoreURLs() {
		name := fmt.Sprintf("vmstore-%d", i)
		a := s.Appliance(name)
		clear(&a)
		out[name] = a
	}
	return out
}

// applianceBadInput is one invalid task body and the diagnostics it must produce.
type applianceBadInput struct {
	name  string
	task  string
	files map[string]string
	want  []string // "FILE:LINE: Summary: Detail" (diagLines), LINE as applianceJobLine for job.hcl
}

func runApplianceBadInputs(t *testing.T, cases []applianceBadInput) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			diags := decodeTask(t, tc.task, tc.files)
			if diff := cmp.Diff(tc.want, diagLines(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// applianceAt formats an expected job.hcl diagnostic ("Summary: Detail") at task line n.
func applianceAt(n int, summary string) string {
	return fmt.Sprintf("job.hcl:%d: %s", applianceJobLine(n), summary)
}

func TestApplianceDNSPlanApply(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "appliance_dns" "dns" {
    fleet    = fleet.lab
    primary  = "192.0.2.54"
    tertiary = "203.0.113.53"
  }`, nil)
	keys := applianceKeys(t, s)
	before := appliancesWithout(s, func(a *tintri.Appliance) { a.DNSConfig = nil })

	s.ResetCounters()
	tp := h.plan()
	var want []plan.Change
	for i, k := range keys {
		want = append(want, plan.Change{
			// The VMstore is named as people know it: its alias, and the host it is reached by.
			Server: k, Object: fmt.Sprintf("appliance dns of vmstore-%d", i), ID: k + "/dns", Action: plan.ActionUpdate,
			Summary: "update dns primary, tertiary",
			Before:  plan.MustJSON(dnsState{Primary: "192.0.2.53", Secondary: "198.51.100.53"}),
			After:   plan.MustJSON(dnsState{Primary: "192.0.2.54", Secondary: "198.51.100.53", Tertiary: "203.0.113.53"}),
			Details: []string{"~ primary: 192.0.2.53 → 192.0.2.54", "~ tertiary: (unset) → 203.0.113.53"},
			// Addresses name the appliance by its URL's host, as every task does.
			Addresses: []string{"vmstore/" + k + "/dns/primary", "vmstore/" + k + "/dns/tertiary"},
		})
	}
	if diff := cmp.Diff(want, tp.Changes); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 3}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	for _, name := range []string{"vmstore-0", "vmstore-1", "vmstore-2"} {
		got := s.Appliance(name).DNSConfig
		wantDNS := &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "192.0.2.54", DNSSecondary: "198.51.100.53", DNSTertiary: "203.0.113.53"}
		if diff := cmp.Diff(wantDNS, got); diff != "" {
			t.Errorf("%s dns (-want +got), secondary must be preserved:\n%s", name, diff)
		}
	}
	// Only dnsConfig was updated: the rest of every appliance is as it was.
	if diff := cmp.Diff(before, appliancesWithout(s, func(a *tintri.Appliance) { a.DNSConfig = nil })); diff != "" {
		t.Errorf("appliances besides dnsConfig changed (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	tp = h.plan()
	wantUnchanged := []string{"vmstore-0 (" + keys[0] + ")", "vmstore-1 (" + keys[1] + ")", "vmstore-2 (" + keys[2] + ")"}
	if len(tp.Changes) != 0 || !cmp.Equal(tp.Unchanged, wantUnchanged) {
		t.Errorf("second plan: %d changes, unchanged %v; want 0 and %v", len(tp.Changes), tp.Unchanged, wantUnchanged)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second plan and apply made %d writes", w)
	}
}

func TestApplianceDNSServersSubset(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "appliance_dns" "dns" {
    servers   = [server.vmstore1]
    secondary = "198.51.100.54"
  }`, nil)
	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 1}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	if got := s.Appliance("vmstore-1").DNSConfig.DNSSecondary; got != "198.51.100.54" {
		t.Errorf("vmstore-1 secondary = %q", got)
	}
	if got := s.Appliance("vmstore-0").DNSConfig.DNSSecondary; got != "198.51.100.53" {
		t.Errorf("vmstore-0 secondary changed to %q; it is not a target", got)
	}
}

func TestApplianceDNSStoppedVMstoreFailsAlone(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "appliance_dns" "dns" {
    fleet   = fleet.lab
    primary = "192.0.2.54"
  }`, nil)
	keys := applianceKeys(t, s)
	if err := s.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	tp := h.plan()
	var servers []string
	for _, ch := range tp.Changes {
		servers = append(servers, ch.Server)
	}
	if diff := cmp.Diff([]string{keys[0], keys[2]}, servers); diff != "" {
		t.Errorf("changes for (-want +got):\n%s", diff)
	}
	if len(tp.Failed) != 1 || tp.Failed[0].Server != keys[1] || !strings.Contains(tp.Failed[0].Error, keys[1]) {
		t.Fatalf("failed = %+v; want one failure for %s naming it", tp.Failed, keys[1])
	}
	s.ResetCounters()
	// A plan that could not read a target is not applied at all...
	if msg := h.applyErr(); !strings.Contains(msg, "1 target(s) of the plan failed") || s.Writes() != 0 {
		t.Errorf("apply with an unreachable VMstore: %q, %d writes; want a refusal and none", msg, s.Writes())
	}
	// ...unless partial applies are allowed: then the reachable ones change.
	h.partial = true
	if msg := h.applyErr(); msg == "" {
		t.Error("apply with an unreachable VMstore reported no failure")
	}
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
}

// TestApplianceWrongServerKind points a fleet at the TGC: every VMstore kind must refuse it
// before any write.
func TestApplianceWrongServerKind(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 4, Seed: 1})
	tgcKey, err := config.MemberKey(s.TGCURL())
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{
		`task "appliance_dns" "x" {
    fleet   = fleet.wrong
    primary = "192.0.2.54"
  }`,
		`task "maintenance_mode" "x" {
    fleet   = fleet.wrong
    enabled = true
  }`,
		`task "data_ip" "x" {
    fleet = fleet.wrong
    data_ip {
      vmstore = "TGCKEY"
      ip      = "198.51.100.99"
      prefix  = 24
    }
  }`,
	} {
		task = strings.Replace(task, "TGCKEY", tgcKey, 1)
		src := strings.Replace(jobSource(s, task), "job \"test\"", fmt.Sprintf(
			"fleet \"wrong\" {\n  urls = [%q]\n  username = %q\n  password = env(\"TINTRI_PASSWORD\")\n  ca_file = %q\n}\n\njob \"test\"",
			s.TGCURL(), s.Username(), s.CAFile()), 1)
		h := loadHarness(t, s, map[string]string{"job.hcl": src})
		s.ResetCounters()
		tp := h.plan()
		if len(tp.Changes) != 0 || len(tp.Failed) != 1 || tp.Failed[0].Server != tgcKey ||
			!strings.Contains(tp.Failed[0].Error, "unsupported by this server") {
			t.Errorf("%s: plan = %+v; want one unsupported-server failure for %s", h.Config.Jobs[0].Tasks[0].Kind, tp, tgcKey)
		}
		if w := s.Writes(); w != 0 {
			t.Errorf("%s: %d writes", h.Config.Jobs[0].Tasks[0].Kind, w)
		}
	}
}

func TestApplianceDNSBadInputs(t *testing.T) {
	runApplianceBadInputs(t, []applianceBadInput{
		{name: "no servers", task: `task "appliance_dns" "x" {
    fleet = fleet.lab
  }`, want: []string{applianceAt(1, "Missing DNS servers: Set at least one of primary, secondary and tertiary; the ones left out keep the appliance's value.")}},
		{name: "bad address", task: `task "appliance_dns" "x" {
    fleet   = fleet.lab
    primary = "10.0.0.300"
  }`, want: []string{applianceAt(3, `Invalid DNS server address: The primary DNS server must be an IPv4 or IPv6 address, not "10.0.0.300".`)}},
		{name: "address with zone", task: `task "appliance_dns" "x" {
    fleet     = fleet.lab
    primary   = "192.0.2.1"
    secondary = "fe80::1%eth0"
  }`, want: []string{applianceAt(4, `Invalid DNS server address: The secondary DNS server must be an IPv4 or IPv6 address, not "fe80::1%eth0".`)}},
		{name: "hostname", task: `task "appliance_dns" "x" {
    fleet    = fleet.lab
    tertiary = "dns.example.com"
  }`, want: []string{applianceAt(3, `Invalid DNS server address: The tertiary DNS server must be an IPv4 or IPv6 address, not "dns.example.com".`)}},
		{name: "duplicate", task: `task "appliance_dns" "x" {
    fleet     = fleet.lab
    primary   = "192.0.2.1"
    secondary = "192.0.2.01"
    tertiary  = "192.0.2.1"
  }`, want: []string{applianceAt(4, `Invalid DNS server address: The secondary DNS server must be an IPv4 or IPv6 address, not "192.0.2.01".`), applianceAt(5, "Duplicate DNS server: 192.0.2.1 is already the primary DNS server; each DNS server can be listed once.")}},
		{name: "list value", task: `task "appliance_dns" "x" {
    fleet   = fleet.lab
    primary = ["192.0.2.1"]
  }`, want: []string{applianceAt(3, `Invalid primary: The primary attribute must be a string, not ["192.0.2.1"].`)}},
		{name: "unknown attribute", task: `task "appliance_dns" "x" {
    fleet      = fleet.lab
    primary    = "192.0.2.1"
    quaternary = "192.0.2.2"
  }`, want: []string{applianceAt(4, `Unsupported argument: An argument named "quaternary" is not expected here.`)}},
		{name: "no targets", task: `task "appliance_dns" "x" {
    primary = "192.0.2.1"
  }`, want: []string{applianceAt(1, "Missing targets: Set fleet = fleet.<name> or servers = [server.<name>, …] to say which VMstores the task works on.")}},
		{name: "both targets", task: `task "appliance_dns" "x" {
    fleet   = fleet.lab
    servers = [server.vmstore0]
    primary = "192.0.2.1"
  }`, want: []string{applianceAt(3, "Conflicting targets: Set either fleet or servers, not both.")}},
		{name: "tgc as target", task: `task "appliance_dns" "x" {
    servers = [server.tgc]
    primary = "192.0.2.1"
  }`, want: []string{applianceAt(2, `Wrong server kind: Server "tgc" is a tgc, but a vmstore is required here.`)}},
	})
}
