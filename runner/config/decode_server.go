package config

import (
	"cmp"
	"crypto/x509"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/internal/redact"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// serverBody is the body of a `server "name"` block.
type serverBody struct {
	decode.Meta
	URL  hcl.Expression `hcl:"url" type:"string" doc:"The appliance: https://host[:port], or a bare host meaning https://host."`
	Kind string         `hcl:"kind" enum:"tgc,vmstore" doc:"What the appliance is: a Tintri Global Center or a VMstore."`
	connectionBody
}

// connectionBody holds the attributes server and fleet blocks share.
type connectionBody struct {
	Username           string         `hcl:"username" nonempty:"true" doc:"The API user."`
	Password           hcl.Expression `hcl:"password" type:"string" doc:"The API password: env(\"NAME\"), file(\"path\") or a sensitive variable; never printed."`
	CAFile             *string        `hcl:"ca_file,optional" doc:"PEM bundle of the CA that signed the appliance's certificate, relative to the job file; checked by validate."`
	InsecureSkipVerify bool           `hcl:"insecure_skip_verify,optional" default:"false" doc:"Skip TLS certificate verification (logged as a warning); excludes ca_file."`
	MaxInflight        int            `hcl:"max_inflight,optional" min:"1" doc:"The most requests in flight to one appliance at once: the ceiling of the adaptive limit (default 64), or the fixed limit with adaptive = false (default 8)."`
	MinInflight        int            `hcl:"min_inflight,optional" min:"1" doc:"The floor of the adaptive limit (default 1): however the appliance answers, this many requests may be in flight."`
	Adaptive           bool           `hcl:"adaptive,optional" default:"true" doc:"Adapt the requests in flight to the appliance: start at 4, grow while answers stay good and fast, back off on 429, 503, timeouts or a latency rise. false keeps max_inflight fixed, for appliances that must be treated gently."`
	Timeout            *time.Duration `hcl:"timeout,optional" doc:"How long one request may take, e.g. \"20s\" (1s to 1h; default: the client's, 60s); -timeout overrides it."`
	Attempts           int            `hcl:"attempts,optional" min:"1" max:"10" doc:"Tries of a request that failed in a way worth repeating (1 to 10; default: the client's, 4); as many timeouts in a row, at most 3, mark the appliance unavailable for the rest of the run. -attempts overrides it."`
}

// ServerAttributes documents the attributes of a server block.
func ServerAttributes() []decode.Attr { return decode.Describe(serverBody{}) }

// decodeServerBlock decodes a server block. The returned server is never nil.
func (l *loader) decodeServerBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Server, hcl.Diagnostics) {
	srv := &Server{Name: b.Labels[0], DeclRange: b.DefRange}
	var body serverBody
	_, diags := decode.Body(b.Body, ctx, &body)
	srv.Kind = body.Kind
	if attr := body.Attr("url"); attr != nil {
		v, sensitive, ok, d := decode.Eval(attr, ctx, cty.String)
		diags = append(diags, d...)
		if ok {
			u, problem := normalizeURL(v.AsString())
			if problem != nil {
				diags = append(diags, l.urlDiagnostic(problem, v.AsString(), sensitive, attr.Expr.Range()))
			}
			srv.URL = u
		}
	}
	conn, d := l.decodeConnection(&body.Meta, body.connectionBody, ctx)
	srv.Connection = conn
	return srv, append(diags, d...)
}

// decodeConnection checks the connection attributes of a decoded server or fleet body.
// A password written as a literal draws a warning.
func (l *loader) decodeConnection(m *decode.Meta, body connectionBody, ctx *hcl.EvalContext) (Connection, hcl.Diagnostics) {
	c := Connection{Username: body.Username, InsecureSkipVerify: body.InsecureSkipVerify, MaxInflight: body.MaxInflight,
		MinInflight: body.MinInflight, DisableAdaptive: !body.Adaptive, Attempts: body.Attempts}
	diags := checkInflight(m, c)
	if body.Timeout != nil {
		c.Timeout = *body.Timeout
		if CheckTimeout(c.Timeout) != nil {
			diags = append(diags, decode.Invalid(m.Attr("timeout"), "The timeout attribute must be %s, not %s.", timeoutBounds, c.Timeout))
		}
	}
	if attr := m.Attr("password"); attr != nil {
		l.redactCredential(attr.Expr)
		s, ok, d := decode.String(attr, ctx)
		diags = append(diags, d...)
		switch {
		case ok && s == "":
			diags = append(diags, decode.Invalid(attr, "The password attribute must not be empty."))
		case ok && decode.IsLiteral(attr.Expr):
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagWarning,
				Summary:  "Literal password in job file",
				Detail: "The password is written in the job file, where anyone who can read the file " +
					"can read it. Use env(\"NAME\"), file(\"path\") or a variable declared with " +
					"sensitive = true instead.",
				Subject: attr.Expr.Range().Ptr(),
			})
		}
		c.Password = tintri.Secret(s)
	}
	if body.CAFile != nil {
		p, d := l.caFile(*body.CAFile, m.Range("ca_file"))
		diags = append(diags, d...)
		c.CAFile = p
	}
	if c.CAFile != "" && c.InsecureSkipVerify {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting TLS settings",
			Detail: "insecure_skip_verify = true turns certificate verification off, so the ca_file " +
				"would not be used: set ca_file to verify the appliance's certificate, or " +
				"insecure_skip_verify alone.",
			Subject: m.Range("insecure_skip_verify").Ptr(),
		})
	}
	return c, diags
}

