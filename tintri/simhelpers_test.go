package tintri_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// startSim runs a simulator for one test.
func startSim(t testing.TB, opts sim.Options) *sim.Sim {
	t.Helper()
	if opts.VMstores == 0 {
		opts.VMstores = 2
	}
	if opts.VMs == 0 {
		opts.VMs = 60
	}
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatalf("start simulator: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	return s
}

// testDeadline bounds every client call of a test, so that a hang fails the test with a
// deadline error instead of stalling the package until go test's own timeout.
const testDeadline = time.Minute

// testContext is the test's context with testDeadline: every client call in these tests
// uses it.
func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

// newClient returns a client of the server at url trusting the simulator's CA, retrying
// without delay; mod adjusts the config. The client is closed when the test ends.
func newClient(t testing.TB, s *sim.Sim, url string, mod func(*tintri.Config)) *tintri.Client {
	t.Helper()
	cfg := tintri.Config{
		URL: url, Username: s.Username(), Password: tintri.Secret(s.Password()), CAFile: s.CAFile(),
		Retry:  tintri.RetryPolicy{MaxAttempts: 4, Backoff: tintri.NoDelay},
		Logger: zerolog.Nop(),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := tintri.New(cfg)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testDeadline)
		defer cancel()
		_ = c.Close(ctx)
	})
	return c
}

// simTransport is a keep-alive-free transport trusting the simulator's CA. When dial is set
// it runs before every dial and its error fails that dial.
func simTransport(t testing.TB, s *sim.Sim, dial func() error) *http.Transport {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("simulator ca file holds no certificate")
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}
	if dial != nil {
		var d net.Dialer
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if err := dial(); err != nil {
				return nil, &net.OpError{Op: "dial", Net: network, Err: err}
			}
			return d.DialContext(ctx, network, addr)
		}
	}
	return tr
}

// count returns how many requests server answered on method and route path.
func count(s *sim.Sim, server, method, path string) int64 {
	for _, c := range s.Counts() {
		if c.Server == server && c.Method == method && c.Path == path {
			return c.N
		}
	}
	return 0
}

// observed is one Observer.Request call.
type observed struct {
	Method, Path string
	Status       int
}

// recorder is an Observer that remembers every call.
type recorder struct {
	mu       sync.Mutex
	servers  map[string]bool
	requests []observed
	retries  []observed
}

func (r *recorder) Request(server, method, path string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.servers == nil {
		r.servers = map[string]bool{}
	}
	r.servers[server] = true
	r.requests = append(r.requests, observed{method, path, status})
}

func (r *recorder) Retry(server, method, path string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.retries = append(r.retries, observed{Method: method, Path: path})
}

func (r *recorder) snapshot() (requests, retries []observed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]observed(nil), r.requests...), append([]observed(nil), r.retries...)
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests, r.retries = nil, nil
}

func newHTTPClient(tr http.RoundTripper) *http.Client { return &http.Client{Transport: tr} }
