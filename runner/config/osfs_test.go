package config

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// diagText renders diagnostics as the CLI would, for failure messages.
func diagText(cfg *Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	if err := WriteDiagnostics(&buf, cfg.Sources, diags, false); err != nil {
		return "(rendering diagnostics failed: " + err.Error() + ")"
	}
	return buf.String()
}

// TestOSFSAbsolutePaths loads a job file by its absolute path through OSFS: the file
// names in Config.Files, in diagnostics and in the printed snippet header are the real
// absolute paths, not paths within a file system rooted at "/".
func TestOSFSAbsolutePaths(t *testing.T) {
	abs, err := filepath.Abs("../engine/testdata/invalid/bad_cron.hcl")
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.ToSlash(abs)
	cfg, diags := Load(OSFS{}, name, LoadOptions{Env: []string{"TINTRI_PASSWORD=pw", "TINTRI_USERNAME=admin"}})
	if diff := cmp.Diff([]string{name}, cfg.Files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if len(diags) != 1 || diags[0].Subject == nil {
		t.Fatalf("want one diagnostic with a subject, got:\n%s", diagText(cfg, diags))
	}
	if got := diags[0].Subject.Filename; got != name {
		t.Errorf("diagnostic file %q, want %q", got, name)
	}
	text := diagText(cfg, diags)
	want := "on " + name + " line 2, in job \"j\":\n   2:   schedule = \"61 * * * *\""
	if !strings.Contains(text, want) {
		t.Errorf("rendered diagnostic lacks %q:\n%s", want, text)
	}
}

// TestOSFSRelativeOutsideTree reads a file above the job file's directory, which an
// os.DirFS rooted at that directory refuses and OSFS allows.
func TestOSFSRelativeOutsideTree(t *testing.T) {
	full, b, err := readRelative(OSFS{}, ".", "../engine/testdata/valid/dir/notes.txt")
	if err != nil {
		t.Fatal(err)
	}
	if full != "../engine/testdata/valid/dir/notes.txt" || len(b) == 0 {
		t.Errorf("read %q (%d bytes), want ../engine/testdata/valid/dir/notes.txt", full, len(b))
	}
	_, _, err = readRelative(fsOnly{OSFS{}}, ".", "../engine/testdata/valid/dir/notes.txt")
	want := "read ../engine/testdata/valid/dir/notes.txt: path must be relative to the job file's directory and stay inside the job files' tree"
	if err == nil || err.Error() != want {
		t.Errorf("through another fs.FS: error %v, want %q", err, want)
	}
}

// fsOnly hides that its FS is OSFS.
type fsOnly struct{ OSFS }
