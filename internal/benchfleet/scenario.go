//go:build unix

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// scenario is one benchmark: it starts its simulator, runs tintri-jobs and returns one
// result per measured run.
type scenario struct {
	name string
	run  func(ctx context.Context, o options) ([]result, error)
}

// The job files' server and fleet blocks: credentials and CA from the environment.
const (
	tgcBlock = `server "tgc" {
  url      = env("TINTRI_TGC_URL")
  kind     = "tgc"
  username = env("TINTRI_USERNAME")
  password = env("TINTRI_PASSWORD")
  ca_file  = env("TINTRI_CA_FILE")
}
`
	fleetBlock = `fleet "lab" {
  urls_file = "urls.txt"
  username  = env("TINTRI_USERNAME")
  password  = env("TINTRI_PASSWORD")
  ca_file   = env("TINTRI_CA_FILE")
}
`
	affinityJob = `job "affinity" {
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = %q
  }
}
`
)

// scenarios are the benchmarks of issue 15 in the order they run.
func scenarios() []scenario {
	return []scenario{
		{"affinity-10k", affinity10k},
		{"dns-200", dns200},
		{"group-5000", group5000},
		{"plan-160k", plan160k},
		{"daemon-idle", daemonIdle},
	}
}

// affinity10k sets NEVER on 10,000 VMs with an untuned apply, then applies again with
// nothing left to do.
func affinity10k(ctx context.Context, o options) ([]result, error) {
	b, err := newBench(o, sim.Options{VMs: 10000, VMstores: 4}, tgcBlock+fmt.Sprintf(affinityJob, "never"))
	if err != nil {
		return nil, err
	}
	defer b.close()
	fresh, err := b.cli(ctx, "affinity 10k VMs, fresh apply", bulk, "apply", "-auto-approve", "-json")
	if err != nil {
		return nil, err
	}
	again, err := b.cli(ctx, "affinity 10k VMs, re-run", bulk, "apply", "-auto-approve", "-json")
	if err != nil {
		return nil, err
	}
	return []result{fresh, again}, nil
}

// dns200 sets the primary DNS server of 200 VMstores, then has a minimal client send the
// same requests, and (with -vendor) a vendor-style script make the change.
func dns200(ctx context.Context, o options) ([]result, error) {
	b, err := newBench(o, sim.Options{VMstores: 200, VMs: 200}, fleetBlock+`job "dns" {
  task "appliance_dns" "lab" {
    fleet   = fleet.lab
    primary = "192.0.2.99"
  }
}
`)
	if err != nil {
		return nil, err
	}
	defer b.close()
	urls := strings.Join(b.sim.VMstoreURLs(), "\n") + "\n"
	if err := os.WriteFile(filepath.Join(b.dir, "urls.txt"), []byte(urls), 0o600); err != nil {
		return nil, err
	}
	r, err := b.cli(ctx, "DNS on 200 VMstores", chain, "apply", "-auto-approve", "-json")
	if err != nil {
		return nil, err
	}
	lb, err := b.chainBound(ctx, "192.0.2.99")
	if err != nil {
		return nil, err
	}
	r.bound = lb.wall
	out := []result{r, lb}
	if o.vendor != "" {
		v, err := b.vendor(ctx, o.vendor, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// group5000 makes 5,000 VMs of 10,000 members of a service group.
func group5000(ctx context.Context, o options) ([]result, error) {
	b, err := newBench(o, sim.Options{VMs: 10000, VMstores: 4}, tgcBlock+`job "group" {
  task "service_group_members" "import" {
    server        = server.tgc
    service_group = "Empty Group"
    csv           = "vms.csv"
  }
}
`)
	if err != nil {
		return nil, err
	}
	defer b.close()
	var names strings.Builder
	for _, vm := range b.sim.VMs()[:5000] {
		names.WriteString(vm.Name() + "\n")
	}
	if err := os.WriteFile(filepath.Join(b.dir, "vms.csv"), []byte(names.String()), 0o600); err != nil {
		return nil, err
	}
	r, err := b.cli(ctx, "5,000 VMs into a service group", bulk, "apply", "-auto-approve", "-json")
	if err != nil {
		return nil, err
	}
	return []result{r}, nil
}

// plan160k plans affinity over 160,000 VMs that are all right, then fetches the same pages
// with a minimal client.
func plan160k(ctx context.Context, o options) ([]result, error) {
	b, err := newBench(o, sim.Options{VMs: 160000, VMstores: 4}, tgcBlock+fmt.Sprintf(affinityJob, "clear"))
	if err != nil {
		return nil, err
	}
	defer b.close()
	if _, err := b.cli(ctx, "warm-up", bulk, "plan", "-json"); err != nil { // the simulator sorts its VMs once
		return nil, err
	}
	r, err := b.cli(ctx, "plan over 160k VMs", bulk, "plan", "-json")
	if err != nil {
		return nil, err
	}
	lb, err := b.lowerBound(ctx, "/v310/vm", "includeFields=uuid,vmware,affinityRule") // vm_affinity's fields
	if err != nil {
		return nil, err
	}
	r.bound = lb.wall
	lb.limit = r.limit
	return []result{r, lb}, nil
}

// daemonIdle runs the daemon with one job scheduled once a day for o.idle.
func daemonIdle(ctx context.Context, o options) ([]result, error) {
	b, err := newBench(o, sim.Options{}, tgcBlock+`job "nightly" {
  schedule = "0 3 * * *"
  task "vm_affinity" "all" {
    server    = server.tgc
    name_glob = "*"
    rule      = "clear"
  }
}
`)
	if err != nil {
		return nil, err
	}
	defer b.close()
	r, err := b.daemon(ctx, fmt.Sprintf("daemon idle %s", o.idle), o.idle)
	if err != nil {
		return nil, err
	}
	return []result{r}, nil
}

// since is the wall time from start, rounded for the table.
func since(start time.Time) time.Duration { return time.Since(start).Round(time.Millisecond) }
