// Command tintri-jobs runs declarative HCL batch jobs against Tintri VMstores and TGCs:
// validate and format job files, plan and apply their changes, run them on schedules as a
// daemon, inspect appliances, and serve a built-in simulator.
//
// Subcommands live in cmd_<name>.go files, each adding itself to the command table from
// an init function:
//
//	func init() {
//		register(command{name: "history", synopsis: "show recent daemon runs", run: runHistory})
//	}
//
//	func runHistory(ctx context.Context, c *cli, args []string) error {
//		fs := c.flagSet("history", "[-state-dir D]")   // has -log-format/-log-level already
//		cf := addConfigFlags(fs)                        // -config, -var, -var-file (optional)
//		if err := fs.Parse(args); err != nil { return err }
//		cfg, err := c.loadConfig(cf)                    // prints diagnostics to stderr
//		log := c.logger()                               // built from the log flags
//		...                                             // write results to c.stdout
//		return nil                                      // or an error: exit 1 (see exitcodes.go)
//	}
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"golang.org/x/term"

	_ "github.com/tintri-jobs/tintri-jobs/tasks" // registers every task kind
)

// command is one subcommand of the command table.
type command struct {
	name     string
	synopsis string
	run      func(ctx context.Context, c *cli, args []string) error
}

// commands is the command table, filled by register from init functions.
var commands = map[string]command{}

// register adds a subcommand; a name registered twice is a programming error.
func register(cmd command) {
	if _, dup := commands[cmd.name]; dup {
		panic("tintri-jobs: command " + cmd.name + " registered twice")
	}
	commands[cmd.name] = cmd
}

// cli is the process's environment as the commands see it: standard streams, environment
// variables and the global flags.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer // stderr is a *progress on a terminal
	getenv         func(string) string
	environ        []string
	// stdinTerminal and stderrTerminal say whether a person is there to answer and watch.
	stdinTerminal, stderrTerminal bool

	logFormat string
	logLevel  string
	noColor   bool // -no-color (colour.go)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal cancels the run (changes in flight finish, the rest are
		// skipped); a second one kills the process the default way.
		<-ctx.Done()
		stop()
	}()
	c := &cli{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		getenv:         os.Getenv,
		environ:        os.Environ(),
		stdinTerminal:  term.IsTerminal(int(os.Stdin.Fd())),
		stderrTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
	if c.stderrTerminal {
		// apply draws its progress bar here, below whatever is logged meanwhile.
		c.stderr = newProgress(os.Stderr)
	}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// run parses the global flags, runs the subcommand and maps its error to an exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	fs := flag.NewFlagSet("tintri-jobs", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.addGlobalFlags(fs)
	fs.Usage = func() { c.usage(fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitError
	}
	if fs.NArg() == 0 {
		c.usage(fs)
		return exitError
	}
	name := fs.Arg(0)
	if name == "help" {
		if fs.NArg() > 1 {
			unexpectedArgument(c.stderr, fs.Arg(1))
			c.usage(fs)
			return exitError
		}
		c.usage(fs)
		return exitOK
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(c.stderr, "Error: unknown command %q\n\n", name)
		c.usage(fs)
		return exitError
	}
	return c.exitCode(cmd.run(ctx, c, fs.Args()[1:]))
}

// addGlobalFlags adds -log-format and -log-level; every subcommand accepts them too.
func (c *cli) addGlobalFlags(fs *flag.FlagSet) {
	if fs.Lookup("log-format") != nil {
		return
	}
	if c.logFormat == "" {
		c.logFormat, c.logLevel = "auto", "info"
	}
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log format on stderr: auto (console on a terminal, else json), console or json")
	fs.StringVar(&c.logLevel, "log-level", c.logLevel, "log level: debug, info, warn or error")
	fs.BoolVar(&c.noColor, "no-color", c.noColor, "no colours on a terminal (also when the NO_COLOR environment variable is set)")
}

// flagSet returns a subcommand's flag set with the global flags; synopsis is the part of
// the usage line after the command name.
func (c *cli) flagSet(name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.addGlobalFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: tintri-jobs %s %s\n\n", name, synopsis)
		if cmd, ok := commands[name]; ok {
			fmt.Fprintf(c.stderr, "%s.\n\nFlags:\n", upperFirst(cmd.synopsis))
		}
		fs.PrintDefaults()
		fmt.Fprint(c.stderr, exitCodeHelp)
	}
	return fs
}

func (c *cli) usage(fs *flag.FlagSet) {
	fmt.Fprint(c.stderr, "Usage: tintri-jobs [global flags] <command> [flags] [args]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(c.stderr, "  %-10s %s\n", n, commands[n].synopsis)
	}
	fmt.Fprint(c.stderr, "\nGlobal flags (accepted by every command too):\n")
	fs.PrintDefaults()
	fmt.Fprint(c.stderr, "\nRun 'tintri-jobs <command> -help' for a command's flags.\n")
	fmt.Fprint(c.stderr, exitCodeHelp)
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
