package tintri_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func TestParseServerURL(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "https://tgc.example", want: "https://tgc.example"},
		{in: "https://tgc.example:8443/", want: "https://tgc.example:8443"},
		{in: "https://tgc.example/api", want: "https://tgc.example"},
		{in: "vmstore-1.example", want: "https://vmstore-1.example"},
		{in: "127.0.0.1:9443", want: "https://127.0.0.1:9443"},
		{in: " https://[::1]:9443 ", want: "https://[::1]:9443"},
		{in: "", err: "server url is empty"},
		{in: "http://tgc.example", err: "scheme must be https"},
		{in: "https://tgc.example/api/v310", err: "without a path"},
		{in: "https://tgc.example?x=1", err: "without a path"},
		{in: "https://admin:pw@tgc.example", err: "credentials belong in username and password"},
		// Credentials in a URL refused for another reason are not quoted either.
		{in: "http://admin:pw@tgc.example", err: `server url "http://***@tgc.example": scheme must be https`},
		{in: "https://admin:pw@", err: `server url "https://***@": no host`},
		{in: "https://admin:p%zw@tgc.example", err: `server url "https://***@tgc.example": invalid URL escape "%zw"`},
		{in: "admin:pw@tgc.example:x", err: `server url "https://***@tgc.example:x": invalid port ":x" after host`},
		{in: "https://", err: "no host"},
	}
	for _, tt := range tests {
		got, err := tintri.ParseServerURL(tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseServerURL(%q) error = %v, want one containing %q", tt.in, err, tt.err)
			}
			if err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("ParseServerURL(%q) error shows the url password: %v", tt.in, err)
			}
		case err != nil || got != tt.want:
			t.Errorf("ParseServerURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		name string
		cfg  tintri.Config
		err  string
	}{
		{"no username", tintri.Config{URL: "h.example"}, "tintri client h.example: username is required"},
		{"ca and insecure", tintri.Config{URL: "h.example", Username: "u", CAFile: "ca.pem", InsecureSkipVerify: true},
			"tintri client h.example: ca file and insecure skip verify exclude each other"},
		{"missing ca file", tintri.Config{URL: "h.example", Username: "u", CAFile: "/nonexistent/ca.pem"},
			"tintri client h.example: read ca file: open /nonexistent/ca.pem: no such file or directory"},
		{"bad url", tintri.Config{URL: "ftp://h.example", Username: "u"}, `tintri client: server url "ftp://h.example": scheme must be https`},
	}
	for _, tt := range tests {
		_, err := tintri.New(tt.cfg)
		if err == nil || err.Error() != tt.err {
			t.Errorf("%s: New error = %v, want %q", tt.name, err, tt.err)
		}
	}
}

// TestSecretNeverPrinted renders Config and Client every way fmt can.
func TestSecretNeverPrinted(t *testing.T) {
	const pw = "s3cr3t-Pa55"
	cfg := tintri.Config{URL: "https://tgc.example", Username: "admin", Password: tintri.Secret(pw)}
	c, err := tintri.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{"config": cfg, "*config": &cfg, "*client": c} {
			if out := fmt.Sprintf(verb, v); strings.Contains(out, pw) {
				t.Errorf("fmt %s of %s shows the password: %s", verb, name, out)
			}
		}
	}
	if got, want := fmt.Sprintf("%v", c), "tintri.Client{url=https://tgc.example, username=admin}"; got != want {
		t.Errorf("%%v of client = %q, want %q", got, want)
	}
	if got, want := fmt.Sprintf("%#v", c), "tintri.Client{url=https://tgc.example, username=admin}"; got != want {
		t.Errorf("%%#v of client = %q, want %q", got, want)
	}
	if got := c.URL() + " " + c.Host(); got != "https://tgc.example tgc.example" {
		t.Errorf("URL Host = %q", got)
	}
	// The Secret itself, however it is logged or encoded.
	var logs bytes.Buffer
	log := zerolog.New(&logs)
	log.Info().Interface("cfg_password", cfg.Password).Stringer("secret", cfg.Password).Msg("x")
	js, err := json.Marshal(map[string]any{"password": cfg.Password})
	if err != nil {
		t.Fatal(err)
	}
	var decoded map[string]string
	if err := json.Unmarshal(js, &decoded); err != nil {
		t.Fatal(err)
	}
	txt, _ := cfg.Password.MarshalText()
	creds := tintri.RestApiCredentials{Username: "admin", Password: pw}
	for name, out := range map[string]string{
		"zerolog": logs.String(), "json": decoded["password"], "text": string(txt),
		"credentials": fmt.Sprintf("%v %+v %#v %s", creds, creds, creds, &creds),
	} {
		if strings.Contains(out, pw) || !strings.Contains(out, "<redacted>") {
			t.Errorf("%s rendering = %s, want <redacted> and no password", name, out)
		}
	}
	if cfg.Password.Reveal() != pw {
		t.Errorf("Reveal = %q", cfg.Password.Reveal())
	}
}

