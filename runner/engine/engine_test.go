package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// testDNSKind is a task kind for the engine tests only: it sets the primary DNS server of
// every target VMstore, so these tests do not depend on the tasks package.
//
//	task "enginetest_dns" "x" { fleet = fleet.f  primary = "10.0.0.1" }
func init() {
	runner.Register("enginetest_dns", "sets the primary DNS server (tests)", decodeTestDNS)
}

type testDNSBody struct {
	Fleet   hcl.Expression `hcl:"fleet,optional" type:"fleet reference" doc:"The VMstores."`
	Servers hcl.Expression `hcl:"servers,optional" type:"list(server reference)" doc:"The VMstores."`
	Primary string         `hcl:"primary" doc:"The primary DNS server."`
	// Address stands for the field written in the addresses claimed, so that tests of
	// other things can have two tasks write one VMstore without a conflict.
	Address string `hcl:"address,optional" default:"primary" doc:"The address suffix claimed."`
}

type testDNS struct {
	targets runner.Targets
	primary string
	address string
}

func decodeTestDNS(dc *runner.DecodeContext, b *testDNSBody) (runner.Task, hcl.Diagnostics) {
	t := &testDNS{primary: b.Primary, address: b.Address}
	var diags hcl.Diagnostics
	t.targets, diags = dc.TargetsRef(b.Fleet, b.Servers)
	return t, diags
}

func (t *testDNS) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	keys, err := env.Members(ctx, t.targets)
	if err != nil {
		return nil, err
	}
	changes := make([]*plan.Change, len(keys))
	fails := make([]*plan.Failure, len(keys))
	env.ForEach(ctx, len(keys), func(ctx context.Context, i int) {
		c, err := env.Client(ctx, keys[i])
		var dns *tintri.ApplianceDns
		if err == nil {
			dns, err = c.ApplianceDNS(ctx)
		}
		if err != nil {
			fails[i] = &plan.Failure{Server: keys[i], Error: err.Error()}
			return
		}
		if dns.DNSPrimary != t.primary {
			changes[i] = &plan.Change{Server: keys[i], Object: "appliance dns", ID: keys[i] + "/dns", Action: plan.ActionUpdate,
				Summary: "primary " + dns.DNSPrimary + " → " + t.primary,
				Before:  plan.MustJSON(dns.DNSPrimary), After: plan.MustJSON(t.primary), Addresses: []string{t.addressOf(keys[i])}}
		}
	})
	tp := &plan.TaskPlan{}
	for i := range keys {
		if fails[i] == nil {
			tp.Claim(t.addressOf(keys[i]), t.primary)
		}
		switch {
		case fails[i] != nil:
			tp.Failed = append(tp.Failed, *fails[i])
		case changes[i] != nil:
			tp.Changes = append(tp.Changes, *changes[i])
		default:
			tp.Unchanged = append(tp.Unchanged, keys[i])
		}
	}
	return tp, nil
}

func (t *testDNS) addressOf(key string) string { return "vmstore/" + key + "/dns/" + t.address }

func (t *testDNS) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var want string
	if err := json.Unmarshal(ch.After, &want); err != nil {
		return err
	}
	c, err := env.Client(ctx, ch.Server)
	if err != nil {
		return err
	}
	return c.UpdateAppliance(ctx, tintri.Appliance{TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: want}}, tintri.PropDNSConfig)
}

// engineFixture is a simulator and an engine over a job file built from it.
type engineFixture struct {
	sim *sim.Sim
	eng *Engine
	dir string
}

