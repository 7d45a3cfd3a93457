package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// writeTokenFile writes a token file (mode 0600) and returns its path and token.
func writeTokenFile(t *testing.T) (path, token string) {
	t.Helper()
	token = "test-token-0123456789abcdef"
	path = filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, token
}

func TestHostAllowed(t *testing.T) {
	local := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 9273}
	tests := []struct {
		host, listen string
		local        net.Addr
		want         bool
	}{
		{host: "localhost:9273", local: local, want: true},
		{host: "LocalHost:9273", local: local, want: true},
		{host: "127.0.0.1:9273", local: local, want: true},
		{host: "[::1]:9273", local: local, want: true},
		{host: "10.0.0.5:9273", local: local, want: true}, // the address the request came in on
		{host: "tintri-mgmt.example:9273", listen: "tintri-mgmt.example:9273", local: local, want: true},
		{host: "tintri-mgmt.example:9273", listen: "tintri-mgmt.example:0", local: local, want: true}, // the port picked
		{host: "localhost", local: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, want: true},
		{host: "[::1]", local: &net.TCPAddr{IP: net.IPv6loopback, Port: 80}, want: true},

		{host: "evil.example:9273", local: local},                              // DNS rebinding
		{host: "evil.example:9273", listen: "127.0.0.1:9273", local: local},    // the listen host is an address
		{host: "tintri-mgmt.example:9273", listen: ":9273", local: local},      // no listen host
		{host: "localhost:9274", local: local},                                 // another port
		{host: "10.0.0.6:9273", local: local},                                  // another address
		{host: "0.0.0.0:9273", listen: "0.0.0.0:9273", local: local},           // not an address of the host
		{host: "localhost", local: local},                                      // port 80 implied
		{host: "", local: local},                                               // HTTP/1.0 without Host
		{host: "localhost:9273", local: nil},                                   // not from a connection
		{host: "localhost:9273", local: &net.UnixAddr{Name: "x", Net: "unix"}}, // not TCP
	}
	for _, tt := range tests {
		if got := hostAllowed(tt.host, tt.local, tt.listen); got != tt.want {
			t.Errorf("hostAllowed(%q, %v, %q) = %v, want %v", tt.host, tt.local, tt.listen, got, tt.want)
		}
	}
}

// manualJobs is a job file whose one job runs once a year (a daemon needs a scheduled job):
// the tests trigger its runs.
const manualJobs = `
job "report" {
  schedule = "0 0 1 1 *"
  task "daemontest" "offline" { offline = 1 }
}
`

// newManualFixture starts a daemon of manualJobs with a token file, serves its handler
// over HTTP on loopback, and returns the server's URL and the token.
func newManualFixture(t *testing.T) (f *daemonFixture, url, token string) {
	t.Helper()
	tokenFile, token := writeTokenFile(t)
	f = newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), manualJobs, Options{TokenFile: tokenFile})
	srv := httptest.NewServer(f.d.Handler())
	t.Cleanup(srv.Close)
	f.start()
	return f, srv.URL, token
}

// TestDaemonHTTPGuards: every endpoint checks Host and Origin; POST /runs needs the token.
func TestDaemonHTTPGuards(t *testing.T) {
	f, url, token := newManualFixture(t)
	self := strings.TrimPrefix(url, "http://")
	_, port, _ := net.SplitHostPort(self)
	type request struct {
		name, method, path, host, origin, auth string
	}
	type answer struct {
		Code          int
		Error, Status string
		Authenticate  string
	}
	do := func(rq request) answer {
		req, err := http.NewRequest(rq.method, url+rq.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rq.host != "" {
			req.Host = rq.host
		}
		if rq.origin != "" {
			req.Header.Set("Origin", rq.origin)
		}
		if rq.auth != "" {
			req.Header.Set("Authorization", rq.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		a := answer{Code: resp.StatusCode, Authenticate: resp.Header.Get("WWW-Authenticate")}
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			a.Error, _ = m["error"].(string)
			a.Status, _ = m["status"].(string)
		}
		return a
	}
	const (
		badHost  = "the Host header does not name this daemon: use localhost, the IP address it listens on or the -listen host, with its port"
		noToken  = "manual runs need the daemon's token: send Authorization: Bearer followed by the content of its token file (-token-file, or daemon.token in the state directory)"
		crossErr = "cross-origin requests are refused"
		realm    = `Bearer realm="tintri-jobs"`
	)
	tests := []struct {
		rq   request
		want answer
	}{
		{request{name: "healthz", method: "GET", path: "/healthz", host: "localhost:" + port}, answer{Code: 200}},
		{request{name: "runs, rebinding", method: "GET", path: "/runs", host: "evil.example:" + port}, answer{Code: 421, Error: badHost}},
		{request{name: "metrics, rebinding", method: "GET", path: "/metrics", host: "evil.example:" + port}, answer{Code: 421, Error: badHost}},
		{request{name: "runs, cross-origin", method: "GET", path: "/runs", origin: "http://evil.example"}, answer{Code: 403, Error: crossErr}},
		{request{name: "runs, same origin", method: "GET", path: "/runs", origin: "http://" + self}, answer{Code: 200}},
		{request{name: "no token", method: "POST", path: "/runs?job=report"}, answer{Code: 401, Error: noToken, Authenticate: realm}},
		{request{name: "wrong token", method: "POST", path: "/runs?job=report", auth: "Bearer " + token + "x"}, answer{Code: 401, Error: noToken, Authenticate: realm}},
		{request{name: "token as basic", method: "POST", path: "/runs?job=report", auth: "Basic " + token}, answer{Code: 401, Error: noToken, Authenticate: realm}},
		{request{name: "token, cross-origin", method: "POST", path: "/runs?job=report", auth: "Bearer " + token, origin: "http://evil.example"}, answer{Code: 403, Error: crossErr}},
		{request{name: "token, null origin", method: "POST", path: "/runs?job=report", auth: "Bearer " + token, origin: "null"}, answer{Code: 403, Error: crossErr}},
		{request{name: "token, rebinding", method: "POST", path: "/runs?job=report", auth: "Bearer " + token, host: "evil.example:" + port}, answer{Code: 421, Error: badHost}},
		{request{name: "token", method: "POST", path: "/runs?job=report", auth: "bearer " + token, origin: "http://" + self}, answer{Code: 202, Status: "started"}},
	}
	for _, tt := range tests {
		if a := do(tt.rq); a != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.rq.name, a, tt.want)
		}
	}
	r := f.run(t)
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
	if r.Trigger != TriggerManual {
		t.Errorf("run = %+v", summarize(r))
	}
	none(t, f.runs, "a second run")
}

