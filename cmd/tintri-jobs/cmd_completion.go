package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

func init() {
	register(command{name: "completion", synopsis: "print a shell completion script: completion bash|zsh|fish|powershell",
		help: completionHelp, run: runCompletion})
}

// completionHelp says how to load the scripts.
const completionHelp = `The script completes commands, flags, the values of -log-format and -log-level, the
shells of completion, the commands of help, the kinds of kinds, and file names. Load it:

  bash        source <(tintri-jobs completion bash)
              or: tintri-jobs completion bash > /etc/bash_completion.d/tintri-jobs
  zsh         source <(tintri-jobs completion zsh)
              or: tintri-jobs completion zsh > "${fpath[1]}/_tintri-jobs"
  fish        tintri-jobs completion fish | source
              or: tintri-jobs completion fish > ~/.config/fish/completions/tintri-jobs.fish
  powershell  tintri-jobs completion powershell | Out-String | Invoke-Expression
              (add that line to $PROFILE for every session)

`

// completionScripts are the script templates, one per shell, executed with a complModel.
//
//go:embed completion/*.tmpl
var completionScripts embed.FS

// shells are the shells completion writes scripts for.
var shells = []string{"bash", "fish", "powershell", "zsh"}

// flagValues are the values completion offers for the flags that take one of a few words.
var flagValues = map[string][]string{
	"format":     formats,
	"log-format": {"auto", "console", "json"},
	"log-level":  {"debug", "info", "warn", "error"},
}

// commandArgs are the words completion offers as the arguments of a command; the other
// commands' arguments are completed as file names.
var commandArgs = map[string]func() []string{
	"completion": func() []string { return shells },
	"help":       commandNames,
	"kinds":      runner.KindNames,
	"show":       func() []string { return showables },
}

func runCompletion(ctx context.Context, c *cli, args []string) error {
	fs := c.flagSet("completion", "bash|zsh|fish|powershell")
	if err := parseFlags(fs, args, 1); err != nil {
		return err
	}
	shell := fs.Arg(0)
	tmpl := completionTemplate(shell)
	if tmpl == nil {
		if shell == "" {
			return &usageError{msg: "completion: name the shell: bash, zsh, fish or powershell", hint: "Run 'tintri-jobs completion -help' for how to load the script."}
		}
		return &usageError{msg: fmt.Sprintf("completion: no script for the shell %q%s", shell, didYouMean(shell, shells, strconv.Quote)),
			hint: "Run 'tintri-jobs completion -help' for the shells."}
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, newComplModel(ctx)); err != nil {
		return fmt.Errorf("completion %s: %w", shell, err)
	}
	_, err := fmt.Fprint(c.stdout, b.String())
	return err
}

// completionTemplate parses the script template of shell: nil when there is none.
func completionTemplate(shell string) *template.Template {
	if !slices.Contains(shells, shell) {
		return nil
	}
	return template.Must(template.New(shell+".tmpl").Funcs(template.FuncMap{
		"sq":   shellQuoteAlways,
		"fish": fishQuote,
		"ps":   powershellQuote,
		"join": strings.Join,
		"list": func(v ...any) []any { return v },
	}).ParseFS(completionScripts, "completion/"+shell+".tmpl"))
}

// complModel is what the completion scripts are generated from: the command table and
// the flag sets of the commands.
type complModel struct {
	Top      complCommand   // the command line before the command (Name is "")
	Commands []complCommand // sorted by name
	// Values are the words offered as the value of a flag, by flag name.
	Values []complValues
}

// complCommand is one command with its flags and the words offered as its arguments.
type complCommand struct {
	Name, Desc string
	Flags      []complFlag
	Args       []string
}

// complFlag is one flag: Valued when it takes a value from the next word (not a bool).
type complFlag struct {
	Name, Desc string
	Valued     bool
}

// complValues are the words offered as the value of the flag Name.
type complValues struct {
	Name  string
	Words []string
}

// ValuedNames lists the flags of cc that take a value.
func (cc complCommand) ValuedNames() []string {
	var out []string
	for _, f := range cc.Flags {
		if f.Valued {
			out = append(out, f.Name)
		}
	}
	return out
}

// FlagWords lists "-name" of each flag, and -help.
func (cc complCommand) FlagWords() []string {
	out := []string{"-help"}
	for _, f := range cc.Flags {
		out = append(out, "-"+f.Name)
	}
	return out
}

func newComplModel(ctx context.Context) complModel {
	top, _ := (&cli{}).topFlagSet()
	m := complModel{Top: complCommand{Flags: complFlags(top)}}
	for _, name := range commandNames() {
		cc := complCommand{Name: name, Desc: commands[name].synopsis, Flags: complFlags(commandFlags(ctx, name))}
		if args := commandArgs[name]; args != nil {
			cc.Args = args()
		}
		m.Commands = append(m.Commands, cc)
	}
	for name, words := range flagValues {
		m.Values = append(m.Values, complValues{Name: name, Words: words})
	}
	sort.Slice(m.Values, func(i, j int) bool { return m.Values[i].Name < m.Values[j].Name })
	return m
}

// complFlags lists the flags of fs (nil: none) in name order.
func complFlags(fs *flag.FlagSet) []complFlag {
	var out []complFlag
	if fs == nil {
		return out
	}
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		out = append(out, complFlag{Name: f.Name, Desc: shortDesc(usage), Valued: !isBoolFlag(f)})
	})
	return out
}

// isBoolFlag reports whether f takes no value (-json rather than -json=true).
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// shortDesc is a flag's usage without its parentheses, up to its first colon or semicolon.
func shortDesc(usage string) string {
	usage = parenthesized.ReplaceAllString(usage, "")
	if i := strings.IndexAny(usage, ":;"); i > 0 {
		usage = usage[:i]
	}
	return strings.TrimSpace(usage)
}

// parenthesized matches a parenthesized part of a flag's usage and the space before it.
var parenthesized = regexp.MustCompile(` ?\([^()]*\)`)

// shellQuoteAlways quotes s for a POSIX shell (bash, zsh).
func shellQuoteAlways(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish, whose single quotes escape \ and '.
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

// powershellQuote quotes s for PowerShell, whose single quotes double '.
func powershellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