// newEngineFixture starts a simulator with n VMstores and loads jobHCL (with %[1]s replaced by
// the fleet block's url list) into an engine.
func newEngineFixture(t *testing.T, n int, jobHCL string) *engineFixture {
	t.Helper()
	s, err := sim.Start(sim.Options{VMstores: n, VMs: 5, Seed: 1})
	if err != nil {
		t.Fatalf("start sim: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close simulator: %v", err)
		}
	})
	urls := make([]string, 0, n)
	for _, u := range s.VMstoreURLs() {
		urls = append(urls, fmt.Sprintf("%q", u))
	}
	src := fmt.Sprintf(`
variable "ca" {}
variable "password" { sensitive = true }
server "tgc" {
  url      = %q
  kind     = "tgc"
  username = "admin"
  password = var.password
  ca_file  = var.ca
}
fleet "all" {
  urls     = [%s]
  username = "admin"
  password = var.password
  ca_file  = var.ca
}
fleet "found" {
  discover_from = server.tgc
  username      = "admin"
  password      = var.password
  ca_file       = var.ca
}
`, s.TGCURL(), strings.Join(urls, ", ")) + jobHCL
	cfg := engineLoadConfig(t, src, map[string]string{"ca": s.CAFile(), "password": s.Password()})
	dir := t.TempDir()
	return &engineFixture{sim: s, dir: dir, eng: &Engine{Config: cfg, Log: zerolog.Nop(), StateDir: dir}}
}

func engineLoadConfig(t *testing.T, src string, vars map[string]string) *Config {
	t.Helper()
	fsys := fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}
	cfg, diags := Load(fsys, "jobs.hcl", config.LoadOptions{Vars: vars})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	return cfg
}

func (f *engineFixture) primary(i int) string {
	a := f.sim.Appliance(fmt.Sprintf("vmstore-%d", i))
	if a.DNSConfig == nil {
		return ""
	}
	return a.DNSConfig.DNSPrimary
}

