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
//		fs := c.flagSet("history", "[-state-dir DIR]") // has -log-format/-log-level already
//		fs.String("state-dir", ".tintri-jobs", "state directory `DIR`") // `DIR`: the placeholder
//		cf := addConfigFlags(fs)                        // -config, -var, -var-file (optional)
//		if err := parseFlags(fs, args, 0); err != nil { return err } // -help: stdout, exit 0
//		cfg, err := c.loadConfig(cf)                    // prints diagnostics to stderr
//		log := c.logger()                               // built from the log flags
//		...                                             // write results to c.stdout
//		return nil                                      // or an error: exit 1 (see exitcodes.go)
//	}
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	_ "github.com/tintri-jobs/tintri-jobs/tasks" // registers every task kind
)

// command is one subcommand of the command table.
type command struct {
	name     string
	synopsis string
	// help, when set, is printed in the command's help between its synopsis and its flags.
	help string
	run  func(ctx context.Context, c *cli, args []string) error
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

	// lastFlagSet is the flag set the command made last: completion reads the flags
	// of each command from it.
	lastFlagSet *flag.FlagSet
}

func main() {
	ctx, stop := interruptible()
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

// interruptible returns a context that the first SIGINT or SIGTERM cancels (changes in
// flight finish, the rest are skipped). The signals' default action is restored before
// the context ends, so a second signal kills the process at once even when it comes
// right after what the first one made the process print.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
		case <-ctx.Done():
		}
		cancel()
	}()
	return ctx, func() {
		signal.Stop(sigs)
		cancel()
	}
}

// run parses the global flags, runs the subcommand and maps its error to an exit code.
func (c *cli) run(ctx context.Context, args []string) int {
	fs, showVersion := c.topFlagSet()
	if err := parseFlags(fs, args, -1); err != nil {
		return c.exitCode(err)
	}
	if *showVersion {
		return c.exitCode(runVersion(ctx, c, fs.Args()))
	}
	if fs.NArg() == 0 {
		c.usage(c.stderr, fs)
		return exitError
	}
	cmd, err := lookupCommand(fs.Arg(0))
	if err != nil {
		return c.exitCode(err)
	}
	return c.exitCode(cmd.run(ctx, c, fs.Args()[1:]))
}

// topFlagSet returns the flag set of the command line before the command: the global
// flags and -version.
func (c *cli) topFlagSet() (*flag.FlagSet, *bool) {
	fs := c.newFlagSet("tintri-jobs")
	c.addGlobalFlags(fs)
	showVersion := fs.Bool("version", false, "print the version and commit, as the version command does")
	fs.Usage = func() { c.usage(fs.Output(), fs) }
	return fs, showVersion
}

// lookupCommand returns the command called name, or an error suggesting the closest names.
func lookupCommand(name string) (command, error) {
	cmd, ok := commands[name]
	if !ok {
		return command{}, &usageError{
			msg:  fmt.Sprintf("unknown command %q%s", name, didYouMean(name, commandNames(), strconv.Quote)),
			hint: "Run 'tintri-jobs help' for the list of commands.",
		}
	}
	return cmd, nil
}

// commandNames lists the command table, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// addGlobalFlags adds -log-format and -log-level; every subcommand accepts them too.
func (c *cli) addGlobalFlags(fs *flag.FlagSet) {
	if fs.Lookup("log-format") != nil {
		return
	}
	if c.logFormat == "" {
		c.logFormat, c.logLevel = "auto", "info"
	}
	fs.StringVar(&c.logFormat, "log-format", c.logFormat, "log `FORMAT` on stderr: auto (console on a terminal, else json), console or json")
	fs.StringVar(&c.logLevel, "log-level", c.logLevel, "log `LEVEL`: debug, info, warn or error")
	fs.BoolVar(&c.noColor, "no-color", c.noColor, "no colours on a terminal (also when the NO_COLOR environment variable is set)")
}

// newFlagSet returns an empty flag set whose errors go to stderr and whose help goes to
// stdout (see parseFlags); the caller sets its Usage.
func (c *cli) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(streams{Writer: c.stderr, help: c.stdout})
	c.lastFlagSet = fs
	return fs
}

// flagSet returns a subcommand's flag set with the global flags; synopsis is the part of
// the usage line after the command name.
func (c *cli) flagSet(name, synopsis string) *flag.FlagSet {
	fs := c.newFlagSet(name)
	c.addGlobalFlags(fs)
	c.setCommandUsage(fs, synopsis)
	return fs
}

// setCommandUsage makes fs.Usage print the command's help to the flag set's output.
func (c *cli) setCommandUsage(fs *flag.FlagSet, synopsis string) {
	name := fs.Name()
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: tintri-jobs %s\n\n", strings.TrimSpace(name+" "+synopsis))
		if cmd, ok := commands[name]; ok {
			fmt.Fprintf(w, "%s.\n\n%sFlags:\n", upperFirst(cmd.synopsis), cmd.help)
		}
		fs.PrintDefaults()
		fmt.Fprint(w, exitCodeHelp)
	}
}

// usage writes the overview of every command and the global flags of fs to w.
func (c *cli) usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, "Usage: tintri-jobs [global flags] <command> [flags] [args]\n\nCommands:\n")
	names := commandNames()
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].synopsis)
	}
	fmt.Fprint(w, "\nGlobal flags (-log-format and -log-level may also follow the command):\n")
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
	fmt.Fprint(w, "\nRun 'tintri-jobs help <command>' or 'tintri-jobs <command> -help' for a command's flags.\n")
	fmt.Fprint(w, exitCodeHelp)
}

func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
