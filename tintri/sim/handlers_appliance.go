package sim

import (
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// applianceFor returns the server's appliance when uuid is "default" or its own uuid, else
// nil. The caller holds st.mu.
func (srv *server) applianceFor(uuid string) *tintri.Appliance {
	a := srv.appliance()
	if uuid == "default" || uuid == a.UUID.ID() {
		return a
	}
	return nil
}

// handleAppliances serves GET /api/v310/appliance: a list holding this server's appliance.
func (srv *server) handleAppliances(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	writeJSON(w, http.StatusOK, []tintri.Appliance{copyAppliance(*srv.appliance())})
}

// handleApplianceGet serves GET /api/v310/appliance/{uuid}. As the reference says, the
// output is List<Appliance> (one element); 404 ERR-API-8001 for another uuid.
func (srv *server) handleApplianceGet(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	a := srv.applianceFor(r.PathValue("uuid"))
	if a == nil {
		notFound(w, "appliance %s", r.PathValue("uuid"))
		return
	}
	writeJSON(w, http.StatusOK, []tintri.Appliance{copyAppliance(*a)})
}

// applianceSub answers one part of the server's appliance; 404 ERR-API-0102 for another uuid.
func (srv *server) applianceSub(w http.ResponseWriter, r *http.Request, part func(a tintri.Appliance) any) {
	st := srv.sim.st
	st.mu.RLock()
	defer st.mu.RUnlock()
	a := srv.applianceFor(r.PathValue("uuid"))
	if a == nil {
		writeError(w, http.StatusNotFound, codeNoDefault, "Failed to obtain default entity.", "appliance "+r.PathValue("uuid"))
		return
	}
	writeJSON(w, http.StatusOK, part(copyAppliance(*a)))
}

// handleApplianceDNS serves GET /api/v310/appliance/{uuid}/dns (ApplianceDns).
func (srv *server) handleApplianceDNS(w http.ResponseWriter, r *http.Request) {
	srv.applianceSub(w, r, func(a tintri.Appliance) any { return a.DNSConfig })
}

// handleApplianceIPs serves GET /api/v310/appliance/{uuid}/ips (List<ApplianceIp>).
func (srv *server) handleApplianceIPs(w http.ResponseWriter, r *http.Request) {
	srv.applianceSub(w, r, func(a tintri.Appliance) any {
		if a.ConfigIPs == nil {
			return []tintri.ApplianceIp{}
		}
		return a.ConfigIPs
	})
}

// handleApplianceInfo serves GET /api/v310/appliance/{uuid}/info (ApplianceInfo).
func (srv *server) handleApplianceInfo(w http.ResponseWriter, r *http.Request) {
	srv.applianceSub(w, r, func(a tintri.Appliance) any { return a.Info })
}

// handleApplianceMaintenance serves GET /api/v310/appliance/{uuid}/maintenanceMode (VMstore only).
func (srv *server) handleApplianceMaintenance(w http.ResponseWriter, r *http.Request) {
	srv.applianceSub(w, r, func(a tintri.Appliance) any { return a.MaintenanceMode })
}

// handleApplianceFailed serves GET /api/v310/appliance/{uuid}/failedComponents (VMstore
// only): the components whose status is not OK.
func (srv *server) handleApplianceFailed(w http.ResponseWriter, r *http.Request) {
	srv.applianceSub(w, r, func(a tintri.Appliance) any {
		out := tintri.ApplianceFailedComponents{TypeID: tintri.TypeApplianceFailedComps, FailedComponents: []tintri.ApplianceFailedComponent{}}
		for _, c := range a.Components {
			if c.Status != "OK" {
				out.FailedComponents = append(out.FailedComponents, tintri.ApplianceFailedComponent{
					TypeID: tintri.TypeApplianceFailedComponent, ComponentType: c.Type, Description: c.Locator + ": " + c.Status,
					SerialNumber: a.Info.SerialNumber,
				})
			}
		}
		return out
	})
}

// applianceProps are the properties PUT /api/v310/appliance/{uuid} updates.
var applianceProps = []string{tintri.PropDNSConfig, tintri.PropConfigIPs, tintri.PropMaintenanceMode}

// handleAppliancePut serves PUT /api/v310/appliance/{uuid} with Request<Appliance>:
// objectsWithNewValues is one Appliance object or a one-element list (propertiesToBeUpdated
// and configIps may likewise be one value rather than a list); only the properties
// named in propertiesToBeUpdated (dnsConfig, configIps, maintenanceMode) change. 400
// ERR-API-0201 without an object, ERR-API-0203 for an unknown property and ERR-API-0020 for
// invalid values; nothing changes on error. On the TGC the reference only allows adding a
// sync-replication IP on a VMstore, which is not simulated: 400 ERR-API-0005.
func (srv *server) handleAppliancePut(w http.ResponseWriter, r *http.Request) {
	if srv.isTGC() {
		writeError(w, http.StatusBadRequest, codeNotSupported, "Request not supported.", "the TGC's appliance properties cannot be updated")
		return
	}
	in, props, ok := decodeAppliancePut(w, r)
	if !ok {
		return
	}
	st := srv.sim.st
	st.mu.Lock()
	defer st.mu.Unlock()
	a := srv.applianceFor(r.PathValue("uuid"))
	if a == nil {
		notFound(w, "appliance %s", r.PathValue("uuid"))
		return
	}
	setApplianceProps(a, copyAppliance(in), props)
	writeNoContent(w)
}

// decodeAppliancePut reads and checks the Request of PUT /v310/appliance/{uuid}: one
// appliance and the properties to update, each valid. On a problem it answers and
// returns false.
func decodeAppliancePut(w http.ResponseWriter, r *http.Request) (tintri.Appliance, []string, bool) {
	var req struct {
		ObjectsWithNewValues  oneOrMany[json.RawMessage] `json:"objectsWithNewValues"`
		PropertiesToBeUpdated oneOrMany[string]          `json:"propertiesToBeUpdated"`
	}
	var in tintri.Appliance
	if !decodeBody(w, r, tintri.TypeRequest, &req) {
		return in, nil, false
	}
	objs := req.ObjectsWithNewValues
	switch {
	case len(objs) == 0:
		writeError(w, http.StatusBadRequest, codeNoEntities, "No entities found.", "objectsWithNewValues is empty")
		return in, nil, false
	case len(objs) > 1:
		badRequest(w, "objectsWithNewValues holds %d appliances, want 1", len(objs))
		return in, nil, false
	case len(req.PropertiesToBeUpdated) == 0:
		badRequest(w, "propertiesToBeUpdated is empty")
		return in, nil, false
	}
	for _, p := range req.PropertiesToBeUpdated {
		if !slices.Contains(applianceProps, p) {
			badRequest(w, "unknown property %q (updatable: %s)", p, strings.Join(applianceProps, ", "))
			return in, nil, false
		}
	}
	var lenient struct {
		tintri.Appliance
		ConfigIPs oneOrMany[tintri.ApplianceIp] `json:"configIps"`
	}
	if err := json.Unmarshal(objs[0], &lenient); err != nil {
		badRequest(w, "appliance: %v", err)
		return in, nil, false
	}
	in = lenient.Appliance
	in.ConfigIPs = lenient.ConfigIPs
	if in.TypeID != "" && in.TypeID != tintri.TypeAppliance {
		badRequest(w, "appliance typeId %q, want %q", in.TypeID, tintri.TypeAppliance)
		return in, nil, false
	}
	for _, p := range req.PropertiesToBeUpdated {
		if msg := validateApplianceProp(p, in); msg != "" {
			invalidInput(w, "%s: %s", p, msg)
			return in, nil, false
		}
	}
	return in, req.PropertiesToBeUpdated, true
}

// setApplianceProps copies the properties props of in to a.
func setApplianceProps(a *tintri.Appliance, in tintri.Appliance, props []string) {
	for _, p := range props {
		switch p {
		case tintri.PropDNSConfig:
			a.DNSConfig = in.DNSConfig
			a.DNSConfig.TypeID = tintri.TypeApplianceDns
		case tintri.PropConfigIPs:
			a.ConfigIPs = mergeConfigIPs(a.ConfigIPs, in.ConfigIPs)
		case tintri.PropMaintenanceMode:
			a.MaintenanceMode = in.MaintenanceMode
			a.MaintenanceMode.TypeID = tintri.TypeApplianceMaintenanceMode
			if !a.MaintenanceMode.IsEnabled {
				a.MaintenanceMode.StartTime, a.MaintenanceMode.EndTime = "", ""
			}
		}
	}
}

// mergeConfigIPs is the IP list after PUT configIps sent: the data IPs are the ones sent,
// and so are the admin and replication IPs when sent; a service type the list has no entry
// of keeps its current entries. The vendor's set_data_ip.py sends only the data IPs, and
// its VMstore keeps its admin address.
func mergeConfigIPs(cur, sent []tintri.ApplianceIp) []tintri.ApplianceIp {
	out := make([]tintri.ApplianceIp, 0, len(cur)+len(sent))
	for _, ip := range cur {
		kept := ip.ServiceType == tintri.ServiceTypeAdmin || ip.ServiceType == tintri.ServiceTypeReplication
		if kept && !slices.ContainsFunc(sent, func(s tintri.ApplianceIp) bool { return s.ServiceType == ip.ServiceType }) {
			out = append(out, ip)
		}
	}
	for _, ip := range sent {
		ip.TypeID = tintri.TypeApplianceIp
		out = append(out, ip)
	}
	return out
}

// validateApplianceProp checks the new value of one property; "" when valid.
func validateApplianceProp(prop string, a tintri.Appliance) string {
	switch prop {
	case tintri.PropDNSConfig:
		if a.DNSConfig == nil {
			return "missing"
		}
		if a.DNSConfig.DNSPrimary == "" {
			return "dnsPrimary is required"
		}
		for _, ip := range []string{a.DNSConfig.DNSPrimary, a.DNSConfig.DNSSecondary, a.DNSConfig.DNSTertiary} {
			if ip != "" && net.ParseIP(ip) == nil {
				return "invalid IP address " + quote(ip)
			}
		}
	case tintri.PropConfigIPs:
		return validateIPs(a.ConfigIPs)
	case tintri.PropMaintenanceMode:
		return validateMaintenance(a.MaintenanceMode)
	}
	return ""
}

// validateIPs checks a configIps list: known serviceType, a valid ip or ipCidr, valid
// netmask and gateway. A list without admin IPs keeps the current ones (mergeConfigIPs).
func validateIPs(ips []tintri.ApplianceIp) string {
	for i, ip := range ips {
		where := sprintf("configIps[%d]", i)
		switch ip.ServiceType {
		case tintri.ServiceTypeAdmin, tintri.ServiceTypeData, tintri.ServiceTypeReplication:
		default:
			return sprintf("%s: serviceType %s is not admin, data or replication", where, quote(ip.ServiceType))
		}
		if ip.IP == "" && ip.IPCidr == "" {
			return where + ": ip or ipCidr is required"
		}
		if ip.IP != "" && net.ParseIP(ip.IP) == nil {
			return where + ": invalid ip " + quote(ip.IP)
		}
		if ip.IPCidr != "" {
			if _, _, err := net.ParseCIDR(ip.IPCidr); err != nil {
				return where + ": invalid ipCidr " + quote(ip.IPCidr)
			}
		}
		if ip.Netmask != "" && net.ParseIP(ip.Netmask).To4() == nil {
			return where + ": invalid netmask " + quote(ip.Netmask)
		}
		if ip.Gateway != "" && net.ParseIP(ip.Gateway) == nil {
			return where + ": invalid gateway " + quote(ip.Gateway)
		}
	}
	return ""
}

// validateMaintenance checks a maintenance mode: enabling needs start and end times in
// yyyy-MM-dd'T'HH:mm:ss.SSSZ with the end after the start.
func validateMaintenance(m *tintri.ApplianceMaintenanceMode) string {
	if m == nil {
		return "missing"
	}
	if !m.IsEnabled {
		return ""
	}
	if m.StartTime == "" || m.EndTime == "" {
		return "startTime and endTime are required to enable maintenance mode"
	}
	start, err := tintri.ParseTime(m.StartTime)
	if err != nil {
		return "invalid startTime " + quote(m.StartTime) + ", want yyyy-MM-dd'T'HH:mm:ss.SSSZ"
	}
	end, err := tintri.ParseTime(m.EndTime)
	if err != nil {
		return "invalid endTime " + quote(m.EndTime) + ", want yyyy-MM-dd'T'HH:mm:ss.SSSZ"
	}
	if !end.After(start) {
		return "endTime must be after startTime"
	}
	return ""
}

func quote(s string) string { return sprintf("%q", s) }
