package tasks

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
)

// dataIPGolden compares got with the golden file path, rewriting it under -update.
func dataIPGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// dataIPRowLines renders rows for golden files and comparisons.
func dataIPRowLines(rows []dataIPRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s:%d:%d ip@%d:%d vmstore %q: %s\n", filepath.Base(r.Range.Filename), r.Range.Start.Line,
			r.Range.Start.Column, r.IPRange.Start.Line, r.IPRange.Start.Column, r.VMstore, r)
	}
	return b.String()
}

func TestReadDataIPsValid(t *testing.T) {
	data, err := os.ReadFile("testdata/dataip/valid.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, diags := readDataIPs("testdata/dataip/valid.csv", data)
	if len(diags) != 0 {
		t.Fatalf("diagnostics: %s", strings.Join(diagLines(diags), "\n"))
	}
	dataIPGolden(t, "testdata/dataip/valid.golden", dataIPRowLines(rows))
	// Byte offsets count the BOM: the first row's vmstore starts where the text says.
	if got := string(data[rows[0].Range.Start.Byte : rows[0].Range.Start.Byte+len("vmstore-0")]); got != "vmstore-0" {
		t.Errorf("first row range starts at %q", got)
	}
}

// TestReadDataIPsInvalid reads testdata/dataip/invalid/*.csv: a "# ERROR: Summary" comment
// announces a diagnostic on the line after it.
func TestReadDataIPsInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/dataip/invalid/*.csv")
	if err != nil || len(files) < 8 {
		t.Fatalf("invalid inputs: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			sc := bufio.NewScanner(bytes.NewReader(data))
			for line := 1; sc.Scan(); line++ {
				if s, ok := strings.CutPrefix(sc.Text(), "# ERROR: "); ok {
					want = append(want, fmt.Sprintf("%s:%d: %s", filepath.Base(file), line+1, s))
				}
			}
			rows, diags := readDataIPs(file, data)
			if rows != nil {
				t.Errorf("rows returned with errors: %v", rows)
			}
			if diff := cmp.Diff(want, applianceSummaries(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s\nall: %s", diff, strings.Join(diagLines(diags), "\n"))
			}
		})
	}
}

// TestReadDataIPsDetails checks the text of diagnostics, among them those refusing files
// that are not UTF-8 text (naming file, line and column) and the cap on a file's problems.
func TestReadDataIPsDetails(t *testing.T) {
	header := "vmstore;ip;prefix;vlan_id\n"
	var many strings.Builder
	many.WriteString(header)
	for i := range 1000 {
		fmt.Fprintf(&many, "vmstore-0;198.51.%d.%d;24;5000\n", i/200, i%200+2)
	}
	var capped []string
	for i := range maxFileProblems {
		capped = append(capped, fmt.Sprintf(`x.csv:%d: Invalid VLAN ID: The VLAN ID is a number from 1 to 4094 or "untagged", not "5000".`, i+2))
	}
	capped = append(capped, fmt.Sprintf("x.csv:%d: More problems: 980 more problems in x.csv are not shown, the first of them here; the first %d are above.", maxFileProblems+2, maxFileProblems))
	for _, tc := range []struct {
		name, csv string
		want      []string
	}{
		{"empty", "", []string{`x.csv:1: Empty data IP file: The data IP file has no header line (vmstore,ip,prefix,gateway,vlan_id,jumbo_frames) and no rows.`}},
		{"comments only", "# nothing\n\n# here\n", []string{`x.csv:1: Empty data IP file: The data IP file has no header line (vmstore,ip,prefix,gateway,vlan_id,jumbo_frames) and no rows.`}},
		{"duplicate names first line", "vmstore,ip,prefix\na,198.51.100.20,24\nb,198.51.100.20,24\n",
			[]string{`x.csv:3: Duplicate data IP: 198.51.100.20 is already listed for vmstore "a" at x.csv:2; an address can be assigned once.`}},
		{"suggests column", "vmstore,ip,prefx\n",
			[]string{`x.csv:1: Unknown column: "prefx" is not a data IP column (did you mean "prefix"?).`}},
		{"non contiguous mask", "vmstore,ip,netmask\na,198.51.100.20,255.255.0.255\n",
			[]string{`x.csv:2: Invalid netmask: 255.255.0.255 is not a netmask: its one bits must be contiguous from the left.`}},
		{"gateway other family", "vmstore,ip,prefix,gateway\na,198.51.100.20,24,2001:db8::1\n",
			[]string{`x.csv:2: Gateway outside subnet: The gateway 2001:db8::1 must be an address of 198.51.100.0/24 other than 198.51.100.20 itself.`}},
		{"csv syntax names the line", "vmstore,ip,prefix\r\nvmstore-0,198.51.\"100.20,24\r\n",
			[]string{`x.csv:2: Invalid CSV: The data IP file cannot be read as CSV: quote inside an unquoted cell (quote the whole cell and write inner quotes as "") in "vmstore-0,198.51.\"100.20,24".`}},
		{"several errors in a row", "vmstore,ip,prefix,vlan_id,jumbo_frames\na,198.51.100.20,24,5000,si\n",
			[]string{
				`x.csv:2: Invalid VLAN ID: The VLAN ID is a number from 1 to 4094 or "untagged", not "5000".`,
				`x.csv:2: Invalid jumbo_frames value: jumbo_frames is true, false, yes or no, not "si".`,
			}},
		{"latin-1", header + "vmstore-\xe9;198.51.100.20;24;100\n",
			[]string{"x.csv:2: Invalid CSV: The data IP file cannot be read as CSV: the file is not UTF-8 (byte 0xE9 at column 9): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)."}},
		{"nul byte", header + "vmstore-0;198.51.100.20\x00;24;100\n",
			[]string{"x.csv:2: Invalid CSV: The data IP file cannot be read as CSV: NUL byte at column 24: the file is not text, or is UTF-16 without a byte order mark; save it as UTF-8 (Excel: CSV UTF-8)."}},
		{"overlong cell", header + "vmstore-0;198.51.100.20;24;" + strings.Repeat("1", maxCellBytes+1) + "\n",
			[]string{fmt.Sprintf("x.csv:2: Invalid CSV: The data IP file cannot be read as CSV: cell 4 holds %d bytes; a cell holds at most %d (is a quote left open?).", maxCellBytes+1, maxCellBytes)}},
		{"utf-16 errors keep their lines", utf16File(header+"vmstore-0;198.51.100.20;24;100\nvmstore-1;198.51.100.20;24;100\n", false),
			[]string{`x.csv:3: Duplicate data IP: 198.51.100.20 is already listed for vmstore "vmstore-0" at x.csv:2; an address can be assigned once.`}},
		{"1000 bad rows", many.String(), capped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := readDataIPs("x.csv", []byte(tc.csv))
			if diff := cmp.Diff(tc.want, diagLines(diags)); diff != "" {
				t.Errorf("diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadDataIPsColumnRanges(t *testing.T) {
	_, diags := readDataIPs("x.csv", []byte("vmstore,ip,prefix,vlan_id\r\nvmstore-0, 198.51.100.20 ,24,9999\r\n"))
	want := hcl.Range{Filename: "x.csv", Start: hcl.Pos{Line: 2, Column: 30, Byte: 56}, End: hcl.Pos{Line: 2, Column: 34, Byte: 60}}
	if len(diags) != 1 || *diags[0].Subject != want {
		t.Fatalf("diagnostics %s; want one at %v", strings.Join(diagLines(diags), "\n"), want)
	}
}

func FuzzReadDataIPs(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/dataip/*.csv")
	more, _ := filepath.Glob("testdata/dataip/invalid/*.csv")
	for _, p := range append(seeds, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("vmstore,ip,prefix\n\"a\nb\",198.51.100.1,24\n"))
	f.Add([]byte("\ufeff"))
	f.Add([]byte(utf16File("vmstore;ip;prefix\r\nvmstore-0;198.51.100.20;24\r\n", false)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkUTF16Same(t, data, func(data []byte) string {
			rows, diags := readDataIPs("f.csv", data)
			var subjects []hcl.Range
			for _, d := range diags {
				subjects = append(subjects, *d.Subject)
			}
			return fmt.Sprint(dataIPRowLines(rows), diagLines(diags), subjects)
		})
		rows, diags := readDataIPs("f.csv", data)
		if diags.HasErrors() {
			if rows != nil {
				t.Fatalf("rows with errors")
			}
			if len(diags) > maxFileProblems+1 {
				t.Fatalf("%d diagnostics", len(diags))
			}
			text, _ := decodeText(data)
			for _, d := range diags {
				if d.Subject == nil || d.Subject.Filename != "f.csv" || d.Subject.Start.Line < 1 ||
					d.Subject.Start.Byte < 0 || d.Subject.End.Byte > len(text) {
					t.Fatalf("bad subject %+v for %q", d.Subject, d.Summary)
				}
			}
			return
		}
		seen := map[string]bool{}
		for _, r := range rows {
			if r.VMstore == "" || !r.Addr.IsValid() || r.VLAN == "" {
				t.Fatalf("invalid row accepted: %+v", r)
			}
			if r.Gateway.IsValid() && (!r.Addr.Contains(r.Gateway) || r.Gateway == r.Addr.Addr()) {
				t.Fatalf("gateway outside subnet accepted: %+v", r)
			}
			if seen[r.Addr.Addr().String()] {
				t.Fatalf("duplicate accepted: %s", r.Addr)
			}
			seen[r.Addr.Addr().String()] = true
			// A row rendered back to fields parses to the same row.
			var fields [dataIPNumCols]string
			fields[dataIPColVMstore], fields[dataIPColIP] = r.VMstore, r.Addr.Addr().String()
			fields[dataIPColMask], fields[dataIPColVLAN] = fmt.Sprint(r.Addr.Bits()), r.VLAN
			if r.Gateway.IsValid() {
				fields[dataIPColGateway] = r.Gateway.String()
			}
			if r.Jumbo {
				fields[dataIPColJumbo] = "true"
			}
			back, errs := parseDataIPFields(fields)
			if len(errs) > 0 || !back.sameConfig(r) {
				t.Fatalf("row %+v does not round-trip: %+v %v", r, back, errs)
			}
		}
	})
}

// TestReadDataIPsHeaderVariants reads the same row under headers that differ in column
// order, case and netmask/prefix: every one maps to the same data IP.
func TestReadDataIPsHeaderVariants(t *testing.T) {
	want := []string{"vmstore-0 198.51.100.20/24 vlan 100 gateway 198.51.100.1 jumbo"}
	for _, csv := range []string{
		"vmstore,ip,prefix,gateway,vlan_id,jumbo_frames\nvmstore-0,198.51.100.20,24,198.51.100.1,100,yes\n",
		"Jumbo_Frames,VLAN_ID,Gateway,Netmask,IP,VMstore\nyes,100,198.51.100.1,255.255.255.0,198.51.100.20,vmstore-0\n",
		"ip,vmstore,netmask,jumbo_frames,vlan_id,gateway\n198.51.100.20,vmstore-0,/24,true,100,198.51.100.1\n",
	} {
		rows, diags := readDataIPs("x.csv", []byte(csv))
		if len(diags) != 0 {
			t.Fatalf("%q: %s", csv, strings.Join(diagLines(diags), "\n"))
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.VMstore+" "+r.String())
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", csv, diff)
		}
	}
}

// TestReadDataIPsFormats reads one data IP file as spreadsheets save it: separator and
// encoding are detected and ranges point into the decoded text.
func TestReadDataIPsFormats(t *testing.T) {
	file := "vmstore;ip;prefix;gateway;vlan_id;jumbo_frames\r\n# a comment; with, separators\r\n" +
		"vmstore-0;198.51.100.20;24;198.51.100.1;100;yes\r\n\"vmstore-1\";\"198.51.100.21\";\"/24\";;untagged;no\r\n"
	want := []string{
		`vmstore-0 198.51.100.20/24 vlan 100 gateway 198.51.100.1 jumbo (line 3 "vmstore-0;198.51.100.20;24;198.51.100.1;100;yes", ip "198.51.100.20")`,
		`vmstore-1 198.51.100.21/24 vlan untagged (line 4 "\"vmstore-1\";\"198.51.100.21\";\"/24\";;untagged;no", ip "\"198.51.100.21\"")`,
	}
	for _, tc := range []struct{ name, data, sep string }{
		{"semicolon", file, ";"},
		{"tab", strings.ReplaceAll(file, ";", "\t"), "\t"},
		{"semicolon lf", strings.ReplaceAll(file, "\r\n", "\n"), ";"},
		{"utf-8 bom semicolon", "\uFEFF" + file, ";"},
		{"utf-16 le bom", utf16File(file, false), ";"},
		{"utf-16 be bom", utf16File(file, true), ";"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, diags := readDataIPs("x.csv", []byte(tc.data))
			if len(diags) != 0 {
				t.Fatalf("diagnostics: %s", strings.Join(diagLines(diags), "\n"))
			}
			src := newSrcLines("x.csv", []byte(tc.data))
			var got []string
			for _, r := range rows {
				got = append(got, fmt.Sprintf("%s %s (line %d %q, ip %q)", r.VMstore, r, r.Range.Start.Line,
					strings.ReplaceAll(string(src.data[r.Range.Start.Byte:r.Range.End.Byte]), tc.sep, ";"),
					src.data[r.IPRange.Start.Byte:r.IPRange.End.Byte]))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}
