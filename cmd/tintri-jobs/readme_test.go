package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// readmePath is the README whose attribute tables are generated from the kinds.
const readmePath = "../../README.md"

// kindTable matches a generated table: <!-- kind:NAME --> … <!-- /kind:NAME -->.
var kindTable = regexp.MustCompile(`(?s)<!-- kind:([a-z_]+) -->\n.*?<!-- /kind:([a-z_]+) -->`)

// blockTable matches a generated table of a configuration block's attributes:
// <!-- block:NAME --> … <!-- /block:NAME -->.
var blockTable = regexp.MustCompile(`(?s)<!-- block:([a-z_]+) -->\n.*?<!-- /block:([a-z_]+) -->`)

// blockAttributes are the blocks whose attribute tables the README holds.
var blockAttributes = map[string]func() []decode.Attr{"server": config.ServerAttributes, "fleet": config.FleetAttributes}

// renderKindTable is the README table of kind k, as `tintri-jobs kinds` describes it.
func renderKindTable(k runner.Kind) string {
	return fmt.Sprintf("<!-- kind:%s -->\n%s<!-- /kind:%s -->", k.Name, decode.Markdown(k.Attributes()), k.Name)
}

// TestReadmeKindTables checks that the README's attribute table of every task kind, and of
// the server and fleet blocks, is the one generated from the body struct; -update rewrites
// them.
func TestReadmeKindTables(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	seen := map[string]bool{}
	updated := kindTable.ReplaceAllStringFunc(readme, func(table string) string {
		m := kindTable.FindStringSubmatch(table)
		if m[1] != m[2] {
			t.Errorf("README: table of %s closed as %s", m[1], m[2])
			return table
		}
		k, ok := runner.LookupKind(m[1])
		if !ok {
			t.Errorf("README: table of %q, which is not a task kind", m[1])
			return table
		}
		seen[k.Name] = true
		return renderKindTable(k)
	})
	updated = blockTable.ReplaceAllStringFunc(updated, func(table string) string {
		m := blockTable.FindStringSubmatch(table)
		attrs, ok := blockAttributes[m[1]]
		if !ok || m[1] != m[2] {
			t.Errorf("README: table of block %q closed as %q", m[1], m[2])
			return table
		}
		seen["block "+m[1]] = true
		return fmt.Sprintf("<!-- block:%s -->\n%s<!-- /block:%s -->", m[1], decode.Markdown(attrs()), m[1])
	})
	for name := range blockAttributes {
		if !seen["block "+name] {
			t.Errorf("README has no attribute table of the %s block: add <!-- block:%s --><!-- /block:%s -->", name, name, name)
		}
	}
	for _, k := range runner.Kinds() {
		if !seen[k.Name] && !strings.HasPrefix(k.Name, "test") {
			t.Errorf("README has no attribute table of the task kind %s: add <!-- kind:%s --><!-- /kind:%s --> to its section and run go test -update", k.Name, k.Name, k.Name)
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
	t.Errorf("README's attribute tables differ from the kinds' declarations: run go test ./cmd/tintri-jobs -update")
}
