package sim_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// pythonWithRequests returns the first of `python3` on PATH and /usr/bin/python3 (where CI
// installs Debian's python3-requests) that can import requests, and why none could.
func pythonWithRequests() (string, error) {
	var errs []error
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		out, err := exec.Command(py, "-c", "import requests").CombinedOutput()
		if err == nil {
			return py, nil
		}
		lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
		errs = append(errs, fmt.Errorf("%s: %v: %s", py, err, lines[len(lines)-1]))
	}
	return "", errors.Join(errs...)
}

// TestVendorScript runs testdata/vendor_scripts/compat_client.py, a Python client that sends
// exactly the request shapes of the vendor's published examples and SDK (string
// objectIdsAdded, next re-sent verbatim and re-encoded, stat reads, logins to each VM's
// vmstoreName, snapshots created, listed and deleted with 200s, re-login on ERR-API-0104
// only, configIps holding only the data IPs), against the simulator and checks the state it
// changed and the report it saved (whose figures are the VMs' stat).
func TestVendorScript(t *testing.T) {
	python, err := pythonWithRequests()
	if err != nil {
		t.Skipf("skipping the vendor-style script: no python3 that can import requests "+
			"(install python3-requests, as .ci/run does):\n%v", err)
	}
	script, err := filepath.Abs("../../testdata/vendor_scripts/compat_client.py")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, sim.Options{VMs: 60, VMstores: 2})
	sql1, _ := s.VMByName("sql-prod-01")
	seeded, err := s.AddSnapshot(sim.SnapshotSeed{VMID: sql1.ID(), Name: "golden", Created: time.Now().Add(-24 * time.Hour), CloneReferenceCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := runScript(t, s, python, script, dir)
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		step, _, _ := strings.Cut(line, ":")
		steps = append(steps, step)
	}
	want := []string{"info", "info", "login", "login", "vms", "vms", "stats", "affinity", "service group", "qos", "qos",
		"report", "session", "logout", "login", "snapshot", "snapshot", "snapshot", "login", "dns", "dns", "ip", "ip", "ip", "data ip", "logout"}
	if diff := gocmp.Diff(want, steps); diff != "" {
		t.Errorf("script steps (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	vms := s.VMs()
	busiest := slices.MaxFunc(vms, func(a, b tintri.VirtualMachine) int {
		return cmp.Compare(a.Stat.SortedStats[0].OperationsTotalIops, b.Stat.SortedStats[0].OperationsTotalIops)
	})
	for _, line := range []string{
		"vms: 6 VMs named *sql-prod* in 3 pages, next re-sent verbatim, first sql-prod-01",
		fmt.Sprintf("stats: 60 VMs, busiest %s at %d IOPS", busiest.Name(), int(busiest.Stat.SortedStats[0].OperationsTotalIops)),
		fmt.Sprintf("snapshot: oldest %s of sql-prod-01", seeded.ID()),
		"session: logged in again on ERR-API-0104",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	checkScriptEffects(t, s, seeded, dir)
}

// runScript runs the script with the simulator's env file settings and returns its output.
func runScript(t *testing.T, s *sim.Sim, python, script, dir string) string {
	t.Helper()
	envFile := filepath.Join(dir, "sim.env")
	if err := s.WriteEnvFile(envFile); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // only bounds a hung script
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Dir = dir
	// The script's optional settings, explicit so that the caller's environment cannot change them.
	cmd.Env = append(os.Environ(), "TINTRI_REPORT_FILE="+filepath.Join(dir, "report.csv"),
		"TINTRI_VM_NAME_FILTER=sql-prod", "TINTRI_SERVICE_GROUP=Empty Group", "TINTRI_NEW_DNS_PRIMARY=192.0.2.153",
		"TINTRI_NEW_DATA_IP=198.51.100.99")
	for k, v := range parseEnv(t, envFile) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vendor script failed: %v\n%s", err, out)
	}
	t.Logf("vendor script output:\n%s", out)
	return string(out)
}

// checkScriptEffects checks the simulator's state and counters after the script.
func checkScriptEffects(t *testing.T, s *sim.Sim, seeded tintri.Snapshot, dir string) {
	t.Helper()
	vm, ok := s.VMByName("sql-prod-01")
	if !ok || vm.AffinityRule == nil || vm.AffinityRule.RuleType != "NEVER" {
		t.Errorf("sql-prod-01 affinity = %+v, want NEVER", vm.AffinityRule)
	}
	var members []string
	for _, m := range s.ServiceGroupMembers("Empty Group") {
		members = append(members, m.MemberName)
		got, _ := s.VMByName(m.MemberName)
		if q := got.QosConfig; q.MinNormalizedIops != 100 || q.MaxNormalizedIops != 1000 {
			t.Errorf("%s qos = %+v, want min 100 max 1000", m.MemberName, q)
		}
	}
	if diff := gocmp.Diff([]string{"sql-prod-01", "sql-prod-02"}, members); diff != "" {
		t.Errorf("Empty Group members (-want +got):\n%s", diff)
	}
	if snaps := s.Snapshots(); len(snaps) != 1 || snaps[0].ID() != seeded.ID() {
		t.Errorf("snapshots = %+v, want only the seeded one with clones", snaps)
	}
	dns := s.Appliance("vmstore-0").DNSConfig
	if dns.DNSPrimary != "192.0.2.153" || dns.DNSSecondary != "198.51.100.53" {
		t.Errorf("vmstore-0 dns = %+v", dns)
	}
	ips := s.Appliance("vmstore-0").ConfigIPs
	if len(ips) != 4 || ips[0].ServiceType != "admin" || ips[1].ServiceType != "replication" || ips[3].IP != "198.51.100.99" {
		t.Errorf("vmstore-0 ips = %+v, want admin and replication kept, data IP 198.51.100.99 added", ips)
	}
	// affinity 1, static members 2 (one PUT per VM), qos 2, snapshot POST and DELETE,
	// appliance 2 (dns, data IPs)
	if s.Writes() != 9 {
		t.Errorf("Writes = %d, want 9; counts %v", s.Writes(), s.Counts())
	}
	for _, c := range []sim.Count{
		{Server: "tgc", Method: "GET", Path: "/downloads/{token}/{name}", N: 1},
		{Server: "tgc", Method: "POST", Path: "/api/v310/session/login", N: 3}, // wrong password, login, re-login
	} {
		if !slices.Contains(s.Counts(), c) {
			t.Errorf("no count %+v in %v", c, s.Counts())
		}
	}
	checkReport(t, s, filepath.Join(dir, "report.csv"))
}

// checkReport checks the report the script saved: one row per VM, VMstoreName as the VM's.
func checkReport(t *testing.T, s *sim.Sim, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("saved report: %v", err)
	}
	vms := s.VMs()
	if len(rows) < 2 {
		t.Fatalf("saved report has %d rows", len(rows))
	}
	if len(rows) != len(vms)+1 || !slices.Equal(rows[0], []string{"VmName", "VMstoreName", "TotalIops"}) {
		t.Fatalf("saved report: %d rows, header %v; want %d rows", len(rows), rows[0], len(vms)+1)
	}
	for i, vm := range vms {
		iops := fmt.Sprint(vm.Stat.SortedStats[0].OperationsTotalIops)
		if got := rows[i+1]; !slices.Equal(got, []string{vm.Name(), vm.VmstoreName, iops}) {
			t.Errorf("saved report row %d = %v, want %s on %s at %s IOPS, as its stat says", i+1, got, vm.Name(), vm.VmstoreName, iops)
		}
	}
}
