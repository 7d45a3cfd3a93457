package tintri_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

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

// benchPuts is the number of PUTs of BenchmarkAdaptive (go test -bench Adaptive -puts N).
var benchPuts = flag.Int("puts", 10000, "PUTs per BenchmarkAdaptive operation")

// BenchmarkAdaptive sends -puts affinity PUTs from 256 goroutines to a TGC with 20ms
// latency serving 32 requests at once (queueing beyond, or refusing with 429), and reports
// the time against the physical limit puts × 20ms / 32 (x_physical), the client's final
// limit and the refusals. The untuned client should be within 1.3× of the limit.
func BenchmarkAdaptive(b *testing.B) {
	const latency, capacity = 20 * time.Millisecond, 32
	physical := time.Duration(*benchPuts) * latency / capacity
	for _, bc := range []struct {
		name     string
		overload int
		mod      func(*tintri.Config)
	}{
		{"queue/adaptive", 0, nil},
		{"queue/fixed8", 0, func(c *tintri.Config) { c.MaxInflight, c.DisableAdaptive = 8, true }},
		{"queue/fixed32", 0, func(c *tintri.Config) { c.MaxInflight, c.DisableAdaptive = 32, true }},
		{"429/adaptive", http.StatusTooManyRequests, nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := startSim(b, sim.Options{VMs: 2000, MaxInflight: capacity, Overload: bc.overload, Latency: latency})
			lim := &limits{}
			c := newClient(b, s, s.TGCURL(), func(c *tintri.Config) {
				c.Observer = lim
				if bc.mod != nil {
					bc.mod(c)
				}
			})
			ctx, vms := testContext(b), s.VMs()
			if err := c.RequireVersion(ctx, tintri.AffinityMinVersion); err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				if err := putAffinity(ctx, c, vms, *benchPuts, 256); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
			}
			_, _, statuses := lim.summary()
			b.ReportMetric(float64(total)/float64(b.N)/float64(physical), "x_physical")
			b.ReportMetric(float64(c.InflightLimit()), "final_limit")
			b.ReportMetric(float64(statuses[bc.overload])/float64(b.N), "refusals/op")
		})
	}
}
