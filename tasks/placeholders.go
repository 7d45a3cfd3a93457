package tasks

import (
	"regexp"
	"time"
)

// The clock placeholders of the names and paths kinds make (vm_report's output,
// vm_snapshot's snapshot name): filled from the run's clock in UTC, so that a plan and
// its apply, and every server, agree.

// placeholderRE finds {word} placeholders in a template.
var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// clockPlaceholder is one placeholder filled from the clock: its time layout and a regular
// expression matching every text it is filled with.
type clockPlaceholder struct {
	name, layout, pattern string
}

// clockPlaceholders are {date} (2026-11-26), {time} (174501, HHMMSS) and {datetime}
// (20261126T174501Z).
var clockPlaceholders = []clockPlaceholder{
	{"{date}", "2006-01-02", `[0-9]{4}-[0-9]{2}-[0-9]{2}`},
	{"{time}", "150405", `[0-9]{6}`},
	{"{datetime}", "20060102T150405Z", `[0-9]{8}T[0-9]{6}Z`},
}

// clockReplacements are the old, new pairs (for strings.NewReplacer) that fill the clock
// placeholders with now in UTC.
func clockReplacements(now time.Time) []string {
	now = now.UTC()
	out := make([]string, 0, 2*len(clockPlaceholders))
	for _, p := range clockPlaceholders {
		out = append(out, p.name, now.Format(p.layout))
	}
	return out
}
