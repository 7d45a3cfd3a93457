package tasks

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func TestReadFields(t *testing.T) {
	cases := []struct {
		name, data string
		want       []fieldEntry
		errs       []string
	}{
		{name: "template", data: "\uFEFFField,Description\r\n# Identity\r\nVmName,VM name\r\nUuid\r\n\r\n#ReadIops,commented out\r\nTotalIops , Total IOPS\r\n",
			want: []fieldEntry{{"VmName", 3}, {"Uuid", 4}, {"TotalIops", 7}}},
		{name: "no header", data: "VMstoreName\nhasVMwareSnapshots\n",
			want: []fieldEntry{{"VMstoreName", 1}, {"hasVMwareSnapshots", 2}}},
		{name: "problems", data: "attribute\nVmName\nvmname\nTotalIop\nVmName,again\n,desc only\nBogusThing\n",
			want: []fieldEntry{{"VmName", 2}},
			errs: []string{
				`f.csv:3: unknown report field "vmname" (did you mean "VmName"? field names are case-sensitive)`,
				`f.csv:4: unknown report field "TotalIop" (did you mean "TotalIops", "TotalMBps"?)`,
				`f.csv:5: field "VmName" is already listed on line 2`,
				`f.csv:6: empty field name`,
				`f.csv:7: unknown report field "BogusThing"`,
			}},
		{name: "header only", data: "Fields\n# none\n", errs: []string{"f.csv:1: no report fields: the file lists none"}},
		{name: "malformed", data: "VmName\n\"Uuid\n", errs: []string{`f.csv:2: malformed quote (a quoted cell must end with a quote followed by a comma or the line end) in "\"Uuid"`}},
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
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, errs := readFields("f.csv", data)
		for _, e := range errs {
			if e.Line < 1 || !strings.HasPrefix(e.Error(), "f.csv:") {
				t.Fatalf("error without file and line: %v", e)
			}
			checkLineRange(t, data, e.Line)
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
