package tasks

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Plumbing of the kinds that work through a TGC (service_group_members, service_group_qos,
// vm_affinity, vm_report, vm_snapshot): the server attribute, the client check, service-group lookup,
// and the VM and VMstore listings they resolve names with.

// tgcBody is the attribute naming the TGC a kind works through; kinds embed it.
type tgcBody struct {
	Server hcl.Expression `hcl:"server" type:"server reference (tgc)" doc:"The TGC to work through, as a server block of kind tgc: server.<name>."`
}

// server resolves the server attribute to the name of a server block of kind tgc ("" when
// the diagnostics say why there is none).
func (b tgcBody) server(dc *runner.DecodeContext) (string, hcl.Diagnostics) {
	return dc.ServerRef(b.Server, config.KindTGC)
}

// serviceGroupBody is the attributes of a kind that manages one TGC service group.
type serviceGroupBody struct {
	tgcBody
	ServiceGroup string `hcl:"service_group" nonempty:"true" doc:"The service group, by its exact name on the TGC; a missing group fails the plan with the closest names."`
}

// tgcAPI is what both client views (*tintri.Reader for plans, *tintri.Client for applies)
// offer to check that a server is a TGC.
type tgcAPI interface {
	RequireTGC(ctx context.Context) error
}

// tgcClient returns the client of a TGC server block after checking it is a TGC. client is
// the environment's Client method: a PlanEnv's gives a reader, an ApplyEnv's a writer.
func tgcClient[C tgcAPI](ctx context.Context, client func(context.Context, string) (C, error), server string) (C, error) {
	c, err := client(ctx, server)
	if err == nil {
		err = c.RequireTGC(ctx)
	}
	if err != nil {
		var none C
		return none, fmt.Errorf("server %s: %w", server, err)
	}
	return c, nil
}

// tgcWriter returns the writing client of a TGC server block for an Apply after checking
// it is a TGC. Its errors do not name the server: the engine records Apply errors with the
// change's server and object.
func tgcWriter(ctx context.Context, env *runner.ApplyEnv, server string) (*tintri.Client, error) {
	c, err := env.Client(ctx, server)
	if err == nil {
		err = c.RequireTGC(ctx)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// tgcServiceGroup returns the reader of a TGC server block and its service group named
// name; a missing group's error lists the closest names.
func tgcServiceGroup(ctx context.Context, env *runner.PlanEnv, server, name string) (*tintri.Reader, *tintri.ServiceGroup, error) {
	c, err := tgcClient(ctx, env.Client, server)
	if err != nil {
		return nil, nil, err
	}
	g, err := findServiceGroup(ctx, c, name)
	if err != nil {
		return nil, nil, fmt.Errorf("server %s: %w", server, err)
	}
	return c, g, nil
}

// findServiceGroup returns the service group of the TGC named exactly name. When none is,
// the error lists the closest names.
func findServiceGroup(ctx context.Context, c *tintri.Reader, name string) (*tintri.ServiceGroup, error) {
	groups, err := c.ListServiceGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list service groups: %w", err)
	}
	names := make([]string, 0, len(groups))
	for i := range groups {
		if groups[i].Name == name {
			return &groups[i], nil
		}
		names = append(names, groups[i].Name)
	}
	return nil, fmt.Errorf("service group %q not found%s", name, decode.DidYouMean(name, names))
}

// vmIDsByName lists every VM of a TGC (uuid and name only) and maps names to uuids; it
// also returns the distinct names, sorted, for suggestions.
func vmIDsByName(ctx context.Context, c *tintri.Reader) (map[string][]string, []string, error) {
	ids := map[string][]string{}
	err := c.EachVM(ctx, tintri.VMFilter{IncludeFields: []string{"uuid", "vmware"}}, func(vm *tintri.VirtualMachine) error {
		if n := vm.Name(); n != "" && vm.ID() != "" {
			ids[n] = append(ids[n], vm.ID())
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list vms: %w", err)
	}
	names := make([]string, 0, len(ids))
	for n := range ids {
		names = append(names, n)
	}
	sort.Strings(names)
	return ids, names, nil
}

// resolveVMstores maps VMstore names (hostname or local alias) to sorted uuids, and
// uuids to display names. An unknown name is an error listing the closest names.
func resolveVMstores(ctx context.Context, c *tintri.Reader, names []string) ([]string, map[string]string, error) {
	stores, err := c.ListVMstores(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list vmstores: %w", err)
	}
	display := map[string]string{}
	uuids := map[string]bool{}
	for _, n := range names {
		found := false
		for _, s := range stores {
			if s.UUID.ID() != "" && (s.Hostname == n || s.LocalAlias == n) {
				uuids[s.UUID.ID()] = true
				display[s.UUID.ID()] = n
				found = true
				break
			}
		}
		if !found {
			var known []string
			for _, s := range stores {
				known = append(known, s.Hostname)
				if s.LocalAlias != "" {
					known = append(known, s.LocalAlias)
				}
			}
			return nil, nil, fmt.Errorf("vmstore %q not found among the TGC's VMstores%s", n, decode.DidYouMean(n, known))
		}
	}
	sorted := make([]string, 0, len(uuids))
	for id := range uuids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	return sorted, display, nil
}
