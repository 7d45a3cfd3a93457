package sim

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Service groups are defined on the TGC. A VMstore defines none of its own: its
// /v310/servicegroup page is empty and every group id is unknown there.

// groupOn returns the group named by the request's {id} if this server has it; else it
// answers 404 ERR-API-8001 and returns nil. The caller holds st.mu.
func (srv *server) groupOn(w http.ResponseWriter, r *http.Request) *groupRec {
	id := r.PathValue("id")
	var g *groupRec
	if srv.isTGC() {
		g = srv.sim.st.groupByID(id)
	}
	if g == nil {
		notFound(w, "service group %s", id)
	}
	return g
}

// handleGroupList serves GET /api/v310/servicegroup: a Page of ServiceGroup; name filters
// by case-insensitive contains.
func (srv *server) handleGroupList(w http.ResponseWriter, r *http.Request) {
	pr, ok := parsePage(w, r)
	if !ok {
		return
	}
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var groups []*groupRec
	if srv.isTGC() {
		groups = st.groups
	}
	var match []*groupRec
	for _, g := range groups {
		if n := pr.query.Get("name"); n == "" || matchesName(g.name, n) {
			match = append(match, g)
		}
	}
	writeJSON(w, http.StatusOK, page(pr, match, len(groups), func(g *groupRec) json.RawMessage { return mustRaw(st.groupDTO(g)) }))
}

// handleGroupGet serves GET /api/v310/servicegroup/{id}; 404 ERR-API-8001 when unknown.
func (srv *server) handleGroupGet(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	writeJSON(w, http.StatusOK, st.groupDTO(g))
}

// handleGroupMembers serves GET /api/v310/servicegroup/{id}/members: a Page of
// ServiceGroupMember, as the reference says.
func (srv *server) handleGroupMembers(w http.ResponseWriter, r *http.Request) {
	pr, ok := parsePage(w, r)
	if !ok {
		return
	}
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	members := st.membersDTO(g)
	writeJSON(w, http.StatusOK, page(pr, members, len(members), func(m tintri.ServiceGroupMember) json.RawMessage { return mustRaw(m) }))
}

// handleGroupStatic serves PUT /api/v310/servicegroup/{id}/members/static (TGC only) with a
// CollectionChangeRequest, whose objectIdsAdded and objectIdsRemoved may each be one uuid
// (as the vendor's add-VMs example sends, one PUT per VM). As the reference says, deleted or
// non-existent members are ignored; adding a member twice or removing a non-member changes
// nothing.
func (srv *server) handleGroupStatic(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ObjectIdsAdded   oneOrMany[string] `json:"objectIdsAdded"`
		ObjectIdsRemoved oneOrMany[string] `json:"objectIdsRemoved"`
	}
	if !decodeBody(w, r, tintri.TypeCollectionChangeRequest, &req) {
		return
	}
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	members := make(map[string]bool, len(g.static)+len(req.ObjectIdsAdded))
	for _, id := range g.static {
		members[id] = true
	}
	for _, id := range req.ObjectIdsAdded {
		if st.vms[id] != nil && !members[id] {
			members[id] = true
			g.static = append(g.static, id)
		}
	}
	removed := make(map[string]bool, len(req.ObjectIdsRemoved))
	for _, id := range req.ObjectIdsRemoved {
		removed[id] = true
	}
	g.static = slices.DeleteFunc(g.static, func(id string) bool { return removed[id] })
	st.groupsChanged()
	writeNoContent(w)
}

// handleGroupQoSGet serves GET /api/v310/servicegroup/{id}/qosConfig (TGC only).
func (srv *server) handleGroupQoSGet(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	writeJSON(w, http.StatusOK, g.qos)
}

// handleGroupQoSPut serves PUT /api/v310/servicegroup/{id}/qosConfig (TGC only): replaces
// the group's QoS; members change only when it is applied (POST …/qos).
func (srv *server) handleGroupQoSPut(w http.ResponseWriter, r *http.Request) {
	var q tintri.VirtualMachineQoSConfig
	if !decodeBody(w, r, tintri.TypeQoSConfig, &q) {
		return
	}
	if !validQoSRange(w, q) {
		return
	}
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	g.qos = tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig}
	applyQoS(&g.qos, q, qosProps)
	writeNoContent(w)
}

// handleGroupQoSApply serves POST /api/v310/servicegroup/{id}/qos (TGC only): every member
// VM takes the group's min and max IOPS with inheritance enabled.
func (srv *server) handleGroupQoSApply(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	g := srv.groupOn(w, r)
	if g == nil {
		return
	}
	from := g.qos
	from.InheritanceEnabled = true
	for _, id := range g.static {
		if v := st.vms[id]; v != nil {
			applyQoS(&v.qos, from, qosProps)
		}
	}
	writeNoContent(w)
}

// handleVMstoreList serves GET /api/v310/vmstore (TGC only): List<VmStore>.
func (srv *server) handleVMstoreList(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	writeJSON(w, http.StatusOK, srv.sim.vmstoreDTOs())
}
