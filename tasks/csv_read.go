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
	"golang.org/x/text/encoding/unicode"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

// The reading layer shared by the CSV data files tasks read at decode time (VM name
// lists, report field lists, data IP files):
//
//   - Encoding: a file starting with a UTF-16 byte order mark (LE or BE) is decoded; any
//     other file must be UTF-8 (a UTF-8 byte order mark is dropped). The first byte that
//     is not UTF-8 (in a UTF-16 file: an unpaired surrogate or a cut last character,
//     which decode to U+FFFD), NUL byte or carriage return not followed by a line feed is
//     an error naming its line and column.
//   - Separator: comma, semicolon or tab, detected from the first sampleRecords records
//     (detectSeparator).
//   - Limits: a cell holds at most maxCellBytes bytes (after trimming); a reader reports at
//     most maxFileProblems problems of one file, then how many more there are.
//
// Lines and byte columns count in the decoded text, which is what a UTF-16 file's source
// is recorded as (readDataFile), so that diagnostic ranges cut the right snippet.

const (
	// maxCellBytes bounds a cell: a vSphere VM name has at most 80 characters and a host
	// name 253, so a longer cell is a quote left open or not a list at all.
	maxCellBytes = 1024
	// maxFileProblems is how many problems of one file are reported one by one.
	maxFileProblems = 20
	// sampleRecords is how many records (the header or first row and those after it)
	// separator detection reads.
	sampleRecords = 5
)

// separators are the cell separators detectSeparator chooses from, preferred in this
// order on a tie.
var separators = []rune{',', ';', '\t'}

// utf8BOM is the UTF-8 byte order mark.
var utf8BOM = []byte("\uFEFF")

// fileError is a problem at one line of a data file read at decode time. Its text is
// "FILE:LINE: message".
type fileError struct {
	File string
	Line int
	// Col and Width locate the offending bytes on Line: Col is a byte column (1-based,
	// after a BOM on line 1, as encoding/csv counts); 0 stands for the whole line.
	Col, Width int
	Msg        string
}

