package runner

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// closeTimeout bounds the logout of every client at the end of a plan or apply, even when
// the run's context is already cancelled.
const closeTimeout = 10 * time.Second

// Env is what tasks get from the engine during one Plan or Apply: API clients built lazily
// from the configuration, fleet membership, and a bounded way to work on many targets at
// once. The engine gives each task a copy whose Log carries the job and task names; the
// copies share their clients.
type Env struct {
	// Log is the task's logger (fields job and task).
	Log zerolog.Logger
	// Parallelism bounds ForEach.
	Parallelism int
	// Now is the run's clock.
	Now func() time.Time

	shared *envShared
}

// envShared is the state every copy of an Env shares.
type envShared struct {
	config   *Config
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
	fleet *Fleet
	url   string
}

// newEnv builds the Env of one run. It does not contact any server.
func newEnv(cfg *Config, log zerolog.Logger, parallelism int, now func() time.Time, obs tintri.Observer) *Env {
	sh := &envShared{
		config:      cfg,
		observer:    obs,
		log:         log,
		clients:     map[string]*tintri.Client{},
		memberFleet: map[string]*memberRef{},
		discovered:  map[string][]string{},
	}
	for _, name := range sortedFleetNames(cfg) {
		f := cfg.Fleets[name]
		for _, u := range f.URLs {
			if key, err := MemberKey(u); err == nil {
				if _, dup := sh.memberFleet[key]; !dup {
					sh.memberFleet[key] = &memberRef{fleet: f, url: u}
				}
			}
		}
	}
	return &Env{Log: log, Parallelism: parallelism, Now: now, shared: sh}
}

// forTask returns a copy of e whose logger names the job and task.
func (e *Env) forTask(job, task string) *Env {
	c := *e
	c.Log = e.shared.log.With().Str("job", job).Str("task", task).Logger()
	return &c
}

// MemberKey returns the key of a fleet member URL: its host[:port], as Env.Client takes it
// and tintri.Client.Host reports it. A bare host is read as https://host.
func MemberKey(rawURL string) (string, error) {
	s := strings.TrimSpace(rawURL)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("fleet member url: %w", err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("fleet member url %q: no host", rawURL)
	}
	return u.Host, nil
}

// Client returns the API client of a server block (by name) or of a fleet member (by its
// host[:port] key), building it on first use with the block's or fleet's credentials.
// Members of a discover_from fleet are known once Members discovered them; Client runs
// that discovery itself when it meets an unknown key.
func (e *Env) Client(ctx context.Context, server string) (*tintri.Client, error) {
	sh := e.shared
	sh.mu.Lock()
	if c, ok := sh.clients[server]; ok {
		sh.mu.Unlock()
		return c, nil
	}
	_, isServer := sh.config.Servers[server]
	_, isMember := sh.memberFleet[server]
	sh.mu.Unlock()
	if !isServer && !isMember {
		if err := e.discoverAll(ctx, server); err != nil {
			return nil, err
		}
	}

	sh.mu.Lock()
	defer sh.mu.Unlock()
	if c, ok := sh.clients[server]; ok {
		return c, nil
	}
	cfg := tintri.Config{Logger: sh.log, Observer: sh.observer}
	if s, ok := sh.config.Servers[server]; ok {
		cfg.URL, cfg.Username, cfg.Password = s.URL, s.Username, s.Password
		cfg.CAFile, cfg.InsecureSkipVerify, cfg.MaxInflight = s.CAFile, s.InsecureSkipVerify, s.MaxInflight
	} else if m, ok := sh.memberFleet[server]; ok {
		f := m.fleet
		cfg.URL, cfg.Username, cfg.Password = m.url, f.Username, f.Password
		cfg.CAFile, cfg.InsecureSkipVerify, cfg.MaxInflight = f.CAFile, f.InsecureSkipVerify, f.MaxInflight
	} else {
		return nil, fmt.Errorf("server %q is neither a server block nor a member of a fleet", server)
	}
	c, err := tintri.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", server, err)
	}
	sh.clients[server] = c
	return c, nil
}

