package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/schematest"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// newReview is the e2e of testdata/e2e/review (two VMstores), with its VM list.
func newReview(t *testing.T) *e2e {
	t.Helper()
	e := newE2E(t, "review", 2)
	copyFile(t, filepath.Join("testdata", "e2e", "review", "vms.csv"), filepath.Join(e.dir, "vms.csv"))
	return e
}

// normalizePage is normalize for every format: the plan's time and configuration hash as
// the Markdown and HTML views show them, and an apply's id and the audit seq of its changes
// (numbered as they start, concurrently), too.
func (e *e2e) normalizePage(s string) string {
	s = e.normalize(s)
	s = regexp.MustCompile(`Planned \S+ from configuration `+"`[0-9a-f]+`").ReplaceAllString(s, "Planned <time> from configuration `<hash>`")
	s = regexp.MustCompile(`<time datetime="[^"]+">[^<]+</time> from configuration <code>[0-9a-f]+</code>`).
		ReplaceAllString(s, `<time datetime="<time>"><time></time> from configuration <code><hash></code>`)
	s = regexp.MustCompile(`"seq":[0-9]+`).ReplaceAllString(s, `"seq":"<n>"`)
	return regexp.MustCompile(`"apply_id":"[0-9a-f]+"`).ReplaceAllString(s, `"apply_id":"<id>"`)
}

// TestShowPlanFile: show renders a saved plan exactly as plan rendered it, in each format
// (text without the lines on where the plan was saved); -json is -format json, and flags
// may come before or after the file.
func TestShowPlanFile(t *testing.T) {
	e := newReview(t)
	for _, f := range []struct{ format, golden string }{
		{formatText, "review.txt"}, {formatJSON, "review.json"}, {formatMarkdown, "review.md"}, {formatHTML, "review.html"},
	} {
		file := f.format + ".plan"
		planned, _ := e.mustRun(0, "plan", "-format", f.format, "-out", file)
		if f.format == formatText {
			saved := "\nSaved the plan to " + file + ". Make exactly these changes with: tintri-jobs apply " + file + "\n"
			if !strings.HasSuffix(planned, saved) {
				t.Fatalf("plan -out does not end with %q:\n%s", saved, planned)
			}
			planned = strings.TrimSuffix(planned, saved)
		}
		shown, _ := e.mustRun(0, "show", "-format", f.format, file)
		if shown != planned {
			t.Errorf("show -format %s differs from what plan wrote:\nplan:\n%s\nshow:\n%s", f.format, planned, shown)
		}
		golden(t, f.golden, e.normalizePage(shown))
	}
	js, _ := e.mustRun(0, "show", "json.plan", "-json")
	if again, _ := e.mustRun(0, "show", "-format", "json", "json.plan"); js != again {
		t.Errorf("show FILE -json and show -format json FILE differ")
	}
	schematest.Validate(t, schematest.Plan, []byte(js))
	if e.sim.Reads() == 0 || e.sim.Writes() != 0 {
		t.Errorf("%d reads, %d writes", e.sim.Reads(), e.sim.Writes())
	}
	e.sim.ResetCounters()
	e.mustRun(0, "show", "text.plan")
	if n := e.sim.Reads() + e.sim.Writes(); n != 0 {
		t.Errorf("show PLANFILE made %d requests", n)
	}
	e.checkNoSecrets()
}

