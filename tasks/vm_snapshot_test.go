package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// snapClock is the clock of the snapshot tests, shared by the engine and the simulator
// (which stamps the snapshots it takes with it), moved by set.
type snapClock struct {
	mu sync.Mutex
	at time.Time
}

func (c *snapClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.at }
func (c *snapClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.at = t }

// snapshotSim starts a simulator on clock (03:00 UTC on 2026-11-30 to begin with) and a
// harness of taskHCL whose engine uses it.
func snapshotSim(t *testing.T, taskHCL string) (*sim.Sim, *harness, *snapClock) {
	t.Helper()
	clock := &snapClock{at: time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)}
	s := startSim(t, sim.Options{VMstores: 3, VMs: 60, Seed: 3, Clock: clock.now})
	h := newHarness(t, s, taskHCL, nil)
	h.Engine.Now = clock.now
	return s, h, clock
}

// seedSnapshot adds a snapshot of the VM named vm, failing the test on error.
func seedSnapshot(t *testing.T, s *sim.Sim, vm, name string, created time.Time, mod func(*sim.SnapshotSeed)) tintri.Snapshot {
	t.Helper()
	v, ok := s.VMByName(vm)
	if !ok {
		t.Fatalf("sim has no VM %s", vm)
	}
	seed := sim.SnapshotSeed{VMID: v.ID(), Name: name, Created: created}
	if mod != nil {
		mod(&seed)
	}
	sn, err := s.AddSnapshot(seed)
	if err != nil {
		t.Fatal(err)
	}
	return sn
}

// vmOn is how a plan names a VM and its VMstore: "vm sql-prod-01 on vmstore-1 (127.0.0.1:PORT)".
func vmOn(t *testing.T, s *sim.Sim, vm string) string {
	t.Helper()
	v, _ := s.VMByName(vm)
	for _, st := range s.VMstores() {
		if st.Hostname == v.VmstoreName {
			return fmt.Sprintf("vm %s on %s (%s)", vm, st.LocalAlias, st.Hostname)
		}
	}
	t.Fatalf("no VMstore %s", v.VmstoreName)
	return ""
}

// snapshotLines renders a plan's changes as "action object: summary" and their details.
func snapshotLines(tp *plan.TaskPlan) []string {
	var out []string
	for _, ch := range tp.Changes {
		out = append(out, fmt.Sprintf("%s %s: %s", ch.Action, ch.Object, ch.Summary))
		for _, d := range ch.Details {
			out = append(out, "  "+d)
		}
	}
	return out
}

// snapshotNames lists the sim's snapshots of the VM named vm, oldest first.
func snapshotNames(s *sim.Sim, vm string) []string {
	var out []string
	for _, sn := range s.Snapshots() {
		if sn.VMName == vm {
			out = append(out, sn.Description)
		}
	}
	return out
}

// nightlyDays are snapshot names of the nightly task on the given November days, 02:00 UTC.
func nightlyDays(days ...int) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = fmt.Sprintf("nightly-2026-11-%02d-020000", d)
	}
	return out
}

const nightlyTask = `
  task "vm_snapshot" "nightly" {
    server      = server.tgc
    fleet       = fleet.lab
    name_regex  = "^sql-prod-0[1-4]$"
    prefix      = "nightly"
    consistency = "vm"
    keep_last   = 7
  }`

