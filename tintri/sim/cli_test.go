package sim_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// notifyWriter collects output and closes ready on the first write (RunCLI writes its
// ready banner in one write).
type notifyWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	ready chan struct{}
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.ready) })
	return w.buf.Write(p)
}

func (w *notifyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// parseEnv reads `export K='v'` lines.
func parseEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read env file: %v", err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			t.Fatalf("bad env line %q", line)
		}
		env[k] = strings.Trim(v, "'")
	}
	return env
}

// runCLI starts RunCLI with args and waits until it is ready (its first output line). The
// returned stop cancels it and returns RunCLI's result.
func runCLI(t *testing.T, args ...string) (out *notifyWriter, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &notifyWriter{ready: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- sim.RunCLI(ctx, args, out) }()
	select {
	case <-out.ready:
	case err := <-done:
		cancel()
		t.Fatalf("RunCLI returned early: %v; output %s", err, out.String())
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			err = <-done
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

func TestRunCLI(t *testing.T) {
	t.Setenv(sim.PasswordEnv, "from-env-pw")
	dir := t.TempDir()
	envFile := filepath.Join(dir, "sim.env")
	out, stop := runCLI(t, "-vmstores", "2", "-vms", "12", "-seed", "3", "-env-file", envFile, "-dir", dir)
	env := parseEnv(t, envFile)
	if env["TINTRI_PASSWORD"] != "from-env-pw" || env["TINTRI_USERNAME"] != "admin" || env["TINTRI_CA_FILE"] != filepath.Join(dir, "ca.pem") {
		t.Errorf("env = %v", env)
	}
	if urls := strings.Fields(env["TINTRI_VMSTORE_URLS"]); len(urls) != 2 {
		t.Errorf("TINTRI_VMSTORE_URLS = %q, want 2 URLs", env["TINTRI_VMSTORE_URLS"])
	}
	if strings.Contains(out.String(), "from-env-pw") {
		t.Errorf("stderr shows the password: %s", out.String())
	}
	if !strings.Contains(out.String(), env["TINTRI_TGC_URL"]) {
		t.Errorf("stderr lacks the TGC URL: %s", out.String())
	}
	if err := stop(); err != nil {
		t.Errorf("RunCLI: %v", err)
	}
}

// TestRelativeDir: a relative -dir (Options.Dir) yields an absolute CA path, in CAFile and
// in the env file's TINTRI_CA_FILE, so that sourcing the env file works from any directory.
func TestRelativeDir(t *testing.T) {
	base := t.TempDir()
	t.Chdir(base)
	wantCA := func(rel string) string {
		t.Helper()
		abs, err := filepath.Abs(filepath.Join(rel, "ca.pem"))
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}

	s := start(t, sim.Options{Dir: filepath.Join("state", "start")})
	if got, want := s.CAFile(), wantCA(filepath.Join("state", "start")); got != want || !filepath.IsAbs(got) {
		t.Errorf("Start: CAFile() = %q, want %q", got, want)
	}
	if err := s.WriteEnvFile("start.env"); err != nil {
		t.Fatal(err)
	}
	if got := parseEnv(t, "start.env")["TINTRI_CA_FILE"]; got != s.CAFile() {
		t.Errorf("Start: env file TINTRI_CA_FILE = %q, want %q", got, s.CAFile())
	}

	_, stop := runCLI(t, "-vmstores", "1", "-vms", "3", "-dir", "cli", "-env-file", "cli.env")
	caFile := parseEnv(t, "cli.env")["TINTRI_CA_FILE"]
	if want := wantCA("cli"); caFile != want || !filepath.IsAbs(caFile) {
		t.Errorf("RunCLI: env file TINTRI_CA_FILE = %q, want %q", caFile, want)
	}
	t.Chdir(t.TempDir()) // elsewhere, the path still names the CA
	if pem, err := os.ReadFile(caFile); err != nil || !strings.HasPrefix(string(pem), "-----BEGIN CERTIFICATE-----") {
		t.Errorf("CA file %s from another directory: %v, %.30q", caFile, err, pem)
	}
	if err := stop(); err != nil {
		t.Errorf("RunCLI: %v", err)
	}
}

func TestRunCLIErrors(t *testing.T) {
	for _, args := range [][]string{{"-vmstores", "x"}, {"extra"}, {"-error-rate", "2"}} {
		if err := sim.RunCLI(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("RunCLI(%q) = nil, want an error", args)
		}
	}
}

// TestWriteEnvFile checks the exported values and that the file is private.
func TestWriteEnvFile(t *testing.T) {
	s := start(t, sim.Options{Password: "it's"})
	path := filepath.Join(t.TempDir(), "env")
	if err := s.WriteEnvFile(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), `export TINTRI_PASSWORD='it'\''s'`) || !strings.Contains(string(b), "export TINTRI_TGC_URL='"+s.TGCURL()+"'") {
		t.Errorf("env file:\n%s", b)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode %v, want 0600", fi.Mode().Perm())
	}
}

// TestRunCLICountsFile: -counts-file holds, once RunCLI returns, the requests answered per
// server, method and route, and their totals.
func TestRunCLICountsFile(t *testing.T) {
	dir := t.TempDir()
	envFile, countsFile := filepath.Join(dir, "sim.env"), filepath.Join(dir, "counts.json")
	_, stop := runCLI(t, "-vmstores", "1", "-vms", "3", "-env-file", envFile, "-dir", dir, "-counts-file", countsFile)
	env := parseEnv(t, envFile)
	pem, err := os.ReadFile(env["TINTRI_CA_FILE"])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	body := fmt.Sprintf(`{"typeId":%q,"username":%q,"password":%q}`, tintri.TypeRestApiCredentials, env["TINTRI_USERNAME"], env["TINTRI_PASSWORD"])
	resp, err := c.Post(env["TINTRI_TGC_URL"]+"/api/v310/session/login", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %v %v", resp, err)
	}
	_ = resp.Body.Close()
	for range 2 {
		req, _ := http.NewRequest("GET", env["TINTRI_TGC_URL"]+"/api/v310/vm", nil)
		req.Header.Set("Cookie", resp.Header.Get("Set-Cookie"))
		r, err := c.Do(req)
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("list vms: %v %v", r, err)
		}
		_ = r.Body.Close()
	}
	if _, err := os.Stat(countsFile); !os.IsNotExist(err) {
		t.Errorf("counts file exists before exit: %v", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("RunCLI: %v", err)
	}
	b, err := os.ReadFile(countsFile)
	if err != nil {
		t.Fatal(err)
	}
	var got sim.Counts
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("counts file %s: %v", b, err)
	}
	want := sim.Counts{Reads: 3, Writes: 0, Counts: []sim.Count{
		{Server: "tgc", Method: "POST", Path: "/api/v310/session/login", N: 1},
		{Server: "tgc", Method: "GET", Path: "/api/v310/vm", N: 2},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("counts file (-want +got):\n%s", diff)
	}
}
