package show

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// MaxVMs is how many VMs `show vm` lists when the name is not exact.
const MaxVMs = 10

// VMRow is one VM of `show vm`.
type VMRow struct {
	Name, VMstore, UUID      string
	Powered                  bool
	ServiceGroup             string
	QoSMin, QoSMax           int64
	Affinity, Source, Server string
}

// VMs finds the VMs named name: through the TGC server blocks when there are some (a TGC
// lists every VM of its VMstores), else through every VMstore server block and fleet
// member. When no VM has exactly that name, those whose name contains it are listed, at
// most MaxVMs. more counts the rest.
func VMs(ctx context.Context, cfg *config.Config, clients *runner.Clients, name string) (rows []VMRow, more int, err error) {
	sources, err := vmSources(ctx, cfg, clients)
	if err != nil {
		return nil, 0, err
	}
	var exact, partial []VMRow
	for _, key := range sources {
		c, err := clients.Client(ctx, key)
		if err != nil {
			return nil, 0, err
		}
		vms, err := c.ReadOnly().ListVMs(ctx, tintri.VMFilter{Name: name})
		if err != nil {
			return nil, 0, err
		}
		aliases := vmstoreAliases(ctx, c.ReadOnly())
		for i := range vms {
			row := vmRow(key, &vms[i])
			if alias := aliases[row.VMstore]; alias != "" {
				row.VMstore = alias
			}
			if strings.EqualFold(row.Name, name) {
				exact = append(exact, row)
			} else {
				partial = append(partial, row)
			}
		}
	}
	if len(exact) > 0 {
		return exact, 0, nil
	}
	if len(partial) > MaxVMs {
		return partial[:MaxVMs], len(partial) - MaxVMs, nil
	}
	return partial, 0, nil
}

// vmstoreAliases maps the hostname of each VMstore a TGC manages (a VM's vmstoreName) to
// its alias, the name people know it by; empty for a VMstore, or when the list fails (the
// host is shown then).
func vmstoreAliases(ctx context.Context, c *tintri.Reader) map[string]string {
	out := map[string]string{}
	if c.RequireTGC(ctx) != nil {
		return out
	}
	stores, err := c.ListVMstores(ctx)
	if err != nil {
		return out
	}
	for _, s := range stores {
		out[s.Hostname] = s.LocalAlias
	}
	return out
}

// vmSources are the servers whose VMs VMs lists.
func vmSources(ctx context.Context, cfg *config.Config, clients *runner.Clients) ([]string, error) {
	var tgcs, stores []string
	for _, name := range cfg.ServerNames() {
		if cfg.Servers[name].Kind == config.KindTGC {
			tgcs = append(tgcs, name)
		} else {
			stores = append(stores, name)
		}
	}
	if len(tgcs) > 0 {
		return tgcs, nil
	}
	for _, f := range cfg.FleetNames() {
		keys, err := clients.Members(ctx, runner.Targets{Fleet: f})
		if err != nil {
			return nil, err
		}
		stores = append(stores, keys...)
	}
	return stores, nil
}

func vmRow(server string, vm *tintri.VirtualMachine) VMRow {
	r := VMRow{Name: vm.Name(), VMstore: vm.VmstoreName, UUID: vm.ID(), Server: server}
	if vm.Vmware != nil {
		r.Powered = vm.Vmware.IsPowered
	}
	if vm.ServiceGroup != nil {
		r.ServiceGroup = vm.ServiceGroup.Name
	}
	if vm.QosConfig != nil {
		r.QoSMin, r.QoSMax = vm.QosConfig.MinNormalizedIops, vm.QosConfig.MaxNormalizedIops
	}
	if vm.AffinityRule != nil {
		r.Affinity = vm.AffinityRule.RuleType
	}
	return r
}

// WriteVMs prints the rows as a table, with a line for the more not shown.
func WriteVMs(w io.Writer, rows []VMRow, more int) error {
	tw := newTable(w)
	fmt.Fprint(tw, "VM\tVMSTORE\tPOWER\tSERVICE GROUP\tQOS MIN/MAX\tAFFINITY\tUUID\n")
	for _, r := range rows {
		power := "off"
		if r.Powered {
			power = "on"
		}
		qos := "-"
		if r.QoSMin != 0 || r.QoSMax != 0 {
			qos = fmt.Sprintf("%d/%d", r.QoSMin, r.QoSMax)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.VMstore, power, dash(r.ServiceGroup), qos, dash(r.Affinity), r.UUID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if more > 0 {
		_, err := fmt.Fprintf(w, "… and %d more; give more of the name\n", more)
		return err
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
