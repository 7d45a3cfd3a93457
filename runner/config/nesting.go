package config

import (
	"bytes"
	"strings"
)

// How checkSource measures nesting without the HCL lexer, which would hold every token of
// the file at once (some 400 MB for 1 MiB of parentheses): one pass over the bytes that
// knows HCL's comments, quoted strings (with escapes), heredocs and template sequences well
// enough that brackets and operators inside strings and comments do not count. Where it
// errs it counts too much (an exponent's minus, a splat's star), which only a file already
// near the limit can notice.

// frameKind is what an open frame of the scan is.
type frameKind byte

const (
	frameBody    frameKind = iota // a file's body: newlines separate attributes
	frameExpr                     // a -var value: one expression
	frameParen                    // ( … )
	frameBrack                    // [ … ]
	frameBrace                    // { … }: a block's body or an object; newlines separate items
	frameInterp                   // ${ … } or %{ … } in a template
	frameQuote                    // " … "
	frameHeredoc                  // <<EOT … EOT
)

// scanFrame is an open bracket, brace, string, heredoc or template sequence.
type scanFrame struct {
	kind frameKind
	// chain counts the operators (and index brackets) since the frame's last separator:
	// each nests the syntax tree of one expression a level deeper.
	chain  int
	marker []byte // a heredoc's closing marker
}

// nestScan is the state of tooDeep.
type nestScan struct {
	src        []byte
	stack      []scanFrame
	ops        int  // the frames' chains, summed
	directives int  // %{ if } and %{ for } not yet ended
	operand    bool // the last code byte ended an operand: a '[' after it is an index
}

// tooDeep returns the offset in src at which it nests deeper than maxNesting, or -1. The
// depth is the frames open (brackets, braces, parentheses, strings, heredocs, template
// sequences), the template directives open, and the operators chained in each open frame.
// expr says src is one expression rather than a file's body.
func tooDeep(src []byte, expr bool) int {
	s := &nestScan{src: src, stack: []scanFrame{{kind: frameBody}}}
	if expr {
		s.stack[0].kind = frameExpr
	}
	for i := 0; i < len(src); {
		var next int
		switch s.stack[len(s.stack)-1].kind {
		case frameQuote:
			next = s.quoted(i)
		case frameHeredoc:
			next = s.heredoc(i)
		default:
			next = s.code(i)
		}
		if len(s.stack)-1+s.directives+s.ops > maxNesting {
			return i
		}
		i = next
	}
	return -1
}

// code reads the code at src[i] (one byte, an operator, a comment, the start of a string
// or heredoc) and returns where the next step starts.
func (s *nestScan) code(i int) int {
	src, top := s.src, &s.stack[len(s.stack)-1]
	c := src[i]
	next := func(b byte) bool { return i+1 < len(src) && src[i+1] == b }
	operand := s.operand
	s.operand = false
	switch {
	case c == ' ' || c == '\t' || c == '\r':
		s.operand = operand
		return i + 1
	case c == '\n' || c == ',':
		if c == ',' || top.kind == frameBody || top.kind == frameBrace {
			s.ops -= top.chain
			top.chain = 0
		}
		return i + 1
	case c == '#' || (c == '/' && (next('/') || next('*'))):
		return commentEnd(src, i)
	case c == '"':
		s.push(frameQuote, nil)
	case c == '<' && next('<'):
		if marker, body := heredocStart(src, i); body > 0 {
			s.push(frameHeredoc, marker)
			return body
		}
		s.chainOp()
		return i + 2
	case c == '(':
		s.push(frameParen, nil)
	case c == '{':
		s.push(frameBrace, nil)
	case c == '[':
		if operand {
			s.chainOp()
		}
		s.push(frameBrack, nil)
	case c == ')':
		s.pop(frameParen)
	case c == ']':
		s.pop(frameBrack)
	case c == '}':
		s.pop(frameBrace)
	case c == '=' && next('>'): // a for expression's arrow
		return i + 2
	case strings.IndexByte("+-*/%!?<>=&|", c) >= 0:
		// An operator, of two bytes for ==, !=, <=, >=, && and ||; a lone = assigns.
		n := 1
		if next('=') || ((c == '&' || c == '|') && next(c)) {
			n = 2
		}
		if c != '=' || n == 2 {
			s.chainOp()
		}
		return i + n
	default:
		s.operand = c == '_' || c == '.' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
	}
	return i + 1
}

