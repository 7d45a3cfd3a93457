package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// data_ip sets the data IPs of the VMstores of a fleet (or a list of servers) from a CSV
// file (see csv_dataip.go for its format) or from inline blocks:
//
//	task "data_ip" "lab" {
//	  fleet = fleet.lab          # or servers = [server.vmstore1, ...]
//	  mode  = "add"              # or "exact"; default "add"
//	  csv   = "dataips.csv"      # relative to the job file; or data_ip blocks:
//	  data_ip {
//	    vmstore      = "vmstore-0"
//	    ip           = "198.51.100.20"
//	    prefix       = 24        # or netmask = "255.255.255.0"
//	    gateway      = "198.51.100.1"
//	    vlan_id      = 100       # or "untagged" (default)
//	    jumbo_frames = true
//	  }
//	}
//
// A row's vmstore names a target by its fleet member key (host[:port], or the server block
// name for servers = [...]), else by its appliance's localAlias or admin hostname (case
// does not matter). Only serviceType "data" entries are compared and changed; admin and
// replication entries are sent back as read, since PUT configIps replaces the whole list.
// Mode "add" adds and corrects the listed IPs and keeps the others; mode "exact" also
// removes the data IPs not listed. A VMstore without rows gets a warning in mode add and
// is refused in mode exact (it would lose every data IP); a change that would remove or
// alter the data IP the runner connects through (the host of the VMstore's URL: its
// address, the addresses its name resolves to, or an entry whose hostname it is) is
// refused too. A row naming none of the targets is bad input: the task fails before any
// write (unless some target could not be read, whose alias the name may be).

// How the plan turns rows into a VMstore's new IP list is in data_ip_diff.go; the CSV
// format and the row checks, which data_ip blocks share, in csv_dataip.go.

func init() {
	runner.Register("data_ip", "Sets the data IPs of the VMstores of a fleet or a list of servers, from a CSV file or data_ip blocks.", buildDataIP)
}

// dataIPModeExact is the mode that also removes the data IPs not listed.
const dataIPModeExact = "exact"

// dataIPBody is the body of a data_ip task.
type dataIPBody struct {
	decode.Meta
	targetsBody
	Mode    string        `hcl:"mode,optional" enum:"add,exact" default:"add" doc:"\"add\" adds and corrects the listed data IPs and keeps the others; \"exact\" also removes the data IPs not listed."`
	CSV     *string       `hcl:"csv,optional" doc:"A CSV file of data IPs with the header vmstore,ip,prefix,gateway,vlan_id,jumbo_frames, relative to the job file; or use data_ip blocks."`
	DataIPs []dataIPBlock `hcl:"data_ip,block" doc:"One data IP, instead of a csv file; repeat the block for each address."`
}

// dataIPBlock is the body of a data_ip block: the fields of a CSV row, checked the same way.
type dataIPBlock struct {
	decode.Meta
	VMstore     string  `hcl:"vmstore" doc:"The VMstore: its fleet member host[:port] (or server block name), local alias or admin hostname."`
	IP          string  `hcl:"ip" doc:"The data IP, an IPv4 or IPv6 address without prefix."`
	Prefix      *string `hcl:"prefix,optional" type:"number" doc:"The prefix length, like 24; set this or netmask."`
	Netmask     *string `hcl:"netmask,optional" doc:"The IPv4 netmask, like \"255.255.255.0\"; set this or prefix."`
	Gateway     *string `hcl:"gateway,optional" doc:"The gateway, an address inside the IP's subnet other than the IP itself; none when unset."`
	VLANID      *string `hcl:"vlan_id,optional" type:"number or string" doc:"The VLAN ID, 1 to 4094, or \"untagged\" (the default)."`
	JumboFrames *string `hcl:"jumbo_frames,optional" type:"bool" doc:"Whether the interface uses jumbo frames: true or false (\"yes\" and \"no\" work too); default false."`
}

// dataIPTask is a decoded data_ip block.
type dataIPTask struct {
	targets runner.Targets
	exact   bool
	rows    []dataIPRow
	// source names where the rows come from in messages ("the csv file" or "the data_ip blocks").
	source string
	// sourceFile is the csv file, as the plan's warnings name it; empty for data_ip blocks.
	sourceFile string
}

