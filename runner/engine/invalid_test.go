package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// invalidEnv is the environment every invalid job file is loaded with.
var invalidEnv = []string{"TINTRI_PASSWORD=pw", "TINTRI_USERNAME=admin"}

// errorMarker is what marks the offending line of a broken job file (or of a file it
// reads): "# ERROR: <diagnostic summary>".
const errorMarker = "# ERROR: "

// marker is an expected error: a file, a line and a diagnostic summary.
type marker struct {
	File    string
	Line    int
	Summary string
}

// markersIn finds the ERROR markers in every source the loader read.
func markersIn(sources map[string][]byte) []marker {
	var ms []marker
	for name, src := range sources {
		sc := bufio.NewScanner(bytes.NewReader(src))
		for line := 1; sc.Scan(); line++ {
			if _, summary, ok := strings.Cut(sc.Text(), errorMarker); ok {
				ms = append(ms, marker{File: name, Line: line, Summary: strings.TrimSpace(summary)})
			}
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].File < ms[j].File })
	return ms
}

// diagText renders diagnostics as the CLI would, for failure messages.
func diagText(cfg *Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	if err := config.WriteDiagnostics(&buf, cfg.Sources, diags, false); err != nil {
		return fmt.Sprintf("(rendering diagnostics failed: %v)", err)
	}
	return buf.String()
}

// TestLoadInvalid loads every testdata/invalid/*.hcl and expects exactly one error: the
// one its ERROR marker names, on the marker's line.
func TestLoadInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.hcl")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 25 {
		t.Fatalf("found %d invalid job files, want at least 25", len(files))
	}
	fsys := os.DirFS("testdata/invalid")
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(strings.TrimSuffix(name, ".hcl"), func(t *testing.T) {
			cfg, diags := Load(fsys, name, config.LoadOptions{Env: invalidEnv})
			ms := markersIn(cfg.Sources)
			if len(ms) != 1 {
				t.Fatalf("want exactly one %q marker in the files read, found %v", errorMarker, ms)
			}
			var got []marker
			for _, d := range diags {
				if d.Severity != hcl.DiagError {
					continue
				}
				m := marker{Summary: d.Summary}
				if d.Subject != nil {
					m.File, m.Line = d.Subject.Filename, d.Subject.Start.Line
				}
				got = append(got, m)
			}
			if diff := cmp.Diff(ms, got); diff != "" {
				t.Errorf("errors mismatch (-want +got):\n%s\ndiagnostics:\n%s", diff, diagText(cfg, diags))
			}
		})
	}
}

// okJob is a valid job appended to option tests so that only the options are wrong.
const okJob = `
variable "count" {
  type    = number
  default = 1
}
variable "name" {
  default = "x"
}
job "j" {
  task "test_noop" "t" { value = "${var.name}${var.count}" }
}
`

