package tintri_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

const (
	loginPath  = "/api/v310/session/login"
	logoutPath = "/api/v310/session/logout"
	vmIDPath   = "/api/v310/vm/{id}"
)

func TestLoginOnFirstUse(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	if got := count(s, "tgc", "POST", loginPath); got != 0 {
		t.Fatalf("New logged in: %d logins", got)
	}
	want := s.VMs()[3]
	for range 3 {
		vm, err := c.GetVM(ctx, want.ID())
		if err != nil {
			t.Fatal(err)
		}
		if vm.Name() != want.Name() || vm.VmstoreName != want.VmstoreName {
			t.Errorf("GetVM = %q on %q, want %q on %q", vm.Name(), vm.VmstoreName, want.Name(), want.VmstoreName)
		}
	}
	if got := count(s, "tgc", "POST", loginPath); got != 1 {
		t.Errorf("logins = %d, want 1", got)
	}
	if got := count(s, "tgc", "GET", "/api/info"); got != 1 {
		t.Errorf("info requests = %d, want 1 (cached)", got)
	}
}

// TestReloginOnce expires the session under 8 concurrent calls: all succeed after exactly
// one new login.
func TestReloginOnce(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	vms := s.VMs()
	if _, err := c.GetVM(ctx, vms[0].ID()); err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = c.GetVM(ctx, vms[i].ID())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := count(s, "tgc", "POST", loginPath); got != 2 {
		t.Errorf("logins = %d, want 2 (first use + one re-login)", got)
	}
	if got := count(s, "tgc", "GET", vmIDPath); got != 9 {
		t.Errorf("served GET vm = %d, want 9", got)
	}
}

// recordedClient starts a simulator and a TGC client whose requests rec records, logged in
// by reading vm.
func recordedClient(t *testing.T) (s *sim.Sim, rec *recorder, c *tintri.Client, vm tintri.VirtualMachine) {
	t.Helper()
	s = startSim(t, sim.Options{})
	rec = &recorder{}
	c = newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Observer = rec })
	vm = s.VMs()[0]
	if _, err := c.GetVM(testContext(t), vm.ID()); err != nil {
		t.Fatal(err)
	}
	return s, rec, c, vm
}

