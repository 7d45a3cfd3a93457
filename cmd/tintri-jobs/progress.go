package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// progressWidth is the number of cells of the progress bar.
const progressWidth = 30

// progress is stderr on a terminal: it passes every write through and, while an apply
// runs, keeps a progress bar on the last line, redrawn with "\r" after every applied
// change:
//
//	Applying [#########---------------------] 45/147, 2 failed
//
// A log line written during the apply clears the bar, is printed whole, and the bar is
// drawn again below it, so logs and the bar never share a line. Safe for concurrent use.
type progress struct {
	mu                  sync.Mutex
	w                   io.Writer
	active              bool
	total, done, failed int
}

// newProgress returns a progress writer over w (a terminal).
func newProgress(w io.Writer) *progress { return &progress{w: w} }

// Write prints p above the progress bar, if one is shown.
func (p *progress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.active {
		return p.w.Write(b)
	}
	if _, err := io.WriteString(p.w, "\r\x1b[K"); err != nil {
		return 0, err
	}
	n, err := p.w.Write(b)
	p.draw()
	return n, err
}

// Start shows the empty bar for total changes.
func (p *progress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active, p.total, p.done, p.failed = true, total, 0, 0
	p.draw()
}

// OnChange is an Engine.OnChange hook: it counts the applied change and redraws the bar.
func (p *progress) OnChange(r plan.AuditRecord) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if r.Result != plan.AuditOK {
		p.failed++
	}
	if p.active {
		p.draw()
	}
}

// Finish ends the bar's line; later writes pass straight through.
func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active {
		_, _ = io.WriteString(p.w, "\n") // stderr of a terminal: nowhere else to report to
		p.active = false
	}
}

func (p *progress) draw() {
	filled := progressWidth
	if p.total > 0 {
		filled = min(p.done*progressWidth/p.total, progressWidth)
	}
	fails := ""
	if p.failed > 0 {
		fails = fmt.Sprintf(", %d failed", p.failed)
	}
	fmt.Fprintf(p.w, "\rApplying [%s%s] %d/%d%s", strings.Repeat("#", filled), strings.Repeat("-", progressWidth-filled), p.done, p.total, fails)
}
