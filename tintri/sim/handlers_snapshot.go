package sim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// snapshotQueryTypes are the queryType values GET /api/v310/snapshot honours: both list
// snapshots oldest first (TOP_DOCS_BY_TIME with limit=1 is how the vendor's example finds the
// oldest one). The other values of the enum are refused rather than ignored.
var snapshotQueryTypes = []string{"TOP_DOCS_BY_TIME", "OFFSET_BY_SEQUENCE"}

// snapshotFilter is the part of SnapshotFilterSpec GET /api/v310/snapshot honours.
type snapshotFilter struct {
	vmUUID      string
	types       []string
	consistency []string
	order       sortSpec
	pr          pageReq
}

// parseSnapshotFilter reads the filter; it answers 400 ERR-API-4003 and returns false for a
// value it does not support, and on the TGC for a missing vmUuid (the reference: "TGC supports
// fetching snapshots by VM only").
func (srv *server) parseSnapshotFilter(w http.ResponseWriter, r *http.Request) (snapshotFilter, bool) {
	var f snapshotFilter
	var ok bool
	if f.pr, f.order, ok = parseList(w, r, []string{"createTime"}); !ok {
		return f, false
	}
	q := f.pr.query
	f.vmUUID, f.types, f.consistency = q.Get("vmUuid"), multi(q, "type"), multi(q, "consistency")
	if srv.isTGC() && f.vmUUID == "" {
		badQuery(w, "vmUuid is mandatory on a Tintri Global Center")
		return f, false
	}
	for _, c := range []struct {
		name    string
		values  []string
		allowed []string
	}{
		{"type", f.types, snapshotTypes},
		{"consistency", f.consistency, snapshotConsistencies},
		{"queryType", multi(q, "queryType"), snapshotQueryTypes},
	} {
		for _, v := range c.values {
			if !slices.Contains(c.allowed, v) {
				badQuery(w, "%s=%q is not supported; supported: %s", c.name, v, strings.Join(c.allowed, ", "))
				return f, false
			}
		}
	}
	return f, true
}

// handleSnapshotList serves GET /api/v310/snapshot: a Page of Snapshot, oldest first (newest
// first with sortOrder=DESC), of one VM (vmUuid, mandatory on the TGC) or of every VM of a
// VMstore, filtered by type and consistency.
func (srv *server) handleSnapshotList(w http.ResponseWriter, r *http.Request) {
	f, ok := srv.parseSnapshotFilter(w, r)
	if !ok {
		return
	}
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	var all []*snapRec
	if f.vmUUID != "" {
		if v := st.vms[f.vmUUID]; v != nil && (srv.isTGC() || v.store == srv.index) {
			all = v.snaps
		}
	} else {
		all = st.storeSnapshots(srv.index)
	}
	match := make([]*snapRec, 0, len(all))
	for _, sn := range all {
		if (len(f.types) == 0 || slices.Contains(f.types, sn.typ)) &&
			(len(f.consistency) == 0 || slices.Contains(f.consistency, sn.consistency)) {
			match = append(match, sn)
		}
	}
	if f.order.desc {
		slices.Reverse(match)
	}
	writeJSON(w, http.StatusOK, page(f.pr, match, len(all), func(sn *snapRec) json.RawMessage {
		return mustRaw(st.snapshotDTO(sn, srv.isTGC()))
	}))
}

// snapshotOn returns the snapshot named by the request's {id} if this VMstore holds it; else
// it answers 404 ERR-API-8001 and returns nil. The caller holds st.mu.
func (srv *server) snapshotOn(w http.ResponseWriter, r *http.Request) *snapRec {
	id := r.PathValue("id")
	sn := srv.sim.st.stores[srv.index].snaps[id]
	if sn == nil {
		notFound(w, "snapshot %s", id)
	}
	return sn
}

// handleSnapshotGet serves GET /api/v310/snapshot/{id} (VMstore only).
func (srv *server) handleSnapshotGet(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	if sn := srv.snapshotOn(w, r); sn != nil {
		writeJSON(w, http.StatusOK, st.snapshotDTO(sn, false))
	}
}

// snapshotSpecIn is a SnapshotSpec as received: retentionMinutes absent and 0 differ.
type snapshotSpecIn struct {
	TypeID             string `json:"typeId"`
	Consistency        string `json:"consistency"`
	RetentionMinutes   *int   `json:"retentionMinutes"`
	SnapshotName       string `json:"snapshotName"`
	SourceVMTintriUUID string `json:"sourceVmTintriUUID"`
}

