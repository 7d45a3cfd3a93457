package main

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// htmlPage is the template of the HTML view: one self-contained page (its style and
// script inline, nothing loaded from elsewhere) with the summary table, the warnings and
// failures, and every change in a table per task that the filters (server, action and,
// for a result, outcome) narrow down.
//
//go:embed view_html.tmpl
var htmlPage string

var htmlTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"categories": func() []string { return []string{"add", "change", "remove", "run"} },
	"outcomes": func() []string {
		return []string{plan.OutcomeApplied, plan.OutcomeUnchanged, plan.OutcomeStale, plan.OutcomeFailed, plan.OutcomeUnknown, plan.OutcomeSkipped}
	},
	"where": where,
}).Parse(htmlPage))

// renderHTML writes m as one HTML page.
func renderHTML(w io.Writer, m *pageModel) error {
	if err := htmlTemplate.Execute(w, m); err != nil {
		return fmt.Errorf("write html: %w", err)
	}
	return nil
}