// seedNightly gives sql-prod-01 nine nightly snapshots (November 21 to 29; the 22nd's has a
// clone) and snapshots that are not the task's (another name, one that only starts with the
// prefix, another task's whose prefix starts with this one's, a scheduled one), and
// sql-prod-02 one taken today.
func seedNightly(t *testing.T, s *sim.Sim) {
	t.Helper()
	for d := 21; d <= 29; d++ {
		seedSnapshot(t, s, "sql-prod-01", nightlyDays(d)[0], time.Date(2026, 11, d, 2, 0, 3, 0, time.UTC), func(sd *sim.SnapshotSeed) {
			if d == 22 {
				sd.CloneReferenceCount = 1
			}
		})
	}
	old := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	seedSnapshot(t, s, "sql-prod-01", "manual-before-upgrade", old, nil)
	seedSnapshot(t, s, "sql-prod-01", "nightly-test", old, nil)
	seedSnapshot(t, s, "sql-prod-01", "nightly-sql-2026-11-20-020000", old, nil) // a task with prefix nightly-sql took it
	seedSnapshot(t, s, "sql-prod-01", nightlyDays(1)[0], old, func(sd *sim.SnapshotSeed) { sd.Type = tintri.SnapshotScheduled })
	seedSnapshot(t, s, "sql-prod-02", "nightly-2026-11-30-013000", time.Date(2026, 11, 30, 1, 30, 0, 0, time.UTC), nil)
}

