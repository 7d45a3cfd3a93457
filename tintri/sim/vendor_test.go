package sim_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestVendorScript runs a Python client written like the vendor's published examples
// against the simulator and checks the state it changed.
func TestVendorScript(t *testing.T) {
	if err := exec.Command("python3", "-c", "import requests").Run(); err != nil {
		t.Skipf("python3 with the requests module is not available (%v): install python3-requests to run the vendor-style script", err)
	}
	script, err := filepath.Abs("../../testdata/vendor_scripts/vendor_example.py")
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, sim.Options{VMs: 60, VMstores: 2})
	dir := t.TempDir()
	envFile := filepath.Join(dir, "sim.env")
	if err := s.WriteEnvFile(envFile); err != nil {
		t.Fatal(err)
	}
	env := parseEnv(t, envFile)
	cmd := exec.Command("python3", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TINTRI_REPORT_FILE="+filepath.Join(dir, "report.csv"))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vendor script failed: %v\n%s", err, out)
	}
	t.Logf("vendor script output:\n%s", out)
	var steps []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		step, _, _ := strings.Cut(line, ":")
		steps = append(steps, step)
	}
	want := []string{"info", "info", "login", "vms", "affinity", "service group", "report", "logout", "login", "dns", "dns", "ip", "ip", "ip", "logout"}
	if diff := cmp.Diff(want, steps); diff != "" {
		t.Errorf("script steps (-want +got):\n%s\noutput:\n%s", diff, out)
	}
	if !strings.Contains(string(out), "vms: 6 VMs named *sql-prod* in 3 pages, first sql-prod-01") {
		t.Errorf("paging line missing:\n%s", out)
	}

	vm, ok := s.VMByName("sql-prod-01")
	if !ok || vm.AffinityRule == nil || vm.AffinityRule.RuleType != "NEVER" {
		t.Errorf("sql-prod-01 affinity = %+v, want NEVER", vm.AffinityRule)
	}
	var members []string
	for _, m := range s.ServiceGroupMembers("Empty Group") {
		members = append(members, m.MemberName)
	}
	if diff := cmp.Diff([]string{"sql-prod-01"}, members); diff != "" {
		t.Errorf("Empty Group members (-want +got):\n%s", diff)
	}
	dns := s.Appliance("vmstore-0").DNSConfig
	if dns.DNSPrimary != "192.0.2.153" || dns.DNSSecondary != "198.51.100.53" {
		t.Errorf("vmstore-0 dns = %+v", dns)
	}
	if s.Writes() != 3 {
		t.Errorf("Writes = %d, want 3 (affinity, static members, appliance)", s.Writes())
	}
	if !slices.ContainsFunc(s.Counts(), func(c sim.Count) bool {
		return c.Server == "tgc" && c.Method == "GET" && c.Path == "/downloads/{token}/{name}" && c.N == 1
	}) {
		t.Errorf("no report download counted: %v", s.Counts())
	}
}
