package daemon

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestDaemonReloadRefusesBadInput: a reload (SIGHUP) of a job file the loader must refuse
// — 100,000 nested parentheses, which overflowed the stack and killed the daemon, or a
// schedule that makes no sense — fails with the diagnostic logged at its position, and
// the daemon keeps running on the configuration in use: its schedule still fires.
func TestDaemonReloadRefusesBadInput(t *testing.T) {
	deep := strings.Repeat("(", 100_000) + "1" + strings.Repeat(")", 100_000)
	tests := []struct {
		name, jobs string
		at         string // text on the line the diagnostic is at
		summary    string
	}{
		{"deep nesting", driftJobs + "variable \"deep\" {\n  default = " + deep + "\n}\n", "default = ((", "Nesting too deep"},
		{"@every 0s", strings.Replace(driftJobs, `"0 * * * *"`, `"@every 0s"`, 1), `"@every 0s"`, "Invalid schedule"},
		{"@every -1s", strings.Replace(driftJobs, `"0 * * * *"`, `"@every -1s"`, 1), `"@every -1s"`, "Invalid schedule"},
		{"February 30", strings.Replace(driftJobs, `"0 * * * *"`, `"0 0 30 2 *"`, 1), `"0 0 30 2 *"`, "Invalid schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), driftJobs, Options{})
			var logs syncBuffer
			f.d.opts.Log = zerolog.New(&logs)
			f.start()
			f.clk.waitTimers(t, 1)
			old := f.d.Config()
			f.setJobs(tt.jobs)
			src := f.source()
			line := strings.Count(src[:strings.Index(src, tt.at)], "\n") + 1
			if err := f.d.Reload(); err == nil || !strings.Contains(err.Error(), tt.summary) {
				t.Fatalf("Reload = %v, want the %s error", err, tt.summary)
			}
			// The schedule in use still fires (00:30, the drift job).
			f.clk.next(t)
			r := f.run(t)
			if err := f.stop(t); err != nil {
				t.Fatal(err)
			}
			if f.d.Config() != old || r.Job != "drift" || !r.Scheduled.Equal(ts(t, "2026-06-01T00:30:00Z")) {
				t.Errorf("after the failed reload: config replaced %v, run %+v", f.d.Config() != old, summarize(r))
			}
			want := fmt.Sprintf("error jobs.hcl:%d %s", line, tt.summary)
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("log line %.200q: %v", l, err)
				}
				if at, ok := m["at"].(string); ok {
					at, _, _ = strings.Cut(at, ",")
					got = append(got, fmt.Sprintf("%s %s %s", m["level"], at, m["message"]))
				}
			}
			if len(got) != 1 || got[0] != want {
				t.Errorf("diagnostics logged: %q, want [%q]", got, want)
			}
		})
	}
}
