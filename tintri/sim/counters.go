package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
)

// Count is the number of requests a server answered for one method and route pattern.
type Count struct {
	Server string `json:"server"` // "tgc", "vmstore-0", …
	Method string `json:"method"`
	Path   string `json:"path"` // route pattern, e.g. "/api/v310/vm/{id}/affinity"
	N      int64  `json:"n"`
}

// Counts is the request counts of a simulator as WriteCounts writes them (the CLI's
// -counts-file): the totals of Reads and Writes and every Count.
type Counts struct {
	Reads  int64   `json:"reads"`
	Writes int64   `json:"writes"`
	Counts []Count `json:"counts"`
}

type countKey struct{ server, method, path string }

// counters counts requests that reached an endpoint: requests refused by fault injection,
// without a valid session, or to an unknown route are not counted.
type counters struct {
	mu     sync.Mutex
	byKey  map[countKey]int64
	writes int64
	reads  int64
}

// notWrites are the non-GET routes that change nothing and so count as reads.
var notWrites = map[string]bool{
	"/api/v310/session/login":         true,
	"/api/v310/session/logout":        true,
	"/api/v310/vm/vmListDownloadable": true,
}

// isWrite reports whether method on path changes state.
func isWrite(method, path string) bool {
	switch method {
	case http.MethodPut, http.MethodPost, http.MethodDelete:
		return !notWrites[path]
	}
	return false
}

func (c *counters) add(server, method, path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byKey == nil {
		c.byKey = map[countKey]int64{}
	}
	c.byKey[countKey{server, method, path}]++
	if isWrite(method, path) {
		c.writes++
	} else {
		c.reads++
	}
}

// Writes is the number of state-changing requests (PUT, POST, DELETE other than session
// login/logout and vmListDownloadable) that reached an endpoint on any server.
func (s *Sim) Writes() int64 {
	s.ctr.mu.Lock()
	defer s.ctr.mu.Unlock()
	return s.ctr.writes
}

// Reads is the number of other requests that reached an endpoint on any server.
func (s *Sim) Reads() int64 {
	s.ctr.mu.Lock()
	defer s.ctr.mu.Unlock()
	return s.ctr.reads
}

// Counts returns the request counts sorted by server, path and method.
func (s *Sim) Counts() []Count {
	s.ctr.mu.Lock()
	defer s.ctr.mu.Unlock()
	out := make([]Count, 0, len(s.ctr.byKey))
	for k, n := range s.ctr.byKey {
		out = append(out, Count{Server: k.server, Method: k.method, Path: k.path, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Server != b.Server {
			return a.Server < b.Server
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	return out
}

// ResetCounters sets every counter back to zero.
func (s *Sim) ResetCounters() {
	s.ctr.mu.Lock()
	defer s.ctr.mu.Unlock()
	s.ctr.byKey = nil
	s.ctr.writes, s.ctr.reads = 0, 0
}

// WriteCounts writes the request counts to path as JSON (Counts), atomically: a temporary
// file renamed over path.
func (s *Sim) WriteCounts(path string) error {
	b, err := json.MarshalIndent(Counts{Reads: s.Reads(), Writes: s.Writes(), Counts: s.Counts()}, "", "  ")
	if err != nil {
		return fmt.Errorf("sim: counts: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("sim: write counts: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sim: write counts: %w", err)
	}
	return nil
}
