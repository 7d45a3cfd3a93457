package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Options configure a simulator. The zero value is usable: every field has a default.
type Options struct {
	VMstores    int           // default 3
	VMs         int           // default 200, spread over the VMstores, all visible through the TGC
	Seed        int64         // deterministic inventory (names like vdi-0001, sql-prod-03, web-017 …)
	Latency     time.Duration // per request, with ±50% jitter
	ErrorRate   float64       // fraction of requests answered 500/503 (injected); session requests are spared
	SessionTTL  time.Duration // idle time after which a session expires; 0 => 30m
	MaxInflight int           // per server; excess requests wait; 0 => unlimited
	Overload    int           // 429 or 503: answer excess requests that at once instead (overload.go)
	Username    string        // default "admin"
	Password    string        // default "tintri-sim-password"
	Dir         string        // where ca.pem is written; "" => a temp dir removed by Close
	// TGCVersion and VMstoreVersion are the preferredVersion of /api/info; default "v310.51".
	TGCVersion, VMstoreVersion string
	// Clock gives the createTime of the snapshots taken; nil => time.Now. Tests that plan
	// with a fixed clock fix this one too.
	Clock func() time.Time
	// RequireFields refuses a VM listing without includeFields (400), for tests that
	// check a client asks only for the fields it reads.
	RequireFields bool
}

// withDefaults fills the zero fields of o.
func (o Options) withDefaults() Options {
	if o.VMstores <= 0 {
		o.VMstores = 3
	}
	if o.VMs <= 0 {
		o.VMs = 200
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 30 * time.Minute
	}
	if o.Username == "" {
		o.Username = "admin"
	}
	if o.Password == "" {
		o.Password = "tintri-sim-password"
	}
	if o.TGCVersion == "" {
		o.TGCVersion = "v310.51"
	}
	if o.VMstoreVersion == "" {
		o.VMstoreVersion = "v310.51"
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return o
}

// Sim is a running simulator: one TGC and Options.VMstores VMstores. It is safe for
// concurrent use.
type Sim struct {
	opts    Options
	st      *state
	tgc     *server
	stores  []*server
	caFile  string
	tempDir string // removed by Close when Options.Dir was empty
	ctr     counters

	closeOnce sync.Once
	closeErr  error
}

// Start generates the inventory and starts every server on its own 127.0.0.1:0 listener.
func Start(opts Options) (*Sim, error) {
	opts = opts.withDefaults()
	if opts.ErrorRate < 0 || opts.ErrorRate > 1 {
		return nil, fmt.Errorf("sim: error rate %v outside [0,1]", opts.ErrorRate)
	}
	if err := checkOverload(opts); err != nil {
		return nil, err
	}
	ca, err := newCertAuthority()
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Sim{opts: opts, st: newState(opts)}
	dir := opts.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "tintri-sim-"); err != nil {
			return nil, fmt.Errorf("sim: temp dir: %w", err)
		}
		s.tempDir = dir
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("sim: dir: %w", err)
	} else if dir, err = filepath.Abs(dir); err != nil { // TINTRI_CA_FILE must work from any directory
		return nil, fmt.Errorf("sim: dir: %w", err)
	}
	if s.caFile, err = ca.writeCA(dir); err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("sim: %w", err)
	}
	tlsCfg := ca.serverConfig()
	if s.tgc, err = newServer(s, "tgc", -1, tlsCfg); err != nil {
		s.removeTemp()
		return nil, fmt.Errorf("sim: %w", err)
	}
	for i := 0; i < opts.VMstores; i++ {
		srv, err := newServer(s, storeName(i), i, tlsCfg)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sim: %w", err)
		}
		s.stores = append(s.stores, srv)
		s.st.stores[i].hostname = srv.hostPort
	}
	for _, srv := range s.servers() {
		srv.serve()
	}
	return s, nil
}

// servers returns the TGC followed by the VMstores.
func (s *Sim) servers() []*server { return append([]*server{s.tgc}, s.stores...) }

