package config

import (
	"fmt"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Bounds of a request's timeout and attempts, in job files (timeout, attempts) and on the
// command line (-timeout, -attempts).
const (
	minTimeout = time.Second
	maxTimeout = time.Hour
	// MaxAttempts is the most tries of one request.
	MaxAttempts = 10
)

// timeoutBounds says minTimeout and maxTimeout as a person writes them (time prints the
// hour as "1h0m0s").
const timeoutBounds = "between 1s and 1h"

// CheckTimeout says why d is not a usable request timeout, or returns nil.
func CheckTimeout(d time.Duration) error {
	if d < minTimeout || d > maxTimeout {
		return fmt.Errorf("want %s", timeoutBounds)
	}
	return nil
}

// CheckAttempts says why n is not a usable number of attempts, or returns nil.
func CheckAttempts(n int) error {
	if n < 1 || n > MaxAttempts {
		return fmt.Errorf("want between 1 and %d", MaxAttempts)
	}
	return nil
}

// ClientConfig is the API client configuration for the appliance at url with these
// settings; the caller adds its logger and observer. Attempts also bounds the timeouts in
// a row that open the client's circuit breaker (at most the default, 3): a request whose
// every attempt timed out marks the appliance unavailable for the rest of the run.
func (c Connection) ClientConfig(url string) tintri.Config {
	cfg := tintri.Config{URL: url, Username: c.Username, Password: c.Password, CAFile: c.CAFile,
		InsecureSkipVerify: c.InsecureSkipVerify, MaxInflight: c.MaxInflight, MinInflight: c.MinInflight,
		DisableAdaptive: c.DisableAdaptive, Timeout: c.Timeout,
		Retry: tintri.RetryPolicy{MaxAttempts: c.Attempts}}
	if c.Attempts > 0 {
		cfg.BreakAfterTimeouts = min(c.Attempts, tintri.DefaultBreakAfterTimeouts)
	}
	return cfg
}

// InheritRequestLimits returns c with the timeout and attempts of from where c sets none:
// a fleet's, for a server block that is also one of its members.
func (c Connection) InheritRequestLimits(from Connection) Connection {
	if c.Timeout == 0 {
		c.Timeout = from.Timeout
	}
	if c.Attempts == 0 {
		c.Attempts = from.Attempts
	}
	return c
}

// OverrideRequestLimits sets the timeout and attempts of every server and fleet, as the
// -timeout and -attempts flags do; a zero value leaves those of the job files.
func (c *Config) OverrideRequestLimits(timeout time.Duration, attempts int) {
	set := func(conn *Connection) {
		if timeout > 0 {
			conn.Timeout = timeout
		}
		if attempts > 0 {
			conn.Attempts = attempts
		}
	}
	for _, s := range c.Servers {
		set(&s.Connection)
	}
	for _, f := range c.Fleets {
		set(&f.Connection)
	}
}
