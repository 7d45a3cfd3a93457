package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
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

func init() {
	runner.Register(runner.Kind{Name: "data_ip", Decode: decodeDataIP})
}

// Modes of a data_ip task.
const (
	dataIPModeAdd   = "add"
	dataIPModeExact = "exact"
)

var dataIPSchema = &hcl.BodySchema{
	Attributes: append([]hcl.AttributeSchema{{Name: "csv"}, {Name: "mode"}}, applianceTargetAttrs...),
	Blocks:     []hcl.BlockHeaderSchema{{Type: "data_ip"}},
}

var dataIPBlockSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "vmstore", Required: true},
		{Name: "ip", Required: true},
		{Name: "prefix"},
		{Name: "netmask"},
		{Name: "gateway"},
		{Name: "vlan_id"},
		{Name: "jumbo_frames"},
	},
}

// dataIPTask is a decoded data_ip block.
type dataIPTask struct {
	targets runner.Targets
	exact   bool
	rows    []dataIPRow
	// source names where the rows come from in messages ("dataips.csv" or "data_ip blocks").
	source string
}

func decodeDataIP(dc *runner.DecodeContext, body hcl.Body) (runner.Task, hcl.Diagnostics) {
	content, diags := body.Content(dataIPSchema)
	t := &dataIPTask{}
	targets, d := applianceDecodeTargets(dc, content)
	diags = append(diags, d...)
	t.targets = targets

	if attr := content.Attributes["mode"]; attr != nil {
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		switch {
		case d.HasErrors():
		case s == dataIPModeExact:
			t.exact = true
		case s != dataIPModeAdd:
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid mode",
				Detail:   fmt.Sprintf("mode is %q (add and correct the listed data IPs) or %q (also remove the others), not %q.", dataIPModeAdd, dataIPModeExact, s),
				Subject:  attr.Expr.Range().Ptr(),
			})
		}
	}

	csvAttr := content.Attributes["csv"]
	switch {
	case csvAttr != nil && len(content.Blocks) > 0:
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Conflicting data IP sources",
			Detail:   "Give the data IPs either in a csv file or in data_ip blocks, not both.",
			Subject:  content.Blocks[0].DefRange.Ptr(),
		})
	case csvAttr != nil:
		rows, d := dataIPDecodeCSV(dc, csvAttr)
		diags = append(diags, d...)
		t.rows, t.source = rows, "the csv file"
	case len(content.Blocks) > 0:
		for _, b := range content.Blocks {
			row, d := dataIPDecodeBlock(dc, b)
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

// dataIPDecodeCSV reads and validates the csv attribute's file.
func dataIPDecodeCSV(dc *runner.DecodeContext, attr *hcl.Attribute) ([]dataIPRow, hcl.Diagnostics) {
	p, diags := evalString(dc, attr)
	if diags.HasErrors() {
		return nil, diags
	}
	data, err := dc.ReadFile(p)
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Cannot read data IP file",
			Detail:   fmt.Sprintf("Reading %s: %s.", dc.Path(p), err),
			Subject:  attr.Expr.Range().Ptr(),
		})
	}
	rows, d := readDataIPs(dc.Path(p), data)
	return rows, append(diags, d...)
}

// dataIPDecodeBlock decodes and validates one data_ip block.
func dataIPDecodeBlock(dc *runner.DecodeContext, b *hcl.Block) (dataIPRow, hcl.Diagnostics) {
	content, diags := b.Body.Content(dataIPBlockSchema)
	attrs := [dataIPNumCols]*hcl.Attribute{
		content.Attributes["vmstore"], content.Attributes["ip"], content.Attributes["prefix"],
		content.Attributes["gateway"], content.Attributes["vlan_id"], content.Attributes["jumbo_frames"],
	}
	if nm := content.Attributes["netmask"]; nm != nil {
		if attrs[dataIPColMask] != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Conflicting netmask and prefix",
				Detail:   "Set either prefix or netmask; they say the same thing.",
				Subject:  nm.NameRange.Ptr(),
			})
		}
		attrs[dataIPColMask] = nm
	}
	var f [dataIPNumCols]string
	for c, attr := range attrs {
		if attr == nil {
			continue
		}
		s, d := evalString(dc, attr)
		diags = append(diags, d...)
		f[c] = s
	}
	if diags.HasErrors() {
		return dataIPRow{}, diags
	}
	row, errs := parseDataIPFields(f)
	for _, fe := range errs {
		subject := b.DefRange.Ptr()
		if attrs[fe.col] != nil {
			subject = attrs[fe.col].Expr.Range().Ptr()
		}
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fe.summary, Detail: fe.detail, Subject: subject})
	}
	row.Range, row.IPRange = b.DefRange, attrs[dataIPColIP].Expr.Range()
	return row, diags
}

