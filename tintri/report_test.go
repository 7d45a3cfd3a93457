package tintri_test

import (
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestVMReport(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 30})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	u, err := c.RequestVMReport(ctx, tintri.VirtualMachineDownloadableReportFilter{
		Attributes: []string{"VmName", "Uuid"}, Format: "CSV", Attachment: "vms.csv",
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, s.TGCURL()+"/") || !strings.HasSuffix(u, "/vms.csv") {
		t.Errorf("report url = %q", u)
	}
	var buf strings.Builder
	n, err := c.Download(ctx, u, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("Download returned %d, wrote %d bytes", n, buf.Len())
	}
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"VmName", "Uuid"}}
	for _, vm := range s.VMs() {
		want = append(want, []string{vm.Name(), vm.ID()})
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if w := s.Writes(); w != 0 {
		t.Errorf("writes = %d, want 0", w)
	}
}

func TestVMReportRejected(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	_, err := c.RequestVMReport(testContext(t), tintri.VirtualMachineDownloadableReportFilter{Attributes: []string{"Bogus"}, Format: "CSV"})
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 400 || te.Code != "ERR-API-0203" {
		t.Errorf("RequestVMReport with a bad attribute = %v, want 400 ERR-API-0203", err)
	}
}

func TestDownloadMissing(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	var buf strings.Builder
	n, err := c.Download(testContext(t), "/downloads/nope/x.csv", &buf)
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 404 || n != 0 || buf.Len() != 0 {
		t.Errorf("Download of an unknown report = %d, %v", n, err)
	}
	if want := c.Host() + ": GET .../x.csv: status 404"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error = %q, want prefix %q", err, want)
	}
}
