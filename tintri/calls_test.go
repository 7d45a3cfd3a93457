package tintri_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestUnknownVM(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	_, err := c.GetVM(testContext(t), "no-such-vm")
	var te *tintri.TintriError
	if !errors.As(err, &te) {
		t.Fatalf("GetVM of an unknown id = %v, want a TintriError", err)
	}
	if te.Status != 404 || te.Code != "ERR-API-8001" || te.TypeID != tintri.TypeTintriError {
		t.Errorf("TintriError = %+v, want 404 ERR-API-8001", te)
	}
	want := c.Host() + ": GET /api/v310/vm/no-such-vm: status 404 ERR-API-8001: Resource not found (VM no-such-vm)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// TestWrongProductRefused calls every TGC-only method on a VMstore and every VMstore-only
// method on a TGC: each fails with ErrUnsupported after nothing but GET /api/info.
func TestWrongProductRefused(t *testing.T) {
	s := startSim(t, sim.Options{})
	ctx := testContext(t)
	store := newClient(t, s, s.VMstoreURLs()[0], nil)
	tgc := newClient(t, s, s.TGCURL(), nil)
	rule := tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever}
	tests := []struct {
		name string
		call func() error
	}{
		{"affinity on vmstore", func() error { return store.SetVMAffinity(ctx, "vm", rule) }},
		{"static members on vmstore", func() error {
			return store.UpdateServiceGroupStaticMembers(ctx, "g", tintri.CollectionChangeRequest{ObjectIdsAdded: []string{"vm"}})
		}},
		{"group qos on vmstore", func() error { return store.SetServiceGroupQoS(ctx, "g", tintri.VirtualMachineQoSConfig{}) }},
		{"read group qos on vmstore", func() error { _, err := store.ServiceGroupQoS(ctx, "g"); return err }},
		{"apply group qos on vmstore", func() error { return store.ApplyServiceGroupQoS(ctx, "g") }},
		{"vmstores of vmstore", func() error { _, err := store.ListVMstores(ctx); return err }},
		{"report on vmstore", func() error {
			_, err := store.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{Attributes: []string{"VmName"}, Format: "CSV"})
			return err
		}},
		{"list by affinity on vmstore", func() error {
			return store.EachVM(ctx, tintri.VMFilter{AffinityRuleTypes: []string{"NEVER"}}, func(*tintri.VirtualMachine) error { return nil })
		}},
		{"list by service group on vmstore", func() error {
			_, err := store.ListVMs(ctx, tintri.VMFilter{ServiceGroupIDs: []string{"g"}})
			return err
		}},
		{"vm qos on tgc", func() error { return tgc.SetVMQoS(ctx, []string{"vm"}, tintri.VirtualMachineQoSConfig{}) }},
		{"update appliance on tgc", func() error {
			return tgc.UpdateAppliance(ctx, tintri.Appliance{DNSConfig: &tintri.ApplianceDns{}}, tintri.PropDNSConfig)
		}},
		{"maintenance mode on tgc", func() error { _, err := tgc.ApplianceMaintenanceMode(ctx); return err }},
		{"failed components on tgc", func() error { _, err := tgc.ApplianceFailedComponents(ctx); return err }},
		{"create snapshot on tgc", func() error {
			_, err := tgc.CreateSnapshots(ctx, []tintri.SnapshotSpec{{Consistency: tintri.ConsistencyCrash, SourceVMTintriUUID: "vm"}})
			return err
		}},
		{"get snapshot on tgc", func() error { _, err := tgc.GetSnapshot(ctx, "sn"); return err }},
		{"delete snapshot on tgc", func() error { return tgc.DeleteSnapshot(ctx, "sn") }},
		{"every snapshot on tgc", func() error { _, err := tgc.ListSnapshots(ctx, tintri.SnapshotFilter{}); return err }},
	}
	for _, tt := range tests {
		err := tt.call()
		if !errors.Is(err, tintri.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", tt.name, err)
		}
	}
	err := store.SetVMAffinity(ctx, "vm-1", rule)
	want := `set affinity of vm vm-1: ` + store.Host() + `: server is a "Tintri VMstore", this call needs a "Tintri Global Center": unsupported by this server`
	if err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	wantCounts := []sim.Count{{Server: "tgc", Method: "GET", Path: "/api/info", N: 1}, {Server: "vmstore-0", Method: "GET", Path: "/api/info", N: 1}}
	if diff := cmp.Diff(wantCounts, s.Counts()); diff != "" {
		t.Errorf("requests served (-want +got):\n%s", diff)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("writes = %d, want 0", w)
	}
}

