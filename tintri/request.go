package tintri

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"path"
	"sync/atomic"
	"time"

	fastjson "github.com/segmentio/encoding/json"
)

// ErrRequestTimeout is wrapped by the error of an exchange cut off by Config.Timeout (the
// caller's own context deadline yields context.DeadlineExceeded instead).
var ErrRequestTimeout = errors.New("request timed out")

// call describes one API exchange; do runs it with session handling and retries.
type call struct {
	method string
	path   string     // below /api, e.g. "/v310/vm/abc"; ignored when target is set
	route  string     // path pattern below /api for observers, e.g. "/v310/vm/{id}"
	query  url.Values // optional
	body   []byte     // JSON body, kept so that retries can resend it
	target *url.URL   // absolute URL (downloads)

	auth       bool   // send the session cookie, log in first and once more after a 401
	cookie     string // session cookie of an unauthenticated call (logout)
	idempotent bool   // retry transport errors and retryable statuses; else only unsent requests
	session    bool   // login or logout: harmless to repeat, so retried like a read (see safe)
	stream     bool   // decode writes elsewhere: its failures are never retried, the timeout covers headers only
	accept     string // Accept header; "" => application/json

	// decode reads a 2xx answer; nil discards it.
	decode func(resp *http.Response) error
}

// outcome is the result of one attempt.
type outcome struct {
	status     int
	retryAfter time.Duration
	err        error
	sent       bool          // the request headers were written to a connection
	rtt        time.Duration // from the request's headers written to the answer's headers
	decodeErr  bool          // err came from decode
}

// decodeJSON returns a decode func that unmarshals the body into v. It decodes with
// github.com/segmentio/encoding/json, encoding/json's semantics and error types at about a
// third of its CPU: a plan listing a whole TGC's VMs decodes tens of megabytes, and its
// client spent most of its time here.
func decodeJSON(v any) func(*http.Response) error {
	return func(resp *http.Response) error {
		body, err := readBody(resp)
		if err != nil {
			return err
		}
		return fastjson.Unmarshal(body, v)
	}
}

// readBody reads the whole body of resp, into a buffer of its Content-Length when it has one.
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n < 1<<30 {
		buf := make([]byte, n)
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	return io.ReadAll(resp.Body)
}

// do runs cl: it obtains the session, retries per the policy and re-logs in once on 401.
// Errors are wrapped with host, method and path; non-2xx answers are *TintriError.
func (c *conn) do(ctx context.Context, cl *call) error {
	var (
		gen      uint64 // generation of the session cookie sent
		stale    uint64 // generation that answered 401, 0 before any did
		relogged bool
	)
	for attempt := 1; ; {
		cookie := cl.cookie
		if cl.auth {
			ck, g, err := c.sessionCookie(ctx, stale)
			if err != nil {
				return err
			}
			cookie, gen = ck, g
		}
		res := c.once(ctx, cl, cookie)
		if res.err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return c.wrap(cl, ctx.Err())
		}
		if err := c.brk.err(); err != nil {
			return c.wrap(cl, err)
		}
		var te *TintriError
		isTE := errors.As(res.err, &te)
		if isTE {
			redactIn(te, c.cred.password().Reveal())
			if te.Status == http.StatusUnauthorized && cl.auth && !relogged {
				relogged, stale = true, gen
				c.log.Debug().Str("method", cl.method).Str("path", cl.routePath()).Msg("session expired, logging in again")
				continue
			}
		}
		if attempt >= c.retry.MaxAttempts || !c.retryable(cl, res, isTE) {
			return c.wrap(cl, res.err)
		}
		d := c.retry.delay(attempt, res.retryAfter)
		c.log.Debug().Str("method", cl.method).Str("path", cl.routePath()).Int("attempt", attempt).
			Dur("delay", d).Err(res.err).Msg("retrying")
		if c.obs != nil {
			c.obs.Retry(c.host, cl.method, cl.routePath())
		}
		if err := sleep(ctx, d); err != nil {
			return c.wrap(cl, err)
		}
		attempt++
	}
}

// retryable decides whether a failed attempt may be repeated.
func (c *conn) retryable(cl *call, res outcome, isTE bool) bool {
	switch {
	case isTE:
		return cl.idempotent && (retryableStatus(res.status) || (res.status == http.StatusInternalServerError && cl.safe()))
	case res.decodeErr:
		var se *json.SyntaxError
		var ue *json.UnmarshalTypeError
		return cl.idempotent && !cl.stream && !errors.As(res.err, &se) && !errors.As(res.err, &ue)
	case permanentTransportError(res.err):
		return false
	default:
		return cl.idempotent || !res.sent
	}
}

// safe reports whether the call changes nothing that a repeat could double: a GET, a login
// or a logout. Only these are repeated after a 500, which may come from a write half done.
func (cl *call) safe() bool { return cl.method == http.MethodGet || cl.session }

