package sim

import (
	"fmt"
	"net/http"
	"strconv"
)

// overloadRetryAfter is the Retry-After, in seconds, of a 503 refusing a request beyond
// Options.MaxInflight.
const overloadRetryAfter = 1

// checkOverload validates Options.Overload, which needs Options.MaxInflight.
func checkOverload(o Options) error {
	switch {
	case o.Overload == 0:
		return nil
	case o.Overload != http.StatusTooManyRequests && o.Overload != http.StatusServiceUnavailable:
		return fmt.Errorf("sim: overload %d: want 429 or 503 (0 queues requests beyond max inflight)", o.Overload)
	case o.MaxInflight <= 0:
		return fmt.Errorf("sim: overload %d needs a max inflight to refuse requests beyond", o.Overload)
	}
	return nil
}

// admit takes one of the server's Options.MaxInflight slots for r. With no slot free the
// request waits for one or, with Options.Overload set, is refused at once: 429, or 503 with
// Retry-After, as an appliance pushing back would. It returns false when r was refused or
// cancelled while waiting; then the caller must not release a slot.
func (srv *server) admit(w http.ResponseWriter, r *http.Request) bool {
	select {
	case srv.sem <- struct{}{}:
		return true
	default:
	}
	if status := srv.sim.opts.Overload; status != 0 {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(overloadRetryAfter))
		}
		writeError(w, status, codeInternal, "An internal server error occured while processing the API call",
			fmt.Sprintf("server busy: %d requests in flight", cap(srv.sem)))
		return false
	}
	select {
	case srv.sem <- struct{}{}:
		return true
	case <-r.Context().Done():
		return false
	}
}
