package config

import (
	"bytes"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// fleetBody is the body of a `fleet "name"` block.
type fleetBody struct {
	decode.Meta
	URLs         hcl.Expression `hcl:"urls,optional" type:"list(string)" doc:"The VMstores: https://host[:port] or bare hosts."`
	URLsFile     *string        `hcl:"urls_file,optional" doc:"A file listing one VMstore per line (# comments allowed), relative to the job file."`
	DiscoverFrom hcl.Expression `hcl:"discover_from,optional" type:"server reference (tgc)" doc:"Every VMstore the TGC server manages (GET /v310/vmstore), found at run time."`
	connectionBody
}

// FleetAttributes documents the attributes of a fleet block.
func FleetAttributes() []decode.Attr { return decode.Describe(fleetBody{}) }

// fleetSources are the attributes a fleet takes its members from; exactly one is set.
var fleetSources = []string{"urls", "urls_file", "discover_from"}

// decodeFleetBlock decodes a fleet block; servers must already be in the Config. The
// returned fleet is never nil.
func (l *loader) decodeFleetBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Fleet, hcl.Diagnostics) {
	fl := &Fleet{Name: b.Labels[0], DeclRange: b.DefRange}
	body := fleetBody{Meta: decode.Meta{DefRange: b.DefRange}}
	_, diags := decode.Body(b.Body, ctx, &body)

	var set []*hcl.Attribute
	for _, name := range fleetSources {
		if attr := body.Attr(name); attr != nil {
			set = append(set, attr)
		}
	}
	switch {
	case len(set) == 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing fleet members",
			Detail:   "A fleet needs exactly one of urls, urls_file and discover_from.",
			Subject:  b.DefRange.Ptr(),
		})
	case len(set) > 1:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting fleet members",
			Detail: fmt.Sprintf("The attribute %q cannot be used together with %q: a fleet needs "+
				"exactly one of urls, urls_file and discover_from.", set[1].Name, set[0].Name),
			Subject: set[1].NameRange.Ptr(),
		})
	case body.URLs != nil:
		urls, d := l.decodeURLList(set[0], ctx)
		diags = append(diags, d...)
		fl.URLs = urls
	case body.URLsFile != nil:
		urls, d := l.decodeURLsFile(*body.URLsFile, set[0])
		diags = append(diags, d...)
		fl.URLs = urls
	case body.DiscoverFrom != nil:
		name, d := ServerRef(l.cfg, ctx, body.DiscoverFrom, KindTGC)
		diags = append(diags, d...)
		fl.DiscoverFrom = name
	}
	conn, d := l.decodeConnection(&body.Meta, body.connectionBody, ctx)
	fl.Connection = conn
	return fl, append(diags, d...)
}

// decodeURLList decodes `urls = [...]`, normalising each entry; an entry's problem is
// reported at the entry when the list is written out, else at the whole expression.
func (l *loader) decodeURLList(attr *hcl.Attribute, ctx *hcl.EvalContext) ([]string, hcl.Diagnostics) {
	v, sensitive, ok, diags := decode.Eval(attr, ctx, cty.List(cty.String))
	if !ok {
		return nil, diags
	}
	if v.LengthInt() == 0 {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty URL list",
			Detail:   "The urls attribute must list at least one VMstore.",
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	items, itemDiags := hcl.ExprList(attr.Expr)
	if itemDiags.HasErrors() || len(items) != v.LengthInt() {
		items = nil
	}
	urls := urlList{l: l}
	for i, ev := range v.AsValueSlice() {
		rng := attr.Expr.Range()
		if items != nil {
			rng = items[i].Range()
		}
		if ev.IsNull() {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid URL",
				Detail:   "A fleet URL must not be null.",
				Subject:  rng.Ptr(),
			})
			continue
		}
		if d := urls.add(ev.AsString(), sensitive, rng); d != nil {
			diags = append(diags, d)
		}
	}
	return urls.urls, diags
}

// urlList collects a fleet's member URLs, normalised and each listed once.
type urlList struct {
	l    *loader
	urls []string
	seen map[string]bool
}

// add normalises raw (written at rng) and appends it, or reports why it cannot: an
// invalid URL or a fleet member listed twice.
func (l *urlList) add(raw string, sensitive bool, rng hcl.Range) *hcl.Diagnostic {
	u, problem := normalizeURL(raw)
	if problem != nil {
		return l.l.urlDiagnostic(problem, raw, sensitive, rng)
	}
	if l.seen[u] {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Duplicate fleet member",
			Detail:   fmt.Sprintf("%s is listed more than once; each VMstore must be listed once.", u),
			Subject:  rng.Ptr(),
		}
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[u] = true
	l.urls = append(l.urls, u)
	return nil
}

// decodeURLsFile reads a urls_file p (written as attr): one host or URL per line; blank
// lines and text after '#' are ignored. A bad line is reported at that line of that file.
func (l *loader) decodeURLsFile(p string, attr *hcl.Attribute) ([]string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	src, err := l.readFile(p)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Unreadable urls_file",
			Detail:   fmt.Sprintf("Cannot read the fleet's URL list: %s.", err),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	name := l.relPath(p)
	l.cfg.Sources[name] = src

	urls := urlList{l: l}
	offset := 0
	for i, line := range bytes.SplitAfter(src, []byte("\n")) {
		start := offset
		offset += len(line)
		text := line
		if j := bytes.IndexByte(text, '#'); j >= 0 {
			text = text[:j]
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		col := bytes.Index(line, text)
		rng := hcl.Range{
			Filename: name,
			Start:    hcl.Pos{Line: i + 1, Column: col + 1, Byte: start + col},
			End:      hcl.Pos{Line: i + 1, Column: col + len(text) + 1, Byte: start + col + len(text)},
		}
		if d := urls.add(string(text), false, rng); d != nil {
			diags = append(diags, d)
		}
	}
	if len(urls.urls) == 0 && !diags.HasErrors() {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Empty URL list",
			Detail:   fmt.Sprintf("The file %s lists no VMstore.", name),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	return urls.urls, diags
}
