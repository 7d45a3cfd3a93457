package sim

import (
	"slices"
	"strings"
	"sync"
)

// index keeps what listing requests would otherwise recompute for every page of a large
// inventory: each server's VMs sorted by name, and the groups each VM is a static member
// of. Both are built on first use and dropped by every change of what they index
// (vmsChanged, groupsChanged), which happens with state.mu held for writing; readers hold
// it for reading and build a missing entry under mu, so that a page costs time
// proportional to the page rather than to the inventory.
type index struct {
	mu       sync.Mutex
	sorted   map[int][]*vmRec       // by VMstore index, -1 for every VM
	memberOf map[string][]*groupRec // by VM uuid, in group order
}

// vmsChanged drops what depends on the VM list. The caller holds st.mu for writing.
func (st *state) vmsChanged() { st.idx.sorted = nil }

// groupsChanged drops what depends on group membership. The caller holds st.mu for writing.
func (st *state) groupsChanged() { st.idx.memberOf = nil }

// sortedVMs returns the VMs held by store (all when store < 0), sorted by name then uuid.
// The slice is shared until the inventory changes: callers must not modify it. The caller
// holds st.mu.
func (st *state) sortedVMs(store int) []*vmRec {
	st.idx.mu.Lock()
	defer st.idx.mu.Unlock()
	if out, ok := st.idx.sorted[max(store, -1)]; ok {
		return out
	}
	out := make([]*vmRec, 0, len(st.vms))
	for _, v := range st.vms {
		if store < 0 || v.store == store {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b *vmRec) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return strings.Compare(a.uuid, b.uuid)
	})
	out = slices.Clip(out)
	if st.idx.sorted == nil {
		st.idx.sorted = map[int][]*vmRec{}
	}
	st.idx.sorted[max(store, -1)] = out
	return out
}

// groupsOf returns the groups a VM is a static member of, in group order. The slice is
// shared: callers must not modify it. The caller holds st.mu.
func (st *state) groupsOf(vmID string) []*groupRec {
	st.idx.mu.Lock()
	defer st.idx.mu.Unlock()
	if st.idx.memberOf == nil {
		st.idx.memberOf = map[string][]*groupRec{}
		for _, g := range st.groups {
			for _, id := range g.static {
				if gs := st.idx.memberOf[id]; len(gs) == 0 || gs[len(gs)-1] != g {
					st.idx.memberOf[id] = append(gs, g)
				}
			}
		}
	}
	return st.idx.memberOf[vmID]
}
