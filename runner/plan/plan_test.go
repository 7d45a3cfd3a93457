package plan_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// samplePlan has a change, a run, an unreadable target and a task that could not plan,
// with nil slices wherever a task may leave them nil.
func samplePlan() *plan.Plan {
	return &plan.Plan{
		CreatedAt:  time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC),
		ConfigHash: strings.Repeat("ab", 32),
		Jobs: []plan.JobPlan{{Name: "nightly", MaxChanges: 5, Tasks: []plan.TaskEntry{
			{Name: "dns", Kind: "appliance_dns", TaskPlan: plan.TaskPlan{
				Changes: []plan.Change{{Server: "vs1:443", Object: "appliance dns", ID: "vs1:443/dns",
					Action: plan.ActionUpdate, Summary: "update dns primary",
					Before: plan.MustJSON(map[string]string{"primary": "192.0.2.1"}),
					After:  plan.MustJSON(map[string]string{"primary": "192.0.2.2"})}},
				Unchanged: []string{"vs2:443"},
				Failed:    []plan.Failure{{Server: "vs3:443", Error: "connection refused"}},
			}},
			{Name: "report", Kind: "vm_report", TaskPlan: plan.TaskPlan{
				Changes: []plan.Change{{Server: "tgc", Object: "report", ID: "report", Action: plan.ActionCreate,
					Summary: "write report", AlwaysApply: true}},
			}},
			{Name: "broken", Kind: "vm_affinity", Error: "server tgc: list vms: timeout"},
		}}},
		InflightLimits: map[string]int{"vs1:443": 12, "tgc": 4},
	}
}

func TestPlanCounts(t *testing.T) {
	p := samplePlan()
	want := plan.Summary{Changes: 1, Objects: 1, Runs: 1, Unchanged: 1, Failed: 2, Change: 1}
	if diff := cmp.Diff(want, p.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	if p.Pending() != 2 || p.Changes() != 1 || p.Runs() != 1 || p.Failures() != 2 || p.Jobs[0].Changes() != 1 {
		t.Errorf("pending %d changes %d runs %d failures %d", p.Pending(), p.Changes(), p.Runs(), p.Failures())
	}
}

// TestPlanDocument: the plan marshals as the documented "plan" document, arrays never
// null, and the same document is the plan file.
func TestPlanDocument(t *testing.T) {
	b, err := json.Marshal(samplePlan())
	if err != nil {
		t.Fatal(err)
	}
	schematest.Validate(t, schematest.Plan, b)
	for _, want := range []string{`"format_version":"1"`, `"type":"plan"`, `"unchanged":[]`, `"details":[]`,
		`"unchanged":["vs2:443"],"unchanged_count":1`, `"inflight_limits":{"tgc":4,"vs1:443":12}`,
		`"summary":{"changes":1,"objects":1,"runs":1,"unchanged":1,"failed":2,"add":0,"change":1,"remove":0}`, `"before":null`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("document lacks %s:\n%s", want, b)
		}
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, path := range nulls(doc, "") {
		if !strings.HasSuffix(path, "/before") && !strings.HasSuffix(path, "/after") {
			t.Errorf("%s is null; only before and after may be", path)
		}
	}
}

// nulls lists the paths of the null values in a decoded JSON document.
func nulls(v any, path string) []string {
	switch v := v.(type) {
	case nil:
		return []string{path}
	case map[string]any:
		var out []string
		for k, e := range v {
			out = append(out, nulls(e, path+"/"+k)...)
		}
		return out
	case []any:
		var out []string
		for i, e := range v {
			out = append(out, nulls(e, fmt.Sprintf("%s/%d", path, i))...)
		}
		return out
	}
	return nil
}

func TestPlanFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.json")
	if err := plan.WriteFile(path, samplePlan()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("plan file mode %v, %v; want 0600", fi.Mode(), err)
	}
	got, err := plan.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(got)
	first, _ := json.Marshal(samplePlan())
	if string(again) != string(first) {
		t.Errorf("round trip changed the document:\n%s\n%s", first, again)
	}
	if c := got.Jobs[0].Tasks[1].Changes[0]; c.Before != nil || c.After != nil {
		t.Errorf("a null before/after read back as %q/%q, want no value", c.Before, c.After)
	}
}

// TestReadFileRefuses names what is wrong with a file that is not a plan of this version.
func TestReadFileRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, tt := range map[string]struct{ content, want string }{
		"not json":      {"{", "not a plan"},
		"older version": {`{"format_version": 1, "jobs": []}`, "format version 1 is from an older tintri-jobs: run plan again"},
		"newer version": {`{"format_version": "2", "type": "plan"}`, `a "plan" document of format version "2", this build applies a "plan" of version "1"`},
		"other type":    {`{"format_version": "1", "type": "apply_result"}`, `a "apply_result" document of format version "1"`},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := plan.ReadFile(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want it to name %s and say %q", err, path, tt.want)
			}
		})
	}
}

