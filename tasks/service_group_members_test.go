package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

// memberNames returns the sim's members of group, sorted.
func memberNames(s *sim.Sim, group string) []string {
	var out []string
	for _, m := range s.ServiceGroupMembers(group) {
		out = append(out, m.MemberName)
	}
	sort.Strings(out)
	return out
}

func TestServiceGroupMembersEndToEnd(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	before := memberNames(s, "VDI")
	if len(before) != 10 || before[0] != "vdi-0001" || before[9] != "vdi-0010" {
		t.Fatalf("sim VDI members = %v, want vdi-0001..vdi-0010", before)
	}
	// testdata/sgm/vms.csv (BOM, CRLF, header, comment, blank line, spaces, quotes, a
	// duplicate, an unknown name): vdi-0009..vdi-0012 exist and 0009/0010 are members
	// already, so the change adds 2; exact mode removes vdi-0001..vdi-0008, which
	// max_unknown_percent allows with 1 of the 5 names unknown.
	h := newHarness(t, s, `
  task "service_group_members" "vdi" {
    server              = server.tgc
    service_group       = "VDI"
    csv                 = "lists/vms.csv"
    mode                = "exact"
    max_unknown_percent = 20
    chunk_size          = 3
  }`, map[string]string{"lists/vms.csv": readTestdata(t, "sgm/vms.csv")})

	s.ResetCounters()
	tp := h.plan()
	if len(tp.Changes) != 1 {
		t.Fatalf("plan changes = %+v, want 1", tp.Changes)
	}
	ch := tp.Changes[0]
	wantDetails := []string{"+ vdi-0011", "+ vdi-0012", "- vdi-0001", "- vdi-0002", "- vdi-0003", "- vdi-0004",
		"- vdi-0005", "- vdi-0006", "- vdi-0007", "- vdi-0008"}
	if diff := cmp.Diff(wantDetails, ch.Details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	if ch.Object != "service group VDI" || ch.Summary != "add 2, remove 8 static members (10 → 4 members)" {
		t.Errorf("change = %q / %q", ch.Object, ch.Summary)
	}
	var beforeJSON []string
	if err := json.Unmarshal(ch.Before, &beforeJSON); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, beforeJSON); diff != "" {
		t.Errorf("Before (-want +got):\n%s", diff)
	}
	var after sgmAfter
	if err := json.Unmarshal(ch.After, &after); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"vdi-0009", "vdi-0010", "vdi-0011", "vdi-0012"}, after.Members); diff != "" {
		t.Errorf("After.Members (-want +got):\n%s", diff)
	}
	wantWarn := []string{`VM "ghost-01" (lists/vms.csv:8) not found on tgc`}
	if diff := cmp.Diff(wantWarn, tp.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	wantCoded := []plan.Warning{{Code: plan.WarnUnknownVM, Message: wantWarn[0], File: "lists/vms.csv", Line: 8}}
	if diff := cmp.Diff(wantCoded, tp.Coded); diff != "" {
		t.Errorf("coded warnings (-want +got):\n%s", diff)
	}
	goldenJSON(t, "sgm/plan.golden.json", tp)

	s.ResetCounters()
	h.apply()
	// 10 ids in chunks of 3: 4 PUTs.
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/servicegroup/{id}/members/static": 4}, writesByRoute(s)); diff != "" {
		t.Errorf("apply writes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"vdi-0009", "vdi-0010", "vdi-0011", "vdi-0012"}, memberNames(s, "VDI")); diff != "" {
		t.Errorf("members after apply (-want +got):\n%s", diff)
	}

	s.ResetCounters()
	if tp := h.plan(); len(tp.Changes) != 0 || len(tp.Unchanged) != 1 {
		t.Errorf("second plan = %+v, want no change and 1 unchanged", tp)
	}
	h.apply()
	if w := s.Writes(); w != 0 {
		t.Errorf("second plan+apply made %d writes", w)
	}
}