// TestPlanJSONWarnings: plan -json lists the configuration's warning (a name listed twice,
// with its file and line) and the task's (a name no VM has, where it is listed), and
// under -log-format json stderr is JSON lines only, the diagnostic among them.
func TestPlanJSONWarnings(t *testing.T) {
	e := newReview(t)
	out, errOut := e.mustRun(0, "plan", "-json", "-log-format", "json")
	var doc struct {
		Warnings []plan.Warning `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	want := []plan.Warning{
		{Code: "duplicate_vm_name", Message: `Duplicate VM name: "vdi-0002" is listed on lines 3 and 5 of vms.csv; it counts once.`, File: "vms.csv", Line: 5, Column: 1},
		{Code: plan.WarnUnknownVM, Message: `VM "vdi-0099" (vms.csv:6) not found on tgc (did you mean "vdi-0009", "vdi-0001", "vdi-0002"?)`, File: "vms.csv", Line: 6, Job: "review", Task: "vdi"},
	}
	if fmt.Sprint(doc.Warnings) != fmt.Sprint(want) {
		t.Errorf("warnings\n%+v\nwant\n%+v", doc.Warnings, want)
	}
	lines := jsonLines(t, errOut)
	found := false
	for _, l := range lines {
		if l["code"] == "duplicate_vm_name" && l["level"] == "warn" && l["file"] == "vms.csv" && l["line"] == float64(5) && l["severity"] == "warning" {
			found = true
		}
	}
	if !found {
		t.Errorf("stderr has no JSON line of the duplicate name:\n%s", errOut)
	}
}

// jsonLines parses every line of s as a JSON object, failing the test on any other.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("stderr line is not JSON: %q", sc.Text())
			continue
		}
		out = append(out, m)
	}
	return out
}

// TestLogFormatJSONStderr: with -log-format json, the diagnostics of an invalid
// configuration and the final error are JSON lines: nothing on stderr is plain text.
func TestLogFormatJSONStderr(t *testing.T) {
	e := newE2E(t, "invalid", 1)
	for _, args := range [][]string{{"validate"}, {"plan"}, {"apply", "-auto-approve"}, {"plan", "-parallelism", "0"}} {
		_, errOut := e.mustRun(1, append(args, "-log-format", "json")...)
		lines := jsonLines(t, errOut)
		if len(lines) == 0 || lines[len(lines)-1]["level"] != "error" || lines[len(lines)-1]["message"] == "" {
			t.Errorf("%v: want JSON lines ending with the error, got:\n%s", args, errOut)
		}
		if args[0] == "validate" {
			d := lines[0]
			if d["code"] != "reference_to_undeclared_fleet" || d["file"] != "job.hcl" || d["line"] != float64(3) || d["level"] != "error" {
				t.Errorf("diagnostic line %v", d)
			}
		}
	}
	// Without it, people get the text with snippets, as before.
	if _, errOut := e.mustRun(1, "validate"); !strings.Contains(errOut, "Error: Reference to undeclared fleet\n\n  on job.hcl line 3") {
		t.Errorf("text diagnostics:\n%s", errOut)
	}

	// Whatever -log-level: a warning is written as a JSON line even at level error.
	w := newE2E(t, "dns", 1)
	src, err := os.ReadFile(filepath.Join(w.dir, "common.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	w.writeFile("common.hcl", strings.Replace(string(src), "password = var.password\n  ca_file  = var.ca_file", "password = \"literal-pw\"\n  ca_file  = var.ca_file", 1))
	_, errOut := w.mustRun(0, "validate", "-log-format", "json", "-log-level", "error")
	lines := jsonLines(t, errOut)
	if len(lines) != 1 {
		t.Fatalf("validate -log-level error: want the warning's JSON line alone, got:\n%s", errOut)
	}
	d := lines[0]
	want := map[string]any{"level": "warn", "severity": "warning", "summary": "Literal password in job file", "file": "common.hcl",
		"line": float64(14), "column": float64(14), "end_line": float64(14), "end_column": float64(26)}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("warning line: %s = %v, want %v (line %v)", k, d[k], v, d)
		}
	}
	if detail, _ := d["detail"].(string); !strings.HasPrefix(detail, "The password is written in the job file") {
		t.Errorf("warning line: detail %q", d["detail"])
	}
}

// TestValidateJSON: validate -json writes the validation document, with each diagnostic
// placed, and nothing on stderr; exit code 1 when invalid, as without -json.
func TestValidateJSON(t *testing.T) {
	for _, tt := range []struct {
		dir, golden string
		code        int
	}{{"review", "validate_review.json", 0}, {"invalid", "validate_invalid.json", 1}} {
		t.Run(tt.dir, func(t *testing.T) {
			e := newE2E(t, tt.dir, 1)
			if tt.dir == "review" {
				copyFile(t, filepath.Join("testdata", "e2e", "review", "vms.csv"), filepath.Join(e.dir, "vms.csv"))
			}
			out, errOut := e.mustRun(tt.code, "validate", "-json")
			if errOut != "" {
				t.Errorf("stderr: %s", errOut)
			}
			schematest.Validate(t, schematest.Validation, []byte(out))
			golden(t, tt.golden, out)
		})
	}
}

// TestApplyJSONOutcomes: apply -json lists every planned change with its outcome, each
// tried one with the seq of its audit records: a saved plan overtaken on one VMstore is
// refused for its task (unchanged, stale, skipped), a fresh one is applied.
func TestApplyJSONOutcomes(t *testing.T) {
	e := newE2E(t, "dns", 3)
	e.mustRun(0, "plan", "-out", "dns.plan")
	setDNS(t, e, 0, "192.0.2.53", "192.0.2.54") // as planned: unchanged
	setPrimaryDNS(t, e.sim.VMstoreURLs()[1], e.sim, "198.51.100.99")
	out, _ := e.mustRun(1, "apply", "-json", "dns.plan")
	schematest.Validate(t, schematest.ApplyResult, []byte(out))
	golden(t, "apply_stale.json", e.normalizePage(out))

	out, _ = e.mustRun(0, "apply", "-json", "-auto-approve")
	docs := strings.SplitAfter(strings.TrimSpace(out), "\n")
	if len(docs) != 2 {
		t.Fatalf("apply -json wrote %d documents, want the plan and the result:\n%s", len(docs), out)
	}
	schematest.Validate(t, schematest.Plan, []byte(docs[0]))
	schematest.Validate(t, schematest.ApplyResult, []byte(docs[1]))
	golden(t, "apply_result.json", e.normalizePage(docs[1]))
	var res plan.Result
	var doc struct {
		ApplyID string `json:"apply_id"`
	}
	if err := json.Unmarshal([]byte(docs[1]), &res); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(docs[1]), &doc); err != nil {
		t.Fatal(err)
	}
	recs := map[int]plan.AuditRecord{}
	for _, r := range e.audit() {
		if r.ApplyID == doc.ApplyID {
			recs[r.Seq] = r
		}
	}
	n := 0
	for _, c := range res.Tasks[0].Changes {
		r := recs[c.Seq]
		n++
		if c.Outcome != plan.OutcomeApplied || r.Server != c.Server || r.ID != c.ID || r.Result != plan.AuditOK {
			t.Errorf("outcome %+v, audit record %+v", c, r)
		}
	}
	if n != 2 || len(recs) != 2 {
		t.Errorf("%d outcomes, %d audit records of the apply; want 2", n, len(recs))
	}
}

// setDNS sets the primary and secondary DNS servers of vmstore-i, as another admin would.
func setDNS(t *testing.T, e *e2e, i int, primary, secondary string) {
	t.Helper()
	c, err := tintri.New(tintri.Config{URL: e.sim.VMstoreURLs()[i], Username: e.sim.Username(), Password: tintri.Secret(e.sim.Password()),
		CAFile: e.sim.CAFile(), Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	err = c.UpdateAppliance(context.Background(), tintri.Appliance{TypeID: tintri.TypeAppliance,
		DNSConfig: &tintri.ApplianceDns{TypeID: tintri.TypeApplianceDns, DNSPrimary: primary, DNSSecondary: secondary}}, tintri.PropDNSConfig)
	if err != nil {
		t.Fatal(err)
	}
}

// TestApplySavedPlanShowsIt: apply PLANFILE prints the plan before the result; at a
// terminal it asks first (and changes nothing without "yes"), unless -auto-approve;
// without a terminal it applies at once, as it always did.
func TestApplySavedPlanShowsIt(t *testing.T) {
	e := newE2E(t, "dns", 2)
	e.mustRun(0, "plan", "-out", "dns.plan")
	planned, _ := e.mustRun(0, "show", "dns.plan")
	state := filepath.Join(e.dir, "state")
	args := []string{"apply", "-log-level", "error", "-config", e.dir, "-state-dir", state, filepath.Join(e.dir, "dns.plan")}

	stdout, stderr, code := runInProcess(t, e.env, "no\n", true, args...)
	if code != exitError || !strings.HasPrefix(stdout, planned) || !strings.Contains(stderr, "Do you want to make these changes?") ||
		!strings.HasSuffix(stderr, "Apply cancelled.\n") || e.sim.Writes() != 0 {
		t.Fatalf("at a terminal, answered no: exit %d, %d writes\nstdout:\n%s\nstderr:\n%s", code, e.sim.Writes(), stdout, stderr)
	}
	stdout, stderr, code = runInProcess(t, e.env, "", true, append([]string{"apply", "-auto-approve"}, args[1:]...)...)
	if code != exitOK || strings.Contains(stderr, "Do you want") || !strings.HasPrefix(stdout, planned) ||
		!strings.HasSuffix(stdout, "Apply complete: 2 changed, 0 unchanged, 0 failed, 0 skipped.\n") {
		t.Fatalf("-auto-approve at a terminal: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// Without a terminal: no question, the plan then the result.
	out, _ := e.mustRun(0, "apply", "dns.plan")
	if !strings.HasPrefix(out, planned) || !strings.HasSuffix(out, "Apply complete: 0 changed, 2 unchanged, 0 failed, 0 skipped.\n") {
		t.Errorf("apply PLANFILE without a terminal:\n%s", out)
	}
}

// TestApplyPage: apply -format html|markdown writes one page of the result, and refuses
// to ask for approval at a terminal, where the page would come after the answer.
func TestApplyPage(t *testing.T) {
	e := newE2E(t, "dns", 2)
	_, stderr, code := runInProcess(t, e.env, "yes\n", true, "apply", "-format", "html", "-config", e.dir)
	if code != exitError || !strings.Contains(stderr, "apply -format markdown|html writes one page after the apply") || e.sim.Writes() != 0 {
		t.Fatalf("exit %d, %d writes, stderr:\n%s", code, e.sim.Writes(), stderr)
	}
	out, _ := e.mustRun(0, "apply", "-format", "markdown", "-auto-approve")
	if !strings.HasPrefix(out, "### tintri-jobs apply\n\n**Apply complete: 2 changed") || strings.Count(out, "### ") != 1 ||
		!strings.Contains(out, "~ appliance dns of vmstore-0: update dns secondary [applied]") {
		t.Errorf("apply -format markdown:\n%s", out)
	}
	out, _ = e.mustRun(0, "apply", "-format", "html", "-auto-approve")
	if strings.Count(out, "<html") != 1 || !strings.Contains(out, "No changes.") {
		t.Errorf("apply -format html with nothing to do: want the page of the plan:\n%s", out)
	}
}

// TestColorOnTerminal runs plan on a real terminal (script(1), when installed): the
// symbols are coloured, unless -no-color or NO_COLOR says otherwise.
func TestColorOnTerminal(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1) is not installed")
	}
	e := newE2E(t, "dns", 1)
	for _, tt := range []struct {
		env   string
		args  string
		color bool
	}{{"", "", true}, {"", " -no-color", false}, {"NO_COLOR=1", "", false}, {"NO_COLOR=", "", true}} {
		cmd := exec.Command(script, "-qec", binPath+" plan -log-level error"+tt.args, os.DevNull)
		cmd.Dir = e.dir
		cmd.Env = append(append([]string{}, e.env...), "TERM=xterm")
		if tt.env != "" {
			cmd.Env = append(cmd.Env, tt.env)
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s%s: %v\n%s", tt.env, tt.args, err, out)
		}
		colored := strings.Contains(string(out), ansiYellow+"~"+ansiReset+" appliance dns")
		if colored != tt.color || strings.Contains(string(out), "\x1b[") != tt.color {
			t.Errorf("%q%s: coloured %v, want %v:\n%q", tt.env, tt.args, colored, tt.color, out)
		}
	}
}
