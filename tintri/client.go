package tintri

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/singleflight"

	"github.com/tintri-jobs/tintri-jobs/internal/redact"
)

// DefaultTimeout is what a zero Config.Timeout means.
const DefaultTimeout = 60 * time.Second

// Config configures one Client.
type Config struct {
	URL                string         // "https://host[:port]" (no /api); a bare host means https://host
	Username           string         // API user
	Password           Secret         // API password; redacted in every rendering
	CAFile             string         // PEM bundle; when set, the only roots trusted
	InsecureSkipVerify bool           // skip certificate verification; logged as a warning once per server and process
	MaxInflight        int            // ceiling of requests in flight to this server; 0 => DefaultMaxInflight (DefaultFixedInflight when DisableAdaptive)
	MinInflight        int            // floor of the adaptive limit; 0 => DefaultMinInflight
	DisableAdaptive    bool           // a fixed limit of MaxInflight instead of the adaptive one
	Timeout            time.Duration  // per attempt, from when it has an in-flight slot; 0 => DefaultTimeout
	Retry              RetryPolicy    // zero fields => those of DefaultRetryPolicy()
	BreakAfterTimeouts int            // attempts timed out in a row that open the circuit breaker; 0 => DefaultBreakAfterTimeouts, < 0 => never
	Logger             zerolog.Logger // parent logger; the client adds a "server" field
	Observer           Observer       // optional metrics hook; also a LimitObserver if it has that method
	HTTPClient         *http.Client   // optional (tests); replaces the client built from CAFile/InsecureSkipVerify
}

// Observer receives one Request call per HTTP exchange (status 0 when no answer came) and
// one Retry call before each repeated request. path is the route pattern below the host,
// e.g. "/api/v310/vm/{id}". Implementations must be safe for concurrent use. One that is
// also a LimitObserver is told the in-flight limit too.
type Observer interface {
	Request(server, method, path string, status int, d time.Duration)
	Retry(server, method, path string)
}

// Reader reads from one VMstore or TGC: GET requests and paged listings, never a write.
// Code that must only read (a task's Plan) is handed a Reader, so a write there does not
// compile. It is safe for concurrent use.
type Reader struct{ *conn }

// Client reads from and writes to one VMstore or TGC. It is safe for concurrent use. Its
// ReadOnly view is what code that must only read gets.
type Client struct{ Reader }

// ReadOnly returns the client's read-only view; both share one session and one in-flight
// limit.
func (c *Client) ReadOnly() *Reader { return &c.Reader }

// conn is the connection to one server that a Client and its Reader share: base URL,
// credentials, session, HTTP transport, in-flight limit, retry policy and logger.
type conn struct {
	base    *url.URL // scheme and host only
	host    string
	cred    *credentials
	http    *http.Client
	own     *http.Transport // built by New, closed by Close
	lim     *limiter
	timeout time.Duration
	retry   RetryPolicy
	brk     *breaker
	log     zerolog.Logger
	obs     Observer

	infoMu     sync.Mutex
	info       *RestApi
	infoFlight singleflight.Group // merges concurrent GET /api/info
	alias      *string            // the appliance's localAlias, once read (ApplianceAlias)

	sess session
}

// credentials keeps the password inside a closure, which no fmt verb can look into.
type credentials struct {
	username string
	password func() Secret
}

// New validates cfg and builds a Client. It does not contact the server.
func New(cfg Config) (*Client, error) {
	base, err := parseServerURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("tintri client: %w", err)
	}
	if cfg.Username == "" {
		return nil, fmt.Errorf("tintri client %s: username is required", base.Host)
	}
	if cfg.CAFile != "" && cfg.InsecureSkipVerify {
		return nil, fmt.Errorf("tintri client %s: ca file and insecure skip verify exclude each other", base.Host)
	}
	pw := cfg.Password
	c := &conn{
		base:    base,
		host:    base.Host,
		cred:    &credentials{username: cfg.Username, password: func() Secret { return pw }},
		timeout: cfg.Timeout,
		retry:   cfg.Retry.withDefaults(),
		obs:     cfg.Observer,
		log:     cfg.Logger.With().Str("server", base.Host).Logger(),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	c.brk = newBreaker(cfg.BreakAfterTimeouts, c.timeout)
	if c.lim, err = newConnLimiter(cfg, base.Host); err != nil {
		return nil, err
	}
	c.http = cfg.HTTPClient
	if c.http == nil {
		tr, err := newTransport(cfg, c.lim.ceiling)
		if err != nil {
			return nil, fmt.Errorf("tintri client %s: %w", base.Host, err)
		}
		c.own = tr
		c.http = &http.Client{Transport: tr}
	}
	if cfg.InsecureSkipVerify {
		if _, warned := insecureWarned.LoadOrStore(base.Host, true); !warned {
			c.log.Warn().Msg("TLS certificate verification is disabled for this server (insecure skip verify)")
		}
	}
	return &Client{Reader{c}}, nil
}

// newConnLimiter builds the in-flight limiter of cfg, telling a LimitObserver its limits.
func newConnLimiter(cfg Config, host string) (*limiter, error) {
	hi, lo := cfg.MaxInflight, cfg.MinInflight
	if hi <= 0 {
		hi = DefaultMaxInflight
		if cfg.DisableAdaptive {
			hi = DefaultFixedInflight
		}
	}
	if lo <= 0 {
		lo = min(DefaultMinInflight, hi)
	}
	if lo > hi {
		return nil, fmt.Errorf("tintri client %s: min inflight %d exceeds max inflight %d", host, lo, hi)
	}
	var notify func(int)
	if obs, ok := cfg.Observer.(LimitObserver); ok {
		notify = func(n int) { obs.Limit(host, n) }
	}
	return newLimiter(lo, hi, !cfg.DisableAdaptive, notify), nil
}

