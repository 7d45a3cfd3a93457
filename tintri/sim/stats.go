package sim

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Statistics slices: historic ones cover 10 minutes, realtime ones 10 seconds. A statsHistoric
// request without since covers the 30 minutes before until (3 slices, one page); a window
// is at most 31 days.
const (
	historicSlice   = 10 * time.Minute
	realtimeSlice   = 10 * time.Second
	historicDefault = 30 * time.Minute
	historicMax     = 31 * 24 * time.Hour
)

// statValue is the named figure of s (one of tintri.VMStatFields).
func statValue(s *tintri.VirtualMachineStat, field string) float64 {
	v, _ := s.Value(field)
	return v
}

// stream is a deterministic random stream for one VM (and one slice), without allocations:
// a VM page renders thousands of them.
type stream struct{ p rand.PCG }

// newStream seeds a stream from the simulator's seed, a VM uuid (FNV-1a) and a slice end.
func newStream(seed int64, uuid string, at int64) *stream {
	h := uint64(14695981039346656037)
	for i := 0; i < len(uuid); i++ {
		h = (h ^ uint64(uuid[i])) * 1099511628211
	}
	s := &stream{}
	s.p.Seed(uint64(seed), h^uint64(at)*0x9e3779b97f4a7c15)
	return s
}

// float is uniform in [0,1).
func (s *stream) float() float64 { return float64(s.p.Uint64()>>11) / (1 << 53) }

// intN is uniform in [0,n).
func (s *stream) intN(n int) int { return int(s.p.Uint64() % uint64(n)) }

func round2(f float64) float64 { return math.Round(f*100) / 100 }

// baseStat is a VM's steady statistics, drawn from the seed and the VM's uuid only, so that
// they are the same on every request: space that adds up (used = live + snapshots), IOPS and
// throughput that add up (powered-off VMs do no I/O) and a total latency that is the sum of
// host, network and storage latency. It returns the VM's request size too. Times are left to
// the caller.
func (st *state) baseStat(v *vmRec) (tintri.VirtualMachineStat, float64) {
	rng := newStream(st.seed, v.uuid, 0)
	prov := round2(20 * math.Pow(100, rng.float())) // 20 GiB … 2 TiB, log-uniform
	live := round2(prov * (0.15 + 0.7*rng.float()))
	snaps := round2(live * 0.3 * rng.float())
	hyper := round2(live * 0.05 * rng.float())
	if rng.intN(5) != 0 {
		hyper = 0
	}
	s := tintri.VirtualMachineStat{
		TypeID:                          tintri.TypeVirtualMachineStat,
		SpaceProvisionedGiB:             prov,
		SpaceUsedLiveGiB:                live,
		SpaceUsedSnapshotsTintriGiB:     snaps,
		SpaceUsedSnapshotsHypervisorGiB: hyper,
		SpaceUsedGiB:                    round2(live + snaps + hyper),
		SpaceUsedChangeGiB:              round2(live * (0.06*rng.float() - 0.01)),
		ChangeMBPerDay:                  round2(live * 20 * rng.float()),
		OperationsReadIops:              float64(rng.intN(3000)),
		OperationsWriteIops:             float64(rng.intN(1500)),
		LatencyHostMs:                   round2(0.5 * rng.float()),
		LatencyNetworkMs:                round2(0.3 * rng.float()),
		LatencyDiskMs:                   round2(1.5 * rng.float()),
		FlashHitPercent:                 round2(85 + 15*rng.float()),
	}
	s.LatencyStorageMs = round2(s.LatencyDiskMs + 0.5*rng.float())
	blockKiB := []float64{4, 8, 16, 32, 64}[rng.intN(5)]
	if !v.powered {
		s.OperationsReadIops, s.OperationsWriteIops = 0, 0
		s.LatencyHostMs, s.LatencyNetworkMs, s.LatencyDiskMs, s.LatencyStorageMs = 0, 0, 0, 0
	}
	withLoad(&s, 1, 1, blockKiB)
	return s, blockKiB
}

// withLoad scales s's IOPS by load and its latencies by slow, then recomputes the totals,
// the throughput (for blockKiB requests) and the normalized (8 KiB) IOPS.
func withLoad(s *tintri.VirtualMachineStat, load, slow, blockKiB float64) {
	s.OperationsReadIops = math.Round(s.OperationsReadIops * load)
	s.OperationsWriteIops = math.Round(s.OperationsWriteIops * load)
	s.OperationsTotalIops = s.OperationsReadIops + s.OperationsWriteIops
	s.NormalizedTotalIops = math.Round(s.OperationsTotalIops * max(1, blockKiB/8))
	s.ThroughputReadMBps = round2(s.OperationsReadIops * blockKiB / 1024)
	s.ThroughputWriteMBps = round2(s.OperationsWriteIops * blockKiB / 1024)
	s.ThroughputTotalMBps = round2(s.ThroughputReadMBps + s.ThroughputWriteMBps)
	for _, p := range []*float64{&s.LatencyHostMs, &s.LatencyNetworkMs, &s.LatencyDiskMs, &s.LatencyStorageMs} {
		*p = round2(*p * slow)
	}
	s.LatencyTotalMs = round2(s.LatencyHostMs + s.LatencyNetworkMs + s.LatencyStorageMs)
}