// once runs one attempt: it waits for an in-flight slot, sends the request and reads the
// answer. Config.Timeout bounds the attempt from the moment it has a slot; an opening
// breaker cancels it. Unless the caller cancelled it, its outcome feeds the breaker and the
// adaptive limit.
func (c *conn) once(ctx context.Context, cl *call, cookie string) outcome {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	defer c.brk.cancelOnOpen(cancel)()
	if err := c.brk.err(); err != nil {
		return outcome{err: err}
	}
	sl, err := c.lim.acquire(actx)
	if err != nil {
		return outcome{err: transportError(actx, err)}
	}
	var sig sample
	defer func() { c.lim.done(sl, sig) }()
	if err := c.brk.err(); err != nil { // opened while this attempt waited for its slot
		return outcome{err: err}
	}
	timer := time.AfterFunc(c.timeout, func() { cancel(ErrRequestTimeout) })
	defer timer.Stop()
	res := c.exchange(actx, timer, sl, cl, cookie)
	if ctx.Err() == nil { // the caller's cancellation says nothing about the server
		sig = sampleOf(res, cl.route)
		if c.brk.record(res) {
			c.log.Warn().Err(c.brk.err()).Msg("circuit breaker open: every further request to this server fails at once")
		}
	}
	return res
}

// exchange sends the request with actx and reads the answer, telling the limiter when its
// headers are in; for a streamed call it then stops timer.
func (c *conn) exchange(actx context.Context, timer *time.Timer, sl *slot, cl *call, cookie string) outcome {
	start := time.Now()
	var wrote atomic.Int64 // 1 + nanoseconds from start until the headers were written; 0 before
	trace := &httptrace.ClientTrace{WroteHeaders: func() {
		wrote.Store(int64(time.Since(start)) + 1)
		c.lim.sent(sl)
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(actx, trace), cl.method, cl.url(c.base), bodyReader(cl.body))
	if err != nil {
		return outcome{err: err}
	}
	req.Header.Set("Accept", cl.acceptHeader())
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cookie != "" {
		req.Header.Set("Cookie", sessionCookieName+"="+cookie)
	}

	status := 0
	defer func() {
		if c.obs != nil {
			c.obs.Request(c.host, cl.method, cl.routePath(), status, time.Since(start))
		}
	}()
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{err: transportError(actx, err), sent: wrote.Load() != 0}
	}
	defer resp.Body.Close()
	status = resp.StatusCode
	rtt := time.Since(start) - time.Duration(max(wrote.Load()-1, 0)) // connecting not included
	res := outcome{status: status, sent: true, rtt: rtt, retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now())}
	c.lim.answer(sl, pushedBack(status, res.retryAfter))
	if cl.stream {
		timer.Stop()
	}
	if status < 200 || status > 299 {
		res.err = decodeError(resp)
		return res
	}
	if cl.decode != nil {
		if err := cl.decode(resp); err != nil {
			res.err, res.decodeErr = transportError(actx, err), true
			return res
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return res
}

// transportError strips *url.Error (its text repeats the URL) and names the cause of an
// attempt cut off by Config.Timeout or by the opening breaker.
func transportError(actx context.Context, err error) error {
	if cause := context.Cause(actx); errors.Is(cause, ErrRequestTimeout) || errors.Is(cause, ErrServerUnavailable) {
		return cause
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func bodyReader(b []byte) io.Reader {
	if b == nil {
		return nil
	}
	return bytes.NewReader(b)
}

// url is the absolute URL of the call.
func (cl *call) url(base *url.URL) string {
	if cl.target != nil {
		return cl.target.String()
	}
	u := url.URL{Scheme: base.Scheme, Host: base.Host, Path: "/api" + cl.path}
	if len(cl.query) > 0 {
		u.RawQuery = cl.query.Encode()
	}
	return u.String()
}

// routePath is the route pattern reported to observers and logs.
func (cl *call) routePath() string {
	if cl.target != nil {
		return cl.route
	}
	return "/api" + cl.route
}

func (cl *call) acceptHeader() string {
	if cl.accept == "" {
		return "application/json"
	}
	return cl.accept
}

// wrap adds the server, method and path (never the query) to err. Of an absolute target
// (a report URL, whose path holds its access token) only the last segment is shown.
func (c *conn) wrap(cl *call, err error) error {
	p := "/api" + cl.path
	if cl.target != nil {
		p = ".../" + path.Base(cl.target.Path)
	}
	return fmt.Errorf("%s: %s %s: %w", c.host, cl.method, p, err)
}

// marshal encodes a request body, naming the operation on failure.
func (c *conn) marshal(op string, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: encode request: %w", c.host, op, err)
	}
	return b, nil
}