// TestLoadInvalidOptions covers problems that come from config.LoadOptions rather than from a
// job file, so have no ERROR line to mark.
func TestLoadInvalidOptions(t *testing.T) {
	fsys := fstest.MapFS{
		"main.hcl":     {Data: []byte(okJob)},
		"vars.hcl":     {Data: []byte("name = \"y\"\ncont = 2\n")},
		"badvars.hcl":  {Data: []byte("count = \"many\"\n")},
		"notvars.hcl":  {Data: []byte("count = \n")},
		"empty/x.txt":  {Data: []byte("x")},
		"only/main.tf": {Data: []byte("x")},
	}
	tests := []struct {
		name string
		path string
		opts config.LoadOptions
		want marker
	}{
		{"undeclared -var", "main.hcl", config.LoadOptions{Vars: map[string]string{"nmae": "y"}},
			marker{Summary: "Value for undeclared variable"}},
		{"-var of wrong type", "main.hcl", config.LoadOptions{Vars: map[string]string{"count": `"many"`}},
			marker{File: "<value for var.count>", Line: 1, Summary: "Invalid value for variable"}},
		{"-var that does not parse", "main.hcl", config.LoadOptions{Vars: map[string]string{"count": "[1,"}},
			marker{File: "<value for var.count>", Line: 1, Summary: "Missing expression"}},
		{"env of wrong type", "main.hcl", config.LoadOptions{Env: []string{"TINTRI_JOBS_VAR_count=many"}},
			marker{File: "<value for var.count>", Line: 1, Summary: "Variables not allowed"}},
		{"undeclared variable in a variable file", "main.hcl", config.LoadOptions{VarFiles: []string{"vars.hcl"}},
			marker{File: "vars.hcl", Line: 2, Summary: "Value for undeclared variable"}},
		{"variable file value of wrong type", "main.hcl", config.LoadOptions{VarFiles: []string{"badvars.hcl"}},
			marker{File: "badvars.hcl", Line: 1, Summary: "Invalid value for variable"}},
		{"variable file syntax error", "main.hcl", config.LoadOptions{VarFiles: []string{"notvars.hcl"}},
			marker{File: "notvars.hcl", Line: 1, Summary: "Invalid expression"}},
		{"missing variable file", "main.hcl", config.LoadOptions{VarFiles: []string{"nope.hcl"}},
			marker{Summary: "Failed to read variable file"}},
		{"missing path", "nope.hcl", config.LoadOptions{}, marker{Summary: "Failed to read job files"}},
		{"directory without job files", "only", config.LoadOptions{}, marker{Summary: "No job files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Load(fsys, tt.path, tt.opts)
			var got []marker
			for _, d := range diags {
				m := marker{Summary: d.Summary}
				if d.Subject != nil {
					m.File, m.Line = d.Subject.Filename, d.Subject.Start.Line
				}
				got = append(got, m)
			}
			if diff := cmp.Diff([]marker{tt.want}, got); diff != "" {
				t.Errorf("diagnostics mismatch (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
			}
		})
	}
}

// TestLoadLiteralPasswordWarning expects the warning exactly for passwords written as
// literals.
func TestLoadLiteralPasswordWarning(t *testing.T) {
	src := `
variable "pw" {
  sensitive = true
  default   = "from-variable"
}
server "a" {
  url      = "https://a"
  kind     = "tgc"
  username = "admin"
  password = "plain"
}
server "b" {
  url      = "https://b"
  kind     = "tgc"
  username = "admin"
  password = var.pw
}
server "c" {
  url      = "https://c"
  kind     = "tgc"
  username = "admin"
  password = env("PW")
}
server "d" {
  url      = "https://d"
  kind     = "tgc"
  username = "admin"
  password = "${var.pw}"
}
fleet "e" {
  urls     = ["e"]
  username = "admin"
  password = <<EOT
heredoc
EOT
}
fleet "f" {
  urls     = ["f"]
  username = "admin"
  password = trimspace(file("pw.txt"))
}
job "j" {
  task "test_noop" "t" { value = "x" }
}
`
	fsys := fstest.MapFS{"main.hcl": {Data: []byte(src)}, "pw.txt": {Data: []byte("pw\n")}}
	cfg, diags := Load(fsys, "main.hcl", config.LoadOptions{Env: []string{"PW=from-env"}})
	var got []marker
	for _, d := range diags {
		got = append(got, marker{File: d.Subject.Filename, Line: d.Subject.Start.Line,
			Summary: fmt.Sprintf("%v %s", d.Severity == hcl.DiagWarning, d.Summary)})
	}
	want := []marker{
		{File: "main.hcl", Line: 10, Summary: "true Literal password in job file"},
		{File: "main.hcl", Line: 33, Summary: "true Literal password in job file"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics mismatch (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
	}
	if p := cfg.Fleets["e"].Password.Reveal(); p != "heredoc\n" {
		t.Errorf("heredoc password = %q", p)
	}
}

// TestLoadSensitiveNeverPrinted puts a sensitive value where every kind of error quotes
// values and checks that no rendered diagnostic contains it.
func TestLoadSensitiveNeverPrinted(t *testing.T) {
	const secret = "hunter2-sekrit"
	src := `
variable "pw" {
  sensitive = true
}
server "tgc" {
  url          = "${var.pw}/api"
  kind         = var.pw
  username     = upper(var.pw, 1)
  password     = var.pw
  max_inflight = var.pw
}
fleet "f" {
  urls     = ["vs1", "http://${var.pw}", "${var.pw}:x"]
  username = "admin"
  password = var.pw
}
job "j" {
  schedule        = var.pw
  time_zone       = var.pw
  mode            = var.pw
  overlap         = var.pw
  jitter          = var.pw
  catch_up_within = var.pw
  history_limit   = var.pw

  task "test_noop" "a" {
    value  = var.pw
    server = var.pw
  }
  task "test_noop" "b" {
    value   = [var.pw]
    servers = [var.pw]
  }
  task "test_noop" "c" {
    value = regex(var.pw, var.pw, 3)
    fleet = var.pw
  }
  task "test_noop" "d" {
    value   = "x"
    servers = split(",", var.pw)
  }
  task "test_noop" "e" {
    value = file(var.pw)
  }
  task "test_noop" "f" {
    value = env(var.pw)
  }
}
`
	fsys := fstest.MapFS{"main.hcl": {Data: []byte(src)}}
	cfg, diags := Load(fsys, "main.hcl", config.LoadOptions{Vars: map[string]string{"pw": secret}})
	want := []marker{
		{"main.hcl", 6, "Invalid URL"},
		{"main.hcl", 7, "Invalid kind"},
		{"main.hcl", 8, "Too many function arguments"},
		{"main.hcl", 10, "Invalid max_inflight"},
		{"main.hcl", 13, "Unencrypted URL"},
		{"main.hcl", 13, "Invalid URL"},
		{"main.hcl", 18, "Invalid schedule"},
		{"main.hcl", 19, "Invalid time_zone"},
		{"main.hcl", 20, "Invalid mode"},
		{"main.hcl", 21, "Invalid overlap"},
		{"main.hcl", 22, "Invalid jitter"},
		{"main.hcl", 23, "Invalid catch_up_within"},
		{"main.hcl", 24, "Invalid history_limit"},
		// Task inputs reach plans and the audit log: a sensitive value is refused once per
		// attribute, before the kind's decoder would see it.
		{"main.hcl", 27, "Sensitive value in task"},
		{"main.hcl", 28, "Sensitive value in task"},
		{"main.hcl", 31, "Sensitive value in task"},
		{"main.hcl", 32, "Sensitive value in task"},
		{"main.hcl", 35, "Sensitive value in task"},
		{"main.hcl", 36, "Sensitive value in task"},
		{"main.hcl", 40, "Sensitive value in task"},
		{"main.hcl", 43, "Sensitive value in task"},
		{"main.hcl", 46, "Sensitive value in task"},
	}
	var got []marker
	for _, d := range diags {
		got = append(got, marker{d.Subject.Filename, d.Subject.Start.Line, d.Summary})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics mismatch (-want +got):\n%s", diff)
	}
	text := diagText(cfg, diags)
	if strings.Contains(text, "hunter2") {
		t.Errorf("a diagnostic shows the sensitive value:\n%s", text)
	}
	for _, d := range diags {
		if strings.Contains(d.Detail, "hunter2") || strings.Contains(d.Summary, "hunter2") {
			t.Errorf("diagnostic %q at %s shows the sensitive value", d.Summary, d.Subject)
		}
	}
	if cfg.Servers["tgc"].Password.Reveal() != secret {
		t.Errorf("password = %q, want the variable's value", cfg.Servers["tgc"].Password.Reveal())
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", cfg.Servers["tgc"], cfg.Servers["tgc"], cfg.Fleets["f"]), "hunter2") {
		t.Errorf("printing a server or fleet shows the password: %+v %+v", cfg.Servers["tgc"], cfg.Fleets["f"])
	}
}

// TestWriteDiagnosticsSnippet checks that the printed diagnostic quotes the source line,
// including a line of a urls_file.
func TestWriteDiagnosticsSnippet(t *testing.T) {
	fsys := os.DirFS("testdata/invalid")
	cfg, diags := Load(fsys, "urls_file_bad_line.hcl", config.LoadOptions{Env: invalidEnv})
	text := diagText(cfg, diags)
	for _, want := range []string{
		"Error: Invalid URL",
		"on " + path.Join(".", "urls_file_bad_line.txt") + " line 3:",
		"ftp://vs-3.example.com",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered diagnostics lack %q:\n%s", want, text)
		}
	}
}

// TestSourcesRedactSecrets checks that the snippets of diagnostics never quote a secret
// written in a file: a literal password (which draws a warning on every load), the default
// of a sensitive variable, and values for sensitive or undeclared (perhaps misspelt)
// variables in a variable file. The hash still covers the real values.
func TestSourcesRedactSecrets(t *testing.T) {
	const secret = "s3cret-Literal"
	src := `
variable "pw" {
  type      = string
  sensitive = true
  default   = ["` + secret + `"]
}
variable "other" {
  type      = string
  sensitive = true
}
server "tgc" {
  url      = "https://tgc"
  kind     = "tgc"
  username = "admin"
  password = "` + secret + `"
}
fleet "f" {
  urls     = ["vs1"]
  username = "admin"
  password = <<EOT
` + secret + `
EOT
}
job "j" {
  task "test_noop" "t" { value = "x" }
}
`
	vars := "other = [\"" + secret + "\"]\npasword = \"" + secret + "\"\n"
	fsys := fstest.MapFS{"main.hcl": {Data: []byte(src)}, "vars.hcl": {Data: []byte(vars)}}
	cfg, diags := Load(fsys, "main.hcl", config.LoadOptions{VarFiles: []string{"vars.hcl"}})
	want := []marker{
		{"main.hcl", 5, "Invalid default value for variable"},
		{"main.hcl", 15, "Literal password in job file"},
		{"main.hcl", 20, "Literal password in job file"},
		{"vars.hcl", 1, "Invalid value for variable"},
		{"vars.hcl", 2, "Value for undeclared variable"},
	}
	var got []marker
	for _, d := range diags {
		got = append(got, marker{d.Subject.Filename, d.Subject.Start.Line, d.Summary})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("diagnostics mismatch (-want +got):\n%s", diff)
	}
	text := diagText(cfg, diags)
	if strings.Contains(text, secret) {
		t.Errorf("a diagnostic shows the secret:\n%s", text)
	}
	// The snippets still show the lines, masked byte for byte.
	masked := strings.Repeat("*", len(secret))
	for _, line := range []string{
		`   5:   default   = ["` + masked + `"]`,
		`  15:   password = "` + masked + `"`,
		`  21: ` + masked,
		`   1: other = ["` + masked + `"]`,
		`   2: pasword = "` + masked + `"`,
	} {
		if !strings.Contains(text, line+"\n") {
			t.Errorf("rendered diagnostics lack %q:\n%s", line, text)
		}
	}
	if cfg.Servers["tgc"].Password.Reveal() != secret {
		t.Errorf("password = %q, want the literal", cfg.Servers["tgc"].Password.Reveal())
	}
	other := fstest.MapFS{"main.hcl": {Data: []byte(strings.ReplaceAll(src, secret, "another-one"))}, "vars.hcl": fsys["vars.hcl"]}
	if cfg2, _ := Load(other, "main.hcl", config.LoadOptions{VarFiles: []string{"vars.hcl"}}); cfg2.PlanHash([]string{"j"}) == cfg.PlanHash([]string{"j"}) {
		t.Errorf("the hash does not change with the literal password")
	}
}

// TestSourcesRedactSecretsInUnparsedFiles: a syntax error on a password line (or anywhere
// in a variable file) has no syntax tree to find the value in; its snippet masks the value
// after "=" instead.
func TestSourcesRedactSecretsInUnparsedFiles(t *testing.T) {
	const secret = "s3cret-Literal"
	tests := []struct {
		name, main, vars string
		wantLine         string
	}{
		{"unterminated password", "server \"tgc\" {\n  url = \"https://tgc\"\n  password = \"" + secret + "\n}\n", "",
			`   3:   password =` + strings.Repeat("*", len(secret)+2)},
		{"password then garbage", "server \"tgc\" {\n  password = \"" + secret + "\" !\n}\n", "",
			`   2:   password =` + strings.Repeat("*", len(secret)+5)},
		{"variable file", "variable \"pw\" {\n  sensitive = true\n}\n", "pw = \"" + secret + "\" \"x\"\n",
			`   1: pw =` + strings.Repeat("*", len(secret)+7)},
		{"password in a one-line block", "server \"tgc\" { password = \"" + secret + " }\n", "",
			`   1: server "tgc" { password =` + strings.Repeat("*", len(secret)+4)},
		{"default of a sensitive variable", "variable \"pw\" {\n  sensitive = true\n  default   = \"" + secret + "\n}\n", "",
			`   3:   default   =` + strings.Repeat("*", len(secret)+2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"main.hcl": {Data: []byte(tt.main)}}
			var opts config.LoadOptions
			if tt.vars != "" {
				fsys["vars.hcl"] = &fstest.MapFile{Data: []byte(tt.vars)}
				opts.VarFiles = []string{"vars.hcl"}
			}
			cfg, diags := Load(fsys, "main.hcl", opts)
			if !diags.HasErrors() {
				t.Fatal("no syntax error")
			}
			text := diagText(cfg, diags)
			if strings.Contains(text, secret) {
				t.Errorf("a diagnostic shows the secret:\n%s", text)
			}
			if !strings.Contains(text, tt.wantLine+"\n") {
				t.Errorf("rendered diagnostics lack %q:\n%s", tt.wantLine, text)
			}
		})
	}
}
