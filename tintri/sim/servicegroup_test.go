package sim_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/tintri-jobs/tintri-jobs/tintri"
	"github.com/tintri-jobs/tintri-jobs/tintri/sim"
)

func TestServiceGroups(t *testing.T) {
	s := start(t, sim.Options{VMs: 40})
	tgc := login(t, s, s.TGCURL())
	groups := map[string]tintri.ServiceGroup{}
	for _, g := range s.ServiceGroups() {
		groups[g.Name] = g
	}
	empty, web := groups["Empty Group"], groups["Web Tier"]

	memberIDs := func(id string) []string {
		var p tintri.Page
		tgc.do("GET", "/api/v310/servicegroup/"+id+"/members", nil).decode(t, &p)
		var out []string
		for _, raw := range p.Items {
			var m tintri.ServiceGroupMember
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			if m.GroupID != id || !m.Static || m.MemberType != "VIRTUAL_MACHINE" || m.MemberName == "" {
				t.Errorf("member = %+v", m)
			}
			out = append(out, m.MemberID)
		}
		return out
	}
	if got := memberIDs(empty.ID()); len(got) != 0 {
		t.Fatalf("Empty Group members = %v", got)
	}
	if got := memberIDs(web.ID()); len(got) != 5 {
		t.Errorf("Web Tier has %d members, want 5", len(got))
	}

	dev, _ := s.VMByName("dev-001")
	dev2, _ := s.VMByName("dev-002")
	change := func(add, remove []string) map[string]any {
		return map[string]any{"typeId": tintri.TypeCollectionChangeRequest, "objectIdsAdded": add, "objectIdsRemoved": remove}
	}
	static := "/api/v310/servicegroup/" + empty.ID() + "/members/static"
	// Unknown ids are ignored, as the reference says.
	tgc.do("PUT", static, change([]string{dev.ID(), "no-such-vm", dev2.ID(), dev.ID()}, nil)).wantNoContent(t)
	if diff := cmp.Diff([]string{dev.ID(), dev2.ID()}, memberIDs(empty.ID())); diff != "" {
		t.Errorf("members after add (-want +got):\n%s", diff)
	}
	tgc.do("PUT", static, change(nil, []string{dev.ID(), "no-such-vm"})).wantNoContent(t)
	if diff := cmp.Diff([]string{dev2.ID()}, memberIDs(empty.ID())); diff != "" {
		t.Errorf("members after remove (-want +got):\n%s", diff)
	}
	var g tintri.ServiceGroup
	tgc.do("GET", "/api/v310/servicegroup/"+empty.ID(), nil).decode(t, &g)
	if g.MemberCount != 1 || g.StaticMemberCount != 1 {
		t.Errorf("group counts = %d/%d, want 1/1", g.MemberCount, g.StaticMemberCount)
	}
	got, _ := s.VMByName("dev-002")
	if got.ServiceGroup == nil || got.ServiceGroup.GroupID != empty.ID() || got.ServiceGroup.Name != "Empty Group" {
		t.Errorf("dev-002 serviceGroup = %+v", got.ServiceGroup)
	}
	tgc.do("PUT", "/api/v310/servicegroup/nope/members/static", change(nil, nil)).wantError(t, http.StatusNotFound, "ERR-API-8001")
	tgc.do("PUT", static, "[").wantError(t, http.StatusBadRequest, "ERR-API-0203")

	// QoS: set on the group, then applied to its members.
	qosPath := "/api/v310/servicegroup/" + web.ID() + "/qosConfig"
	tgc.do("PUT", qosPath, map[string]any{"typeId": tintri.TypeQoSConfig, "minNormalizedIops": 200, "maxNormalizedIops": 2000}).wantNoContent(t)
	tgc.do("PUT", qosPath, map[string]any{"typeId": tintri.TypeQoSConfig, "minNormalizedIops": 3000, "maxNormalizedIops": 2000}).wantError(t, http.StatusBadRequest, "ERR-API-3109")
	var q tintri.VirtualMachineQoSConfig
	tgc.do("GET", qosPath, nil).decode(t, &q)
	if q.MinNormalizedIops != 200 || q.MaxNormalizedIops != 2000 {
		t.Errorf("group qos = %+v", q)
	}
	member := s.ServiceGroupMembers("Web Tier")[0]
	before, _ := s.VMByName(member.MemberName)
	if before.QosConfig.MaxNormalizedIops != 0 {
		t.Fatalf("member qos changed before apply: %+v", before.QosConfig)
	}
	tgc.do("POST", "/api/v310/servicegroup/"+web.ID()+"/qos", nil).wantNoContent(t)
	after, _ := s.VMByName(member.MemberName)
	want := &tintri.VirtualMachineQoSConfig{TypeID: tintri.TypeQoSConfig, MinNormalizedIops: 200, MaxNormalizedIops: 2000,
		EffectiveMinNormalizedIops: 200, EffectiveMaxNormalizedIops: 2000, InheritanceEnabled: true}
	if diff := cmp.Diff(want, after.QosConfig); diff != "" {
		t.Errorf("member qos after apply (-want +got):\n%s", diff)
	}
	tgc.do("POST", "/api/v310/servicegroup/nope/qos", nil).wantError(t, http.StatusNotFound, "ERR-API-8001")

	// VMstores define no service groups of their own.
	var p tintri.Page
	login(t, s, s.VMstoreURLs()[0]).do("GET", "/api/v310/servicegroup", nil).decode(t, &p)
	if p.FilteredTotal != 0 || len(p.Items) != 0 {
		t.Errorf("VMstore service groups = %d", p.FilteredTotal)
	}
}
