//go:build unix

package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// result is one measured run.
type result struct {
	name string
	proc
	limit  time.Duration // the physical limit (0: none)
	model  string        // how limit follows from the requests
	bound  time.Duration // a measured lower bound, or the run compared with (0: none)
	reads  int64
	writes int64
	counts []sim.Count
}

// printResults writes the table, then the requests by route when counts is set.
func printResults(w io.Writer, rs []result, counts bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\ttime\tphysical limit\tratio\tvs measured\tpeak RSS\tCPU\treads\twrites")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", r.name, seconds(r.wall), seconds(r.limit),
			ratio(r.wall, r.limit), ratio(r.wall, r.bound), mib(r.rssKiB), seconds(r.cpu), r.reads, r.writes)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nphysical limits:")
	seen := map[string]bool{}
	for _, r := range rs {
		if r.model != "" && !seen[r.model] {
			seen[r.model] = true
			fmt.Fprintf(w, "  %s\n", r.model)
		}
	}
	fmt.Fprintln(w, "vs measured: the plan over 160k VMs against the minimal client fetching its pages, DNS on the")
	fmt.Fprintln(w, "fleet against the minimal client sending the same requests (each such client against itself),")
	fmt.Fprintln(w, "and the vendor-style script against tintri-jobs' run of the same change.")
	if !counts {
		return
	}
	for _, r := range rs {
		fmt.Fprintf(w, "\n%s: requests by route\n", r.name)
		for _, line := range routeLines(r.counts) {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// routeLines sums counts by method and route, with the number of servers reached.
func routeLines(cs []sim.Count) []string {
	type agg struct {
		n       int64
		servers int
	}
	byRoute := map[string]*agg{}
	var order []string
	for _, c := range cs {
		k := c.Method + " " + c.Path
		if byRoute[k] == nil {
			byRoute[k] = &agg{}
			order = append(order, k)
		}
		byRoute[k].n += c.N
		byRoute[k].servers++
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, fmt.Sprintf("%-45s %7d on %d server(s)", k, byRoute[k].n, byRoute[k].servers))
	}
	return out
}

func seconds(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3fs", d.Seconds())
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", float64(a)/float64(b))
}

func mib(kib int64) string {
	if kib == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB", float64(kib)/1024)
}
