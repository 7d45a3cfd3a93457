package daemon

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST tests need America/New_York wherever they run

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// ts parses "2006-01-02T15:04:05Z07:00".
func ts(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func fmtTimes(ts []time.Time, loc *time.Location) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.In(loc).Format("2006-01-02 15:04 MST")
	}
	return out
}

func TestParseSchedule(t *testing.T) {
	tests := []struct {
		spec, tz string
		from     string
		want     string // next fire, RFC 3339 in UTC
		wantErr  string
	}{
		{spec: "0 9 * * *", tz: "Asia/Tokyo", from: "2026-06-01T00:00:00Z", want: "2026-06-02T00:00:00Z"},
		{spec: "0 9 * * *", tz: "UTC", from: "2026-06-01T00:00:00Z", want: "2026-06-01T09:00:00Z"},
		{spec: "@daily", tz: "America/New_York", from: "2026-06-01T00:00:00Z", want: "2026-06-01T04:00:00Z"},
		{spec: "CRON_TZ=Europe/Paris 0 9 * * *", tz: "Asia/Tokyo", wantErr: `schedule "CRON_TZ=Europe/Paris 0 9 * * *": set the time zone with time_zone, not in the schedule`},
		{spec: "@every 90s", tz: "Asia/Tokyo", from: "2026-06-01T00:00:00Z", want: "2026-06-01T00:01:30Z"},
		{spec: "0 9 * *", wantErr: `schedule "0 9 * *": expected exactly 5 fields, found 4: [0 9 * *]`},
		{spec: "0 9 * * *", tz: "Mars/Olympus", wantErr: `time zone "Mars/Olympus": unknown time zone Mars/Olympus`},
		{spec: "TZ=UTC", wantErr: `schedule "TZ=UTC": set the time zone with time_zone, not in the schedule`},
		{spec: "61 * * * *", wantErr: `schedule "61 * * * *": end of range (61) above maximum (59): 61`},
		{spec: "0 0 9 * * *", wantErr: `schedule "0 0 9 * * *": expected exactly 5 fields, found 6: [0 0 9 * * *]`},
	}
	for _, tt := range tests {
		t.Run(tt.spec+"/"+tt.tz, func(t *testing.T) {
			s, err := config.ParseSchedule(tt.spec, tt.tz)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Next(ts(t, tt.from)).UTC().Format(time.RFC3339); got != tt.want {
				t.Errorf("Next = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestRobfigDST pins what robfig/cron's Next does on the America/New_York transition days
// of 2026 (spring forward 03-08 02:00 EST -> 03:00 EDT, fall back 11-01 02:00 EDT -> 01:00
// EST), which docs/daemon.md describes: the missing 02:30 is skipped, the repeated 01:30
// comes twice. nextFire keeps the skip and removes the repeat.
func TestRobfigDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	tests := []struct {
		name, spec, from string
		raw, daemon      []string // 4 successive instants from robfig's Next and from nextFire
	}{
		{
			name: "spring forward 01:30 exists", spec: "30 1 * * *", from: "2026-03-07T00:00:00-05:00",
			raw:    []string{"2026-03-07 01:30 EST", "2026-03-08 01:30 EST", "2026-03-09 01:30 EDT", "2026-03-10 01:30 EDT"},
			daemon: []string{"2026-03-07 01:30 EST", "2026-03-08 01:30 EST", "2026-03-09 01:30 EDT", "2026-03-10 01:30 EDT"},
		},
		{
			name: "spring forward 02:30 does not exist: skipped", spec: "30 2 * * *", from: "2026-03-07T00:00:00-05:00",
			raw:    []string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT", "2026-03-11 02:30 EDT"},
			daemon: []string{"2026-03-07 02:30 EST", "2026-03-09 02:30 EDT", "2026-03-10 02:30 EDT", "2026-03-11 02:30 EDT"},
		},
		{
			name: "spring forward half-hourly", spec: "*/30 * * * *", from: "2026-03-08T00:45:00-05:00",
			raw:    []string{"2026-03-08 01:00 EST", "2026-03-08 01:30 EST", "2026-03-08 03:00 EDT", "2026-03-08 03:30 EDT"},
			daemon: []string{"2026-03-08 01:00 EST", "2026-03-08 01:30 EST", "2026-03-08 03:00 EDT", "2026-03-08 03:30 EDT"},
		},
		{
			name: "fall back 01:30 repeats: once", spec: "30 1 * * *", from: "2026-10-31T00:00:00-04:00",
			raw:    []string{"2026-10-31 01:30 EDT", "2026-11-01 01:30 EDT", "2026-11-01 01:30 EST", "2026-11-02 01:30 EST"},
			daemon: []string{"2026-10-31 01:30 EDT", "2026-11-01 01:30 EDT", "2026-11-02 01:30 EST", "2026-11-03 01:30 EST"},
		},
		{
			name: "fall back 02:30 once", spec: "30 2 * * *", from: "2026-10-31T00:00:00-04:00",
			raw:    []string{"2026-10-31 02:30 EDT", "2026-11-01 02:30 EST", "2026-11-02 02:30 EST", "2026-11-03 02:30 EST"},
			daemon: []string{"2026-10-31 02:30 EDT", "2026-11-01 02:30 EST", "2026-11-02 02:30 EST", "2026-11-03 02:30 EST"},
		},
		{
			name: "fall back half-hourly: the repeated hour is not run again", spec: "*/30 * * * *", from: "2026-11-01T00:45:00-04:00",
			raw:    []string{"2026-11-01 01:00 EDT", "2026-11-01 01:30 EDT", "2026-11-01 01:00 EST", "2026-11-01 01:30 EST"},
			daemon: []string{"2026-11-01 01:00 EDT", "2026-11-01 01:30 EDT", "2026-11-01 02:00 EST", "2026-11-01 02:30 EST"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := config.ParseSchedule(tt.spec, "America/New_York")
			if err != nil {
				t.Fatal(err)
			}
			var raw, daemon []time.Time
			r, d, last := ts(t, tt.from), ts(t, tt.from), time.Time{}
			for range 4 {
				r = s.Next(r)
				raw = append(raw, r)
				d = nextFire(s, d, last)
				last = d
				daemon = append(daemon, d)
			}
			if diff := cmp.Diff(tt.raw, fmtTimes(raw, ny)); diff != "" {
				t.Errorf("robfig Next (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.daemon, fmtTimes(daemon, ny)); diff != "" {
				t.Errorf("nextFire (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNextFireEveryIgnoresWallClock(t *testing.T) {
	s, err := config.ParseSchedule("@every 1h", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	from := ts(t, "2026-11-01T01:00:00-04:00")
	got := nextFire(s, from, from)
	if want := ts(t, "2026-11-01T01:00:00-05:00"); !got.Equal(want) {
		t.Errorf("nextFire = %s, want %s (an interval is absolute time)", got, want)
	}
}

func TestMissedRun(t *testing.T) {
	const now = "2026-06-01T12:10:00Z"
	tests := []struct {
		name      string
		spec, tz  string // tz "" = UTC
		lastStart string // "" = never ran; the scheduled instant is the start's minute
		now       string // "" = now
		within    time.Duration
		want      string // "" = no catch-up
	}{
		{name: "disabled by default", spec: "0 * * * *", lastStart: "2026-06-01T09:00:00Z"},
		{name: "missed several: once, the latest", spec: "0 * * * *", lastStart: "2026-06-01T09:00:05Z", within: 6 * time.Hour, want: "2026-06-01T12:00:00Z"},
		{name: "latest missed outside the window", spec: "0 * * * *", lastStart: "2026-06-01T09:00:05Z", within: 5 * time.Minute},
		{name: "window edge is exclusive", spec: "0 * * * *", lastStart: "2026-06-01T09:00:05Z", within: 10 * time.Minute},
		{name: "just inside the window", spec: "0 * * * *", lastStart: "2026-06-01T09:00:05Z", within: 10*time.Minute + time.Second, want: "2026-06-01T12:00:00Z"},
		{name: "last instant already ran", spec: "0 * * * *", lastStart: "2026-06-01T12:00:02Z", within: 6 * time.Hour},
		{name: "never ran", spec: "0 3 * * *", within: 24 * time.Hour, want: "2026-06-01T03:00:00Z"},
		{name: "never ran, outside the window", spec: "0 3 * * *", within: time.Hour},
		// Stopped after the 01:30 EDT run, restarted at 01:40 EST: robfig's Next offers
		// 01:30 EST, a wall-clock time that already ran.
		{name: "fall back: the repeated 01:30 is not owed", spec: "30 1 * * *", tz: "America/New_York",
			lastStart: "2026-11-01T01:30:02-04:00", now: "2026-11-01T01:40:00-05:00", within: 6 * time.Hour},
		{name: "fall back: the repeated hour of a half-hourly job is not owed", spec: "*/30 * * * *", tz: "America/New_York",
			lastStart: "2026-11-01T01:30:02-04:00", now: "2026-11-01T01:40:00-05:00", within: 6 * time.Hour},
		{name: "fall back: 02:00 EST is owed", spec: "*/30 * * * *", tz: "America/New_York",
			lastStart: "2026-11-01T01:30:02-04:00", now: "2026-11-01T02:10:00-05:00", within: 6 * time.Hour,
			want: "2026-11-01T02:00:00-05:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tz := tt.tz
			if tz == "" {
				tz = "UTC"
			}
			s, err := config.ParseSchedule(tt.spec, tz)
			if err != nil {
				t.Fatal(err)
			}
			var last LastRun
			if tt.lastStart != "" {
				last.Start = ts(t, tt.lastStart)
				last.Scheduled = last.Start.Truncate(time.Minute)
			}
			at := now
			if tt.now != "" {
				at = tt.now
			}
			got, ok := missedRun(s, last, ts(t, at), tt.within)
			if tt.want == "" {
				if ok {
					t.Fatalf("missedRun = %s, want none", got)
				}
				return
			}
			if !ok || !got.Equal(ts(t, tt.want)) {
				t.Fatalf("missedRun = %s, %v; want %s", got, ok, tt.want)
			}
		})
	}
}
