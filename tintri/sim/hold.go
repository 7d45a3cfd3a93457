package sim

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// Hold makes requests wait, for tests of what a client does when it is stopped or killed
// with a request in flight: before the endpoint runs (the change is not made) or after it
// ran and before the answer is sent (the change is made, the client never learns it).
type Hold struct {
	srv            *server
	method, prefix string
	afterServing   bool
	// fn, when set, runs in place of waiting (OnServed).
	fn func()

	held, gone chan struct{}
	once       sync.Once
	released   chan struct{}
}

// Hold makes the requests to server whose method is method ("" = any) and whose URL path
// starts with pathPrefix wait until Release: before they are served, or with afterServing
// after the endpoint ran and before its answer is written. A request whose client goes
// away stops waiting; with afterServing its change stays made. Unknown servers get a Hold
// that holds nothing.
func (s *Sim) Hold(server, method, pathPrefix string, afterServing bool) *Hold {
	return s.addHold(server, method, pathPrefix, afterServing, nil)
}

// OnServed calls fn after each request to server whose method is method ("" = any) and
// whose URL path starts with pathPrefix has been served, before its answer is written: as
// if another client's request landed right behind it. fn may change the state through
// EditAppliance. It returns the function that removes the hook.
func (s *Sim) OnServed(server, method, pathPrefix string, fn func()) (remove func()) {
	return s.addHold(server, method, pathPrefix, true, fn).Release
}

// addHold installs a Hold on server (none on an unknown server) and returns it.
func (s *Sim) addHold(server, method, pathPrefix string, afterServing bool, fn func()) *Hold {
	h := &Hold{method: strings.ToUpper(method), prefix: pathPrefix, afterServing: afterServing, fn: fn,
		held: make(chan struct{}, 1024), gone: make(chan struct{}, 1024), released: make(chan struct{})}
	if srv := s.server(server); srv != nil {
		h.srv = srv
		srv.mu.Lock()
		srv.holds = append(srv.holds, h)
		srv.mu.Unlock()
	}
	return h
}

// Held receives a value as each request starts waiting.
func (h *Hold) Held() <-chan struct{} { return h.held }

// Gone receives a value as the client of a waiting request goes away (a request left
// before Release is not served, or, held after serving, not answered).
func (h *Hold) Gone() <-chan struct{} { return h.gone }

// Release lets the waiting requests and later ones go on, and removes the hold.
func (h *Hold) Release() {
	h.once.Do(func() {
		close(h.released)
		if h.srv != nil {
			h.srv.mu.Lock()
			h.srv.holds = slices.DeleteFunc(h.srv.holds, func(o *Hold) bool { return o == h })
			h.srv.mu.Unlock()
		}
	})
}

func (h *Hold) matches(r *http.Request) bool {
	return (h.method == "" || h.method == r.Method) && strings.HasPrefix(r.URL.Path, h.prefix)
}

// wait runs fn (OnServed), or blocks until Release or until the request's client goes away.
func (h *Hold) wait(r *http.Request) {
	if h.fn != nil {
		h.fn()
		return
	}
	select {
	case h.held <- struct{}{}:
	default:
	}
	select {
	case <-h.released:
	case <-r.Context().Done():
		select {
		case h.gone <- struct{}{}:
		default:
		}
	}
}

// matchingHolds returns the holds of srv that match r and wait after serving, or before.
func (srv *server) matchingHolds(r *http.Request, afterServing bool) []*Hold {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []*Hold
	for _, h := range srv.holds {
		if h.afterServing == afterServing && h.matches(r) {
			out = append(out, h)
		}
	}
	return out
}

// waitBefore holds r before it is routed and counted; false when its client went away.
func (srv *server) waitBefore(r *http.Request) bool {
	holds := srv.matchingHolds(r, false)
	if len(holds) == 0 {
		return true
	}
	// Read the body first: net/http notices a client going away (and ends the request's
	// context) only once the body has been read.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	for _, h := range holds {
		h.wait(r)
	}
	return r.Context().Err() == nil
}

// serveHeld serves r and holds its answer while a hold matching it waits after serving.
func (srv *server) serveHeld(w http.ResponseWriter, r *http.Request) {
	after := srv.matchingHolds(r, true)
	if len(after) == 0 {
		srv.mux.ServeHTTP(w, r)
		return
	}
	rec := &recorded{header: http.Header{}, status: http.StatusOK}
	srv.mux.ServeHTTP(rec, r)
	for _, h := range after {
		h.wait(r)
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

// recorded is an answer kept until a hold lets it go.
type recorded struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorded) Header() http.Header         { return r.header }
func (r *recorded) WriteHeader(status int)      { r.status = status }
func (r *recorded) Write(b []byte) (int, error) { return r.body.Write(b) }
