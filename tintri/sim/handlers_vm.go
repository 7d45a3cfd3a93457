package sim

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// tgcOnlyVMFilters are the VirtualMachineFilterSpec parameters the reference marks TgcOnly.
var tgcOnlyVMFilters = []string{"serviceGroupIds", "affinityRuleTypes"}

// vmFilter is the part of VirtualMachineFilterSpec that GET /api/v310/vm honours.
type vmFilter struct {
	pr                    pageReq
	order                 sortSpec
	name                  string
	groups, rules, fields []string
	notLive               bool // live=FALSE: every simulated VM is live, so none matches
}

// parseVMFilter reads the filter. It answers 400 and returns false for the TgcOnly filters on
// a VMstore (ERR-API-0005, rather than answering every VM), an unknown affinityRuleTypes value
// (ERR-API-0203), a live value other than TRUE, FALSE or BOTH or an unsupported sortedBy
// or sortOrder (ERR-API-4003), and a listing without includeFields when
// Options.RequireFields is set (ERR-API-0203).
func (srv *server) parseVMFilter(w http.ResponseWriter, r *http.Request) (vmFilter, bool) {
	var f vmFilter
	var ok bool
	if f.pr, f.order, ok = parseList(w, r, srv.vmSortKeys()); !ok {
		return f, false
	}
	q := f.pr.query
	if !srv.isTGC() {
		for _, name := range tgcOnlyVMFilters {
			if len(multi(q, name)) > 0 {
				writeError(w, http.StatusBadRequest, codeNotSupported, "Request not supported.", "filter "+name+" is served by a Tintri Global Center only")
				return f, false
			}
		}
	}
	f.name, f.groups, f.rules, f.fields = q.Get("name"), multi(q, "serviceGroupIds"), multi(q, "affinityRuleTypes"), multi(q, "includeFields")
	if len(f.fields) == 0 && srv.sim.opts.RequireFields {
		badRequest(w, "includeFields is required: this simulator checks that clients list only the fields they read")
		return f, false
	}
	for _, rt := range f.rules {
		if rt != "NONE" && rt != tintri.AffinityNever && rt != tintri.AffinityExcludeDatastores {
			badRequest(w, "affinityRuleTypes: unknown value %q", rt)
			return f, false
		}
	}
	switch live := q.Get("live"); strings.ToUpper(live) {
	case "", "TRUE", "BOTH":
	case "FALSE":
		f.notLive = true
	default:
		badQuery(w, "live=%q is not TRUE, FALSE or BOTH", live)
		return f, false
	}
	return f, true
}

// matches reports whether v passes the filter. The caller holds st.mu.
func (f vmFilter) matches(st *state, v *vmRec) bool {
	if f.notLive || (f.name != "" && !matchesName(v.name, f.name)) {
		return false
	}
	if len(f.groups) > 0 && !slices.ContainsFunc(st.groupsOf(v.uuid), func(g *groupRec) bool { return slices.Contains(f.groups, g.uuid) }) {
		return false
	}
	if len(f.rules) == 0 {
		return true
	}
	rt := "NONE"
	if v.affinity != nil {
		rt = v.affinity.RuleType
	}
	return slices.Contains(f.rules, rt)
}

// filter returns the VMs of all (sorted by name) that pass the filter, in the order it asks.
// Unfiltered and by name, it returns all itself, so that a page costs its own size rather
// than the inventory's; all, shared, is never modified. The caller holds st.mu.
func (f vmFilter) filter(st *state, all []*vmRec) []*vmRec {
	filtered := f.notLive || f.name != "" || len(f.groups) > 0 || len(f.rules) > 0
	if !filtered && !f.order.desc && (f.order.by == "" || f.order.by == "name" || f.order.by == "vmware.name") {
		return all
	}
	var match []*vmRec
	for _, v := range all {
		if f.matches(st, v) {
			match = append(match, v)
		}
	}
	st.sortVMs(match, f.order)
	return match
}

// handleVMList serves GET /api/v310/vm: the TGC pages over every VM, a VMstore over its own,
// by name unless sortedBy names another key (vmSortKeys), in sortOrder. Filters (vmFilter):
// name (case-insensitive contains), serviceGroupIds, affinityRuleTypes (NONE, NEVER,
// EXCLUDE_DATASTORES), live and includeFields.
func (srv *server) handleVMList(w http.ResponseWriter, r *http.Request) {
	f, ok := srv.parseVMFilter(w, r)
	if !ok {
		return
	}
	st := srv.sim.st
	st.mu.RLock()
	all := st.sortedVMs(srv.index)
	withStat := len(f.fields) == 0 || slices.Contains(f.fields, "stat")
	p := page(f.pr, f.filter(st, all), len(all), func(v *vmRec) tintri.VirtualMachine {
		item := st.vmDTO(v, srv.isTGC(), withStat)
		if len(f.fields) > 0 {
			item = trimFields(item, f.fields)
		}
		return item
	})
	st.mu.RUnlock()
	writeJSON(w, http.StatusOK, p)
}

