package tasks

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClosestNames(t *testing.T) {
	names := []string{"VDI", "Web Tier", "SQL Production", "Empty Group", "vdi-pool", "VDI"}
	cases := []struct {
		given string
		want  []string
	}{
		{"vdi", []string{"VDI", "vdi-pool"}},     // case-insensitive; duplicates once; containment qualifies
		{"web tier", []string{"Web Tier"}},       // exact but for case
		{"SQL Prod", []string{"SQL Production"}}, // contained
		{"Oracle", []string{}},                   // nothing close
		{"Emty Grup", []string{"Empty Group"}},   // two edits
		{"x", []string{"VDI"}},                   // short names allow 3 edits
	}
	for _, c := range cases {
		if got := closestNames(c.given, names); !cmp.Equal(c.want, got) {
			t.Errorf("closestNames(%q) = %q, want %q", c.given, got, c.want)
		}
	}
	if got := didYouMean("Oracle", names); got != "" {
		t.Errorf("didYouMean with no close name = %q", got)
	}
	if got, want := didYouMean("vdi", names), ` (did you mean "VDI", "vdi-pool"?)`; got != want {
		t.Errorf("didYouMean = %q, want %q", got, want)
	}
}

func TestNameSelector(t *testing.T) {
	sel := nameSelector{
		Contains: "VDI",
		Regex:    regexp.MustCompile(`^sql-prod-0[12]$`),
		Glob:     "web-00?",
		Names:    map[string]bool{"exch-01": true},
		Exclude:  []string{"vdi-0002", "web-00[5-9]", "[bad"},
	}
	all := []string{"vdi-0001", "vdi-0002", "MY-vdi", "sql-prod-01", "sql-prod-03", "web-001", "web-005", "web-010", "exch-01", "exch-02", "[bad"}
	var got []string
	for _, n := range all {
		if sel.included(n) && !sel.excluded(n) {
			got = append(got, n)
		}
	}
	want := []string{"vdi-0001", "MY-vdi", "sql-prod-01", "web-001", "exch-01"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("selected (-want +got):\n%s", diff)
	}
}