// dataIPTarget is what a plan read from one VMstore.
type dataIPTarget struct {
	alias     string
	hostnames []string // admin hostnames
	ips       []tintri.ApplianceIp
	conn      dataIPConn
}

// dataIPConn is how the runner reaches a VMstore: the host of the client's URL and the
// addresses it stands for (the literal address, or what the name resolves to).
type dataIPConn struct {
	host  string
	addrs []netip.Addr
}

// touches reports whether an IP entry with address addr is the one the runner connects
// through: by address, or by the entry's hostname.
func (c dataIPConn) touches(ip tintri.ApplianceIp, addr netip.Addr) bool {
	return slices.Contains(c.addrs, addr) || (c.host != "" && strings.EqualFold(ip.Hostname, c.host))
}

// dataIPConnOf returns how the client reaches its VMstore. A host name is resolved so that
// a data IP reached through a DNS name is recognised; when resolution fails only the name
// is compared (with the entries' hostnames).
func dataIPConnOf(ctx context.Context, c *tintri.Client) dataIPConn {
	u, err := url.Parse(c.URL())
	if err != nil {
		return dataIPConn{}
	}
	conn := dataIPConn{host: u.Hostname()}
	if a, err := netip.ParseAddr(conn.host); err == nil {
		conn.addrs = []netip.Addr{a.Unmap()}
	} else if addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", conn.host); err == nil {
		for _, a := range addrs {
			conn.addrs = append(conn.addrs, a.Unmap())
		}
	}
	return conn
}

// Plan reads every target's appliance and IPs, matches the rows to targets and plans one
// change per VMstore whose data IPs differ. A row naming no target fails the whole task
// (nothing is applied) when every target was read; when some could not be read, the name
// may be one of theirs, so only its rows fail, as those targets do.
func (t *dataIPTask) Plan(ctx context.Context, env *runner.Env) (*runner.TaskPlan, error) {
	members, err := applianceMembers(ctx, env, t.targets)
	if err != nil {
		return nil, err
	}
	got := make([]dataIPTarget, len(members))
	errs := applianceEach(ctx, env, members, func(ctx context.Context, i int, key string, c *tintri.Client) error {
		a, err := c.Appliance(ctx)
		if err != nil {
			return fmt.Errorf("read appliance: %w", err)
		}
		ips, err := c.ApplianceIPs(ctx)
		if err != nil {
			return fmt.Errorf("read ips: %w", err)
		}
		tg := dataIPTarget{alias: a.LocalAlias, ips: ips}
		for _, ip := range ips {
			if ip.ServiceType == tintri.ServiceTypeAdmin && ip.Hostname != "" {
				tg.hostnames = append(tg.hostnames, ip.Hostname)
			}
		}
		tg.conn = dataIPConnOf(ctx, c)
		got[i] = tg
		return nil
	})

	plan := &runner.TaskPlan{Changes: []runner.Change{}}
	rowsOf, unknown := t.matchRows(members, errs, got)
	unreadable := 0
	for i, key := range members {
		if errs[i] != nil {
			unreadable++
			plan.Failed = append(plan.Failed, runner.Failure{Server: key, Error: errs[i].Error()})
		}
	}
	var unknownMsgs []string
	for _, name := range unknown.names {
		r := unknown.first[name]
		hint := didYouMean(name, dataIPCandidates(members, got))
		if hint == "" {
			hint = " (targets: " + strings.Join(dataIPNames(members, got), ", ") + ")"
		}
		msg := fmt.Sprintf("%s:%d: vmstore %q is not one of the task's VMstores%s", r.Range.Filename, r.Range.Start.Line, name, hint)
		if unreadable > 0 {
			// The name may be the alias of a VMstore that could not be read: only its
			// rows fail, like that VMstore.
			msg += fmt.Sprintf("; %d of the task's VMstores could not be read", unreadable)
			plan.Failed = append(plan.Failed, runner.Failure{Server: name, Object: "data ips", Error: msg})
		}
		unknownMsgs = append(unknownMsgs, msg)
	}
	if len(unknownMsgs) > 0 && unreadable == 0 {
		// Every target was read, so the names are wrong: bad input fails the whole task
		// before any write.
		return nil, errors.New(strings.Join(unknownMsgs, "; "))
	}
	for i, key := range members {
		if errs[i] != nil {
			continue
		}
		tg := got[i]
		name := dataIPDisplay(key, tg.alias)
		rows := rowsOf[i]
		if len(rows) == 0 {
			if t.exact {
				plan.Failed = append(plan.Failed, runner.Failure{Server: key, Object: "data ips",
					Error: fmt.Sprintf("%s has no rows in %s: mode exact would remove every data IP, refused", name, t.source)})
				continue
			}
			plan.Warnings = append(plan.Warnings, fmt.Sprintf("%s has no rows in %s; its data IPs are left as they are", name, t.source))
			plan.Unchanged = append(plan.Unchanged, key)
			continue
		}
		after, details, err := dataIPDiff(tg.ips, rows, t.exact, tg.conn)
		switch {
		case err != nil:
			plan.Failed = append(plan.Failed, runner.Failure{Server: key, Object: "data ips", Error: fmt.Sprintf("%s: %s", name, err)})
		case len(details) == 0:
			plan.Unchanged = append(plan.Unchanged, key)
		default:
			plan.Changes = append(plan.Changes, runner.Change{
				Server:  key,
				Object:  "data ips of " + name,
				ID:      key + "/configIps",
				Action:  runner.ActionUpdate,
				Summary: dataIPCounts(details),
				Before:  runner.MustJSON(tg.ips),
				After:   runner.MustJSON(after),
				Details: details,
			})
		}
	}
	return plan, nil
}

