package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

// readmePath is the README whose attribute tables are generated from the kinds.
const readmePath = "../../README.md"

// generatedTable matches a generated table: <!-- kind:NAME --> … <!-- /kind:NAME -->, or
// the same with block: for the server, fleet and job blocks.
var generatedTable = regexp.MustCompile(`(?s)<!-- (kind|block):([a-z_]+) -->\n.*?<!-- /(kind|block):([a-z_]+) -->`)

// blockAttributes documents the job-file blocks whose tables the README holds.
var blockAttributes = map[string]func() []decode.Attr{
	"server": config.ServerAttributes,
	"fleet":  config.FleetAttributes,
	"job":    config.JobAttributes,
}

// renderTable is the README table of the task kind or block name, as `tintri-jobs kinds`
// describes kinds and the config package its blocks; false when there is no such thing.
func renderTable(what, name string) (string, bool) {
	var attrs []decode.Attr
	if what == "kind" {
		k, ok := runner.LookupKind(name)
		if !ok {
			return "", false
		}
		attrs = k.Attributes()
	} else {
		describe, ok := blockAttributes[name]
		if !ok {
			return "", false
		}
		attrs = describe()
	}
	return fmt.Sprintf("<!-- %s:%s -->\n%s<!-- /%s:%s -->", what, name, decode.Markdown(attrs), what, name), true
}

