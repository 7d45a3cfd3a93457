// Package engine binds task bodies to their kinds (Load, Bind), plans (Engine.Plan) and
// applies (Engine.Apply) the jobs of a configuration, and keeps the audit log.
//
// How to use it (the CLI's plan and apply commands and the daemon's runs do exactly this):
//
//	cfg, diags := engine.Load(config.OSFS{}, "jobs.hcl", config.LoadOptions{Env: os.Environ()})
//	eng := &engine.Engine{Config: cfg, Log: log, StateDir: dir}
//	p, err := eng.Plan(ctx, engine.Selection{Jobs: []string{"nightly"}}) // reads only
//	if err != nil { ... }          // the run could not plan at all (bad selection, cancelled)
//	// p.Changes() == 0: nothing to do; p.Failures() > 0: some targets could not be read
//	res, err := eng.Apply(ctx, p, engine.ApplyOptions{})
//	if err != nil { ... }          // refused (max_changes, other config) or audit log broken
//	if res.Failed() { ... }        // some changes or targets failed; the others were made
//
// A plan saved with plan.WriteFile and read back with plan.ReadFile is applied with
// ApplyOptions{FromFile: true}: the engine refuses it when the configuration changed since,
// re-plans each task, skips the changes already made and refuses the stale ones.
//
// Plan and Apply are different code paths (there is no dry-run flag): Plan only ever calls
// a task's Plan with a runner.PlanEnv, whose clients cannot write. Every applied change
// (made or failed) is appended to <StateDir>/audit.jsonl before it counts as done, then
// passed to OnChange; AuditRotation rotates that file by size (ReadAudit reads the rotated
// files too). Plan and Apply each build their API clients lazily and log out of
// all of them before returning.
package engine
