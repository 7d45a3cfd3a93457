package config

import (
	"bytes"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// redactMask replaces each byte of a secret written in a source file in Config.Sources.
const redactMask = '*'

// credential is the expression of a credential attribute (a password, a sensitive
// variable's value) and the words written in it, which diagnostics about it must not quote.
type credential struct {
	rng   hcl.Range
	words []string
}

// minMaskedWord is the length below which a word of a credential's expression is left in
// diagnostic texts: masking "a" or "is" there would garble every sentence.
const minMaskedWord = 3

// redactCredential masks the expression of a credential attribute in Config.Sources.
// Quoted literals (alone or in a list or object) keep their quotes; an expression that
// only says where the secret comes from (var.x, env("NAME"), file("path"), functions of
// these) stays readable; anything else ("…" + 1, tonumber("…"), an unquoted word) is
// masked whole, since an error on its line quotes the whole line. Diagnostics about it
// lose the words they quote of it (redactDiagnostics).
func (l *loader) redactCredential(expr hcl.Expression) {
	switch {
	case namesSource(expr):
		return
	case quotedLiterals(expr):
		l.redactLiterals(expr)
	default:
		l.wholes = append(l.wholes, expr.Range())
	}
	l.recordCredential(expr.Range(), l.cfg.Sources[expr.Range().Filename])
}

// recordCredential notes the credential written at rng, src being the text rng is in.
func (l *loader) recordCredential(rng hcl.Range, src []byte) {
	if rng.Start.Byte < 0 || rng.End.Byte > len(src) || rng.Start.Byte > rng.End.Byte {
		return
	}
	tokens, _ := hclsyntax.LexExpression(src[rng.Start.Byte:rng.End.Byte], rng.Filename, hcl.InitialPos)
	c := credential{rng: rng}
	for _, t := range tokens {
		switch t.Type {
		case hclsyntax.TokenQuotedLit, hclsyntax.TokenStringLit, hclsyntax.TokenIdent, hclsyntax.TokenNumberLit:
			if len(t.Bytes) >= minMaskedWord {
				c.words = append(c.words, string(t.Bytes))
			}
		}
	}
	sort.Slice(c.words, func(i, j int) bool { return len(c.words[i]) > len(c.words[j]) })
	l.credentials = append(l.credentials, c)
}

// namesSource reports an expression that names where a secret comes from without holding
// any of it: a variable, env("NAME") or file("path"), or a function of such expressions
// only (trimspace(file("pw.txt"))).
func namesSource(expr hcl.Expression) bool {
	switch e := hcl.UnwrapExpression(expr).(type) {
	case *hclsyntax.ScopeTraversalExpr:
		return e.Traversal.RootName() == "var"
	case *hclsyntax.TemplateWrapExpr:
		return namesSource(e.Wrapped)
	case *hclsyntax.ParenthesesExpr:
		return namesSource(e.Expression)
	case *hclsyntax.FunctionCallExpr:
		for _, arg := range e.Args {
			if !namesSource(arg) && !((e.Name == "env" || e.Name == "file") && decode.IsLiteral(arg)) {
				return false
			}
		}
		return true
	}
	return false
}

// quotedLiterals reports a quoted string or heredoc without interpolations, or a list,
// object or parenthesised expression of those only: what redactLiterals masks entirely.
func quotedLiterals(expr hcl.Expression) bool {
	switch e := hcl.UnwrapExpression(expr).(type) {
	case *hclsyntax.TemplateExpr:
		return decode.IsLiteral(e)
	case *hclsyntax.TemplateWrapExpr:
		return quotedLiterals(e.Wrapped)
	case *hclsyntax.ParenthesesExpr:
		return quotedLiterals(e.Expression)
	case *hclsyntax.TupleConsExpr:
		for _, item := range e.Exprs {
			if !quotedLiterals(item) {
				return false
			}
		}
		return true
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			if !quotedLiterals(item.ValueExpr) {
				return false
			}
		}
		return true
	}
	return false
}

// redactDiagnostics removes from every diagnostic about a credential's expression what it
// would show of it: the expression's words in Summary and Detail (masked with '*'), and
// the values of the variables it uses, which the text writer prints ("with var.x as …").
func (l *loader) redactDiagnostics(diags hcl.Diagnostics) {
	for _, d := range diags {
		for _, c := range l.credentials {
			if !overlaps(d.Subject, c.rng) && !overlaps(d.Context, c.rng) {
				continue
			}
			d.Summary, d.Detail = maskWords(d.Summary, c.words), maskWords(d.Detail, c.words)
			d.Expression, d.EvalContext = nil, nil
		}
	}
}

// overlaps reports whether r, which may be nil, shares a byte with c.
func overlaps(r *hcl.Range, c hcl.Range) bool {
	return r != nil && r.Filename == c.Filename && r.Start.Byte < max(c.End.Byte, c.Start.Byte+1) &&
		c.Start.Byte < max(r.End.Byte, r.Start.Byte+1)
}

