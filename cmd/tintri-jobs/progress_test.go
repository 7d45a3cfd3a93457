package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

func TestProgress(t *testing.T) {
	var b bytes.Buffer
	hook := newProgress(&b, 3)
	hook(runner.AuditRecord{Result: runner.AuditOK})
	hook(runner.AuditRecord{Result: runner.AuditError, Error: "boom"})
	hook(runner.AuditRecord{Result: runner.AuditOK})
	want := []string{
		"",
		"Applying [------------------------------] 0/3",
		"Applying [##########--------------------] 1/3",
		"Applying [####################----------] 2/3, 1 failed",
		"Applying [##############################] 3/3, 1 failed",
	}
	if diff := cmp.Diff(want, strings.Split(b.String(), "\r")); diff != "" {
		t.Errorf("progress output (-want +got):\n%s", diff)
	}
}
