package show

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// fixture is a simulator and a configuration with a TGC server block and a fleet of its
// VMstores, the first one named by localhost.
type fixture struct {
	sim     *sim.Sim
	cfg     *config.Config
	clients *runner.Clients
	// hosts maps each VMstore's key to a stable name for golden files.
	hosts *strings.Replacer
}

func newFixture(t *testing.T, withTGC bool) *fixture {
	t.Helper()
	s, err := sim.Start(sim.Options{VMstores: 2, VMs: 12, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var urls, pairs []string
	for i, u := range s.VMstoreURLs() {
		if i == 0 {
			u = strings.Replace(u, "127.0.0.1", "localhost", 1)
		}
		urls = append(urls, strconv.Quote(u))
		k, _ := config.MemberKey(u)
		pairs = append(pairs, k, fmt.Sprintf("vmstore-%d", i))
	}
	src := fmt.Sprintf(`
fleet "all" {
  urls     = [%s]
  username = "admin"
  password = env("PW")
  ca_file  = env("CA")
}
`, strings.Join(urls, ", "))
	if withTGC {
		src += fmt.Sprintf(`
server "tgc" {
  url      = %q
  kind     = "tgc"
  username = "admin"
  password = env("PW")
  ca_file  = env("CA")
}
`, s.TGCURL())
	}
	src += `job "j" {
  task "noop" "t" {}
}
`
	cfg, diags := config.Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl",
		config.LoadOptions{Env: []string{"PW=" + s.Password(), "CA=" + s.CAFile()}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clients := runner.NewClients(cfg, zerolog.Nop(), nil)
	t.Cleanup(func() { clients.Close(context.Background()) })
	return &fixture{sim: s, cfg: cfg, clients: clients, hosts: strings.NewReplacer(pairs...)}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func TestFleet(t *testing.T) {
	f := newFixture(t, false)
	ctx := context.Background()
	if err := f.sim.StopServer("vmstore-1"); err != nil {
		t.Fatal(err)
	}
	rows, err := Fleet(ctx, f.clients, "all")
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		rows[i].Server = f.hosts.Replace(rows[i].Server)
	}
	var b bytes.Buffer
	if err := WriteFleet(&b, rows); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	i := strings.Index(got, "vmstore-1: cannot read: ")
	if i < 0 {
		t.Fatalf("the stopped VMstore is not said to be unreadable:\n%s", got)
	}
	// The error's text is the operating system's wording of a refused connection.
	golden(t, "fleet.txt", got[:i])
	if _, err := Fleet(ctx, f.clients, "none"); err == nil {
		t.Error("Fleet of an unknown fleet: no error")
	}
	if f.sim.Writes() != 0 {
		t.Errorf("show wrote %d times", f.sim.Writes())
	}
}

func TestVMs(t *testing.T) {
	for _, withTGC := range []bool{true, false} {
		t.Run(fmt.Sprintf("tgc=%v", withTGC), func(t *testing.T) {
			f := newFixture(t, withTGC)
			vm := f.sim.VMs()[3]
			rows, more, err := VMs(context.Background(), f.cfg, f.clients, vm.Name())
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 || more != 0 || rows[0].UUID != vm.ID() || rows[0].Name != vm.Name() {
				t.Fatalf("rows %+v (+%d), want exactly %s", rows, more, vm.Name())
			}
			if withTGC && rows[0].VMstore == "" {
				t.Errorf("the TGC's row names no VMstore: %+v", rows[0])
			}
		})
	}
	f := newFixture(t, true)
	rows, more, err := VMs(context.Background(), f.cfg, f.clients, "-0")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteVMs(&b, rows, more); err != nil {
		t.Fatal(err)
	}
	golden(t, "vms.txt", b.String())
}

func TestResolve(t *testing.T) {
	f := newFixture(t, true)
	ctx := context.Background()
	local, _ := config.MemberKey(strings.Replace(f.sim.VMstoreURLs()[0], "127.0.0.1", "localhost", 1))
	second, _ := config.MemberKey(f.sim.VMstoreURLs()[1])
	for name, want := range map[string]string{"tgc": "tgc", "localhost": local, local: local, second: second} {
		if got, err := Resolve(ctx, f.cfg, f.clients, name); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	_, err := Resolve(ctx, f.cfg, f.clients, "tgcc")
	if want := `no server block or fleet member is named "tgcc" (did you mean "tgc"?)`; err == nil || err.Error() != want {
		t.Errorf("Resolve(tgcc) error = %v, want %q", err, want)
	}
	// A member's first label names it; no request is needed for a fleet of URLs.
	cfg, diags := config.Load(fstest.MapFS{"jobs.hcl": {Data: []byte(`
fleet "f" {
  urls     = ["tintri-001.example.com", "tintri-002.example.com:8443"]
  username = "admin"
  password = "pw"
}
job "j" {
  task "noop" "t" {}
}
`)}}, "jobs.hcl", config.LoadOptions{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	clients := runner.NewClients(cfg, zerolog.Nop(), nil)
	for name, want := range map[string]string{"tintri-001": "tintri-001.example.com", "TINTRI-002": "tintri-002.example.com:8443"} {
		if got, err := Resolve(ctx, cfg, clients, name); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}
