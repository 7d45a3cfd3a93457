package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The Kubernetes manifests cannot be checked by kubectl or kubeconform here: both need a
// cluster or schemas fetched from the network. These tests parse them (go.yaml.in/yaml/v3,
// already in the module graph through prometheus/common, a test-only import here) and
// check what the deployment relies on: pinned images, the CLI accepting every argument,
// valid job files, a token Secret behind -token-file, probes on the listening port, and
// selectors that match.

// kubernetesDir holds the manifests.
const kubernetesDir = "../../deploy/kubernetes"

// k8sObject is the part of a Kubernetes object the tests read; Spec is decoded by kind.
type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       yaml.Node         `yaml:"spec"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec k8sPodSpec `yaml:"spec"`
}

type k8sPodSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
		RunAsUser    int  `yaml:"runAsUser"`
		FSGroup      int  `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []k8sContainer `yaml:"containers"`
	Volumes    []k8sVolume    `yaml:"volumes"`
}

type k8sContainer struct {
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
	EnvFrom []struct {
		SecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	SecurityContext struct {
		ReadOnlyRootFilesystem bool `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	Secret *struct {
		SecretName  string `yaml:"secretName"`
		DefaultMode *int   `yaml:"defaultMode"`
	} `yaml:"secret"`
	PersistentVolumeClaim *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

type k8sDeploymentSpec struct {
	Replicas int `yaml:"replicas"`
	Strategy struct {
		Type string `yaml:"type"`
	} `yaml:"strategy"`
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Template k8sPodTemplate `yaml:"template"`
}

type k8sCronJobSpec struct {
	ConcurrencyPolicy string `yaml:"concurrencyPolicy"`
	JobTemplate       struct {
		Spec struct {
			TTLSecondsAfterFinished int            `yaml:"ttlSecondsAfterFinished"`
			Template                k8sPodTemplate `yaml:"template"`
		} `yaml:"spec"`
	} `yaml:"jobTemplate"`
}

type k8sServiceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

type k8sServiceMonitorSpec struct {
	Selector struct {
		MatchLabels map[string]string `yaml:"matchLabels"`
	} `yaml:"selector"`
	Endpoints []struct {
		Port string `yaml:"port"`
		Path string `yaml:"path"`
	} `yaml:"endpoints"`
}

// readManifest parses every document of a manifest file, by kind.
func readManifest(t *testing.T, name string) map[string]k8sObject {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(kubernetesDir, name))
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]k8sObject{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
			t.Errorf("%s: an object without apiVersion, kind or metadata.name: %+v", name, o)
		}
		if _, dup := objs[o.Kind]; dup {
			t.Fatalf("%s: two objects of kind %s", name, o.Kind)
		}
		objs[o.Kind] = o
	}
}

// spec decodes the spec of o into v.
func spec[T any](t *testing.T, o k8sObject) T {
	t.Helper()
	var v T
	if err := o.Spec.Decode(&v); err != nil {
		t.Fatalf("%s %s: spec: %v", o.Kind, o.Metadata.Name, err)
	}
	return v
}

// pinnedImage matches the image the deploy files run, by release tag.
var pinnedImage = regexp.MustCompile(`^ghcr\.io/tintri-jobs/tintri-jobs:v\d+\.\d+\.\d+$`)

// flagValue returns the value of -name in args ("" when absent).
func flagValue(args []string, name string) string {
	for i, a := range args {
		if a == "-"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// checkPod checks what a pod of either manifest needs: one container running the pinned
// image as a non-root user on a read-only root, arguments the CLI accepts, a config
// directory from the file's ConfigMap whose job files are valid, and credentials from the
// file's Secret.
func checkPod(t *testing.T, file string, objs map[string]k8sObject, pod k8sPodSpec) k8sContainer {
	t.Helper()
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", file, len(pod.Containers))
	}
	c := pod.Containers[0]
	if !pinnedImage.MatchString(c.Image) {
		t.Errorf("%s: image %q, want a release tag of ghcr.io/tintri-jobs/tintri-jobs", file, c.Image)
	}
	if !pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser != 65532 || !c.SecurityContext.ReadOnlyRootFilesystem {
		t.Errorf("%s: security context %+v, %+v", file, pod.SecurityContext, c.SecurityContext)
	}
	// Every flag is one the command has, with a value it parses: -help after them all
	// exits 0 only then.
	if _, stderr, code := runInProcess(t, nil, "", false, append(slices.Clone(c.Args), "-help")...); code != exitOK {
		t.Errorf("%s: args %q: exit %d\n%s", file, c.Args, code, stderr)
	}
	volumes := map[string]k8sVolume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	mounted := func(flag string) (k8sVolume, string) {
		p := flagValue(c.Args, flag)
		for _, m := range c.VolumeMounts {
			if rel, ok := strings.CutPrefix(p, m.MountPath); ok && (rel == "" || rel[0] == '/') {
				return volumes[m.Name], strings.TrimPrefix(rel, "/")
			}
		}
		t.Errorf("%s: -%s %q is on no volume", file, flag, p)
		return k8sVolume{}, ""
	}
	if v, _ := mounted("config"); v.ConfigMap == nil || v.ConfigMap.Name != objs["ConfigMap"].Metadata.Name {
		t.Errorf("%s: -config is not on the file's ConfigMap: %+v", file, v)
	}
	if v, _ := mounted("state-dir"); v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != objs["PersistentVolumeClaim"].Metadata.Name {
		t.Errorf("%s: -state-dir is not on the file's PersistentVolumeClaim: %+v", file, v)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != objs["Secret"].Metadata.Name {
		t.Errorf("%s: envFrom %+v, want the file's Secret", file, c.EnvFrom)
	}
	dir := t.TempDir()
	for name, src := range objs["ConfigMap"].Data {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var env []string
	for k, v := range objs["Secret"].StringData {
		env = append(env, k+"="+v)
	}
	if _, stderr, code := runInProcess(t, env, "", false, "validate", "-config", dir); code != exitOK {
		t.Errorf("%s: the ConfigMap's job files are invalid:\n%s", file, stderr)
	}
	return c
}

func TestKubernetesCronJob(t *testing.T) {
	objs := readManifest(t, "cronjob.yaml")
	cj := spec[k8sCronJobSpec](t, objs["CronJob"])
	if cj.ConcurrencyPolicy != "Forbid" {
		t.Errorf("concurrencyPolicy %q, want Forbid", cj.ConcurrencyPolicy)
	}
	if ttl := cj.JobTemplate.Spec.TTLSecondsAfterFinished; ttl <= 0 {
		t.Errorf("jobTemplate.spec.ttlSecondsAfterFinished = %d, want finished Jobs removed", ttl)
	}
	c := checkPod(t, "cronjob.yaml", objs, cj.JobTemplate.Spec.Template.Spec)
	if len(c.Args) < 2 || c.Args[0] != "apply" || !slices.Contains(c.Args, "-auto-approve") {
		t.Errorf("args %q, want apply -auto-approve", c.Args)
	}
}

func TestKubernetesDaemon(t *testing.T) {
	objs := readManifest(t, "daemon.yaml")
	dep := spec[k8sDeploymentSpec](t, objs["Deployment"])
	if dep.Replicas != 1 || dep.Strategy.Type != "Recreate" {
		t.Errorf("replicas %d, strategy %q: want one daemon, never two, also during a rollout (Recreate)", dep.Replicas, dep.Strategy.Type)
	}
	pod := dep.Template.Spec
	c := checkPod(t, "daemon.yaml", objs, pod)
	if len(c.Args) == 0 || c.Args[0] != "daemon" {
		t.Fatalf("args %q, want daemon", c.Args)
	}
	cronjob := cronJobImage(t)
	if c.Image != cronjob {
		t.Errorf("image %q, the CronJob's %q: pin one release", c.Image, cronjob)
	}
	for k, v := range dep.Selector.MatchLabels {
		if dep.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not select the pods %v", k, v, dep.Template.Metadata.Labels)
		}
	}

	// The token for POST /runs comes from a Secret volume open to no one else.
	volumes := map[string]k8sVolume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	token := flagValue(c.Args, "token-file")
	var tokenVol k8sVolume
	for _, m := range c.VolumeMounts {
		if path.Dir(token) == m.MountPath {
			tokenVol = volumes[m.Name]
		}
	}
	if tokenVol.Secret == nil || tokenVol.Secret.SecretName == "" || tokenVol.Secret.DefaultMode == nil || *tokenVol.Secret.DefaultMode&0o077 != 0 {
		t.Errorf("-token-file %q: want a file of a Secret volume with defaultMode 0400 or 0600, got %+v", token, tokenVol)
	} else if b, _ := os.ReadFile(filepath.Join(kubernetesDir, "daemon.yaml")); !strings.Contains(string(b),
		"kubectl create secret generic "+tokenVol.Secret.SecretName+" --from-literal="+path.Base(token)+"=") {
		t.Errorf("daemon.yaml does not say how to create the Secret %s with the key %s", tokenVol.Secret.SecretName, path.Base(token))
	}

	// Probes reach the port the daemon listens on; runs in progress may finish on shutdown.
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	listen := flagValue(c.Args, "listen")
	for path, p := range map[string]*k8sProbe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if p == nil || p.HTTPGet.Path != path || ports[p.HTTPGet.Port] == 0 || !strings.HasSuffix(listen, ":"+strconv.Itoa(ports[p.HTTPGet.Port])) {
			t.Errorf("probe of %s: %+v (ports %v, -listen %s)", path, p, ports, listen)
		}
	}
	grace, err := time.ParseDuration(flagValue(c.Args, "shutdown-grace"))
	if err != nil || time.Duration(pod.TerminationGracePeriodSeconds)*time.Second <= grace {
		t.Errorf("terminationGracePeriodSeconds %d, -shutdown-grace %s (%v): want more time than the grace", pod.TerminationGracePeriodSeconds, grace, err)
	}

	svc := spec[k8sServiceSpec](t, objs["Service"])
	for k, v := range svc.Selector {
		if dep.Template.Metadata.Labels[k] != v {
			t.Errorf("Service selector %s=%s does not select the pods %v", k, v, dep.Template.Metadata.Labels)
		}
	}
	if len(svc.Ports) != 1 || ports[svc.Ports[0].TargetPort] == 0 {
		t.Errorf("Service ports %+v, want the container's port %v", svc.Ports, ports)
	}

	sm := readManifest(t, "servicemonitor.yaml")["ServiceMonitor"]
	mon := spec[k8sServiceMonitorSpec](t, sm)
	for k, v := range mon.Selector.MatchLabels {
		if objs["Service"].Metadata.Labels[k] != v {
			t.Errorf("ServiceMonitor selector %s=%s does not select the Service %v", k, v, objs["Service"].Metadata.Labels)
		}
	}
	if len(mon.Endpoints) != 1 || mon.Endpoints[0].Path != "/metrics" || len(svc.Ports) == 0 || mon.Endpoints[0].Port != svc.Ports[0].Name {
		t.Errorf("ServiceMonitor endpoints %+v, want /metrics on the Service's port", mon.Endpoints)
	}
}

// cronJobImage returns the image cronjob.yaml runs.
func cronJobImage(t *testing.T) string {
	t.Helper()
	cj := spec[k8sCronJobSpec](t, readManifest(t, "cronjob.yaml")["CronJob"])
	if len(cj.JobTemplate.Spec.Template.Spec.Containers) == 0 {
		t.Fatal("cronjob.yaml: no container")
	}
	return cj.JobTemplate.Spec.Template.Spec.Containers[0].Image
}
