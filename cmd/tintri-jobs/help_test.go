package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelp checks every way of asking for help: the overview and each command's help go
// to stdout with exit 0 and nothing on stderr, and match testdata/help/*.txt (go test
// -update rewrites them).
func TestHelp(t *testing.T) {
	overview := [][]string{{"-help"}, {"--help"}, {"-h"}, {"help"}, {"-log-level", "debug", "help"}}
	for _, args := range overview {
		stdout, stderr, code := runInProcess(t, nil, "", false, args...)
		if code != exitOK || stderr != "" {
			t.Errorf("%q: exit %d, stderr %q; want exit 0 and no stderr", args, code, stderr)
		}
		goldenFile(t, filepath.Join("testdata", "help", "overview.txt"), stdout)
	}
	for _, name := range commandNames() {
		var first string
		for i, args := range [][]string{{name, "-help"}, {name, "--help"}, {name, "-h"}, {"help", name}} {
			stdout, stderr, code := runInProcess(t, nil, "", false, args...)
			if code != exitOK || stderr != "" {
				t.Errorf("%q: exit %d, stderr %q; want exit 0 and no stderr", args, code, stderr)
			}
			if i == 0 {
				first = stdout
				goldenFile(t, filepath.Join("testdata", "help", name+".txt"), stdout)
			} else if stdout != first {
				t.Errorf("%q printed other help than %q:\n%s", args, []string{name, "-help"}, stdout)
			}
		}
	}
}

// TestSuggestions checks the errors for unknown commands, flags and shells against
// testdata/help/suggestions.txt: on stderr, exit 1, the closest names suggested, and a
// pointer to the help instead of the whole usage.
func TestSuggestions(t *testing.T) {
	cases := [][]string{
		{"plna"},
		{"aply"},
		{"versoin"},
		{"nope"},
		{"help", "plna"},
		{"plan", "-jsn"},
		{"plan", "--jsn"},
		{"plan", "-targt", "a.b"},
		{"apply", "-auto-aprove"},
		{"apply", "-lock-timout", "1m"},
		{"daemon", "-tokenfile", "t"},
		{"history", "-limt", "3"},
		{"validate", "-log-levle", "debug"},
		{"sim", "-vmstore", "2"},
		{"-verison"},
		{"-log-fromat", "json", "plan"},
		{"completion", "bahs"},
		{"plan", "-zzz"},
		{"plan", "-parallelism", "many"},
	}
	var all strings.Builder
	for _, args := range cases {
		stdout, stderr, code := runInProcess(t, nil, "", false, args...)
		if code != exitError || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q; want exit 1 and nothing on stdout", args, code, stdout)
		}
		if strings.Contains(stderr, "Usage:") {
			t.Errorf("%q: the whole usage on stderr:\n%s", args, stderr)
		}
		fmt.Fprintf(&all, "$ tintri-jobs %s\n%s\n", strings.Join(args, " "), stderr)
	}
	goldenFile(t, filepath.Join("testdata", "help", "suggestions.txt"), all.String())
}

// TestVersionFlag checks that -version and --version print what the version command does.
func TestVersionFlag(t *testing.T) {
	want, _, _ := runInProcess(t, nil, "", false, "version")
	if !strings.HasPrefix(want, "tintri-jobs ") {
		t.Fatalf("version printed %q", want)
	}
	for _, args := range [][]string{{"-version"}, {"--version"}, {"-log-level", "warn", "--version"}} {
		stdout, stderr, code := runInProcess(t, nil, "", false, args...)
		if code != exitOK || stdout != want || stderr != "" {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 0 and %q", args, code, stdout, stderr, want)
		}
	}
	if _, stderr, code := runInProcess(t, nil, "", false, "-version", "extra"); code != exitError || !strings.Contains(stderr, `unexpected argument "extra"`) {
		t.Errorf("-version extra: exit %d, stderr %q", code, stderr)
	}
}

