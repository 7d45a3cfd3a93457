package sim_test

import (
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// BenchmarkVMListPage serves one page of 2000 whole VMs (with stat) out of 10,000, in name
// order and sorted by a stat field, over HTTPS: the simulator's cost of a VM listing.
func BenchmarkVMListPage(b *testing.B) {
	s := start(b, sim.Options{VMstores: 4, VMs: 10000})
	tgc := login(b, s, s.TGCURL())
	for _, q := range []string{"limit=2000", "limit=2000&sortedBy=latencyTotalMs&sortOrder=DESC"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if a := tgc.do("GET", "/api/v310/vm?"+q, nil); a.status != 200 || len(a.body) < 2000*500 {
					b.Fatalf("status %d, %d bytes", a.status, len(a.body))
				}
			}
		})
	}
}
