// Package runner is what a task kind sees: the Task interface it implements, Register to
// make it available to job files, the DecodeContext its body is decoded with, and the
// environments its Plan and Apply run in.
//
// The rest of the runner lives in sub-packages, one concern each:
//
//   - runner/config: the job-file language (Load, Config); task bodies stay undecoded.
//   - runner/decode: the one decode toolkit, for config blocks and task bodies alike.
//   - runner/plan: the values a plan and an apply produce, and every JSON document.
//   - runner/engine: binds task bodies to their kinds, plans, applies, audits.
//   - runner/daemon: schedules, history, metrics and the HTTP endpoints.
//
// Task kinds (package tasks) import this package, runner/plan and runner/decode, never the
// engine or the daemon.
//
// # Reading and writing
//
// A task's Plan gets a *PlanEnv, whose Client is a *tintri.Reader: the API calls that
// change nothing. Its Apply gets an *ApplyEnv, whose Client is a *tintri.Client. A kind that
// writes while planning therefore does not compile; the simulator's write counters check
// the same thing in tests.
package runner
