package config

import (
	"fmt"
	"io"
	"io/fs"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Limits on the text handed to the HCL parser and on the files a job reads. hclsyntax
// parses and evaluates expressions recursively, so 100,000 nested parentheses (or unary
// minuses, or operators in a row) exhaust the goroutine stack, which kills the process
// (validate, or a daemon on SIGHUP) instead of failing: what the parser gets is bounded
// first.
const (
	// maxSourceSize bounds a job file, a variable file and a -var value: 1 MiB is some
	// 30,000 lines, far beyond a hand-written configuration (long lists of VMstores or VMs
	// belong in urls_file and CSV files), and keeps the worst expression chain that still
	// passes maxNesting small.
	maxSourceSize = 1 << 20
	// maxNesting bounds how deep an expression nests: brackets, braces, parentheses,
	// strings, template interpolations and directives, plus the operators chained in one
	// expression (each adds a level to the syntax tree). Job files nest about ten levels;
	// a hundred leaves room for generated files and stays far below the stack's limit.
	maxNesting = 100
	// maxDataFileSize bounds a file the configuration reads (urls_file, file(), a task's
	// CSV or field list): 64 MiB is a CSV of about a million VM names.
	maxDataFileSize = 64 << 20
)

// mib formats a limit of whole mebibytes.
func mib(n int) string { return fmt.Sprintf("%d MiB", n>>20) }

// readAtMost reads name through fsys, but no more than limit+1 bytes: a longer result than
// limit means the file is larger, which the caller refuses without reading the rest.
func readAtMost(fsys fs.FS, name string, limit int) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, int64(limit)+1))
}

// checkSource refuses src, the text of filename, before it is parsed when it is larger
// than maxSourceSize or nests deeper than maxNesting. what names it in messages ("The job
// file jobs.hcl"); expr says src is one expression (a -var value) rather than a file of
// attributes and blocks.
func checkSource(filename, what string, src []byte, expr bool) *hcl.Diagnostic {
	if len(src) > maxSourceSize {
		start := hcl.Pos{Line: 1, Column: 1}
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Input too large",
			Detail: fmt.Sprintf("%s is larger than %s, the limit for what the HCL parser reads: split it, "+
				"or move long lists into a urls_file or CSV file.", what, mib(maxSourceSize)),
			Subject: &hcl.Range{Filename: filename, Start: start, End: start},
		}
	}
	lex := hclsyntax.LexConfig
	if expr {
		lex = hclsyntax.LexExpression
	}
	tokens, _ := lex(src, filename, hcl.InitialPos) // the parser reports what does not lex
	if tok := tooDeep(tokens, !expr); tok != nil {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Nesting too deep",
			Detail: fmt.Sprintf("%s nests brackets, strings, template interpolations and operators more "+
				"than %d levels deep here; it is refused before parsing. Write the expression in simpler parts.",
				what, maxNesting),
			Subject: tok.Range.Ptr(),
		}
	}
	return nil
}

// nestFrame is an open bracket, brace, string or interpolation while tooDeep scans.
type nestFrame struct {
	open hclsyntax.TokenType // the token that opened it; 0 for a file's body
	// chain counts the operators (and index brackets) since the frame's last separator:
	// each nests the syntax tree of one expression a level deeper.
	chain int
}

// separates reports whether tok ends one item of the frame and starts the next, ending the
// chain of operators: a comma anywhere, a newline in a body or object.
func (f nestFrame) separates(tok hclsyntax.TokenType) bool {
	return tok == hclsyntax.TokenComma ||
		(tok == hclsyntax.TokenNewline && (f.open == hclsyntax.TokenOBrace || f.open == 0))
}

// chainOps are the tokens that make an expression one level deeper: unary and binary
// operators and the conditional's question mark (and an index, see isIndex).
var chainOps = map[hclsyntax.TokenType]bool{
	hclsyntax.TokenPlus: true, hclsyntax.TokenMinus: true, hclsyntax.TokenStar: true, hclsyntax.TokenSlash: true,
	hclsyntax.TokenPercent: true, hclsyntax.TokenBang: true, hclsyntax.TokenAnd: true, hclsyntax.TokenOr: true,
	hclsyntax.TokenEqualOp: true, hclsyntax.TokenNotEqual: true, hclsyntax.TokenLessThan: true,
	hclsyntax.TokenLessThanEq: true, hclsyntax.TokenGreaterThan: true, hclsyntax.TokenGreaterThanEq: true,
	hclsyntax.TokenQuestion: true,
}