// VM sortedBy keys: the VM's name, on the TGC its vmstoreName, and every numeric field of
// its stat, e.g. spaceUsedGiB or latencyTotalMs.
var (
	vmStoreSortKeys = append([]string{"name", "vmware.name"}, slices.Sorted(slices.Values(tintri.VMStatFields))...)
	tgcVMSortKeys   = slices.Insert(slices.Clone(vmStoreSortKeys), 2, "vmstoreName")
)

// vmSortKeys are the sortedBy values GET /api/v310/vm honours on this server.
func (srv *server) vmSortKeys() []string {
	if srv.isTGC() {
		return tgcVMSortKeys
	}
	return vmStoreSortKeys
}

// sortVMs orders vms, sorted by name, as sp asks: stably by the sortedBy key (names break
// ties), then reversed for DESC. The caller holds st.mu.
func (st *state) sortVMs(vms []*vmRec, sp sortSpec) {
	switch sp.by {
	case "", "name", "vmware.name":
	case "vmstoreName":
		slices.SortStableFunc(vms, func(a, b *vmRec) int {
			return strings.Compare(st.stores[a.store].hostname, st.stores[b.store].hostname)
		})
	default:
		type keyed struct {
			v *vmRec
			k float64
		}
		ks := make([]keyed, len(vms))
		for i, v := range vms {
			s, _ := st.baseStat(v)
			ks[i] = keyed{v, statValue(&s, sp.by)}
		}
		slices.SortStableFunc(ks, func(a, b keyed) int { return cmp.Compare(a.k, b.k) })
		for i := range ks {
			vms[i] = ks[i].v
		}
	}
	if sp.desc {
		slices.Reverse(vms)
	}
}

// vmOn returns the VM with that uuid if this server serves it; else it answers 404
// ERR-API-8001 and returns nil. The caller holds st.mu.
func (srv *server) vmOn(w http.ResponseWriter, id string) *vmRec {
	v := srv.sim.st.vms[id]
	if v == nil || (!srv.isTGC() && v.store != srv.index) {
		notFound(w, "VM %s", id)
		return nil
	}
	return v
}

// handleVMGet serves GET /api/v310/vm/{id}; 404 ERR-API-8001 for a VM this server lacks.
func (srv *server) handleVMGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	v := srv.vmOn(w, id)
	if v == nil {
		return
	}
	writeJSON(w, http.StatusOK, st.vmDTO(v, srv.isTGC(), true))
}

// handleVMAffinity serves PUT /api/v310/vm/{id}/affinity (TGC only): NEVER takes no VMstores,
// EXCLUDE_DATASTORES a non-empty list of known VMstore uuids, a rule without ruleType clears.
// 404 ERR-API-8001 for an unknown VM, 400 ERR-API-3128 for an invalid rule.
func (srv *server) handleVMAffinity(w http.ResponseWriter, r *http.Request) {
	// The reference types vmstoreTintriUuids as <String>; clients send lists.
	var in struct {
		RuleType           string            `json:"ruleType"`
		VmstoreTintriUuids oneOrMany[string] `json:"vmstoreTintriUuids"`
		RecommendationUuid string            `json:"recommendationUuid"`
	}
	if !decodeBody(w, r, tintri.TypeAffinityRule, &in) {
		return
	}
	stores := dedupe(in.VmstoreTintriUuids)
	id := r.PathValue("id")
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	v := srv.vmOn(w, id)
	if v == nil {
		return
	}
	switch in.RuleType {
	case "":
		if len(stores) > 0 {
			badAffinity(w, "a rule without ruleType clears the rule and takes no VMstores")
			return
		}
		v.affinity = nil
	case tintri.AffinityNever:
		if len(stores) > 0 {
			badAffinity(w, "NEVER rules must have an empty list of VMstores")
			return
		}
		v.affinity = &tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: in.RuleType, RecommendationUuid: in.RecommendationUuid}
	case tintri.AffinityExcludeDatastores:
		if len(stores) == 0 {
			badAffinity(w, "EXCLUDE_DATASTORES rules must have a nonempty list of valid VMstore UUIDs")
			return
		}
		for _, u := range stores {
			if !slices.ContainsFunc(st.stores, func(s *storeRec) bool { return s.uuid == u }) {
				badAffinity(w, "unknown VMstore uuid %q", u)
				return
			}
		}
		v.affinity = &tintri.VirtualMachineAffinityRule{TypeID: tintri.TypeAffinityRule, RuleType: in.RuleType, VmstoreTintriUuids: stores, RecommendationUuid: in.RecommendationUuid}
	default:
		badAffinity(w, "unknown ruleType %q", in.RuleType)
		return
	}
	writeNoContent(w)
}

