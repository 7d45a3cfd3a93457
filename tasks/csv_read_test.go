package tasks

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// utf16File encodes s as UTF-16 with a byte order mark, big-endian when be is set (as
// Excel's "Unicode text" and PowerShell's exports write it).
func utf16File(s string, be bool) string {
	order := unicode.LittleEndian
	if be {
		order = unicode.BigEndian
	}
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

// checkUTF16Same checks that data, when it is UTF-8, reads the same saved as UTF-16 LE
// and BE (the decoded text is then the same, so even byte offsets are): read renders what
// a reader makes of a file.
func checkUTF16Same(t *testing.T, data []byte, read func([]byte) string) {
	t.Helper()
	if _, fromUTF16 := decodeText(data); fromUTF16 || !utf8.Valid(data) || bytes.ContainsRune(data, utf8.RuneError) {
		return
	}
	want := read(data)
	for _, be := range []bool{false, true} {
		if got := read([]byte(utf16File(string(data), be))); got != want {
			t.Fatalf("as UTF-16 (big-endian %v):\n%s\nas UTF-8:\n%s", be, got, want)
		}
	}
}

// TestReadCSVRows reads one table written in each encoding and with each separator: every
// variant gives the same cells at the same lines and byte columns (counted in the decoded
// text, after a BOM).
func TestReadCSVRows(t *testing.T) {
	known := oneOf("name")
	type cell struct {
		Text      string
		Line, Col int
	}
	want := [][]cell{
		{{"Name", 1, 1}, {"Power State", 1, 6}, {"Host", 1, 18}},
		{{"vdi-0011", 2, 1}, {"Powered On", 2, 10}, {"esx-01", 2, 21}},
		{{"vdi-0012", 4, 1}, {"Suspended", 4, 10}, {"esx-02", 4, 20}},
	}
	table := "Name;Power State;Host\nvdi-0011;Powered On;esx-01\n# moved\nvdi-0012;Suspended;esx-02\n"
	for _, tc := range []struct{ name, data string }{
		{"semicolon", table},
		{"comma", strings.ReplaceAll(table, ";", ",")},
		{"tab", strings.ReplaceAll(table, ";", "\t")},
		{"semicolon crlf", strings.ReplaceAll(table, "\n", "\r\n")},
		{"utf-8 bom semicolon", "\uFEFF" + table},
		{"utf-16 le bom semicolon", utf16File(table, false)},
		{"utf-16 be bom semicolon crlf", utf16File(strings.ReplaceAll(table, "\n", "\r\n"), true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, fe := readCSVRows("f.csv", []byte(tc.data), known)
			if fe != nil {
				t.Fatal(fe)
			}
			var got [][]cell
			for _, r := range rows {
				var cells []cell
				for i, c := range r.Cells {
					cells = append(cells, cell{c, r.Pos[i].Line, r.Pos[i].Col})
				}
				got = append(got, cells)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("cells (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDetectSeparator pins the detection rule: a known header cell first, then the
// separator splitting the sampled records into the same number of cells (the most), then
// comma.
func TestDetectSeparator(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       rune
	}{
		{"semicolon export without header", "vdi-0011;Powered On;esx-01\nvdi-0012;Powered Off;esx-02\n", ';'},
		{"tab", "a\tb\n\n# c\nd\te\n", '\t'},
		{"one column", "vdi-0011\nvdi-0012\n", ','},
		{"known header beats a consistent split", "Name;Notes, misc\nvdi-1;a, b\n", ';'},
		{"more cells win", "web, front;on;esx\nweb, back;off;esx\n", ';'},
		{"tie goes to comma", "a;x,b\nc;y,d\n", ','},
		{"quoted separators", "\"a,b\";\"c\"\n\"d;e\";f\n", ';'},
		{"ragged rows stay comma", "a;b\nc;d;e\n", ','},
		{"tab keeps empty cells", "a\t\tb\nc\t\td\n", '\t'},
		// The first 5 non-blank, non-comment rows are sampled: a 6th row ragged with
		// semicolons does not count, a 5th does, also after blank and comment rows.
		{"sixth row not sampled", "a;b\n" + strings.Repeat("c;d\n", 4) + "e;f;g\n", ';'},
		{"fifth row sampled", "a;b\n" + strings.Repeat("c;d\n", 3) + "e;f;g\n", ','},
		{"blank and comment rows not counted", "a;b\n;;\n# x;y\n" + strings.Repeat("c;d\n", 3) + "e;f;g\n", ','},
		{"tie goes to semicolon before tab", "a;b\tc\nd;e\tf\n", ';'},
		{"tie goes to comma before tab", "a,b\tc\nd,e\tf\n", ','},
		{"three-way tie goes to comma", "a,b;c\td\ne,f;g\th\n", ','},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := detectSeparator([]byte(tc.data), oneOf(nameColumns...)); got != tc.want {
				t.Errorf("separator %q, want %q", got, tc.want)
			}
		})
	}
}

// benchRows is how many rows the benchmarks' files have, of which benchBad are bad
// (a repeated VM name, an invalid VLAN ID, an unknown report field).
const benchRows, benchBad = 20000, 1000

// BenchmarkReadNames20k reads a 20k-row VM list in which 1,000 rows repeat a name, as
// comma and semicolon UTF-8 and as semicolon UTF-16, and one listing 10k names twice
// each: the time must grow linearly with the rows (it grew with the square of the repeated
// names).
func BenchmarkReadNames20k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("Name,Power State,Host\r\n")
	for i := range benchRows {
		n := i
		if i%(benchRows/benchBad) == 1 {
			n = i - 1 // the name of the row before
		}
		fmt.Fprintf(&sb, "vdi-%05d,Powered On,esx-%02d\r\n", n, i%40)
	}
	comma := sb.String()
	semicolon := strings.ReplaceAll(comma, ",", ";")
	sb.Reset()
	for i := range benchRows / 2 {
		fmt.Fprintf(&sb, "vdi-%05d\nvdi-%05d\n", i, i)
	}
	for _, bc := range []struct {
		name, data         string
		wantNames, wantDup int
	}{
		{"comma", comma, benchRows - benchBad, benchBad},
		{"semicolon", semicolon, benchRows - benchBad, benchBad},
		{"utf-16-semicolon", utf16File(semicolon, false), benchRows - benchBad, benchBad},
		{"every-name-twice", sb.String(), benchRows / 2, benchRows / 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				names, dups, err := readNames("f.csv", data, "")
				if err != nil || len(names) != bc.wantNames || len(dups) != bc.wantDup {
					b.Fatalf("%d names, %d duplicates, %v", len(names), len(dups), err)
				}
			}
		})
	}
}

// BenchmarkReadDataIPs20k reads a 20k-row data IP file with 1,000 invalid VLAN IDs, and
// one whose header holds 20k unknown columns (positions on a long line were counted from
// its start each time).
func BenchmarkReadDataIPs20k(b *testing.B) {
	var rows, header strings.Builder
	rows.WriteString("vmstore;ip;prefix;gateway;vlan_id;jumbo_frames\n")
	for i := range benchRows {
		vlan := 100
		if i%(benchRows/benchBad) == 0 {
			vlan = 5000
		}
		fmt.Fprintf(&rows, "vmstore-%d;10.%d.%d.%d;24;;%d;true\n", i%50, 10+i/250, i%250, 10+i%7, vlan)
		fmt.Fprintf(&header, "colonne-%d-é;", i)
	}
	for _, bc := range []struct{ name, data string }{
		{"rows", rows.String()},
		{"header-cells", header.String() + "\n"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data := []byte(bc.data)
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, diags := readDataIPs("x.csv", data); len(diags) != maxFileProblems+1 {
					b.Fatalf("%d diagnostics", len(diags))
				}
			}
		})
	}
}

// BenchmarkReadFields20k reads a 20k-row report field file, 1,000 of its rows unknown
// fields and most of the others repeated ones.
func BenchmarkReadFields20k(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("Field;Description\n")
	for i := range benchRows {
		f := tintri.VMReportAttributes[i%len(tintri.VMReportAttributes)]
		if i%(benchRows/benchBad) == 0 {
			f = fmt.Sprintf("Bogus%d", i)
		}
		fmt.Fprintf(&sb, "%s;row %d\n", f, i)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, errs := readFields("f.csv", data); len(errs) != maxFileProblems+1 {
			b.Fatalf("%d errors", len(errs))
		}
	}
}
