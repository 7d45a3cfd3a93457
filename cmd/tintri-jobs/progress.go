package main

import (
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

// progressWidth is the number of cells of the progress bar.
const progressWidth = 30

// newProgress returns an Engine.OnChange hook that redraws a progress bar on w (a
// terminal) with "\r" after every applied change, and draws the empty bar at once:
//
//	Applying [#########---------------------] 45/147, 2 failed
//
// The hook is safe for concurrent use; the caller ends the line when the apply is done.
func newProgress(w io.Writer, total int) func(runner.AuditRecord) {
	var mu sync.Mutex
	done, failed := 0, 0
	draw := func() {
		filled := progressWidth
		if total > 0 {
			filled = min(done*progressWidth/total, progressWidth)
		}
		fails := ""
		if failed > 0 {
			fails = fmt.Sprintf(", %d failed", failed)
		}
		fmt.Fprintf(w, "\rApplying [%s%s] %d/%d%s", strings.Repeat("#", filled), strings.Repeat("-", progressWidth-filled), done, total, fails)
	}
	draw()
	return func(r runner.AuditRecord) {
		mu.Lock()
		defer mu.Unlock()
		done++
		if r.Result != runner.AuditOK {
			failed++
		}
		draw()
	}
}
