package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runInProcess runs the CLI in this process with the given stdin, as if on a terminal
// when terminal is set.
func runInProcess(t *testing.T, env []string, stdin string, terminal bool, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut, environ: env,
		getenv: func(k string) string {
			for _, kv := range env {
				if name, v, ok := strings.Cut(kv, "="); ok && name == k {
					return v
				}
			}
			return ""
		},
		stdinTerminal: terminal}
	code = c.run(context.Background(), args)
	return out.String(), errOut.String(), code
}

func TestFmt(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jobs.hcl")
	src := "job \"a\" {\n  schedule=\"@daily\"\n  mode = \"plan\"\n}\n"
	if err := os.WriteFile(path, []byte(src), 0o640); err != nil {
		t.Fatal(err)
	}
	out, _, code := runInProcess(t, nil, "", false, "fmt", "-check", "-diff", dir)
	wantDiff := path + "\n--- " + path + "\n+++ " + path + " (formatted)\n@@ -1,4 +1,4 @@\n" +
		" job \"a\" {\n-  schedule=\"@daily\"\n-  mode = \"plan\"\n+  schedule = \"@daily\"\n+  mode     = \"plan\"\n }\n"
	if code != exitError {
		t.Errorf("fmt -check exit %d, want 1", code)
	}
	if diff := cmp.Diff(wantDiff, out); diff != "" {
		t.Errorf("fmt -check -diff output (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(path); string(b) != src {
		t.Fatalf("fmt -check rewrote the file")
	}

	if out, _, code = runInProcess(t, nil, "", false, "fmt", path); code != exitOK || out != path+"\n" {
		t.Errorf("fmt: exit %d, output %q", code, out)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Errorf("fmt changed the mode to %v", st.Mode().Perm())
	}
	if out, _, code = runInProcess(t, nil, "", false, "fmt", "-check", dir); code != exitOK || out != "" {
		t.Errorf("fmt -check on a formatted file: exit %d, output %q", code, out)
	}

	// A file with a syntax error is reported and left as it is.
	broken := filepath.Join(dir, "broken.hcl")
	bad := "job \"b\" {\n  mode = \n}\n"
	if err := os.WriteFile(broken, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runInProcess(t, nil, "", false, "fmt", dir)
	if code != exitError || out != "" || !strings.Contains(errOut, "Error: Invalid expression\n\n  on "+broken+" line 2:\n   2:   mode = \n") ||
		!strings.HasSuffix(errOut, "Error: fmt: 1 file not formatted: syntax errors above\n") {
		t.Errorf("fmt of a broken file: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(broken); string(b) != bad {
		t.Errorf("fmt rewrote a file that does not parse:\n%s", b)
	}
}

func TestApplyApproval(t *testing.T) {
	tests := []struct {
		answer     string
		wantCode   int
		wantWrites int64
		wantErr    string
	}{
		{"no\n", exitError, 0, "Apply cancelled.\n"},
		{"yes\n", exitOK, 2, ""},
	}
	for _, tt := range tests {
		t.Run(strings.TrimSpace(tt.answer), func(t *testing.T) {
			e := newE2E(t, "dns", 2)
			// An absolute -config outside the working directory reads from the root.
			stdout, stderr, code := runInProcess(t, e.env, tt.answer, true, "apply", "-log-level", "error",
				"-config", e.dir, "-state-dir", filepath.Join(e.dir, "state"))
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			cancelled := strings.Contains(stderr, "Apply cancelled.")
			if !strings.Contains(stderr, "Do you want to make these changes? Only 'yes' is accepted.") ||
				!strings.HasSuffix(stderr, tt.wantErr) || cancelled != (tt.wantErr != "") {
				t.Errorf("stderr:\n%s", stderr)
			}
			if w := e.sim.Writes(); w != tt.wantWrites {
				t.Errorf("%d writes, want %d", w, tt.wantWrites)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantStderr string
	}{
		{[]string{"nope"}, exitError, `Error: unknown command "nope"`},
		{[]string{"plan", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs plan "},
		{[]string{"validate", "-config", "x.hcl", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs validate "},
		{[]string{"apply", "saved.plan", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs apply "},
		{[]string{"show", "appliance_info", "-server", "s", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs show "},
		{[]string{"show", "-json", "saved.plan", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs show "},
		{[]string{"show", "saved.plan", "-server", "x"}, exitError, "Error: -server is for show appliance_info, not for a plan file"},
		{[]string{"show", "appliance_info", "-format", "html", "-server", "x"}, exitError, "Error: show appliance_info -format html: want text or json"},
		{[]string{"show", "-format", "pdf", "saved.plan"}, exitError, `Error: -format "pdf": want one of text, json, markdown, html`},
		{[]string{"plan", "-json", "-format", "html"}, exitError, "Error: -json and -format html: give one of them"},
		{[]string{"daemon", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs daemon "},
		{[]string{"history", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs history "},
		{[]string{"version", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs version"},
		{[]string{"help", "plan", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs help [COMMAND]"},
		{[]string{"help", "extra"}, exitError, "Error: unknown command \"extra\"\nRun 'tintri-jobs help' for the list of commands.\n"},
		{[]string{"plan", "-jsn"}, exitError, "Error: flag provided but not defined: -jsn; did you mean -json?\nRun 'tintri-jobs plan -help' for its flags.\n"},
		{[]string{"completion", "bash", "extra"}, exitError, "unexpected argument \"extra\"\nUsage: tintri-jobs completion "},
		{[]string{"sim", "extra"}, exitError, "Error: sim: unexpected arguments: extra"},
		{[]string{"plan", "-log-level", "loud"}, exitError, `Error: -log-level "loud": want debug, info, warn or error`},
		{[]string{"plan", "-parallelism", "0"}, exitError, "Error: -parallelism 0: want at least 1"},
		{[]string{"apply", "-parallelism", "-2", "saved.plan"}, exitError, "Error: -parallelism -2: want at least 1"},
		{[]string{"show", "vms"}, exitError, `Error: cannot show "vms": no such file; want a plan file (plan -out FILE) or one of: appliance_info`},
		{[]string{"apply", "-job", "x", "saved.plan"}, exitError, "Error: -job and -target select what to plan; a saved plan file is applied as a whole"},
		{[]string{"plan", "-timeout", "500ms"}, exitError, "Error: -timeout 500ms: want between 1s and 1h"},
		{[]string{"apply", "-attempts", "-1"}, exitError, "Error: -attempts -1: want between 1 and 10"},
		{[]string{"daemon", "-attempts", "11"}, exitError, "Error: -attempts 11: want between 1 and 10"},
		{[]string{"show", "appliance_info", "-server", "https://h.example", "-timeout", "2h"}, exitError, "Error: -timeout 2h0m0s: want between 1s and 1h"},
	}
	for _, tt := range tests {
		_, stderr, code := runInProcess(t, nil, "", false, tt.args...)
		if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr, tt.wantCode, tt.wantStderr)
		}
	}
}

// TestLogger checks the log format chosen from -log-format and whether stderr is a
// terminal, and -log-level filtering.
func TestLogger(t *testing.T) {
	tests := []struct {
		format, level string
		terminal      bool
		want          string // "json", "console" or "" (nothing logged)
	}{
		{"auto", "info", false, "json"},
		{"auto", "info", true, "console"},
		{"console", "info", false, "console"},
		{"json", "debug", true, "json"},
		{"auto", "warn", false, ""},
	}
	for _, tt := range tests {
		var errOut bytes.Buffer
		c := &cli{stderr: &errOut, stderrTerminal: tt.terminal, logFormat: tt.format, logLevel: tt.level}
		log, err := c.logger()
		if err != nil {
			t.Fatalf("%+v: %v", tt, err)
		}
		log.Info().Str("server", "vs1").Msg("hello")
		got := errOut.String()
		switch tt.want {
		case "json":
			var rec map[string]any
			if err := json.Unmarshal([]byte(got), &rec); err != nil || rec["message"] != "hello" || rec["server"] != "vs1" || rec["level"] != "info" {
				t.Errorf("%+v: want one JSON line, got %q (%v)", tt, got, err)
			}
		case "console":
			if strings.HasPrefix(got, "{") || !strings.Contains(got, "hello") || !strings.Contains(got, "INF") {
				t.Errorf("%+v: want a console line, got %q", tt, got)
			}
			if hasColor := strings.Contains(got, "\x1b["); hasColor != tt.terminal {
				t.Errorf("%+v: colours %v on a terminal %v: %q", tt, hasColor, tt.terminal, got)
			}
		default:
			if got != "" {
				t.Errorf("%+v: logged %q", tt, got)
			}
		}
	}
	c := &cli{stderr: io.Discard, logFormat: "xml", logLevel: "info"}
	if _, err := c.logger(); err == nil || err.Error() != `-log-format "xml": want auto, console or json` {
		t.Errorf("-log-format xml: error %v", err)
	}
}

// TestLogDurationsCarryUnits: a duration in a real JSON log line of the binary (the API
// client's retry delay) is a string with its unit, not a bare number of milliseconds.
func TestLogDurationsCarryUnits(t *testing.T) {
	e := newE2E(t, "dns", 1)
	e.sim.FailNextMatching("vmstore-0", http.MethodGet, "/api/v310/appliance", 1, http.StatusServiceUnavailable)
	_, stderr := e.mustRun(exitOK, "plan", "-log-level", "debug", "-log-format", "json")
	var delays []any
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["message"] == "retrying" {
			delays = append(delays, m["delay"])
		}
	}
	if len(delays) != 1 {
		t.Fatalf("retry lines with delays %v, want one; log:\n%s", delays, stderr)
	}
	if s, ok := delays[0].(string); !ok {
		t.Errorf(`"delay": %#v, want a duration with its unit such as "250ms"`, delays[0])
	} else if d, err := time.ParseDuration(s); err != nil || d <= 0 {
		t.Errorf(`"delay": %q: %v`, s, err)
	}
}
