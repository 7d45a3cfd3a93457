package plan

import "github.com/tintri-jobs/tintri-jobs/tintri"

// ApplianceFacts is what `show appliance_info` reports about one appliance: its JSON form
// is the "appliance_info" document. Info, Components, FailedComponents and IPs use the
// v310 DTOs and are empty for a TGC.
type ApplianceFacts struct {
	FormatVersion     string                            `json:"format_version"`
	Type              string                            `json:"type"`
	Server            string                            `json:"server"`
	Name              string                            `json:"name"` // a VMstore's localAlias; "" for a TGC
	Product           string                            `json:"product"`
	APIVersion        string                            `json:"api_version"`
	SupportedVersions []string                          `json:"supported_versions"`
	Info              *tintri.ApplianceInfo             `json:"info"`
	Components        []tintri.ApplianceComponent       `json:"components"`
	FailedComponents  []tintri.ApplianceFailedComponent `json:"failed_components"`
	IPs               []tintri.ApplianceIp              `json:"ips"`
}

// NewApplianceFacts starts the facts of server from its /api/info answer, with empty lists.
func NewApplianceFacts(server string, info *tintri.RestApi) *ApplianceFacts {
	return &ApplianceFacts{FormatVersion: FormatVersion, Type: "appliance_info", Server: server,
		Product: info.ProductName, APIVersion: info.PreferredVersion, SupportedVersions: nonNil(info.SupportedVersionSet),
		Components: []tintri.ApplianceComponent{}, FailedComponents: []tintri.ApplianceFailedComponent{}, IPs: []tintri.ApplianceIp{}}
}

// NonNil returns s, or an empty slice for nil, so that documents show [] rather than null.
func NonNil[T any](s []T) []T { return nonNil(s) }