func TestAffinityVersion(t *testing.T) {
	tests := []struct {
		version string
		err     string
	}{
		{"v310.41", "api version v310.41 is older than the required v310.51: unsupported by this server"},
		{"v310.51", ""},
		{"v310.111", ""},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			s := startSim(t, sim.Options{TGCVersion: tt.version})
			c := newClient(t, s, s.TGCURL(), nil)
			vm := s.VMs()[1]
			err := c.SetVMAffinity(testContext(t), vm.ID(), tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever})
			switch {
			case tt.err == "" && err != nil:
				t.Fatal(err)
			case tt.err != "" && (err == nil || !strings.HasSuffix(err.Error(), tt.err) || !errors.Is(err, tintri.ErrUnsupported)):
				t.Fatalf("SetVMAffinity = %v, want …%s", err, tt.err)
			}
			wantWrites := int64(1)
			if tt.err != "" {
				wantWrites = 0
			}
			if w := s.Writes(); w != wantWrites {
				t.Errorf("writes = %d, want %d", w, wantWrites)
			}
		})
	}
}

func TestRequireVersion(t *testing.T) {
	s := startSim(t, sim.Options{TGCVersion: "v310.111"})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	for minV, ok := range map[string]bool{"v310.51": true, "v310.111": true, "v310.121": false} {
		if err := c.RequireVersion(ctx, minV); (err == nil) != ok {
			t.Errorf("RequireVersion(%s) on v310.111 = %v", minV, err)
		}
	}
	if err := c.RequireVersion(ctx, "latest"); err == nil || !strings.Contains(err.Error(), `api version "latest"`) {
		t.Errorf("RequireVersion(latest) = %v", err)
	}
	if err := c.RequireTGC(ctx); err != nil {
		t.Error(err)
	}
	if err := c.RequireVMstore(ctx); !errors.Is(err, tintri.ErrUnsupported) {
		t.Errorf("RequireVMstore on a TGC = %v", err)
	}
}

// TestInvalidAffinityRefused: rules the reference calls invalid fail without any request;
// valid ones reach the TGC.
func TestInvalidAffinityRefused(t *testing.T) {
	s := startSim(t, sim.Options{VMstores: 2})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	vm := s.VMs()[0]
	store := s.VMstores()[1].UUID.UUID
	tests := []struct {
		name string
		rule tintri.VirtualMachineAffinityRule
		err  string // "" = valid
	}{
		{"never", tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever}, ""},
		{"exclude", tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityExcludeDatastores, VmstoreTintriUuids: []string{store}}, ""},
		{"clear", tintri.VirtualMachineAffinityRule{}, ""},
		{"clear for a recommendation", tintri.VirtualMachineAffinityRule{RecommendationUuid: "r-1"}, ""},
		{"never with vmstores", tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityNever, VmstoreTintriUuids: []string{store}},
			"affinity rule NEVER must have an empty list of vmstores, got 1"},
		{"exclude without vmstores", tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityExcludeDatastores},
			"affinity rule EXCLUDE_DATASTORES needs at least one vmstore uuid"},
		{"exclude empty uuid", tintri.VirtualMachineAffinityRule{RuleType: tintri.AffinityExcludeDatastores, VmstoreTintriUuids: []string{""}},
			"affinity rule EXCLUDE_DATASTORES: empty vmstore uuid"},
		{"clear with vmstores", tintri.VirtualMachineAffinityRule{VmstoreTintriUuids: []string{store}},
			"affinity rule without ruleType clears the rule and takes no vmstores, got 1"},
		{"unknown type", tintri.VirtualMachineAffinityRule{RuleType: "SOMETIMES"},
			`affinity rule type "SOMETIMES" is not NEVER or EXCLUDE_DATASTORES`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetCounters()
			err := c.SetVMAffinity(ctx, vm.ID(), tt.rule)
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if n := count(s, "tgc", "PUT", affinityPath); n != 1 {
					t.Errorf("valid rule: %d PUTs served, want 1", n)
				}
				return
			}
			want := c.Host() + ": set affinity of vm " + vm.ID() + ": " + tt.err
			if err == nil || err.Error() != want {
				t.Errorf("SetVMAffinity = %v, want %q", err, want)
			}
			if got := s.Counts(); len(got) != 0 {
				t.Errorf("invalid rule sent requests: %v", got)
			}
		})
	}
}