// placeholder is what a flag's value is called in the help: a word in capitals such as
// NAME, N, DURATION or JOB.TASK, never the type name the flag package falls back to.
var placeholder = regexp.MustCompile(`^[A-Z][A-Z.=_]*$`)

// TestFlagPlaceholders checks that every flag of every command that takes a value names it
// with a typed placeholder (`-job NAME`, `-parallelism N`, `-lock-timeout DURATION`).
func TestFlagPlaceholders(t *testing.T) {
	sets := map[string]*flag.FlagSet{}
	sets["tintri-jobs"], _ = (&cli{}).topFlagSet()
	for _, name := range commandNames() {
		sets[name] = commandFlags(context.Background(), name)
		if sets[name] == nil {
			t.Fatalf("%s: no flag set", name)
		}
	}
	for name, fs := range sets {
		fs.VisitAll(func(f *flag.Flag) {
			ph, _ := flag.UnquoteUsage(f)
			switch {
			case isBoolFlag(f) && ph != "":
				t.Errorf("%s -%s: a bool flag with the placeholder %q", name, f.Name, ph)
			case !isBoolFlag(f) && !placeholder.MatchString(ph):
				t.Errorf("%s -%s: placeholder %q, want a word in capitals: put it in backquotes in the usage", name, f.Name, ph)
			}
		})
	}
}

// TestCompletionFlagValues checks that the values completion offers for -log-format and
// -log-level are the ones the logger takes.
func TestCompletionFlagValues(t *testing.T) {
	for _, format := range flagValues["log-format"] {
		if _, err := (&cli{logFormat: format, logLevel: "info"}).logger(); err != nil {
			t.Errorf("-log-format %s: %v", format, err)
		}
	}
	for _, level := range flagValues["log-level"] {
		if _, err := (&cli{logFormat: "json", logLevel: level}).logger(); err != nil {
			t.Errorf("-log-level %s: %v", level, err)
		}
	}
}

// globalFlags are the flags every command takes, documented once.
var globalFlags = map[string]bool{"log-format": true, "log-level": true, "no-color": true}

// flagToken matches a flag as written in a usage line or the README: -name.
var flagToken = regexp.MustCompile(`-[a-z][a-z-]*`)

// flagTokens returns the set of -name tokens of text.
func flagTokens(text string) map[string]bool {
	out := map[string]bool{}
	for _, tok := range flagToken.FindAllString(text, -1) {
		out[tok[1:]] = true
	}
	return out
}

// commandFlagNames lists the flags of a command that it documents itself: all but the
// global ones.
func commandFlagNames(t *testing.T, name string) []string {
	t.Helper()
	fs := commandFlags(context.Background(), name)
	if fs == nil {
		t.Fatalf("%s: no flag set", name)
	}
	var out []string
	fs.VisitAll(func(f *flag.Flag) {
		if !globalFlags[f.Name] {
			out = append(out, f.Name)
		}
	})
	return out
}

// TestUsageListsEveryFlag checks that the usage line of each command's help names every
// flag the command takes besides the global ones.
func TestUsageListsEveryFlag(t *testing.T) {
	for _, name := range commandNames() {
		stdout, _, _ := runInProcess(t, nil, "", false, name, "-help")
		usage, _, _ := strings.Cut(stdout, "\n\n")
		listed := flagTokens(usage)
		for _, f := range commandFlagNames(t, name) {
			if !listed[f] {
				t.Errorf("%s: the usage line lacks -%s:\n%s", name, f, usage)
			}
		}
	}
}

// TestNoCommand: tintri-jobs without a command prints the overview on stderr and exits 1.
func TestNoCommand(t *testing.T) {
	want, _, _ := runInProcess(t, nil, "", false, "-help")
	for _, args := range [][]string{nil, {"-log-level", "debug"}} {
		stdout, stderr, code := runInProcess(t, nil, "", false, args...)
		if code != exitError || stdout != "" || stderr != want {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s\nwant exit 1 and the overview on stderr", args, code, stdout, stderr)
		}
	}
}
