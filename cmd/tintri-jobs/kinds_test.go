package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// TestKindsCommand: `kinds -json` lists every registered kind as the documented "kinds"
// document; `kinds KIND` prints that kind's attributes; an unknown kind gets the closest.
func TestKindsCommand(t *testing.T) {
	stdout, stderr, code := runInProcess(t, nil, "", false, "kinds", "-json")
	if code != 0 {
		t.Fatalf("kinds -json: exit %d\n%s", code, stderr)
	}
	schematest.Validate(t, schematest.Kinds, []byte(stdout))
	var list plan.KindList
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Kinds) != len(runner.Kinds()) || len(list.TaskAttributes) == 0 {
		t.Errorf("kinds -json lists %d kinds and %d common attributes, want %d and some", len(list.Kinds),
			len(list.TaskAttributes), len(runner.Kinds()))
	}
	stdout, _, code = runInProcess(t, nil, "", false, "kinds", "appliance_dns")
	for _, want := range []string{"appliance_dns — ", "  primary ", "  fleet ", "Every task also takes:", "  max_changes "} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("kinds appliance_dns (exit %d) lacks %q:\n%s", code, want, stdout)
		}
	}
	if strings.Contains(stdout, "vm_affinity") {
		t.Errorf("kinds appliance_dns lists other kinds:\n%s", stdout)
	}
	_, stderr, code = runInProcess(t, nil, "", false, "kinds", "vm_afinity")
	if code != 1 || !strings.Contains(stderr, `no task kind "vm_afinity" (did you mean "vm_affinity"?)`) {
		t.Errorf("kinds vm_afinity: exit %d\n%s", code, stderr)
	}
}