// maskWords replaces each whole-word occurrence in s of each of words (longest first) with
// as many '*'.
func maskWords(s string, words []string) string {
	for _, w := range words {
		var b strings.Builder
		for {
			i := wordIndex(s, w)
			if i < 0 {
				break
			}
			b.WriteString(s[:i])
			b.WriteString(strings.Repeat(string(redactMask), len(w)))
			s = s[i+len(w):]
		}
		s = b.String() + s
	}
	return s
}

// wordIndex is the index of the first occurrence of w in s not inside a longer word, or -1.
func wordIndex(s, w string) int {
	isWord := func(c byte) bool { return c == '_' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' }
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		if end := i + len(w); (i == 0 || !isWord(s[i-1])) && (end == len(s) || !isWord(s[end])) {
			return i
		}
		off = i + 1
	}
}

// redactLiterals records the string literals written in expr — a quoted string or
// heredoc, the literal parts of a template, the strings in a tuple or object — as secrets
// that Config.Sources must not show: a diagnostic's snippet quotes whole source lines, so
// a literal password would otherwise be printed by every command that loads the file.
// Function arguments (the NAME of env("NAME"), the path of file("path")) are not values
// and stay readable.
func (l *loader) redactLiterals(expr hcl.Expression) {
	switch e := hcl.UnwrapExpression(expr).(type) {
	case *hclsyntax.TemplateWrapExpr:
		l.redactLiterals(e.Wrapped)
	case *hclsyntax.TemplateExpr:
		for _, part := range e.Parts {
			if lit, ok := part.(*hclsyntax.LiteralValueExpr); ok {
				l.secrets = append(l.secrets, lit.Range())
				continue
			}
			l.redactLiterals(part)
		}
	case *hclsyntax.ParenthesesExpr:
		l.redactLiterals(e.Expression)
	case *hclsyntax.TupleConsExpr:
		for _, item := range e.Exprs {
			l.redactLiterals(item)
		}
	case *hclsyntax.ObjectConsExpr:
		for _, item := range e.Items {
			l.redactLiterals(item.ValueExpr)
		}
	}
}

// redactSources masks the recorded secrets in Config.Sources, byte for byte so that every
// diagnostic's offsets stay right, keeping line ends so that line numbers do too. A
// credential expression masked whole on one line becomes a quoted string of '*', so that
// the file still parses and snippets name the block they are in. The files are copied
// first: the hash is computed from what was read.
func (l *loader) redactSources() {
	copied := map[string]bool{}
	masked := func(r hcl.Range) []byte {
		src, ok := l.cfg.Sources[r.Filename]
		if !ok || r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte >= r.End.Byte {
			return nil
		}
		if !copied[r.Filename] {
			src = append([]byte(nil), src...)
			l.cfg.Sources[r.Filename] = src
			copied[r.Filename] = true
		}
		for i := r.Start.Byte; i < r.End.Byte; i++ {
			if src[i] != '\n' && src[i] != '\r' {
				src[i] = redactMask
			}
		}
		return src
	}
	for _, r := range l.secrets {
		masked(r)
	}
	for _, r := range l.wholes {
		if src := masked(r); src != nil && r.Start.Line == r.End.Line && r.End.Byte-r.Start.Byte >= 2 {
			src[r.Start.Byte], src[r.End.Byte-1] = '"', '"'
		}
	}
}

// passwordAttr matches a password attribute up to its "=", at the start of a line or
// inside a one-line block (server "a" { password = "…" }); defaultAttr the same for a
// variable's default.
var (
	passwordAttr  = regexp.MustCompile(`\bpassword[ \t]*=`)
	defaultAttr   = regexp.MustCompile(`\bdefault[ \t]*=`)
	sensitiveTrue = regexp.MustCompile(`\bsensitive[ \t]*=[ \t]*true\b`)
)

// redactUnparsed records secrets in a file that does not parse, whose values cannot be
// found from its syntax tree: everything after the "=" of each password attribute, of
// each default when the file declares a sensitive variable (which default is whose cannot
// be told), or, with allValues (a variable file, all of whose values may be secrets), of
// every line. A syntax error's snippet then shows the names and the masked value, not the
// secret.
func (l *loader) redactUnparsed(filename string, src []byte, allValues bool) {
	attrs := []*regexp.Regexp{passwordAttr}
	if sensitiveTrue.Match(src) {
		attrs = append(attrs, defaultAttr)
	}
	start := 0
	for start < len(src) {
		end := len(src)
		if i := bytes.IndexByte(src[start:], '\n'); i >= 0 {
			end = start + i
		}
		line := src[start:end]
		eq := -1 // the "=" after which the line is masked
		if allValues {
			eq = bytes.IndexByte(line, '=')
		} else {
			for _, re := range attrs {
				if loc := re.FindIndex(line); loc != nil && (eq < 0 || loc[1]-1 < eq) {
					eq = loc[1] - 1
				}
			}
		}
		if eq >= 0 {
			l.secrets = append(l.secrets, hcl.Range{
				Filename: filename,
				Start:    hcl.Pos{Byte: start + eq + 1},
				End:      hcl.Pos{Byte: end},
			})
		}
		start = end + 1
	}
}
