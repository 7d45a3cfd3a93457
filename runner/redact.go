package runner

import (
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
