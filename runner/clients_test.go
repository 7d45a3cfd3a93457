package runner

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// TestClientRequestLimits: a fleet's timeout and attempts apply to its members; a server
// block that is also a member (the same host) keeps its own values and takes the fleet's
// where it sets none; other servers keep theirs.
func TestClientRequestLimits(t *testing.T) {
	src := `server "own" {
  url      = "https://vmstore-1.example"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
  timeout  = "5s"
}
server "shared" {
  url      = "vmstore-2.example:443"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
}
server "alone" {
  url      = "vmstore-9.example"
  kind     = "vmstore"
  username = "admin"
  password = env("PW")
}
fleet "lab" {
  urls     = ["vmstore-1.example", "https://vmstore-2.example:443", "vmstore-3.example"]
  username = "admin"
  password = env("PW")
  timeout  = "20s"
  attempts = 2
}
`
	cfg, diags := config.Load(fstest.MapFS{"jobs.hcl": {Data: []byte(src)}}, "jobs.hcl", config.LoadOptions{Env: []string{"PW=pw"}})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	c := NewClients(cfg, zerolog.Nop(), nil)
	type limits struct {
		URL      string
		Timeout  time.Duration
		Attempts int
	}
	got := map[string]limits{}
	for _, server := range []string{"own", "shared", "alone", "vmstore-1.example", "vmstore-3.example"} {
		url, conn, err := c.connection(server)
		if err != nil {
			t.Fatal(err)
		}
		got[server] = limits{url, conn.Timeout, conn.Attempts}
	}
	want := map[string]limits{
		"own":               {"https://vmstore-1.example", 5 * time.Second, 2},
		"shared":            {"https://vmstore-2.example:443", 20 * time.Second, 2},
		"alone":             {"https://vmstore-9.example", 0, 0},
		"vmstore-1.example": {"https://vmstore-1.example", 20 * time.Second, 2},
		"vmstore-3.example": {"https://vmstore-3.example", 20 * time.Second, 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("connections (-want +got):\n%s", diff)
	}
}
