package daemon

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// TestMetricsNamesAndLabels pins every metric the daemon exports (docs/daemon.md, "Metrics"):
// its name, type and label names.
func TestMetricsNamesAndLabels(t *testing.T) {
	m := NewMetrics()
	at := time.Date(2026, 6, 1, 2, 30, 0, 0, time.UTC)
	m.loaded(at)
	m.observeRun(plan.RunRecord{Job: "j", Result: plan.ResultSuccess, Start: at, End: at.Add(time.Second), Changed: 2}, config.ModePlan)
	m.Request("vmstore-01:443", "GET", "/v310/appliance/{uuid}/dns", 200, time.Millisecond)
	m.Retry("vmstore-01:443", "GET", "/v310/appliance/{uuid}/dns")
	m.Limit("vmstore-01:443", 12)
	m.setNext("j", at.Add(time.Hour))
	m.skip("j")
	m.setRunning("j", true)
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range families {
		name := f.GetName()
		if !strings.HasPrefix(name, "tintri_jobs_") {
			continue
		}
		var labels []string
		for _, l := range f.GetMetric()[0].GetLabel() {
			labels = append(labels, l.GetName())
		}
		slices.Sort(labels)
		got[name] = strings.ToLower(f.GetType().String()) + " " + strings.Join(labels, ",")
		if f.GetHelp() == "" {
			t.Errorf("%s has no help text", name)
		}
	}
	want := map[string]string{
		"tintri_jobs_runs_total":                      "counter job,result",
		"tintri_jobs_run_duration_seconds":            "histogram job",
		"tintri_jobs_changes_applied_total":           "counter job",
		"tintri_jobs_drift_pending_changes":           "gauge job",
		"tintri_jobs_api_requests_total":              "counter method,server,status",
		"tintri_jobs_api_request_duration_seconds":    "histogram method,server",
		"tintri_jobs_api_retries_total":               "counter method,server",
		"tintri_jobs_api_inflight_limit":              "gauge server",
		"tintri_jobs_last_success_timestamp_seconds":  "gauge job",
		"tintri_jobs_next_run_timestamp_seconds":      "gauge job",
		"tintri_jobs_skipped_starts_total":            "counter job",
		"tintri_jobs_job_running":                     "gauge job",
		"tintri_jobs_config_reloads_total":            "counter result",
		"tintri_jobs_config_loaded_timestamp_seconds": "gauge ",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	var goroutines, cpu bool
	for _, f := range families {
		goroutines = goroutines || f.GetName() == "go_goroutines"
		cpu = cpu || f.GetName() == "process_cpu_seconds_total"
	}
	if !goroutines || !cpu {
		t.Errorf("go_goroutines exported: %v, process_cpu_seconds_total exported: %v; want both", goroutines, cpu)
	}
}

// TestMetricsObserveRun: which gauges a finished run moves, by mode and result.
// TestDriftGaugeClearsAfterModeChange: a job whose drift a plan-mode run found, then
// reconfigured to apply mode, gets its drift gauge back to 0 when an apply fixes it.
func TestDriftGaugeClearsAfterModeChange(t *testing.T) {
	m := NewMetrics()
	end := time.Date(2026, 6, 1, 2, 30, 0, 0, time.UTC)
	m.observeRun(plan.RunRecord{Job: "j", Result: plan.ResultDrift, End: end, Pending: 3}, config.ModePlan)
	if v := samples(t, m.Handler())[`tintri_jobs_drift_pending_changes{job="j"}`]; v != 3 {
		t.Fatalf("drift after the plan-mode run = %v, want 3", v)
	}
	m.observeRun(plan.RunRecord{Job: "j", Result: plan.ResultSuccess, End: end, Changed: 3}, config.ModeApply)
	if v := samples(t, m.Handler())[`tintri_jobs_drift_pending_changes{job="j"}`]; v != 0 {
		t.Errorf("drift after the apply-mode run that fixed it = %v, want 0", v)
	}
}

func TestMetricsObserveRun(t *testing.T) {
	end := time.Date(2026, 6, 1, 2, 30, 7, 500_000_000, time.UTC)
	tests := []struct {
		mode, result string
		pending      int
		drift        float64 // -1: no series
		lastSuccess  float64 // -1: no series
	}{
		// An apply that made every change leaves no drift (whatever a plan-mode run found before).
		{mode: config.ModeApply, result: plan.ResultSuccess, drift: 0, lastSuccess: 1780281007.5},
		{mode: config.ModeApply, result: plan.ResultFailed, drift: -1, lastSuccess: -1},
		{mode: config.ModeApply, result: plan.ResultError, drift: -1, lastSuccess: -1},
		{mode: config.ModeApply, result: plan.ResultCancelled, drift: -1, lastSuccess: -1},
		{mode: config.ModePlan, result: plan.ResultDrift, pending: 3, drift: 3, lastSuccess: 1780281007.5},
		{mode: config.ModePlan, result: plan.ResultSuccess, drift: 0, lastSuccess: 1780281007.5},
		// A drift check that could not read some targets says nothing about the drift.
		{mode: config.ModePlan, result: plan.ResultFailed, pending: 1, drift: -1, lastSuccess: -1},
	}
	for _, tt := range tests {
		t.Run(tt.mode+"/"+tt.result, func(t *testing.T) {
			m := NewMetrics()
			m.observeRun(plan.RunRecord{Job: "j", Result: tt.result, Start: end.Add(-time.Second), End: end, Changed: 4, Pending: tt.pending}, tt.mode)
			got := samples(t, m.Handler())
			value := func(name string) float64 {
				if v, ok := got[name+`{job="j"}`]; ok {
					return v
				}
				return -1
			}
			if v := value("tintri_jobs_drift_pending_changes"); v != tt.drift {
				t.Errorf("drift_pending_changes = %v, want %v", v, tt.drift)
			}
			if v := value("tintri_jobs_last_success_timestamp_seconds"); v != tt.lastSuccess {
				t.Errorf("last_success_timestamp_seconds = %v, want %v", v, tt.lastSuccess)
			}
			if v := got[`tintri_jobs_runs_total{job="j",result="`+tt.result+`"}`]; v != 1 {
				t.Errorf("runs_total{result=%q} = %v, want 1", tt.result, v)
			}
			if v := value("tintri_jobs_changes_applied_total"); v != 4 {
				t.Errorf("changes_applied_total = %v, want 4", v)
			}
		})
	}
}

// samples serves GET /metrics from h and returns its tintri_jobs_ samples.
func samples(t *testing.T, h http.Handler) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, loopbackRequest(http.MethodGet, "/metrics"))
	return parseSamples(t, rec.Body)
}

// loopbackRequest is a request to the daemon's handler as if over a connection to
// 127.0.0.1:9273, which the Host check asks for.
func loopbackRequest(method, path string) *http.Request {
	r := httptest.NewRequest(method, "http://127.0.0.1:9273"+path, nil)
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9273}
	return r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, local))
}
