package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// closeTimeout bounds the logout of every client at the end of a run, even when the run's
// context is already cancelled.
const closeTimeout = 10 * time.Second

// Clients builds the API clients of one run lazily from the configuration's server and
// fleet blocks, resolves fleet membership, and logs out of every client it built on Close.
// It is safe for concurrent use.
type Clients struct {
	config   *config.Config
	observer tintri.Observer
	log      zerolog.Logger

	mu      sync.Mutex
	clients map[string]*tintri.Client
	// memberFleet maps fleet member keys to their fleet (URL fleets up front, discovered
	// fleets once discovered).
	memberFleet map[string]*memberRef
	discovered  map[string][]string // fleet name -> member keys
	// discoverMu makes concurrent first uses of a discovered fleet wait for one discovery.
	discoverMu sync.Mutex
}

// memberRef is a fleet member: its fleet (for credentials) and its URL.
type memberRef struct {
	fleet *config.Fleet
	url   string
}

// NewClients prepares the clients of one run. It does not contact any server.
func NewClients(cfg *config.Config, log zerolog.Logger, obs tintri.Observer) *Clients {
	c := &Clients{
		config:      cfg,
		observer:    obs,
		log:         log,
		clients:     map[string]*tintri.Client{},
		memberFleet: map[string]*memberRef{},
		discovered:  map[string][]string{},
	}
	for _, name := range cfg.FleetNames() {
		f := cfg.Fleets[name]
		for _, u := range f.URLs {
			if key, err := config.MemberKey(u); err == nil {
				if _, dup := c.memberFleet[key]; !dup {
					c.memberFleet[key] = &memberRef{fleet: f, url: u}
				}
			}
		}
	}
	return c
}

// Client returns the API client of a server block (by name) or of a fleet member (by its
// host[:port] key), building it on first use with the block's or fleet's credentials.
// Members of a discover_from fleet are known once Members discovered them; Client runs
// that discovery itself when it meets an unknown key.
func (c *Clients) Client(ctx context.Context, server string) (*tintri.Client, error) {
	c.mu.Lock()
	if cl, ok := c.clients[server]; ok {
		c.mu.Unlock()
		return cl, nil
	}
	_, isServer := c.config.Servers[server]
	_, isMember := c.memberFleet[server]
	c.mu.Unlock()
	if !isServer && !isMember {
		if err := c.discoverAll(ctx, server); err != nil {
			return nil, err
		}
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.clients[server]; ok {
		return cl, nil
	}
	url, conn, err := c.connection(server)
	if err != nil {
		return nil, err
	}
	cfg := conn.ClientConfig(url)
	cfg.Logger, cfg.Observer = c.log, c.observer
	cl, err := tintri.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", server, err)
	}
	c.clients[server] = cl
	return cl, nil
}

// connection returns the URL and settings of a server block (by name) or fleet member (by
// key). A member takes its fleet's settings; a server block that is also a fleet's member
// (the same host[:port]) takes the fleet's timeout and attempts where it sets none. c.mu
// must be held.
func (c *Clients) connection(server string) (string, config.Connection, error) {
	if s, ok := c.config.Servers[server]; ok {
		conn := s.Connection
		if key, err := config.MemberKey(s.URL); err == nil && c.memberFleet[key] != nil {
			conn = conn.InheritRequestLimits(c.memberFleet[key].fleet.Connection)
		}
		return s.URL, conn, nil
	}
	if m, ok := c.memberFleet[server]; ok {
		return m.url, m.fleet.Connection, nil
	}
	return "", config.Connection{}, fmt.Errorf("server %q is neither a server block nor a member of a fleet", server)
}

// discoverAll discovers the members of every discover_from fleet not discovered yet, until
// one of them has key.
func (c *Clients) discoverAll(ctx context.Context, key string) error {
	for _, name := range c.config.FleetNames() {
		if c.config.Fleets[name].DiscoverFrom == "" {
			continue
		}
		if _, err := c.Members(ctx, Targets{Fleet: name}); err != nil {
			return fmt.Errorf("server %s: %w", key, err)
		}
		c.mu.Lock()
		_, found := c.memberFleet[key]
		c.mu.Unlock()
		if found {
			return nil
		}
	}
	return nil
}

// Members returns the server keys of targets: the listed server block names, or a fleet's
// member keys (host[:port] of each URL, or of each VMstore hostname its discover_from TGC
// lists). Discovery runs once per Clients.
func (c *Clients) Members(ctx context.Context, t Targets) ([]string, error) {
	if t.Fleet == "" {
		return append([]string(nil), t.Servers...), nil
	}
	f, ok := c.config.Fleets[t.Fleet]
	if !ok {
		return nil, fmt.Errorf("fleet %q is not defined", t.Fleet)
	}
	if f.DiscoverFrom == "" {
		keys := make([]string, 0, len(f.URLs))
		for _, u := range f.URLs {
			k, err := config.MemberKey(u)
			if err != nil {
				return nil, fmt.Errorf("fleet %s: %w", f.Name, err)
			}
			keys = append(keys, k)
		}
		return keys, nil
	}
	return c.discover(ctx, f)
}

// discover lists the VMstores of a discover_from fleet's TGC, once.
func (c *Clients) discover(ctx context.Context, f *config.Fleet) ([]string, error) {
	if _, ok := c.config.Servers[f.DiscoverFrom]; !ok {
		return nil, fmt.Errorf("fleet %s: discover_from %q is not a server block", f.Name, f.DiscoverFrom)
	}
	c.discoverMu.Lock()
	defer c.discoverMu.Unlock()
	c.mu.Lock()
	keys, done := c.discovered[f.Name]
	c.mu.Unlock()
	if done {
		return append([]string(nil), keys...), nil
	}
	tgc, err := c.Client(ctx, f.DiscoverFrom)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: discover: %w", f.Name, err)
	}
	stores, err := tgc.ListVMstores(ctx)
	if err != nil {
		return nil, fmt.Errorf("fleet %s: discover from %s: %w", f.Name, f.DiscoverFrom, err)
	}
	keys = make([]string, 0, len(stores))
	refs := make(map[string]*memberRef, len(stores))
	for _, s := range stores {
		if s.Hostname == "" {
			continue
		}
		k, err := config.MemberKey(s.Hostname)
		if err != nil {
			return nil, fmt.Errorf("fleet %s: vmstore %q: %w", f.Name, s.Hostname, err)
		}
		keys = append(keys, k)
		refs[k] = &memberRef{fleet: f, url: s.Hostname}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, r := range refs {
		if _, dup := c.memberFleet[k]; !dup {
			c.memberFleet[k] = r
		}
	}
	c.discovered[f.Name] = keys
	return append([]string(nil), keys...), nil
}

// InflightLimits returns the in-flight limit of every client built so far, by server key
// (see tintri.Reader.InflightLimit): nil when none was.
func (c *Clients) InflightLimits() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.clients) == 0 {
		return nil
	}
	out := make(map[string]int, len(c.clients))
	for key, cl := range c.clients {
		out[key] = cl.InflightLimit()
	}
	return out
}

// Close logs out of every client built, concurrently, within closeTimeout even when ctx
// is cancelled. Logout failures are logged: the run's outcome stands.
func (c *Clients) Close(ctx context.Context) {
	c.mu.Lock()
	clients := c.clients
	c.clients = map[string]*tintri.Client{}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	for key, cl := range clients {
		wg.Go(func() {
			if err := cl.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
				c.log.Warn().Err(err).Str("server", key).Msg("logout failed")
			}
		})
	}
	wg.Wait()
}
