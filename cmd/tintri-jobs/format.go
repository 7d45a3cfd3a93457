package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Output formats of plan, apply and show PLANFILE (-format; -json is -format json).
const (
	formatText     = "text"
	formatJSON     = "json"
	formatMarkdown = "markdown"
	formatHTML     = "html"
)

var formats = []string{formatText, formatJSON, formatMarkdown, formatHTML}

// formatFlags are -json and -format.
type formatFlags struct {
	json   bool
	format string
	detail bool
}

// addFormatFlags adds -json, -format and -detail (whose usage is detailUsage) to fs.
func addFormatFlags(fs *flag.FlagSet, detailUsage string) *formatFlags {
	ff := &formatFlags{}
	fs.BoolVar(&ff.json, "json", false, "write machine-readable JSON to stdout (see docs/json.md); the same as -format json")
	fs.StringVar(&ff.format, "format", formatText, "output `FORMAT` on stdout: text, json, markdown (a pull-request or chat comment) or html (one self-contained page)")
	fs.BoolVar(&ff.detail, "detail", false, detailUsage)
	return ff
}

// resolve checks the flags and returns the format they ask for, setting format and json
// to it (lower case; json exactly when the format is json).
func (ff *formatFlags) resolve() (string, error) {
	f := strings.ToLower(ff.format)
	switch {
	case !slices.Contains(formats, f):
		return "", fmt.Errorf("-format %q: want one of %s", ff.format, strings.Join(formats, ", "))
	case ff.json && f != formatText && f != formatJSON:
		return "", fmt.Errorf("-json and -format %s: give one of them", f)
	case ff.json:
		f = formatJSON
	}
	ff.format, ff.json = f, f == formatJSON
	return f, nil
}

// view renders plans and apply results in one of the formats.
type view interface {
	Plan(p *plan.Plan) error
	Result(r *plan.Result) error
	// Finish writes what the view holds back: a page format in apply writes one page for
	// the plan and its result, or for the plan alone when no result came.
	Finish() error
}

// viewOptions say how a view renders.
type viewOptions struct {
	format string // one of formats
	detail bool   // text: every detail line
	color  bool   // text: ANSI colours
	// apply: a page format holds the plan back until the result, for one page of both.
	apply bool
}

// newView returns the view of the format.
func newView(w io.Writer, o viewOptions) view {
	switch o.format {
	case formatJSON:
		return jsonView{w: w}
	case formatMarkdown:
		return &pageView{w: w, apply: o.apply, render: renderMarkdown}
	case formatHTML:
		return &pageView{w: w, apply: o.apply, render: renderHTML}
	}
	return humanView{w: w, detail: o.detail, pal: palette{on: o.color}}
}

// pageView writes a plan, or an apply's plan and result, as one page.
type pageView struct {
	w      io.Writer
	apply  bool
	render func(w io.Writer, m *pageModel) error
	p      *plan.Plan
	done   bool
}

func (v *pageView) Plan(p *plan.Plan) error {
	if v.apply {
		v.p = p
		return nil
	}
	v.done = true
	return v.render(v.w, newPlanPage(p))
}

func (v *pageView) Result(r *plan.Result) error {
	v.done = true
	return v.render(v.w, newResultPage(v.p, r))
}

func (v *pageView) Finish() error {
	if v.done || v.p == nil {
		return nil
	}
	v.done = true
	return v.render(v.w, newPlanPage(v.p))
}

// errPageNeedsApproval refuses a page format in an apply that would ask for approval:
// the page is written once the apply is over.
var errPageNeedsApproval = errors.New("apply -format markdown|html writes one page after the apply and cannot ask for approval first: " +
	"review the plan (plan -out FILE, then show FILE) and apply with -auto-approve")
