package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func init() {
	register(command{name: "kinds", synopsis: "list the task kinds and their attributes", run: runKinds})
}

func runKinds(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("kinds", "[-json] [KIND]...")
	asJSON := fs.Bool("json", false, "write the list as JSON to stdout (docs/schemas/kinds.schema.json)")
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	list, err := kindList(fs.Args())
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(list)
		if err != nil {
			return fmt.Errorf("encode json output: %w", err)
		}
		_, err = c.stdout.Write(append(b, '\n'))
		return err
	}
	return writeKinds(c.stdout, list)
}

// kindList documents the registered kinds, or only those named.
func kindList(names []string) (*plan.KindList, error) {
	list := &plan.KindList{FormatVersion: plan.FormatVersion, Type: "kinds", Kinds: []plan.KindInfo{},
		TaskAttributes: config.TaskAttributes()}
	want := map[string]bool{}
	for _, n := range names {
		if _, ok := runner.LookupKind(n); !ok {
			return nil, fmt.Errorf("no task kind %q%s; known kinds: %s", n, decode.DidYouMean(n, runner.KindNames()),
				strings.Join(runner.KindNames(), ", "))
		}
		want[n] = true
	}
	for _, k := range runner.Kinds() {
		if len(want) == 0 || want[k.Name] {
			list.Kinds = append(list.Kinds, plan.KindInfo{Name: k.Name, Description: k.Doc, Attributes: k.Attributes()})
		}
	}
	return list, nil
}

// writeKinds prints each kind with a table of its attributes.
func writeKinds(w io.Writer, list *plan.KindList) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range list.Kinds {
		fmt.Fprintf(tw, "%s — %s\n", k.Name, k.Description)
		writeAttrs(tw, "", k.Attributes)
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "Every task also takes:")
	writeAttrs(tw, "", list.TaskAttributes)
	return tw.Flush()
}

func writeAttrs(w io.Writer, prefix string, attrs []decode.Attr) {
	for _, a := range attrs {
		req := "optional"
		if a.Required {
			req = "required"
		}
		extra := a.Constraint()
		if a.Default != "" {
			extra = strings.TrimSpace("default " + a.Default + "; " + extra)
			extra = strings.TrimSuffix(extra, ";")
		}
		if extra != "" {
			extra = " [" + extra + "]"
		}
		fmt.Fprintf(w, "  %s%s\t%s\t%s\t%s%s\n", prefix, a.Name, a.Type, req, a.Description, extra)
		if a.Block != nil {
			writeAttrs(w, prefix+a.Name+".", a.Block)
		}
	}
}
