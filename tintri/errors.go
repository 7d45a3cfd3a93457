package tintri

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrUnsupported is wrapped by the errors of calls refused because the server is the wrong
// product (TGC versus VMstore) or its API version is too old.
var ErrUnsupported = errors.New("unsupported by this server")

// maxErrorBody is how much of an error answer is read; maxExcerpt how much of an
// unparseable one is quoted in TintriError.Message.
const (
	maxErrorBody = 64 << 10
	maxExcerpt   = 200
)

// Error renders the status, code, message and cause details.
func (e *TintriError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d", e.Status)
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.CauseDetails != "" && e.CauseDetails != e.Message {
		b.WriteString(" (")
		b.WriteString(e.CauseDetails)
		b.WriteString(")")
	}
	return b.String()
}

// decodeError turns a non-2xx answer into a *TintriError. A body that is not a TintriError
// still yields one, with the status text or a short excerpt of the body as Message.
func decodeError(resp *http.Response) *TintriError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	te := &TintriError{}
	if err := json.Unmarshal(body, te); err != nil || (te.Code == "" && te.Message == "" && te.CauseDetails == "") {
		*te = TintriError{Message: excerpt(body)}
	}
	if te.Message == "" && te.Code == "" {
		te.Message = strings.ToLower(http.StatusText(resp.StatusCode))
	}
	te.Status = resp.StatusCode
	return te
}

// excerpt returns the start of body as one printable line of at most maxExcerpt bytes.
func excerpt(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) <= maxExcerpt {
		return strings.ToValidUTF8(s, "?")
	}
	cut := maxExcerpt
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "?") + "…"
}

// redactIn removes every occurrence of secret, as is or JSON-escaped, from the text fields
// of te (a server might echo a request body back).
func redactIn(te *TintriError, secret string) {
	if secret == "" {
		return
	}
	pairs := []string{secret, "<redacted>"}
	for _, esc := range jsonEscaped(secret) {
		if esc != secret {
			pairs = append(pairs, esc, "<redacted>")
		}
	}
	redactWith(te, strings.NewReplacer(pairs...))
}

func redactWith(te *TintriError, r *strings.Replacer) {
	te.Message = r.Replace(te.Message)
	te.CauseDetails = r.Replace(te.CauseDetails)
	te.Title = r.Replace(te.Title)
	for i := range te.Errors {
		redactWith(&te.Errors[i], r)
	}
}

// jsonEscaped returns s as it appears inside a JSON string, with and without HTML escaping.
func jsonEscaped(s string) []string {
	var out []string
	for _, html := range []bool{true, false} {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		if err := enc.Encode(s); err == nil {
			q := strings.TrimSuffix(b.String(), "\n")
			out = append(out, q[1:len(q)-1])
		}
	}
	return out
}
