package daemon

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// RunsLimit is the number of runs GET /runs returns without ?limit.
const RunsLimit = 50

// Handler serves the daemon's HTTP endpoints:
//
//	GET  /healthz           200 while the process is alive
//	GET  /readyz            200 when a configuration is loaded and the scheduler runs, else 503
//	GET  /metrics           Prometheus metrics
//	GET  /runs[?job=&limit=] recent runs, newest first, as JSON
//	POST /runs?job=NAME     start a manual run (loopback clients with the bearer token only)
//
//	POST /slack/…           the Slack bot's Events API (chatops.Bot.Handler), when its
//	                        slack block has mode = "events"
//
// Every request must name the daemon in its Host header (else 421) and carry no Origin
// header but its own (else 403): a web page in a browser on the host can neither start a
// run (cross-site request forgery) nor read /runs and /metrics through a name of its own
// that resolves to the daemon (DNS rebinding). The /slack/ endpoints are the exception to
// the Host rule: Slack reaches them under a public name, they answer nothing worth
// reading, and each request must carry Slack's signature.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if d.Ready() {
			writeText(w, http.StatusOK, "ready\n")
			return
		}
		writeText(w, http.StatusServiceUnavailable, "not ready\n")
	})
	mux.Handle("GET /metrics", d.metrics.Handler())
	mux.HandleFunc("GET /runs", d.serveRuns)
	mux.HandleFunc("POST /runs", d.serveTrigger)
	if d.chat != nil && d.Config().Slack != nil && d.Config().Slack.Mode == config.SlackEvents {
		mux.Handle("POST /slack/", d.chat.Handler())
	}
	return d.guard(mux)
}

// slackPath reports whether r is for the Events API endpoints: Slack reaches them through
// a proxy under a public name, so their Host is not checked; Slack's signature
// authenticates them.
func (d *Daemon) slackPath(r *http.Request) bool {
	return d.chat != nil && strings.HasPrefix(r.URL.Path, "/slack/")
}

// guard refuses requests whose Host does not name the daemon or that come from another
// origin, before next sees them.
func (d *Daemon) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !d.slackPath(r) && !hostAllowed(r.Host, local, d.opts.ListenAddr) {
			writeJSON(w, http.StatusMisdirectedRequest, map[string]string{"error": "the Host header does not name this daemon: " +
				"use localhost, the IP address it listens on or the -listen host, with its port"})
			return
		}
		if !sameOrigin(r) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin requests are refused"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether host, a request's Host header, names the daemon whose
// connection came in on local, listening on listen (host:port as configured): with
// local's port, localhost, a loopback address, local's address, or listen's host when that
// is a name. A name of anyone else's (DNS rebinding) is refused.
func hostAllowed(host string, local net.Addr, listen string) bool {
	la, ok := local.(*net.TCPAddr)
	if !ok {
		return false
	}
	name, port, err := net.SplitHostPort(host)
	if err != nil { // no port: the scheme's default
		name, port = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"), "80"
	}
	if port != strconv.Itoa(la.Port) {
		return false
	}
	if ip := net.ParseIP(name); ip != nil {
		return ip.IsLoopback() || ip.Equal(la.IP)
	}
	listenName, _, _ := net.SplitHostPort(listen)
	return strings.EqualFold(name, "localhost") || (listenName != "" && strings.EqualFold(name, listenName))
}

// sameOrigin reports whether r has no Origin header (not sent by a browser) or its own
// origin. Browsers send Origin with every POST and every cross-origin request.
func sameOrigin(r *http.Request) bool {
	origins := r.Header.Values("Origin")
	return len(origins) == 0 || (len(origins) == 1 && strings.EqualFold(origins[0], "http://"+r.Host))
}

func (d *Daemon) serveRuns(w http.ResponseWriter, r *http.Request) {
	limit := RunsLimit
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a non-negative integer"})
			return
		}
		limit = n
	}
	runs := d.history.Recent(r.URL.Query().Get("job"), limit)
	if runs == nil {
		runs = []plan.RunRecord{}
	}
	writeJSON(w, http.StatusOK, runs)
}

func (d *Daemon) serveTrigger(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "manual runs are accepted from loopback clients only"})
		return
	}
	if !d.token.allows(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tintri-jobs"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "manual runs need the daemon's token: " +
			"send Authorization: Bearer followed by the content of its token file (-token-file, or daemon.token in the state directory)"})
		return
	}
	job := r.URL.Query().Get("job")
	status, err := d.Trigger(job)
	if err != nil {
		code := http.StatusNotFound
		if errors.Is(err, ErrShuttingDown) {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]string{"error": err.Error()})
		return
	}
	code := http.StatusAccepted
	if status == "skipped" {
		code = http.StatusConflict
	}
	writeJSON(w, code, map[string]string{"job": job, "status": status})
}

func writeText(w http.ResponseWriter, code int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(s)) // a client that went away cannot be told
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the values are plain data; a failed write is a client that went away
}
