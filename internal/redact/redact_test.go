package redact

import "testing"

func TestURL(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"https://admin:pw@vmstore.example", "https://***@vmstore.example"},
		{"https://admin:p/w?x#y@vmstore.example:8443", "https://***@vmstore.example:8443"},
		{"http://admin@host/api", "http://***@host/api"},
		{"admin:pw@vmstore.example", "***@vmstore.example"},
		{"https://@host", "https://***@host"},
		{`"https://a:b@host", x`, `"https://***@host", x`},
		{"https://vmstore.example:8443", "https://vmstore.example:8443"},
		{"vmstore.example", "vmstore.example"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := URL(tt.raw); got != tt.want {
			t.Errorf("URL(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