// TestTokenModeOK: a token file must be the daemon's alone, except that a file root owns
// may be readable by its group when the daemon is not root (a Kubernetes Secret volume
// with fsGroup: root:fsGroup, 0440).
func TestTokenModeOK(t *testing.T) {
	const root, daemon, other = 0, 65532, 1000
	tests := []struct {
		perm        os.FileMode
		owner, euid int
		want        bool
	}{
		{0o600, daemon, daemon, true},
		{0o400, daemon, daemon, true},
		{0o640, daemon, daemon, false},
		{0o440, root, daemon, true}, // Kubernetes Secret with fsGroup
		{0o640, root, daemon, true},
		{0o660, root, daemon, false}, // group may write it
		{0o444, root, daemon, false}, // anyone may read it
		{0o644, root, daemon, false},
		{0o640, root, root, false}, // a daemon running as root reads its own file
		{0o640, other, daemon, false},
		{0o640, -1, daemon, false},
	}
	for _, tt := range tests {
		if got := tokenModeOK(tt.perm, tt.owner, tt.euid); got != tt.want {
			t.Errorf("tokenModeOK(%04o, owner %d, euid %d) = %v, want %v", tt.perm, tt.owner, tt.euid, got, tt.want)
		}
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		mode          os.FileMode
		want, wantErr string // wantErr: "%s" stands for the path
	}{
		{name: "ok", content: " 0123456789abcdef0123\n", mode: 0o600, want: "0123456789abcdef0123"},
		{name: "owner read only", content: "0123456789abcdef", mode: 0o400, want: "0123456789abcdef"},
		{name: "group readable", content: "0123456789abcdef", mode: 0o640, wantErr: "token file %s: mode 0640 lets group or others at it; chmod 600 %s"},
		{name: "world readable", content: "0123456789abcdef", mode: 0o644, wantErr: "token file %s: mode 0644 lets group or others at it; chmod 600 %s"},
		{name: "short", content: "secret\n", mode: 0o600, wantErr: "token file %s: the token has 6 characters, want at least 16 (for example: openssl rand -hex 32)"},
		{name: "empty", content: "", mode: 0o600, wantErr: "token file %s: the token has 0 characters, want at least 16 (for example: openssl rand -hex 32)"},
		{name: "two words", content: "0123456789 abcdef0123", mode: 0o600, wantErr: "token file %s: the token holds white space or characters other than printable ASCII"},
		{name: "large", content: strings.Repeat("a", 5000), mode: 0o600, wantErr: "token file %s: larger than 4096 bytes; it should hold one token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && tt.mode&0o077 != 0 {
				t.Skip("no mode check on Windows")
			}
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			got, err := ReadTokenFile(path)
			wantErr := strings.ReplaceAll(tt.wantErr, "%s", path)
			if got != tt.want || (err == nil) != (wantErr == "") || (err != nil && err.Error() != wantErr) {
				t.Fatalf("ReadTokenFile = %q, %v; want %q, %s", got, err, tt.want, wantErr)
			}
			if err != nil && tt.content != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.content)) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(filepath.Join(dir, "ok"))
		if err != nil || fileOwner(fi) != os.Geteuid() {
			t.Errorf("fileOwner of a file of this process = %d, want %d (%v)", fileOwner(fi), os.Geteuid(), err)
		}
	}
	if _, err := ReadTokenFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadTokenFile(dir); err == nil || err.Error() != "token file "+dir+": not a regular file" {
		t.Errorf("directory: %v", err)
	}
}

