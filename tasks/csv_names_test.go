package tasks

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		}
	})
}
