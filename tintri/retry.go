package tintri

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says how often and how patiently a retryable request is repeated.
type RetryPolicy struct {
	// MaxAttempts is the total number of tries, the first included; 1 disables retries.
	MaxAttempts int
	// BaseDelay is the backoff of the first retry; it doubles with each further retry.
	BaseDelay time.Duration
	// MaxDelay caps every wait, a server's Retry-After included.
	MaxDelay time.Duration
	// Backoff, when set, replaces the exponential backoff with full jitter: it returns the
	// wait before retry number attempt (1 for the first retry). Tests use it for zero delays.
	Backoff func(attempt int) time.Duration
}

// DefaultRetryPolicy is what a zero RetryPolicy in Config means: 4 attempts, waits drawn
// uniformly from [0, 500ms·2^(n-1)] and capped at 15s. New takes each zero field of
// Config.Retry from it.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 15 * time.Second}
}

// withDefaults fills each zero field from DefaultRetryPolicy, so that a policy setting only
// MaxAttempts keeps the default backoff; BaseDelay stays zero when Backoff replaces it.
func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay <= 0 && p.Backoff == nil {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = d.MaxDelay
	}
	return p
}

// NoDelay is a RetryPolicy.Backoff that retries at once.
func NoDelay(int) time.Duration { return 0 }

// delay is the wait before retry number attempt (1-based): the Backoff override or full
// jitter over the exponential bound, raised to the server's Retry-After, capped at MaxDelay.
func (p RetryPolicy) delay(attempt int, retryAfter time.Duration) time.Duration {
	var d time.Duration
	if p.Backoff != nil {
		d = p.Backoff(attempt)
	} else if bound := expBound(p.BaseDelay, p.MaxDelay, attempt); bound > 0 {
		d = time.Duration(rand.Int64N(int64(bound) + 1))
	}
	if retryAfter > d {
		d = retryAfter
	}
	if p.MaxDelay > 0 && d > p.MaxDelay {
		d = p.MaxDelay
	}
	return max(d, 0)
}

// expBound is base·2^(attempt-1), saturating at maxDelay (when set) and at overflow.
func expBound(base, maxDelay time.Duration, attempt int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base
	for i := 1; i < attempt; i++ {
		if d > (1<<62)/2 || (maxDelay > 0 && d >= maxDelay) {
			break
		}
		d *= 2
	}
	if maxDelay > 0 && d > maxDelay {
		d = maxDelay
	}
	return d
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryableStatus reports the answers that mean "not processed, try again later".
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// permanentTransportError reports transport errors that repeating cannot cure:
// certificate verification failures and a server that does not speak TLS.
func permanentTransportError(err error) bool {
	var (
		cve *tls.CertificateVerificationError
		uae x509.UnknownAuthorityError
		hne x509.HostnameError
		cie x509.CertificateInvalidError
		rhe tls.RecordHeaderError
	)
	return errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) ||
		errors.As(err, &cie) || errors.As(err, &rhe)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date); 0 when absent or bad.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
