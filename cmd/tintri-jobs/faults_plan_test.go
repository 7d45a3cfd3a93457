package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestFaultTamperedPlanFile: a saved plan is applied only as the configuration would
// plan it now. An edited file is refused before anything is written: by its signature
// when it has one, else by the fresh plan it is checked against (an edited after, a
// server swapped). The file as saved applies, once.
func TestFaultTamperedPlanFile(t *testing.T) {
	e := newE2E(t, "dns", 2)
	e.mustRun(0, "plan", "-out", "saved.plan")
	saved, err := os.ReadFile(filepath.Join(e.dir, "saved.plan"))
	if err != nil {
		t.Fatal(err)
	}
	unsigned := func(s string) string {
		var doc map[string]any
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "signature")
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	otherIP := func(s string) string { return strings.ReplaceAll(s, "192.0.2.54", "203.0.113.66") }
	swapServer := func(s string) string {
		// The first change's server becomes the second VMstore; its id still names the first.
		return strings.Replace(s, `"server": "`+e.key(0)+`"`, `"server": "`+e.key(1)+`"`, 1)
	}
	for _, tt := range []struct {
		name, file, want string
	}{
		{"after edited, signature kept", otherIP(string(saved)), "its signature does not match"},
		{"after edited, signature removed", unsigned(otherIP(string(saved))), "the file says update"},
		{"server swapped, signature removed", unsigned(swapServer(string(saved))), "the configuration plans no such change"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(e.dir, "edited.plan"), []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut := e.mustRun(1, "apply", "edited.plan")
			if !strings.Contains(errOut, tt.want) || e.sim.Writes() != 0 {
				t.Errorf("apply of the edited plan: %d writes, stderr:\n%s\nwant %q", e.sim.Writes(), errOut, tt.want)
			}
		})
	}
	if strings.Contains(string(saved), "203.0.113.66") {
		t.Fatal("the test edited the saved plan itself")
	}
	e.mustRun(0, "apply", "saved.plan")
	e.checkAuditMatchesDNS(2)
	writes := e.sim.Writes()
	out, _ := e.mustRun(0, "apply", "saved.plan")
	if e.sim.Writes() != writes || !strings.Contains(out, "2 unchanged") {
		t.Errorf("second apply of the saved plan wrote %d times:\n%s", e.sim.Writes()-writes, out)
	}
}

// TestFaultReadsRetriedOn500: a simulator answering 5% of requests with 500 or 503 fails
// no plan: reads are retried on 500 as on 503. Before, 6 of 10 plans failed.
func TestFaultReadsRetriedOn500(t *testing.T) {
	e := newE2EWith(t, "dns", sim.Options{VMstores: 5, VMs: 10, Seed: 3, ErrorRate: 0.05})
	for i := range 10 {
		if _, errOut, code := e.run("plan", "-log-level", "error"); code != 0 {
			t.Fatalf("plan %d: exit %d\n%s", i+1, code, errOut)
		}
	}
}