// server returns the server called name ("tgc", "vmstore-0", …) or nil.
func (s *Sim) server(name string) *server {
	for _, srv := range s.servers() {
		if srv != nil && srv.name == name {
			return srv
		}
	}
	return nil
}

func (s *Sim) removeTemp() {
	if s.tempDir != "" {
		_ = os.RemoveAll(s.tempDir)
	}
}

// Close stops every server and removes the temporary directory, if one was made.
func (s *Sim) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, srv := range s.servers() {
			if srv != nil {
				errs = append(errs, srv.stop())
			}
		}
		s.removeTemp()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// TGCURL is the TGC's base URL, "https://127.0.0.1:PORT".
func (s *Sim) TGCURL() string { return s.tgc.url }

// VMstoreURLs are the VMstores' base URLs in index order.
func (s *Sim) VMstoreURLs() []string {
	out := make([]string, len(s.stores))
	for i, srv := range s.stores {
		out[i] = srv.url
	}
	return out
}

// CAFile is the path of the PEM CA certificate that signed every server certificate.
func (s *Sim) CAFile() string { return s.caFile }

// Username is the login user name.
func (s *Sim) Username() string { return s.opts.Username }

// Password is the login password.
func (s *Sim) Password() string { return s.opts.Password }

// ServerNames are "tgc", "vmstore-0", … in that order.
func (s *Sim) ServerNames() []string {
	out := []string{"tgc"}
	for i := range s.stores {
		out = append(out, storeName(i))
	}
	return out
}

// WriteEnvFile writes shell exports for the simulator (TINTRI_TGC_URL, TINTRI_VMSTORE_URLS,
// TINTRI_CA_FILE, TINTRI_USERNAME, TINTRI_PASSWORD) atomically: a temp file renamed over path.
func (s *Sim) WriteEnvFile(path string) error {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"TINTRI_TGC_URL", s.TGCURL()},
		{"TINTRI_VMSTORE_URLS", strings.Join(s.VMstoreURLs(), " ")},
		{"TINTRI_CA_FILE", s.caFile},
		{"TINTRI_USERNAME", s.opts.Username},
		{"TINTRI_PASSWORD", s.opts.Password},
	} {
		fmt.Fprintf(&b, "export %s=%s\n", kv[0], shellQuote(kv[1]))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("sim: write env file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("sim: write env file: %w", err)
	}
	return nil
}

