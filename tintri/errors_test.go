package tintri_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// answer builds the *http.Response of a handler writing status, content type and body.
func answer(status int, contentType, body string) *http.Response {
	rec := httptest.NewRecorder()
	if contentType != "" {
		rec.Header().Set("Content-Type", contentType)
	}
	rec.WriteHeader(status)
	_, _ = rec.WriteString(body)
	return rec.Result()
}

func TestDecodeError(t *testing.T) {
	long := strings.Repeat("x", 500)
	tests := []struct {
		name string
		resp *http.Response
		want tintri.TintriError
		str  string
	}{
		{
			name: "tintri error",
			resp: answer(404, "application/json", `{"typeId":"`+tintri.TypeTintriError+`","code":"ERR-API-8001","message":"Resource not found","causeDetails":"VM x"}`),
			want: tintri.TintriError{TypeID: tintri.TypeTintriError, Code: "ERR-API-8001", Message: "Resource not found", CauseDetails: "VM x", Status: 404},
			str:  "status 404 ERR-API-8001: Resource not found (VM x)",
		},
		{
			name: "html from a proxy",
			resp: answer(502, "text/html", "<html>\n  <body>Bad   Gateway</body>\n</html>"),
			want: tintri.TintriError{Message: "<html> <body>Bad Gateway</body> </html>", Status: 502},
			str:  "status 502: <html> <body>Bad Gateway</body> </html>",
		},
		{
			name: "empty body",
			resp: answer(503, "", ""),
			want: tintri.TintriError{Message: "service unavailable", Status: 503},
			str:  "status 503: service unavailable",
		},
		{
			name: "json without error fields",
			resp: answer(500, "application/json", `{"foo":1}`),
			want: tintri.TintriError{Message: `{"foo":1}`, Status: 500},
			str:  `status 500: {"foo":1}`,
		},
		{
			name: "long body cut",
			resp: answer(500, "text/plain", long),
			want: tintri.TintriError{Message: long[:200] + "…", Status: 500},
			str:  "status 500: " + long[:200] + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tintri.DecodeError(tt.resp)
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("DecodeError (-want +got):\n%s", diff)
			}
			if got.Error() != tt.str {
				t.Errorf("Error() = %q, want %q", got.Error(), tt.str)
			}
		})
	}
}

func TestTintriErrorAs(t *testing.T) {
	err := fmt.Errorf("h: GET /api/v310/vm/x: %w", tintri.DecodeError(answer(401, "", "")))
	var te *tintri.TintriError
	if !errors.As(err, &te) || te.Status != 401 {
		t.Fatalf("errors.As(%v) = %v, %+v", err, errors.As(err, &te), te)
	}
}
