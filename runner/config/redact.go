package config

import (
	"bytes"
	"regexp"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// redactMask replaces each byte of a secret written in a source file in Config.Sources.
const redactMask = '*'

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
// diagnostic's offsets stay right, keeping line ends so that line numbers do too. The
// files are copied first: the hash is computed from what was read.
func (l *loader) redactSources() {
	copied := map[string]bool{}
	for _, r := range l.secrets {
		src, ok := l.cfg.Sources[r.Filename]
		if !ok || r.Start.Byte < 0 || r.End.Byte > len(src) || r.Start.Byte >= r.End.Byte {
			continue
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