func memberKeyOf(t *testing.T, u string) string {
	t.Helper()
	k, err := config.MemberKey(u)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

const dnsJob = `
job "dns" {
  task "enginetest_dns" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`

func TestPlanThenApply(t *testing.T) {
	f := newEngineFixture(t, 3, dnsJob)
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.sim.Writes(); got != 0 {
		t.Fatalf("plan wrote %d times", got)
	}
	if in, out := engineSessionCounts(f.sim); in != 3 || out != 3 {
		t.Errorf("plan: %d logins, %d logouts; want 3 each (one per VMstore, all closed)", in, out)
	}
	var ids []string
	for _, c := range p.Jobs[0].Tasks[0].Changes {
		ids = append(ids, c.ID)
	}
	var want []string
	for _, u := range f.sim.VMstoreURLs() {
		want = append(want, memberKeyOf(t, u)+"/dns")
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Fatalf("planned change ids (-want +got):\n%s", diff)
	}
	if want := f.eng.Config.PlanHash([]string{"dns"}); p.ConfigHash != want {
		t.Errorf("plan config hash = %q, want %q", p.ConfigHash, want)
	}

	var seen []string
	f.eng.OnChange = func(r plan.AuditRecord) { seen = append(seen, r.ID) }
	f.eng.Parallelism = 1
	res, err := f.eng.Apply(ctx, p, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRes := []plan.TaskResult{{Job: "dns", Task: "set", Kind: "enginetest_dns", Changed: 3, Errors: []plan.Failure{}}}
	// The outcome of each change: TestResultOutcomes.
	if diff := cmp.Diff(wantRes, res.Tasks, cmpopts.IgnoreFields(plan.TaskResult{}, "Changes")); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if got := f.sim.Writes(); got != 3 {
		t.Errorf("apply wrote %d times, want 3", got)
	}
	for i := range 3 {
		if got := f.primary(i); got != "10.9.9.9" {
			t.Errorf("vmstore-%d primary = %q", i, got)
		}
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("OnChange ids (-want +got):\n%s", diff)
	}
	recs, err := ReadAudit(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	var audited []string
	for _, r := range outcomes(recs) {
		if r.Result != plan.AuditOK || r.Job != "dns" || r.Task != "set" || string(r.After) != `"10.9.9.9"` {
			t.Errorf("audit record %+v", r)
		}
		audited = append(audited, r.ID)
	}
	if diff := cmp.Diff(want, audited); diff != "" {
		t.Errorf("audited ids (-want +got):\n%s", diff)
	}

	again, err := f.eng.Plan(ctx, Selection{Jobs: []string{"dns"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Changes() != 0 || again.Unchanged() != 3 {
		t.Errorf("second plan: %d changes, %d unchanged; want 0, 3", again.Changes(), again.Unchanged())
	}
}

func TestDiscoveredFleet(t *testing.T) {
	f := newEngineFixture(t, 2, strings.ReplaceAll(dnsJob, "fleet.all", "fleet.found"))
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{Targets: []string{"dns.set"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Changes() != 2 {
		t.Fatalf("plan: %d changes, want 2: %+v", p.Changes(), p.Jobs)
	}
	res, err := f.eng.Apply(ctx, p, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Tasks[0].Changed != 2 {
		t.Fatalf("apply: %+v", res.Tasks)
	}
	if f.primary(0) != "10.9.9.9" || f.primary(1) != "10.9.9.9" {
		t.Errorf("primaries = %q %q", f.primary(0), f.primary(1))
	}
}

func TestMaxChangesRefuses(t *testing.T) {
	tests := []struct {
		name, job, wantErr string
	}{
		{"job", strings.Replace(dnsJob, `job "dns" {`, `job "dns" {
  max_changes = 2`, 1), "job dns: the plan affects 3 objects, more than its max_changes = 2: nothing applied"},
		{"task", strings.Replace(dnsJob, `primary = "10.9.9.9"`, `primary = "10.9.9.9"
    max_changes = 1`, 1), "task dns.set: the plan affects 3 objects, more than its max_changes = 1: nothing applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newEngineFixture(t, 3, tt.job)
			p, err := f.eng.Plan(context.Background(), Selection{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.eng.Apply(context.Background(), p, ApplyOptions{})
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("apply error = %v, want %q", err, tt.wantErr)
			}
			if got := f.sim.Writes(); got != 0 {
				t.Errorf("%d writes after a refused apply", got)
			}
		})
	}
}

// TestUnreachableTargetRefusesApply: a plan that could not read one VMstore is not
// applied at all (it is most likely wrong), unless partial applies are allowed; then the
// others are changed and the unreachable one fails alone.
func TestUnreachableTargetFailsAlone(t *testing.T) {
	f := newEngineFixture(t, 3, dnsJob)
	if err := f.sim.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	tp := p.Jobs[0].Tasks[0].TaskPlan
	down := memberKeyOf(t, f.sim.VMstoreURLs()[1])
	if len(tp.Changes) != 2 || len(tp.Failed) != 1 || tp.Failed[0].Server != down {
		t.Fatalf("plan: %d changes, failed %+v", len(tp.Changes), tp.Failed)
	}
	if _, err := f.eng.Apply(ctx, p, ApplyOptions{}); !errors.Is(err, ErrPartialPlan) || f.sim.Writes() != 0 {
		t.Fatalf("apply of a plan with a failed target: %v, %d writes; want ErrPartialPlan and none", err, f.sim.Writes())
	}
	res, err := f.eng.Apply(ctx, p, ApplyOptions{AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := res.Tasks[0]
	if !res.Failed() || tr.Changed != 2 || tr.Failed != 1 || tr.Errors[0].Server != down {
		t.Errorf("result %+v", tr)
	}
	if f.primary(0) != "10.9.9.9" || f.primary(2) != "10.9.9.9" {
		t.Errorf("reachable primaries = %q %q", f.primary(0), f.primary(2))
	}
}

// TestFailFastSkipsTheRest fails the first change of a fail_fast job: its other changes,
// in that task and in the job's later tasks, are skipped; other jobs go on.
func TestFailFastSkipsTheRest(t *testing.T) {
	f := newEngineFixture(t, 3, strings.Replace(dnsJob, `job "dns" {`, `job "dns" {
  fail_fast = true
  task "enginetest_dns" "later" {
    fleet   = fleet.all
    primary = "10.8.8.8"
    address = "later"
  }`, 1)+`
job "other" {
  task "enginetest_dns" "set" {
    fleet   = fleet.all
    primary = "10.7.7.7"
    address = "other"
  }
}
`)
	f.eng.Parallelism = 1
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	f.sim.FailNext("vmstore-0", 1, 400)
	res, err := f.eng.Apply(ctx, p, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tr := range res.Tasks {
		got = append(got, fmt.Sprintf("%s.%s: %d changed, %d failed, %d skipped", tr.Job, tr.Task, tr.Changed, tr.Failed, tr.Skipped))
	}
	want := []string{"dns.later: 0 changed, 1 failed, 2 skipped", "dns.set: 0 changed, 0 failed, 3 skipped", "other.set: 3 changed, 0 failed, 0 skipped"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	// Every planned change is in the result with its outcome, in plan order.
	k := func(i int) string { return memberKeyOf(t, f.sim.VMstoreURLs()[i]) }
	want = []string{"dns.later " + k(0) + ": failed", "dns.later " + k(1) + ": skipped", "dns.later " + k(2) + ": skipped"}
	for _, task := range []string{"dns.set", "other.set"} {
		outcome := map[string]string{"dns.set": "skipped", "other.set": "applied"}[task]
		for i := range 3 {
			want = append(want, task+" "+k(i)+": "+outcome)
		}
	}
	if diff := cmp.Diff(want, outcomeLines(res)); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
	if c := res.Tasks[0].Changes[0]; c.Error == "" || c.Error != res.Tasks[0].Errors[0].Error || c.Action != plan.ActionUpdate || c.Object != "appliance dns" {
		t.Errorf("failed outcome %+v, want the change and the error the task result has", c)
	}
	checkOutcomesMatchAudit(t, f.dir, res)
	for i := range 3 {
		if got := f.primary(i); got != "10.7.7.7" {
			t.Errorf("vmstore-%d primary %q, want only the other job's change", i, got)
		}
	}
	recs, err := ReadAudit(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	if recs = outcomes(recs); len(recs) != 4 || recs[0].Result != plan.AuditError || recs[0].Error == "" || recs[0].Task != "later" {
		t.Errorf("audit = %+v, want one error record of dns.later, then other.set's", recs)
	}
}

func TestSavedPlan(t *testing.T) {
	f := newEngineFixture(t, 3, dnsJob)
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	path := f.dir + "/saved.plan"
	if err := plan.WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	saved, err := plan.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, saved, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(plan.TaskPlan{}, "Claims")); diff != "" {
		t.Fatalf("plan file round trip (-want +got):\n%s", diff)
	}

	t.Run("other config refused", func(t *testing.T) {
		other := *saved
		other.ConfigHash = "0123456789abcdef"
		_, err := f.eng.Apply(ctx, &other, ApplyOptions{FromFile: true})
		if err == nil || !strings.Contains(err.Error(), "the plan was made from another configuration (hash 0123456789ab") {
			t.Fatalf("error = %v", err)
		}
	})

	t.Run("other format version refused", func(t *testing.T) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for version, want := range map[string]string{
			`"2"`: `a "plan" document of format version "2", this build applies a "plan" of version "1"`,
			`1`:   `format version 1 is from an older tintri-jobs: run plan again`,
		} {
			newer := f.dir + "/newer.plan"
			edited := strings.Replace(string(b), `"format_version": "1"`, `"format_version": `+version, 1)
			if err := os.WriteFile(newer, []byte(edited), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = plan.ReadFile(newer)
			if want := fmt.Sprintf("plan file %s: %s", newer, want); err == nil || err.Error() != want {
				t.Errorf("ReadFile of format version %s: error = %v, want %q", version, err, want)
			}
		}
	})

	t.Run("stale refused", func(t *testing.T) {
		// Someone changes vmstore-1 after the plan: the whole task is refused.
		c, err := tintri.New(tintri.Config{URL: f.sim.VMstoreURLs()[1], Username: f.sim.Username(),
			Password: tintri.Secret(f.sim.Password()), CAFile: f.sim.CAFile(), Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		old := f.primary(1)
		if err := c.UpdateAppliance(ctx, tintri.Appliance{TypeID: tintri.TypeAppliance,
			DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: "10.1.1.1"}}, tintri.PropDNSConfig); err != nil {
			t.Fatal(err)
		}
		f.sim.ResetCounters()
		res, err := f.eng.Apply(ctx, saved, ApplyOptions{FromFile: true})
		if err != nil {
			t.Fatal(err)
		}
		tr := res.Tasks[0]
		wantErr := fmt.Sprintf(`stale: changed since the plan was made (planned from %q, now "10.1.1.1")`, old)
		if tr.Failed != 1 || tr.Skipped != 2 || tr.Changed != 0 || len(tr.Errors) != 1 || tr.Errors[0].Error != wantErr {
			t.Fatalf("result %+v, want 1 stale (%s) and 2 skipped", tr, wantErr)
		}
		if got := f.sim.Writes(); got != 0 {
			t.Errorf("%d writes for a stale plan", got)
		}
		// Put vmstore-1 back so the saved plan is current again.
		if err := c.UpdateAppliance(ctx, tintri.Appliance{TypeID: tintri.TypeAppliance,
			DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: old}}, tintri.PropDNSConfig); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("applied twice changes once", func(t *testing.T) {
		f.sim.ResetCounters()
		res, err := f.eng.Apply(ctx, saved, ApplyOptions{FromFile: true})
		if err != nil {
			t.Fatal(err)
		}
		if tr := res.Tasks[0]; tr.Changed != 3 || tr.Failed != 0 {
			t.Fatalf("first apply %+v", tr)
		}
		res, err = f.eng.Apply(ctx, saved, ApplyOptions{FromFile: true})
		if err != nil {
			t.Fatal(err)
		}
		if tr := res.Tasks[0]; tr.Changed != 0 || tr.Unchanged != 3 || tr.Failed != 0 {
			t.Fatalf("second apply %+v, want 3 unchanged", tr)
		}
		if got := f.sim.Writes(); got != 3 {
			t.Errorf("%d writes over both applies, want 3", got)
		}
	})
}

func TestSelectionErrors(t *testing.T) {
	f := newEngineFixture(t, 1, dnsJob)
	tests := []struct {
		sel  Selection
		want string
	}{
		{Selection{Jobs: []string{"nope"}}, `no job named "nope" (jobs: dns)`},
		{Selection{Targets: []string{"dns"}}, `target "dns": want JOB.TASK`},
		{Selection{Targets: []string{"dns.x"}}, `target "dns.x": job dns has no task named "x" (tasks: set)`},
	}
	for _, tt := range tests {
		_, err := f.eng.Plan(context.Background(), tt.sel)
		if err == nil || err.Error() != tt.want {
			t.Errorf("plan.Plan(%+v) error = %v, want %q", tt.sel, err, tt.want)
		}
	}
}

// failingTask is a task kind whose plan.Plan fails (or panics, when panics is set).
type failingTask struct{ panics bool }

func (f failingTask) Plan(context.Context, *runner.PlanEnv) (*plan.TaskPlan, error) {
	if f.panics {
		panic("boom")
	}
	return nil, fmt.Errorf("cannot reach anything")
}

func (failingTask) Apply(context.Context, *runner.ApplyEnv, plan.Change) error { return nil }

func init() {
	type body struct {
		Panics bool `hcl:"panics,optional" doc:"Panic instead of failing."`
	}
	runner.Register("enginetest_fail", "fails to plan (tests)", func(_ *runner.DecodeContext, b *body) (runner.Task, hcl.Diagnostics) {
		return failingTask{panics: b.Panics}, nil
	})
}

func TestTaskPlanErrorsDoNotStopOthers(t *testing.T) {
	f := newEngineFixture(t, 2, `
job "mixed" {
  task "enginetest_fail" "err" {}
  task "enginetest_fail" "panic" {
    panics = true
  }
  task "enginetest_dns" "set" {
    fleet   = fleet.all
    primary = "10.9.9.9"
  }
}
`)
	ctx := context.Background()
	p, err := f.eng.Plan(ctx, Selection{})
	if err != nil {
		t.Fatal(err)
	}
	tasks := p.Jobs[0].Tasks
	if got := []string{tasks[0].Error, tasks[1].Error}; !cmp.Equal(got, []string{"cannot reach anything", "task panic panicked: boom"}) {
		t.Errorf("task errors = %q", got)
	}
	if p.Changes() != 2 || p.Failures() != 2 {
		t.Fatalf("plan: %d changes, %d failures; want 2, 2", p.Changes(), p.Failures())
	}
	res, err := f.eng.Apply(ctx, p, ApplyOptions{AllowPartial: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []plan.TaskResult{
		{Job: "mixed", Task: "err", Kind: "enginetest_fail", Failed: 1, Errors: []plan.Failure{{Error: "plan: cannot reach anything"}}},
		{Job: "mixed", Task: "panic", Kind: "enginetest_fail", Failed: 1, Errors: []plan.Failure{{Error: "plan: task panic panicked: boom"}}},
		{Job: "mixed", Task: "set", Kind: "enginetest_dns", Changed: 2, Errors: []plan.Failure{}},
	}
	if diff := cmp.Diff(want, res.Tasks, cmpopts.IgnoreFields(plan.TaskResult{}, "Changes")); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

func TestAuditLogUnwritableRefuses(t *testing.T) {
	f := newEngineFixture(t, 1, dnsJob)
	blocker := f.dir + "/not-a-dir"
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f.eng.StateDir = blocker
	p, err := f.eng.Plan(context.Background(), Selection{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.Apply(context.Background(), p, ApplyOptions{})
	if err == nil || !strings.HasPrefix(err.Error(), "apply lock: state dir: ") {
		t.Fatalf("apply error = %v, want a state dir error", err)
	}
	if w := f.sim.Writes(); w != 0 {
		t.Errorf("%d writes without an audit log", w)
	}
}

// outcomes returns the outcome records of recs, leaving out the intents.
func outcomes(recs []plan.AuditRecord) []plan.AuditRecord {
	var out []plan.AuditRecord
	for _, r := range recs {
		if r.Result != plan.AuditIntent {
			out = append(out, r)
		}
	}
	return out
}

// engineSessionCounts returns the logins and logouts the simulator served.
func engineSessionCounts(s *sim.Sim) (logins, logouts int64) {
	for _, c := range s.Counts() {
		switch c.Path {
		case "/api/v310/session/login":
			logins += c.N
		case "/api/v310/session/logout":
			logouts += c.N
		}
	}
	return logins, logouts
}

// slowTask is a task kind that reads and changes nothing: its plan.Plan visits `changes`
// targets through Env.ForEach and plans one change each; every visit and every Apply is
// counted while it runs, so tests see how many run at once.
//
//	task "enginetest_slow" "x" { changes = 12 }
type slowTask struct {
	n int
	// gate, when set, holds each call until gate calls run at once or every call of the
	// phase has started, so the peak reaches the bound whenever the engine allows it,
	// without relying on timing.
	gate                  int32
	active, peak, started atomic.Int32
}

func init() {
	type body struct {
		Changes int `hcl:"changes" doc:"How many changes to plan."`
	}
	runner.Register("enginetest_slow", "plans slow changes (tests)", func(_ *runner.DecodeContext, b *body) (runner.Task, hcl.Diagnostics) {
		return &slowTask{n: b.Changes}, nil
	})
}

// busy counts one running call and records the most seen at once.
func (s *slowTask) busy() {
	n := s.active.Add(1)
	s.started.Add(1)
	for {
		p := s.peak.Load()
		if n <= p || s.peak.CompareAndSwap(p, n) {
			break
		}
	}
	// The deadline only ends a wait an engine bug made endless (a bound below gate).
	for deadline := time.Now().Add(2 * time.Second); s.gate > 0 && time.Now().Before(deadline); {
		if s.active.Load() >= s.gate || s.started.Load() >= int32(s.n) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	s.active.Add(-1)
}

func (s *slowTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	env.ForEach(ctx, s.n, func(context.Context, int) { s.busy() })
	tp := &plan.TaskPlan{}
	for i := range s.n {
		tp.Changes = append(tp.Changes, plan.Change{Server: "none", Object: fmt.Sprintf("item %d", i), ID: fmt.Sprint(i),
			Action: plan.ActionUpdate, Summary: "touch", Before: plan.MustJSON(0), After: plan.MustJSON(1)})
	}
	return tp, nil
}

func (s *slowTask) Apply(context.Context, *runner.ApplyEnv, plan.Change) error {
	s.busy()
	return nil
}

// TestParallelism checks that Engine.Parallelism (the CLI's -parallelism) bounds the
// targets a task reads and the changes it makes at once, and that the bound is reached;
// by default as many as a fleet of 256 appliances has.
func TestParallelism(t *testing.T) {
	for _, tt := range []struct{ parallelism, want int }{{1, 1}, {3, 3}, {0, runner.DefaultParallelism()}} {
		t.Run(fmt.Sprint(tt.parallelism), func(t *testing.T) {
			changes := max(12, tt.want+4)
			cfg := engineLoadConfig(t, fmt.Sprintf(`job "j" {
  task "enginetest_slow" "t" { changes = %d }
}`, changes), nil)
			task := cfg.Task(cfg.Jobs[0].Tasks[0]).(*slowTask)
			task.gate = int32(tt.want)
			eng := &Engine{Config: cfg, Log: zerolog.Nop(), StateDir: t.TempDir(), Parallelism: tt.parallelism}
			p, err := eng.Plan(context.Background(), Selection{})
			if err != nil {
				t.Fatal(err)
			}
			if got := task.peak.Swap(0); got != int32(tt.want) {
				t.Errorf("plan: %d targets read at once, want %d", got, tt.want)
			}
			task.started.Store(0)
			res, err := eng.Apply(context.Background(), p, ApplyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Tasks[0].Changed != changes {
				t.Fatalf("apply: %+v", res.Tasks[0])
			}
			if got := task.peak.Load(); got != int32(tt.want) {
				t.Errorf("apply: %d changes made at once, want %d", got, tt.want)
			}
		})
	}
}

// TestSelection checks which jobs and tasks -job and -target pick, always in file order.
func TestSelection(t *testing.T) {
	cfg := engineLoadConfig(t, `
job "a" {
  task "enginetest_slow" "t1" { changes = 0 }
  task "enginetest_slow" "t2" { changes = 0 }
}
job "b" {
  task "enginetest_slow" "t1" { changes = 0 }
}
job "c" {
  task "enginetest_slow" "t1" { changes = 0 }
}
`, nil)
	eng := &Engine{Config: cfg, Log: zerolog.Nop(), StateDir: t.TempDir()}
	tests := []struct {
		sel  Selection
		want []string
	}{
		{Selection{}, []string{"a.t1", "a.t2", "b.t1", "c.t1"}},
		{Selection{Jobs: []string{"c", "a"}}, []string{"a.t1", "a.t2", "c.t1"}},
		{Selection{Targets: []string{"a.t2"}}, []string{"a.t2"}},
		{Selection{Jobs: []string{"b"}, Targets: []string{"c.t1", "a.t2"}}, []string{"a.t2", "b.t1", "c.t1"}},
	}
	for _, tt := range tests {
		p, err := eng.Plan(context.Background(), tt.sel)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, j := range p.Jobs {
			for _, tk := range j.Tasks {
				got = append(got, j.Name+"."+tk.Name)
			}
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("plan.Plan(%+v) tasks (-want +got):\n%s", tt.sel, diff)
		}
	}
}
