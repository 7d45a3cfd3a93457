package tintri

import (
	"context"
	"net/url"
	"time"
)

// VMStatsHistoric returns a VM's statistics slices between since and until, oldest first
// (GET /v310/vm/{id}/statsHistoric, paged): one Stats whose SortedStats are every page's
// slices. Zero times are left to the server (until: now; since: its default window).
func (c *Reader) VMStatsHistoric(ctx context.Context, id string, since, until time.Time) (*Stats, error) {
	q := url.Values{}
	if !since.IsZero() {
		q.Set("since", FormatTime(since))
	}
	if !until.IsZero() {
		q.Set("until", FormatTime(until))
	}
	out := &Stats{TypeID: TypeStats, SortedStats: []VirtualMachineStat{}}
	err := eachItem(ctx, c.conn, listing{
		op: "vm " + id + " historic stats", path: "/v310/vm/" + url.PathEscape(id) + "/statsHistoric",
		route: "/v310/vm/{id}/statsHistoric", query: q,
	}, func(s *Stats) error {
		if out.StartTime == "" {
			out.StartTime = s.StartTime
		}
		out.EndTime, out.LastUpdatedTime = s.EndTime, s.LastUpdatedTime
		out.SortedStats = append(out.SortedStats, s.SortedStats...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.NumberOfSlices = len(out.SortedStats)
	return out, nil
}
