package tasks

import (
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// TestKindsDocumentEveryAttribute: `tintri-jobs kinds` and the README's attribute tables
// show each kind's body struct, so every kind and every attribute (nested blocks' too)
// must say what it is for, in a sentence.
func TestKindsDocumentEveryAttribute(t *testing.T) {
	var check func(kind, prefix string, attrs []decode.Attr)
	check = func(kind, prefix string, attrs []decode.Attr) {
		for _, a := range attrs {
			if d := a.Description; d == "" || !strings.HasSuffix(d, ".") {
				t.Errorf("%s: attribute %s%s: description %q is not a sentence", kind, prefix, a.Name, d)
			}
			check(kind, prefix+a.Name+".", a.Block)
		}
	}
	kinds := runner.Kinds()
	if len(kinds) != 8 {
		t.Errorf("%d kinds registered, want 8: %v", len(kinds), runner.KindNames())
	}
	for _, k := range kinds {
		if k.Doc == "" {
			t.Errorf("%s: no doc", k.Name)
		}
		check(k.Name, "", k.Attributes())
	}
}
