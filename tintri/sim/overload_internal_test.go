package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// TestOverload holds 2 logins inside their handlers of a server with MaxInflight 2 and
// sends 3 more: with Overload set they are refused at once (503 with Retry-After), without
// it they wait for a slot.
func TestOverload(t *testing.T) {
	for _, tt := range []struct {
		overload   int
		retryAfter string
	}{{http.StatusTooManyRequests, ""}, {http.StatusServiceUnavailable, "1"}, {0, ""}} {
		synctest.Test(t, func(t *testing.T) {
			s := &Sim{opts: Options{MaxInflight: 2, Overload: tt.overload, VMstores: 1, VMs: 3}.withDefaults()}
			s.st = newState(s.opts)
			srv, err := newServer(s, "tgc", -1, &tls.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.ln.Close()
			creds := `{"typeId":"` + tintri.TypeRestApiCredentials + `","username":"admin","password":"` + s.opts.Password + `"}`
			entered, release := make(chan int, 5), make(chan struct{})
			held := make([]*httptest.ResponseRecorder, 2)
			for i := range held {
				held[i] = httptest.NewRecorder()
				body := &heldBody{i: i, entered: entered, release: release, r: strings.NewReader(creds)}
				go srv.ServeHTTP(held[i], httptest.NewRequest(http.MethodPost, "/api/v310/session/login", body))
			}
			synctest.Wait()
			extra := make([]*httptest.ResponseRecorder, 3)
			for i := range extra {
				extra[i] = httptest.NewRecorder()
				go srv.ServeHTTP(extra[i], httptest.NewRequest(http.MethodPost, "/api/v310/session/login", strings.NewReader(creds)))
			}
			synctest.Wait()
			for i, a := range extra {
				if tt.overload == 0 {
					if a.Code != http.StatusOK || a.Body.Len() != 0 { // the recorder's zero state: not answered yet
						t.Errorf("request %d beyond the limit answered %d, want it to wait", i, a.Code)
					}
					continue
				}
				if a.Code != tt.overload || a.Header().Get("Retry-After") != tt.retryAfter || !strings.Contains(a.Body.String(), "server busy: 2 requests in flight") {
					t.Errorf("request %d beyond the limit: %d, Retry-After %q, %s", i, a.Code, a.Header().Get("Retry-After"), a.Body)
				}
			}
			close(release)
			synctest.Wait()
			for i, a := range held {
				if a.Code != http.StatusOK {
					t.Errorf("held request %d: %d %s", i, a.Code, a.Body)
				}
			}
		})
	}
}

// TestOverloadInvalid: a status other than 429 or 503, or one without a max inflight, is
// refused by Start and by the -overload flag.
func TestOverloadInvalid(t *testing.T) {
	if s, err := Start(Options{Overload: 500, MaxInflight: 4}); err == nil {
		_ = s.Close()
		t.Error("Start with Overload 500 = nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	for _, args := range [][]string{{"-overload", "500", "-max-inflight", "4"}, {"-overload", "429"}} {
		if err := RunCLI(ctx, args, &out); err == nil || !strings.Contains(err.Error(), "overload") {
			t.Errorf("RunCLI %q = %v, want an overload error", args, err)
		}
	}
	if err := RunCLI(ctx, []string{"-overload", "429", "-max-inflight", "4"}, &out); err != nil {
		t.Errorf("RunCLI -overload 429 = %v", err)
	}
}