func buildDataIP(dc *runner.DecodeContext, b *dataIPBody) (runner.Task, hcl.Diagnostics) {
	t := &dataIPTask{exact: b.Mode == dataIPModeExact}
	targets, diags := b.targets(dc)
	t.targets = targets
	switch {
	case b.CSV != nil && len(b.DataIPs) > 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting data IP sources",
			Detail:   "Give the data IPs either in a csv file or in data_ip blocks, not both.",
			Subject:  b.DataIPs[0].DefRange.Ptr(),
		})
	case b.CSV != nil:
		rows, d := dataIPReadCSV(dc, b.Attr("csv"), *b.CSV)
		diags = append(diags, d...)
		t.rows, t.source, t.sourceFile = rows, "the csv file", dc.Path(*b.CSV)
	case len(b.DataIPs) > 0:
		for _, blk := range b.DataIPs {
			row, d := blk.row()
			diags = append(diags, d...)
			if !d.HasErrors() {
				t.rows = append(t.rows, row)
			}
		}
		if !diags.HasErrors() {
			diags = append(diags, dataIPCheckDuplicates(t.rows)...)
		}
		t.source = "the data_ip blocks"
	default:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing data IPs",
			Detail:   "Set csv to a data IP file or add data_ip blocks.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// dataIPReadCSV reads and validates the data IP file p, which attr names.
func dataIPReadCSV(dc *runner.DecodeContext, attr *hcl.Attribute, p string) ([]dataIPRow, hcl.Diagnostics) {
	data, err := readDataFile(dc, p)
	if err != nil {
		return nil, hcl.Diagnostics{attrError(attr, "Cannot read data IP file", "Reading %s: %s.", dc.Path(p), err)}
	}
	return readDataIPs(dc.Path(p), data)
}

// row validates the block as a data IP row.
func (b dataIPBlock) row() (dataIPRow, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	f := [dataIPNumCols]string{b.VMstore, b.IP, orEmpty(b.Prefix), orEmpty(b.Gateway), orEmpty(b.VLANID), orEmpty(b.JumboFrames)}
	attrs := [dataIPNumCols]*hcl.Attribute{b.Attr("vmstore"), b.Attr("ip"), b.Attr("prefix"),
		b.Attr("gateway"), b.Attr("vlan_id"), b.Attr("jumbo_frames")}
	if b.Netmask != nil {
		if b.Prefix != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting netmask and prefix",
				Detail:   "Set either prefix or netmask; they say the same thing.",
				Subject:  b.Attr("netmask").NameRange.Ptr(),
			})
		}
		f[dataIPColMask], attrs[dataIPColMask] = *b.Netmask, b.Attr("netmask")
	}
	row, errs := parseDataIPFields(f)
	for _, fe := range errs {
		subject := b.DefRange.Ptr()
		if attrs[fe.col] != nil {
			subject = attrs[fe.col].Expr.Range().Ptr()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fe.summary, Detail: fe.detail, Subject: subject})
	}
	row.Range, row.IPRange = b.DefRange, b.Range("ip")
	return row, diags
}

