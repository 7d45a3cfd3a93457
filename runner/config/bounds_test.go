package config

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// deep is how far the refused inputs nest: what crashed validate and the daemon.
const deep = 100_000

// diagSummaries renders diagnostics as "FILE:LINE,COLUMN: Summary".
func diagSummaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		at := "-"
		if d.Subject != nil {
			at = fmt.Sprintf("%s:%d,%d", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column)
		}
		out = append(out, at+": "+d.Summary)
	}
	return out
}

// TestLoadRefusesDeepNesting loads job files whose expressions nest deeply in every way
// the HCL parser or evaluator recurses (100,000 parentheses, the reported crash; a
// thousand levels of the rest, to keep the test quick): each is refused with one
// diagnostic at the token that went past the limit, instead of a stack overflow that kills
// the process.
func TestLoadRefusesDeepNesting(t *testing.T) {
	n, m := 1000, 1000
	tests := []struct {
		name, src string
		wantAt    string // line,column of the token past the limit
	}{
		{"parentheses", "x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + "\n", "1,105"},
		{"brackets", "\n\nx = " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n", "3,105"},
		{"blocks", strings.Repeat("a {\n", n) + strings.Repeat("}\n", n), "101,3"},
		{"unary minus", "x = " + strings.Repeat("-", n) + "1\n", "1,105"},
		{"negations", "x = " + strings.Repeat("!", n) + "true\n", "1,105"},
		{"operator chain", "x = 1" + strings.Repeat(" + 1", n) + "\n", "1,407"},
		{"conditionals", "x = " + strings.Repeat("true ? 1 : ", m) + "1\n", "1,1110"},
		{"index chain", "x = [1]" + strings.Repeat("[0]", n) + "\n", "1,305"},
		{"interpolations", "x = " + strings.Repeat(`"${`, n) + strings.Repeat(`}"`, n) + "\n", "1,155"},
		{"template directives", "x = \"" + strings.Repeat("%{ if true }", m/2) + strings.Repeat("%{ endif }", m/2) + "\"\n", "1,1182"},
		{"heredocs", "x = " + strings.Repeat("<<EOT\n${", m) + "1" + strings.Repeat("}\nEOT\n", m), "51,3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(tt.src)}}, "jobs.hcl", LoadOptions{})
			want := []string{"jobs.hcl:" + tt.wantAt + ": Nesting too deep"}
			if diff := cmp.Diff(want, diagSummaries(diags)); diff != "" {
				t.Fatalf("diagnostics (-want +got):\n%s", diff)
			}
			if _, ok := cfg.Sources["jobs.hcl"]; ok || len(cfg.Files) != 1 {
				t.Errorf("a refused file is not a source for snippets: Sources has it %v, Files %q", ok, cfg.Files)
			}
			var buf bytes.Buffer
			if err := WriteDiagnostics(&buf, cfg.Sources, diags, false); err != nil {
				t.Fatal(err)
			}
			want0 := "Error: Nesting too deep\n\n  on jobs.hcl line " + strings.Split(tt.wantAt, ",")[0] + ":\n  (source code not available)\n\n" +
				"The job file jobs.hcl nests brackets, strings, template interpolations and operators more than 100 levels deep here; " +
				"it is refused before parsing. Write the expression in simpler parts.\n\n"
			if buf.String() != want0 {
				t.Errorf("printed:\n%s\nwant:\n%s", buf.String(), want0)
			}
		})
	}
}

// TestLoadAcceptsNestingWithinBounds: what a person writes, and 90 levels of parentheses,
// are not refused.
func TestLoadAcceptsNestingWithinBounds(t *testing.T) {
	src := `variable "v" {
  default = ` + strings.Repeat("(", 90) + "1" + strings.Repeat(")", 90) + `
}
job "j" {
  schedule = "@every ${1 + 2 * 3 - (4 % 5) > 0 && !false ? 1 : 2}h"
  task "k" "t" {
    list = [for s in split(",", "a,b") : upper(s) if s != "" && length(s) < 5]
    text = <<-EOT
      %{ for x in ["a", "b"] }%{ if x == "a" }${x}-${upper("${x}!")}%{ endif }%{ endfor }
    EOT
  }
}
`
	cfg, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", LoadOptions{})
	if len(diags) != 0 {
		t.Errorf("diagnostics:\n%s", diagText(cfg, diags))
	}
}

// TestVariablesRefuseDeepNesting: a -var value, a TINTRI_JOBS_VAR_ value and a variable
// file are bounded like a job file.
func TestVariablesRefuseDeepNesting(t *testing.T) {
	deepList := strings.Repeat("[", 1000) + strings.Repeat("]", 1000)
	src := "variable \"v\" {\n  type = list(any)\n}\n"
	tests := []struct {
		name string
		opts LoadOptions
		want []string
	}{
		{"-var", LoadOptions{Vars: map[string]string{"v": deepList}}, []string{"<value for var.v>:1,101: Nesting too deep"}},
		{"environment", LoadOptions{Env: []string{EnvVarPrefix + "v=" + deepList}}, []string{"<value for var.v>:1,101: Nesting too deep"}},
		{"variable file", LoadOptions{VarFiles: []string{"v.hcl"}}, []string{"jobs.hcl:1,1: No value for required variable", "v.hcl:1,105: Nesting too deep"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"jobs.hcl": {Data: []byte(src)}, "v.hcl": {Data: []byte("v = " + deepList + "\n")}}
			_, diags := Load(fsys, "jobs.hcl", tt.opts)
			if diff := cmp.Diff(tt.want, diagSummaries(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInputTooLarge: a job file, a variable file and a -var value over 1 MiB are refused
// without being parsed; a data file a job reads over 64 MiB is refused with an error.
func TestInputTooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", maxSourceSize) + "\n"
	fsys := fstest.MapFS{
		"jobs.hcl":   {Data: []byte(big)},
		"small.hcl":  {Data: []byte("variable \"v\" {\n  type = number\n}\n")},
		"v.hcl":      {Data: []byte(big)},
		"data.csv":   {Data: bytes.Repeat([]byte("a"), maxDataFileSize+1)},
		"almost.csv": {Data: bytes.Repeat([]byte("a"), maxDataFileSize)},
	}
	_, diags := Load(fsys, "jobs.hcl", LoadOptions{})
	if diff := cmp.Diff([]string{"jobs.hcl:1,1: Input too large"}, diagSummaries(diags)); diff != "" {
		t.Errorf("job file: (-want +got):\n%s", diff)
	}
	if want := "The job file jobs.hcl is larger than 1 MiB, the limit for what the HCL parser reads: split it, " +
		"or move long lists into a urls_file or CSV file."; len(diags) == 1 && diags[0].Detail != want {
		t.Errorf("detail %q, want %q", diags[0].Detail, want)
	}
	_, diags = Load(fsys, "small.hcl", LoadOptions{VarFiles: []string{"v.hcl"}, Vars: map[string]string{"v": big}})
	want := []string{"<value for var.v>:1,1: Input too large", "v.hcl:1,1: Input too large"}
	if diff := cmp.Diff(want, diagSummaries(diags)); diff != "" {
		t.Errorf("variables: (-want +got):\n%s", diff)
	}

	cfg, diags := Load(fsys, "small.hcl", LoadOptions{Vars: map[string]string{"v": "1"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if _, _, err := cfg.ReadFile("data.csv"); err == nil || err.Error() != "read data.csv: the file is larger than 64 MiB, the limit for a file a job reads" {
		t.Errorf("ReadFile of a file over the limit: %v", err)
	}
	if _, b, err := cfg.ReadFile("almost.csv"); err != nil || len(b) != maxDataFileSize {
		t.Errorf("ReadFile of a file at the limit: %d bytes, %v", len(b), err)
	}
}

// TestJSONDecodeRefusesDeepNesting: jsondecode of a document nested beyond the limit (in
// a file, which may be 64 MiB) is an error on the call, not a stack overflow.
func TestJSONDecodeRefusesDeepNesting(t *testing.T) {
	src := "job \"j\" {\n  schedule = jsondecode(file(\"deep.json\"))\n  task \"k\" \"t\" {}\n}\n"
	doc := `{"a": "[[[[\"", "b": ` + strings.Repeat("[", 101) + strings.Repeat("]", 101) + "}"
	fsys := fstest.MapFS{"jobs.hcl": {Data: []byte(src)}, "deep.json": {Data: []byte(doc)}}
	_, diags := Load(fsys, "jobs.hcl", LoadOptions{})
	var got []string
	for _, d := range diags {
		got = append(got, d.Summary+": "+d.Detail)
	}
	want := []string{`Invalid function argument: Invalid value for "str" parameter: the JSON document nests arrays and objects more than 100 levels deep.`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
	if !jsonTooDeep(strings.Repeat(`["\"[",`, 101)) || jsonTooDeep(`["\\\"`+strings.Repeat("[", 200)+`"]`) {
		t.Error("jsonTooDeep misreads escapes in strings")
	}
}

// TestFormatRefusesDeepNesting: fmt and the snippets of diagnostics do not parse what the
// loader would refuse.
func TestFormatRefusesDeepNesting(t *testing.T) {
	src := []byte("x = " + strings.Repeat("(", deep) + "1" + strings.Repeat(")", deep) + "\n")
	if _, diags := Format("deep.hcl", src); len(diags) != 1 || diags[0].Summary != "Nesting too deep" {
		t.Errorf("Format: %v", diags)
	}
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Something", Subject: &hcl.Range{Filename: "deep.hcl",
		Start: hcl.Pos{Line: 1, Column: 1}, End: hcl.Pos{Line: 1, Column: 2, Byte: 1}}}
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, map[string][]byte{"deep.hcl": src}, hcl.Diagnostics{d}, false); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "Error: Something\n\n  on deep.hcl line 1:\n   1: x = ((((") {
		t.Errorf("printed %.200q", buf.String())
	}
}

// TestTooDeepReadsTextAsText: brackets and operators in strings, comments and heredocs do
// not count, nor after an escaped quote or a $${ escape; in template sequences they do,
// and an unterminated string ends at its line.
func TestTooDeepReadsTextAsText(t *testing.T) {
	p, lines := strings.Repeat("(", 200), strings.Repeat("a = 1 + 2 - 3\n", 1000)
	tests := []struct {
		name, src string
		want      int // offset of the refusal, -1 for none
	}{
		{"string", `x = "` + p + `"`, -1},
		{"escaped quote", `x = "\"` + p + `"`, -1},
		{"escaped interpolation", `x = "$${` + p + `"`, -1},
		{"escaped directive", `x = "%%{` + p + `"`, -1},
		{"hash comment", "# " + p + "\nx = 1\n", -1},
		{"slash comment", "// " + p + "\nx = 1\n", -1},
		{"block comment", "/* " + p + "\n" + p + " */\nx = 1\n", -1},
		{"heredoc", "x = <<-EOT\n  " + p + "\n  EOT\ny = 1\n", -1},
		{"operators on many lines", lines, -1},
		{"operators in many items", "x = [" + strings.Repeat("a + b, ", 1000) + "]\n", -1},
		{"interpolation", `x = "${` + p + `}"`, 105},
		{"interpolation in a heredoc", "x = <<EOT\n${" + p + "}\nEOT\n", 110},
		{"after an unterminated string", "x = \"abc\ny = " + p, 113},
		{"operators in one item", "x = [" + strings.Repeat("a + b + ", 60) + "c]\n", 403},
	}
	for _, tt := range tests {
		if got := tooDeep([]byte(tt.src), false); got != tt.want {
			t.Errorf("%s: tooDeep = %d, want %d", tt.name, got, tt.want)
		}
	}
}

// BenchmarkCheckSource measures the bound on 1 MiB: a flat file it accepts, and 1 MiB of
// parentheses, which it refuses at the 101st.
func BenchmarkCheckSource(b *testing.B) {
	for name, src := range map[string]string{
		"flat":        strings.Repeat("a = \"b\" # (c)\n", maxSourceSize/15),
		"parentheses": strings.Repeat("(", maxSourceSize),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if refused := checkSource("jobs.hcl", "The job file jobs.hcl", []byte(src), false) != nil; refused != (name == "parentheses") {
					b.Fatalf("refused %v", refused)
				}
			}
		})
	}
}
