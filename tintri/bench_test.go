package tintri_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// BenchmarkEachVM lists 10,000 VMs trimmed to uuid and vmware, in pages of 2000 fetched
// concurrently; allocations are the client's and the simulator's together.
func BenchmarkEachVM(b *testing.B) {
	s := startSim(b, sim.Options{VMstores: 4, VMs: 10000})
	c := newClient(b, s, s.TGCURL(), nil)
	ctx := testContext(b)
	f := tintri.VMFilter{IncludeFields: []string{"uuid", "vmware"}}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		if err := c.EachVM(ctx, f, func(*tintri.VirtualMachine) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 10000 {
			b.Fatalf("listed %d VMs, want 10000", n)
		}
	}
	b.ReportMetric(float64(s.Reads())/float64(b.N), "requests/op")
}

// BenchmarkDecodeVMPage isolates the client's share: decoding one page of 2000 VMs
// trimmed to uuid and vmware.
func BenchmarkDecodeVMPage(b *testing.B) {
	page := tintri.Page{TypeID: tintri.TypePage, FilteredTotal: 10000, Limit: 2000, Next: "offset=2000&limit=2000"}
	for i := range 2000 {
		item, err := json.Marshal(tintri.VirtualMachine{
			UUID:   &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: fmt.Sprintf("4C4C4544-0000-0000-0000-%012d", i)},
			Vmware: &tintri.VirtualMachineVmwareInfo{TypeID: tintri.TypeVirtualMachineVmwareInfo, Name: fmt.Sprintf("vdi-%04d", i), Host: "esx-01"},
		})
		if err != nil {
			b.Fatal(err)
		}
		page.Items = append(page.Items, item)
	}
	body, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := tintri.DecodeVMPage(&http.Response{Body: io.NopCloser(bytes.NewReader(body))})
		if err != nil || n != 2000 {
			b.Fatalf("decoded %d, %v", n, err)
		}
	}
}
