package runner_test

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden lists, for each package of the module (relative import path), the packages it
// must not import, directly or not: the package graph of docs/architecture.md.
var forbidden = map[string][]string{
	"runner/decode":   {"tintri", "runner", "runner/config", "runner/plan", "runner/engine", "runner/daemon", "tasks"},
	"runner/plan":     {"runner", "runner/config", "runner/engine", "runner/daemon", "tasks"},
	"runner/config":   {"runner", "runner/plan", "runner/engine", "runner/daemon", "tasks"},
	"runner":          {"runner/engine", "runner/daemon", "tasks"},
	"runner/engine":   {"runner/daemon", "tasks", "tintri/sim"},
	"runner/daemon":   {"tasks", "tintri/sim", "internal/slackfake"},
	"runner/chatops":  {"runner/daemon", "tasks", "tintri/sim", "internal/slackfake"},
	"runner/notify":   {"runner", "runner/engine", "runner/daemon", "runner/chatops", "tasks", "tintri/sim", "internal/slackfake"},
	"runner/show":     {"runner/engine", "runner/daemon", "runner/chatops", "runner/notify", "tasks", "tintri/sim"},
	"runner/statedir": {"runner", "runner/engine", "runner/daemon", "tasks"},
	"tasks":           {"runner/engine", "runner/daemon", "tintri/sim"},
	"tintri":          {"runner", "runner/config", "runner/plan", "runner/engine", "runner/daemon", "tasks", "tintri/sim"},
	"tintri/sim":      {"runner", "runner/config", "runner/plan", "runner/engine", "runner/daemon", "tasks"},
}

// TestPackageGraph checks the non-test imports of every package against forbidden, with
// `go list -deps`, so an indirect import breaks the rule too.
func TestPackageGraph(t *testing.T) {
	const module = "github.com/tintri-jobs/tintri-jobs/"
	for pkg, banned := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := map[string]bool{}
		for _, d := range strings.Fields(string(out)) {
			deps[strings.TrimPrefix(d, module)] = true
		}
		for _, b := range banned {
			if deps[b] {
				t.Errorf("%s imports %s (directly or not); see docs/architecture.md", pkg, b)
			}
		}
	}
}
