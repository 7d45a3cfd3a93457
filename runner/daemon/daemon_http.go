package daemon

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"

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
//	POST /runs?job=NAME     start a manual run (loopback clients only)
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
	return mux
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
