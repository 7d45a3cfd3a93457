package runner

import (
	"crypto/x509"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// serverSchema is the body of a `server "name"` block.
var serverSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{
		{Name: "url", Required: true},
		{Name: "kind", Required: true},
	}, credentialAttributes...),
}

// credentialAttributes are shared by server and fleet blocks.
var credentialAttributes = []hcl.AttributeSchema{
	{Name: "username", Required: true},
	{Name: "password", Required: true},
	{Name: "ca_file"},
	{Name: "insecure_skip_verify"},
	{Name: "max_inflight"},
}

// credentials are the connection settings server and fleet blocks share.
type credentials struct {
	Username           string
	Password           tintri.Secret
	CAFile             string
	InsecureSkipVerify bool
	MaxInflight        int
}

// decodeServerBlock decodes a server block. The returned server is never nil.
func (l *loader) decodeServerBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Server, hcl.Diagnostics) {
	srv := &Server{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(serverSchema)
	if attr, ok := content.Attributes["url"]; ok {
		s, sensitive, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		if ok {
			u, problem := normalizeURL(s)
			if problem != nil {
				diags = append(diags, problem.diagnostic(s, sensitive, attr.Expr.Range()))
			}
			srv.URL = u
		}
	}
	if attr, ok := content.Attributes["kind"]; ok {
		k, _, d := attrKeyword(attr, ctx, KindTGC, KindVMstore)
		diags = append(diags, d...)
		srv.Kind = k
	}
	creds, d := l.decodeCredentials(content, ctx)
	diags = append(diags, d...)
	srv.Username, srv.Password, srv.CAFile = creds.Username, creds.Password, creds.CAFile
	srv.InsecureSkipVerify, srv.MaxInflight = creds.InsecureSkipVerify, creds.MaxInflight
	return srv, diags
}

// decodeCredentials decodes username, password, ca_file, insecure_skip_verify and
// max_inflight. A password written as a literal draws a warning.
func (l *loader) decodeCredentials(content *hcl.BodyContent, ctx *hcl.EvalContext) (credentials, hcl.Diagnostics) {
	var c credentials
	var diags hcl.Diagnostics
	if attr, ok := content.Attributes["username"]; ok {
		s, _, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		if ok && s == "" {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty username",
				Detail:   "The attribute \"username\" must not be empty.",
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
		c.Username = s
	}
	if attr, ok := content.Attributes["password"]; ok {
		l.redactLiterals(attr.Expr)
		s, _, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		switch {
		case ok && s == "":
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Empty password",
				Detail:   "The attribute \"password\" must not be empty.",
				Subject:  attr.Expr.Range().Ptr(),
			})
		case ok && isLiteralExpr(attr.Expr):
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
	if attr, ok := content.Attributes["ca_file"]; ok {
		s, _, ok, d := attrString(attr, ctx)
		diags = append(diags, d...)
		if ok {
			p, d := l.caFile(s, attr.Expr.Range())
			diags = append(diags, d...)
			c.CAFile = p
		}
	}
	if attr, ok := content.Attributes["insecure_skip_verify"]; ok {
		v, _, d := attrBool(attr, ctx)
		diags = append(diags, d...)
		c.InsecureSkipVerify = v
	}
	if attr, ok := content.Attributes["max_inflight"]; ok {
		n, _, d := attrInt(attr, ctx, 1)
		diags = append(diags, d...)
		c.MaxInflight = n
	}
	if c.CAFile != "" && c.InsecureSkipVerify {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting TLS settings",
			Detail: "insecure_skip_verify = true turns certificate verification off, so the ca_file " +
				"would not be used: set ca_file to verify the appliance's certificate, or " +
				"insecure_skip_verify alone.",
			Subject: content.Attributes["insecure_skip_verify"].Expr.Range().Ptr(),
		})
	}
	return c, diags
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

// diagnostic reports the problem at rng, quoting the URL unless it is sensitive.
func (p *urlProblem) diagnostic(raw string, sensitive bool, rng hcl.Range) *hcl.Diagnostic {
	quoted := fmt.Sprintf("%q", raw)
	if sensitive {
		quoted = "(sensitive value)"
	}
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
