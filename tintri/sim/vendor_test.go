package sim_test

import (
	"bytes"
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

	"github.com/google/go-cmp/cmp"

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

// TestVendorScript runs a Python client written like the vendor's published examples
// against the simulator and checks the state it changed.
func TestVendorScript(t *testing.T) {
	python, err := pythonWithRequests()
	if err != nil {
		t.Skipf("skipping the vendor-style script: no python3 that can import requests "+
			"(install python3-requests, as .ci/run does):\n%v", err)
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
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute) // only bounds a hung script
	defer cancel()
	cmd := exec.CommandContext(ctx, python, script)
	cmd.Dir = dir
	// The script's optional settings, explicit so that the caller's environment cannot change them.
	cmd.Env = append(os.Environ(), "TINTRI_REPORT_FILE="+filepath.Join(dir, "report.csv"),
		"TINTRI_VM_NAME_FILTER=sql-prod", "TINTRI_SERVICE_GROUP=Empty Group", "TINTRI_NEW_DNS_PRIMARY=192.0.2.153")
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
	f, err := os.Open(filepath.Join(dir, "report.csv"))
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
	if len(rows) != len(vms)+1 || !slices.Equal(rows[0], []string{"VmName", "VMstoreName", "TotalIops"}) ||
		rows[1][0] != vms[0].Name() || rows[1][1] != vms[0].VmstoreName {
		t.Errorf("saved report: %d rows, header %v, first %v; want %d rows, first %s on %s", len(rows), rows[0], rows[1], len(vms)+1, vms[0].Name(), vms[0].VmstoreName)
	}
}
