package chatops

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/show"
)

// showables are what show shows.
var showables = []string{"appliance_info", "fleet", "vm"}

// historyRuns is how many runs history lists.
const historyRuns = 10

func (b *Bot) show(ctx context.Context, req request, args []string) error {
	if len(args) != 2 {
		return errors.New("usage: `show appliance_info <name>`, `show fleet <fleet>` or `show vm <name>`")
	}
	cfg := b.opts.Config()
	clients := runner.NewClients(cfg.Config, b.opts.Log, b.opts.Observer)
	defer clients.Close(context.WithoutCancel(ctx))
	what, name := strings.ToLower(args[0]), args[1]
	var buf bytes.Buffer
	switch what {
	case "appliance_info":
		key, err := show.Resolve(ctx, cfg.Config, clients, name)
		if err != nil {
			return err
		}
		c, err := clients.Client(ctx, key)
		if err != nil {
			return err
		}
		facts, err := show.ApplianceFacts(ctx, c.ReadOnly())
		if err != nil {
			return err
		}
		if err := show.WriteApplianceFacts(&buf, facts); err != nil {
			return err
		}
	case "fleet":
		if _, ok := cfg.Fleets[name]; !ok {
			return errors.New(unknown(name, cfg.FleetNames(), "fleet"))
		}
		rows, err := show.Fleet(ctx, clients, name)
		if err != nil {
			return err
		}
		if err := show.WriteFleet(&buf, rows); err != nil {
			return err
		}
	case "vm":
		rows, more, err := show.VMs(ctx, cfg.Config, clients, name)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return fmt.Errorf("no VM is named %q or has it in its name", name)
		}
		if err := show.WriteVMs(&buf, rows, more); err != nil {
			return err
		}
	default:
		return errors.New(unknown(what, showables, "thing to show"))
	}
	b.table(ctx, req, fmt.Sprintf("*%s %s*", what, name), buf.String(), what+"-"+name+".txt")
	return nil
}

func (b *Bot) plan(ctx context.Context, req request, args []string) error {
	if len(args) > 1 {
		return errors.New("usage: `plan [job]`")
	}
	eng := b.newEngine()
	p, err := eng.Plan(ctx, engine.Selection{Jobs: args})
	if err != nil {
		return err
	}
	heading := "*Plan*: " + summary(p)
	if len(args) == 1 {
		heading = "*Plan of job `" + args[0] + "`*: " + summary(p)
	}
	b.table(ctx, req, heading, render(p), "plan.txt")
	return nil
}

func (b *Bot) history(ctx context.Context, req request, args []string) error {
	cfg := b.opts.Config()
	if len(args) != 1 {
		return errors.New("usage: `history <job>`")
	}
	if cfg.Job(args[0]) == nil {
		var names []string
		for _, j := range cfg.Jobs {
			names = append(names, j.Name)
		}
		return errors.New(unknown(args[0], names, "job"))
	}
	runs := b.opts.History(args[0], historyRuns)
	if len(runs) == 0 {
		b.say(ctx, req, "Job `"+args[0]+"` has no daemon run yet.")
		return nil
	}
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	fmt.Fprint(tw, "START (UTC)\tTRIGGER\tRESULT\tCHANGED\tUNCHANGED\tFAILED\tPENDING\tERROR\n")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\n", r.Start.UTC().Format("2006-01-02 15:04:05"), r.Trigger, r.Result,
			r.Changed, r.Unchanged, r.Failed, r.Pending, shorten(r.Error, 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.table(ctx, req, fmt.Sprintf("*History of job `%s`* (newest first)", args[0]), buf.String(), "history-"+args[0]+".txt")
	return nil
}

// shorten cuts s to n characters.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
