package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Exit codes of every command.
const (
	exitOK      = 0 // success; for plan and apply also "no changes"
	exitError   = 1 // invalid configuration or flags, a refused plan, or any failed target or change
	exitChanges = 2 // plan -detailed-exitcode: the plan has changes
)

// exitCodeHelp ends every usage text.
const exitCodeHelp = `
Exit codes:
  0  success (plan and apply: nothing failed; plan: no changes with -detailed-exitcode)
  1  error: invalid configuration or flags, refused plan, or a target or change failed
  2  plan -detailed-exitcode only: the plan has changes (and nothing failed)
`

// exitStatus ends a command with a code after it has printed what the person needs to
// know; it prints nothing more.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// exitCode maps a command's error to the process exit code, printing it when it has not
// been printed yet.
func (c *cli) exitCode(err error) int {
	var st exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return int(st)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitError
	}
	c.printError(err)
	return exitError
}

// errUsage marks flag parsing errors, which the flag package has already printed.
var errUsage = errors.New("usage error")

// parseFlags parses args into fs and rejects positional arguments beyond maxArgs, naming
// the first of them before the usage text, as the flag package names an unknown flag.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if maxArgs >= 0 && fs.NArg() > maxArgs {
		unexpectedArgument(fs.Output(), fs.Arg(maxArgs))
		fs.Usage()
		return errUsage
	}
	return nil
}

// unexpectedArgument names a positional argument a command does not take.
func unexpectedArgument(w io.Writer, arg string) {
	fmt.Fprintf(w, "unexpected argument %q\n", arg)
}
