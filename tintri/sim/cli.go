package sim

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// PasswordEnv is read for the login password when RunCLI gets no -password flag.
const PasswordEnv = "TINTRI_SIM_PASSWORD"

// RunCLI parses the simulator flags, starts it, writes the env file (when -env-file is
// set) once every server listens, prints the URLs to stderr and serves until ctx is
// cancelled; then it writes the request counts (when -counts-file is set, see WriteCounts). The caller wires SIGINT/SIGTERM into ctx. The password never goes to stderr.
func RunCLI(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts Options
	var envFile, countsFile string
	fs.IntVar(&opts.VMstores, "vmstores", 3, "number of simulated VMstores")
	fs.IntVar(&opts.VMs, "vms", 200, "number of VMs, spread over the VMstores")
	fs.Int64Var(&opts.Seed, "seed", 1, "seed of the deterministic inventory and fault injection")
	fs.DurationVar(&opts.Latency, "latency", 0, "per-request latency (±50% jitter)")
	fs.Float64Var(&opts.ErrorRate, "error-rate", 0, "fraction of requests answered 500/503")
	fs.DurationVar(&opts.SessionTTL, "session-ttl", 0, "idle time after which a session expires (default 30m)")
	fs.IntVar(&opts.MaxInflight, "max-inflight", 0, "requests served at once per server; 0 means unlimited")
	fs.IntVar(&opts.Overload, "overload", 0, "answer requests beyond -max-inflight 429, or 503 with Retry-After, instead of queueing them")
	fs.StringVar(&opts.Username, "user", "admin", "login user name")
	fs.StringVar(&opts.Password, "password", "", "login password (default $"+PasswordEnv+", else tintri-sim-password)")
	fs.StringVar(&envFile, "env-file", "", "write shell exports of the URLs, CA file and credentials here")
	fs.StringVar(&opts.Dir, "dir", "", "directory for ca.pem (default a temporary directory removed on exit)")
	fs.StringVar(&countsFile, "counts-file", "", "on exit, write the requests answered per server, method and route here as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if opts.Password == "" {
		opts.Password = os.Getenv(PasswordEnv)
	}
	s, err := Start(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if envFile != "" {
		if err := s.WriteEnvFile(envFile); err != nil {
			return err
		}
	}
	// One write, so that a reader sees the whole banner at once.
	var b strings.Builder
	fmt.Fprintf(&b, "tintri simulator ready (user %s)\n", s.Username())
	fmt.Fprintf(&b, "  tgc        %s\n", s.TGCURL())
	for i, u := range s.VMstoreURLs() {
		fmt.Fprintf(&b, "  %-10s %s\n", storeName(i), u)
	}
	fmt.Fprintf(&b, "  ca file    %s\n", s.CAFile())
	if envFile != "" {
		fmt.Fprintf(&b, "  env file   %s\n", envFile)
	}
	_, _ = io.WriteString(stderr, b.String())
	<-ctx.Done()
	if err := s.Close(); err != nil {
		return err
	}
	if countsFile != "" {
		return s.WriteCounts(countsFile)
	}
	return nil
}
