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

// CLI is the simulator's command line: the options its flags set.
type CLI struct {
	Options
	// EnvFile, when set, is where Serve writes shell exports of the URLs, CA file and
	// credentials.
	EnvFile string
	// CountsFile, when set, is where Serve writes the request counts at exit (WriteCounts).
	CountsFile string
}

// AddFlags defines the simulator's flags on fs, setting c.
func (c *CLI) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.VMstores, "vmstores", 3, "`N` simulated VMstores")
	fs.IntVar(&c.VMs, "vms", 200, "`N` VMs, spread over the VMstores")
	fs.Int64Var(&c.Seed, "seed", 1, "`SEED` of the deterministic inventory and fault injection")
	fs.DurationVar(&c.Latency, "latency", 0, "per-request latency `DURATION` (±50% jitter)")
	fs.Float64Var(&c.ErrorRate, "error-rate", 0, "`FRACTION` of requests answered 500/503")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 0, "idle `DURATION` after which a session expires (default 30m)")
	fs.IntVar(&c.MaxInflight, "max-inflight", 0, "`N` requests served at once per server; 0 means unlimited")
	fs.IntVar(&c.Overload, "overload", 0, "answer requests beyond -max-inflight with `STATUS` 429, or 503 with Retry-After, instead of queueing them")
	fs.StringVar(&c.Username, "user", "admin", "login user `NAME`")
	fs.StringVar(&c.Password, "password", "", "login `PASSWORD` (default $"+PasswordEnv+", else tintri-sim-password)")
	fs.StringVar(&c.EnvFile, "env-file", "", "write shell exports of the URLs, CA file and credentials to `FILE`")
	fs.StringVar(&c.Dir, "dir", "", "`DIR` for ca.pem (default a temporary directory removed on exit)")
	fs.StringVar(&c.CountsFile, "counts-file", "", "on exit, write the requests answered per server, method and route to `FILE` as JSON")
}

// RunCLI parses the simulator flags and serves (see Serve).
func RunCLI(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c CLI
	c.AddFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return c.Serve(ctx, stderr)
}

// Serve starts the simulator, writes the env file (when EnvFile is set) once every server
// listens, prints the URLs to stderr and serves until ctx is cancelled; then it writes the
// request counts (when CountsFile is set). The caller wires SIGINT/SIGTERM into ctx. The
// password never goes to stderr.
func (c *CLI) Serve(ctx context.Context, stderr io.Writer) error {
	opts, envFile := c.Options, c.EnvFile
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
	if c.CountsFile != "" {
		return s.WriteCounts(c.CountsFile)
	}
	return nil
}
