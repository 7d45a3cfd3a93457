// Package daemon runs the jobs of a configuration on their schedules: `tintri-jobs daemon`.
//
// Each run is the engine's Plan, then Apply for jobs in mode "apply", or a drift check
// (and the notify command) for jobs in mode "plan"; the daemon never plans or applies any
// other way.
//
//   - schedule.go: the Clock interface (tests drive a fake one, so nothing sleeps) and fire
//     times: a job's cron schedule (config.ParseSchedule) in its time zone, with the
//     daylight-saving rules of docs/daemon.md. clockstep.go: a wall clock stepped back is
//     told apart from a fall-back, logged once, and the schedules go on from the current time.
//   - scheduler.go: Scheduler fires runs with overlap control (skip or queue), catch-up of
//     one missed run, jitter and manual triggers.
//   - history.go: History keeps each run's plan.RunRecord in <state-dir>/history.jsonl,
//     fsynced line by line and compacted to each job's history_limit.
//   - metrics.go: the Prometheus metrics of runs, schedules, reloads and API requests.
//   - daemon.go, daemon_run.go, daemon_http.go: Daemon wires them together, holds the state
//     directory's daemon lock (runner/statedir), reloads on SIGHUP (an invalid
//     configuration keeps the running one) and serves /healthz, /readyz, /metrics and
//     /runs, checking Host and Origin on every request and the bearer token of token.go
//     on POST /runs.
//
// docs/daemon.md describes its behaviour and flags.
package daemon
