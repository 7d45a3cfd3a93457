//go:build unix

package main

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// podUID and podGID are the user and fsGroup daemon.yaml runs the daemon as.
const podUID, podGID = 65532, 65532

// TestKubernetesDaemonPod runs the binary with daemon.yaml's arguments, each volume mount
// a directory laid out as the kubelet lays it out, and probes it as the kubelet does: by
// the address it listens on, with that address as Host. When the test runs as root, the
// daemon runs as the pod's user and the token file is root:fsGroup, mode 0440, as a Secret
// volume with fsGroup is. A request naming the Service instead is refused (Host check).
func TestKubernetesDaemonPod(t *testing.T) {
	objs := readManifest(t, "daemon.yaml")
	dep := spec[k8sDeploymentSpec](t, objs["Deployment"])
	c := dep.Template.Spec.Containers[0]
	asPod := os.Geteuid() == 0

	root := t.TempDir()
	mounts := map[string]string{} // mount path → directory
	for _, m := range c.VolumeMounts {
		dir := filepath.Join(root, m.Name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mounts[m.MountPath] = dir
	}
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = a
		for mp, dir := range mounts {
			if rest, ok := strings.CutPrefix(a, mp); ok && (rest == "" || rest[0] == '/') {
				args[i] = dir + rest
			}
		}
		if i > 0 && c.Args[i-1] == "-listen" {
			args[i] = strings.TrimSuffix(a, ":9273") + ":0" // any free port, every address as :9273
		}
	}
	for name, src := range objs["ConfigMap"].Data {
		writeFile(t, filepath.Join(mounts["/etc/tintri-jobs"], name), src, 0o644)
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	tokenFile := flagValue(args, "token-file")
	writeFile(t, tokenFile, hex.EncodeToString(b[:]), 0o600)
	bin := binPath
	cmd := exec.Command(bin)
	if asPod {
		// The kubelet's Secret volume with fsGroup: root:fsGroup, defaultMode|0440.
		if err := os.Chown(tokenFile, 0, podGID); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(tokenFile, 0o440); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(mounts["/var/lib/tintri-jobs"], podUID, podGID); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{filepath.Dir(root), root} { // t.TempDir's are 0700
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		bin = filepath.Join(root, "tintri-jobs")
		copyFile(t, binPath, bin)
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: podUID, Gid: podGID}}
	}
	cmd.Path, cmd.Args, cmd.Dir = bin, append([]string{bin}, args...), root
	for k, v := range objs["Secret"].StringData {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := startDaemonCmd(t, cmd)
	listening, _ := p.waitLog(t, 0, "listening", nil)
	_, port, err := net.SplitHostPort(listening["addr"].(string))
	if err != nil {
		t.Fatal(err)
	}
	ip := podIP()
	for _, probe := range []*k8sProbe{c.LivenessProbe, c.ReadinessProbe} {
		if code := getWithHost(t, "http://"+net.JoinHostPort(ip, port)+probe.HTTPGet.Path, net.JoinHostPort(ip, port)); code != http.StatusOK {
			t.Errorf("probe %s via %s: status %d, want 200", probe.HTTPGet.Path, ip, code)
		}
	}
	svcHost := objs["Service"].Metadata.Name + ":" + port
	if code := getWithHost(t, "http://"+net.JoinHostPort(ip, port)+"/metrics", svcHost); code != http.StatusMisdirectedRequest {
		t.Errorf("GET /metrics with Host %s: status %d, want 421", svcHost, code)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if err := p.cmd.Wait(); err != nil {
		t.Errorf("daemon after SIGTERM: %v\n%s", err, p.dump())
	}
}

// podIP is an address of this host other than loopback, as a pod's IP is, or 127.0.0.1.
func podIP() string {
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return "127.0.0.1"
}

// getWithHost GETs url with the Host header host, retrying while the daemon gets ready,
// and returns the final status.
func getWithHost(t *testing.T, url, host string) int {
	t.Helper()
	deadline := time.Now().Add(daemonE2EDeadline)
	for {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
				return resp.StatusCode
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}
