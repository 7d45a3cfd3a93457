package tintri

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// sessionCookieName is the cookie that carries the Tintri session.
const sessionCookieName = "JSESSIONID"

// session is the client's login state. gen counts successful logins, so that the 401s of
// one expired session trigger a single re-login however many calls see them.
type session struct {
	mu     sync.Mutex
	cookie string
	gen    uint64
	flight *loginFlight // the login in progress, if any
}

// loginFlight lets concurrent callers wait for one login and share its result.
type loginFlight struct {
	done chan struct{}
	err  error
}

// sessionCookie returns a session cookie and its generation. stale is the generation whose
// session answered 401 (0 when none did): its cookie is not returned again; the first caller
// to see it logs in and the others wait for that login.
func (c *conn) sessionCookie(ctx context.Context, stale uint64) (string, uint64, error) {
	for {
		c.sess.mu.Lock()
		if c.sess.cookie != "" && c.sess.gen != stale {
			ck, gen := c.sess.cookie, c.sess.gen
			c.sess.mu.Unlock()
			return ck, gen, nil
		}
		if f := c.sess.flight; f != nil {
			c.sess.mu.Unlock()
			select {
			case <-f.done:
			case <-ctx.Done():
				return "", 0, fmt.Errorf("%s: login: %w", c.host, ctx.Err())
			}
			// A login that failed for its own caller's context is tried again by this caller.
			if f.err != nil && !errors.Is(f.err, context.Canceled) && !errors.Is(f.err, context.DeadlineExceeded) {
				return "", 0, f.err
			}
			continue
		}
		f := &loginFlight{done: make(chan struct{})}
		c.sess.flight = f
		c.sess.cookie = "" // the stale session is dead: nobody may pick it up meanwhile
		c.sess.mu.Unlock()

		ck, err := c.login(ctx)

		c.sess.mu.Lock()
		c.sess.flight = nil
		if err == nil {
			c.sess.cookie = ck
			c.sess.gen++
		}
		gen := c.sess.gen
		c.sess.mu.Unlock()
		f.err = err
		close(f.done)
		if err != nil {
			return "", 0, err
		}
		return ck, gen, nil
	}
}

// login posts the credentials and returns the JSESSIONID cookie. The body is never logged.
func (c *conn) login(ctx context.Context) (string, error) {
	info, err := c.restAPI(ctx)
	if err != nil {
		return "", err
	}
	creds := RestApiCredentials{
		TypeID:   TypeRestApiCredentials,
		Username: c.cred.username,
		Password: c.cred.password().Reveal(),
	}
	if strings.HasPrefix(info.PreferredVersion, "v310.") {
		creds.FullApiVersion = info.PreferredVersion
	}
	body, err := c.marshal("login", creds)
	if err != nil {
		return "", err
	}
	var cookie string
	err = c.do(ctx, &call{
		method: http.MethodPost, path: "/v310/session/login", route: "/v310/session/login", body: body,
		// a repeated login only creates another session, so it is retried like a read
		idempotent: true, session: true, accept: "application/json, text/plain",
		decode: func(resp *http.Response) error {
			for _, ck := range resp.Cookies() {
				if ck.Name == sessionCookieName && ck.Value != "" {
					cookie = ck.Value
				}
			}
			return nil
		},
	})
	if err != nil {
		return "", err
	}
	if cookie == "" {
		return "", fmt.Errorf("%s: POST /api/v310/session/login: answer has no %s cookie", c.host, sessionCookieName)
	}
	c.log.Debug().Str("user", c.cred.username).Msg("logged in")
	return cookie, nil
}

// Close logs the session out (POST /api/v310/session/logout) when there is one and releases
// idle connections. A session the server already expired counts as logged out.
func (c *Client) Close(ctx context.Context) error {
	c.sess.mu.Lock()
	ck := c.sess.cookie
	c.sess.cookie = ""
	c.sess.gen++
	c.sess.mu.Unlock()
	if c.own != nil {
		defer c.own.CloseIdleConnections()
	}
	if ck == "" {
		return nil
	}
	err := c.do(ctx, &call{
		method: http.MethodPost, path: "/v310/session/logout", route: "/v310/session/logout",
		cookie: ck, idempotent: true, session: true,
	})
	var te *TintriError
	if errors.As(err, &te) && te.Status == http.StatusUnauthorized {
		return nil
	}
	return err
}
