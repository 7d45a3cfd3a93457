package engine

import (
	"io/fs"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hashicorp/hcl/v2"
	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// ignoreLoadNoise drops what the valid-config tests do not spell out: source ranges, the
// sources, the hash inputs (tested on their own), the evaluation context and the file
// system, and the undecoded task bodies (their decoded tasks are compared apart).
var ignoreLoadNoise = cmp.Options{
	cmpopts.IgnoreTypes(hcl.Range{}),
	cmpopts.IgnoreFields(config.Config{}, "Sources", "Eval", "FS", "Root"),
	cmpopts.IgnoreFields(config.TaskBlock{}, "Body"),
	cmpopts.IgnoreUnexported(config.Config{}),
}

// decodedTasks lists the decoded task of every task block of cfg, in file order.
func decodedTasks(cfg *Config) []runner.Task {
	var out []runner.Task
	for _, j := range cfg.Jobs {
		for _, tb := range j.Tasks {
			out = append(out, cfg.Task(tb))
		}
	}
	return out
}

// loadOK loads p and fails the test on any diagnostic, warnings included.
func loadOK(t *testing.T, fsys fs.FS, p string, opts config.LoadOptions) *Config {
	t.Helper()
	cfg, diags := Load(fsys, p, opts)
	if len(diags) > 0 {
		t.Fatalf("Load(%s) diagnostics:\n%s", p, diagText(cfg, diags))
	}
	return cfg
}

func TestLoadFullConfig(t *testing.T) {
	opts := config.LoadOptions{
		Vars: map[string]string{"tgc_password": "s3cret"},
		Env:  []string{"TINTRI_USERNAME=svc", "TINTRI_PASSWORD=fleet-pw"},
		Root: "/etc/jobs",
	}
	got := loadOK(t, os.DirFS("testdata/valid"), "full/main.hcl", opts)
	want := &config.Config{
		Files: []string{"full/main.hcl"}, BaseDir: "full",
		Variables: map[string]*config.Variable{
			"tgc_password": {Name: "tgc_password", Description: "Password of the TGC admin account.", Sensitive: true},
			"inflight":     {Name: "inflight"},
			"prefix":       {Name: "prefix"},
		},
		Servers: map[string]*config.Server{
			"tgc": {Name: "tgc", URL: "https://tgc.example.com", Kind: config.KindTGC, Connection: config.Connection{
				Username: "admin", Password: "s3cret", CAFile: "/etc/jobs/full/ca.pem", MaxInflight: 4, MinInflight: 2}},
			"vs1": {Name: "vs1", URL: "https://vmstore1.example.com:8443", Kind: config.KindVMstore,
				Connection: config.Connection{Username: "svc", Password: "vs1-secret"}},
			"vs1b": {Name: "vs1b", URL: "https://10.0.0.2", Kind: config.KindVMstore,
				Connection: config.Connection{Username: "admin", Password: "fleet-pw"}},
		},
		Fleets: map[string]*config.Fleet{
			"listed": {Name: "listed", URLs: []string{"https://vs-a.example.com", "https://vs-b.example.com"},
				Connection: config.Connection{Username: "admin", Password: "fleet-pw"}},
			"from_file": {Name: "from_file",
				URLs:       []string{"https://vs-1.example.com", "https://vs-2.example.com:9443", "https://10.0.0.7"},
				Connection: config.Connection{Username: "admin", Password: "fleet-pw", MaxInflight: 2, DisableAdaptive: true}},
			"discovered": {Name: "discovered", DiscoverFrom: "tgc",
				Connection: config.Connection{Username: "admin", Password: "s3cret", InsecureSkipVerify: true}},
		},
		Jobs: []*config.Job{
			{
				Name: "nightly", Schedule: "30 2 * * 1-5", TimeZone: "Europe/Berlin", Mode: config.ModePlan,
				MaxChanges: 50, FailFast: true, Overlap: "queue", CatchUpWithin: 10 * time.Minute,
				Jitter: 30 * time.Second, HistoryLimit: 10,
				Tasks: []*config.TaskBlock{
					{Kind: testNoopKind, Name: "on_tgc", MaxChanges: 5},
					{Kind: testNoopKind, Name: "on_fleet"},
				},
			},
			{
				Name: "hourly", Schedule: "@every 1h", Mode: config.ModeApply, Overlap: "skip", HistoryLimit: 100,
				Tasks: []*config.TaskBlock{
					{Kind: testNoopKind, Name: "on_servers"},
				},
			},
		},
	}
	if diff := cmp.Diff(want, got.Config, ignoreLoadNoise); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	wantTasks := []runner.Task{
		&testNoopTask{Value: "VDI-POOL", Server: "tgc", BaseDir: "full", Job: "nightly", Task: "on_tgc"},
		&testNoopTask{Value: "a,b", Targets: runner.Targets{Fleet: "from_file"}, BaseDir: "full", Job: "nightly", Task: "on_fleet"},
		&testNoopTask{Value: "vdi/4", Targets: runner.Targets{Servers: []string{"vs1", "vs1b"}}, BaseDir: "full",
			Job: "hourly", Task: "on_servers"},
	}
	if diff := cmp.Diff(wantTasks, decodedTasks(got)); diff != "" {
		t.Errorf("decoded tasks mismatch (-want +got):\n%s", diff)
	}
	if got.Servers["tgc"].DeclRange.Start.Line != 18 {
		t.Errorf("server tgc DeclRange = %s, want line 18", got.Servers["tgc"].DeclRange)
	}
	wantSources := []string{"full/main.hcl", "full/vmstores.txt"}
	if diff := cmp.Diff(wantSources, slices.Sorted(maps.Keys(got.Sources))); diff != "" {
		t.Errorf("Sources mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadDirectory(t *testing.T) {
	got := loadOK(t, os.DirFS("testdata/valid"), "dir", config.LoadOptions{})
	want := &config.Config{
		Files: []string{"dir/a.hcl", "dir/b.hcl"}, BaseDir: "dir",
		Variables: map[string]*config.Variable{},
		Servers:   map[string]*config.Server{},
		Fleets:    map[string]*config.Fleet{},
		Jobs: []*config.Job{
			{Name: "first", Mode: config.ModeApply, Overlap: "skip", HistoryLimit: 100, Tasks: []*config.TaskBlock{
				{Kind: testNoopKind, Name: "t"},
			}},
			{Name: "second", Mode: config.ModeApply, Overlap: "skip", HistoryLimit: 100, Tasks: []*config.TaskBlock{
				{Kind: testNoopKind, Name: "t"},
			}},
		},
	}
	if diff := cmp.Diff(want, got.Config, ignoreLoadNoise); diff != "" {
		t.Errorf("config mismatch (-want +got):\n%s", diff)
	}
	wantTasks := []runner.Task{
		&testNoopTask{Value: "line\n", BaseDir: "dir", Job: "first", Task: "t"},
		&testNoopTask{Value: "from b", BaseDir: "dir", Job: "second", Task: "t"},
	}
	if diff := cmp.Diff(wantTasks, decodedTasks(got)); diff != "" {
		t.Errorf("decoded tasks mismatch (-want +got):\n%s", diff)
	}
}

// precedenceJob prints the four variables' values in one task value.
const precedenceJob = `
variable "a" { default = "default" }
variable "b" { default = "default" }
variable "c" { default = "default" }
variable "d" { default = "default" }
variable "n" {
  type    = list(number)
  default = []
}
job "j" {
  task "test_noop" "t" {
    value = "${var.a} ${var.b} ${var.c} ${var.d} ${join(",", var.n)}"
  }
}
`

func TestLoadVariablePrecedence(t *testing.T) {
	fsys := fstest.MapFS{
		"jobs/main.hcl":  {Data: []byte(precedenceJob)},
		"vars/one.hcl":   {Data: []byte("c = \"file1\"\nd = \"file1\"\n")},
		"vars/two.hcl":   {Data: []byte("d = \"file2\"\nn = [1, 2]\n")},
		"vars/three.hcl": {Data: []byte("n = [3]\n")},
	}
	tests := []struct {
		name string
		opts config.LoadOptions
		want string
	}{
		{"defaults", config.LoadOptions{}, "default default default default "},
		{"env over default", config.LoadOptions{Env: []string{"TINTRI_JOBS_VAR_b=env", "TINTRI_JOBS_VAR_n=[7,8]"}},
			"default env default default 7,8"},
		{"var files over env, later file wins", config.LoadOptions{
			Env:      []string{"TINTRI_JOBS_VAR_b=env", "TINTRI_JOBS_VAR_c=env", "TINTRI_JOBS_VAR_n=[7]"},
			VarFiles: []string{"vars/one.hcl", "vars/two.hcl", "vars/three.hcl"},
		}, "default env file1 file2 3"},
		{"-var over everything", config.LoadOptions{
			Env:      []string{"TINTRI_JOBS_VAR_d=env"},
			VarFiles: []string{"vars/one.hcl", "vars/two.hcl"},
			Vars:     map[string]string{"d": "cli", "a": "cli a", "n": "[9, 10]"},
		}, "cli a default file1 cli 9,10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := loadOK(t, fsys, "jobs/main.hcl", tt.opts)
			got := cfg.Task(cfg.Jobs[0].Tasks[0]).(*testNoopTask).Value
			if got != tt.want {
				t.Errorf("value = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlanHash: the hash a plan records covers what the plan depends on — the values of
// its jobs, the files their tasks read, variables, env() values, credentials — and not
// comments, layout or other jobs.
func TestPlanHash(t *testing.T) {
	src := `
variable "pw" {
  sensitive = true
}
server "tgc" {
  url      = "https://tgc"
  kind     = "tgc"
  username = env("USER_NAME")
  password = var.pw
}
job "j" {
  task "test_noop" "t" { value = file("x.txt") }
}
`
	other := "job \"k\" {\n  task \"test_noop\" \"t\" { value = \"k\" }\n}\n"
	base := fstest.MapFS{"main.hcl": {Data: []byte(src)}, "x.txt": {Data: []byte("one")}, "other.hcl": {Data: []byte(other)}}
	baseOpts := config.LoadOptions{Vars: map[string]string{"pw": "a"}, Env: []string{"USER_NAME=u", "OTHER=1"}}
	hash := func(fsys fstest.MapFS, opts config.LoadOptions) string {
		t.Helper()
		return loadOK(t, fsys, ".", opts).PlanHash([]string{"j"})
	}
	with := func(name, data string) fstest.MapFS {
		m := fstest.MapFS{}
		for k, v := range base {
			m[k] = v
		}
		m[name] = &fstest.MapFile{Data: []byte(data)}
		return m
	}
	h0 := hash(base, baseOpts)
	if len(h0) != 64 {
		t.Fatalf("hash %q is not a hex SHA-256", h0)
	}
	same := map[string]string{
		"same input":                       hash(base, baseOpts),
		"an environment variable not read": hash(base, config.LoadOptions{Vars: baseOpts.Vars, Env: []string{"USER_NAME=u", "OTHER=2"}}),
		"a comment in the job file":        hash(with("main.hcl", "# reviewed by ops\n"+src), baseOpts),
		"the layout of the job file":       hash(with("main.hcl", strings.ReplaceAll(src, "  ", "    ")), baseOpts),
		"another job's file":               hash(with("other.hcl", strings.ReplaceAll(other, `"k" }`, `"changed" }`)), baseOpts),
		"a comment in another job's file":  hash(with("other.hcl", "// note\n"+other), baseOpts),
	}
	for what, h := range same {
		if h != h0 {
			t.Errorf("%s changed the hash", what)
		}
	}
	moved := fstest.MapFS{"etc/tintri/main.hcl": base["main.hcl"], "etc/tintri/x.txt": base["x.txt"], "etc/tintri/other.hcl": base["other.hcl"]}
	if h := loadOK(t, moved, "etc/tintri", baseOpts).PlanHash([]string{"j"}); h != h0 {
		t.Errorf("the same files named from another directory changed the hash")
	}
	changed := map[string]string{
		"the sensitive password": hash(base, config.LoadOptions{Vars: map[string]string{"pw": "b"}, Env: baseOpts.Env}),
		"an env() value":         hash(base, config.LoadOptions{Vars: baseOpts.Vars, Env: []string{"USER_NAME=v"}}),
		"the file() contents":    hash(with("x.txt", "two"), baseOpts),
		"a value of the job":     hash(with("main.hcl", strings.Replace(src, `{ value = file("x.txt") }`, "{\n  max_changes = 3\n  value = file(\"x.txt\")\n}", 1)), baseOpts),
		"the server's URL":       hash(with("main.hcl", strings.Replace(src, "https://tgc", "https://tgc2", 1)), baseOpts),
	}
	for what, h := range changed {
		if h == h0 {
			t.Errorf("changing %s did not change the hash", what)
		}
	}
}

func TestFormat(t *testing.T) {
	in := "job \"j\" {\nschedule=\"@daily\"\n  max_changes = 5\n}\n"
	want := "job \"j\" {\n  schedule    = \"@daily\"\n  max_changes = 5\n}\n"
	got, diags := config.Format("j.hcl", []byte(in))
	if len(diags) != 0 || string(got) != want {
		t.Errorf("Format:\n%s\nwant:\n%s\ndiagnostics: %v", got, want, diags)
	}
	if got, _ := config.Format("j.hcl", []byte(want)); string(got) != want {
		t.Errorf("Format of formatted input changed it:\n%s", got)
	}
	// A file that does not parse is left alone: its syntax error comes back instead.
	got, diags = config.Format("j.hcl", []byte("job \"j\" {\n  mode = \n}\n"))
	if got != nil || len(diags) != 1 || diags[0].Summary != "Invalid expression" || diags[0].Subject.Start.Line != 2 {
		t.Errorf("Format of a broken file = %q, %v; want nil and one \"Invalid expression\" on line 2", got, diags)
	}
}

func FuzzLoad(f *testing.F) {
	for _, p := range []string{"testdata/valid/full/main.hcl", "testdata/valid/dir/a.hcl"} {
		src, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fsys := fstest.MapFS{
			"main.hcl":     {Data: src},
			"vmstores.txt": {Data: []byte("vs1\n")},
		}
		cfg, _ := Load(fsys, "main.hcl", config.LoadOptions{Env: []string{"TINTRI_PASSWORD=x"}})
		if cfg == nil {
			t.Fatal("Load returned a nil Config")
		}
	})
}
