package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// TestDaemonE2ECannotStart: the daemon exits 1, saying why, when it cannot start: an
// invalid configuration, no job with a schedule, a state directory another daemon holds,
// an address in use.
func TestDaemonE2ECannotStart(t *testing.T) {
	s, err := sim.Start(sim.Options{VMstores: 1, VMs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	jobs := filepath.Join(dir, "jobs.hcl")
	writeDaemonJobs(t, jobs, s, "@every 1h", "10.9.9.9")
	src, err := os.ReadFile(jobs)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, data string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	invalid := write("invalid.hcl", strings.Replace(string(src), "fleet.all\n", "fleet.nope\n", 1))
	unscheduled := write("unscheduled.hcl", strings.Replace(string(src), "  schedule = \"@every 1h\"\n", "", 1))
	env := append(os.Environ(), "TINTRI_JOBS_VAR_password="+s.Password())

	held := filepath.Join(dir, "held")
	first := startDaemonProc(t, binPath, env, "daemon", "-log-format", "json", "-config", jobs, "-state-dir", held, "-listen", "")
	first.waitLog(t, 0, "daemon started", nil)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()

	for _, tt := range []struct {
		name, config, stateDir, listen, want string
	}{
		{"invalid configuration", invalid, "s1", "", "Reference to undeclared fleet"},
		{"no scheduled job", unscheduled, "s2", "", "no job has a schedule"},
		{"state directory locked", jobs, held, "", "is locked by another daemon (pid "},
		{"address in use", jobs, "s3", busy.Addr().String(), "-listen: listen tcp " + busy.Addr().String() + ": bind: address already in use"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			state := tt.stateDir
			if !filepath.IsAbs(state) {
				state = filepath.Join(dir, state)
			}
			cmd := exec.Command(binPath, "daemon", "-config", tt.config, "-state-dir", state, "-listen", tt.listen)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(string(out), tt.want) {
				t.Errorf("daemon: %v\n%s\nwant exit 1 and %q", err, out, tt.want)
			}
		})
	}
}
