package tasks

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// fileError is a problem at one line of a data file (a VM list or a report field list)
// read at decode time. Its text is "FILE:LINE: message".
type fileError struct {
	File string
	Line int
	Msg  string
}

func (e *fileError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// diag turns the error into a diagnostic covering its line of the data file, whose text
// is src (so the range carries the byte offsets a source snippet needs).
func (e *fileError) diag(summary string, src *srcLines) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   e.Msg + ".",
		Subject:  src.lineRange(e.Line).Ptr(),
	}
}

// srcLines locates positions in the text of a data file, for diagnostic ranges that
// hcl.NewDiagnosticTextWriter can cut source snippets from (it uses the byte offsets).
type srcLines struct {
	file   string
	data   []byte
	starts []int // byte offset of each line's start; line 1 starts after a UTF-8 BOM
}

// newSrcLines indexes the lines of data, the text of file.
func newSrcLines(file string, data []byte) *srcLines {
	starts := []int{0}
	if bytes.HasPrefix(data, []byte("\uFEFF")) {
		starts[0] = 3
	}
	for i, b := range data {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &srcLines{file: file, data: data, starts: starts}
}

// lineEnd returns the byte offset of the end of line (1-based), line break excluded.
func (s *srcLines) lineEnd(line int) int {
	end := len(s.data)
	if line < len(s.starts) {
		end = s.starts[line] - 1
	}
	if end > s.starts[line-1] && s.data[end-1] == '\r' {
		end--
	}
	return end
}

// pos returns the position of byte column col (1-based, counted after a BOM on line 1,
// as encoding/csv counts) of line. Lines past the end of the file are placed at its end.
func (s *srcLines) pos(line, col int) hcl.Pos {
	line, col = max(line, 1), max(col, 1)
	if line > len(s.starts) {
		return hcl.Pos{Line: line, Column: col, Byte: len(s.data)}
	}
	start := s.starts[line-1]
	off := min(start+col-1, len(s.data))
	return hcl.Pos{Line: line, Column: utf8.RuneCount(s.data[start:off]) + 1, Byte: off}
}

// lineRange is the range of a whole line (1-based), from its first byte to its end.
func (s *srcLines) lineRange(line int) hcl.Range {
	start := s.pos(line, 1)
	end := start
	if line >= 1 && line <= len(s.starts) {
		end = s.pos(line, s.lineEnd(line)-s.starts[line-1]+1)
	}
	return hcl.Range{Filename: s.file, Start: start, End: end}
}

// textRange is the range of a CSV cell holding text (trimmed) that starts at byte column
// col of line; a quoted cell's range takes in its quotes, and a cell running past the
// line's end is cut there.
func (s *srcLines) textRange(line, col int, text string) hcl.Range {
	start := s.pos(line, col)
	end := start
	if line >= 1 && line <= len(s.starts) {
		n := len(text)
		if start.Byte < len(s.data) && s.data[start.Byte] == '"' {
			n += 2 + strings.Count(text, `"`)
		}
		stop := min(start.Byte+n, max(s.lineEnd(line), start.Byte))
		end = s.pos(line, stop-s.starts[line-1]+1)
	}
	return hcl.Range{Filename: s.file, Start: start, End: end}
}

// csvRow is one non-blank, non-comment record of a CSV file with its cells trimmed.
type csvRow struct {
	Line  int
	Cells []string
	// Pos holds where each cell starts: its line and byte column (1-based, after a BOM
	// on line 1), as encoding/csv's FieldPos reports it.
	Pos []csvPos
}

// csvPos is the start of a CSV cell.
type csvPos struct{ Line, Col int }

// readCSVRows parses data as CSV: a UTF-8 byte order mark is dropped, CRLF and LF line
// ends are accepted, blank lines and lines starting with '#' are skipped, rows may have
// different numbers of cells, and cells are trimmed of surrounding spaces. A quoted cell
// may hold commas (and quotes written twice). file names the file in errors.
func readCSVRows(file string, data []byte) ([]csvRow, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(data))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var rows []csvRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &fileError{File: file, Line: pe.Line, Msg: csvErrText(pe, data)}
			}
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		cells := make([]string, len(rec))
		pos := make([]csvPos, len(rec))
		blank := true
		for i, c := range rec {
			cells[i] = strings.TrimSpace(c)
			if cells[i] != "" {
				blank = false
			}
			pos[i].Line, pos[i].Col = r.FieldPos(i)
		}
		if blank {
			continue
		}
		rows = append(rows, csvRow{Line: pos[0].Line, Cells: cells, Pos: pos})
	}
}

