package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/rs/zerolog"

	"github.com/tintri-jobs/tintri-jobs/internal/redact"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

func init() {
	register(command{name: "show", synopsis: "show an appliance's facts: show appliance_info -server URL|NAME", run: runShow})
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
	const synopsis = "appliance_info -server URL|NAME [-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-timeout DURATION] [-attempts N] [-json]"
	fs := c.flagSet("show", synopsis)
	cf := addConfigFlags(fs)
	cf.limits = addRequestFlags(fs)
	server := fs.String("server", "", "the `SERVER` to ask: a server block name from -config, or https://host[:port] with credentials from "+envUsername+", "+envPassword+" and "+envCAFile)
	asJSON := fs.Bool("json", false, "write JSON to stdout")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := parseFlags(fs, args, 0); err != nil {
			return err
		}
		return fmt.Errorf("show what? want one of: %s", strings.Join(showables, ", "))
	}
	what := args[0]
	if what != "appliance_info" {
		return fmt.Errorf("cannot show %q: want one of: %s", what, strings.Join(showables, ", "))
	}
	if err := parseFlags(fs, args[1:], 0); err != nil {
		return err
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
	facts, err := readApplianceFacts(ctx, client.ReadOnly())
	if err != nil {
		return err
	}
	if *asJSON {
		b, err := json.Marshal(facts)
		if err != nil {
			return fmt.Errorf("encode json output: %w", err)
		}
		_, err = c.stdout.Write(append(b, '\n'))
		return err
	}
	return writeApplianceFacts(c.stdout, facts)
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

func readApplianceFacts(ctx context.Context, c *tintri.Reader) (*plan.ApplianceFacts, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return nil, err
	}
	f := plan.NewApplianceFacts(c.URL(), info)
	if info.ProductName != tintri.ProductVMstore {
		// A TGC answers /api/info only: the appliance resources are the VMstores'.
		return f, nil
	}
	if f.Info, err = c.ApplianceInfo(ctx); err != nil {
		return nil, fmt.Errorf("%s: appliance info: %w", c.Host(), err)
	}
	a, err := c.Appliance(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: appliance: %w", c.Host(), err)
	}
	f.Components = plan.NonNil(a.Components)
	failed, err := c.ApplianceFailedComponents(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: failed components: %w", c.Host(), err)
	}
	f.FailedComponents = plan.NonNil(failed.FailedComponents)
	ips, err := c.ApplianceIPs(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: ips: %w", c.Host(), err)
	}
	f.IPs = plan.NonNil(ips)
	return f, nil
}

// writeApplianceFacts prints f for a person.
func writeApplianceFacts(w io.Writer, f *plan.ApplianceFacts) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Server:\t%s\n", f.Server)
	fmt.Fprintf(tw, "Product:\t%s\n", f.Product)
	fmt.Fprintf(tw, "API version:\t%s (supported: %s)\n", f.APIVersion, strings.Join(f.SupportedVersions, ", "))
	if f.Info != nil {
		fmt.Fprintf(tw, "Model:\t%s\n", f.Info.ModelName)
		fmt.Fprintf(tw, "OS version:\t%s\n", f.Info.OsVersion)
		fmt.Fprintf(tw, "Serial number:\t%s\n", f.Info.SerialNumber)
		flash := "hybrid"
		if f.Info.IsAllFlash {
			flash = "all-flash"
		}
		fmt.Fprintf(tw, "Capacity:\t%.1f GiB, %s\n", f.Info.CurrentCapacityGiB, flash)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if f.Info == nil {
		_, err := fmt.Fprint(w, "\nModel, components and IPs are shown for VMstores only.\n")
		return err
	}
	fmt.Fprintf(w, "\nComponents (%d):\n", len(f.Components))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range f.Components {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Type, c.Locator, c.Status, c.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(f.FailedComponents) == 0 {
		fmt.Fprint(w, "\nFailed components: none\n")
	} else {
		fmt.Fprintf(w, "\nFailed components (%d):\n", len(f.FailedComponents))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range f.FailedComponents {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.ComponentType, c.SerialNumber, c.Description)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nIPs (%d):\n", len(f.IPs))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, ip := range f.IPs {
		addr := ip.IP
		if ip.IPCidr != "" {
			addr = ip.IPCidr
		} else if ip.Netmask != "" {
			addr += "/" + ip.Netmask
		}
		extra := ""
		if ip.Gateway != "" {
			extra += " gateway " + ip.Gateway
		}
		if ip.VlanID != "" {
			extra += " vlan " + ip.VlanID
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", ip.ServiceType, addr, strings.TrimSpace(extra))
	}
	return tw.Flush()
}
