//go:build unix

// Command benchfleet runs the fleet benchmarks of `make bench-fleet`: each scenario runs the
// tintri-jobs binary against the simulator (in this process) with injected latency and an
// appliance concurrency, and prints side by side its wall time, the physical limit computed
// from the requests it needed, their ratio, the peak RSS and CPU of the tintri-jobs process,
// and the requests by route. The 160,000-VM plan is also timed against a minimal Go client
// fetching the same pages at the appliance's concurrency, and DNS on the fleet against one
// sending the same requests to every VMstore at once (the measured lower bounds), and
// against a sequential script written like the vendor's examples (python3 with requests),
// when -vendor is set. Figures and their reading: docs/performance.md.
//
//	go run ./internal/benchfleet -bin bin/tintri-jobs [-latency 20ms] [-capacity 32] [-only NAME]…
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// options are the command line.
type options struct {
	bin      string
	latency  time.Duration
	capacity int
	idle     time.Duration
	vendor   string
	only     map[string]bool
	counts   bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchfleet:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchfleet", flag.ContinueOnError)
	var o options
	var only string
	fs.StringVar(&o.bin, "bin", "bin/tintri-jobs", "the tintri-jobs binary to measure")
	fs.DurationVar(&o.latency, "latency", 20*time.Millisecond, "simulated round trip of every request (±50% jitter)")
	fs.IntVar(&o.capacity, "capacity", 32, "requests each simulated appliance serves at once (queueing beyond)")
	fs.DurationVar(&o.idle, "idle", time.Minute, "how long the idle daemon scenario runs")
	fs.StringVar(&o.vendor, "vendor", "testdata/vendor_scripts/dns_fleet.py", "vendor-style DNS script to time against (\"\": none; needs python3 with requests)")
	fs.StringVar(&only, "only", "", "comma-separated scenarios to run (default: all)")
	fs.BoolVar(&o.counts, "counts", false, "print every scenario's requests by server and route")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if only != "" {
		o.only = map[string]bool{}
		for _, n := range strings.Split(only, ",") {
			o.only[strings.TrimSpace(n)] = true
		}
	}
	if _, err := os.Stat(o.bin); err != nil {
		return fmt.Errorf("-bin: %w (make build first)", err)
	}
	var err error
	if o.bin, err = filepath.Abs(o.bin); err != nil {
		return err
	}
	fmt.Fprintf(out, "tintri-jobs fleet benchmarks: %s round trip (±50%%), appliances serve %d requests at once, %s\n\n",
		o.latency, o.capacity, machine())
	var results []result
	for _, sc := range scenarios() {
		if o.only != nil && !o.only[sc.name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchfleet: %s …\n", sc.name)
		rs, err := sc.run(ctx, o)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		results = append(results, rs...)
	}
	printResults(out, results, o.counts)
	return nil
}

// machine describes this machine: CPUs, model and load.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	load := "?"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d CPUs (%s), load average %s at start", numCPU(), model, load)
}
