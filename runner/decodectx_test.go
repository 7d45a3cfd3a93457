package runner_test

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

func TestDecodeContextFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"jobs/main.hcl":      {Data: []byte("job \"j\" {\n  task \"k\" \"t\" {}\n}\n")},
		"jobs/data/list.txt": {Data: []byte("a\nb\n")},
		"secret.txt":         {Data: []byte("outside")},
	}
	cfg, diags := config.Load(fsys, "jobs/main.hcl", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dc := runner.NewDecodeContext(cfg, "j", cfg.Jobs[0].Tasks[0])
	if got := dc.Path("data/list.txt"); got != "jobs/data/list.txt" {
		t.Errorf("Path = %q, want jobs/data/list.txt", got)
	}
	b, err := dc.ReadFile("data/list.txt")
	if err != nil || string(b) != "a\nb\n" {
		t.Errorf("ReadFile = %q, %v; want the file's contents unchanged", b, err)
	}
	if string(cfg.Sources["jobs/data/list.txt"]) != "a\nb\n" {
		t.Errorf("ReadFile did not record the file in Sources")
	}
	if len(dc.Files) != 1 || dc.Files[0] != "jobs/data/list.txt" {
		t.Errorf("Files = %q, want the file read (it counts in the plan's hash)", dc.Files)
	}
	if _, err := dc.ReadFile("../secret.txt"); err != nil {
		t.Errorf("ReadFile of a file in the FS above BaseDir: %v", err)
	}
	if _, err := dc.ReadFile("../../etc/passwd"); err == nil {
		t.Error("ReadFile outside the FS succeeded")
	}
	if _, err := dc.ReadFile("missing.txt"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
	}
}