func TestMergeNext(t *testing.T) {
	base := url.Values{"includeFields": {"uuid,vmware"}, "offset": {"0"}, "limit": {"2"}}
	tests := []struct {
		next string
		want url.Values
	}{
		{"offset=2&limit=2", url.Values{"includeFields": {"uuid,vmware"}, "offset": {"2"}, "limit": {"2"}}},
		{"?offset=4&limit=2&name=web", url.Values{"includeFields": {"uuid,vmware"}, "offset": {"4"}, "limit": {"2"}, "name": {"web"}}},
		{"/api/v310/vm?offset=6&limit=2&includeFields=uuid", url.Values{"includeFields": {"uuid"}, "offset": {"6"}, "limit": {"2"}}},
	}
	for _, tt := range tests {
		got, err := tintri.MergeNext(base, tt.next)
		if err != nil {
			t.Fatalf("MergeNext(%q): %v", tt.next, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("MergeNext(%q) (-want +got):\n%s", tt.next, diff)
		}
	}
	if base.Get("offset") != "0" {
		t.Errorf("MergeNext changed its input: %v", base)
	}
	if _, err := tintri.MergeNext(base, "offset=%zz"); err == nil {
		t.Error("MergeNext accepted a malformed query")
	}
}

func TestDecodeList(t *testing.T) {
	want := []tintri.ApplianceIp{{TypeID: "t", ServiceType: "admin", IP: "10.0.0.1"}}
	for name, body := range map[string]string{
		"list":   ` [{"typeId":"t","serviceType":"admin","ip":"10.0.0.1"}]`,
		"object": "\n{\"typeId\":\"t\",\"serviceType\":\"admin\",\"ip\":\"10.0.0.1\"}",
		"page":   `{"typeId":"` + tintri.TypePage + `","items":[{"typeId":"t","serviceType":"admin","ip":"10.0.0.1"}]}`,
	} {
		var got []tintri.ApplianceIp
		if err := tintri.DecodeList(answer(http.StatusOK, "application/json", body), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	var got []tintri.ApplianceIp
	if err := tintri.DecodeList(answer(http.StatusOK, "", ""), &got); err == nil {
		t.Error("DecodeList accepted an empty body")
	}
}

// TestInfoUnreachable checks that a transport error is wrapped with host, method and path.
func TestInfoUnreachable(t *testing.T) {
	c, err := tintri.New(tintri.Config{URL: "https://127.0.0.1:1", Username: "u", Retry: tintri.RetryPolicy{MaxAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Info(testContext(t))
	if err == nil || !strings.HasPrefix(err.Error(), "127.0.0.1:1: GET /api/info: dial tcp 127.0.0.1:1: connect: connection refused") {
		t.Errorf("Info error = %v", err)
	}
}
