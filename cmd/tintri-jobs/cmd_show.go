package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/redact"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/show"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func init() {
	register(command{name: "show", synopsis: "show a saved plan (show PLANFILE) or an appliance's facts (show appliance_info -server URL|NAME)", run: runShow})
}

// Environment variables that give show the credentials of a server given by URL.
const (
	envUsername = "TINTRI_USERNAME"
	envPassword = "TINTRI_PASSWORD"
	envCAFile   = "TINTRI_CA_FILE"
)

// showables are the things show can show.
var showables = []string{"appliance_info"}

func runShow(ctx context.Context, c *cli, args []string) error {
	const synopsis = "PLANFILE [-json | -format text|json|markdown|html] [-detail] [-no-color]\n" +
		"       tintri-jobs show appliance_info -server URL|NAME [-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-timeout DURATION] [-attempts N] [-json | -format text|json]"
	fs := c.flagSet("show", synopsis)
	cf := addConfigFlags(fs)
	cf.limits = addRequestFlags(fs)
	server := fs.String("server", "", "show appliance_info: the `SERVER` to ask, a server block name from -config or https://host[:port] with credentials from "+
		envUsername+", "+envPassword+" and "+envCAFile)
	output := addFormatFlags(fs, fmt.Sprintf("show every detail line of each change in the text output (default: the first %d)", maxLines))
	// Flags may come before and after what to show.
	if err := parseFlags(fs, args, -1); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("show what? want a plan file (plan -out FILE) or one of: %s", strings.Join(showables, ", "))
	}
	what := fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:], 0); err != nil {
		return err
	}
	format, err := output.resolve()
	if err != nil {
		return err
	}
	if what != "appliance_info" {
		if *server != "" {
			return errors.New("-server is for show appliance_info, not for a plan file")
		}
		return c.showPlanFile(what, output)
	}
	if format != formatText && format != formatJSON {
		return fmt.Errorf("show appliance_info -format %s: want text or json", format)
	}
	if *server == "" {
		return errors.New("show appliance_info: -server is required")
	}
	log, err := c.logger()
	if err != nil {
		return err
	}
	client, err := c.showClient(cf, *server, log)
	if err != nil {
		return err
	}
	defer client.Close(context.WithoutCancel(ctx))
	facts, err := show.ApplianceFacts(ctx, client.ReadOnly())
	if err != nil {
		return err
	}
	if output.json {
		b, err := json.Marshal(facts)
		if err != nil {
			return fmt.Errorf("encode json output: %w", err)
		}
		_, err = c.stdout.Write(append(b, '\n'))
		return err
	}
	return show.WriteApplianceFacts(c.stdout, facts)
}

// showClient builds the client of -server: a server block of the configuration, or a URL
// with credentials from the environment.
func (c *cli) showClient(cf *configFlags, server string, log zerolog.Logger) (*tintri.Client, error) {
	var cfg tintri.Config
	if strings.Contains(server, "://") {
		if err := cf.limits.check(); err != nil {
			return nil, err
		}
		conn := config.Connection{Username: c.getenv(envUsername), Password: tintri.Secret(c.getenv(envPassword)),
			CAFile: c.getenv(envCAFile), Timeout: cf.limits.timeout, Attempts: cf.limits.attempts}
		if conn.Username == "" {
			return nil, fmt.Errorf("-server %s: set %s and %s to log in (and %s to trust its CA)", redact.URL(server), envUsername, envPassword, envCAFile)
		}
		cfg = conn.ClientConfig(server)
	} else {
		conf, err := c.loadConfig(cf)
		if err != nil {
			return nil, err
		}
		s, ok := conf.Servers[server]
		if !ok {
			names := make([]string, 0, len(conf.Servers))
			for n := range conf.Servers {
				names = append(names, n)
			}
			sort.Strings(names)
			return nil, fmt.Errorf("-server %q: no server block of that name (servers: %s); or give a URL https://host[:port]", server, strings.Join(names, ", "))
		}
		cfg = s.ClientConfig(s.URL)
	}
	cfg.Logger = log
	return tintri.New(cfg)
}
