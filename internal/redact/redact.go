// Package redact hides the credentials a URL may carry (https://user:password@host) from
// messages: the configuration loader, the API client and the CLI quote URLs as written,
// which need not parse.
package redact

import "strings"

// Userinfo returns the byte span [start, end) of the userinfo in raw, a URL or bare host
// as written ("https://admin:pw@host" → the span of "admin:pw"), or start == end when it
// has none. It reads raw without parsing it: everything between the scheme's "://" (or
// the start) and the last "@" counts, so a password holding '/', '?' or '#' is covered too.
func Userinfo(raw string) (start, end int) {
	if i := strings.Index(raw, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndex(raw[start:], "@")
	if at < 0 {
		return start, start
	}
	return start, start + at
}

// URL returns raw with its userinfo, if any, replaced by "***": "https://***@host".
func URL(raw string) string {
	start, end := Userinfo(raw)
	if start == end && !strings.HasPrefix(raw[end:], "@") {
		return raw
	}
	return raw[:start] + "***" + raw[end:]
}
