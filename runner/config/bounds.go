package config

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
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
	if off := tooDeep(src, expr); off >= 0 {
		pos := posAt(src, off)
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Nesting too deep",
			Detail: fmt.Sprintf("%s nests brackets, strings, template interpolations and operators more "+
				"than %d levels deep here; it is refused before parsing. Write the expression in simpler parts.",
				what, maxNesting),
			Subject: &hcl.Range{Filename: filename, Start: pos,
				End: hcl.Pos{Line: pos.Line, Column: pos.Column + 1, Byte: pos.Byte + 1}},
		}
	}
	return nil
}

// posAt is the position of byte off of src.
func posAt(src []byte, off int) hcl.Pos {
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return hcl.Pos{Line: bytes.Count(src[:off], []byte("\n")) + 1, Column: utf8.RuneCount(src[start:off]) + 1, Byte: off}
}
