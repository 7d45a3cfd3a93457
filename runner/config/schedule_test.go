package config

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestParseScheduleRefusesNonsense: an @every interval that is not positive, shorter than
// a second or not whole seconds, and cron fields no date matches, are refused by the
// daemon's parser; sensible neighbours of each still parse.
func TestParseScheduleRefusesNonsense(t *testing.T) {
	tests := []struct {
		spec, tz string
		wantErr  string // "" = accepted
	}{
		{spec: "@every 0s", wantErr: `schedule "@every 0s": the interval 0s is not positive: @every needs at least 1s`},
		{spec: "@every -1s", wantErr: `schedule "@every -1s": the interval -1s is not positive: @every needs at least 1s`},
		{spec: "@every 200ms", wantErr: `schedule "@every 200ms": the interval 200ms is shorter than 1s, the shortest the scheduler keeps`},
		{spec: "@every 1500ms", wantErr: `schedule "@every 1500ms": the interval 1500ms is not a whole number of seconds, which the scheduler counts in`},
		{spec: "0 0 30 2 *", wantErr: `schedule "0 0 30 2 *": it never fires: no time in the next 5 years matches it`},
		{spec: "0 0 31 4,6,9,11 *", tz: "UTC", wantErr: `schedule "CRON_TZ=UTC 0 0 31 4,6,9,11 *": it never fires: no time in the next 5 years matches it`},
		{spec: "@every 1s"},
		{spec: "@every 1m30s", tz: "Europe/Berlin"},
		{spec: "0 0 29 2 *"},
		{spec: "0 0 31 * *", tz: "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec, tt.tz)
			if tt.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("ParseSchedule = %v, %v; want a schedule", s, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestValidateRefusesNonsenseSchedule: validate (Load) reports each such schedule as an
// Invalid schedule diagnostic on its attribute's line, with the reason.
func TestValidateRefusesNonsenseSchedule(t *testing.T) {
	specs := []string{"@every -1s", "@every 0s", "0 0 30 2 *", "@every 10m"}
	var src strings.Builder
	for i, s := range specs {
		fmt.Fprintf(&src, "job \"j%d\" {\n  schedule = %q\n  task \"k\" \"t\" {}\n}\n", i, s)
	}
	cfg, diags := Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src.String())}}, "jobs.hcl", LoadOptions{})
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%s: %s: %s", d.Subject, d.Summary, d.Detail))
	}
	const tail = `. Write five fields (minute hour day-of-month month day-of-week, e.g. "30 2 * * 1-5") or a descriptor such as "@daily" or "@every 6h".`
	want := []string{
		`jobs.hcl:2,14-26: Invalid schedule: The schedule "@every -1s" is not valid: the interval -1s is not positive: @every needs at least 1s` + tail,
		`jobs.hcl:6,14-25: Invalid schedule: The schedule "@every 0s" is not valid: the interval 0s is not positive: @every needs at least 1s` + tail,
		`jobs.hcl:10,14-26: Invalid schedule: The schedule "0 0 30 2 *" is not valid: it never fires: no time in the next 5 years matches it` + tail,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s\n%s", diff, diagText(cfg, diags))
	}
}
