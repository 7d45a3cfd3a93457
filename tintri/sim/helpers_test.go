package sim_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// start runs a small simulator for one test.
func start(t testing.TB, opts sim.Options) *sim.Sim {
	t.Helper()
	if opts.VMstores == 0 {
		opts.VMstores = 2
	}
	if opts.VMs == 0 {
		opts.VMs = 45
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	s, err := sim.Start(opts)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// httpClient trusts only the simulator's CA. Its timeout only bounds a hung request, so
// that it fails its test instead of stalling the package.
func httpClient(t testing.TB, s *sim.Sim) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile())
	if err != nil {
		t.Fatalf("read ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("ca.pem holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: time.Minute}
}

// answer is one HTTP exchange's outcome.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// tintriError decodes the body as a TintriError.
func (a answer) tintriError(t testing.TB) tintri.TintriError {
	t.Helper()
	var te tintri.TintriError
	if err := json.Unmarshal(a.body, &te); err != nil {
		t.Fatalf("decode TintriError from %q: %v", a.body, err)
	}
	return te
}

// wantError checks status, TintriError typeId and code.
func (a answer) wantError(t testing.TB, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Fatalf("status = %d, want %d; body %s", a.status, status, a.body)
	}
	te := a.tintriError(t)
	if te.TypeID != tintri.TypeTintriError || te.Code != code {
		t.Fatalf("error = {typeId %q, code %q}, want {%q, %q}; body %s", te.TypeID, te.Code, tintri.TypeTintriError, code, a.body)
	}
}

// wantNoContent checks a 204 with an empty body.
func (a answer) wantNoContent(t testing.TB) {
	t.Helper()
	if a.status != http.StatusNoContent || len(a.body) != 0 {
		t.Fatalf("answer = %d %q, want 204 and no body", a.status, a.body)
	}
}

// decode checks a 200 and decodes the body into v.
func (a answer) decode(t testing.TB, v any) {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body %s", a.status, a.body)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

// session is a logged-in connection to one simulated server.
type session struct {
	t      testing.TB
	c      *http.Client
	base   string
	cookie string
}

// login opens a session on the server at base.
func login(t testing.TB, s *sim.Sim, base string) *session {
	t.Helper()
	se := &session{t: t, c: httpClient(t, s), base: base}
	a := se.do("POST", "/api/v310/session/login", map[string]string{
		"typeId": tintri.TypeRestApiCredentials, "username": s.Username(), "password": s.Password(),
	})
	if a.status != http.StatusOK {
		t.Fatalf("login: %d %s", a.status, a.body)
	}
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "JSESSIONID" {
			se.cookie = c.Value
		}
	}
	if se.cookie == "" {
		t.Fatalf("login set no JSESSIONID cookie: %v", a.header)
	}
	return se
}

// do sends method path (relative to base, or an absolute URL) with body as JSON (a string
// is sent as is) and the session cookie when there is one.
func (se *session) do(method, path string, body any) answer {
	se.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			se.t.Fatalf("marshal body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	url := path
	if !strings.HasPrefix(path, "https://") {
		url = se.base + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		se.t.Fatalf("request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if se.cookie != "" {
		req.Header.Set("Cookie", "JSESSIONID="+se.cookie)
	}
	resp, err := se.c.Do(req)
	if err != nil {
		se.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		se.t.Fatalf("read body: %v", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// listVMs pages through path (a /api/v310/vm query) following next and returns every item.
func (se *session) listVMs(path string) []tintri.VirtualMachine {
	se.t.Helper()
	var out []tintri.VirtualMachine
	for {
		var p tintri.Page
		se.do("GET", path, nil).decode(se.t, &p)
		for _, raw := range p.Items {
			var vm tintri.VirtualMachine
			if err := json.Unmarshal(raw, &vm); err != nil {
				se.t.Fatalf("decode vm: %v", err)
			}
			out = append(out, vm)
		}
		if p.Next == "" {
			return out
		}
		path = "/api/v310/vm?" + p.Next
	}
}

// names returns the VMs' names in order.
func names(vms []tintri.VirtualMachine) []string {
	out := make([]string, len(vms))
	for i := range vms {
		out[i] = vms[i].Name()
	}
	return out
}

// storeIndex is the index of the VMstore holding vm (a TGC VM, whose vmstoreName is the
// VMstore's host name), or -1.
func storeIndex(s *sim.Sim, vm tintri.VirtualMachine) int {
	return slices.Index(s.VMstoreURLs(), "https://"+vm.VmstoreName)
}
