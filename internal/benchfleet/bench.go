//go:build unix

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// model says how a scenario's physical limit follows from the requests it needed.
type model int

const (
	// bulk: the pages listed and the writes made, spread over the appliance's concurrency:
	// (pages + writes) × round trip / capacity, on the busiest appliance.
	bulk model = iota
	// chain: every request to an appliance waits for the one before (info, login, reads,
	// write, logout), and appliances are independent: the busiest appliance's requests ×
	// round trip.
	chain
)

// pagedRoutes are the collections listed by pages.
var pagedRoutes = map[string]bool{"/api/v310/vm": true, "/api/v310/servicegroup": true, "/api/v310/servicegroup/{id}/members": true}

// bench is one scenario's simulator and working directory (the job file is job.hcl).
type bench struct {
	o   options
	sim *sim.Sim
	dir string
	env []string
}

// newBench starts a simulator with opts, the options' latency and capacity, and writes the
// job file.
func newBench(o options, opts sim.Options, job string) (*bench, error) {
	opts.Seed, opts.Latency, opts.MaxInflight = 1, o.latency, o.capacity
	dir, err := os.MkdirTemp("", "benchfleet-")
	if err != nil {
		return nil, err
	}
	opts.Dir = dir
	s, err := sim.Start(opts)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	b := &bench{o: o, sim: s, dir: dir, env: append(os.Environ(),
		"TINTRI_TGC_URL="+s.TGCURL(), "TINTRI_VMSTORE_URLS="+strings.Join(s.VMstoreURLs(), " "),
		"TINTRI_CA_FILE="+s.CAFile(), "TINTRI_USERNAME="+s.Username(), "TINTRI_PASSWORD="+s.Password())}
	if err := os.WriteFile(filepath.Join(dir, "job.hcl"), []byte(job), 0o600); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bench) close() {
	_ = b.sim.Close()
	_ = os.RemoveAll(b.dir)
}

// proc is what one process used.
type proc struct {
	wall   time.Duration
	cpu    time.Duration // user + system
	rssKiB int64
}

// measure runs cmd and reports its wall time, CPU and peak RSS. during, when set, runs
// once the process started; measure then waits for it to end.
func measure(cmd *exec.Cmd, during func(*os.Process)) (proc, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	var hwm func() int64
	if err == nil {
		hwm = watchPeak(cmd.Process.Pid)
		if during != nil {
			during(cmd.Process)
		}
		err = cmd.Wait()
	}
	p := proc{wall: since(start)}
	if cmd.ProcessState != nil {
		p.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		p.rssKiB = hwm()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok && p.rssKiB == 0 {
			p.rssKiB = int64(ru.Maxrss)
			if runtime.GOOS == "darwin" { // bytes there, KiB on Linux
				p.rssKiB /= 1024
			}
		}
	}
	if err != nil {
		return p, fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, lastLines(stderr.String(), 10))
	}
	return p, nil
}

// watchPeak polls the peak RSS of process pid (VmHWM in /proc/PID/status) until it exits
// and returns a func giving the highest seen, in KiB, once it has; 0 without /proc. The
// child's rusage cannot tell: Linux counts in its ru_maxrss the memory of this process,
// whose address space it shares between the fork and its exec.
func watchPeak(pid int) func() int64 {
	var peak int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				return // exited (or no /proc)
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					var kib int64
					if _, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib); err == nil {
						peak = max(peak, kib)
					}
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() int64 {
		<-done
		return peak
	}
}

// cli runs tintri-jobs args with the job file and measures it against model m.
func (b *bench) cli(ctx context.Context, name string, m model, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, b.o.bin, append(args, "-config", "job.hcl", "-state-dir", "state", "-log-format", "json")...)
	cmd.Dir, cmd.Env = b.dir, b.env
	b.sim.ResetCounters()
	p, err := measure(cmd, nil)
	if err != nil {
		return result{}, err
	}
	return b.result(name, m, p), nil
}

// result is the measured run p with the simulator's counts and the limit of model m.
func (b *bench) result(name string, m model, p proc) result {
	r := result{name: name, proc: p, reads: b.sim.Reads(), writes: b.sim.Writes(), counts: b.sim.Counts()}
	perServer := map[string]int64{}
	for _, c := range r.counts {
		switch {
		case m == chain:
			perServer[c.Server] += c.N
		case pagedRoutes[c.Path] && c.Method == "GET":
			perServer[c.Server] += c.N
		}
	}
	busiest := int64(0)
	for server, n := range perServer {
		if m == bulk {
			n = (n + b.serverWrites(server, r.counts) + int64(b.o.capacity) - 1) / int64(b.o.capacity)
		}
		busiest = max(busiest, n)
	}
	r.limit = time.Duration(busiest) * b.o.latency
	r.model = map[model]string{bulk: "(pages+writes)×RTT/capacity", chain: "one appliance's requests×RTT"}[m]
	return r
}

// serverWrites counts the writes among counts to server.
func (b *bench) serverWrites(server string, counts []sim.Count) int64 {
	n := int64(0)
	for _, c := range counts {
		if c.Server == server && c.Method != "GET" && !strings.HasPrefix(c.Path, "/api/v310/session/") {
			n += c.N
		}
	}
	return n
}

// daemon runs `tintri-jobs daemon` for d and stops it with SIGTERM.
func (b *bench) daemon(ctx context.Context, name string, d time.Duration) (result, error) {
	cmd := exec.CommandContext(ctx, b.o.bin, "daemon", "-config", "job.hcl", "-state-dir", "state", "-listen", "127.0.0.1:0", "-log-format", "json")
	cmd.Dir, cmd.Env = b.dir, b.env
	b.sim.ResetCounters()
	p, err := measure(cmd, func(p *os.Process) {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
		_ = p.Signal(syscall.SIGTERM)
	})
	if err != nil {
		return result{}, err
	}
	r := b.result(name, bulk, p)
	r.limit, r.model = 0, ""
	return r, nil
}

// vendor times a vendor-style script on the fleet, against the limit of the run tj.
func (b *bench) vendor(ctx context.Context, script string, tj result) (result, error) {
	abs, err := filepath.Abs(script)
	if err != nil {
		return result{}, err
	}
	cmd := exec.CommandContext(ctx, "python3", abs)
	cmd.Dir, cmd.Env = b.dir, b.env
	b.sim.ResetCounters()
	p, err := measure(cmd, nil)
	if err != nil {
		return result{}, err
	}
	r := b.result("vendor-style script, same DNS change", chain, p)
	r.limit, r.bound = tj.limit, tj.wall
	return r, nil
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func numCPU() int { return runtime.NumCPU() }