// operandEnds are the tokens an operand ends with: a bracket after one is an index (a[0],
// f(x)[0]), which wraps the expression in one more level, not a list.
var operandEnds = map[hclsyntax.TokenType]bool{
	hclsyntax.TokenIdent: true, hclsyntax.TokenNumberLit: true, hclsyntax.TokenCParen: true,
	hclsyntax.TokenCBrack: true, hclsyntax.TokenCBrace: true, hclsyntax.TokenCQuote: true, hclsyntax.TokenCHeredoc: true,
}

// isIndex reports whether tokens[i] is the bracket of an index.
func isIndex(tokens hclsyntax.Tokens, i int) bool {
	return tokens[i].Type == hclsyntax.TokenOBrack && i > 0 && operandEnds[tokens[i-1].Type]
}

// closedBy reports whether the closing token t ends the frame; a closer that does not
// match is left to the parser to report.
func (f nestFrame) closedBy(t hclsyntax.TokenType) bool {
	open := closes[t]
	return f.open == open || (open == hclsyntax.TokenTemplateInterp && f.open == hclsyntax.TokenTemplateControl)
}

// closes maps each closing token to the opening token it matches.
var closes = map[hclsyntax.TokenType]hclsyntax.TokenType{
	hclsyntax.TokenCParen: hclsyntax.TokenOParen, hclsyntax.TokenCBrack: hclsyntax.TokenOBrack,
	hclsyntax.TokenCBrace: hclsyntax.TokenOBrace, hclsyntax.TokenCQuote: hclsyntax.TokenOQuote,
	hclsyntax.TokenCHeredoc: hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateSeqEnd: hclsyntax.TokenTemplateInterp,
	// A quoted string that reaches the line end is unterminated: the lexer goes on after it.
	hclsyntax.TokenQuotedNewline: hclsyntax.TokenOQuote,
}

// tooDeep returns the first token at which tokens nest deeper than maxNesting, or nil. The
// depth is the frames open (brackets, braces, parentheses, strings, interpolations), the
// template directives open (%{ if } and %{ for } until their end), and the operators
// chained in each open frame. inBody says the tokens are a file's body, where a newline
// separates attributes.
func tooDeep(tokens hclsyntax.Tokens, inBody bool) *hclsyntax.Token {
	root := nestFrame{open: hclsyntax.TokenOParen} // an expression: newlines do not separate
	if inBody {
		root.open = 0
	}
	stack := []nestFrame{root}
	ops, directives := 0, 0
	for i := range tokens {
		tok := &tokens[i]
		top := &stack[len(stack)-1]
		switch t := tok.Type; {
		case t == hclsyntax.TokenIdent && i > 0 && tokens[i-1].Type == hclsyntax.TokenTemplateControl:
			switch string(tok.Bytes) {
			case "if", "for":
				directives++
			case "endif", "endfor":
				directives = max(directives-1, 0)
			}
		case top.separates(t):
			ops -= top.chain
			top.chain = 0
		case closes[t] != 0:
			if len(stack) > 1 && top.closedBy(t) {
				ops -= top.chain
				stack = stack[:len(stack)-1]
			}
		case chainOps[t] || isIndex(tokens, i):
			top.chain++
			ops++
		}
		switch t := tok.Type; t {
		case hclsyntax.TokenOParen, hclsyntax.TokenOBrack, hclsyntax.TokenOBrace, hclsyntax.TokenOQuote,
			hclsyntax.TokenOHeredoc, hclsyntax.TokenTemplateInterp, hclsyntax.TokenTemplateControl:
			stack = append(stack, nestFrame{open: t})
		}
		if len(stack)-1+directives+ops > maxNesting {
			return tok
		}
	}
	return nil
}
