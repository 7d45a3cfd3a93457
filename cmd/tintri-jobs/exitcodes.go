package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
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
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &st):
		return int(st)
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errUsage):
		return exitError
	case errors.As(err, &ue):
		fmt.Fprintf(c.stderr, "Error: %s\n%s\n", ue.msg, ue.hint)
		return exitError
	}
	c.printError(err)
	return exitError
}

// errUsage marks usage errors that have been printed already.
var errUsage = errors.New("usage error")

// usageError is a command line the commands cannot read: an unknown command or flag, or a
// flag value of the wrong type. It is printed with a hint where to find the right usage,
// not with the whole usage text.
type usageError struct {
	msg  string // with a suggestion of the closest names, if any
	hint string // where to look up the usage
}

func (e *usageError) Error() string { return e.msg }

// streams is the output of a command's flag set: misuse goes to stderr (the Writer), the
// help that -help, -h and --help ask for goes to stdout.
type streams struct {
	io.Writer
	help io.Writer
}

// parseFlags parses args into fs. -help, -h and --help print the command's help to stdout
// and return flag.ErrHelp (exit 0). An unknown flag or a bad value is a *usageError that
// suggests the closest flag names. Positional arguments beyond maxArgs (-1: any number)
// are refused, naming the first of them before the usage text on stderr.
func parseFlags(fs *flag.FlagSet, args []string, maxArgs int) error {
	out, usage := fs.Output(), fs.Usage
	// The flag package prints its errors and the usage itself: silence it, and print
	// the help or a short error below.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		if s, ok := out.(streams); ok {
			fs.SetOutput(s.help)
			defer fs.SetOutput(out)
		}
		fs.Usage()
		return err
	case err != nil:
		return flagError(fs, err)
	}
	if maxArgs >= 0 && fs.NArg() > maxArgs {
		unexpectedArgument(out, fs.Arg(maxArgs))
		fs.Usage()
		return errUsage
	}
	return nil
}

// flagError turns a parse error of fs into a usageError, suggesting the closest flag names
// for an unknown flag.
func flagError(fs *flag.FlagSet, err error) *usageError {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg += didYouMean(name, names, func(n string) string { return "-" + n })
	}
	hint := fmt.Sprintf("Run 'tintri-jobs %s -help' for its flags.", fs.Name())
	if fs.Name() == "tintri-jobs" {
		hint = "Run 'tintri-jobs -help' for the global flags and commands."
	}
	return &usageError{msg: msg, hint: hint}
}

// didYouMean returns "; did you mean X?" naming the candidates closest to given (see
// decode.Suggest), each written by form, or "" when none is close.
func didYouMean(given string, candidates []string, form func(string) string) string {
	names := decode.Suggest(given, candidates)
	if len(names) == 0 {
		return ""
	}
	for i, n := range names {
		names[i] = form(n)
	}
	return "; did you mean " + strings.Join(names, " or ") + "?"
}

// unexpectedArgument names a positional argument a command does not take.
func unexpectedArgument(w io.Writer, arg string) {
	fmt.Fprintf(w, "unexpected argument %q\n", arg)
}
