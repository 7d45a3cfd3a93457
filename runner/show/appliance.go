package show

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// ApplianceFacts reads what `show appliance_info` reports about the appliance c talks to:
// /api/info and, for a VMstore, its info, components, failed components and IPs.
func ApplianceFacts(ctx context.Context, c *tintri.Reader) (*plan.ApplianceFacts, error) {
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
	f.Name, f.Components = a.LocalAlias, plan.NonNil(a.Components)
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

// newTable is the tabwriter every table of the package uses.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// WriteApplianceFacts prints f for a person.
func WriteApplianceFacts(w io.Writer, f *plan.ApplianceFacts) error {
	tw := newTable(w)
	server := f.Server
	if f.Name != "" {
		server = f.Name + " (" + f.Server + ")"
	}
	fmt.Fprintf(tw, "Server:\t%s\n", server)
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
	tw = newTable(w)
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
		tw = newTable(w)
		for _, c := range f.FailedComponents {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.ComponentType, c.SerialNumber, c.Description)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nIPs (%d):\n", len(f.IPs))
	tw = newTable(w)
	for _, ip := range f.IPs {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", ip.ServiceType, ipAddress(ip), ipExtra(ip))
	}
	return tw.Flush()
}

// ipAddress is an IP with its prefix or netmask.
func ipAddress(ip tintri.ApplianceIp) string {
	switch {
	case ip.IPCidr != "":
		return ip.IPCidr
	case ip.Netmask != "":
		return ip.IP + "/" + ip.Netmask
	}
	return ip.IP
}

// ipExtra is an IP's gateway and VLAN.
func ipExtra(ip tintri.ApplianceIp) string {
	extra := ""
	if ip.Gateway != "" {
		extra += " gateway " + ip.Gateway
	}
	if ip.VlanID != "" {
		extra += " vlan " + ip.VlanID
	}
	return strings.TrimSpace(extra)
}
