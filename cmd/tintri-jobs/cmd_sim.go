package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func init() {
	register(command{name: "sim", synopsis: "serve the built-in Tintri simulator until SIGINT or SIGTERM", run: runSim})
}

// runSim serves the simulator with its own flags (not the global ones: it logs nothing);
// the context ends on SIGINT or SIGTERM (see main).
func runSim(ctx context.Context, c *cli, args []string) error {
	fs := c.newFlagSet("sim")
	c.setCommandUsage(fs, "[-vmstores N] [-vms N] [-seed SEED] [-latency DURATION] [-error-rate FRACTION] [-session-ttl DURATION] "+
		"[-max-inflight N] [-overload STATUS] [-user NAME] [-password PASSWORD] [-env-file FILE] [-dir DIR] [-counts-file FILE]")
	var s sim.CLI
	s.AddFlags(fs)
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("sim: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return s.Serve(ctx, c.stderr)
}
