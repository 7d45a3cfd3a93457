package sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// tgcOnlyVMFilters are the VirtualMachineFilterSpec parameters the reference marks TgcOnly.
var tgcOnlyVMFilters = []string{"serviceGroupIds", "affinityRuleTypes"}

// handleVMList serves GET /api/v310/vm: the TGC pages over every VM, a VMstore over its own.
// Filters (VirtualMachineFilterSpec): name (case-insensitive contains), serviceGroupIds,
// affinityRuleTypes (NONE, NEVER, EXCLUDE_DATASTORES) and includeFields. A VMstore refuses
// the TgcOnly filters (400 ERR-API-0005) rather than answering every VM.
func (srv *server) handleVMList(w http.ResponseWriter, r *http.Request) {
	pr, ok := parsePage(w, r)
	if !ok {
		return
	}
	if !srv.isTGC() {
		for _, f := range tgcOnlyVMFilters {
			if len(multi(pr.query, f)) > 0 {
				writeError(w, http.StatusBadRequest, codeNotSupported, "Request not supported.", "filter "+f+" is served by a Tintri Global Center only")
				return
			}
		}
	}
	name := pr.query.Get("name")
	groups := multi(pr.query, "serviceGroupIds")
	rules := multi(pr.query, "affinityRuleTypes")
	for _, rt := range rules {
		if rt != "NONE" && rt != tintri.AffinityNever && rt != tintri.AffinityExcludeDatastores {
			badRequest(w, "affinityRuleTypes: unknown value %q", rt)
			return
		}
	}
	fields := multi(pr.query, "includeFields")

	st := srv.sim.st
	st.mu.RLock()
	all := st.sortedVMs(srv.index)
	match := all // unfiltered, a page costs its own size rather than the inventory's
	if name != "" || len(groups) > 0 || len(rules) > 0 {
		match = nil
		for _, v := range all {
			if name != "" && !matchesName(v.name, name) {
				continue
			}
			if len(groups) > 0 && !slices.ContainsFunc(st.groupsOf(v.uuid), func(g *groupRec) bool { return slices.Contains(groups, g.uuid) }) {
				continue
			}
			if len(rules) > 0 {
				rt := "NONE"
				if v.affinity != nil {
					rt = v.affinity.RuleType
				}
				if !slices.Contains(rules, rt) {
					continue
				}
			}
			match = append(match, v)
		}
	}
	p := page(pr, match, len(all), func(v *vmRec) tintri.VirtualMachine {
		item := st.vmDTO(v, srv.isTGC())
		if len(fields) > 0 {
			item = trimFields(item, fields)
		}
		return item
	})
	st.mu.RUnlock()
	writeJSON(w, http.StatusOK, p)
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
	writeJSON(w, http.StatusOK, st.vmDTO(v, srv.isTGC()))
}

// stringOrList decodes a JSON list of strings or a single string (the reference types
// vmstoreTintriUuids as <String>, clients send lists); null or "" is empty.
func stringOrList(raw json.RawMessage) ([]string, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return nil, nil
	}
	if strings.HasPrefix(s, "[") {
		var l []string
		if err := json.Unmarshal(raw, &l); err != nil {
			return nil, err
		}
		return l, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, err
	}
	if one == "" {
		return nil, nil
	}
	return []string{one}, nil
}

// handleVMAffinity serves PUT /api/v310/vm/{id}/affinity (TGC only): NEVER takes no VMstores,
// EXCLUDE_DATASTORES a non-empty list of known VMstore uuids, a rule without ruleType clears.
// 404 ERR-API-8001 for an unknown VM, 400 ERR-API-3128 for an invalid rule.
func (srv *server) handleVMAffinity(w http.ResponseWriter, r *http.Request) {
	var in struct {
		RuleType           string          `json:"ruleType"`
		VmstoreTintriUuids json.RawMessage `json:"vmstoreTintriUuids"`
		RecommendationUuid string          `json:"recommendationUuid"`
	}
	if !decodeBody(w, r, tintri.TypeAffinityRule, &in) {
		return
	}
	stores, err := stringOrList(in.VmstoreTintriUuids)
	if err != nil {
		badAffinity(w, "vmstoreTintriUuids: %v", err)
		return
	}
	stores = dedupe(stores)
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
// MultipleSelectionRequest<VirtualMachineQoSConfig>. propertyNames default to the min and
// max IOPS. 400 ERR-API-3109 for an invalid request, 404 ERR-API-8001 for an unknown VM
// (nothing changes then).
func (srv *server) handleVMQoS(w http.ResponseWriter, r *http.Request) {
	var req tintri.MultipleSelectionRequest
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