// handleSnapshotCreate serves POST /api/v310/snapshot (VMstore only) with a list of
// SnapshotSpec (or one): 200 and the JSON list of the new snapshots' uuids, in order. 400
// ERR-API-3105 for an empty list, a VM this VMstore lacks, a consistency outside the enum, a
// retentionMinutes other than -1 or 60 and more, or a VM that would exceed 128 snapshots;
// nothing is created then.
func (srv *server) handleSnapshotCreate(w http.ResponseWriter, r *http.Request) {
	var specs oneOrMany[snapshotSpecIn]
	if !decodeBody(w, r, "", &specs) {
		return
	}
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(specs) == 0 {
		badSnapshot(w, "no SnapshotSpec")
		return
	}
	recs := make([]*snapRec, len(specs))
	added := map[*vmRec]int{}
	for i, sp := range specs {
		v := st.vms[sp.SourceVMTintriUUID]
		ret := -1
		if sp.RetentionMinutes != nil {
			ret = *sp.RetentionMinutes
		}
		consistency := cmp.Or(sp.Consistency, tintri.ConsistencyCrash)
		var msg string
		switch {
		case sp.TypeID != "" && sp.TypeID != tintri.TypeSnapshotSpec:
			msg = sprintf("typeId %q, want %q", sp.TypeID, tintri.TypeSnapshotSpec)
		case v == nil || v.store != srv.index:
			msg = sprintf("sourceVmTintriUUID %q is not a VM of this VMstore", sp.SourceVMTintriUUID)
		case !slices.Contains(snapshotConsistencies, consistency):
			msg = sprintf("consistency %q is not one of %s", sp.Consistency, strings.Join(snapshotConsistencies, ", "))
		case ret != -1 && ret < 60:
			msg = sprintf("retentionMinutes %d: want -1 or at least 60", ret)
		case len(v.snaps)+added[v] >= maxSnapshotsPerVM:
			msg = sprintf("VM %s already has %d snapshots", v.name, maxSnapshotsPerVM)
		}
		if msg != "" {
			badSnapshot(w, "SnapshotSpec %d: %s", i, msg)
			return
		}
		added[v]++
		recs[i] = &snapRec{
			vm: v, name: sp.SnapshotName, typ: tintri.SnapshotUserGenerated, consistency: consistency,
			created: srv.sim.opts.Clock(), retention: ret, creator: srv.sim.opts.Username,
		}
	}
	ids := make([]string, len(recs))
	for i, sn := range recs {
		st.addSnapshot(sn)
		ids[i] = sn.uuid
	}
	writeJSON(w, http.StatusOK, ids)
}

func badSnapshot(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeBadSnapshot, "Invalid create snapshot request.", sprintf(format, args...))
}

// handleSnapshotDelete serves DELETE /api/v310/snapshot/{id} (VMstore only): 200 and a JSON
// string. 404 ERR-API-8001 for a snapshot this VMstore lacks; 500 ERR-API-3107 for one that
// clones still use (cloneReferenceCount > 0), which stays.
func (srv *server) handleSnapshotDelete(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	sn := srv.snapshotOn(w, r)
	switch {
	case sn == nil:
	case sn.clones > 0:
		writeError(w, http.StatusInternalServerError, codeDeleteSnapshot, "Delete snapshot failed.",
			sprintf("snapshot %s has %d clone references", sn.uuid, sn.clones))
	default:
		st.deleteSnapshot(sn)
		writeJSON(w, http.StatusOK, "Deleted snapshot "+sn.uuid)
	}
}

// handleSnapshotDeleteVM serves DELETE /api/v310/snapshot?vmUuid=… (VMstore only): deletes
// every snapshot of the VM, answering 200 and a JSON string. 400 ERR-API-4003 without vmUuid
// or for a VM this VMstore lacks; 500 ERR-API-3129 when snapshots with clone references
// remain (the others are deleted).
func (srv *server) handleSnapshotDeleteVM(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("vmUuid")
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	v := st.vms[id]
	if v == nil || v.store != srv.index {
		badQuery(w, "vmUuid=%q: want the uuid of a VM of this VMstore", id)
		return
	}
	var kept []string
	deleted := 0
	for _, sn := range slices.Clone(v.snaps) {
		if sn.clones > 0 {
			kept = append(kept, sn.uuid)
			continue
		}
		st.deleteSnapshot(sn)
		deleted++
	}
	if len(kept) > 0 {
		writeError(w, http.StatusInternalServerError, codeDeleteAll, "Failed to delete all snapshots.",
			sprintf("deleted %d; kept %s, which clones still use", deleted, strings.Join(kept, ", ")))
		return
	}
	writeJSON(w, http.StatusOK, sprintf("Deleted %d snapshots of VM %s", deleted, v.uuid))
}
