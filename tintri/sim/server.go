package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// support tells which server kinds serve a route, as the reference's "Tintri Api Server
// Support" line does.
type support int

const (
	supportAll support = iota
	supportTGC
	supportVMstore
)

// route is one endpoint: its method, pattern (also the counter key), which servers support
// it and its handler.
type route struct {
	method  string
	path    string
	support support
	since   string // API version the route appeared in ("" = always); older servers answer 404
	public  bool   // served without a session
	session bool   // login/logout: spared from fault injection
	h       func(*server, http.ResponseWriter, *http.Request)
}

// routes is every endpoint the simulator serves.
var routes = []route{
	{method: "GET", path: "/api/info", public: true, h: (*server).handleInfo},
	{method: "POST", path: "/api/v310/session/login", public: true, session: true, h: (*server).handleLogin},
	{method: "POST", path: "/api/v310/session/logout", public: true, session: true, h: (*server).handleLogout},
	{method: "GET", path: "/api/v310/session/logout", public: true, session: true, h: (*server).handleLogout},
	{method: "GET", path: "/api/v310/appliance", h: (*server).handleAppliances},
	{method: "GET", path: "/api/v310/appliance/{uuid}", h: (*server).handleApplianceGet},
	{method: "PUT", path: "/api/v310/appliance/{uuid}", h: (*server).handleAppliancePut},
	{method: "GET", path: "/api/v310/appliance/{uuid}/dns", h: (*server).handleApplianceDNS},
	{method: "GET", path: "/api/v310/appliance/{uuid}/ips", h: (*server).handleApplianceIPs},
	{method: "GET", path: "/api/v310/appliance/{uuid}/info", h: (*server).handleApplianceInfo},
	{method: "GET", path: "/api/v310/appliance/{uuid}/maintenanceMode", support: supportVMstore, h: (*server).handleApplianceMaintenance},
	{method: "GET", path: "/api/v310/appliance/{uuid}/failedComponents", support: supportVMstore, h: (*server).handleApplianceFailed},
	{method: "GET", path: "/api/v310/vm", h: (*server).handleVMList},
	{method: "GET", path: "/api/v310/vm/{id}", h: (*server).handleVMGet},
	{method: "PUT", path: "/api/v310/vm/{id}/affinity", support: supportTGC, since: "v310.51", h: (*server).handleVMAffinity},
	{method: "PUT", path: "/api/v310/vm/qosConfig", support: supportVMstore, since: "v310.21", h: (*server).handleVMQoS},
	{method: "POST", path: "/api/v310/vm/vmListDownloadable", support: supportTGC, h: (*server).handleReportRequest},
	{method: "GET", path: "/downloads/{token}/{name}", support: supportTGC, public: true, h: (*server).handleReportDownload},
	{method: "GET", path: "/api/v310/servicegroup", h: (*server).handleGroupList},
	{method: "GET", path: "/api/v310/servicegroup/{id}", h: (*server).handleGroupGet},
	{method: "GET", path: "/api/v310/servicegroup/{id}/members", h: (*server).handleGroupMembers},
	{method: "PUT", path: "/api/v310/servicegroup/{id}/members/static", support: supportTGC, since: "v310.21", h: (*server).handleGroupStatic},
	{method: "GET", path: "/api/v310/servicegroup/{id}/qosConfig", support: supportTGC, since: "v310.31", h: (*server).handleGroupQoSGet},
	{method: "PUT", path: "/api/v310/servicegroup/{id}/qosConfig", support: supportTGC, since: "v310.31", h: (*server).handleGroupQoSPut},
	{method: "POST", path: "/api/v310/servicegroup/{id}/qos", support: supportTGC, h: (*server).handleGroupQoSApply},
	{method: "GET", path: "/api/v310/vmstore", support: supportTGC, h: (*server).handleVMstoreList},
	{method: "GET", path: "/api/v310/vm/{id}/statsHistoric", h: (*server).handleVMStatsHistoric},
	{method: "GET", path: "/api/v310/vm/{id}/statsRealtime", support: supportVMstore, h: (*server).handleVMStatsRealtime},
	{method: "GET", path: "/api/v310/snapshot", h: (*server).handleSnapshotList},
	{method: "POST", path: "/api/v310/snapshot", support: supportVMstore, h: (*server).handleSnapshotCreate},
	{method: "DELETE", path: "/api/v310/snapshot", support: supportVMstore, h: (*server).handleSnapshotDeleteVM},
	{method: "GET", path: "/api/v310/snapshot/{id}", support: supportVMstore, h: (*server).handleSnapshotGet},
	{method: "DELETE", path: "/api/v310/snapshot/{id}", support: supportVMstore, h: (*server).handleSnapshotDelete},
}

// server is one simulated appliance: the TGC (index -1) or VMstore index.
type server struct {
	sim      *Sim
	name     string
	index    int
	hostPort string
	url      string
	mux      *http.ServeMux
	byPat    map[string]*route
	hs       *http.Server
	ln       net.Listener
	sem      chan struct{}

	mu       sync.Mutex // guards the fields below
	sessions map[string]time.Time
	rng      *rand.Rand
	faults   []faultRule // FailNext and FailNextMatching, in the order they were set
	holds    []*Hold     // Hold, in the order they were set
	stopped  bool
}

