package sim

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// heldBody is a request body whose first Read reports the request's index on entered (the
// handler got past the in-flight limit) and then waits until release is closed.
type heldBody struct {
	i       int
	entered chan<- int
	release <-chan struct{}
	started bool
	r       io.Reader
}

func (b *heldBody) Read(p []byte) (int, error) {
	if !b.started {
		b.started = true
		b.entered <- b.i
		<-b.release
	}
	return b.r.Read(p)
}

// TestMaxInflightQueues sends 5 logins at once, each held inside its handler until
// released, straight into one server's ServeHTTP. synctest.Wait returns once every request
// is blocked, so the number of handlers entered is exact at each step: with MaxInflight 2,
// two are served and three wait, and each one released lets exactly one waiting request in.
// Without a limit all five are served at once.
func TestMaxInflightQueues(t *testing.T) {
	for _, tt := range []struct {
		maxInflight int
		served      []int // handlers entered after the start and after each release
	}{
		{maxInflight: 2, served: []int{2, 1, 1, 1, 0, 0}},
		{maxInflight: 1, served: []int{1, 1, 1, 1, 1, 0}},
		{maxInflight: 0, served: []int{5, 0, 0, 0, 0, 0}},
	} {
		synctest.Test(t, func(t *testing.T) {
			s := &Sim{opts: Options{MaxInflight: tt.maxInflight, VMstores: 1, VMs: 3}.withDefaults()}
			s.st = newState(s.opts)
			srv, err := newServer(s, "tgc", -1, &tls.Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.ln.Close()

			const n = 5
			creds := `{"typeId":"` + tintri.TypeRestApiCredentials + `","username":"admin","password":"` + s.opts.Password + `"}`
			entered := make(chan int, n)
			release := make([]chan struct{}, n)
			answers := make([]*httptest.ResponseRecorder, n)
			for i := range n {
				release[i] = make(chan struct{})
				answers[i] = httptest.NewRecorder()
				body := &heldBody{i: i, entered: entered, release: release[i], r: strings.NewReader(creds)}
				go srv.ServeHTTP(answers[i], httptest.NewRequest(http.MethodPost, "/api/v310/session/login", body))
			}
			released := make([]bool, n)
			defer func() { // on failure too, so that every request ends with the bubble
				for i := range n {
					if !released[i] {
						close(release[i])
					}
				}
			}()
			var order []int // requests in the order their handlers were entered
			admitted := func(step int) {
				t.Helper()
				synctest.Wait()
				if got := len(entered); got != tt.served[step] {
					t.Fatalf("max inflight %d, step %d: %d more handlers entered, want %d", tt.maxInflight, step, got, tt.served[step])
				}
				for range tt.served[step] {
					order = append(order, <-entered)
				}
			}
			admitted(0)
			for step := 1; step <= n; step++ {
				i := order[step-1]
				close(release[i])
				released[i] = true
				admitted(step)
				if answers[i].Code != http.StatusOK {
					t.Fatalf("request %d: %d %s", i, answers[i].Code, answers[i].Body)
				}
			}
			if got := s.ctr.byKey[countKey{"tgc", "POST", "/api/v310/session/login"}]; got != n {
				t.Errorf("logins served = %d, want %d", got, n)
			}
		})
	}
}