func (e *fileError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// diag turns the error into a diagnostic covering its bytes (or its line) in the data
// file, whose text src indexes (so the range carries the byte offsets a snippet needs).
func (e *fileError) diag(summary string, src *srcLines) *hcl.Diagnostic {
	rng := src.lineRange(e.Line)
	if e.Col > 0 {
		rng = src.span(e.Line, e.Col, e.Width)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: e.Msg + ".", Subject: &rng}
}

// decodeText returns the text of a data file: a file with a UTF-16 byte order mark (whose
// endianness it gives) decoded to UTF-8 without the mark, with fromUTF16 set; any other
// file as is. Ill-formed UTF-16 decodes to U+FFFD, which checkText reports.
func decodeText(data []byte) (text []byte, fromUTF16 bool) {
	text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
	if err != nil { // no UTF-16 byte order mark
		return data, false
	}
	return text, true
}

// readDataFile reads the data file p through dc. A UTF-16 file's decoded text replaces
// the bytes read as its recorded source (Config.Sources), since the diagnostics about it
// count lines and bytes in that text. The readers take the bytes as read.
func readDataFile(dc *runner.DecodeContext, p string) ([]byte, error) {
	data, err := dc.ReadFile(p)
	if err != nil {
		return nil, err
	}
	if text, fromUTF16 := decodeText(data); fromUTF16 {
		dc.Config.Record(dc.Path(p), text)
	}
	return data, nil
}

// checkText returns the first problem of body, a file's text after any byte order mark:
// a NUL byte, a byte that is not UTF-8 (U+FFFD in text decoded from UTF-16) or a carriage
// return that does not end a line. It returns nil when there is none.
func checkText(file string, body []byte, fromUTF16 bool) *fileError {
	line, start := 1, 0
	for i := 0; i < len(body); {
		b := body[i]
		if b >= utf8.RuneSelf {
			r, size := utf8.DecodeRune(body[i:])
			if r == utf8.RuneError && (size == 1 || fromUTF16) {
				return textError(file, body, line, start, i, size, fromUTF16)
			}
			i += size
			continue
		}
		switch {
		case b == '\n':
			line, start = line+1, i+1
		case b == 0, b == '\r' && i+1 < len(body) && body[i+1] != '\n':
			return textError(file, body, line, start, i, 1, fromUTF16)
		}
		i++
	}
	return nil
}

// textError describes the bad byte(s) at body[i:i+size], on line (which starts at start).
func textError(file string, body []byte, line, start, i, size int, fromUTF16 bool) *fileError {
	col := utf8.RuneCount(body[start:i]) + 1
	var msg string
	switch {
	case body[i] == 0:
		msg = fmt.Sprintf("NUL byte at column %d: the file is not text, or is UTF-16 without a byte order mark; save it as UTF-8 (Excel: CSV UTF-8)", col)
	case body[i] == '\r':
		msg = fmt.Sprintf("carriage return without a line feed at column %d: save the file with LF or CRLF line ends", col)
	case fromUTF16:
		msg = fmt.Sprintf("the file is not valid UTF-16 (an unpaired surrogate or a cut character at column %d): save it again as UTF-8 or UTF-16", col)
	default:
		msg = fmt.Sprintf("the file is not UTF-8 (byte 0x%02X at column %d): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)", body[i], col)
	}
	return &fileError{File: file, Line: line, Col: i - start + 1, Width: size, Msg: msg}
}

// newCSVReader reads body's records: cells separated by sep, '#' lines skipped, rows of
// any length.
func newCSVReader(body []byte, sep rune) *csv.Reader {
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma, r.Comment, r.FieldsPerRecord = sep, '#', -1
	r.TrimLeadingSpace = sep != '\t' // it would take empty cells between tabs for space
	return r
}

// detectSeparator chooses the cell separator of body (a file's text after any byte order
// mark) among comma, semicolon and tab, from its first sampleRecords non-blank records
// split by each: the one whose first record holds the most known header cells (known
// tells them, case-insensitively and trimmed), else the one that splits every sampled
// record into the same number of cells, more than one, and the most such cells; ties go
// to comma, then semicolon. When none does, it is comma (so a file with one cell per line
// is one column). A quoted cell may hold any separator.
func detectSeparator(body []byte, known func(string) bool) rune {
	best, bestKnown, bestCells := ',', 0, 0
	for _, sep := range separators {
		k, n := sampleCells(body, sep, known)
		if n < 2 {
			n = 0
		}
		if k > bestKnown || k == bestKnown && n > bestCells {
			best, bestKnown, bestCells = sep, k, n
		}
	}
	return best
}

// sampleCells reads the first sampleRecords non-blank records of body split by sep and
// returns how many cells of the first are known header names, and the number of cells of
// every record (0 when they differ or a record is malformed with this separator).
func sampleCells(body []byte, sep rune, known func(string) bool) (nKnown, cells int) {
	r := newCSVReader(body, sep)
	for read := 0; read < sampleRecords; {
		rec, err := r.Read()
		switch {
		case errors.Is(err, io.EOF):
			return nKnown, cells
		case err != nil:
			return nKnown, 0
		case blankRecord(rec):
			continue
		case read == 0:
			cells = len(rec)
			for _, c := range rec {
				if known(strings.TrimSpace(c)) {
					nKnown++
				}
			}
		case len(rec) != cells:
			return nKnown, 0
		}
		read++
	}
	return nKnown, cells
}

// blankRecord reports whether every cell of rec is blank.
func blankRecord(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// oneOf returns whether a cell is one of names (case-insensitive), for detectSeparator.
func oneOf(names ...string) func(string) bool {
	return func(cell string) bool { return headerIndex([]string{cell}, names) == 0 }
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

// readCSVRows parses data, the bytes of file, as CSV after decoding and checking it (see
// the top of this file) and detecting its separator, whose known header names known tells.
// CRLF and LF line ends are accepted, blank lines and lines starting with '#' skipped;
// rows may have different numbers of cells; cells are trimmed of surrounding spaces. A
// quoted cell may hold separators, line breaks and quotes (written twice).
func readCSVRows(file string, data []byte, known func(string) bool) ([]csvRow, *fileError) {
	text, fromUTF16 := decodeText(data)
	body := bytes.TrimPrefix(text, utf8BOM)
	if fe := checkText(file, body, fromUTF16); fe != nil {
		return nil, fe
	}
	sep := detectSeparator(body, known)
	r := newCSVReader(body, sep)
	var rows []csvRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) { // encoding/csv reading memory returns no other error
				return nil, &fileError{File: file, Line: 1, Msg: err.Error()}
			}
			return nil, &fileError{File: file, Line: pe.Line, Msg: csvErrText(pe, body, sep)}
		}
		if blankRecord(rec) {
			continue
		}
		row := csvRow{Cells: make([]string, len(rec)), Pos: make([]csvPos, len(rec))}
		for i, c := range rec {
			row.Cells[i] = strings.TrimSpace(c)
			row.Pos[i].Line, row.Pos[i].Col = r.FieldPos(i)
			if n := len(row.Cells[i]); n > maxCellBytes {
				return nil, &fileError{File: file, Line: row.Pos[i].Line, Col: row.Pos[i].Col, Width: len(c),
					Msg: fmt.Sprintf("cell %d holds %d bytes; a cell holds at most %d (is a quote left open?)", i+1, n, maxCellBytes)}
			}
		}
		row.Line = row.Pos[0].Line
		rows = append(rows, row)
	}
}

// separatorNames name the separators in messages.
var separatorNames = map[rune]string{',': "a comma", ';': "a semicolon", '\t': "a tab"}

