package show

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// FleetRow is one VMstore of `show fleet`: what it is, what is broken, its maintenance
// window and DNS servers. Error says why the rest is missing.
type FleetRow struct {
	Server      string
	Model       string
	OSVersion   string
	Failed      []string // failed components: "type serial"
	Maintenance string   // "off", or "on start → end"
	DNS         []string
	Error       string
}

// maxConcurrent bounds the VMstores read at once.
const maxConcurrent = 10

// Fleet reads one row per member of the fleet, in the fleet's order; a member that cannot
// be read gets a row with its error.
func Fleet(ctx context.Context, clients *runner.Clients, fleet string) ([]FleetRow, error) {
	keys, err := clients.Members(ctx, runner.Targets{Fleet: fleet})
	if err != nil {
		return nil, err
	}
	rows := make([]FleetRow, len(keys))
	sem := make(chan struct{}, maxConcurrent)
	var wg sync.WaitGroup
	for i, key := range keys {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rows[i] = fleetRow(ctx, clients, key)
		})
	}
	wg.Wait()
	return rows, nil
}

// fleetRow reads one member.
func fleetRow(ctx context.Context, clients *runner.Clients, key string) FleetRow {
	row := FleetRow{Server: key}
	c, err := clients.Client(ctx, key)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	r := c.ReadOnly()
	info, err := r.ApplianceInfo(ctx)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.Model, row.OSVersion = info.ModelName, info.OsVersion
	failed, err := r.ApplianceFailedComponents(ctx)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	for _, f := range failed.FailedComponents {
		row.Failed = append(row.Failed, strings.TrimSpace(f.ComponentType+" "+f.SerialNumber))
	}
	mm, err := r.ApplianceMaintenanceMode(ctx)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	row.Maintenance = maintenance(mm)
	dns, err := r.ApplianceDNS(ctx)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	for _, s := range []string{dns.DNSPrimary, dns.DNSSecondary, dns.DNSTertiary} {
		if s != "" {
			row.DNS = append(row.DNS, s)
		}
	}
	return row
}

// maintenance describes a maintenance window.
func maintenance(m *tintri.ApplianceMaintenanceMode) string {
	if !m.IsEnabled {
		return "off"
	}
	return strings.TrimSpace(fmt.Sprintf("on %s → %s", m.StartTime, m.EndTime))
}

// WriteFleet prints the rows as a table, and then the VMstores that could not be read.
func WriteFleet(w io.Writer, rows []FleetRow) error {
	tw := newTable(w)
	fmt.Fprint(tw, "VMSTORE\tMODEL\tOS VERSION\tFAILED COMPONENTS\tMAINTENANCE\tDNS\n")
	var unread []string
	for _, r := range rows {
		if r.Error != "" {
			unread = append(unread, fmt.Sprintf("%s: cannot read: %s\n", r.Server, r.Error))
			continue
		}
		failed := "none"
		if len(r.Failed) > 0 {
			failed = strings.Join(r.Failed, ", ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Server, r.Model, r.OSVersion, failed, r.Maintenance, strings.Join(r.DNS, ", "))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := io.WriteString(w, strings.Join(unread, ""))
	return err
}
