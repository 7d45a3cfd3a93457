package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
)

var update = flag.Bool("update", false, "rewrite testdata/fake-image.golden")

// fakeSpec is a build from fixed inputs: fake binaries stand in for tintri-jobs so that
// the golden file shows exactly what the builder adds around them.
var fakeSpec = spec{
	version:  "v9.8.7",
	revision: "abc1234",
	source:   "https://github.com/tintri-jobs/tintri-jobs",
	caCerts:  []byte("fake CA bundle\n"),
	created:  time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
}

// buildFake writes the fake image's archive for linux/amd64 and linux/arm64 into dir.
func buildFake(t *testing.T, dir string) string {
	t.Helper()
	var bins []platformBinary
	for _, arch := range []string{"amd64", "arm64"} {
		b, err := parseBinary("linux/" + arch + "=" + filepath.Join(dir, arch))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(b.path, []byte("fake "+arch+" binary\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		bins = append(bins, b)
	}
	idx, err := buildIndex(fakeSpec, bins)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "image.tar")
	if err := writeArchive(idx, name.MustParseReference("example.com/tj/tintri-jobs:v9.8.7").(name.Tag), out, fakeSpec.created); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFakeImage checks the whole image around fake binaries against a golden file: the
// index names, the platforms, each config (entrypoint, user, working dir, labels) and
// each layer's files with owners and modes.
func TestFakeImage(t *testing.T) {
	a := readArchive(t, buildFake(t, t.TempDir()))
	wantRef := map[string]string{
		"org.opencontainers.image.ref.name": "v9.8.7",
		"io.containerd.image.name":          "example.com/tj/tintri-jobs:v9.8.7",
	}
	if diff := cmp.Diff(wantRef, a.refAnnotations); diff != "" {
		t.Errorf("index.json annotations (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fakeSpec.labels(), a.indexAnnotations); diff != "" {
		t.Errorf("index annotations (-want +got):\n%s", diff)
	}
	var got bytes.Buffer
	for _, arch := range []string{"amd64", "arm64"} {
		pi := a.image(t, "linux/"+arch)
		if want := "fake " + arch + " binary\n"; string(pi.files[binaryPath]) != want {
			t.Errorf("%s: /%s = %q, want %q", arch, binaryPath, pi.files[binaryPath], want)
		}
		describe(t, &got, pi)
	}
	golden := filepath.Join("testdata", "fake-image.golden")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got.String()); diff != "" {
		t.Errorf("%s (-want +got; go test -update rewrites it):\n%s", golden, diff)
	}
}

// describe writes one image as text: its config, its layer's listing and its text files.
func describe(t *testing.T, w *bytes.Buffer, pi platformImage) {
	t.Helper()
	cfg, err := json.MarshalIndent(pi.config, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(w, "== %s\nconfig:\n%s\nlayer:\n", pi.platform, cfg)
	for _, h := range pi.headers {
		fmt.Fprintf(w, "  %s %5d:%-5d %6d %s %s\n", h.FileInfo().Mode(), h.Uid, h.Gid, h.Size,
			h.ModTime.UTC().Format(time.RFC3339), h.Name)
	}
	for _, f := range []string{"etc/passwd", "etc/group", caCertsPath} {
		fmt.Fprintf(w, "%s:\n%s", f, pi.files[f])
	}
}

// TestArchiveReproducible builds twice from the same inputs and wants the same bytes.
func TestArchiveReproducible(t *testing.T) {
	first, err := os.ReadFile(buildFake(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(buildFake(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("two builds from the same inputs differ")
	}
}

func TestParseBinary(t *testing.T) {
	tests := []struct {
		in, wantPlatform, wantErr string
	}{
		{in: "linux/amd64=bin/x", wantPlatform: "linux/amd64"},
		{in: "linux/arm64/v8=bin/x", wantPlatform: "linux/arm64/v8"},
		{in: "linux/amd64", wantErr: `want os/arch=path, got "linux/amd64"`},
		{in: "linux/amd64=", wantErr: `want os/arch=path, got "linux/amd64="`},
		{in: "windows/amd64=x.exe", wantErr: `platform "windows/amd64": want linux/<arch>`},
		{in: "linux=x", wantErr: `platform "linux": want linux/<arch>`},
	}
	for _, tt := range tests {
		b, err := parseBinary(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parseBinary(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parseBinary(%q): %v", tt.in, err)
		case b.platform.String() != tt.wantPlatform || b.path != "bin/x":
			t.Errorf("parseBinary(%q) = %s %s", tt.in, b.platform, b.path)
		}
	}
}

// runInputs writes a stand-in binary and a file that is not PEM into a temporary directory
// and returns the archive path run should write, and flags naming them.
func runInputs(t *testing.T) (out, notPEM string, flags []string) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	notPEM = filepath.Join(dir, "certs.txt")
	for path, data := range map[string]string{bin: "x", notPEM: "not a certificate\n"} {
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out = filepath.Join(dir, "image.tar")
	return out, notPEM, []string{"-out", out, "-version", "v1", "-revision", "r", "-binary", "linux/amd64=" + bin}
}

// TestRunRefusesBadInput checks that bad flags fail before anything is written.
func TestRunRefusesBadInput(t *testing.T) {
	out, notPEM, base := runInputs(t)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{args: base, wantErr: "-ref, -version, -revision and -binary are required"},
		{args: append([]string{"-ref", "example.com/tj:v1"}, append(base, base[len(base)-2:]...)...), wantErr: "platform linux/amd64 given twice"},
		{args: append([]string{"-ref", "example.com/tj"}, base...), wantErr: "it needs an explicit tag"},
		{args: append([]string{"-ref", "example.com/tj:v1", "-created", "yesterday"}, base...), wantErr: `-created "yesterday": want Unix seconds`},
		{args: append([]string{"-ref", "example.com/tj:v1", "-ca-certs", filepath.Join(t.TempDir(), "none.crt")}, base...), wantErr: "apt-get install ca-certificates"},
		{args: append([]string{"-ref", "example.com/tj:v1", "-ca-certs", notPEM}, base...), wantErr: "no PEM certificate in it"},
		{args: append([]string{"-ref", "example.com/tj:v1", "-ca-certs", "testdata/ca.pem", "-binary", "linux/arm64=" + filepath.Join(t.TempDir(), "none")}, base...), wantErr: "image linux/arm64: binary: open"},
	}
	for _, tt := range tests {
		err := run(tt.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("run(%q) error = %v, want it to contain %q", tt.args, err, tt.wantErr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s exists after failed runs (%v)", out, err)
	}
}

// TestRunWritesArchive runs the command as make does, with a CA certificate from testdata.
func TestRunWritesArchive(t *testing.T) {
	out, _, flags := runInputs(t)
	err := run(append([]string{"-ref", "example.com/tj:v1", "-ca-certs", "testdata/ca.pem", "-created", "1767225600"}, flags...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	pi := readArchive(t, out).image(t, "linux/amd64")
	if got, want := pi.config.Created.UTC(), time.Unix(1767225600, 0).UTC(); !got.Equal(want) {
		t.Errorf("created = %s, want %s", got, want)
	}
	if want, _ := os.ReadFile("testdata/ca.pem"); !bytes.Equal(pi.files[caCertsPath], want) {
		t.Errorf("/%s is not the -ca-certs file", caCertsPath)
	}
}
