package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/daemon"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func init() {
	register(command{name: "history", synopsis: "show recent daemon runs from the state directory", run: runHistory})
}

func runHistory(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("history", "[-state-dir DIR] [-job NAME] [-json] [-limit N]")
	stateDir := fs.String("state-dir", engine.DefaultStateDir, "the daemon's state directory `DIR`")
	job := fs.String("job", "", "only the runs of the job `NAME`")
	asJSON := fs.Bool("json", false, "write the runs as a JSON array (newest first) to stdout")
	limit := fs.Int("limit", 20, "at most `N` runs, newest first (0: all)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *limit < 0 {
		return fmt.Errorf("-limit %d: want 0 or more", *limit)
	}
	path := filepath.Join(*stateDir, daemon.HistoryFile)
	recs, err := daemon.ReadHistory(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no daemon history in %s (%s not found)", *stateDir, daemon.HistoryFile)
	}
	if err != nil {
		return err
	}
	runs := daemon.RecentRuns(recs, *job, *limit)
	if *asJSON {
		if runs == nil {
			runs = []plan.RunRecord{}
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(runs)
	}
	if len(runs) == 0 {
		fmt.Fprintln(c.stdout, "No runs recorded.")
		return nil
	}
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "START\tJOB\tTRIGGER\tRESULT\tDURATION\tCHANGED\tUNCHANGED\tFAILED\tPENDING\tRUN ID\tERROR")
	for _, r := range runs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n",
			r.Start.Local().Format("2006-01-02 15:04:05"), r.Job, r.Trigger, r.Result,
			r.Duration().Round(time.Millisecond), r.Changed, r.Unchanged, r.Failed, historyPending(r), r.ID, r.Error)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	// tabwriter pads the column before an empty ERROR cell; drop that trailing padding.
	for line := range strings.Lines(buf.String()) {
		if _, err := io.WriteString(c.stdout, strings.TrimRight(line, " \n")+"\n"); err != nil {
			return err
		}
	}
	return nil
}

// historyPending shows a run's pending changes, which only plan-mode runs count.
func historyPending(r plan.RunRecord) string {
	if r.Pending == 0 && r.Result != plan.ResultDrift {
		return "-"
	}
	return strconv.Itoa(r.Pending)
}
