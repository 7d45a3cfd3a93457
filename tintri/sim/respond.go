package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Error codes of the reference used by the simulator (see the package documentation for
// the situations the reference leaves open).
const (
	codeNotSupported   = "ERR-API-0005" // Request not supported. (400)
	codeInternal       = "ERR-API-0007" // internal server error (500, injected faults)
	codeInvalidInput   = "ERR-API-0020" // Invalid input data (400)
	codeNoDefault      = "ERR-API-0102" // Failed to obtain default entity. (404)
	codeNoSession      = "ERR-API-0104" // no valid session (401; the reference gives no message)
	codeCredentials    = "ERR-API-0124" // Invalid credentials
	codeNoEntities     = "ERR-API-0201" // No entities found. (400)
	codeInvalidReq     = "ERR-API-0203" // Invalid request (400)
	codeBadSnapshot    = "ERR-API-3105" // Invalid create snapshot request. (400)
	codeDeleteSnapshot = "ERR-API-3107" // Delete snapshot failed. (500)
	codeBadQoS         = "ERR-API-3109" // Invalid update QoS settings request. (400)
	codeBadAffinity    = "ERR-API-3128" // Invalid affinity rule. (400)
	codeDeleteAll      = "ERR-API-3129" // Failed to delete all snapshots. (500)
	codeBadQuery       = "ERR-API-4003" // Invalid query parameter (400)
	codeNotFound       = "ERR-API-8001" // Resource not found (404)
	maxBodyBytes       = 1 << 20
	contentTypeJSON    = "application/json"
	contentTypeString  = "text/plain; charset=utf-8"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, "An internal server error occured while processing the API call", err.Error())
		return
	}
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeNoContent answers a successful write: 204 and no body.
func writeNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// writeError answers status with a TintriError body.
func writeError(w http.ResponseWriter, status int, code, message, cause string) {
	b, _ := json.Marshal(tintri.TintriError{TypeID: tintri.TypeTintriError, Code: code, Message: message, CauseDetails: cause})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// badRequest answers 400 Invalid request with the cause.
func badRequest(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeInvalidReq, "Invalid request", fmt.Sprintf(format, args...))
}

// badQuery answers 400 Invalid query parameter with the cause.
func badQuery(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeBadQuery, "Invalid query parameter", fmt.Sprintf(format, args...))
}

// invalidInput answers 400 Invalid input data with the cause.
func invalidInput(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeInvalidInput, "Invalid input data", fmt.Sprintf(format, args...))
}

// notFound answers 404 Resource not found with the cause.
func notFound(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusNotFound, codeNotFound, "Resource not found", fmt.Sprintf(format, args...))
}

// decodeBody decodes the JSON request body into v and checks its typeId when want is set
// and the body carries one. It answers 400 and returns false on failure.
func decodeBody(w http.ResponseWriter, r *http.Request, want string, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		badRequest(w, "read body: %v", err)
		return false
	}
	if len(bytes.TrimSpace(body)) == 0 {
		badRequest(w, "empty body")
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		badRequest(w, "decode body: %v", err)
		return false
	}
	if want == "" {
		return true
	}
	var t struct {
		TypeID string `json:"typeId"`
	}
	if err := json.Unmarshal(body, &t); err == nil && t.TypeID != "" && t.TypeID != want {
		badRequest(w, "typeId %q, want %q", t.TypeID, want)
		return false
	}
	return true
}

// oneOrMany decodes a JSON list, or one value where the reference declares a list: published
// clients send objectIdsAdded as one uuid and objectsWithNewValues as one object. null and ""
// decode as empty.
type oneOrMany[T any] []T

// UnmarshalJSON accepts a list, a single value, null or "".
func (l *oneOrMany[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null" || string(b) == `""`:
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var all []T
		if err := json.Unmarshal(b, &all); err != nil {
			return err
		}
		*l = all
		return nil
	}
	var one T
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*l = oneOrMany[T]{one}
	return nil
}

// sprintf is fmt.Sprintf, named for the error helpers.
func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