// shellQuote quotes v for a POSIX shell with single quotes.
func shellQuote(v string) string { return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'" }

// FailNext makes the next n requests to server ("tgc", "vmstore-0", …) other than session
// login/logout answer status with a TintriError (code ERR-API-0007), before routing and
// without being counted. It is FailNextMatching(server, "", "", n, status): it replaces an
// earlier FailNext of that server, and n = 0 cancels it. Unknown servers are ignored.
func (s *Sim) FailNext(server string, n int, status int) {
	s.FailNextMatching(server, "", "", n, status)
}

// FailNextMatching makes the next n requests to server whose method is method ("" = any)
// and whose URL path starts with pathPrefix ("" = any) answer status with a TintriError
// (code ERR-API-0007), before routing and without being counted; other requests are served
// normally. For example FailNextMatching("tgc", "GET", "/downloads/", 1, 503) fails one
// report download and FailNextMatching("tgc", "PUT", "/api/v310/vm/", 2, 503) the next two
// VM writes. Session login/logout are failed only by a pathPrefix starting with
// "/api/v310/session". A later call for the same server, method and pathPrefix replaces
// the earlier one (n = 0 cancels it); rules for other pairs are kept and a request is
// failed by the first of them, in the order they were set, that matches it. Unknown
// servers are ignored.
func (s *Sim) FailNextMatching(server, method, pathPrefix string, n, status int) {
	if srv := s.server(server); srv != nil {
		srv.failNext(method, pathPrefix, n, status)
	}
}

// StopServer closes one server's listener and connections: it becomes unreachable.
func (s *Sim) StopServer(server string) error {
	srv := s.server(server)
	if srv == nil {
		return fmt.Errorf("sim: unknown server %q", server)
	}
	return srv.stop()
}

// ExpireSessions invalidates every session on every server.
func (s *Sim) ExpireSessions() {
	for _, srv := range s.servers() {
		srv.expireSessions()
	}
}

// VMs returns every VM as the TGC reports it, sorted by name.
func (s *Sim) VMs() []tintri.VirtualMachine {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	recs := s.st.sortedVMs(-1)
	out := make([]tintri.VirtualMachine, len(recs))
	for i, v := range recs {
		out[i] = s.st.vmDTO(v, true, true)
	}
	return out
}

// VMByName returns the first VM (by uuid) called name, as the TGC reports it.
func (s *Sim) VMByName(name string) (tintri.VirtualMachine, bool) {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	for _, v := range s.st.sortedVMs(-1) {
		if v.name == name {
			return s.st.vmDTO(v, true, true), true
		}
	}
	return tintri.VirtualMachine{}, false
}

// ServiceGroups returns the TGC's service groups in creation order.
func (s *Sim) ServiceGroups() []tintri.ServiceGroup {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	out := make([]tintri.ServiceGroup, len(s.st.groups))
	for i, g := range s.st.groups {
		out[i] = s.st.groupDTO(g)
	}
	return out
}

// ServiceGroupMembers returns the members of the group called groupName (nil if unknown).
func (s *Sim) ServiceGroupMembers(groupName string) []tintri.ServiceGroupMember {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	for _, g := range s.st.groups {
		if g.name == groupName {
			return s.st.membersDTO(g)
		}
	}
	return nil
}

// Appliance returns a copy of the appliance of server ("tgc", "vmstore-0", …); the zero
// Appliance for an unknown server.
func (s *Sim) Appliance(server string) tintri.Appliance {
	srv := s.server(server)
	if srv == nil {
		return tintri.Appliance{}
	}
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return copyAppliance(*srv.appliance())
}

// EditAppliance changes the appliance of server ("tgc", "vmstore-0", …) as another
// administrator would, without a request (nothing is counted): edit gets the appliance
// itself, under the state's lock. Unknown servers are ignored.
func (s *Sim) EditAppliance(server string, edit func(*tintri.Appliance)) {
	srv := s.server(server)
	if srv == nil {
		return
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	edit(srv.appliance())
}

// VMstores returns the VMstores as the TGC lists them: hostname "127.0.0.1:PORT" (reachable,
// and the vmstoreName of their VMs), ipAddress "127.0.0.1", localAlias "vmstore-N".
func (s *Sim) VMstores() []tintri.VmStore {
	s.st.mu.RLock()
	defer s.st.mu.RUnlock()
	return s.vmstoreDTOs()
}

// vmstoreDTOs renders the VMstore list. The caller holds s.st.mu.
func (s *Sim) vmstoreDTOs() []tintri.VmStore {
	out := make([]tintri.VmStore, len(s.st.stores))
	for i, rec := range s.st.stores {
		info := *rec.appliance.Info
		out[i] = tintri.VmStore{
			TypeID:        tintri.TypeVmStore,
			UUID:          &tintri.Uuid{TypeID: tintri.TypeUuid, UUID: rec.uuid},
			Hostname:      rec.hostname,
			IPAddress:     "127.0.0.1",
			LocalAlias:    storeName(i),
			ApplianceInfo: &info,
		}
	}
	return out
}

// AddVM adds a powered-on VM called name to VMstore index vmstore and returns it as the
// TGC reports it. It panics if vmstore is out of range.
func (s *Sim) AddVM(name string, vmstore int) tintri.VirtualMachine {
	if vmstore < 0 || vmstore >= len(s.stores) {
		panic(fmt.Sprintf("sim: AddVM: vmstore %d out of range [0,%d)", vmstore, len(s.stores)))
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	v := s.st.addVM(name, vmstore, "esx-01.lab.example", true)
	return s.st.vmDTO(v, true, true)
}