// sliceStat is the VM's slice of length d ending at end: its steady figures with the load
// (IOPS ±30%) and latency (±15%) of that slice, drawn from the seed, the uuid and end.
func (st *state) sliceStat(v *vmRec, end time.Time, d time.Duration) tintri.VirtualMachineStat {
	s, blockKiB := st.baseStat(v)
	rng := newStream(st.seed, v.uuid, end.Unix())
	withLoad(&s, 0.7+0.6*rng.float(), 0.85+0.3*rng.float(), blockKiB)
	s.TimeStart, s.TimeEnd, s.IntervalSeconds = tintri.FormatTime(end.Add(-d)), tintri.FormatTime(end), int(d/time.Second)
	return s
}

// latestStat is a VM's stat field: its steady figures as the last 10-minute slice before the
// simulator started (state.latest), so that a VM renders the same way for the simulator's
// whole life.
func (st *state) latestStat(v *vmRec) *tintri.Stats {
	s, _ := st.baseStat(v)
	s.TimeStart, s.TimeEnd, s.IntervalSeconds = st.latest[0], st.latest[1], int(historicSlice/time.Second)
	return &tintri.Stats{
		TypeID: tintri.TypeStats, StartTime: st.latest[0], EndTime: st.latest[1], LastUpdatedTime: st.latest[1],
		NumberOfSlices: 1, SortedStats: []tintri.VirtualMachineStat{s},
	}
}

// statsOf wraps slices, oldest first, into a Stats covering start to end, last updated at
// the end of its latest slice.
func statsOf(series []tintri.VirtualMachineStat, start, end time.Time) *tintri.Stats {
	out := &tintri.Stats{
		TypeID: tintri.TypeStats, StartTime: tintri.FormatTime(start), EndTime: tintri.FormatTime(end),
		NumberOfSlices: len(series), SortedStats: series,
	}
	if len(series) == 0 {
		out.SortedStats = []tintri.VirtualMachineStat{}
	} else {
		out.LastUpdatedTime = series[len(series)-1].TimeEnd
	}
	return out
}

// serveStats answers a Page holding the one Stats that build renders for the VM named by the
// request's {id}; 404 ERR-API-8001 for a VM this server lacks.
func (srv *server) serveStats(w http.ResponseWriter, r *http.Request, pr pageReq, build func(*vmRec) *tintri.Stats) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	v := srv.vmOn(w, r.PathValue("id"))
	if v == nil {
		return
	}
	stats := []*tintri.Stats{build(v)}
	writeJSON(w, http.StatusOK, page(pr, stats, 1, func(s *tintri.Stats) json.RawMessage { return mustRaw(s) }))
}

// statsWindow reads since and until (ISO8601, as PageFilterSpec says): until defaults to
// now and since to historicDefault before until. It answers 400 ERR-API-4003 and returns
// false when they are malformed, reversed or further apart than historicMax.
func statsWindow(w http.ResponseWriter, q url.Values, now time.Time) (since, until time.Time, ok bool) {
	until = now
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"until", &until}, {"since", &since}} {
		if s := q.Get(p.name); s != "" {
			t, err := tintri.ParseTime(s)
			if err != nil {
				badQuery(w, "%s=%q is not yyyy-MM-dd'T'HH:mm:ss.SSSZ", p.name, s)
				return since, until, false
			}
			*p.dst = t
		}
	}
	if since.IsZero() {
		since = until.Add(-historicDefault)
	}
	if !since.Before(until) || until.Sub(since) > historicMax {
		badQuery(w, "since %s and until %s: want since before until, at most %v apart", tintri.FormatTime(since), tintri.FormatTime(until), historicMax)
		return since, until, false
	}
	return since, until, true
}

// handleVMStatsHistoric serves GET /api/v310/vm/{id}/statsHistoric: a Page of one Stats whose
// sortedStats are the VM's 10-minute slices, oldest first, that end after since and no later
// than until or now. 404 ERR-API-8001 for a VM this server lacks, 400 ERR-API-4003 for a bad
// since or until.
func (srv *server) handleVMStatsHistoric(w http.ResponseWriter, r *http.Request) {
	pr, ok := parsePage(w, r)
	if !ok {
		return
	}
	now := time.Now()
	since, until, ok := statsWindow(w, pr.query, now)
	if !ok {
		return
	}
	srv.serveStats(w, r, pr, func(v *vmRec) *tintri.Stats {
		var series []tintri.VirtualMachineStat
		for end := since.Truncate(historicSlice).Add(historicSlice); !end.After(until) && !end.After(now); end = end.Add(historicSlice) {
			series = append(series, srv.sim.st.sliceStat(v, end, historicSlice))
		}
		return statsOf(series, since, until)
	})
}

// handleVMStatsRealtime serves GET /api/v310/vm/{id}/statsRealtime (VMstore only): a Page of
// one Stats holding the VM's latest 10-second slice.
func (srv *server) handleVMStatsRealtime(w http.ResponseWriter, r *http.Request) {
	pr, ok := parsePage(w, r)
	if !ok {
		return
	}
	end := time.Now().Truncate(realtimeSlice)
	srv.serveStats(w, r, pr, func(v *vmRec) *tintri.Stats {
		return statsOf([]tintri.VirtualMachineStat{srv.sim.st.sliceStat(v, end, realtimeSlice)}, end.Add(-realtimeSlice), end)
	})
}
