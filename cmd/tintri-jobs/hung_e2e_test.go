package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// hungServer listens on loopback, accepts connections and never answers on them (not even
// the TLS handshake): a hung VMstore. It returns host:port.
func hungServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close() // the test is over; its listener's error says nothing
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// TestFaultHungVMstore: one VMstore of a fleet of four accepts connections and never answers.
// With timeout = "1s" and attempts = 2 on the fleet, plan gives up on it once both tries
// of its first request timed out, reports it failed once with why, and plans the three
// others. -timeout and -attempts override what the job file says, for every server. (No
// wall time is asserted: without the limits the plan would take 4 × 60s per request.)
func TestFaultHungVMstore(t *testing.T) {
	e := newE2E(t, "dns", 3)
	hung := hungServer(t)
	urls, err := os.OpenFile(filepath.Join(e.dir, "urls.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := urls.WriteString("https://" + hung + "\n"); err != nil {
		t.Fatal(err)
	}
	if err := urls.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "common.hcl")
	common, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	setLimits := func(limits string) {
		t.Helper()
		edited := strings.Replace(string(common), `urls_file = "urls.txt"`, `urls_file = "urls.txt"`+"\n"+limits, 1)
		if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	failed := "    failed: " + hung + ": GET /api/info: server unavailable: 2 requests in a row timed out after 1s each; " +
		"not retried for the rest of this run\n"

	check := func(args ...string) {
		t.Helper()
		out, _ := e.mustRun(1, append([]string{"plan", "-log-level", "error"}, args...)...)
		for _, want := range []string{"task appliance_dns \"lab\": 3 to change, 0 unchanged, 1 failed\n", failed,
			"Plan: 0 to add, 3 to change, 0 to remove, 0 unchanged, 1 failed.\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("plan %v: stdout lacks %q:\n%s", args, want, out)
			}
		}
		if n := strings.Count(out, hung); n != 1 {
			t.Errorf("plan %v: the hung server is named %d times, want once:\n%s", args, n, out)
		}
	}
	setLimits("  timeout   = \"1s\"\n  attempts  = 2")
	check()
	// The job file would wait 30s three times; the flags say 1s, twice.
	setLimits("  timeout   = \"30s\"\n  attempts  = 3")
	check("-timeout", "1s", "-attempts", "2")
}
