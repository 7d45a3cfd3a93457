package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// dataIPSplit returns an appliance's data entries and its other entries.
func dataIPSplit(ips []tintri.ApplianceIp) (data, other []tintri.ApplianceIp) {
	for _, ip := range ips {
		if ip.ServiceType == tintri.ServiceTypeData {
			data = append(data, ip)
		} else {
			other = append(other, ip)
		}
	}
	return data, other
}

// dataIPPlanText renders a plan with the sim's random ports replaced by <vmstore-N>, for
// golden files.
func dataIPPlanText(t *testing.T, s *sim.Sim, tp *plan.TaskPlan) string {
	t.Helper()
	b, err := json.MarshalIndent(tp, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i, k := range applianceKeys(t, s) {
		text = strings.ReplaceAll(text, k, fmt.Sprintf("<vmstore-%d>", i))
	}
	return text + "\n"
}

func TestDataIPAddFromCSV(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	keys := applianceKeys(t, s)
	// The CSV oddities of exported files: BOM, CRLF, comments, blank lines, spaces and
	// quoted fields.
	csv := "\uFEFF# lab data IPs\r\nvmstore, ip, prefix, gateway, vlan_id, jumbo_frames\r\n\r\n" +
		"vmstore-0, 198.51.100.20 ,24,198.51.100.1,100,true\r\n" +
		"# vmstore-1 gets one new IP and keeps its old one, made jumbo\r\n" +
		"VMSTORE-1,\"198.51.100.21\",255.255.255.0,,untagged,no\r\n" +
		"   \r\n" +
		"vmstore-1,198.51.100.11,24,198.51.100.1,,yes\r\n" +
		keys[2] + ",198.51.100.12,24,198.51.100.1,,\r\n"
	h := newHarness(t, s, `task "data_ip" "lab" {
    fleet = fleet.lab
    csv   = "dataips.csv"
  }`, map[string]string{"dataips.csv": csv})
	before := map[string][]tintri.ApplianceIp{}
	for _, n := range []string{"vmstore-0", "vmstore-1", "vmstore-2"} {
		before[n] = s.Appliance(n).ConfigIPs
	}

	s.ResetCounters()
	tp := h.plan()
	dataIPGolden(t, "testdata/dataip/plan_add.golden", dataIPPlanText(t, s, tp))

	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	for n, ips := range before {
		_, wantOther := dataIPSplit(ips)
		_, gotOther := dataIPSplit(s.Appliance(n).ConfigIPs)
		if diff := cmp.Diff(wantOther, gotOther); diff != "" {
			t.Errorf("%s admin/replication IPs changed (-want +got):\n%s", n, diff)
		}
	}
	data0, _ := dataIPSplit(s.Appliance("vmstore-0").ConfigIPs)
	oldData0, _ := dataIPSplit(before["vmstore-0"])
	wantData0 := append(oldData0, tintri.ApplianceIp{
		TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "198.51.100.20/24",
		Gateway: "198.51.100.1", VlanID: "100", NetworkBond: oldData0[0].NetworkBond, IsJumboFrameEnabled: true,
	})
	if diff := cmp.Diff(wantData0, data0); diff != "" {
		t.Errorf("vmstore-0 data IPs (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	tp = h.plan()
	if len(tp.Changes) != 0 || len(tp.Unchanged) != 3 || len(tp.Warnings) != 0 {
		t.Errorf("second plan = %+v; want no changes, 3 unchanged", tp)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

func TestDataIPExactFromBlocks(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "data_ip" "exact" {
    servers = [server.vmstore0, server.vmstore1]
    mode    = "exact"
    data_ip {
      vmstore = "vmstore0"
      ip      = "198.51.100.30"
      netmask = "255.255.255.0"
      gateway = "198.51.100.1"
    }
    data_ip {
      vmstore      = "vmstore-1"
      ip           = "198.51.100.31"
      prefix       = 24
      vlan_id      = 200
      jumbo_frames = true
    }
  }`, nil)
	before2 := s.Appliance("vmstore-2").ConfigIPs
	_, other0 := dataIPSplit(s.Appliance("vmstore-0").ConfigIPs)
	tp := h.plan()
	var got [][]string
	for _, ch := range tp.Changes {
		got = append(got, append([]string{ch.Server, ch.Summary}, ch.Details...))
	}
	want := [][]string{
		{"vmstore0", "1 to add, 1 to remove",
			"- 198.51.100.10/24 vlan untagged gateway 198.51.100.1", "+ 198.51.100.30/24 vlan untagged gateway 198.51.100.1"},
		{"vmstore1", "1 to add, 1 to remove",
			"- 198.51.100.11/24 vlan untagged gateway 198.51.100.1", "+ 198.51.100.31/24 vlan 200 jumbo"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	data0, gotOther0 := dataIPSplit(s.Appliance("vmstore-0").ConfigIPs)
	wantData0 := []tintri.ApplianceIp{{
		TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "198.51.100.30/24",
		Gateway: "198.51.100.1", VlanID: "untagged", NetworkBond: "data",
	}}
	if diff := cmp.Diff(wantData0, data0); diff != "" {
		t.Errorf("vmstore-0 data IPs (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(other0, gotOther0); diff != "" {
		t.Errorf("vmstore-0 admin/replication IPs changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before2, s.Appliance("vmstore-2").ConfigIPs); diff != "" {
		t.Errorf("vmstore-2 (not a target) changed (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 {
		t.Errorf("second plan has %d changes", len(tp.Changes))
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

func TestDataIPMissingRows(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	keys := applianceKeys(t, s)
	files := map[string]string{"dataips.csv": "vmstore,ip,prefix\nVMstore-0-Admin,198.51.100.20,24\n"} // by admin hostname
	for _, tc := range []struct {
		mode     string
		failed   []plan.Failure
		warnings []string
	}{
		{mode: "exact", failed: []plan.Failure{
			{Server: keys[1], Object: "data ips", Error: fmt.Sprintf("vmstore-1 (%s) has no rows in the csv file: mode exact would remove every data IP, refused", keys[1])},
			{Server: keys[2], Object: "data ips", Error: fmt.Sprintf("vmstore-2 (%s) has no rows in the csv file: mode exact would remove every data IP, refused", keys[2])},
		}},
		{mode: "add", warnings: []string{
			fmt.Sprintf("vmstore-1 (%s) has no rows in the csv file; its data IPs are left as they are", keys[1]),
			fmt.Sprintf("vmstore-2 (%s) has no rows in the csv file; its data IPs are left as they are", keys[2]),
		}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			h := newHarness(t, s, fmt.Sprintf(`task "data_ip" "lab" {
    fleet = fleet.lab
    mode  = %q
    csv   = "dataips.csv"
  }`, tc.mode), files)
			s.ResetCounters()
			tp := h.plan()
			if diff := cmp.Diff(tc.failed, tp.Failed); diff != "" {
				t.Errorf("failed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.warnings, tp.Warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
			if len(tp.Changes) != 1 || tp.Changes[0].Server != keys[0] {
				t.Errorf("changes = %+v; want one for vmstore-0", tp.Changes)
			}
		})
	}
}

func TestDataIPUnknownAndStoppedVMstore(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	keys := applianceKeys(t, s)
	h := newHarness(t, s, `task "data_ip" "lab" {
    fleet = fleet.lab
    csv   = "dataips.csv"
  }`, map[string]string{"dataips.csv": "vmstore,ip,prefix\nvmstore-0,198.51.100.20,24\nvmstore-2,198.51.100.22,24\nvmstore-7,198.51.100.27,24\n"})
	if err := s.StopServer("vmstore-2"); err != nil {
		t.Fatal(err)
	}
	tp := h.plan()
	if len(tp.Changes) != 1 || tp.Changes[0].Server != keys[0] {
		t.Errorf("changes = %+v; want one for vmstore-0", tp.Changes)
	}
	var got []string
	for _, f := range tp.Failed {
		got = append(got, f.Server+": "+f.Error)
	}
	if len(got) != 3 || !strings.HasPrefix(got[0], keys[2]+": ") {
		t.Fatalf("failed = %q; want the stopped VMstore, then the two unknown names", got)
	}
	wantUnknown := []string{
		`vmstore-2: dataips.csv:3: vmstore "vmstore-2" is not one of the task's VMstores (did you mean "vmstore-0", "vmstore-1"?); 1 of the task's VMstores could not be read`,
		`vmstore-7: dataips.csv:4: vmstore "vmstore-7" is not one of the task's VMstores (did you mean "vmstore-0", "vmstore-1"?); 1 of the task's VMstores could not be read`,
	}
	if diff := cmp.Diff(wantUnknown, got[1:]); diff != "" {
		t.Errorf("unknown names (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{fmt.Sprintf("vmstore-1 (%s) has no rows in the csv file; its data IPs are left as they are", keys[1])}, tp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if len(tp.Coded) != 1 || tp.Coded[0].Code != plan.WarnNoRows || tp.Coded[0].File != "dataips.csv" {
		t.Errorf("coded warnings %+v, want one no_rows naming the csv file", tp.Coded)
	}
}

// TestDataIPUnknownVMstoreFailsTask: with every target read, a row naming none of them
// is bad input: the task fails with the file, line and name, and an apply writes nothing,
// not even the rows of the VMstores that were found.
func TestDataIPUnknownVMstoreFailsTask(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 3, VMs: 6, Seed: 1})
	h := newHarness(t, s, `task "data_ip" "lab" {
    fleet = fleet.lab
    csv   = "dataips.csv"
  }`, map[string]string{"dataips.csv": "vmstore,ip,prefix\nvmstore-0,198.51.100.20,24\nvmstore-1,198.51.100.21,24\n" +
		"vmstore-7,198.51.100.27,24\nvmstore-7,198.51.100.28,24\nvmstor-2,198.51.100.29,24\n"})
	want := `dataips.csv:4: vmstore "vmstore-7" is not one of the task's VMstores (did you mean "vmstore-0", "vmstore-1", "vmstore-2"?); ` +
		`dataips.csv:6: vmstore "vmstor-2" is not one of the task's VMstores (did you mean "vmstore-2", "vmstore-0", "vmstore-1"?)`
	s.ResetCounters()
	if got := h.planErr(); got != want {
		t.Errorf("plan error:\n got %s\nwant %s", got, want)
	}
	if got := h.applyErr(); got != want {
		t.Errorf("apply error:\n got %s\nwant %s", got, want)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("plan and apply made %d writes, want 0", w)
	}
}

// TestDataIPVendorSampleEntries: the reference's own ApplianceIp sample has an IPv6 data IP
// with an IPv4 gateway; appliances may also report an unspecified gateway or vlanId "0".
// Such entries are read as they are (not refused), left alone when no row lists them, and
// corrected by a row that does; a second apply writes nothing.
func TestDataIPVendorSampleEntries(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 4, Seed: 1})
	vc := simClientAt(t, s, s.VMstoreURLs()[0])
	odd := []tintri.ApplianceIp{
		{TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "fda8:9cc5:501b:8800:250:56ff:fe90:cbc0/64",
			Gateway: "172.30.0.1", VlanID: "untagged", NetworkBond: "data", IsJumboFrameEnabled: true},
		{TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "198.51.100.60/24",
			Gateway: "0.0.0.0", VlanID: "0", NetworkBond: "data"},
		{TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "198.51.100.61/24",
			Gateway: "198.51.100.254", VlanID: "0", NetworkBond: "data"},
	}
	ips := append(s.Appliance("vmstore-0").ConfigIPs, odd...)
	if err := vc.UpdateAppliance(context.Background(), tintri.Appliance{TypeID: tintri.TypeAppliance, ConfigIPs: ips}, tintri.PropConfigIPs); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, s, `task "data_ip" "x" {
    servers = [server.vmstore0]
    data_ip {
      vmstore = "vmstore-0"
      ip      = "198.51.100.60"
      prefix  = 24
    }
    data_ip {
      vmstore = "vmstore-0"
      ip      = "198.51.100.61"
      prefix  = 24
      gateway = "198.51.100.1"
    }
  }`, nil)
	s.ResetCounters()
	tp := h.plan()
	if len(tp.Failed) != 0 || len(tp.Changes) != 1 {
		t.Fatalf("plan: failed %+v, changes %+v; want one change", tp.Failed, tp.Changes)
	}
	want := []string{"~ 198.51.100.61/24 vlan untagged gateway 198.51.100.254 → 198.51.100.61/24 vlan untagged gateway 198.51.100.1"}
	if diff := cmp.Diff(want, tp.Changes[0].Details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/appliance/{uuid}": 1}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	data, _ := dataIPSplit(s.Appliance("vmstore-0").ConfigIPs)
	if diff := cmp.Diff(odd[:2], data[len(data)-3:len(data)-1]); diff != "" {
		t.Errorf("entries no row changes (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 || len(tp.Failed) != 0 {
		t.Errorf("second plan: changes %+v, failed %+v", tp.Changes, tp.Failed)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second apply made %d writes", w)
	}
}

func TestDataIPDiff(t *testing.T) {
	ip := func(svc, cidr string) tintri.ApplianceIp {
		return tintri.ApplianceIp{TypeID: tintri.TypeApplianceIp, ServiceType: svc, IPCidr: cidr, VlanID: "untagged", NetworkBond: "bond-" + svc}
	}
	cur := []tintri.ApplianceIp{
		ip(tintri.ServiceTypeAdmin, "192.0.2.10/24"),
		ip(tintri.ServiceTypeData, "198.51.100.10/24"),
		{TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IP: "198.51.100.11", Netmask: "255.255.255.0", Hostname: "data11"},
		ip(tintri.ServiceTypeReplication, "203.0.113.10/24"),
	}
	row := func(cidr string, vlan string) dataIPRow {
		var fields [dataIPNumCols]string
		a, p, _ := strings.Cut(cidr, "/")
		fields[dataIPColVMstore], fields[dataIPColIP], fields[dataIPColMask], fields[dataIPColVLAN] = "v", a, p, vlan
		r, errs := parseDataIPFields(fields)
		if len(errs) > 0 {
			t.Fatalf("row %s: %v", cidr, errs)
		}
		return r
	}
	for _, tc := range []struct {
		name    string
		want    []dataIPRow
		exact   bool
		conn    dataIPConn
		details []string
		after   []tintri.ApplianceIp
		err     string
	}{
		{name: "same", want: []dataIPRow{row("198.51.100.10/24", ""), row("198.51.100.11/24", "untagged")}},
		{name: "add keeps others", want: []dataIPRow{row("198.51.100.20/25", "7")},
			details: []string{"+ 198.51.100.20/25 vlan 7"},
			after: append(append([]tintri.ApplianceIp{}, cur...), tintri.ApplianceIp{
				TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData, IPCidr: "198.51.100.20/25", VlanID: "7", NetworkBond: "bond-data"})},
		{name: "change deprecated entry keeps hostname", want: []dataIPRow{row("198.51.100.11/25", "")},
			details: []string{"~ 198.51.100.11/24 vlan untagged → 198.51.100.11/25 vlan untagged"},
			after: []tintri.ApplianceIp{cur[0], cur[1], {TypeID: tintri.TypeApplianceIp, ServiceType: tintri.ServiceTypeData,
				IPCidr: "198.51.100.11/25", VlanID: "untagged", Hostname: "data11"}, cur[3]}},
		{name: "exact removes", exact: true, want: []dataIPRow{row("198.51.100.10/24", "")},
			details: []string{"- 198.51.100.11/24 vlan untagged"},
			after:   []tintri.ApplianceIp{cur[0], cur[1], cur[3]}},
		{name: "exact would remove the connection", exact: true, conn: dataIPConn{host: "198.51.100.11", addrs: []netip.Addr{netip.MustParseAddr("198.51.100.11")}}, want: []dataIPRow{row("198.51.100.10/24", "")},
			err: "refusing to remove the data IP 198.51.100.11 this runner connects through"},
		{name: "connection by hostname", exact: true, conn: dataIPConn{host: "DATA11"}, want: []dataIPRow{row("198.51.100.10/24", "")},
			err: "refusing to remove the data IP 198.51.100.11 this runner connects through"},
		{name: "resolved name of the connection", exact: true, conn: dataIPConn{host: "vmstore.example", addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("198.51.100.11")}},
			want: []dataIPRow{row("198.51.100.10/24", "")}, err: "refusing to remove the data IP 198.51.100.11 this runner connects through"},
		{name: "change would cut the connection", conn: dataIPConn{host: "198.51.100.10", addrs: []netip.Addr{netip.MustParseAddr("198.51.100.10")}}, want: []dataIPRow{row("198.51.100.10/24", "12")},
			err: "refusing to change the data IP 198.51.100.10 this runner connects through"},
		{name: "address of the admin interface", want: []dataIPRow{row("192.0.2.10/24", "")},
			err: "192.0.2.10 is already the appliance's admin IP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			after, details, _, err := dataIPDiff(cur, tc.want, tc.exact, tc.conn)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.err {
				t.Fatalf("err = %q, want %q", gotErr, tc.err)
			}
			if diff := cmp.Diff(tc.details, details); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.after, after); diff != "" {
				t.Errorf("after (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDataIPBadInputs(t *testing.T) {
	block := func(lines ...string) string {
		return "task \"data_ip\" \"x\" {\n    fleet = fleet.lab\n" + strings.Join(lines, "\n") + "\n  }"
	}
	runApplianceBadInputs(t, []applianceBadInput{
		{name: "bad mode", task: block(`    mode = "replace"`, `    csv  = "d.csv"`),
			files: map[string]string{"d.csv": "vmstore,ip,prefix\n"},
			want:  []string{applianceAt(3, `Invalid mode: The mode attribute must be one of "add", "exact", not "replace".`)}},
		{name: "no source", task: block(),
			want: []string{applianceAt(1, "Missing data IPs: Set csv to a data IP file or add data_ip blocks.")}},
		{name: "both sources", task: block(`    csv = "d.csv"`, `    data_ip {`, `      vmstore = "a"`, `      ip = "198.51.100.20"`, `      prefix = 24`, `    }`),
			files: map[string]string{"d.csv": "vmstore,ip,prefix\n"},
			want:  []string{applianceAt(4, "Conflicting data IP sources: Give the data IPs either in a csv file or in data_ip blocks, not both.")}},
		{name: "missing file", task: block(`    csv = "nope.csv"`),
			want: []string{applianceAt(3, "Cannot read data IP file: Reading nope.csv: read nope.csv: open nope.csv: no such file or directory.")}},
		{name: "csv problem", task: block(`    csv = "d.csv"`),
			files: map[string]string{"d.csv": "vmstore,ip,netmask\n\n# x\nvmstore-0,198.51.100.20,255.255.255.1\n"},
			want:  []string{"d.csv:4: Invalid netmask: 255.255.255.1 is not a netmask: its one bits must be contiguous from the left."}},
		{name: "netmask and prefix", task: block(`    data_ip {`, `      vmstore = "a"`, `      ip      = "198.51.100.20"`, `      prefix  = 24`, `      netmask = "255.255.255.0"`, `    }`),
			want: []string{applianceAt(7, "Conflicting netmask and prefix: Set either prefix or netmask; they say the same thing.")}},
		{name: "no prefix", task: block(`    data_ip {`, `      vmstore = "a"`, `      ip      = "198.51.100.20"`, `    }`),
			want: []string{applianceAt(3, "Missing netmask or prefix: Each data IP needs a prefix length (24) or a netmask (255.255.255.0).")}},
		{name: "missing ip", task: block(`    data_ip {`, `      vmstore = "a"`, `      prefix  = 24`, `    }`),
			want: []string{applianceAt(3, `Missing required argument: The argument "ip" is required, but no definition was found.`)}},
		{name: "bad vlan and gateway", task: block(`    data_ip {`, `      vmstore = "a"`, `      ip      = "198.51.100.20"`, `      prefix  = 28`,
			`      gateway = "198.51.100.33"`, `      vlan_id = 4095`, `    }`),
			want: []string{applianceAt(8, `Invalid VLAN ID: The VLAN ID is a number from 1 to 4094 or "untagged", not "4095".`), applianceAt(7, "Gateway outside subnet: The gateway 198.51.100.33 must be an address of 198.51.100.16/28 other than 198.51.100.20 itself.")}},
		{name: "duplicate blocks", task: block(`    data_ip {`, `      vmstore = "a"`, `      ip      = "198.51.100.20"`, `      prefix  = 24`, `    }`,
			`    data_ip {`, `      vmstore = "b"`, `      ip      = "198.51.100.20"`, `      prefix  = 24`, `    }`),
			want: []string{applianceAt(10, `Duplicate data IP: 198.51.100.20 is already listed for vmstore "a" at job.hcl:33; an address can be assigned once.`)}},
		{name: "jumbo not a bool", task: block(`    data_ip {`, `      vmstore      = "a"`, `      ip           = "198.51.100.20"`, `      prefix       = 24`,
			`      jumbo_frames = "on"`, `    }`),
			want: []string{applianceAt(7, `Invalid jumbo_frames value: jumbo_frames is true, false, yes or no, not "on".`)}},
	})
}

// TestDataIPRefusesTheConnectionAddress: the address a plan compares with is the host of
// the URL the runner reaches the VMstore through. The sim's vmstore-0 is reached as
// localhost through one server block and as 127.0.0.1 through another; its data IP
// 198.51.100.10 is named "localhost". Mode exact without that IP is refused through the
// localhost block only.
func TestDataIPRefusesTheConnectionAddress(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 1, VMs: 4, Seed: 1})
	vc := simClientAt(t, s, s.VMstoreURLs()[0])
	ips := s.Appliance("vmstore-0").ConfigIPs
	named := 0
	for i := range ips {
		if ips[i].ServiceType == tintri.ServiceTypeData && strings.HasPrefix(ips[i].IPCidr, "198.51.100.10/") {
			ips[i].Hostname = "localhost"
			named++
		}
	}
	if named != 1 {
		t.Fatalf("sim vmstore-0 IPs: %+v", ips)
	}
	if err := vc.UpdateAppliance(context.Background(), tintri.Appliance{TypeID: tintri.TypeAppliance, ConfigIPs: ips}, tintri.PropConfigIPs); err != nil {
		t.Fatal(err)
	}
	localURL := strings.Replace(s.VMstoreURLs()[0], "127.0.0.1", "localhost", 1)
	for _, tc := range []struct {
		server string
		failed []plan.Failure
		change bool
	}{
		{server: "local", failed: []plan.Failure{{Server: "local", Object: "data ips",
			Error: "vmstore-0 (local): refusing to remove the data IP 198.51.100.10 this runner connects through"}}},
		{server: "vmstore0", change: true},
	} {
		t.Run(tc.server, func(t *testing.T) {
			src := strings.Replace(jobSource(s, fmt.Sprintf(`task "data_ip" "x" {
    servers = [server.%s]
    mode    = "exact"
    data_ip {
      vmstore = %q
      ip      = "198.51.100.40"
      prefix  = 24
    }
  }`, tc.server, tc.server)), "job \"test\"", fmt.Sprintf(
				"server \"local\" {\n  kind = \"vmstore\"\n  url = %q\n  username = %q\n  password = env(\"TINTRI_PASSWORD\")\n  ca_file = %q\n}\n\njob \"test\"",
				localURL, s.Username(), s.CAFile()), 1)
			h := loadHarness(t, s, map[string]string{"job.hcl": src})
			s.ResetCounters()
			tp := h.plan()
			if diff := cmp.Diff(tc.failed, tp.Failed); diff != "" {
				t.Errorf("failed (-want +got):\n%s", diff)
			}
			if got := len(tp.Changes) == 1; got != tc.change {
				t.Errorf("changes = %+v", tp.Changes)
			}
		})
	}
}

// TestDataIPConnOf: the connection of a client whose URL holds an address is that address.
func TestDataIPConnOf(t *testing.T) {
	c, err := tintri.New(tintri.Config{URL: "https://[2001:db8::5]:9443", Username: "admin", Password: "unused", Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	conn := dataIPConnOf(context.Background(), c.ReadOnly())
	if conn.host != "2001:db8::5" || len(conn.addrs) != 1 || conn.addrs[0] != netip.MustParseAddr("2001:db8::5") {
		t.Errorf("conn = %+v", conn)
	}
}