// TestVMSnapshotPlanApply plans, applies and plans again: a snapshot for each selected VM
// without one of today's window, the nightly snapshots beyond keep_last deleted except
// the one with a clone, nothing of another name or type touched; the second plan is empty
// and its apply writes nothing; the next day's plan takes the next ones.
func TestVMSnapshotPlanApply(t *testing.T) {
	s, h, clock := snapshotSim(t, nightlyTask)
	seedNightly(t, s)
	s.ResetCounters()
	tp := h.plan()
	want := []string{
		"create " + vmOn(t, s, "sql-prod-01") + ": take snapshot nightly-2026-11-30-030000 (VM consistent)",
		"delete " + vmOn(t, s, "sql-prod-01") + ": delete 2 expired snapshots (beyond keep_last 7)",
		"  - nightly-2026-11-21-020000 taken 2026-11-21 02:00 UTC",
		"  - nightly-2026-11-23-020000 taken 2026-11-23 02:00 UTC",
		"create " + vmOn(t, s, "sql-prod-03") + ": take snapshot nightly-2026-11-30-030000 (VM consistent)",
		"create " + vmOn(t, s, "sql-prod-04") + ": take snapshot nightly-2026-11-30-030000 (VM consistent)",
	}
	if diff := cmp.Diff(want, snapshotLines(tp)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	wantNotes := []string{
		"vm sql-prod-01: snapshot nightly-2026-11-22-020000 has 1 clone: kept although expired (beyond keep_last 7)",
		`vm sql-prod-01: snapshot "nightly-sql-2026-11-20-020000" starts with the prefix but is not a name the template gives: not this task's, left alone`,
		`vm sql-prod-01: snapshot "nightly-test" starts with the prefix but is not a name the template gives: not this task's, left alone`,
		"4 VMs selected: 3 to snapshot, 1 with a snapshot of the window since 2026-11-30 00:00 UTC; 2 expired snapshots to delete",
		vmOn(t, s, "sql-prod-02"),
	}
	if diff := cmp.Diff(wantNotes, slices.Concat(tp.Warnings, tp.Info, tp.Unchanged)); diff != "" {
		t.Errorf("warnings, info, unchanged (-want +got):\n%s", diff)
	}
	checkSnapshotChanges(t, s, tp)
	// One VM listing on the TGC; on each of the two VMstores holding selected VMs one
	// snapshot listing and one appliance read (its alias); nothing per VM.
	reads := map[string]int64{}
	for _, c := range s.Counts() {
		if c.Method == "GET" && c.Path != "/api/info" {
			reads[c.Server+" "+c.Path] += c.N
		}
	}
	wantReads := map[string]int64{"tgc /api/v310/vm": 1}
	for _, vm := range []string{"sql-prod-01", "sql-prod-03"} { // sql-prod-02 and -04 are with -01
		v, _ := s.VMByName(vm)
		for _, st := range s.VMstores() {
			if st.Hostname == v.VmstoreName {
				wantReads[st.LocalAlias+" /api/v310/snapshot"] = 1
				wantReads[st.LocalAlias+" /api/v310/appliance/{uuid}"] = 1
			}
		}
	}
	if diff := cmp.Diff(wantReads, reads); diff != "" {
		t.Errorf("plan reads (-want +got):\n%s", diff)
	}

	h.apply()
	if diff := cmp.Diff(map[string]int64{"POST /api/v310/snapshot": 3, "DELETE /api/v310/snapshot/{id}": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	wantLeft := slices.Concat([]string{"manual-before-upgrade", "nightly-test", "nightly-sql-2026-11-20-020000", "nightly-2026-11-01-020000"},
		nightlyDays(22, 24, 25, 26, 27, 28, 29), []string{"nightly-2026-11-30-030000"})
	if diff := cmp.Diff(wantLeft, snapshotNames(s, "sql-prod-01")); diff != "" {
		t.Errorf("sql-prod-01 snapshots (-want +got):\n%s", diff)
	}
	for _, sn := range s.Snapshots() {
		if sn.Description == "nightly-2026-11-30-030000" && (sn.Consistency != tintri.ConsistencyVM || sn.Type != tintri.SnapshotUserGenerated) {
			t.Errorf("taken snapshot %+v, want a VM-consistent user snapshot", sn)
		}
	}

	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 || len(tp.Unchanged) != 4 {
		t.Errorf("second plan: %v, unchanged %v; want no change, 4 unchanged", snapshotLines(tp), tp.Unchanged)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second plan and apply made %d writes", w)
	}

	// The next day is a new window: every VM gets its snapshot; sql-prod-01 loses the 24th.
	clock.set(time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
	tp = h.plan()
	want = []string{
		"create " + vmOn(t, s, "sql-prod-01") + ": take snapshot nightly-2026-12-01-030000 (VM consistent)",
		"delete " + vmOn(t, s, "sql-prod-01") + ": delete 1 expired snapshot (beyond keep_last 7)",
		"  - nightly-2026-11-24-020000 taken 2026-11-24 02:00 UTC",
	}
	for _, vm := range []string{"sql-prod-02", "sql-prod-03", "sql-prod-04"} {
		want = append(want, "create "+vmOn(t, s, vm)+": take snapshot nightly-2026-12-01-030000 (VM consistent)")
	}
	if diff := cmp.Diff(want, snapshotLines(tp)); diff != "" {
		t.Errorf("next day's changes (-want +got):\n%s", diff)
	}
}

// checkSnapshotChanges checks the addresses, ids, values and claims of the first plan of
// TestVMSnapshotPlanApply.
func checkSnapshotChanges(t *testing.T, s *sim.Sim, tp *plan.TaskPlan) {
	t.Helper()
	vm1, _ := s.VMByName("sql-prod-01")
	vm2, _ := s.VMByName("sql-prod-02")
	key, _ := config.MemberKey(vm1.VmstoreName)
	create, del := tp.Changes[0], tp.Changes[1]
	wantCreate := plan.Change{Server: key, Object: create.Object, ID: vm1.ID() + "/snapshot/nightly-2026-11-30-030000",
		Action: plan.ActionCreate, Summary: create.Summary, Before: plan.MustJSON(nil),
		After: plan.MustJSON(snapshotCreate{VM: "sql-prod-01", VMUUID: vm1.ID(), Name: "nightly-2026-11-30-030000",
			Consistency: tintri.ConsistencyVM, WindowStart: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)}),
		Addresses: []string{"tgc/vm/" + vm1.ID() + "/snapshot/nightly-2026-11-30-030000"}, Objects: 1}
	if diff := cmp.Diff(wantCreate, create); diff != "" {
		t.Errorf("create change (-want +got):\n%s", diff)
	}
	var gone snapshotsGone
	if err := json.Unmarshal(del.Before, &gone); err != nil {
		t.Fatal(err)
	}
	if del.Server != key || del.ID != vm1.ID()+"/expired" || del.Objects != 2 || string(del.After) != "null" ||
		!slices.Equal(del.Addresses, []string{"tgc/vm/" + vm1.ID() + "/snapshots/nightly-{date}-{time}"}) ||
		len(gone.Snapshots) != 2 || gone.Snapshots[0].Name != "nightly-2026-11-21-020000" || gone.VMUUID != vm1.ID() {
		t.Errorf("delete change = %+v, before %+v", del, gone)
	}
	retention := `{"consistency":"VM_CONSISTENT","keep_last":7}`
	for addr, want := range map[string]string{
		"tgc/vm/" + vm1.ID() + "/snapshots/nightly-{date}-{time}":    retention,
		"tgc/vm/" + vm2.ID() + "/snapshots/nightly-{date}-{time}":    retention,
		"tgc/vm/" + vm1.ID() + "/snapshot/nightly-2026-11-30-030000": `"present"`,
		"tgc/vm/" + vm2.ID() + "/snapshot/nightly-2026-11-30-013000": `"present"`,
	} {
		if got := tp.Claims[addr]; got != want {
			t.Errorf("claim %s = %s, want %s", addr, got, want)
		}
	}
	if len(tp.Claims) != 4+3+1 {
		t.Errorf("%d claims, want 8 (4 retentions, 3 snapshots to take, 1 taken): %v", len(tp.Claims), tp.Claims)
	}
}

// TestVMSnapshotApplyTakesNothingTwice applies a plan after part of it was made behind its
// back, as by an earlier apply that was interrupted: the snapshot already taken is not
// taken again (apply checks by name first), the snapshot already deleted is not deleted
// again, and a snapshot that got a clone since the plan is not deleted (stale).
func TestVMSnapshotApplyTakesNothingTwice(t *testing.T) {
	s, h, _ := snapshotSim(t, nightlyTask)
	seedNightly(t, s)
	p, err := h.Engine.Plan(context.Background(), engine.Selection{Jobs: []string{"test"}})
	if err != nil {
		t.Fatal(err)
	}
	vm3, _ := s.VMByName("sql-prod-03")
	store := simClientAt(t, s, "https://"+vm3.VmstoreName)
	spec := tintri.SnapshotSpec{Consistency: tintri.ConsistencyVM, SnapshotName: "nightly-2026-11-30-030000", SourceVMTintriUUID: vm3.ID()}
	if _, err := store.CreateSnapshots(context.Background(), []tintri.SnapshotSpec{spec}); err != nil {
		t.Fatal(err)
	}
	var gone snapshotsGone
	if err := json.Unmarshal(p.Jobs[0].Tasks[0].Changes[1].Before, &gone); err != nil {
		t.Fatal(err)
	}
	vm1, _ := s.VMByName("sql-prod-01")
	if err := simClientAt(t, s, "https://"+vm1.VmstoreName).DeleteSnapshot(context.Background(), gone.Snapshots[0].UUID); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCloneReferenceCount(gone.Snapshots[1].UUID, 2); err != nil {
		t.Fatal(err)
	}
	s.ResetCounters()
	res, err := h.Engine.Apply(context.Background(), p, engine.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int64{"POST /api/v310/snapshot": 2}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	wantErr := "stale: changed since the plan: the clone count of snapshot nightly-2026-11-23-020000 is 2 now, 0 at plan time; nothing written, run plan again"
	if tr := res.Tasks[0]; tr.Failed != 1 || len(tr.Errors) != 1 || tr.Errors[0].Error != wantErr {
		t.Errorf("apply result %+v, want the deletion failed: %s", tr, wantErr)
	}
	if n := strings.Count(strings.Join(snapshotNames(s, "sql-prod-03"), " "), "nightly-2026-11-30-030000"); n != 1 {
		t.Errorf("sql-prod-03 has %d snapshots of the window, want 1", n)
	}
}

// TestVMSnapshotSavedPlanAlreadyMade applies a saved plan (as from a plan file) after the
// same plan was applied: every change is found already made, nothing is written.
func TestVMSnapshotSavedPlanAlreadyMade(t *testing.T) {
	s, h, _ := snapshotSim(t, nightlyTask)
	seedNightly(t, s)
	ctx := context.Background()
	saved := h.savedPlan()
	h.apply()
	s.ResetCounters()
	res, err := h.Engine.Apply(ctx, saved, engine.ApplyOptions{FromFile: true})
	if err != nil {
		t.Fatal(err)
	}
	// 1 VM unchanged in the plan, and its 4 changes (3 snapshots, 1 deletion) made already.
	if tr := res.Tasks[0]; s.Writes() != 0 || tr.Unchanged != 1+4 || tr.Failed != 0 || tr.Changed != 0 {
		t.Errorf("saved plan applied again: %d writes, result %+v; want every change already made", s.Writes(), tr)
	}
}

// TestVMSnapshotMaxAge: with max_age alone, the task's snapshots older than it are deleted
// whatever their number; with keep_last too, only those beyond keep_last.
func TestVMSnapshotMaxAge(t *testing.T) {
	for _, tc := range []struct {
		name, retention string
		want            []string
	}{
		// Now is 2026-11-30 03:00: the 27th's, taken 73 hours ago, is too old.
		{"max_age", `max_age = "72h"`, nightlyDays(21, 22, 23, 24, 25, 26, 27)},
		{"max_age and keep_last", "max_age = \"72h\"\n    keep_last = 5", nightlyDays(21, 22, 23, 24, 25)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, h, _ := snapshotSim(t, `
  task "vm_snapshot" "nightly" {
    server    = server.tgc
    servers   = [server.vmstore0, server.vmstore1, server.vmstore2]
    vms       = ["sql-prod-05"]
    prefix    = "nightly"
    `+tc.retention+`
  }`)
			for d := 21; d <= 29; d++ {
				seedSnapshot(t, s, "sql-prod-05", nightlyDays(d)[0], time.Date(2026, 11, d, 2, 0, 0, 0, time.UTC), nil)
			}
			tp := h.plan()
			if len(tp.Changes) != 2 {
				t.Fatalf("changes: %v", snapshotLines(tp))
			}
			var gone snapshotsGone
			if err := json.Unmarshal(tp.Changes[1].Before, &gone); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, sn := range gone.Snapshots {
				names = append(names, sn.Name)
			}
			if diff := cmp.Diff(tc.want, names); diff != "" {
				t.Errorf("expired (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVMSnapshotVMOnOtherVMstore: a selected VM whose VMstore is not a target fails, with
// the VMstore named; the other VMs are planned.
func TestVMSnapshotVMOnOtherVMstore(t *testing.T) {
	s, h, _ := snapshotSim(t, `
  task "vm_snapshot" "nightly" {
    server     = server.tgc
    servers    = [server.vmstore1]
    name_regex = "^sql-prod-0[1-4]$"
    keep_last  = 3
  }`)
	tp := h.plan()
	var onStore1, failed []string
	for _, vm := range []string{"sql-prod-01", "sql-prod-02", "sql-prod-03", "sql-prod-04"} {
		v, _ := s.VMByName(vm)
		if v.VmstoreName == strings.TrimPrefix(s.VMstoreURLs()[1], "https://") {
			onStore1 = append(onStore1, vm)
		} else {
			failed = append(failed, fmt.Sprintf("%s vm %s: its VMstore %s is not one of the task's VMstores (%s): no snapshot taken",
				v.VmstoreName, vm, v.VmstoreName, strings.TrimPrefix(s.VMstoreURLs()[1], "https://")))
		}
	}
	var got []string
	for _, f := range tp.Failed {
		got = append(got, f.String())
	}
	sort.Strings(failed)
	sort.Strings(got)
	if len(onStore1) == 0 || len(failed) == 0 || len(tp.Changes) != len(onStore1) {
		t.Fatalf("want VMs on vmstore1 and elsewhere: on it %v, changes %v", onStore1, snapshotLines(tp))
	}
	if diff := cmp.Diff(failed, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(tp.Changes[0].Summary, "take snapshot test-nightly-2026-11-30-030000 ") {
		t.Errorf("default name: %s", tp.Changes[0].Summary)
	}
}

func TestVMSnapshotDecodeErrors(t *testing.T) {
	l := taskLine
	head := "\n  task \"vm_snapshot\" \"t\" {\n    server = server.tgc\n    fleet  = fleet.lab\n" // task lines 1-4
	sel := "    vms    = [\"sql-prod-01\"]\n"                                                     // line 5
	cases := []struct {
		name, body string // from task line 5
		want       []string
	}{
		{"name not starting with the prefix", sel + "    name = \"{date}-{prefix}\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid name: The name template "{date}-{prefix}" must start with {prefix}: the task recognises its snapshots by it.`, l(6))}},
		{"name without date or time", sel + "    name = \"{prefix}-daily\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid name: The name template "{prefix}-daily" must hold {date}, {time} or {datetime}, so that each window's snapshot has its own name.`, l(6))}},
		{"unknown placeholder", sel + "    name = \"{prefix}-{vm}-{date}\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid name: The name placeholder {vm} is not one of {prefix} {date} {time} {datetime} {job} {task}.`, l(6))}},
		{"empty prefix", sel + "    prefix = \" \"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid prefix: The prefix must not be empty: it tells this task's snapshots from the others.`, l(6))}},
		{"prefix with a clock placeholder", sel + "    prefix = \"{date}\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid prefix: The prefix "{date}" may hold the placeholders {job} and {task} only, and no control characters.`, l(6))}},
		{"keep_last 0", sel + "    keep_last = 0\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid keep_last: The keep_last attribute must be between 1 and 128, not 0.`, l(6))}},
		{"keep_last over the VMstore's limit", sel + "    keep_last = 129\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid keep_last: The keep_last attribute must be between 1 and 128, not 129.`, l(6))}},
		{"no retention", sel, []string{
			fmt.Sprintf(`job.hcl:%d: Missing retention: Set keep_last, max_age or both: without them the snapshots would pile up to the VMstore's limit of 128 per VM.`, l(2))}},
		{"unknown consistency", sel + "    consistency = \"app\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid consistency: The consistency attribute must be one of "crash", "vm", not "app".`, l(6))}},
		{"max_age in days", sel + "    max_age = \"7d\"\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid max_age: The max_age attribute must be a duration such as "30s", "10m" or "1h30m", not "7d".`, l(6))}},
		{"max_age shorter than the window", sel + "    max_age = \"12h\"\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid max_age: The max_age 12h is shorter than the window 24h: each window's snapshot would expire before the next one is due.`, l(6))}},
		{"window too short", sel + "    window = \"30m\"\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Invalid window: The window must be at least 1h, not 30m.`, l(6))}},
		{"no selection", "    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Missing VM selection: Select VMs with at least one of name_contains, name_regex, name_glob, service_group, vms and vms_csv.`, l(2))}},
		{"fleet and servers", sel + "    servers = [server.vmstore0]\n    keep_last = 3\n", []string{
			fmt.Sprintf(`job.hcl:%d: Conflicting targets: Set either fleet or servers, not both.`, l(6))}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := diagLines(decodeTask(t, head+c.body+"  }", nil))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVMSnapshotVMAtSnapshotLimit: a VM with 128 snapshots, none of them expired ones of
// the task, cannot get another: the plan fails it rather than apply failing.
func TestVMSnapshotVMAtSnapshotLimit(t *testing.T) {
	s, h, _ := snapshotSim(t, `
  task "vm_snapshot" "nightly" {
    server    = server.tgc
    fleet     = fleet.lab
    vms       = ["sql-prod-05"]
    keep_last = 7
  }`)
	for i := range 128 {
		seedSnapshot(t, s, "sql-prod-05", fmt.Sprintf("hourly-%03d", i), time.Date(2026, 11, 20, 0, i, 0, 0, time.UTC),
			func(sd *sim.SnapshotSeed) { sd.Type = tintri.SnapshotScheduled })
	}
	tp := h.plan()
	vm, _ := s.VMByName("sql-prod-05")
	want := []string{vm.VmstoreName + " " + vmOn(t, s, "sql-prod-05") +
		": the VM has 128 snapshots, the most a VM can have: no snapshot taken; delete some or lower keep_last"}
	var got []string
	for _, f := range tp.Failed {
		got = append(got, f.String())
	}
	if len(tp.Changes) != 0 || !cmp.Equal(want, got) {
		t.Errorf("plan: changes %v, failed %q; want none and %q", snapshotLines(tp), got, want)
	}
}

// BenchmarkVMSnapshotPlan2k measures a plan over 2,000 VMs on 3 VMstores with 5 snapshots
// each: one VM listing on the TGC and one snapshot listing per VMstore, nothing per VM.
func BenchmarkVMSnapshotPlan2k(b *testing.B) {
	s := startSim(b, sim.Options{VMs: 2000, VMstores: 3, Seed: 1})
	at := time.Date(2026, 11, 30, 3, 0, 0, 0, time.UTC)
	for _, vm := range s.VMs() {
		for d := 25; d < 30; d++ {
			if _, err := s.AddSnapshot(sim.SnapshotSeed{VMID: vm.ID(), Name: fmt.Sprintf("n-2026-11-%02d-020000", d), Created: time.Date(2026, 11, d, 2, 0, 0, 0, time.UTC)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	h := newHarness(b, s, `
  task "vm_snapshot" "all" {
    server    = server.tgc
    fleet     = fleet.lab
    name_glob = "*"
    prefix    = "n"
    keep_last = 5
  }`, nil)
	h.Engine.Now = func() time.Time { return at }
	for b.Loop() {
		if tp := h.plan(); len(tp.Changes) != 4000 {
			b.Fatalf("%d changes, want 2000 snapshots and 2000 deletions", len(tp.Changes))
		}
	}
}

// TestVMSnapshotWindows: windows are aligned to UTC whatever the clock: with window = "1h"
// the clock hour, with "168h" the week from Monday 00:00 UTC. A VM whose snapshot of the
// task was taken just before the current window began gets a new one; a VM whose snapshot
// was taken just after is unchanged.
func TestVMSnapshotWindows(t *testing.T) {
	utc := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, time.UTC)
	}
	for _, tc := range []struct {
		window             string
		now, start         time.Time
		justBefore, justIn time.Time // snapshots of sql-prod-01 and sql-prod-02
	}{
		// 2026-11-30 is a Monday.
		{"1h", utc(11, 30, 3, 25), utc(11, 30, 3, 0), utc(11, 30, 2, 59), utc(11, 30, 3, 1)},
		{"168h", utc(12, 2, 10, 0), utc(11, 30, 0, 0), utc(11, 29, 23, 0), utc(11, 30, 0, 30)},
	} {
		t.Run(tc.window, func(t *testing.T) {
			s, h, clock := snapshotSim(t, `
  task "vm_snapshot" "w" {
    server    = server.tgc
    fleet     = fleet.lab
    vms       = ["sql-prod-01", "sql-prod-02"]
    prefix    = "w"
    keep_last = 10
    window    = "`+tc.window+`"
  }`)
			clock.set(tc.now)
			name := func(at time.Time) string { return "w-" + at.Format("2006-01-02-150405") }
			seedSnapshot(t, s, "sql-prod-01", name(tc.justBefore), tc.justBefore, nil)
			seedSnapshot(t, s, "sql-prod-02", name(tc.justIn), tc.justIn, nil)
			tp := h.plan()
			want := []string{"create " + vmOn(t, s, "sql-prod-01") + ": take snapshot " + name(tc.now) + " (crash consistent)"}
			if diff := cmp.Diff(want, snapshotLines(tp)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			var after snapshotCreate
			if len(tp.Changes) == 1 {
				if err := json.Unmarshal(tp.Changes[0].After, &after); err != nil {
					t.Fatal(err)
				}
			}
			if !after.WindowStart.Equal(tc.start) {
				t.Errorf("window start %v, want %v", after.WindowStart, tc.start)
			}
			if want := []string{vmOn(t, s, "sql-prod-02")}; !slices.Equal(tp.Unchanged, want) {
				t.Errorf("unchanged %v, want %v", tp.Unchanged, want)
			}
		})
	}
}
