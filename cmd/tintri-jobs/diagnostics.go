package main

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Under -log-format json nothing on stderr is plain text: the diagnostics of the job
// files and the final error are JSON log lines too, like every other log line. The other
// formats (console, and auto, which is JSON for logs only when stderr is not a terminal)
// print them as text for people, diagnostics with source snippets.

// jsonStderr reports whether stderr carries JSON lines only.
func (c *cli) jsonStderr() bool { return c.logFormat == "json" }

// stderrLog is a JSON logger on stderr that writes whatever the -log-level: diagnostics
// and errors are never filtered out.
func (c *cli) stderrLog() zerolog.Logger {
	return zerolog.New(c.stderr).With().Timestamp().Logger()
}

// writeDiagnostics prints diags on stderr: as JSON log lines (level warn or error, the
// message the summary, and the fields of a plan.Diagnostic) under -log-format json, else
// as text with snippets of sources.
func (c *cli) writeDiagnostics(sources map[string][]byte, diags hcl.Diagnostics) error {
	if !c.jsonStderr() {
		if err := config.WriteDiagnostics(c.stderr, sources, diags, c.colorOn(c.stderrTerminal)); err != nil {
			return fmt.Errorf("print diagnostics: %w", err)
		}
		return nil
	}
	log := c.stderrLog()
	for _, d := range engine.Diagnostics(diags) {
		ev := log.Warn()
		if d.Severity == plan.SeverityError {
			ev = log.Error()
		}
		ev = ev.Str("severity", d.Severity).Str("code", d.Code).Str("summary", d.Summary).Str("detail", d.Detail)
		if d.File != "" {
			ev = ev.Str("file", d.File).Int("line", d.Line).Int("column", d.Column).Int("end_line", d.EndLine).Int("end_column", d.EndColumn)
		}
		ev.Msg(d.Summary)
	}
	return nil
}

// printError prints the error that ends a command: "Error: …", or a JSON log line of
// level error under -log-format json.
func (c *cli) printError(err error) {
	if c.jsonStderr() {
		log := c.stderrLog()
		log.Error().Msg(err.Error())
		return
	}
	fmt.Fprintf(c.stderr, "Error: %v\n", err)
}
