package main

import (
	"bytes"
	"crypto/x509"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// imageEnv names the archive `make image` built; `make image-test` sets it.
const imageEnv = "TINTRI_JOBS_IMAGE"

// elfMachine is the ELF machine each supported architecture's binary must have.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestBuiltImage checks the archive `make image` produced: a linux/amd64 image at least,
// each with the entrypoint, user and working directory, a static binary for its
// architecture, CA certificates, the nonroot account, and on a matching host the binary
// itself printing the version and commit its labels name.
func TestBuiltImage(t *testing.T) {
	path := os.Getenv(imageEnv)
	if path == "" {
		t.Skipf("%s is unset: `make image-test` builds the image and sets it", imageEnv)
	}
	a := readArchive(t, path)
	a.image(t, "linux/amd64")
	for _, pi := range a.images {
		t.Run(pi.platform.String(), func(t *testing.T) { checkBuiltImage(t, pi) })
	}
}

// checkBuiltImage checks one platform's image of the built archive.
func checkBuiltImage(t *testing.T, pi platformImage) {
	cfg := pi.config.Config
	if len(cfg.Entrypoint) != 1 || cfg.Entrypoint[0] != "/tintri-jobs" || len(cfg.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q: want [/tintri-jobs] and none", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "65532:65532" || cfg.WorkingDir != "/home/nonroot" {
		t.Errorf("user %q, working dir %q: want 65532:65532 and /home/nonroot", cfg.User, cfg.WorkingDir)
	}
	if !strings.Contains(string(pi.files["etc/passwd"]), "nonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot 65532:\n%s", pi.files["etc/passwd"])
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pi.files[caCertsPath]) {
		t.Errorf("/%s holds no certificate", caCertsPath)
	}
	bin, ok := pi.files[binaryPath]
	if !ok {
		t.Fatalf("no /%s in the layer", binaryPath)
	}
	checkStaticELF(t, bin, pi.platform.Architecture)

	version, commit := cfg.Labels["org.opencontainers.image.version"], cfg.Labels["org.opencontainers.image.revision"]
	if version == "" || commit == "" {
		t.Fatalf("version label %q, revision label %q: want both set", version, commit)
	}
	if runtime.GOOS != pi.platform.OS || runtime.GOARCH != pi.platform.Architecture {
		t.Logf("not running the %s binary on %s/%s", pi.platform, runtime.GOOS, runtime.GOARCH)
		return
	}
	exe := filepath.Join(t.TempDir(), "tintri-jobs")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(exe, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("tintri-jobs version: %v\n%s", err, out)
	}
	if want := fmt.Sprintf("tintri-jobs %s (commit %s, go", version, commit); !strings.HasPrefix(string(out), want) {
		t.Errorf("tintri-jobs version printed %q, want it to start with %q", out, want)
	}
}

// checkStaticELF fails unless bin is an ELF executable for arch with no program
// interpreter and no shared libraries: it runs in an image without a libc.
func checkStaticELF(t *testing.T, bin []byte, arch string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("/%s is not ELF: %v", binaryPath, err)
	}
	defer f.Close()
	want, ok := elfMachine[arch]
	if !ok || f.Machine != want {
		t.Errorf("ELF machine %s for %s, want %s", f.Machine, arch, want)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("/%s is dynamically linked (it names a program interpreter)", binaryPath)
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil || len(libs) > 0 {
		t.Errorf("/%s needs shared libraries %q (%v)", binaryPath, libs, err)
	}
}
