package tasks

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

func TestReadNames(t *testing.T) {
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

// checkLineRange checks that the diagnostic range of line of data lies within that line.
func checkLineRange(t *testing.T, data []byte, line int) {
	t.Helper()
	r := newSrcLines("f.csv", data).lineRange(line)
	if r.Start.Line != line || r.End.Line != line || r.Start.Byte < 0 || r.Start.Byte > r.End.Byte || r.End.Byte > len(data) ||
		bytes.ContainsAny(data[r.Start.Byte:r.End.Byte], "\n") {
		t.Fatalf("line %d: bad range %+v", line, r)
	}
}

func FuzzReadNames(f *testing.F) {
	f.Add([]byte("vdi-0001\r\nvdi-0002\n"), "")
	f.Add([]byte("\uFEFFVM Name,Owner\n\"a,b\",x\n# c\n"), "")
	f.Add([]byte("h,g\n1,2\n"), "g")
	f.Fuzz(func(t *testing.T, data []byte, column string) {
		names, dups, err := readNames("f.csv", data, column)
		if err != nil {
			var fe *fileError
			if !errors.As(err, &fe) || fe.Line < 1 || !strings.HasPrefix(err.Error(), "f.csv:") {
				t.Fatalf("error without file and line: %v", err)
			}
			checkLineRange(t, data, fe.Line)
			return
		}
		if len(names) == 0 {
			t.Fatal("no names and no error")
		}
		seen := map[string]bool{}
		last := 0
		for _, n := range names {
			if n.Name == "" || n.Name != strings.TrimSpace(n.Name) || seen[n.Name] || n.Line < last || n.Line < 1 {
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
// diagnostic names, which needs correct byte offsets in its range (BOM and CRLF included).
func TestCSVDiagnosticSnippets(t *testing.T) {
	files := map[string]string{
		"vms.csv":    "\uFEFFVM Name,Owner\r\nvdi-0001,ops\r\n# moved\r\nvdi-0002,ops\r\n vdi-0001 ,dup\r\n",
		"fields.csv": "\uFEFFField,Description\nVmName,name\nvmname,wrong case\n",
		"ips.csv":    "\uFEFFvmstore,ip,prefix\r\nvmstore-0,198.51.100.20,24\r\nvmstore-1,\"198.51.100.300\",24\r\n",
	}
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
		all[k] = v
	}
	cfg, diags := loadDir(t, writeFiles(t, all), simEnviron(nil))
	if cfg == nil {
		t.Fatal("no config")
	}
	// Each diagnostic's range covers exactly the text it is about.
	wantText := map[string]string{
		"Duplicate VM name":    " vdi-0001 ,dup",
		"Invalid report field": "vmname,wrong case",
		"Invalid IP address":   `"198.51.100.300"`,
	}
	if len(diags) != len(wantText) {
		t.Fatalf("diagnostics:\n%s", strings.Join(diagLines(diags), "\n"))
	}
	for _, d := range diags {
		src := cfg.Sources[d.Subject.Filename]
		if src == nil {
			t.Fatalf("%s: no source for %q in Config.Sources", d.Summary, d.Subject.Filename)
		}
		if got := string(src[d.Subject.Start.Byte:d.Subject.End.Byte]); got != wantText[d.Summary] {
			t.Errorf("%s: range covers %q, want %q", d.Summary, got, wantText[d.Summary])
		}
	}
	var out strings.Builder
	if err := config.WriteDiagnostics(&out, cfg.Sources, diags, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  on vms.csv line 5:\n   5:  vdi-0001 ,dup\n",
		"  on fields.csv line 3:\n   3: vmname,wrong case\n",
		"  on ips.csv line 3:\n   3: vmstore-1,\"198.51.100.300\",24\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