// checkInflight checks min_inflight against adaptive and max_inflight.
func checkInflight(m *decode.Meta, c Connection) hcl.Diagnostics {
	attr := m.Attr("min_inflight")
	switch ceiling := cmp.Or(c.MaxInflight, tintri.DefaultMaxInflight); {
	case attr == nil || c.MinInflight == 0:
		return nil
	case c.DisableAdaptive:
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Unexpected min_inflight",
			Detail:  "min_inflight is the floor of the adaptive limit; with adaptive = false the limit is max_inflight, fixed.",
			Subject: attr.NameRange.Ptr()}}
	case c.MinInflight > ceiling:
		return hcl.Diagnostics{decode.Invalid(attr, "The min_inflight attribute (%d) must not exceed max_inflight (%d; its default is %d).",
			c.MinInflight, ceiling, tintri.DefaultMaxInflight)}
	}
	return nil
}

// caFile checks that a CA bundle exists and holds a PEM certificate, as the client will
// require, and returns its OS path. A relative path is relative to the job file's
// directory and read through the FS; an absolute path is an OS path taken as written and
// read with os.ReadFile, since the client reads it from the operating system whatever FS
// the job files come from.
func (l *loader) caFile(p string, rng hcl.Range) (string, hcl.Diagnostics) {
	full, osPath := p, p
	var pem []byte
	var err error
	if filepath.IsAbs(p) {
		pem, err = os.ReadFile(p)
	} else {
		full = path.Join(l.baseDir, filepath.ToSlash(p))
		osPath = filepath.Join(l.opts.Root, filepath.FromSlash(full))
		pem, err = fs.ReadFile(l.fsys, full)
	}
	if err != nil {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Unreadable CA file",
			Detail:   fmt.Sprintf("Cannot read the CA bundle %s: %s.", full, err),
			Subject:  rng.Ptr(),
		}}
	}
	if !x509.NewCertPool().AppendCertsFromPEM(pem) {
		return "", hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid CA file",
			Detail: fmt.Sprintf("The file %s holds no PEM certificate: ca_file must name the CA certificate "+
				"(or bundle) the appliance's certificate is signed with, in PEM form (-----BEGIN CERTIFICATE-----).", full),
			Subject: rng.Ptr(),
		}}
	}
	return osPath, nil
}

// urlProblem is why a string is not a usable appliance URL.
type urlProblem struct {
	summary, detail string
}

// urlDiagnostic reports the problem of raw, written at rng. Credentials in the URL
// (user:password@) are neither quoted nor shown in the snippet: they are masked in
// Config.Sources.
func (l *loader) urlDiagnostic(p *urlProblem, raw string, sensitive bool, rng hcl.Range) *hcl.Diagnostic {
	if src, ok := l.cfg.Sources[rng.Filename]; ok && rng.Start.Byte >= 0 && rng.Start.Byte <= rng.End.Byte && rng.End.Byte <= len(src) {
		if start, end := redact.Userinfo(string(src[rng.Start.Byte:rng.End.Byte])); start < end {
			l.secrets = append(l.secrets, hcl.Range{Filename: rng.Filename,
				Start: hcl.Pos{Byte: rng.Start.Byte + start}, End: hcl.Pos{Byte: rng.Start.Byte + end}})
		}
	}
	return p.diagnostic(raw, sensitive, rng)
}

// diagnostic reports the problem at rng, quoting the URL without its credentials, and not
// at all when it is sensitive.
func (p *urlProblem) diagnostic(raw string, sensitive bool, rng hcl.Range) *hcl.Diagnostic {
	quoted := decode.ShowString(redact.URL(raw), sensitive)
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  p.summary,
		Detail:   fmt.Sprintf("The URL %s %s", quoted, p.detail),
		Subject:  rng.Ptr(),
	}
}

// normalizeURL checks an appliance address and returns it as "https://host[:port]". A
// bare host or host:port means https.
func normalizeURL(raw string) (string, *urlProblem) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", &urlProblem{"Invalid URL", "is empty: write https://host or a bare host name."}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return "", &urlProblem{"Invalid URL", "cannot be parsed: write https://host[:port]."}
	case u.Scheme == "http":
		return "", &urlProblem{"Unencrypted URL",
			"uses http. The Tintri REST API is only served over HTTPS and credentials must not travel " +
				"in clear text: write https://, and set ca_file (or insecure_skip_verify) for a " +
				"self-signed certificate."}
	case u.Scheme != "https":
		return "", &urlProblem{"Invalid URL", fmt.Sprintf("has the scheme %q: only https is supported.", u.Scheme)}
	case u.User != nil:
		return "", &urlProblem{"Invalid URL", "contains credentials: use the username and password attributes."}
	case u.Hostname() == "":
		return "", &urlProblem{"Invalid URL", "has no host."}
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", &urlProblem{"Invalid URL", "has a path, query or fragment: write https://host[:port] without /api."}
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", &urlProblem{"Invalid URL", fmt.Sprintf("has the invalid port %q.", port)}
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return "", &urlProblem{"Invalid URL", "has an empty port."}
	}
	return "https://" + u.Host, nil
}
