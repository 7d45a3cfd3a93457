package tasks

import (
	"net/netip"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// dataIPDelta is a planned data_ip change as the data IPs it sets, by address: the entry
// it writes (nil: it removes the IP) and the entry the plan read (nil: there was none).
// Apply makes it on top of the VMstore's list as it is at write time (merge).
type dataIPDelta struct {
	order     []netip.Addr
	want, was map[netip.Addr]*tintri.ApplianceIp
}

// dataIPDeltaOf returns the data IPs whose configuration differs between a change's
// before and after lists.
func dataIPDeltaOf(before, after []tintri.ApplianceIp) (dataIPDelta, error) {
	was, beforeOrder, err := dataIPEntries(before)
	if err != nil {
		return dataIPDelta{}, err
	}
	want, order, err := dataIPEntries(after)
	if err != nil {
		return dataIPDelta{}, err
	}
	d := dataIPDelta{want: map[netip.Addr]*tintri.ApplianceIp{}, was: map[netip.Addr]*tintri.ApplianceIp{}}
	for _, a := range append(order, beforeOrder...) {
		if _, seen := d.want[a]; seen || dataIPSame(was[a], want[a]) {
			continue
		}
		d.order = append(d.order, a)
		d.want[a], d.was[a] = want[a], was[a]
	}
	return d, nil
}

// dataIPEntries indexes the data entries of ips by address, and lists the addresses in
// list order.
func dataIPEntries(ips []tintri.ApplianceIp) (map[netip.Addr]*tintri.ApplianceIp, []netip.Addr, error) {
	out := map[netip.Addr]*tintri.ApplianceIp{}
	var order []netip.Addr
	for i := range ips {
		if ips[i].ServiceType != tintri.ServiceTypeData {
			continue
		}
		row, err := dataIPFromEntry(ips[i])
		if err != nil {
			return nil, nil, err
		}
		a := row.Addr.Addr()
		out[a] = &ips[i]
		order = append(order, a)
	}
	return out, order, nil
}

// dataIPSame reports whether two data entries (nil: none) configure an IP alike.
func dataIPSame(x, y *tintri.ApplianceIp) bool {
	if x == nil || y == nil {
		return x == y
	}
	rx, errX := dataIPFromEntry(*x)
	ry, errY := dataIPFromEntry(*y)
	return errX == nil && errY == nil && rx.sameConfig(ry)
}

// dataIPShow describes a data entry (nil: none) in a stale error.
func dataIPShow(e *tintri.ApplianceIp) string {
	if e == nil {
		return "absent"
	}
	if row, err := dataIPFromEntry(*e); err == nil {
		return row.String()
	}
	return e.IPCidr + e.IP
}

// merge returns cur with the delta made: nil when cur has it already, a stale error when
// an IP of the delta is neither as planned from nor as planned to. Entries keep cur's
// order; added ones come last, in the plan's order.
func (d dataIPDelta) merge(cur []tintri.ApplianceIp) (*[]tintri.ApplianceIp, error) {
	have, _, err := dataIPEntries(cur)
	if err != nil {
		return nil, err
	}
	todo := map[netip.Addr]bool{}
	for _, a := range d.order {
		switch {
		case dataIPSame(have[a], d.want[a]):
		case dataIPSame(have[a], d.was[a]):
			todo[a] = true
		default:
			return nil, stale("the data IP "+a.String(), dataIPShow(have[a]), dataIPShow(d.was[a]))
		}
	}
	if len(todo) == 0 {
		return nil, nil
	}
	next := make([]tintri.ApplianceIp, 0, len(cur)+len(todo))
	for _, ip := range cur {
		row, err := dataIPFromEntry(ip)
		a := row.Addr.Addr()
		if ip.ServiceType != tintri.ServiceTypeData || err != nil || !todo[a] {
			next = append(next, ip)
			continue
		}
		if w := d.want[a]; w != nil {
			next = append(next, *w)
		}
		delete(todo, a)
	}
	for _, a := range d.order {
		if todo[a] && d.want[a] != nil {
			next = append(next, *d.want[a])
		}
	}
	return &next, nil
}