func badAffinity(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeBadAffinity, "Invalid affinity rule.", sprintf(format, args...))
}

// qosProps are the VirtualMachineQoSConfig properties PUT /api/v310/vm/qosConfig sets.
var qosProps = []string{"minNormalizedIops", "maxNormalizedIops", "inheritanceEnabled"}

// handleVMQoS serves PUT /api/v310/vm/qosConfig (VMstore only, since v310.21):
// MultipleSelectionRequest<VirtualMachineQoSConfig>; ids and propertyNames may be one string.
// propertyNames default to the min and max IOPS. 400 ERR-API-3109 for an invalid request, 404
// ERR-API-8001 for an unknown VM (nothing changes then).
func (srv *server) handleVMQoS(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDs           oneOrMany[string] `json:"ids"`
		NewValue      json.RawMessage   `json:"newValue"`
		PropertyNames oneOrMany[string] `json:"propertyNames"`
	}
	if !decodeBody(w, r, tintri.TypeMultipleSelectionRequest, &req) {
		return
	}
	var q tintri.VirtualMachineQoSConfig
	switch {
	case len(req.IDs) == 0:
		badQoS(w, "ids is empty")
		return
	case len(req.NewValue) == 0 || string(req.NewValue) == "null":
		badQoS(w, "newValue is missing")
		return
	}
	if err := json.Unmarshal(req.NewValue, &q); err != nil {
		badQoS(w, "newValue: %v", err)
		return
	}
	if q.TypeID != "" && q.TypeID != tintri.TypeQoSConfig {
		badQoS(w, "newValue typeId %q, want %q", q.TypeID, tintri.TypeQoSConfig)
		return
	}
	props := req.PropertyNames
	if len(props) == 0 {
		props = qosProps[:2]
	}
	for _, p := range props {
		if !slices.Contains(qosProps, p) {
			badQoS(w, "unknown property %q", p)
			return
		}
	}
	if !validQoSRange(w, q) {
		return
	}
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, id := range req.IDs {
		if srv.vmOn(w, id) == nil {
			return
		}
	}
	for _, id := range req.IDs {
		applyQoS(&st.vms[id].qos, q, props)
	}
	writeNoContent(w)
}

// applyQoS copies the named properties of from into to and refreshes the effective values.
func applyQoS(to *tintri.VirtualMachineQoSConfig, from tintri.VirtualMachineQoSConfig, props []string) {
	for _, p := range props {
		switch p {
		case "minNormalizedIops":
			to.MinNormalizedIops = from.MinNormalizedIops
		case "maxNormalizedIops":
			to.MaxNormalizedIops = from.MaxNormalizedIops
		case "inheritanceEnabled":
			to.InheritanceEnabled = from.InheritanceEnabled
		}
	}
	to.TypeID = tintri.TypeQoSConfig
	to.EffectiveMinNormalizedIops, to.EffectiveMaxNormalizedIops = to.MinNormalizedIops, to.MaxNormalizedIops
}

// validQoSRange checks that the IOPS bounds are not negative and min <= max when max is
// set; else it answers 400 ERR-API-3109 and returns false.
func validQoSRange(w http.ResponseWriter, q tintri.VirtualMachineQoSConfig) bool {
	if q.MinNormalizedIops < 0 || q.MaxNormalizedIops < 0 || (q.MaxNormalizedIops > 0 && q.MinNormalizedIops > q.MaxNormalizedIops) {
		badQoS(w, "invalid IOPS range min=%d max=%d", q.MinNormalizedIops, q.MaxNormalizedIops)
		return false
	}
	return true
}

func badQoS(w http.ResponseWriter, format string, args ...any) {
	writeError(w, http.StatusBadRequest, codeBadQoS, "Invalid update QoS settings request.", sprintf(format, args...))
}

// dedupe drops repeated strings, keeping the first occurrence of each.
func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