// TestReadmeKindTables checks that the README's attribute table of every task kind, and
// of the server, fleet and job blocks, is the one generated from its body struct;
// -update rewrites them.
func TestReadmeKindTables(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	seen := map[string]bool{}
	updated := generatedTable.ReplaceAllStringFunc(readme, func(table string) string {
		m := generatedTable.FindStringSubmatch(table)
		if m[1] != m[3] || m[2] != m[4] {
			t.Errorf("README: table of %s:%s closed as %s:%s", m[1], m[2], m[3], m[4])
			return table
		}
		out, ok := renderTable(m[1], m[2])
		if !ok {
			t.Errorf("README: table of %s %q, which does not exist", m[1], m[2])
			return table
		}
		seen[m[1]+":"+m[2]] = true
		return out
	})
	for _, k := range runner.Kinds() {
		if !seen["kind:"+k.Name] && !strings.HasPrefix(k.Name, "test") {
			t.Errorf("README has no attribute table of the task kind %s: add <!-- kind:%s --><!-- /kind:%s --> to its section and run go test -update", k.Name, k.Name, k.Name)
		}
	}
	for name := range blockAttributes {
		if !seen["block:"+name] {
			t.Errorf("README has no attribute table of the %s block: add <!-- block:%s --><!-- /block:%s --> and run go test -update", name, name, name)
		}
	}
	if updated == readme {
		return
	}
	if *update {
		if err := os.WriteFile(readmePath, []byte(updated), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README's attribute tables differ from the declarations: run go test ./cmd/tintri-jobs -update")
}

// readmeHCL matches the README's HCL examples.
var readmeHCL = regexp.MustCompile("(?s)```hcl\n(.*?)```")

// commentedCode matches a line commented out in an HCL example: "# name = …" or
// "# name {…".
var commentedCode = regexp.MustCompile(`^\s*# ([a-z_]+\s*(=|\{).*)$`)

// TestReadmeHCLExamples validates every HCL example of the README as one configuration:
// the first example, a whole job file, gives the server and fleet blocks the others refer
// to, and each task example is wrapped in a job of its own. The files they read are the
// examples/ ones. Every line commented out in an example (an alternative attribute or
// block) must be valid HCL once uncommented.
func TestReadmeHCLExamples(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeHCL.FindAllStringSubmatch(string(b), -1)
	if len(blocks) < 2 || !strings.HasPrefix(blocks[0][1], "variable ") {
		t.Fatalf("want the README's first HCL example to be a whole job file, and task examples after it: %d examples", len(blocks))
	}
	var src strings.Builder
	src.WriteString(blocks[0][1])
	for i, m := range blocks[1:] {
		if !strings.HasPrefix(m[1], "task ") {
			t.Errorf("README HCL example %d is neither a whole job file nor a task:\n%s", i+2, m[1])
			continue
		}
		fmt.Fprintf(&src, "\njob \"example-%d\" {\n%s}\n", i+2, m[1])
	}
	fsys := fstest.MapFS{"readme.hcl": {Data: []byte(src.String())}, "tintri-ca.pem": {Data: testCAPEM(t)}}
	for _, f := range []string{"vdi-vms.csv", "data-ips.csv", "report-fields.csv"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", f))
		if err != nil {
			t.Fatal(err)
		}
		fsys[f] = &fstest.MapFile{Data: data}
	}
	env := []string{"TINTRI_TGC_URL=https://tgc.example", "TINTRI_USERNAME=admin", "TINTRI_PASSWORD=pw"}
	cfg, diags := engine.Load(fsys, "readme.hcl", config.LoadOptions{Env: env})
	if len(diags) > 0 {
		var out strings.Builder
		if err := config.WriteDiagnostics(&out, cfg.Sources, diags, false); err != nil {
			t.Fatal(err)
		}
		t.Errorf("the README's HCL examples do not validate:\n%s", out.String())
	}
	for i, m := range blocks {
		for _, snippet := range commentedSnippets(m[1]) {
			if _, d := hclsyntax.ParseConfig([]byte(snippet), "commented.hcl", hcl.InitialPos); d.HasErrors() {
				t.Errorf("README HCL example %d: the commented-out %q is not valid HCL: %v", i+1, snippet, d)
			}
		}
	}
}

// commentedSnippets returns the code commented out in an HCL example, uncommented: each
// commented attribute line, and each commented block from "# name {" to "# }".
func commentedSnippets(example string) []string {
	var out []string
	var block []string
	for _, line := range strings.Split(example, "\n") {
		code, commented := strings.CutPrefix(strings.TrimSpace(line), "# ")
		switch {
		case block != nil && commented:
			block = append(block, code)
			if strings.TrimSpace(code) == "}" {
				out, block = append(out, strings.Join(block, "\n")+"\n"), nil
			}
		case block != nil:
			out, block = append(out, strings.Join(block, "\n")+"\n"), nil // never closed
		case commentedCode.MatchString(line) && strings.HasSuffix(strings.TrimSpace(code), "{"):
			block = []string{code}
		case commentedCode.MatchString(line):
			out = append(out, code+"\n")
		}
	}
	return out
}

// testCAPEM returns a self-signed CA certificate in PEM form.
func testCAPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "readme CA"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// readmeRow matches a row of a README table whose first cell starts with code: the code's
// first word, and the row.
var readmeRow = regexp.MustCompile("(?m)^\\| `([a-z_-]+)[^\\n]*$")

// TestReadmeCommandFlags checks that the README documents every command and every flag:
// each command's flags (but the global ones, documented once) in its rows of the commands
// table, sim's in the simulator's flags table.
func TestReadmeCommandFlags(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	section := func(title string) string {
		_, rest, ok := strings.Cut(readme, "\n## "+title+"\n")
		if !ok {
			t.Fatalf("README has no section %q", title)
		}
		body, _, _ := strings.Cut(rest, "\n## ")
		return body
	}
	rows := map[string]string{}
	for _, m := range readmeRow.FindAllStringSubmatch(section("Commands and exit codes"), -1) {
		rows[m[1]] += m[0] + "\n"
	}
	for _, m := range readmeRow.FindAllStringSubmatch(section("The simulator"), -1) {
		if strings.HasPrefix(m[1], "-") {
			rows["sim"] += m[0] + "\n"
		}
	}
	for _, name := range commandNames() {
		if rows[name] == "" {
			t.Errorf("README: no row for the command %s in the commands table", name)
			continue
		}
		listed := flagTokens(rows[name])
		for _, f := range commandFlagNames(t, name) {
			if !listed[f] {
				t.Errorf("README: the %s command's row lacks -%s:\n%s", name, f, rows[name])
			}
		}
	}
	for f := range globalFlags {
		if !strings.Contains(readme, "`-"+f) {
			t.Errorf("README does not document the global flag -%s", f)
		}
	}
}

// TestReadmeLayout checks that the README's layout paragraph names every Go package
// directory of the repository, and docs/architecture.md mentions each.
func TestReadmeLayout(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(b), "\nLayout (")
	if !ok {
		t.Fatal("README has no Layout paragraph")
	}
	layout, _, _ = strings.Cut(layout, "\n\n")
	arch, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join("..", "..")
	dirs := map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "bin") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 10 {
		t.Fatalf("found only the package directories %v", dirs)
	}
	for dir := range dirs {
		if !strings.Contains(layout, "`"+dir+"`") {
			t.Errorf("the README's layout paragraph does not name the package directory %s", dir)
		}
		if !strings.Contains(string(arch), dir) {
			t.Errorf("docs/architecture.md does not mention the package directory %s", dir)
		}
	}
}