// TestDocumentsMatchSchemas validates a sample of every other document.
func TestDocumentsMatchSchemas(t *testing.T) {
	at := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	ch := samplePlan().Jobs[0].Tasks[0].Changes[0]
	schematest.Validate(t, schematest.ApplyResult, &plan.Result{Tasks: []plan.TaskResult{
		{Job: "j", Task: "t", Kind: "appliance_dns", Changed: 2, Failed: 1, Errors: []plan.Failure{{Server: "vs1", Error: "boom"}}},
		{Job: "j", Task: "r", Kind: "vm_report", Runs: 1},
	}, InflightLimits: map[string]int{"vs1": 7}})
	for _, result := range []string{plan.AuditIntent, plan.AuditOK, plan.AuditError, plan.AuditUnknown} {
		schematest.Validate(t, schematest.AuditRecord, plan.AuditRecord{FormatVersion: plan.AuditFormatVersion, Time: at,
			ApplyID: "a1", Seq: 1, Job: "j", Task: "t", Change: ch, Result: result, Error: "boom"})
	}
	schematest.Validate(t, schematest.DriftSummary, plan.DriftSummary{FormatVersion: plan.FormatVersion, Job: "j",
		RunID: "r1", Time: at, Pending: 1, Changes: []plan.DriftChange{{Task: "t", Kind: "appliance_dns", Change: ch}}})
	schematest.Validate(t, schematest.RunRecord, plan.RunRecord{FormatVersion: plan.FormatVersion, ID: "r1", Job: "j",
		Trigger: "schedule", Scheduled: at, Start: at, End: at, Result: plan.ResultSuccess, Changed: 1})
	facts := plan.NewApplianceFacts("https://vs1", &tintri.RestApi{ProductName: tintri.ProductVMstore, PreferredVersion: "v310.51"})
	schematest.Validate(t, schematest.ApplianceInfo, facts)
}

// TestAddUnchanged: targets already right are all counted but named only up to
// MaxUnchangedListed unless all of them are asked for; a plan of an earlier build, which
// named them all and counted none, still counts them.
func TestAddUnchanged(t *testing.T) {
	n := plan.MaxUnchangedListed + 500
	var lean, full plan.TaskPlan
	for i := range n {
		lean.AddUnchanged(fmt.Sprintf("vm %d", i), false)
		full.AddUnchanged(fmt.Sprintf("vm %d", i), true)
	}
	if lean.UnchangedTotal() != n || len(lean.Unchanged) != plan.MaxUnchangedListed || lean.Unchanged[0] != "vm 0" {
		t.Errorf("lean: %d unchanged, %d named (first %q); want %d, %d", lean.UnchangedTotal(), len(lean.Unchanged), lean.Unchanged[0], n, plan.MaxUnchangedListed)
	}
	if full.UnchangedTotal() != n || len(full.Unchanged) != n {
		t.Errorf("full: %d unchanged, %d named; want %d named", full.UnchangedTotal(), len(full.Unchanged), n)
	}
	old := plan.Plan{Jobs: []plan.JobPlan{{Tasks: []plan.TaskEntry{{TaskPlan: plan.TaskPlan{Unchanged: []string{"a", "b"}}}, {TaskPlan: lean}}}}}
	if got := old.Unchanged(); got != n+2 {
		t.Errorf("plan Unchanged() = %d, want %d", got, n+2)
	}
}

// TestFailureString names the server once, although the API client's errors start with
// its host, and the object once.
func TestFailureString(t *testing.T) {
	for _, tt := range []struct {
		f    plan.Failure
		want string
	}{
		{plan.Failure{Server: "10.0.0.7:443", Error: "10.0.0.7:443: GET /api/info: dial tcp 10.0.0.7:443: connect: connection refused"},
			"10.0.0.7:443: GET /api/info: dial tcp 10.0.0.7:443: connect: connection refused"},
		{plan.Failure{Server: "10.0.0.7:443", Object: "data ips of vs7", Error: "update ips: 10.0.0.7:443: PUT /api/v310/appliance/default: status 500"},
			"10.0.0.7:443 data ips of vs7: update ips: PUT /api/v310/appliance/default: status 500"},
		{plan.Failure{Server: "tgc", Object: "vm vdi-0030", Error: "set affinity: 127.0.0.1:9: PUT /api/v310/vm/x/affinity: status 500"},
			"tgc vm vdi-0030: set affinity: 127.0.0.1:9: PUT /api/v310/vm/x/affinity: status 500"},
		{plan.Failure{Error: "plan: boom"}, "plan: boom"},
	} {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.f, got, tt.want)
		}
	}
}

// TestSignature: a signed plan verifies after a trip through its file, and no longer
// does once any value in the file is changed, or under another key.
func TestSignature(t *testing.T) {
	key, other := []byte("0123456789abcdef0123456789abcdef"), []byte("another key, another state dir.")
	p := samplePlan()
	if err := p.Sign(key); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "p.json")
	if err := plan.WriteFile(path, p); err != nil {
		t.Fatal(err)
	}
	read := func(edit func(string) string) *plan.Plan {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		edited := filepath.Join(t.TempDir(), "edited.json")
		if err := os.WriteFile(edited, []byte(edit(string(b))), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := plan.ReadFile(edited)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	same := func(s string) string { return s }
	for _, tt := range []struct {
		name string
		p    *plan.Plan
		key  []byte
		want bool
	}{
		{"as written", read(same), key, true},
		{"another key", read(same), other, false},
		{"after edited", read(func(s string) string { return strings.Replace(s, `"192.0.2.2"`, `"192.0.2.66"`, 1) }), key, false},
		{"re-indented", read(func(s string) string { return strings.ReplaceAll(s, "\n  ", "\n    ") }), key, true},
		{"no signature", read(func(s string) string {
			return regexp.MustCompile(`,\s*"signature": "[^"]*"`).ReplaceAllString(s, "")
		}), key, false},
	} {
		ok, err := tt.p.SignedWith(tt.key)
		if err != nil || ok != tt.want {
			t.Errorf("%s: SignedWith = %v, %v; want %v", tt.name, ok, err, tt.want)
		}
	}
}