// insecureWarned holds the servers (host[:port]) whose disabled certificate verification
// has been logged: once per server for the life of the process, however many clients
// (one per plan, apply or daemon run) are built for it.
var insecureWarned sync.Map

// parseServerURL accepts "https://host[:port]", optionally ending in "/" or "/api", or a
// bare "host[:port]". Its errors quote raw without the credentials it may hold.
func parseServerURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("server url is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	shown := redact.URL(raw)
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return nil, fmt.Errorf("server url %q: %w", shown, err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("server url %q: scheme must be https", shown)
	}
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("server url %q: no host", shown)
	}
	if u.User != nil {
		return nil, fmt.Errorf("server url of %s: credentials belong in username and password, not the url", u.Host)
	}
	if p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api"); p != "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server url %q: want https://host[:port] without a path", shown)
	}
	return &url.URL{Scheme: "https", Host: u.Host}, nil
}

// newTransport builds the HTTPS transport for cfg's TLS settings.
func newTransport(cfg Config, inflight int) (*http.Transport, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read ca file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca file %s: no PEM certificate found", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	tc.InsecureSkipVerify = cfg.InsecureSkipVerify //nolint:gosec // explicit, logged user choice
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tc,
		TLSHandshakeTimeout:   15 * time.Second,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          inflight,
		MaxIdleConnsPerHost:   inflight,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}, nil
}

// URL returns the server's base URL, "https://host[:port]".
func (c *Reader) URL() string { return c.base.String() }

// Host returns host[:port] of the server, for messages and map keys.
func (c *Reader) Host() string { return c.host }

// InflightLimit is the number of requests the client lets be in flight to its server now:
// the adaptive limit (see Config), or MaxInflight when it does not adapt. Run summaries
// report it per server.
func (c *Reader) InflightLimit() int { return c.lim.current() }

// String shows the URL and user, never the password.
func (c *Reader) String() string {
	return "tintri.Client{url=" + c.base.String() + ", username=" + c.cred.username + "}"
}

// GoString is String, so %#v shows no password either.
func (c *Reader) GoString() string { return c.String() }

// Info returns the server's GET /api/info answer (no session needed); the first success is
// cached for the client's lifetime and concurrent first calls share one request.
func (c *Reader) Info(ctx context.Context) (*RestApi, error) { return c.restAPI(ctx) }

// restAPI is Info for the connection itself (login needs the server's version). A caller
// whose shared request failed only because its first caller gave up asks again.
func (c *conn) restAPI(ctx context.Context) (*RestApi, error) {
	for {
		c.infoMu.Lock()
		cached := c.info
		c.infoMu.Unlock()
		if cached != nil {
			info := *cached
			return &info, nil
		}
		ch := c.infoFlight.DoChan("info", func() (any, error) { return nil, c.fetchInfo(ctx) })
		select {
		case r := <-ch:
			if r.Err != nil && ctx.Err() == nil && (errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded)) {
				continue
			}
			if r.Err != nil {
				return nil, r.Err
			}
		case <-ctx.Done():
			return nil, c.wrap(&call{method: http.MethodGet, path: "/info"}, ctx.Err())
		}
	}
}

// fetchInfo GETs /api/info and caches the answer.
func (c *conn) fetchInfo(ctx context.Context) error {
	var info RestApi
	if err := c.do(ctx, &call{method: http.MethodGet, path: "/info", route: "/info", idempotent: true, decode: decodeJSON(&info)}); err != nil {
		return err
	}
	c.infoMu.Lock()
	c.info = &info
	c.infoMu.Unlock()
	return nil
}

// RequireTGC fails with ErrUnsupported unless the server is a Tintri Global Center.
func (c *Reader) RequireTGC(ctx context.Context) error { return c.requireProduct(ctx, ProductTGC) }

// RequireVMstore fails with ErrUnsupported unless the server is a Tintri VMstore.
func (c *Reader) RequireVMstore(ctx context.Context) error {
	return c.requireProduct(ctx, ProductVMstore)
}

func (c *Reader) requireProduct(ctx context.Context, want string) error {
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	if info.ProductName != want {
		return fmt.Errorf("%s: server is a %q, this call needs a %q: %w", c.host, info.ProductName, want, ErrUnsupported)
	}
	return nil
}

// RequireVersion fails with ErrUnsupported when the server's preferred API version is older
// than min (e.g. "v310.51"); versions compare numerically, so v310.111 is newer than v310.51.
func (c *Reader) RequireVersion(ctx context.Context, min string) error {
	info, err := c.Info(ctx)
	if err != nil {
		return err
	}
	cmp, err := CompareVersions(info.PreferredVersion, min)
	if err != nil {
		return fmt.Errorf("%s: %w", c.host, err)
	}
	if cmp < 0 {
		return fmt.Errorf("%s: api version %s is older than the required %s: %w", c.host, info.PreferredVersion, min, ErrUnsupported)
	}
	return nil
}

// CompareVersions compares API versions like "v310.51" component by component as numbers,
// returning -1, 0 or +1. A missing component counts as 0 ("v310" == "v310.0").
func CompareVersions(a, b string) (int, error) {
	pa, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	pb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
	}
	return 0, nil
}

func parseVersion(v string) ([]int, error) {
	s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(v), "v"), "V")
	if s == "" {
		return nil, fmt.Errorf("api version %q: want v<major>.<minor>", v)
	}
	parts := strings.Split(s, ".")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("api version %q: want v<major>.<minor>", v)
		}
		out[i] = n
	}
	return out, nil
}