// orEmpty is *p, or "" for an absent attribute.
func orEmpty(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// dataIPTarget is what a plan read from one VMstore.
type dataIPTarget struct {
	host      string // the host[:port] its URL names, for canonical addresses
	alias     string
	hostnames []string // admin hostnames
	ips       []tintri.ApplianceIp
	conn      dataIPConn
}

// Plan reads every target's appliance and IPs, matches the rows to targets and plans one
// change per VMstore whose data IPs differ. A row naming no target fails the whole task
// (nothing is applied) when every target was read; when some could not be read, the name
// may be one of theirs, so only its rows fail, as those targets do.
func (t *dataIPTask) Plan(ctx context.Context, env *runner.PlanEnv) (*plan.TaskPlan, error) {
	members, err := applianceMembers(ctx, env, t.targets)
	if err != nil {
		return nil, err
	}
	got, errs := dataIPRead(ctx, env, members)
	tp := &plan.TaskPlan{Changes: []plan.Change{}}
	rowsOf, unknown := t.matchRows(members, errs, got)
	unreadable := 0
	for i, key := range members {
		if errs[i] != nil {
			unreadable++
			tp.Failed = append(tp.Failed, plan.Failure{Server: key, Error: errs[i].Error()})
		}
	}
	var unknownMsgs []string
	for _, name := range unknown.names {
		r := unknown.first[name]
		hint := decode.DidYouMean(name, dataIPCandidates(members, got))
		if hint == "" {
			hint = " (targets: " + strings.Join(dataIPNames(members, got), ", ") + ")"
		}
		msg := fmt.Sprintf("%s:%d: vmstore %q is not one of the task's VMstores%s", r.Range.Filename, r.Range.Start.Line, name, hint)
		if unreadable > 0 {
			// The name may be the alias of a VMstore that could not be read: only its
			// rows fail, like that VMstore.
			msg += fmt.Sprintf("; %d of the task's VMstores could not be read", unreadable)
			tp.Failed = append(tp.Failed, plan.Failure{Server: name, Object: "data ips", Error: msg})
		}
		unknownMsgs = append(unknownMsgs, msg)
	}
	if len(unknownMsgs) > 0 && unreadable == 0 {
		// Every target was read, so the names are wrong: bad input fails the whole task
		// before any write.
		return nil, errors.New(strings.Join(unknownMsgs, "; "))
	}
	for i, key := range members {
		if errs[i] == nil {
			t.planTarget(tp, key, got[i], rowsOf[i], env.ListUnchanged)
		}
	}
	return tp, nil
}

// dataIPRead reads the appliance and IPs of every member; errs holds each member's error.
func dataIPRead(ctx context.Context, env *runner.PlanEnv, members []string) (got []dataIPTarget, errs []error) {
	got = make([]dataIPTarget, len(members))
	errs = applianceEach(ctx, env, members, func(ctx context.Context, i int, key string, c *tintri.Reader) error {
		a, err := c.Appliance(ctx)
		if err != nil {
			return fmt.Errorf("read appliance: %w", err)
		}
		ips, err := c.ApplianceIPs(ctx)
		if err != nil {
			return fmt.Errorf("read ips: %w", err)
		}
		tg := dataIPTarget{host: c.Host(), alias: a.LocalAlias, ips: ips}
		for _, ip := range ips {
			if ip.ServiceType == tintri.ServiceTypeAdmin && ip.Hostname != "" {
				tg.hostnames = append(tg.hostnames, ip.Hostname)
			}
		}
		tg.conn = dataIPConnOf(ctx, c)
		got[i] = tg
		return nil
	})
	return got, errs
}

// planTarget adds to tp what the rows of one VMstore that was read call for: a change, a
// warning, a refusal or nothing (an unchanged target, named as listAll says).
func (t *dataIPTask) planTarget(tp *plan.TaskPlan, key string, tg dataIPTarget, rows []dataIPRow, listAll bool) {
	name := vmstoreDisplay(key, tg.alias)
	if len(rows) == 0 {
		if t.exact {
			tp.Failed = append(tp.Failed, plan.Failure{Server: key, Object: "data ips",
				Error: fmt.Sprintf("%s has no rows in %s: mode exact would remove every data IP, refused", name, t.source)})
			return
		}
		tp.Warn(plan.Warning{Code: plan.WarnNoRows, File: t.sourceFile,
			Message: fmt.Sprintf("%s has no rows in %s; its data IPs are left as they are", name, t.source)})
		tp.AddUnchanged(name, listAll)
		return
	}
	after, details, changed, err := dataIPDiff(tg.ips, rows, t.exact, tg.conn)
	if err != nil {
		tp.Failed = append(tp.Failed, plan.Failure{Server: key, Object: "data ips", Error: fmt.Sprintf("%s: %s", name, err)})
		return
	}
	t.claim(tp, tg, rows)
	if len(details) == 0 {
		tp.AddUnchanged(name, listAll)
		return
	}
	tp.Changes = append(tp.Changes, plan.Change{
		Server:    key,
		Object:    strings.TrimSuffix("data ips of "+tg.alias, " of "),
		ID:        key + "/configIps",
		Action:    plan.ActionUpdate,
		Summary:   dataIPCounts(details),
		Before:    plan.MustJSON(tg.ips),
		After:     plan.MustJSON(after),
		Details:   details,
		Addresses: dataIPAddresses(tg, changed),
		Objects:   len(details),
	})
}

// dataIPAddress is the canonical address of a data IP of a VMstore.
func dataIPAddress(tg dataIPTarget, a netip.Addr) string {
	return "vmstore/" + tg.host + "/dataip/" + a.String()
}

// dataIPAddresses are the addresses of the data IPs a change adds, changes or removes.
func dataIPAddresses(tg dataIPTarget, changed []netip.Addr) []string {
	out := make([]string, len(changed))
	for i, a := range changed {
		out[i] = dataIPAddress(tg, a)
	}
	return out
}

// claim records what the task wants for each data IP of a VMstore it manages: each row's
// address with its settings and, in mode exact, every other data IP of the VMstore absent.
func (t *dataIPTask) claim(tp *plan.TaskPlan, tg dataIPTarget, rows []dataIPRow) {
	listed := map[netip.Addr]bool{}
	for _, r := range rows {
		listed[r.Addr.Addr()] = true
		tp.Claim(dataIPAddress(tg, r.Addr.Addr()), r.String())
	}
	if !t.exact {
		return
	}
	for _, ip := range tg.ips {
		if a, err := dataIPEntryAddr(ip); err == nil && ip.ServiceType == tintri.ServiceTypeData && !listed[a] {
			tp.Claim(dataIPAddress(tg, a), "absent")
		}
	}
}

// Apply makes the change's data IP additions, corrections and removals on top of the
// VMstore's IP list as it is right before the write (guarded): IPs added, changed or
// removed since the plan that the change does not touch are kept; one it touches that
// changed since is stale.
func (t *dataIPTask) Apply(ctx context.Context, env *runner.ApplyEnv, ch plan.Change) error {
	var before, after []tintri.ApplianceIp
	if err := errors.Join(json.Unmarshal(ch.Before, &before), json.Unmarshal(ch.After, &after)); err != nil {
		return fmt.Errorf("decode planned ips: %w", err)
	}
	delta, err := dataIPDeltaOf(before, after)
	if err != nil {
		return fmt.Errorf("planned ips: %w", err)
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	return guarded[[]tintri.ApplianceIp]{
		read: func(ctx context.Context) ([]tintri.ApplianceIp, error) {
			ips, err := c.ApplianceIPs(ctx)
			if err != nil {
				return nil, fmt.Errorf("read ips: %w", err)
			}
			return ips, nil
		},
		merge: delta.merge,
		write: func(ctx context.Context, ips []tintri.ApplianceIp) error {
			a := tintri.Appliance{TypeID: tintri.TypeAppliance, ConfigIPs: ips}
			if err := c.UpdateAppliance(ctx, a, tintri.PropConfigIPs); err != nil {
				return fmt.Errorf("update ips: %w", err)
			}
			return nil
		},
		verify: true, // another configuration may add its own data IPs at the same time
	}.run(ctx)
}

// dataIPUnknown are the row VMstore names no target matched, with each name's first row.
type dataIPUnknown struct {
	names []string
	first map[string]dataIPRow
}

// matchRows assigns rows to members: by member key first, then by localAlias or admin
// hostname among the members read. Names matching nothing are returned in row order.
func (t *dataIPTask) matchRows(members []string, errs []error, got []dataIPTarget) (map[int][]dataIPRow, dataIPUnknown) {
	byName := map[string]int{}
	for i := range members {
		if errs[i] != nil {
			continue
		}
		names := append([]string{got[i].alias}, got[i].hostnames...)
		for _, n := range names {
			if n = strings.ToLower(n); n != "" {
				if _, taken := byName[n]; !taken {
					byName[n] = i
				}
			}
		}
	}
	for i, key := range members { // keys win over aliases
		byName[strings.ToLower(key)] = i
	}
	rowsOf := map[int][]dataIPRow{}
	unknown := dataIPUnknown{first: map[string]dataIPRow{}}
	for _, r := range t.rows {
		i, ok := byName[strings.ToLower(r.VMstore)]
		if !ok {
			if _, seen := unknown.first[r.VMstore]; !seen {
				unknown.names = append(unknown.names, r.VMstore)
				unknown.first[r.VMstore] = r
			}
			continue
		}
		rowsOf[i] = append(rowsOf[i], r)
	}
	return rowsOf, unknown
}

// dataIPNames lists the targets' names for an unknown-VMstore message.
func dataIPNames(members []string, got []dataIPTarget) []string {
	names := make([]string, len(members))
	for i, key := range members {
		names[i] = vmstoreDisplay(key, got[i].alias)
	}
	sort.Strings(names)
	return names
}

// dataIPCandidates lists every name a row may use for the targets read: keys and aliases.
func dataIPCandidates(members []string, got []dataIPTarget) []string {
	var names []string
	for i, key := range members {
		names = append(names, key)
		if got[i].alias != "" {
			names = append(names, got[i].alias)
		}
	}
	return names
}
