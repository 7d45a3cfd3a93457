package main

import (
	"context"
	"flag"
	"io"
)

func init() {
	register(command{name: "help", synopsis: "show the commands, or a command's flags: help [COMMAND]", run: runHelp})
}

// runHelp prints the overview of the commands, or one command's help, to stdout.
func runHelp(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("help", "[COMMAND]")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		// A fresh cli, so that the defaults shown are not the flags of this command line.
		top, _ := (&cli{stdout: c.stdout, stderr: c.stderr}).topFlagSet()
		c.usage(c.stdout, top)
		return nil
	}
	cmd, err := lookupCommand(fs.Arg(0))
	if err != nil {
		return err
	}
	// Every command prints its help and returns flag.ErrHelp (exit 0) for -help.
	return cmd.run(ctx, &cli{stdout: c.stdout, stderr: c.stderr}, []string{"-help"})
}

// commandFlags returns the flag set of the command name, as its -help shows it.
func commandFlags(ctx context.Context, name string) *flag.FlagSet {
	c := &cli{stdout: io.Discard, stderr: io.Discard}
	_ = commands[name].run(ctx, c, []string{"-help"}) // flag.ErrHelp
	return c.lastFlagSet
}