// csvErrText describes a CSV syntax error in body, whose cells sep separates, with the
// text of the offending line.
func csvErrText(pe *csv.ParseError, body []byte, sep rune) string {
	what := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		what = fmt.Sprintf("malformed quote (a quoted cell must end with a quote followed by %s or the line end)", separatorNames[sep])
	case errors.Is(pe.Err, csv.ErrBareQuote):
		what = `quote inside an unquoted cell (quote the whole cell and write inner quotes as "")`
	}
	rest, ok := body, true
	for l := 1; l < pe.Line && ok; l++ {
		_, rest, ok = bytes.Cut(rest, []byte("\n"))
	}
	if !ok {
		return what
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	text := []rune(string(bytes.TrimRight(line, "\r")))
	if len(text) > 80 {
		text = append(text[:77], []rune("...")...)
	}
	return fmt.Sprintf("%s in %q", what, string(text))
}

// capProblems keeps the first maxFileProblems of problems and, when there are more, adds
// what more makes of the others.
func capProblems[S ~[]T, T any](problems S, more func(rest S) T) S {
	if len(problems) <= maxFileProblems {
		return problems
	}
	return append(problems[:maxFileProblems:maxFileProblems], more(problems[maxFileProblems:]))
}

// capDiags caps diags, about the data file file, as capProblems does: the last one counts
// those left out and points at the first of them.
func capDiags(file string, diags hcl.Diagnostics) hcl.Diagnostics {
	return capProblems(diags, func(rest hcl.Diagnostics) *hcl.Diagnostic {
		sev := hcl.DiagWarning
		if rest.HasErrors() {
			sev = hcl.DiagError
		}
		return &hcl.Diagnostic{
			Severity: sev,
			Summary:  "More problems",
			Detail: fmt.Sprintf("%d more problems in %s are not shown, the first of them here; the first %d are above.",
				len(rest), file, maxFileProblems),
			Subject: rest[0].Subject,
		}
	})
}

// srcLines locates positions in the text of a data file, for diagnostic ranges that
// hcl.NewDiagnosticTextWriter can cut source snippets from (it uses the byte offsets).
type srcLines struct {
	file   string
	data   []byte
	starts []int // byte offset of each line's start; line 1 starts after a UTF-8 BOM
	// last is the position pos returned last: a later one on the same line is counted
	// from there, so looking up a long line's cells in order takes linear time.
	last hcl.Pos
	// lastLine is the range lineRange returned last, for repeated lookups of a line.
	lastLine hcl.Range
}

// newSrcLines indexes the lines of the text of file, whose bytes are data: a UTF-16
// file's decoded text, as readDataFile records it, else data itself.
func newSrcLines(file string, data []byte) *srcLines {
	data, _ = decodeText(data)
	starts := []int{0}
	if bytes.HasPrefix(data, utf8BOM) {
		starts[0] = len(utf8BOM)
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
	off := min(s.starts[line-1]+col-1, len(s.data))
	from := hcl.Pos{Line: line, Column: 1, Byte: s.starts[line-1]}
	if s.last.Line == line && s.last.Byte <= off {
		from = s.last
	}
	s.last = hcl.Pos{Line: line, Column: from.Column + utf8.RuneCount(s.data[from.Byte:off]), Byte: off}
	return s.last
}

// lineRange is the range of a whole line (1-based), from its first byte to its end.
func (s *srcLines) lineRange(line int) hcl.Range {
	if s.lastLine.Filename != "" && s.lastLine.Start.Line == line {
		return s.lastLine
	}
	start := s.pos(line, 1)
	end := start
	if line >= 1 && line <= len(s.starts) {
		end = s.pos(line, s.lineEnd(line)-s.starts[line-1]+1)
	}
	s.lastLine = hcl.Range{Filename: s.file, Start: start, End: end}
	return s.lastLine
}

// span is the range of n bytes from byte column col of line, cut at the line's end.
func (s *srcLines) span(line, col, n int) hcl.Range {
	start := s.pos(line, col)
	end := start
	if line >= 1 && line <= len(s.starts) {
		stop := min(start.Byte+n, max(s.lineEnd(line), start.Byte))
		end = s.pos(line, stop-s.starts[line-1]+1)
	}
	return hcl.Range{Filename: s.file, Start: start, End: end}
}

// textRange is the range of a CSV cell holding text (trimmed) that starts at byte column
// col of line; a quoted cell's range takes in its quotes, and a cell running past the
// line's end is cut there.
func (s *srcLines) textRange(line, col int, text string) hcl.Range {
	n := len(text)
	if start := s.pos(line, col).Byte; start < len(s.data) && s.data[start] == '"' {
		n += 2 + strings.Count(text, `"`)
	}
	return s.span(line, col, n)
}
