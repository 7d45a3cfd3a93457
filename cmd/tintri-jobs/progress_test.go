package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	p := newProgress(&b)
	if _, err := p.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	p.Start(3)
	p.OnChange(plan.AuditRecord{Result: plan.AuditOK})
	if _, err := p.Write([]byte("WRN retrying\n")); err != nil {
		t.Fatal(err)
	}
	p.OnChange(plan.AuditRecord{Result: plan.AuditError, Error: "boom"})
	p.OnChange(plan.AuditRecord{Result: plan.AuditOK})
	p.Finish()
	if _, err := p.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"before\n",
		"Applying [------------------------------] 0/3",
		"Applying [##########--------------------] 1/3",
		"\x1b[KWRN retrying\n",
		"Applying [##########--------------------] 1/3",
		"Applying [####################----------] 2/3, 1 failed",
		"Applying [##############################] 3/3, 1 failed\nafter\n",
	}
	if diff := cmp.Diff(want, strings.Split(b.String(), "\r")); diff != "" {
		t.Errorf("progress output (-want +got):\n%s", diff)
	}
}

// render returns the lines a terminal shows for out, honouring "\r" and erase-line.
func render(out string) []string {
	var lines []string
	var line []rune
	col := 0
	for i := 0; i < len(out); {
		switch {
		case strings.HasPrefix(out[i:], "\x1b[K"):
			line = line[:col]
			i += len("\x1b[K")
			continue
		case out[i] == '\r':
			col = 0
		case out[i] == '\n':
			lines = append(lines, string(line))
			line, col = nil, 0
		default:
			r, size := utf8.DecodeRuneInString(out[i:])
			if col < len(line) {
				line[col] = r
			} else {
				line = append(line, r)
			}
			col++
			i += size
			continue
		}
		i++
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return lines
}

// TestApplyProgressOnTerminal applies with stderr on a "terminal" and debug logs, and
// checks on the rendered screen that the bar ends complete and no log line was drawn
// over or into it.
func TestApplyProgressOnTerminal(t *testing.T) {
	e := newE2E(t, "dns", 3)
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: newProgress(&errOut), environ: e.env,
		getenv: func(string) string { return "" }, stderrTerminal: true}
	code := c.run(t.Context(), []string{"apply", "-auto-approve", "-log-level", "debug",
		"-config", e.dir, "-state-dir", filepath.Join(e.dir, "state")})
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	screen := render(errOut.String())
	var bars, logs int
	for _, l := range screen {
		switch {
		case strings.HasPrefix(l, "Applying ["):
			bars++
			if l != "Applying [##############################] 3/3" {
				t.Errorf("bar line %q, want the complete bar alone", l)
			}
		case strings.Contains(l, "Applying ["):
			t.Errorf("bar drawn inside a log line: %q", l)
		case strings.TrimSpace(l) != "":
			logs++
		}
	}
	if bars != 1 || logs == 0 {
		t.Errorf("screen has %d bar lines and %d log lines, want 1 and some:\n%s", bars, logs, strings.Join(screen, "\n"))
	}
}

// TestApplyJSONLogsOnTerminal: with -log-format json, stderr holds JSON lines only, even on
// a terminal: no progress bar, no escape codes.
func TestApplyJSONLogsOnTerminal(t *testing.T) {
	e := newE2E(t, "dns", 3)
	var out, errOut bytes.Buffer
	c := &cli{stdin: strings.NewReader(""), stdout: &out, stderr: newProgress(&errOut), environ: e.env,
		getenv: func(string) string { return "" }, stderrTerminal: true}
	code := c.run(t.Context(), []string{"apply", "-auto-approve", "-log-level", "debug", "-log-format", "json",
		"-config", e.dir, "-state-dir", filepath.Join(e.dir, "state")})
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSuffix(errOut.String(), "\n"), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("no log lines on stderr")
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") || !strings.HasSuffix(l, "}") || strings.ContainsAny(l, "\r\x1b") {
			t.Errorf("stderr line is not a clean JSON log line: %q", l)
		}
	}
}
