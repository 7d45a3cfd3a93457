package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// repoRoot is the tintri-jobs repository this module sits in.
const repoRoot = "../.."

// TestDockerfileMatchesBuilder checks that the Dockerfile describes the image this builder
// makes: FROM scratch, the same user, working directory, entrypoint, accounts, CA bundle
// path, nonroot-owned directories and label keys.
func TestDockerfileMatchesBuilder(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	_, final, ok := strings.Cut(text, "\nFROM scratch\n")
	if !ok {
		t.Fatal("Dockerfile: no final `FROM scratch` stage")
	}
	cfg := imageConfig(fakeSpec, v1.Platform{OS: "linux", Architecture: "amd64"})
	entrypoint, err := json.Marshal(cfg.Config.Entrypoint)
	if err != nil {
		t.Fatal(err)
	}
	printf := func(s string) string { return "printf '" + strings.ReplaceAll(s, "\n", `\n`) + "'" }
	for _, want := range []struct{ where, text string }{
		{final, "\nUSER " + cfg.Config.User + "\n"},
		{final, "\nWORKDIR " + cfg.Config.WorkingDir + "\n"},
		{final, "\nENTRYPOINT " + string(entrypoint) + "\n"},
		{text, printf(passwd) + " >/rootfs/etc/passwd"},
		{text, printf(group) + " >/rootfs/etc/group"},
		{text, " /rootfs/" + caCertsPath + " "},
		{text, " /owned/" + homeDir + " /owned/" + stateDir + " "},
		{final, "--chown=" + cfg.Config.User + " /owned/ /\n"},
		{text, " -o /rootfs/" + binaryPath + " "},
	} {
		if !strings.Contains(want.where, want.text) {
			t.Errorf("Dockerfile lacks %q", want.text)
		}
	}
	var labels []string
	for _, m := range regexp.MustCompile(`(org\.opencontainers\.image\.[a-z]+)=`).FindAllStringSubmatch(final, -1) {
		labels = append(labels, m[1])
	}
	var want []string
	for k := range cfg.Config.Labels {
		if k != "org.opencontainers.image.created" { // Docker records the build time itself
			want = append(want, k)
		}
	}
	slices.Sort(labels)
	slices.Sort(want)
	if !slices.Equal(labels, want) {
		t.Errorf("Dockerfile labels %q, builder labels %q", labels, want)
	}
}

// deployFiles are the deploy files that run the image.
var deployFiles = []string{"deploy/kubernetes/cronjob.yaml", "deploy/kubernetes/daemon.yaml", "deploy/nomad/tintri-jobs.nomad.hcl"}

// TestDeployFilesPinImage checks that the Kubernetes and Nomad files run this image by the
// same release tag, never :latest.
func TestDeployFilesPinImage(t *testing.T) {
	ref := regexp.MustCompile(`image\s*[:=]\s*"?(ghcr\.io/tintri-jobs/tintri-jobs):([^"\s]+)"?\s*$`)
	tags := map[string]string{}
	for _, f := range deployFiles {
		b, err := os.ReadFile(filepath.Join(repoRoot, f))
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := ref.FindStringSubmatch(line); m != nil {
				tags[f] = m[2]
				if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m[2]) {
					t.Errorf("%s:%d: image tag %q, want a release tag like v1.2.3", f, i+1, m[2])
				}
			}
		}
		if _, ok := tags[f]; !ok {
			t.Errorf("%s: no ghcr.io/tintri-jobs/tintri-jobs image", f)
		}
	}
	for _, f := range deployFiles {
		if tag, ok := tags[f]; ok && tag != tags[deployFiles[0]] {
			t.Errorf("deploy files pin different tags: %v", tags)
			break
		}
	}
}
