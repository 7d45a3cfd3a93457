package daemon

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Metrics are the daemon's Prometheus metrics, in a registry of their own. Metrics is also a
// tintri.Observer and tintri.LimitObserver, so the API clients of every run count their
// requests and retries in it and publish their in-flight limits.
type Metrics struct {
	Registry *prometheus.Registry

	runs          *prometheus.CounterVec
	runDuration   *prometheus.HistogramVec
	changes       *prometheus.CounterVec
	drift         *prometheus.GaugeVec
	apiRequests   *prometheus.CounterVec
	apiDuration   *prometheus.HistogramVec
	apiRetries    *prometheus.CounterVec
	inflight      *prometheus.GaugeVec
	lastSuccess   *prometheus.GaugeVec
	nextRun       *prometheus.GaugeVec
	skipped       *prometheus.CounterVec
	running       *prometheus.GaugeVec
	reloads       *prometheus.CounterVec
	configLoadedT prometheus.Gauge
	notifications *prometheus.CounterVec
	notifyRetries *prometheus.CounterVec
	chatCommands  *prometheus.CounterVec
}

// NewMetrics registers the daemon's metrics (and the Go and process collectors) in a new
// registry.
func NewMetrics() *Metrics {
	const ns = "tintri_jobs"
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "runs_total",
			Help: "Finished daemon runs by job and result (success, failed, drift, error, cancelled)."}, []string{"job", "result"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "run_duration_seconds",
			Help:    "Duration of daemon runs.",
			Buckets: []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}}, []string{"job"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "changes_applied_total",
			Help: "Changes applied by daemon runs."}, []string{"job"}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "drift_pending_changes",
			Help: "Changes the latest plan-mode run of a job found pending."}, []string{"job"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_requests_total",
			Help: "Tintri REST API requests by server, method and HTTP status (0: no response)."}, []string{"server", "method", "status"}),
		apiDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "api_request_duration_seconds",
			Help: "Tintri REST API request latency.", Buckets: prometheus.DefBuckets}, []string{"server", "method"}),
		apiRetries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "api_retries_total",
			Help: "Tintri REST API requests retried."}, []string{"server", "method"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "api_inflight_limit",
			Help: "Tintri REST API requests a run lets be in flight to a server at once: its adaptive limit (or the fixed one), as last set."}, []string{"server"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "last_success_timestamp_seconds",
			Help: "Unix time at which a job's latest successful run ended."}, []string{"job"}),
		nextRun: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "next_run_timestamp_seconds",
			Help: "Unix time of a job's next scheduled run."}, []string{"job"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "skipped_starts_total",
			Help: "Scheduled starts dropped because the job was still running."}, []string{"job"}),
		running: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "job_running",
			Help: "1 while a job is running (or waiting out its jitter)."}, []string{"job"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "config_reloads_total",
			Help: "Configuration reloads (SIGHUP) by result (success, failure)."}, []string{"result"}),
		configLoadedT: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "config_loaded_timestamp_seconds",
			Help: "Unix time at which the configuration in use was loaded."}),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "notifications_total",
			Help: "Notifications by notify block, event and result (sent, failed: given up after retries, or dropped)."}, []string{"notify", "event", "result"}),
		notifyRetries: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "notification_retries_total",
			Help: "Notification attempts that failed and were tried again, by notify block."}, []string{"notify"}),
		chatCommands: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "chat_commands_total",
			Help: "Slack commands and approvals by command and result (ok, refused, error)."}, []string{"command", "result"}),
	}
	m.Registry.MustRegister(m.runs, m.runDuration, m.changes, m.drift, m.apiRequests, m.apiDuration,
		m.apiRetries, m.inflight, m.lastSuccess, m.nextRun, m.skipped, m.running, m.reloads, m.configLoadedT,
		m.notifications, m.notifyRetries, m.chatCommands,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Request counts one API request (tintri.Observer). The route pattern is not a label: the
// series stay per server and method.
func (m *Metrics) Request(server, method, _ string, status int, d time.Duration) {
	m.apiRequests.WithLabelValues(server, method, strconv.Itoa(status)).Inc()
	m.apiDuration.WithLabelValues(server, method).Observe(d.Seconds())
}

// Retry counts one API retry (tintri.Observer).
func (m *Metrics) Retry(server, method, _ string) {
	m.apiRetries.WithLabelValues(server, method).Inc()
}

// Limit records a server's in-flight limit (tintri.LimitObserver).
func (m *Metrics) Limit(server string, limit int) {
	m.inflight.WithLabelValues(server).Set(float64(limit))
}

// observeRun records a finished run.
func (m *Metrics) observeRun(r plan.RunRecord, mode string) {
	m.runs.WithLabelValues(r.Job, r.Result).Inc()
	m.runDuration.WithLabelValues(r.Job).Observe(r.Duration().Seconds())
	m.changes.WithLabelValues(r.Job).Add(float64(r.Changed))
	switch {
	case mode == config.ModePlan && (r.Result == plan.ResultSuccess || r.Result == plan.ResultDrift):
		m.drift.WithLabelValues(r.Job).Set(float64(r.Pending))
	case r.Result == plan.ResultSuccess:
		// An apply that made every change leaves no drift, whichever mode found it before.
		m.drift.WithLabelValues(r.Job).Set(0)
	}
	if r.Result == plan.ResultSuccess || r.Result == plan.ResultDrift {
		m.lastSuccess.WithLabelValues(r.Job).Set(float64(r.End.UnixMilli()) / 1000)
	}
}

// setNext records a job's next fire time; zero removes the job's series.
func (m *Metrics) setNext(job string, at time.Time) {
	if at.IsZero() {
		m.nextRun.DeleteLabelValues(job)
		return
	}
	m.nextRun.WithLabelValues(job).Set(float64(at.Unix()))
}

func (m *Metrics) skip(job string) { m.skipped.WithLabelValues(job).Inc() }

func (m *Metrics) setRunning(job string, busy bool) {
	v := 0.0
	if busy {
		v = 1
	}
	m.running.WithLabelValues(job).Set(v)
}

// forget removes the gauges of a job the configuration no longer has, so that no alert
// on its last success or drift fires for a job that is gone. Its counters stay.
func (m *Metrics) forget(job string) {
	m.lastSuccess.DeleteLabelValues(job)
	m.drift.DeleteLabelValues(job)
	m.running.DeleteLabelValues(job)
}

// loaded records the configuration loaded at start: the loaded-at time, and both reload
// results at zero so that increase() sees the first reload.
func (m *Metrics) loaded(at time.Time) {
	m.reloads.WithLabelValues("success")
	m.reloads.WithLabelValues("failure")
	m.configLoadedT.Set(float64(at.Unix()))
}

// reload counts one reload (SIGHUP) and, when it succeeded, the new loaded-at time.
func (m *Metrics) reload(ok bool, at time.Time) {
	if !ok {
		m.reloads.WithLabelValues("failure").Inc()
		return
	}
	m.reloads.WithLabelValues("success").Inc()
	m.configLoadedT.Set(float64(at.Unix()))
}

// Delivered counts a notification sent or given up on (notify.Observer).
func (m *Metrics) Delivered(target, event string, ok bool) {
	result := "sent"
	if !ok {
		result = "failed"
	}
	m.notifications.WithLabelValues(target, event, result).Inc()
}

// Retried counts a notification attempt tried again (notify.Observer).
func (m *Metrics) Retried(target string) { m.notifyRetries.WithLabelValues(target).Inc() }

// chatCommand counts a Slack command or approval.
func (m *Metrics) chatCommand(command, result string) {
	m.chatCommands.WithLabelValues(command, result).Inc()
}