// TestReloginOnAny401: whatever the code of a 401 (ERR-API-0104 for an expired or unknown
// session, as appliances answer, or any other), the client logs in once more and repeats the
// call.
func TestReloginOnAny401(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		provoke func(s *sim.Sim)
	}{
		{"expired session", "ERR-API-0104", func(s *sim.Sim) { s.ExpireSessions() }},
		{"other code", "ERR-API-0007", func(s *sim.Sim) { s.FailNextMatching("tgc", "GET", "/api/v310/vm/", 1, 401) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rec, c, vm := recordedClient(t)
			ctx := testContext(t)
			tt.provoke(s)
			s.ResetCounters()
			rec.reset()
			if _, err := c.GetVM(ctx, vm.ID()); err != nil {
				t.Fatalf("GetVM after a 401 %s: %v", tt.code, err)
			}
			requests, _ := rec.snapshot()
			want := []observed{{"GET", vmIDPath, 401}, {"POST", loginPath, 200}, {"GET", vmIDPath, 200}}
			if diff := cmp.Diff(want, requests); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReloginNonIdempotentPost: a POST answered 401 (expired session: not processed) is
// sent again after the re-login and lands once.
func TestReloginNonIdempotentPost(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	groups, err := c.ListServiceGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	s.ResetCounters()
	if err := c.ApplyServiceGroupQoS(ctx, groups[0].ID()); err != nil {
		t.Fatal(err)
	}
	if got := count(s, "tgc", "POST", loginPath); got != 1 {
		t.Errorf("re-logins = %d, want 1", got)
	}
	if w := s.Writes(); w != 1 {
		t.Errorf("writes = %d, want 1", w)
	}
}

// TestReloginOnlyOnce: a call that still answers 401 after the re-login fails with that
// 401 instead of logging in again.
func TestReloginOnlyOnce(t *testing.T) {
	s, rec, c, vm := recordedClient(t)
	ctx := testContext(t)
	rec.reset()
	s.FailNextMatching("tgc", "GET", "/api/v310/vm/", 2, 401)
	_, err := c.GetVM(ctx, vm.ID())
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 401 {
		t.Fatalf("GetVM = %v, want the second 401", err)
	}
	requests, retries := rec.snapshot()
	want := []observed{{"GET", vmIDPath, 401}, {"POST", loginPath, 200}, {"GET", vmIDPath, 401}}
	if diff := cmp.Diff(want, requests); diff != "" || len(retries) != 0 {
		t.Errorf("requests (-want +got):\n%s\nretries %v", diff, retries)
	}
	rec.reset()
	if _, err := c.GetVM(ctx, vm.ID()); err != nil {
		t.Errorf("GetVM after the faults: %v", err)
	}
	if requests, _ := rec.snapshot(); !cmp.Equal([]observed{{"GET", vmIDPath, 200}}, requests) {
		t.Errorf("next call: requests %v, want one GET with the new session", requests)
	}
}

func TestCloseLogsOut(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	if err := c.Close(ctx); err != nil {
		t.Fatalf("close before any call: %v", err)
	}
	if got := count(s, "tgc", "POST", logoutPath); got != 0 {
		t.Fatalf("close without a session logged out %d times", got)
	}
	if _, err := c.ListVMstores(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := c.Close(ctx); err != nil {
			t.Fatalf("close: %v", err)
		}
	}
	if got := count(s, "tgc", "POST", logoutPath); got != 1 {
		t.Errorf("logouts = %d, want 1", got)
	}
	// the client stays usable: the next call logs in again
	if _, err := c.ListVMstores(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(s, "tgc", "POST", loginPath); got != 2 {
		t.Errorf("logins = %d, want 2", got)
	}
}

func TestCloseAfterExpiry(t *testing.T) {
	s := startSim(t, sim.Options{})
	c := newClient(t, s, s.TGCURL(), nil)
	ctx := testContext(t)
	if _, err := c.ListVMstores(ctx); err != nil {
		t.Fatal(err)
	}
	s.ExpireSessions()
	if err := c.Close(ctx); err != nil {
		t.Errorf("close of an expired session: %v", err)
	}
}

// TestPasswordNeverShown runs logins (good and bad), a re-login, retries and failures with
// debug logging and checks that neither the log nor any error shows the password.
func TestPasswordNeverShown(t *testing.T) {
	s := startSim(t, sim.Options{})
	ctx := testContext(t)
	var logs bytes.Buffer
	log := zerolog.New(&logs).Level(zerolog.TraceLevel)

	wrong := "wrong-" + s.Password()
	bad := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Password = tintri.Secret(wrong); c.Logger = log })
	_, err := bad.GetVM(ctx, s.VMs()[0].ID())
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 401 || te.Code != "ERR-API-0124" {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if !strings.HasPrefix(err.Error(), bad.Host()+": POST /api/v310/session/login: status 401 ERR-API-0124") {
		t.Errorf("login error = %q", err)
	}
	errs := []error{err}

	c := newClient(t, s, s.TGCURL(), func(c *tintri.Config) { c.Logger = log })
	_, err = c.GetVM(ctx, "no-such-vm")
	errs = append(errs, err)
	s.FailNext("tgc", 5, 503)
	_, err = c.GetVM(ctx, s.VMs()[0].ID())
	errs = append(errs, err)
	s.ExpireSessions()
	s.FailNext("tgc", 2, 503)
	if _, err := c.GetVM(ctx, s.VMs()[0].ID()); err != nil {
		t.Errorf("two 503s and a 401: %v", err)
	}
	errs = append(errs, c.Close(ctx))

	for _, secret := range []string{s.Password(), wrong} {
		for i, err := range errs {
			if err != nil && strings.Contains(err.Error(), secret) {
				t.Errorf("error %d shows a password: %v", i, err)
			}
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log shows a password:\n%s", logs.String())
		}
	}
	for _, err := range errs[1:3] {
		if err == nil {
			t.Error("a failing call succeeded")
		}
	}
	if !strings.Contains(logs.String(), `"message":"session expired, logging in again"`) ||
		!strings.Contains(logs.String(), `"message":"retrying"`) {
		t.Errorf("debug log lacks the re-login or retry line:\n%s", logs.String())
	}
	if out := fmt.Sprintf("%v %+v %#v", c, c, c); strings.Contains(out, s.Password()) {
		t.Errorf("client rendering shows the password: %s", out)
	}
}

// TestEchoedPasswordRedacted: a server that echoes the login body in its TintriError (as a
// careless appliance might) does not make the password appear in the error or the log.
func TestEchoedPasswordRedacted(t *testing.T) {
	const pw = `echo-"Me"<s3cret>` // also echoed JSON-escaped, as echo-\"Me\"\u003cs3cret\u003e
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/info" {
			_, _ = io.WriteString(w, `{"typeId":"`+tintri.TypeRestApi+`","productName":"Tintri VMstore","preferredVersion":"v310.51"}`)
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(tintri.TintriError{
			TypeID: tintri.TypeTintriError, Code: "ERR-API-0203", Message: "Invalid request " + string(body),
			CauseDetails: "password " + pw, Errors: []tintri.TintriError{{Title: pw}},
		})
	}))
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	c, err := tintri.New(tintri.Config{
		URL: srv.URL, Username: "admin", Password: tintri.Secret(pw), HTTPClient: srv.Client(),
		Logger: zerolog.New(&logs).Level(zerolog.TraceLevel), Retry: tintri.RetryPolicy{MaxAttempts: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetVM(testContext(t), "vm-1")
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != http.StatusBadRequest {
		t.Fatalf("GetVM = %v, want the login's 400", err)
	}
	if !strings.Contains(te.Message, `"username":"admin"`) || !strings.Contains(te.CauseDetails, "<redacted>") || te.Errors[0].Title != "<redacted>" {
		t.Errorf("echo not kept with the password redacted: %+v", te)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(fmt.Sprintf("%+v %#v", te, te), "s3cret") || strings.Contains(logs.String(), "s3cret") {
		t.Errorf("password shown: error %q, log %q", err, logs.String())
	}
}
