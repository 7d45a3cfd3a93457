package tasks

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// The part of a data_ip plan that turns a VMstore's rows into its new IP list, and refuses
// the changes that would cut the runner off.

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
func dataIPConnOf(ctx context.Context, c *tintri.Reader) dataIPConn {
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

// dataIPDiff computes the IP list a VMstore gets: non-data entries as they are, data entries
// added or corrected from want, and (exact) removed when not wanted. It returns nil details
// when nothing changes, and an error when the change must be refused.
func dataIPDiff(cur []tintri.ApplianceIp, want []dataIPRow, exact bool, conn dataIPConn) ([]tintri.ApplianceIp, []string, []netip.Addr, error) {
	wanted := map[netip.Addr]dataIPRow{}
	for _, r := range want {
		wanted[r.Addr.Addr()] = r
	}
	var after []tintri.ApplianceIp
	var details []string
	var changed []netip.Addr
	bond := ""
	present := map[netip.Addr]bool{}
	for _, ip := range cur {
		if ip.ServiceType != tintri.ServiceTypeData {
			if a, err := dataIPEntryAddr(ip); err == nil {
				if w, ok := wanted[a]; ok {
					return nil, nil, nil, fmt.Errorf("%s is already the appliance's %s IP", w.Addr.Addr(), ip.ServiceType)
				}
			}
			after = append(after, ip)
			continue
		}
		have, err := dataIPFromEntry(ip)
		if err != nil {
			return nil, nil, nil, err
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
				return nil, nil, nil, fmt.Errorf("refusing to change the data IP %s this runner connects through", addr)
			}
			after = append(after, dataIPEntry(w, ip))
			details = append(details, fmt.Sprintf("~ %s → %s", have, w))
			changed = append(changed, addr)
		case exact:
			if conn.touches(ip, addr) {
				return nil, nil, nil, fmt.Errorf("refusing to remove the data IP %s this runner connects through", addr)
			}
			details = append(details, fmt.Sprintf("- %s", have))
			changed = append(changed, addr)
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
		changed = append(changed, w.Addr.Addr())
	}
	if len(details) == 0 {
		return nil, nil, nil, nil
	}
	return after, details, changed, nil
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
