package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCompletionScripts checks each shell's script against testdata/completion (go test
// -update rewrites them): they are generated from the command table and flag sets, so a
// new command or flag shows up here.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range shells {
		stdout, stderr, code := runInProcess(t, nil, "", false, "completion", shell)
		if code != exitOK || stderr != "" {
			t.Fatalf("completion %s: exit %d, stderr %q", shell, code, stderr)
		}
		goldenFile(t, filepath.Join("testdata", "completion", shell+".txt"), stdout)
	}
}

// completionCase is a command line being completed (the last word is the one under the
// cursor, "" for a new word) and the candidates the script must offer; nil: none, so
// that the shell completes file names.
type completionCase struct {
	line []string
	want []string
}

var completionCases = []completionCase{
	{[]string{"pl"}, []string{"plan"}},
	{[]string{"h"}, []string{"help", "history"}},
	{[]string{"-log-format", "json", "ap"}, []string{"apply"}},
	{[]string{"-log-l"}, []string{"-log-level"}},
	{[]string{"-log-format", ""}, []string{"auto", "console", "json"}},
	{[]string{"plan", "-js"}, []string{"-json"}},
	{[]string{"plan", "-deta"}, []string{"-detail", "-detailed-exitcode"}},
	{[]string{"apply", "-lock"}, []string{"-lock-timeout"}},
	{[]string{"plan", "-log-level", "w"}, []string{"warn"}},
	{[]string{"plan", "-job", "x", "-tar"}, []string{"-target"}},
	{[]string{"plan", "-config", ""}, nil},
	{[]string{"apply", ""}, nil},
	{[]string{"help", "com"}, []string{"completion"}},
	{[]string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}},
	{[]string{"kinds", "vm_"}, []string{"vm_affinity", "vm_report", "vm_snapshot"}},
	{[]string{"show", "app"}, []string{"appliance_info"}},
	{[]string{"sim", "-vm"}, []string{"-vms", "-vmstores"}},
}

// completionScript writes the completion script of shell to a file and returns its path.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	if _, err := exec.LookPath(shell); err != nil {
		t.Skipf("%s is not installed", shell)
	}
	stdout, _, code := runInProcess(t, nil, "", false, "completion", shell)
	if code != exitOK {
		t.Fatalf("completion %s: exit %d", shell, code)
	}
	path := filepath.Join(t.TempDir(), "tintri-jobs."+shell)
	if err := os.WriteFile(path, []byte(stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// completeIn runs shell with the script and the program prog, which completes one
// command line given as its arguments and prints one candidate per line.
func completeIn(t *testing.T, shell, script, prog string, c completionCase) {
	t.Helper()
	args := append([]string{"-c", prog, shell, script, "tintri-jobs"}, c.line...)
	if shell == "fish" {
		args = []string{"-c", prog, script, strings.Join(append([]string{"tintri-jobs"}, c.line...), " ")}
	}
	cmd := exec.Command(shell, args...)
	cmd.Dir = t.TempDir() // no files to offer
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %q: %v\n%s", shell, c.line, err, out)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l, _, _ = strings.Cut(l, "\t"); l != "" { // fish: candidate<TAB>description
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(c.want, got); diff != "" {
		t.Errorf("%s: completing %q (-want +got):\n%s", shell, c.line, diff)
	}
}

// TestCompletionBash runs the bash script's completion function on each case.
func TestCompletionBash(t *testing.T) {
	script := completionScript(t, "bash")
	const prog = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tintri_jobs; ` +
		`[ ${#COMPREPLY[@]} -eq 0 ] || printf '%s\n' "${COMPREPLY[@]}"`
	for _, c := range completionCases {
		completeIn(t, "bash", script, prog, c)
	}
}

// TestCompletionZsh runs the zsh script's completion function on each case, with the
// completion system's functions replaced by ones that print the candidates they get.
func TestCompletionZsh(t *testing.T) {
	script := completionScript(t, "zsh")
	// As zsh's own, the functions offer only the candidates that start with the word.
	const prog = `compdef() { :; }; _files() { :; }
compadd() { [[ $1 == -a ]] && print -l -- ${(M)${(P)2}:#${words[CURRENT]}*}; }
_describe() { local d; for d in ${(P)4}; do [[ $d == ${words[CURRENT]}* ]] && print -r -- ${d%%:*}; done | sort; }
source "$1"; shift; words=("$@"); CURRENT=$#; _tintri-jobs`
	for _, c := range completionCases {
		completeIn(t, "zsh", script, prog, c)
	}
}

// TestCompletionFish asks fish itself to complete each case with the script loaded.
func TestCompletionFish(t *testing.T) {
	script := completionScript(t, "fish")
	const prog = `source $argv[1]; complete -C $argv[2]`
	for _, c := range completionCases {
		if len(c.want) == 0 {
			continue // fish offers file names itself
		}
		completeIn(t, "fish", script, prog, c)
	}
}
