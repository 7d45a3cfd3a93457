package tasks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// fieldHeaders are first cells (case-insensitive) that mark the first row of a report
// field file as a header rather than a field.
var fieldHeaders = []string{"field", "fields", "attribute", "attributes"}

// fieldEntry is one report field read from a file, with its description (the second
// cell, "" when none) and its line.
type fieldEntry struct {
	Name        string
	Description string
	Line        int
}

// readFields reads a VM report field file in the vendor template's form: one field per
// line, the field name in the first column and its description in the second (further
// cells ignored), '#' lines commented out, blank lines skipped, an optional header row
// whose first cell is field(s) or attribute(s). The file is decoded, checked and split as
// readCSVRows does. Every field must be one of tintri.VMReportAttributes or of the VM
// statistics tintri.VMStatFields (exact spelling) and appear once.
// It returns the problems found, each naming its line (the first maxFileProblems, then
// how many more); a CSV syntax error ends the reading.
func readFields(file string, data []byte) ([]fieldEntry, []*fileError) {
	rows, fe := readCSVRows(file, data, oneOf(fieldHeaders...))
	if fe != nil {
		return nil, []*fileError{fe}
	}
	if len(rows) > 0 && headerIndex(rows[0].Cells[:1], fieldHeaders) == 0 {
		rows = rows[1:]
	}
	if len(rows) == 0 {
		return nil, []*fileError{{File: file, Line: 1, Msg: "no report fields: the file lists none"}}
	}
	var out []fieldEntry
	var errs []*fileError
	first := map[string]int{}
	for _, row := range rows {
		name := row.Cells[0]
		if msg := checkField(name); msg != "" {
			errs = append(errs, &fileError{File: file, Line: row.Line, Msg: msg})
			continue
		}
		if line, dup := first[name]; dup {
			errs = append(errs, &fileError{File: file, Line: row.Line,
				Msg: fmt.Sprintf("field %q is already listed on line %d", name, line)})
			continue
		}
		first[name] = row.Line
		e := fieldEntry{Name: name, Line: row.Line}
		if len(row.Cells) > 1 {
			e.Description = strings.TrimSpace(row.Cells[1])
		}
		out = append(out, e)
	}
	return out, capProblems(errs, func(rest []*fileError) *fileError {
		return &fileError{File: file, Line: rest[0].Line,
			Msg: fmt.Sprintf("%d more problems from this line on are not shown; the first %d are above", len(rest), maxFileProblems)}
	})
}

// reportFieldNames are the names a report field may have: the report attributes, then the
// VM statistics.
var reportFieldNames = slices.Concat(tintri.VMReportAttributes, tintri.VMStatFields)

// checkField returns why name is neither a report attribute nor a VM statistic, or "".
func checkField(name string) string {
	switch {
	case name == "":
		return "empty field name"
	case slices.Contains(reportFieldNames, name):
		return ""
	}
	for _, a := range reportFieldNames {
		if strings.EqualFold(a, name) {
			return fmt.Sprintf("unknown report field %q (did you mean %q? field names are case-sensitive)", name, a)
		}
	}
	return fmt.Sprintf("unknown report field %q%s", name, decode.DidYouMean(name, reportFieldNames))
}

// isStatField reports whether a report field is a VM statistic, read from stat rather than
// from the TGC's report.
func isStatField(name string) bool { return slices.Contains(tintri.VMStatFields, name) }