// newServer listens on 127.0.0.1:0 with TLS; serve starts answering.
func newServer(s *Sim, name string, index int, cfg *tls.Config) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s: listen: %w", name, err)
	}
	srv := &server{
		sim: s, name: name, index: index, hostPort: ln.Addr().String(),
		mux: http.NewServeMux(), byPat: map[string]*route{},
		ln:       tls.NewListener(ln, cfg),
		sessions: map[string]time.Time{},
		rng:      rand.New(rand.NewPCG(uint64(s.opts.Seed), uint64(index+2))),
	}
	srv.url = "https://" + srv.hostPort
	if s.opts.MaxInflight > 0 {
		srv.sem = make(chan struct{}, s.opts.MaxInflight)
	}
	for i := range routes {
		rt := &routes[i]
		pat := rt.method + " " + rt.path
		srv.byPat[pat] = rt
		srv.mux.HandleFunc(pat, func(w http.ResponseWriter, r *http.Request) { rt.h(srv, w, r) })
	}
	srv.hs = &http.Server{Handler: srv, ReadHeaderTimeout: 30 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	return srv, nil
}

func (srv *server) serve() { go func() { _ = srv.hs.Serve(srv.ln) }() }

func (srv *server) stop() error {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.stopped {
		return nil
	}
	srv.stopped = true
	if err := srv.hs.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("sim: stop %s: %w", srv.name, err)
	}
	return nil
}

func (srv *server) isTGC() bool { return srv.index < 0 }

// version is the server's preferred API version.
func (srv *server) version() string {
	if srv.isTGC() {
		return srv.sim.opts.TGCVersion
	}
	return srv.sim.opts.VMstoreVersion
}

// versionMinor is the minor number of "v310.N" (0 when malformed).
func versionMinor(v string) int {
	_, minor, _ := strings.Cut(v, ".")
	n, _ := strconv.Atoi(minor)
	return n
}

// appliance is the server's own appliance in the shared state. The caller holds st.mu.
func (srv *server) appliance() *tintri.Appliance {
	if srv.isTGC() {
		return &srv.sim.st.tgc
	}
	return &srv.sim.st.stores[srv.index].appliance
}

// ServeHTTP applies, in order: the in-flight limit, latency, fault injection, holds that
// wait before serving, routing, the session check, counting and the server-kind check,
// then the endpoint (and holds that wait after serving).
func (srv *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := srv.mux.Handler(r)
	rt := srv.byPat[pattern]
	if srv.sem != nil {
		if !srv.admit(w, r) {
			return
		}
		defer func() { <-srv.sem }()
	}
	if !srv.delay(r.Context()) {
		return
	}
	if status := srv.injectedFault(r, rt != nil && rt.session); status != 0 {
		writeError(w, status, codeInternal, "An internal server error occured while processing the API call", "injected fault")
		return
	}
	if !srv.waitBefore(r) {
		return
	}
	if rt == nil || (rt.since != "" && versionMinor(srv.version()) < versionMinor(rt.since)) {
		writeError(w, http.StatusNotFound, codeNotFound, "Resource not found", "no route for "+r.Method+" "+r.URL.Path+" in API "+srv.version())
		return
	}
	if !rt.public && !srv.validSession(r) {
		writeError(w, http.StatusUnauthorized, codeNoSession, "Invalid session", "no valid session (missing, unknown, logged out or expired): log in first")
		return
	}
	srv.sim.ctr.add(srv.name, r.Method, rt.path)
	if (rt.support == supportTGC && !srv.isTGC()) || (rt.support == supportVMstore && srv.isTGC()) {
		want := "Tintri Global Center"
		if rt.support == supportVMstore {
			want = "VMstore"
		}
		writeError(w, http.StatusBadRequest, codeNotSupported, "Request not supported.", rt.method+" "+rt.path+" is served by a "+want+" only")
		return
	}
	srv.serveHeld(w, r)
}

// delay sleeps Options.Latency ±50%; false if the request was cancelled meanwhile.
func (srv *server) delay(ctx context.Context) bool {
	lat := srv.sim.opts.Latency
	if lat <= 0 {
		return true
	}
	srv.mu.Lock()
	d := lat/2 + time.Duration(srv.rng.Int64N(int64(lat)+1))
	srv.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// sessionPrefix starts the paths of session login and logout, which fault injection spares
// unless a FailNextMatching rule names them.
const sessionPrefix = "/api/v310/session"

// faultRule answers the next n requests whose method is method ("" = any) and whose path
// starts with prefix with status.
type faultRule struct {
	method, prefix string
	n, status      int
}

// matches reports whether the rule applies to r; session requests only match a rule whose
// prefix names the session paths.
func (f faultRule) matches(r *http.Request, session bool) bool {
	if f.n <= 0 || (f.method != "" && f.method != r.Method) || !strings.HasPrefix(r.URL.Path, f.prefix) {
		return false
	}
	return !session || strings.HasPrefix(f.prefix, sessionPrefix)
}

// injectedFault returns the status to answer r with instead of serving it (the first
// matching FailNext/FailNextMatching rule, then ErrorRate, which spares session requests),
// or 0.
func (srv *server) injectedFault(r *http.Request, session bool) int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	for i := range srv.faults {
		if f := &srv.faults[i]; f.matches(r, session) {
			f.n--
			return f.status
		}
	}
	if rate := srv.sim.opts.ErrorRate; rate > 0 && !session && srv.rng.Float64() < rate {
		if srv.rng.IntN(2) == 0 {
			return http.StatusInternalServerError
		}
		return http.StatusServiceUnavailable
	}
	return 0
}

// failNext sets the rule for method and prefix, replacing an earlier one for the same pair.
func (srv *server) failNext(method, prefix string, n, status int) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	f := faultRule{method: strings.ToUpper(method), prefix: prefix, n: n, status: status}
	srv.faults = slices.DeleteFunc(srv.faults, func(o faultRule) bool {
		return o.n <= 0 || (o.method == f.method && o.prefix == f.prefix)
	})
	srv.faults = append(srv.faults, f)
}