// csvErrText describes a CSV syntax error with the text of the offending line.
func csvErrText(pe *csv.ParseError, data []byte) string {
	what := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		what = "malformed quote (a quoted cell must end with a quote followed by a comma or the line end)"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		what = `quote inside an unquoted cell (quote the whole cell and write inner quotes as "")`
	}
	lines := strings.Split(string(data), "\n")
	if pe.Line >= 1 && pe.Line <= len(lines) {
		text := strings.TrimRight(lines[pe.Line-1], "\r")
		if len(text) > 80 {
			text = text[:77] + "..."
		}
		return fmt.Sprintf("%s in %q", what, text)
	}
	return what
}

// nameColumns are the header cells (case-insensitive) that mark the first row of a VM
// list as a header when no column is named.
var nameColumns = []string{"name", "vm", "vm name", "vmname"}

// nameEntry is one VM name read from a list, with the line it came from.
type nameEntry struct {
	Name string
	Line int
}

// duplicateName is a name listed more than once, with every line it is on.
type duplicateName struct {
	Name  string
	Lines []int
}

// readNames reads VM names from a CSV file.
//
// With column set, the first row is a header and names come from the column of that
// name (case-insensitive). Without it, the first row is a header when one of its cells is
// name, vm, vm name or vmname (case-insensitive), and names come from that column;
// otherwise every cell of every row is a name (one per line, or several across columns).
// Empty cells are skipped. A name listed again is kept once and reported in dups, in
// order of first appearance. A file without any name is an error.
func readNames(file string, data []byte, column string) (names []nameEntry, dups []duplicateName, err error) {
	rows, err := readCSVRows(file, data)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		return nil, nil, &fileError{File: file, Line: 1, Msg: "no VM names: the file is empty"}
	}
	var col int
	if column != "" {
		col = headerIndex(rows[0].Cells, []string{column})
		if col < 0 {
			return nil, nil, &fileError{File: file, Line: rows[0].Line,
				Msg: fmt.Sprintf("no column %q in the header; the columns are %s", column, decode.QuoteList(rows[0].Cells, ", "))}
		}
	} else {
		col = headerIndex(rows[0].Cells, nameColumns)
	}
	body := rows
	if col >= 0 {
		body = rows[1:]
	}
	first := map[string]int{}
	for _, row := range body {
		cells := row.Cells
		if col >= 0 {
			if col >= len(cells) {
				continue
			}
			cells = cells[col : col+1]
		}
		for _, c := range cells {
			if c == "" {
				continue
			}
			if i, seen := first[c]; seen {
				dups = addDuplicate(dups, c, names[i].Line, row.Line)
				continue
			}
			first[c] = len(names)
			names = append(names, nameEntry{Name: c, Line: row.Line})
		}
	}
	if len(names) == 0 {
		return nil, nil, &fileError{File: file, Line: rows[0].Line, Msg: "no VM names: the file has a header but no names under it"}
	}
	return names, dups, nil
}

// addDuplicate records another line of a duplicated name.
func addDuplicate(dups []duplicateName, name string, firstLine, line int) []duplicateName {
	for i := range dups {
		if dups[i].Name == name {
			dups[i].Lines = append(dups[i].Lines, line)
			return dups
		}
	}
	return append(dups, duplicateName{Name: name, Lines: []int{firstLine, line}})
}

// headerIndex returns the index of the first cell equal (case-insensitive) to one of
// wanted, or -1.
func headerIndex(cells, wanted []string) int {
	for i, c := range cells {
		for _, w := range wanted {
			if strings.EqualFold(c, strings.TrimSpace(w)) {
				return i
			}
		}
	}
	return -1
}

// joinLines renders line numbers as "3, 7 and 9".
func joinLines(lines []int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = fmt.Sprint(l)
	}
	if len(s) == 1 {
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
