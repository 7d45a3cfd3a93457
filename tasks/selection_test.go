package tasks

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
