package tasks

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// TestReadNames reads VM lists, also as spreadsheets export them: separator and encoding
// are detected, and names keep the lines they are on.
func TestReadNames(t *testing.T) {
	export := "Name;Power State;Host\r\nvdi-0011;Powered On;esx-01\r\nvdi-0012;Suspended;esx-02\r\n"
	fromExport := []nameEntry{{"vdi-0011", 2}, {"vdi-0012", 3}}
	cases := []struct {
		name, data, column string
		want               []nameEntry
		dups               []duplicateName
		err                string
	}{
		{name: "one per line", data: "vdi-0001\nvdi-0002\n",
			want: []nameEntry{{"vdi-0001", 1}, {"vdi-0002", 2}}},
		{name: "bom crlf blanks comments spaces", data: "\uFEFF# VMs\r\n\r\n  vdi-0001  \r\n#vdi-0009\r\n\t\r\nvdi-0002\r\n",
			want: []nameEntry{{"vdi-0001", 3}, {"vdi-0002", 6}}},
		{name: "across columns", data: "a, b ,c\n\nd,,e\n",
			want: []nameEntry{{"a", 1}, {"b", 1}, {"c", 1}, {"d", 3}, {"e", 3}}},
		{name: "quoted comma", data: "\"web, front\",x\n\"say \"\"hi\"\"\"\n",
			want: []nameEntry{{"web, front", 1}, {"x", 1}, {`say "hi"`, 2}}},
		{name: "quoted newline keeps line of cell start", data: "a\n\"b\nc\"\nd\n",
			want: []nameEntry{{"a", 1}, {"b\nc", 2}, {"d", 4}}},
		{name: "detected header", data: "Owner,VM Name\nops,vdi-0001\nops\nops, vdi-0002\n",
			want: []nameEntry{{"vdi-0001", 2}, {"vdi-0002", 4}}},
		{name: "detected vmname header any case", data: "VMNAME\nx\n", want: []nameEntry{{"x", 2}}},
		{name: "named column any case", data: "host,guest\nh1,g1\nh2,\"g2\"\n", column: "GUEST",
			want: []nameEntry{{"g1", 2}, {"g2", 3}}},
		{name: "duplicates", data: "a\nb\na\nb\na\n",
			want: []nameEntry{{"a", 1}, {"b", 2}},
			dups: []duplicateName{{"a", []int{1, 3, 5}}, {"b", []int{2, 4}}}},
		{name: "empty", data: "", err: "f.csv:1: no VM names: the file is empty"},
		{name: "only bom and comments", data: "\uFEFF#x\n#y\n", err: "f.csv:1: no VM names: the file is empty"},
		{name: "unterminated quote", data: "a\n\"b\n", err: `f.csv:2: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "\"b"`},
		{name: "column missing", data: "a,b\n1,2\n", column: "c", err: `f.csv:1: no column "c" in the header; the columns are "a", "b"`},
		{name: "semicolon export with header", data: export, want: fromExport},
		{name: "semicolon export, named column", data: "Host;VM\nesx-01;vdi-0011\nesx-02;vdi-0012\n", column: "vm",
			want: []nameEntry{{"vdi-0011", 2}, {"vdi-0012", 3}}},
		{name: "semicolon without header: every cell", data: "vdi-0011;vdi-0012\nvdi-0013;vdi-0014\n",
			want: []nameEntry{{"vdi-0011", 1}, {"vdi-0012", 1}, {"vdi-0013", 2}, {"vdi-0014", 2}}},
		{name: "semicolon export without header: every cell", data: "vdi-0011;Powered On;esx-01\nvdi-0012;Suspended;esx-02\n",
			want: []nameEntry{{"vdi-0011", 1}, {"Powered On", 1}, {"esx-01", 1}, {"vdi-0012", 2}, {"Suspended", 2}, {"esx-02", 2}}},
		{name: "tab separated", data: "VM Name\tOwner\nvdi-0011\tops\n\tnobody\nvdi-0012\t\n",
			want: []nameEntry{{"vdi-0011", 2}, {"vdi-0012", 4}}},
		{name: "utf-16 le bom", data: utf16File(export, false), want: fromExport},
		{name: "utf-16 be bom", data: utf16File(export, true), want: fromExport},
		{name: "utf-16 non-ascii names", data: utf16File("Name;Site\nvdi-Zürich-01;ZH\nvdi-東京-01;TYO\n", false),
			want: []nameEntry{{"vdi-Zürich-01", 2}, {"vdi-東京-01", 3}}},
		{name: "utf-8 bom semicolon", data: "\uFEFF" + export, want: fromExport},
		{name: "quoted separators in a semicolon file", data: "Name;Notes\n\"web;front\";\"a, b\"\n\"db,1\";x\n",
			want: []nameEntry{{"web;front", 2}, {"db,1", 3}}},
		{name: "quoted separators in a comma file", data: "Name,Notes\n\"web;front\",\"a, b\"\n\"db,1\",x\n",
			want: []nameEntry{{"web;front", 2}, {"db,1", 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, dups, err := readNames("f.csv", []byte(c.data), c.column)
			if c.err != "" {
				var fe *fileError
				if err == nil || !errors.As(err, &fe) || err.Error() != c.err {
					t.Fatalf("err = %v, want %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(c.dups, dups); diff != "" {
				t.Errorf("dups (-want +got):\n%s", diff)
			}
		})
	}
}

// checkLineRange checks that the diagnostic range of line of data lies within that line
// of the file's text (decoded, for a UTF-16 file).
func checkLineRange(t *testing.T, data []byte, line int) {
	t.Helper()
	src := newSrcLines("f.csv", data)
	checkRange(t, src, line, src.lineRange(line))
}

// checkErrRange checks that the range of fe's diagnostic lies within its line of data.
func checkErrRange(t *testing.T, data []byte, fe *fileError) {
	t.Helper()
	src := newSrcLines("f.csv", data)
	checkRange(t, src, fe.Line, *fe.diag("x", src).Subject)
}

// checkRange checks that r lies within line of src's text.
func checkRange(t *testing.T, src *srcLines, line int, r hcl.Range) {
	t.Helper()
	if r.Start.Line != line || r.End.Line != line || r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(src.data) ||
		bytes.ContainsAny(src.data[r.Start.Byte:r.End.Byte], "\n") {
		t.Fatalf("line %d: bad range %+v", line, r)
	}
}

func FuzzReadNames(f *testing.F) {
	f.Add([]byte("vdi-0001\r\nvdi-0002\n"), "")
	f.Add([]byte("\uFEFFVM Name,Owner\n\"a,b\",x\n# c\n"), "")
	f.Add([]byte("h,g\n1,2\n"), "g")
	f.Add([]byte(utf16File("Name;Power State\r\nvdi-0011;Powered On\r\n", false)), "")
	f.Fuzz(func(t *testing.T, data []byte, column string) {
		checkUTF16Same(t, data, func(data []byte) string {
			names, dups, err := readNames("f.csv", data, column)
			return fmt.Sprint(names, dups, err)
		})
		names, dups, err := readNames("f.csv", data, column)
		if err != nil {
			var fe *fileError
			if !errors.As(err, &fe) || fe.Line < 1 || !strings.HasPrefix(err.Error(), "f.csv:") {
				t.Fatalf("error without file and line: %v", err)
			}
			checkErrRange(t, data, fe)
			return
		}
		if len(names) == 0 {
			t.Fatal("no names and no error")
		}
		seen := map[string]bool{}
		last := 0
		for _, n := range names {
			if n.Name == "" || n.Name != strings.TrimSpace(n.Name) || seen[n.Name] || n.Line < last || n.Line < 1 ||
				!utf8.ValidString(n.Name) || strings.ContainsRune(n.Name, 0) || len(n.Name) > maxCellBytes {
				t.Fatalf("bad entry %+v after line %d (seen %v)", n, last, seen[n.Name])
			}
			seen[n.Name], last = true, n.Line
		}
		for _, d := range dups {
			if !seen[d.Name] || len(d.Lines) < 2 {
				t.Fatalf("bad duplicate %+v", d)
			}
			checkLineRange(t, data, d.Lines[1])
		}
	})
}

// TestCSVDiagnosticSnippets renders diagnostics about CSV files the way the CLI does
// (config.WriteDiagnostics over Config.Sources): each snippet must show the line the
// diagnostic names, which needs correct byte offsets in its range (BOM and CRLF included),
// whatever the file's separator and encoding (a UTF-16 file's source is its decoded text).
func TestCSVDiagnosticSnippets(t *testing.T) {
	files := map[string]string{ // "," stands for the separator
		"vms.csv":    "\uFEFFVM Name,Owner\r\nvdi-0001,ops\r\n# moved\r\nvdi-0002,ops\r\n vdi-0001 ,dup\r\n",
		"fields.csv": "\uFEFFField,Description\nVmName,name\nvmname,wrong case\n",
		"ips.csv":    "\uFEFFvmstore,ip,prefix\r\nvmstore-0,198.51.100.20,24\r\nvmstore-1,\"198.51.100.300\",24\r\n",
	}
	// Each diagnostic's range covers exactly the text it is about, on the line shown.
	wantText := map[string]string{
		"Duplicate VM name":    " vdi-0001 ,dup",
		"Invalid report field": "vmname,wrong case",
		"Invalid IP address":   `"198.51.100.300"`,
	}
	wantSnippets := []string{
		"  on vms.csv line 5:\n   5:  vdi-0001 ,dup\n",
		"  on fields.csv line 3:\n   3: vmname,wrong case\n",
		"  on ips.csv line 3:\n   3: vmstore-1,\"198.51.100.300\",24\n",
	}
	for _, tc := range []struct {
		name, sep string
		encode    func(string) string
	}{
		{"utf-8 comma", ",", func(s string) string { return s }},
		{"utf-8 semicolon", ";", func(s string) string { return s }},
		{"utf-16 le semicolon", ";", func(s string) string { return utf16File(strings.TrimPrefix(s, "\uFEFF"), false) }},
		{"utf-16 be tab", "\t", func(s string) string { return utf16File(strings.TrimPrefix(s, "\uFEFF"), true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			all := map[string]string{"job.hcl": jobSource(nil, `
  task "service_group_members" "s" {
    server        = server.tgc
    service_group = "VDI"
    csv           = "vms.csv"
  }
  task "vm_report" "r" {
    server = server.tgc
    fields = "fields.csv"
    output = "out.csv"
  }
  task "data_ip" "d" {
    fleet = fleet.lab
    csv   = "ips.csv"
  }`)}
			for k, v := range files {
				all[k] = tc.encode(strings.ReplaceAll(v, ",", tc.sep))
			}
			cfg, diags := loadDir(t, writeFiles(t, all), simEnviron(nil))
			if cfg == nil {
				t.Fatal("no config")
			}
			if len(diags) != len(wantText) {
				t.Fatalf("diagnostics:\n%s", strings.Join(diagLines(diags), "\n"))
			}
			for _, d := range diags {
				src := cfg.Sources[d.Subject.Filename]
				if src == nil {
					t.Fatalf("%s: no source for %q in Config.Sources", d.Summary, d.Subject.Filename)
				}
				want := strings.ReplaceAll(wantText[d.Summary], ",", tc.sep)
				if got := string(src[d.Subject.Start.Byte:d.Subject.End.Byte]); got != want {
					t.Errorf("%s: range covers %q, want %q", d.Summary, got, want)
				}
			}
			var out strings.Builder
			if err := config.WriteDiagnostics(&out, cfg.Sources, diags, false); err != nil {
				t.Fatal(err)
			}
			for _, want := range wantSnippets {
				if want = strings.ReplaceAll(want, ",", tc.sep); !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}

// TestReadNamesRejects refuses files that cannot be VM lists, naming the file, line and
// column, and checks that the diagnostic's range covers the offending bytes.
func TestReadNamesRejects(t *testing.T) {
	long := strings.Repeat("x", maxCellBytes+1)
	cases := []struct {
		name, data string
		err        string
		covers     string // text of the decoded file the diagnostic range covers
	}{
		{name: "latin-1", data: "vdi-0001\nvdi-caf\xe9,x\n",
			err:    "f.csv:2: the file is not UTF-8 (byte 0xE9 at column 8): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)",
			covers: "\xe9"},
		{name: "latin-1 after a bom and non-ascii", data: "\uFEFFNom;Hôte\r\nvdi-\xe9t\xe9;h\r\n",
			err:    "f.csv:2: the file is not UTF-8 (byte 0xE9 at column 5): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)",
			covers: "\xe9"},
		{name: "latin-1 column counts characters", data: "Hôte;caf\xe9\n",
			err:    "f.csv:1: the file is not UTF-8 (byte 0xE9 at column 9): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)",
			covers: "\xe9"},
		{name: "nul byte", data: "vdi-0001\nvdi\x00-0002\n",
			err:    "f.csv:2: NUL byte at column 4: the file is not text, or is UTF-16 without a byte order mark; save it as UTF-8 (Excel: CSV UTF-8)",
			covers: "\x00"},
		{name: "utf-16 without bom", data: "v\x00d\x00i\x00\n\x00",
			err:    "f.csv:1: NUL byte at column 2: the file is not text, or is UTF-16 without a byte order mark; save it as UTF-8 (Excel: CSV UTF-8)",
			covers: "\x00"},
		{name: "unpaired surrogate in utf-16", data: utf16File("vdi-0001\n", false) + "\x00\xd8\n\x00",
			err:    "f.csv:2: the file is not valid UTF-16 (an unpaired surrogate or a cut character at column 1): save it again as UTF-8 or UTF-16",
			covers: "\uFFFD"},
		{name: "cut last character in utf-16", data: utf16File("vdi-0001\nvdi", true) + "\x00",
			err:    "f.csv:2: the file is not valid UTF-16 (an unpaired surrogate or a cut character at column 4): save it again as UTF-8 or UTF-16",
			covers: "\uFFFD"},
		{name: "classic mac line ends", data: "vdi-0001\rvdi-0002\r",
			err:    "f.csv:1: carriage return without a line feed at column 9: save the file with LF or CRLF line ends",
			covers: "\r"},
		{name: "overlong cell", data: "Name;Notes\nvdi-0001;" + long + "\n",
			err:    fmt.Sprintf("f.csv:2: cell 2 holds %d bytes; a cell holds at most %d (is a quote left open?)", maxCellBytes+1, maxCellBytes),
			covers: long},
		{name: "overlong quoted cell across lines", data: "a\n\"b\n" + long + "\"\n",
			err:    fmt.Sprintf("f.csv:2: cell 1 holds %d bytes; a cell holds at most %d (is a quote left open?)", maxCellBytes+3, maxCellBytes),
			covers: "\"b"},
		{name: "malformed quote names the separator", data: "Name;Owner\n\"vdi-0001\"x;ops\n",
			err: `f.csv:2: malformed quote (a quoted cell must end with a quote followed by a semicolon or the line end) in "\"vdi-0001\"x;ops"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readNames("f.csv", []byte(c.data), "")
			var fe *fileError
			if err == nil || !errors.As(err, &fe) || err.Error() != c.err {
				t.Fatalf("err = %v\nwant  %s", err, c.err)
			}
			if c.covers == "" {
				return
			}
			src := newSrcLines("f.csv", []byte(c.data))
			r := fe.diag("Invalid VM list", src).Subject
			if got := string(src.data[r.Start.Byte:r.End.Byte]); got != c.covers {
				t.Errorf("range %v covers %q, want %q", r, got, c.covers)
			}
		})
	}
}
