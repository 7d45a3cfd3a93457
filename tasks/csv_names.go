package tasks

import (
	"fmt"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

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

// readNames reads VM names from a CSV file (decoded, checked and split as readCSVRows
// does; the header cells below help detect its separator).
//
// With column set, the first row is a header and names come from the column of that
// name (case-insensitive). Without it, the first row is a header when one of its cells is
// name, vm, vm name or vmname (case-insensitive), and names come from that column;
// otherwise every cell of every row is a name (one per line, or several across columns).
// Empty cells are skipped. A name listed again is kept once and reported in dups, in
// order of first appearance. A file without any name is an error.
func readNames(file string, data []byte, column string) (names []nameEntry, dups []duplicateName, err error) {
	known := oneOf(nameColumns...)
	if column != "" {
		known = oneOf(column)
	}
	rows, fe := readCSVRows(file, data, known)
	if fe != nil {
		return nil, nil, fe
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
	names, dups = uniqueNames(body, col)
	if len(names) == 0 {
		return nil, nil, &fileError{File: file, Line: rows[0].Line, Msg: "no VM names: the file has a header but no names under it"}
	}
	return names, dups, nil
}

// uniqueNames collects the non-empty names of rows (every cell, or only cell col when col
// is not negative), each once, and the names listed more than once.
func uniqueNames(rows []csvRow, col int) (names []nameEntry, dups []duplicateName) {
	first := map[string]int{} // name -> index in names
	dupAt := map[string]int{} // name -> index in dups
	for _, row := range rows {
		cells := row.Cells
		if col >= 0 {
			if col >= len(cells) {
				continue
			}
			cells = cells[col : col+1]
		}
		for _, c := range cells {
			i, seen := first[c]
			switch {
			case c == "":
			case !seen:
				first[c] = len(names)
				names = append(names, nameEntry{Name: c, Line: row.Line})
			default:
				d, again := dupAt[c]
				if !again {
					d = len(dups)
					dupAt[c] = d
					dups = append(dups, duplicateName{Name: c, Lines: []int{names[i].Line}})
				}
				dups[d].Lines = append(dups[d].Lines, row.Line)
			}
		}
	}
	return names, dups
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