// commentEnd returns where the comment at src[i] ends: the newline of a # or // comment
// (which separates like any newline), after the */ of a /* comment.
func commentEnd(src []byte, i int) int {
	if src[i] == '/' && src[i+1] == '*' {
		if j := bytes.Index(src[i+2:], []byte("*/")); j >= 0 {
			return i + 2 + j + 2
		}
	} else if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
		return i + j
	}
	return len(src)
}

// quoted reads a quoted string's text at src[i].
func (s *nestScan) quoted(i int) int {
	switch s.src[i] {
	case '\\':
		return min(i+2, len(s.src))
	case '"':
		s.popTop()
		s.operand = true
		return i + 1
	case '\n': // an unterminated string: the newline is code again
		s.popTop()
		return i
	}
	return s.template(i)
}

// heredoc reads a heredoc's text at src[i]; a line holding only its marker ends it.
func (s *nestScan) heredoc(i int) int {
	src := s.src
	if i == 0 || src[i-1] == '\n' {
		end := len(src)
		if j := bytes.IndexByte(src[i:], '\n'); j >= 0 {
			end = i + j
		}
		if bytes.Equal(bytes.TrimSpace(src[i:end]), s.stack[len(s.stack)-1].marker) {
			s.popTop()
			s.operand = true
			return end
		}
	}
	return s.template(i)
}

// template reads a string's or heredoc's text at src[i]: ${ and %{ open a template
// sequence ($${ and %%{ are text); %{ if } and %{ for } open a directive, %{ endif } and
// %{ endfor } end one.
func (s *nestScan) template(i int) int {
	src := s.src
	c := src[i]
	if (c != '$' && c != '%') || i+1 >= len(src) {
		return i + 1
	}
	switch {
	case src[i+1] == c && i+2 < len(src) && src[i+2] == '{':
		return i + 3
	case src[i+1] != '{':
		return i + 1
	}
	if c == '%' {
		word := bytes.TrimLeft(src[i+2:], "~ \t")
		end := 0
		for end < len(word) && word[end] >= 'a' && word[end] <= 'z' {
			end++
		}
		switch string(word[:end]) {
		case "if", "for":
			s.directives++
		case "endif", "endfor":
			s.directives = max(s.directives-1, 0)
		}
	}
	s.push(frameInterp, nil)
	return i + 2
}

// heredocStart reads "<<EOT" or "<<-EOT" and its newline at src[i]: the marker, and where
// the heredoc's text starts (0 when src[i] starts no heredoc).
func heredocStart(src []byte, i int) (marker []byte, body int) {
	j := i + 2
	if j < len(src) && src[j] == '-' {
		j++
	}
	k := j
	for k < len(src) && (src[k] == '_' || src[k] == '-' || src[k] >= '0' && src[k] <= '9' || src[k]|0x20 >= 'a' && src[k]|0x20 <= 'z') {
		k++
	}
	end := k
	if end < len(src) && src[end] == '\r' {
		end++
	}
	if k == j || end >= len(src) || src[end] != '\n' {
		return nil, 0
	}
	return src[j:k], end + 1
}

// push opens a frame.
func (s *nestScan) push(kind frameKind, marker []byte) {
	s.stack = append(s.stack, scanFrame{kind: kind, marker: marker})
}

// chainOp counts an operator in the innermost frame.
func (s *nestScan) chainOp() {
	s.stack[len(s.stack)-1].chain++
	s.ops++
}

// pop closes the innermost frame if kind (or, for a brace, a template sequence) opened
// it; a closer that matches nothing is left to the parser to report. What it closed ends
// an operand.
func (s *nestScan) pop(kind frameKind) {
	top := s.stack[len(s.stack)-1].kind
	if top == kind || (kind == frameBrace && top == frameInterp) {
		s.popTop()
	}
	s.operand = true
}

// popTop closes the innermost frame, never the root.
func (s *nestScan) popTop() {
	if len(s.stack) > 1 {
		s.ops -= s.stack[len(s.stack)-1].chain
		s.stack = s.stack[:len(s.stack)-1]
	}
}
