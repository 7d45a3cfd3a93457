package tasks

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// TestReadFields reads report field files, also as spreadsheets save them (separator and
// encoding detected, problems keeping their lines, a file's problems capped).
func TestReadFields(t *testing.T) {
	template := "Field;Description\r\n# Identity\r\nVmName;VM name, as shown\r\nUuid;\r\nTotalIops;Total IOPS\r\n"
	fromTemplate := []fieldEntry{{"VmName", "VM name, as shown", 3}, {"Uuid", "", 4}, {"TotalIops", "Total IOPS", 5}}
	var many strings.Builder
	for i := range maxFileProblems + 5 {
		fmt.Fprintf(&many, "Bogus%d;x\n", i)
	}
	var capped []string
	for i := range maxFileProblems {
		capped = append(capped, fmt.Sprintf(`f.csv:%d: unknown report field "Bogus%d"`, i+1, i))
	}
	capped = append(capped, fmt.Sprintf("f.csv:%d: 5 more problems from this line on are not shown; the first %d are above", maxFileProblems+1, maxFileProblems))
	cases := []struct {
		name, data string
		want       []fieldEntry
		errs       []string
	}{
		{name: "template", data: "\uFEFFField,Description\r\n# Identity\r\nVmName,VM name\r\nUuid\r\n\r\n#ReadIops,commented out\r\nTotalIops , Total IOPS\r\n",
			want: []fieldEntry{{"VmName", "VM name", 3}, {"Uuid", "", 4}, {"TotalIops", "Total IOPS", 7}}},
		{name: "no header", data: "VMstoreName\nhasVMwareSnapshots\n",
			want: []fieldEntry{{"VMstoreName", "", 1}, {"hasVMwareSnapshots", "", 2}}},
		{name: "statistics", data: "VmName\nlatencyTotalMs,Latency (ms)\nLatencyTotalMs\nspaceUsedGb\n",
			want: []fieldEntry{{"VmName", "", 1}, {"latencyTotalMs", "Latency (ms)", 2}},
			errs: []string{
				`f.csv:3: unknown report field "LatencyTotalMs" (did you mean "latencyTotalMs"? field names are case-sensitive)`,
				`f.csv:4: unknown report field "spaceUsedGb" (did you mean "spaceUsedGiB", "SpaceUsed", "SpaceUsedLive"?)`,
			}},
		{name: "problems", data: "attribute\nVmName\nvmname\nTotalIop\nVmName,again\n,desc only\nBogusThing\n",
			want: []fieldEntry{{"VmName", "", 2}},
			errs: []string{
				`f.csv:3: unknown report field "vmname" (did you mean "VmName"? field names are case-sensitive)`,
				`f.csv:4: unknown report field "TotalIop" (did you mean "TotalIops", "TotalMBps", "normalizedTotalIops"?)`,
				`f.csv:5: field "VmName" is already listed on line 2`,
				`f.csv:6: empty field name`,
				`f.csv:7: unknown report field "BogusThing"`,
			}},
		{name: "header only", data: "Fields\n# none\n", errs: []string{"f.csv:1: no report fields: the file lists none"}},
		{name: "malformed", data: "VmName\n\"Uuid\n", errs: []string{`f.csv:2: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "\"Uuid"`}},
		{name: "semicolon template", data: template, want: fromTemplate},
		{name: "semicolon without header", data: "VmName;name\nUuid;id\n", want: []fieldEntry{{"VmName", "name", 1}, {"Uuid", "id", 2}}},
		{name: "tab template", data: strings.ReplaceAll(template, ";", "\t"), want: fromTemplate},
		{name: "utf-16 le template", data: utf16File(template, false), want: fromTemplate},
		{name: "utf-16 be template", data: utf16File(template, true), want: fromTemplate},
		{name: "utf-8 bom semicolon template", data: "\uFEFF" + template, want: fromTemplate},
		{name: "utf-16 problems keep their lines", data: utf16File("Field;Description\nVmName;x\nvmname;y\n", false),
			want: []fieldEntry{{"VmName", "x", 2}},
			errs: []string{`f.csv:3: unknown report field "vmname" (did you mean "VmName"? field names are case-sensitive)`}},
		{name: "latin-1", data: "Field;Description\nVmName;caf\xe9\n",
			errs: []string{"f.csv:2: the file is not UTF-8 (byte 0xE9 at column 11): save it as UTF-8 or UTF-16 (Excel: CSV UTF-8)"}},
		{name: "nul byte", data: "VmName\nUu\x00id\n",
			errs: []string{"f.csv:2: NUL byte at column 3: the file is not text, or is UTF-16 without a byte order mark; save it as UTF-8 (Excel: CSV UTF-8)"}},
		{name: "problems capped", data: many.String(), errs: capped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, errs := readFields("f.csv", []byte(c.data))
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if diff := cmp.Diff(c.errs, msgs); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if len(errs) == 0 || c.want != nil {
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func FuzzReadFields(f *testing.F) {
	f.Add([]byte("Field,Description\nVmName,name\n# x\nUuid\n"))
	f.Add([]byte("\uFEFFTotalIops\r\nvmname\r\n"))
	f.Add([]byte(utf16File("Field;Description\r\nVmName;name\r\n", true)))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkUTF16Same(t, data, func(data []byte) string {
			fields, errs := readFields("f.csv", data)
			return fmt.Sprint(fields, errs)
		})
		fields, errs := readFields("f.csv", data)
		for _, e := range errs {
			if e.Line < 1 || !strings.HasPrefix(e.Error(), "f.csv:") {
				t.Fatalf("error without file and line: %v", e)
			}
			checkErrRange(t, data, e)
		}
		if len(errs) == 0 && len(fields) == 0 {
			t.Fatal("no fields and no error")
		}
		seen := map[string]bool{}
		for _, fe := range fields {
			if !slices.Contains(tintri.VMReportAttributes, fe.Name) || seen[fe.Name] || fe.Line < 1 {
				t.Fatalf("bad field %+v", fe)
			}
			seen[fe.Name] = true
		}
	})
}
