package main

import (
	"testing"
)

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		out  string // String of the value; "" when Set fails
	}{
		{"0", 0, "0"},
		{"100MB", 100_000_000, "100MB"},
		{"100mb", 100_000_000, "100MB"},
		{"512KiB", 512 << 10, "512KiB"},
		{"1 GiB", 1 << 30, "1GiB"},
		{"1GB", 1_000_000_000, "1GB"},
		{"1500", 1500, "1500B"},
		{"2048B", 2048, "2KiB"},
		{"10XB", 0, ""},
		{"-1MB", 0, ""},
		{"1.5GB", 0, ""},
		{"MB", 0, ""},
		{"99999999999TB", 0, ""},
	}
	for _, tt := range tests {
		var b byteSize
		err := b.Set(tt.in)
		if (err == nil) != (tt.out != "") || (err == nil && (int64(b) != tt.want || b.String() != tt.out)) {
			t.Errorf("Set(%q): %d %q, %v; want %d %q", tt.in, int64(b), b.String(), err, tt.want, tt.out)
		}
	}
}

func TestAuditFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"apply", "-audit-max-size", "100", "saved.plan"}, "Error: -audit-max-size 100B: want 0 (never rotate) or at least 1KiB\n"},
		{[]string{"apply", "-audit-keep", "-1", "saved.plan"}, "Error: -audit-keep -1: want 0 (keep all) or more\n"},
		{[]string{"daemon", "-audit-max-size", "1023B"}, "Error: -audit-max-size 1023B: want 0 (never rotate) or at least 1KiB\n"},
		{[]string{"daemon", "-audit-max-size", "10XB"}, "Error: invalid value \"10XB\" for flag -audit-max-size: unit \"XB\": want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB\n"},
	}
	for _, tt := range tests {
		_, stderr, code := runInProcess(t, nil, "", false, tt.args...)
		if code != exitError || len(stderr) < len(tt.want) || stderr[:len(tt.want)] != tt.want {
			t.Errorf("%q: exit %d, stderr %q; want exit 1 and %q", tt.args, code, stderr, tt.want)
		}
	}
}