// Without a token file, a daemon that serves HTTP writes a new token to the state directory
// at each start (mode 0600) and logs where, never what; a token file open to others stops it
// from starting, and releases the state directory.
func TestDaemonTokenAtStart(t *testing.T) {
	s, err := sim.Start(sim.Options{VMstores: 1, VMs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := &daemonFixture{sim: s, jobs: manualJobs}
	cfg, diags := f.load()
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir := t.TempDir()
	var tokens []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		d, err := New(cfg, Options{StateDir: dir, Listener: ln, Log: zerolog.New(&logs), Load: f.load})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- d.Run(ctx) }()
		path := filepath.Join(dir, TokenFile)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", path, fi.Mode().Perm())
		}
		token, err := ReadTokenFile(path)
		if err != nil || len(token) != 64 {
			t.Fatalf("generated token: %d characters, %v", len(token), err)
		}
		tokens = append(tokens, token)
		cancel()
		if err := recv(t, done, "daemon to stop"); err != nil {
			t.Fatal(err)
		}
		if got := logLines(t, &logs, "listening", "token_file"); len(got) != 1 || got[0] != "info token_file="+path {
			t.Errorf("listening lines = %v, want the token file's path", got)
		}
		if strings.Contains(logs.String(), token) {
			t.Errorf("the log shows the token:\n%s", logs.String())
		}
	}
	if tokens[0] == tokens[1] {
		t.Error("a restart kept the token; want a new one at each start")
	}
	if runtime.GOOS == "windows" {
		return
	}
	open, _ := writeTokenFile(t)
	if err := os.Chmod(open, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = New(cfg, Options{StateDir: dir, TokenFile: open, Load: f.load, Log: zerolog.Nop()})
	if want := "token file " + open + ": mode 0644 lets group or others at it; chmod 600 " + open; err == nil || err.Error() != want {
		t.Fatalf("New with a readable token file: %v, want %s", err, want)
	}
	d, err := New(cfg, Options{StateDir: dir, Load: f.load, Log: zerolog.Nop(), MaxWait: time.Hour})
	if err != nil {
		t.Fatalf("the refused start left the state directory locked: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := d.Run(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDaemonHTTPRunsLimit: GET /runs returns the newest 50 runs without ?limit, all retained
// ones with limit=0, and as many as asked otherwise.
func TestDaemonHTTPRunsLimit(t *testing.T) {
	dir := t.TempDir()
	h, err := OpenHistory(dir, func(string) int { return 100 })
	if err != nil {
		t.Fatal(err)
	}
	start := ts(t, "2026-05-01T00:00:00Z")
	for i := range 60 {
		at := start.Add(time.Duration(i) * time.Hour)
		if err := h.Append(plan.RunRecord{FormatVersion: plan.FormatVersion, ID: fmt.Sprintf("run-%02d", i), Job: "report",
			Trigger: TriggerSchedule, Scheduled: at, Start: at, End: at.Add(time.Second), Result: plan.ResultSuccess}); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	f := newDaemonFixture(t, sim.Options{VMstores: 1, VMs: 2, Seed: 1}, ts(t, "2026-06-01T00:10:00Z"), manualJobs, Options{StateDir: dir})
	srv := httptest.NewServer(f.d.Handler())
	defer srv.Close()
	f.start()
	for _, tt := range []struct {
		query       string
		n           int
		first, last string
	}{{"", RunsLimit, "run-59", "run-10"}, {"?limit=0", 60, "run-59", "run-00"}, {"?limit=3", 3, "run-59", "run-57"}} {
		code, body := get(t, srv.URL+"/runs"+tt.query)
		var runs []plan.RunRecord
		if err := json.Unmarshal([]byte(body), &runs); code != http.StatusOK || err != nil {
			t.Fatalf("/runs%s = %d %s (%v)", tt.query, code, body, err)
		}
		if len(runs) != tt.n || runs[0].ID != tt.first || runs[len(runs)-1].ID != tt.last {
			t.Errorf("/runs%s: %d runs from %s to %s, want %d from %s to %s", tt.query, len(runs), runs[0].ID, runs[len(runs)-1].ID, tt.n, tt.first, tt.last)
		}
	}
	if RunsLimit != 50 {
		t.Errorf("RunsLimit = %d, docs/daemon.md says 50", RunsLimit)
	}
	if err := f.stop(t); err != nil {
		t.Fatal(err)
	}
}