// Apply replaces the change's VMstore's IP list with the planned one.
func (t *dataIPTask) Apply(ctx context.Context, env *runner.Env, ch runner.Change) error {
	var after []tintri.ApplianceIp
	if err := json.Unmarshal(ch.After, &after); err != nil {
		return fmt.Errorf("vmstore %s: decode planned ips: %w", ch.Server, err)
	}
	c, err := applianceClient(ctx, env, ch.Server)
	if err != nil {
		return err
	}
	a := tintri.Appliance{TypeID: tintri.TypeAppliance, ConfigIPs: after}
	if err := c.UpdateAppliance(ctx, a, tintri.PropConfigIPs); err != nil {
		return fmt.Errorf("vmstore %s: update ips: %w", ch.Server, err)
	}
	return nil
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

// dataIPDiff computes the IP list a VMstore gets: non-data entries as they are, data entries
// added or corrected from want, and (exact) removed when not wanted. It returns nil details
// when nothing changes, and an error when the change must be refused.
func dataIPDiff(cur []tintri.ApplianceIp, want []dataIPRow, exact bool, conn dataIPConn) ([]tintri.ApplianceIp, []string, error) {
	wanted := map[netip.Addr]dataIPRow{}
	for _, r := range want {
		wanted[r.Addr.Addr()] = r
	}
	var after []tintri.ApplianceIp
	var details []string
	bond := ""
	present := map[netip.Addr]bool{}
	for _, ip := range cur {
		if ip.ServiceType != tintri.ServiceTypeData {
			if a, err := dataIPEntryAddr(ip); err == nil {
				if w, ok := wanted[a]; ok {
					return nil, nil, fmt.Errorf("%s is already the appliance's %s IP", w.Addr.Addr(), ip.ServiceType)
				}
			}
			after = append(after, ip)
			continue
		}
		have, err := dataIPFromEntry(ip)
		if err != nil {
			return nil, nil, err
		}
		if bond == "" {
			bond = ip.NetworkBond
		}
		addr := have.Addr.Addr()
		present[addr] = true
		w, ok := wanted[addr]
		switch {
		case ok && w.sameConfig(have):
			after = append(after, ip)
		case ok:
			if conn.touches(ip, addr) {
				return nil, nil, fmt.Errorf("refusing to change the data IP %s this runner connects through", addr)
			}
			after = append(after, dataIPEntry(w, ip))
			details = append(details, fmt.Sprintf("~ %s → %s", have, w))
		case exact:
			if conn.touches(ip, addr) {
				return nil, nil, fmt.Errorf("refusing to remove the data IP %s this runner connects through", addr)
			}
			details = append(details, fmt.Sprintf("- %s", have))
		default:
			after = append(after, ip)
		}
	}
	for _, w := range want {
		if present[w.Addr.Addr()] {
			continue
		}
		after = append(after, dataIPEntry(w, tintri.ApplianceIp{NetworkBond: bond}))
		details = append(details, fmt.Sprintf("+ %s", w))
	}
	if len(details) == 0 {
		return nil, nil, nil
	}
	return after, details, nil
}

// dataIPEntryAddr returns the address of an IP entry of any service type.
func dataIPEntryAddr(ip tintri.ApplianceIp) (netip.Addr, error) {
	if ip.IPCidr != "" {
		p, err := netip.ParsePrefix(ip.IPCidr)
		return p.Addr(), err
	}
	return netip.ParseAddr(ip.IP)
}

// dataIPFromEntry normalises an appliance's data IP entry (ipCidr, or the deprecated ip and
// netmask) for comparison. Unlike the task's rows, the appliance's own values are taken as
// they are once the address and prefix can be read: a gateway outside the subnet (the
// reference's own sample pairs an IPv6 address with an IPv4 gateway) or an unusual vlanId
// only makes the entry differ from a row listing its address, so that row corrects it. An
// unspecified gateway (0.0.0.0 or ::) is no gateway, and vlanId "0" is untagged.
func dataIPFromEntry(ip tintri.ApplianceIp) (dataIPRow, error) {
	addrText, maskText := ip.IP, ip.Netmask
	if ip.IPCidr != "" {
		a, m, ok := strings.Cut(ip.IPCidr, "/")
		if !ok {
			return dataIPRow{}, fmt.Errorf("cannot read the appliance's data IP %q: no prefix length", ip.IPCidr)
		}
		addrText, maskText = a, m
	}
	addr, err := netip.ParseAddr(addrText)
	if err != nil {
		return dataIPRow{}, fmt.Errorf("cannot read the appliance's data IP %q: %w", addrText, err)
	}
	addr = addr.Unmap().WithZone("")
	var maskErr string
	pfx, ok := parseDataIPMask(addr, maskText, func(_ int, _, format string, args ...any) {
		maskErr = fmt.Sprintf(format, args...)
	})
	if !ok {
		return dataIPRow{}, fmt.Errorf("cannot read the appliance's data IP %s: %s", addr, maskErr)
	}
	row := dataIPRow{Addr: pfx, VLAN: ip.VlanID, Jumbo: ip.IsJumboFrameEnabled}
	if v, ok := parseDataIPVLAN(ip.VlanID); ok {
		row.VLAN = v
	} else if ip.VlanID == "0" {
		row.VLAN = dataIPUntagged
	}
	if ip.Gateway != "" {
		gw, err := netip.ParseAddr(ip.Gateway)
		if err != nil {
			return dataIPRow{}, fmt.Errorf("cannot read the gateway %q of the appliance's data IP %s: %w", ip.Gateway, addr, err)
		}
		if gw = gw.Unmap().WithZone(""); !gw.IsUnspecified() {
			row.Gateway = gw
		}
	}
	return row, nil
}

// dataIPEntry returns base (hostname, bond, submount kept) configured as row.
func dataIPEntry(row dataIPRow, base tintri.ApplianceIp) tintri.ApplianceIp {
	e := base
	e.TypeID = tintri.TypeApplianceIp
	e.ServiceType = tintri.ServiceTypeData
	e.IP, e.Netmask = "", ""
	e.IPCidr = row.Addr.String()
	e.Gateway = ""
	if row.Gateway.IsValid() {
		e.Gateway = row.Gateway.String()
	}
	e.VlanID = row.VLAN
	e.IsJumboFrameEnabled = row.Jumbo
	return e
}

// dataIPCounts summarises details as "1 to add, 1 to change, 2 to remove".
func dataIPCounts(details []string) string {
	n := map[byte]int{}
	for _, d := range details {
		n[d[0]]++
	}
	var parts []string
	for _, k := range []struct {
		sign byte
		verb string
	}{{'+', "add"}, {'~', "change"}, {'-', "remove"}} {
		if n[k.sign] > 0 {
			parts = append(parts, fmt.Sprintf("%d to %s", n[k.sign], k.verb))
		}
	}
	return strings.Join(parts, ", ")
}

// dataIPDisplay names a VMstore in messages: "vmstore-0 (127.0.0.1:8443)".
func dataIPDisplay(key, alias string) string {
	if alias == "" || alias == key {
		return key
	}
	return fmt.Sprintf("%s (%s)", alias, key)
}

// dataIPNames lists the targets' names for an unknown-VMstore message.
func dataIPNames(members []string, got []dataIPTarget) []string {
	names := make([]string, len(members))
	for i, key := range members {
		names[i] = dataIPDisplay(key, got[i].alias)
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
