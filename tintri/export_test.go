package tintri

import (
	"net/http"
	"net/url"
	"time"
)

// Test hooks into unexported helpers that are pure functions.

func (p RetryPolicy) Delay(attempt int, retryAfter time.Duration) time.Duration {
	return p.delay(attempt, retryAfter)
}

func RetryWithDefaults(p RetryPolicy) RetryPolicy { return p.withDefaults() }

func ExpBound(base, maxDelay time.Duration, attempt int) time.Duration {
	return expBound(base, maxDelay, attempt)
}

func RetryAfter(h string, now time.Time) time.Duration { return retryAfter(h, now) }

func DecodeError(resp *http.Response) *TintriError { return decodeError(resp) }

func DecodeList(resp *http.Response, out any) error { return decodeList(resp, out) }

func MergeNext(q url.Values, next string) (url.Values, error) { return mergeNext(q, next) }

func ParseServerURL(raw string) (string, error) {
	u, err := parseServerURL(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// DecodeVMPage decodes a Page body the way EachVM does and returns its item count.
func DecodeVMPage(resp *http.Response) (int, error) {
	var p pageOf[VirtualMachine]
	err := decodeJSON(&p)(resp)
	return len(p.Items), err
}

// InflightCeiling is the highest the in-flight limit of c may rise to: MaxInflight,
// lowered by push-backs.
func InflightCeiling(c *Reader) int {
	c.lim.mu.Lock()
	defer c.lim.mu.Unlock()
	return c.lim.ceiling
}