// discoverAll discovers the members of every discover_from fleet not discovered yet, until
// one of them has key.
func (e *Env) discoverAll(ctx context.Context, key string) error {
	for _, name := range sortedFleetNames(e.shared.config) {
		f := e.shared.config.Fleets[name]
		if f.DiscoverFrom == "" {
			continue
		}
		if _, err := e.Members(ctx, Targets{Fleet: name}); err != nil {
			return fmt.Errorf("server %s: %w", key, err)
		}
		e.shared.mu.Lock()
		_, found := e.shared.memberFleet[key]
		e.shared.mu.Unlock()
		if found {
			return nil
		}
	}
	return nil
}

// Members returns the server keys of targets: the listed server block names, or a fleet's
// member keys (host[:port] of each URL, or of each VMstore hostname its discover_from TGC
// lists). Discovery runs once per Env.
func (e *Env) Members(ctx context.Context, t Targets) ([]string, error) {
	if t.Fleet == "" {
		return append([]string(nil), t.Servers...), nil
	}
	sh := e.shared
	f, ok := sh.config.Fleets[t.Fleet]
	if !ok {
		return nil, fmt.Errorf("fleet %q is not defined", t.Fleet)
	}
	if f.DiscoverFrom == "" {
		keys := make([]string, 0, len(f.URLs))
		for _, u := range f.URLs {
			k, err := MemberKey(u)
			if err != nil {
				return nil, fmt.Errorf("fleet %s: %w", f.Name, err)
			}
			keys = append(keys, k)
		}
		return keys, nil
	}
	if _, ok := sh.config.Servers[f.DiscoverFrom]; !ok {
		return nil, fmt.Errorf("fleet %s: discover_from %q is not a server block", f.Name, f.DiscoverFrom)
	}
	sh.discoverMu.Lock()
	defer sh.discoverMu.Unlock()
	sh.mu.Lock()
	keys, done := sh.discovered[f.Name]
	sh.mu.Unlock()
	if done {
		return append([]string(nil), keys...), nil
	}
	tgc, err := e.Client(ctx, f.DiscoverFrom)
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
		k, err := MemberKey(s.Hostname)
		if err != nil {
			return nil, fmt.Errorf("fleet %s: vmstore %q: %w", f.Name, s.Hostname, err)
		}
		keys = append(keys, k)
		refs[k] = &memberRef{fleet: f, url: s.Hostname}
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, r := range refs {
		if _, dup := sh.memberFleet[k]; !dup {
			sh.memberFleet[k] = r
		}
	}
	sh.discovered[f.Name] = keys
	return append([]string(nil), keys...), nil
}

// ForEach calls fn(ctx, i) for i in 0..n-1, at most Parallelism at once, and returns when
// every call has returned. fn sees ctx as given and decides itself what a cancelled
// context means for its target.
func (e *Env) ForEach(ctx context.Context, n int, fn func(ctx context.Context, i int)) {
	limit := e.Parallelism
	if limit <= 0 {
		limit = DefaultParallelism
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(ctx, i)
		}()
	}
	wg.Wait()
}

// close logs out of every client the run built, concurrently, within closeTimeout even
// when ctx is cancelled. Logout failures are logged: the run's outcome stands.
func (e *Env) close(ctx context.Context) {
	sh := e.shared
	sh.mu.Lock()
	keys := make([]string, 0, len(sh.clients))
	for k := range sh.clients {
		keys = append(keys, k)
	}
	clients := sh.clients
	sh.clients = map[string]*tintri.Client{}
	sh.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	e.ForEach(ctx, len(keys), func(ctx context.Context, i int) {
		if err := clients[keys[i]].Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
			sh.log.Warn().Err(err).Str("server", keys[i]).Msg("logout failed")
		}
	})
}

func sortedFleetNames(cfg *Config) []string {
	names := make([]string, 0, len(cfg.Fleets))
	for n := range cfg.Fleets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
