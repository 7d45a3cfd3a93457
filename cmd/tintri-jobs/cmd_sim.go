package main

import (
	"context"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func init() {
	register(command{name: "sim", synopsis: "serve the built-in Tintri simulator until SIGINT or SIGTERM (flags: tintri-jobs sim -help)", run: runSim})
}

// runSim hands its arguments to the simulator's own flag parsing; the context ends on
// SIGINT or SIGTERM (see main).
func runSim(ctx context.Context, c *cli, args []string) error {
	return sim.RunCLI(ctx, args, c.stderr)
}