// loadWarnings loads the harness's job again and returns its warnings as diagLines.
func loadWarnings(t *testing.T, h *harness) []string {
	t.Helper()
	_, diags := loadDir(t, h.Dir, simEnviron(h.Sim))
	var warns hcl.Diagnostics
	for _, d := range diags {
		if d.Severity == hcl.DiagWarning {
			warns = append(warns, d)
		}
	}
	return diagLines(warns)
}

// TestServiceGroupMembersCSVOddities imports each oddity admins' exports have into the
// empty group, end to end: the plan writes nothing and adds exactly the listed VMs, the
// apply makes one PUT and the group then holds them, a second plan and apply write
// nothing, and a duplicate draws one warning naming every line it is on.
func TestServiceGroupMembersCSVOddities(t *testing.T) {
	cases := []struct {
		name, csv string
		want      []string // members after apply, sorted
		warnings  []string
	}{
		{name: "bom and crlf with header", csv: "\uFEFFVM Name,Owner\r\nvdi-0001,ops\r\nvdi-0002,ops\r\n",
			want: []string{"vdi-0001", "vdi-0002"}},
		{name: "blank lines and comments", csv: "# exported 2026-11-26\n\nvdi-0003\n\n# vdi-0004 moved\n   \nvdi-0005\n",
			want: []string{"vdi-0003", "vdi-0005"}},
		{name: "surrounding spaces", csv: "  vdi-0006  \r\n\t vdi-0007\t\r\n\" vdi-0008 \"\r\n",
			want: []string{"vdi-0006", "vdi-0007", "vdi-0008"}},
		{name: "quoted names with commas", csv: "Name,Owner\n\"Finance, Q4 desktop\",\"ops, finance\"\n\"vdi-0009\",ops\n",
			want: []string{"Finance, Q4 desktop", "vdi-0009"}},
		{name: "names across columns without header", csv: "vdi-0010,vdi-0011\nvdi-0012\n",
			want: []string{"vdi-0010", "vdi-0011", "vdi-0012"}},
		{name: "duplicates reported once", csv: "vdi-0013\nvdi-0014\n vdi-0013 \n\"vdi-0013\"\nvdi-0014\n",
			want: []string{"vdi-0013", "vdi-0014"},
			warnings: []string{
				`vms.csv:3: Duplicate VM name: "vdi-0013" is listed on lines 1, 3 and 4 of vms.csv; it counts once.`,
				`vms.csv:5: Duplicate VM name: "vdi-0014" is listed on lines 2 and 5 of vms.csv; it counts once.`,
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startSim(t, sim.Options{VMs: 40, Seed: 3})
			s.AddVM("Finance, Q4 desktop", 1)
			h := newHarness(t, s, `
  task "service_group_members" "import" {
    server        = server.tgc
    service_group = "Empty Group"
    csv           = "vms.csv"
    on_unknown_vm = "fail"
  }`, map[string]string{"vms.csv": c.csv})
			if diff := cmp.Diff(c.warnings, loadWarnings(t, h), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("load warnings (-want +got):\n%s", diff)
			}
			s.ResetCounters()
			tp := h.plan()
			var wantDetails []string
			for _, n := range c.want {
				wantDetails = append(wantDetails, "+ "+n)
			}
			if len(tp.Changes) != 1 {
				t.Fatalf("changes = %+v, want 1", tp.Changes)
			}
			if diff := cmp.Diff(wantDetails, tp.Changes[0].Details); diff != "" {
				t.Errorf("details (-want +got):\n%s", diff)
			}
			h.apply()
			if diff := cmp.Diff(map[string]int64{"PUT /api/v310/servicegroup/{id}/members/static": 1}, writesByRoute(s)); diff != "" {
				t.Errorf("apply writes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.want, memberNames(s, "Empty Group")); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
			s.ResetCounters()
			if tp := h.plan(); len(tp.Changes) != 0 {
				t.Errorf("second plan changes = %+v", tp.Changes)
			}
			h.apply()
			if w := s.Writes(); w != 0 {
				t.Errorf("second plan and apply made %d writes", w)
			}
		})
	}
}

// sgmTask returns a service_group_members block (header on line 2) with extra attributes.
func sgmTaskHCL(extra string) string {
	return "\n  task \"service_group_members\" \"t\" {\n    server        = server.tgc\n    service_group = \"VDI\"\n" + extra + "  }"
}

func TestServiceGroupMembersDecodeErrors(t *testing.T) {
	l := taskLine
	cases := []struct {
		name  string
		extra string // attributes from line 5 of the task on
		files map[string]string
		want  []string
	}{
		{"bad mode", "    vms = [\"a\"]\n    mode = \"replace\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid mode: The mode attribute must be one of "add", "exact", not "replace".`, l(6))}},
		{"bad on_unknown_vm", "    vms = [\"a\"]\n    on_unknown_vm = \"ignore\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid on_unknown_vm: The on_unknown_vm attribute must be one of "warn", "fail", not "ignore".`, l(6))}},
		{"chunk size zero", "    vms = [\"a\"]\n    chunk_size = 0\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid chunk_size: The chunk_size attribute must be between 1 and 10000, not 0.`, l(6))}},
		{"chunk size fraction", "    vms = [\"a\"]\n    chunk_size = 2.5\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid chunk_size: The chunk_size attribute must be a whole number, not 2.5.`, l(6))}},
		{"no names", "", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Missing VM names: Set csv (a file of VM names) or vms (a list of VM names), or both.`, l(2))}},
		{"empty vms", "    vms = []\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Empty vms: The vms attribute must list at least one VM name.`, l(5))}},
		{"column without csv", "    vms = [\"a\"]\n    csv_column = \"Name\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Column without a file: The csv_column attribute picks a column of the csv file; set csv too.`, l(6))}},
		{"missing file", "    csv = \"nope.csv\"\n", nil, []string{
			fmt.Sprintf(`job.hcl:%d: Unreadable VM list: Cannot read the VM list: read nope.csv: open nope.csv: no such file or directory.`, l(5))}},
		{"malformed quote", "    csv = \"vms.csv\"\n", map[string]string{"vms.csv": "vdi-0001\n\"vdi-0002,x\n"}, []string{
			`vms.csv:2: Invalid VM list: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "\"vdi-0002,x".`}},
		{"bare quote", "    csv = \"vms.csv\"\n", map[string]string{"vms.csv": "vdi-0001\r\nvdi\"0002\r\n"}, []string{
			`vms.csv:2: Invalid VM list: quote inside an unquoted cell (quote the whole cell and write inner quotes as "") in "vdi\"0002".`}},
		{"empty file", "    csv = \"vms.csv\"\n", map[string]string{"vms.csv": "\uFEFF# nothing yet\r\n\r\n  \r\n"}, []string{
			`vms.csv:1: Invalid VM list: no VM names: the file is empty.`}},
		{"header without names", "    csv = \"vms.csv\"\n", map[string]string{"vms.csv": "# list\nVM,Owner\n,ops\n"}, []string{
			`vms.csv:2: Invalid VM list: no VM names: the file has a header but no names under it.`}},
		{"column missing", "    csv = \"vms.csv\"\n    csv_column = \"Guest\"\n", map[string]string{"vms.csv": "Name,Owner, Site \nvdi-0001,ops,a\n"}, []string{
			`vms.csv:1: Invalid VM list: no column "Guest" in the header; the columns are "Name", "Owner", "Site".`}},
		{"wrong server kind", "", nil, nil}, // filled below
		{"duplicates warn", "    csv = \"vms.csv\"\n", map[string]string{"vms.csv": "vdi-0001\nvdi-0002\n\"vdi-0001\"\nvdi-0001\n"}, []string{
			`vms.csv:3: Duplicate VM name: "vdi-0001" is listed on lines 1, 3 and 4 of vms.csv; it counts once.`}},
		{"blank column", "    csv = \"vms.csv\"\n    csv_column = \" \"\n", map[string]string{"vms.csv": "vdi-0001\n"}, []string{
			fmt.Sprintf(`job.hcl:%d: Invalid csv_column: The csv_column attribute must not be empty.`, l(6))}},
	}
	cases[13].extra = "    vms = [\"a\"]\n"
	for i := range cases {
		c := &cases[i]
		task := sgmTaskHCL(c.extra)
		if c.name == "wrong server kind" {
			task = strings.Replace(task, "server.tgc", "server.vmstore0", 1)
			c.want = []string{fmt.Sprintf(`job.hcl:%d: Wrong server kind: Server "vmstore0" is a vmstore, but a tgc is required here.`, l(3))}
		}
		t.Run(c.name, func(t *testing.T) {
			got := diagLines(decodeTask(t, task, c.files))
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceGroupMembersPlanErrors(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 40, Seed: 3})
	cases := []struct {
		name, task, want string
	}{
		{"unknown group", `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "VDl"
    vms           = ["vdi-0001"]
  }`, `server tgc: service group "VDl" not found (did you mean "VDI"?)`},
		{"unknown vm fails", `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "Empty Group"
    vms           = ["vdi-0001", "vdi-001", "nobody"]
    on_unknown_vm = "fail"
  }`, `server tgc: 2 VM names not found (on_unknown_vm = "fail"): VM "vdi-001" (vms) not found on tgc (did you mean "vdi-0001", "vdi-0010", "vdi-0011"?); VM "nobody" (vms) not found on tgc`},
	}
	many := []string{`"vdi-0001"`} // one known name: the rest are not a list that means nothing
	var listed []string
	for i := 1; i <= 25; i++ {
		n := fmt.Sprintf("zzzzzzzzzzzz-%02d", i)
		many = append(many, fmt.Sprintf("%q", n))
		if i <= 20 {
			listed = append(listed, fmt.Sprintf(`VM %q (vms) not found on tgc`, n))
		}
	}
	cases = append(cases, struct{ name, task, want string }{"many unknown vms", `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "VDI"
    vms           = [` + strings.Join(many, ", ") + `]
    on_unknown_vm = "fail"
  }`, `server tgc: 25 VM names not found (on_unknown_vm = "fail"): ` + strings.Join(listed, "; ") + "; and 5 more"})
	cases = append(cases, struct{ name, task, want string }{"no listed vm exists", `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "VDI"
    vms           = ["vdi-0011;Powered On;esx-01", "vdi-0012;Powered Off;esx-02"]
  }`, `server tgc: none of the 2 listed VM names exists: VM "vdi-0011;Powered On;esx-01" (vms) not found on tgc (did you mean "vdi-0011"?); VM "vdi-0012;Powered Off;esx-02" (vms) not found on tgc (did you mean "vdi-0012"?)`})
	cases = append(cases, struct{ name, task, want string }{"exact refuses removals with an unknown name", `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "VDI"
    vms           = ["vdi-0001", "vdi-0002", "vdi-002"]
    mode          = "exact"
  }`, `server tgc: mode = "exact": 1 of 3 listed VM names are unknown, more than max_unknown_percent = 0 allows: removing members is refused, since a name the TGC does not know may stand for a VM the list meant to keep: VM "vdi-002" (vms) not found on tgc (did you mean "vdi-0002", "vdi-0012", "vdi-0001"?)`})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, s, c.task, nil)
			s.ResetCounters()
			if got := h.planErr(); got != c.want {
				t.Errorf("plan error:\n got %s\nwant %s", got, c.want)
			}
			if got := h.applyErr(); got != c.want {
				t.Errorf("apply error:\n got %s\nwant %s", got, c.want)
			}
			if w := s.Writes(); w != 0 {
				t.Errorf("%d writes, want 0", w)
			}
		})
	}
}

func TestServiceGroupMembersAddMode(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 40, Seed: 3})
	h := newHarness(t, s, `
  task "service_group_members" "t" {
    server        = server.tgc
    service_group = "Web Tier"
    vms           = ["web-001", "web-006", "sql-prod-01"]
  }`, nil)
	tp := h.plan()
	if len(tp.Changes) != 1 {
		t.Fatalf("changes = %+v", tp.Changes)
	}
	if diff := cmp.Diff([]string{"+ sql-prod-01", "+ web-006"}, tp.Changes[0].Details); diff != "" {
		t.Errorf("details (-want +got):\n%s", diff)
	}
	s.ResetCounters()
	h.apply()
	if diff := cmp.Diff(map[string]int64{"PUT /api/v310/servicegroup/{id}/members/static": 1}, writesByRoute(s)); diff != "" {
		t.Errorf("writes (-want +got):\n%s", diff)
	}
	want := []string{"sql-prod-01", "web-001", "web-002", "web-003", "web-004", "web-005", "web-006"}
	if diff := cmp.Diff(want, memberNames(s, "Web Tier")); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestSgmRequestsChunking(t *testing.T) {
	after := sgmAfter{
		Add:    []sgmMember{{"a", "1"}, {"b", "2"}, {"c", "3"}},
		Remove: []sgmMember{{"d", "4"}, {"e", "5"}},
	}
	got := sgmRequests(after, 2)
	var shape []string
	for _, r := range got {
		shape = append(shape, fmt.Sprintf("+%v -%v", r.ObjectIdsAdded, r.ObjectIdsRemoved))
	}
	want := []string{"+[1 2] -[]", "+[3] -[4]", "+[] -[5]"}
	if diff := cmp.Diff(want, shape); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestServiceGroupMembersSavedPlan(t *testing.T) {
	s := startSim(t, sim.Options{VMs: 60, Seed: 7})
	h := newHarness(t, s, `
  task "service_group_members" "vdi" {
    server        = server.tgc
    service_group = "VDI"
    vms           = ["vdi-0011", "vdi-0012"]
  }`, nil)
	ctx := context.Background()

	t.Run("stale when members changed", func(t *testing.T) {
		saved := h.savedPlan()
		c := simClient(t, s)
		vm, _ := s.VMByName("vdi-0015")
		group := s.ServiceGroupMembers("VDI")[0].GroupID
		if err := c.UpdateServiceGroupStaticMembers(ctx, group, tintri.CollectionChangeRequest{ObjectIdsAdded: []string{vm.ID()}, ObjectIdsRemoved: []string{}}); err != nil {
			t.Fatal(err)
		}
		s.ResetCounters()
		res, err := h.Engine.Apply(ctx, saved, engine.ApplyOptions{FromFile: true})
		if err != nil {
			t.Fatal(err)
		}
		if s.Writes() != 0 || len(res.Tasks) != 1 || res.Tasks[0].Failed != 1 ||
			!strings.HasPrefix(res.Tasks[0].Errors[0].Error, "stale: changed since the plan was made") {
			t.Errorf("apply of a stale plan: %d writes, result %+v", s.Writes(), res.Tasks)
		}
	})
	t.Run("already applied", func(t *testing.T) {
		saved := h.savedPlan()
		h.apply()
		s.ResetCounters()
		res, err := h.Engine.Apply(ctx, saved, engine.ApplyOptions{FromFile: true})
		if err != nil {
			t.Fatal(err)
		}
		if s.Writes() != 0 || res.Tasks[0].Unchanged != 1 || res.Tasks[0].Failed != 0 {
			t.Errorf("apply of an applied plan: %d writes, result %+v", s.Writes(), res.Tasks)
		}
	})
}
