// Package plan holds the values a plan and an apply produce and every JSON document
// tintri-jobs writes: the plan (shown by `plan -json` and saved by `plan -out`, the same
// document), the apply result (`apply -json`), the audit record (a line of audit.jsonl),
// the drift summary (the daemon's notifications) and the run record (a line of
// history.jsonl). They are plain data, free of secrets, with no behaviour beyond counting.
//
// # Format versions
//
// Every document carries "format_version": FormatVersion, a string. Adding a field keeps
// the version; renaming or removing a field, or changing its meaning, bumps it. A reader
// accepts documents of its own version, and lines of older files written before the field
// existed. Arrays are always present ([] rather than null) in the stdout documents.
package plan
