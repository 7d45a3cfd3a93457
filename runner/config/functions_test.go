package config

import (
	"testing"
	"testing/fstest"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// TestFileFunction: file(path) reads a file relative to the job file's directory and
// returns its contents unchanged, trailing newline included; trimspace() drops it.
func TestFileFunction(t *testing.T) {
	fsys := fstest.MapFS{
		"jobs/main.hcl": {Data: []byte(`server "tgc" {
  url      = "https://tgc.example"
  kind     = "tgc"
  username = file("user.txt")
  password = trimspace(file("secrets/pw.txt"))
}
`)},
		"jobs/user.txt":       {Data: []byte("svc-jobs\n")},
		"jobs/secrets/pw.txt": {Data: []byte("  s3cret\n\n")},
	}
	cfg, diags := Load(fsys, "jobs/main.hcl", LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	c := cfg.Servers["tgc"].Connection
	if c.Username != "svc-jobs\n" {
		t.Errorf("file(\"user.txt\") = %q, want the contents with their trailing newline", c.Username)
	}
	if c.Password != tintri.Secret("s3cret") {
		t.Errorf("trimspace(file(\"secrets/pw.txt\")) = %q, want \"s3cret\"", string(c.Password))
	}
}
