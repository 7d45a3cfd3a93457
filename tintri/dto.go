package tintri

import (
	"encoding/json"
	"time"
)

// TimeLayout is the reference's ISO8601 form yyyy-MM-dd'T'HH:mm:ss.SSSZ for DateTime strings.
const TimeLayout = "2006-01-02T15:04:05.000-0700"

// FormatTime renders t in TimeLayout.
func FormatTime(t time.Time) string { return t.Format(TimeLayout) }

// ParseTime parses a DateTime string in TimeLayout (RFC 3339 is accepted too).
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// TypeId values of the DTOs this package uses, exactly as the v310 reference spells them.
const (
	TypeRestApi                  = "com.tintri.api.rest.v.dto.domain.RestApi"
	TypeRestApiCredentials       = "com.tintri.api.rest.vcommon.dto.rbac.RestApiCredentials"
	TypeUuid                     = "com.tintri.api.rest.vcommon.dto.Uuid"
	TypePage                     = "com.tintri.api.rest.v310.dto.Page"
	TypeRequest                  = "com.tintri.api.rest.v310.dto.Request"
	TypeMultipleSelectionRequest = "com.tintri.api.rest.v310.dto.MultipleSelectionRequest"
	TypeCollectionChangeRequest  = "com.tintri.api.rest.v310.dto.CollectionChangeRequest"
	TypeTintriError              = "com.tintri.api.rest.v310.dto.domain.beans.TintriError"
	TypeVirtualMachine           = "com.tintri.api.rest.v310.dto.domain.VirtualMachine"
	TypeVirtualMachineVmwareInfo = "com.tintri.api.rest.v310.dto.domain.beans.vm.VirtualMachineVmwareInfo"
	TypeAffinityRule             = "com.tintri.api.rest.v310.dto.domain.beans.vm.VirtualMachineAffinityRule"
	TypeQoSConfig                = "com.tintri.api.rest.v310.dto.domain.beans.vm.VirtualMachineQoSConfig"
	TypeVMServiceGroupInfo       = "com.tintri.api.rest.v310.dto.domain.beans.vm.VirtualMachineServiceGroupInfo"
	TypeVMReportFilter           = "com.tintri.api.rest.v310.dto.domain.beans.vm.VirtualMachineDownloadableReportFilter"
	TypeServiceGroup             = "com.tintri.api.rest.v310.dto.domain.ServiceGroup"
	TypeServiceGroupMember       = "com.tintri.api.rest.v310.dto.domain.beans.svg.ServiceGroupMember"
	TypeVmStore                  = "com.tintri.api.rest.v310.dto.domain.VmStore"
	TypeAppliance                = "com.tintri.api.rest.v310.dto.domain.Appliance"
	TypeApplianceDns             = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceDns"
	TypeApplianceIp              = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceIp"
	TypeApplianceMaintenanceMode = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceMaintenanceMode"
	TypeApplianceInfo            = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceInfo"
	TypeApplianceComponent       = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceComponent"
	TypeApplianceFailedComponent = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceFailedComponent"
	TypeApplianceFailedComps     = "com.tintri.api.rest.v310.dto.domain.beans.hardware.ApplianceFailedComponents"
)

// Product names reported by /api/info.
const (
	ProductVMstore = "Tintri VMstore"
	ProductTGC     = "Tintri Global Center"
)

// Affinity rule types (VirtualMachineAffinityRule.ruleType).
const (
	AffinityNever             = "NEVER"
	AffinityExcludeDatastores = "EXCLUDE_DATASTORES"
)

// Appliance properties accepted in Request.propertiesToBeUpdated by PUT /v310/appliance/default.
const (
	PropDNSConfig       = "dnsConfig"
	PropConfigIPs       = "configIps"
	PropMaintenanceMode = "maintenanceMode"
)

// ApplianceIp.serviceType values.
const (
	ServiceTypeAdmin       = "admin"
	ServiceTypeData        = "data"
	ServiceTypeReplication = "replication"
)

// RestApi is the unauthenticated answer of GET /api/info.
type RestApi struct {
	TypeID              string   `json:"typeId"`
	PreferredVersion    string   `json:"preferredVersion"`
	ProductName         string   `json:"productName"`
	SupportedVersionSet []string `json:"supportedVersionSet,omitempty"`
}

// RestApiCredentials is the body of POST /v310/session/login.
// Its String and GoString methods never show the password.
type RestApiCredentials struct {
	TypeID         string `json:"typeId"`
	Username       string `json:"username"`
	Password       string `json:"password"`
	FullApiVersion string `json:"fullApiVersion,omitempty"`
}

// String redacts the password.
func (c RestApiCredentials) String() string {
	return "RestApiCredentials{username=" + c.Username + ", password=<redacted>}"
}

// GoString redacts the password in %#v.
func (c RestApiCredentials) GoString() string { return c.String() }

// Uuid is the Tintri object id wrapper {"uuid": "..."}.
type Uuid struct {
	TypeID string `json:"typeId,omitempty"`
	UUID   string `json:"uuid"`
}

// ID returns the uuid string of a possibly nil Uuid.
func (u *Uuid) ID() string {
	if u == nil {
		return ""
	}
	return u.UUID
}

// Page is one page of a paged collection. Items stay raw so callers decode only what they need.
type Page struct {
	TypeID        string            `json:"typeId"`
	AbsoluteTotal int64             `json:"absoluteTotal"`
	FilteredTotal int64             `json:"filteredTotal"`
	Total         int64             `json:"total"`
	Offset        int               `json:"offset"`
	Limit         int               `json:"limit"`
	Page          int               `json:"page,omitempty"`
	PageTotal     int               `json:"pageTotal,omitempty"`
	Next          string            `json:"next,omitempty"`
	Prev          string            `json:"prev,omitempty"`
	Items         []json.RawMessage `json:"items"`
}

// TintriError is the body of every non-2xx answer. It implements error; use errors.As to
// inspect Status and Code.
type TintriError struct {
	TypeID       string        `json:"typeId"`
	Code         string        `json:"code,omitempty"`
	Message      string        `json:"message,omitempty"`
	CauseDetails string        `json:"causeDetails,omitempty"`
	Title        string        `json:"title,omitempty"`
	TargetID     string        `json:"targetId,omitempty"`
	TargetName   string        `json:"targetName,omitempty"`
	Errors       []TintriError `json:"errors,omitempty"`
	// Status is the HTTP status of the answer; it is not part of the body.
	Status int `json:"-"`
}

// Request is the generic update body {objectsWithNewValues, propertiesToBeUpdated}.
// The server side accepts objectsWithNewValues as one object or a list; the client sends a list.
type Request struct {
	TypeID                string            `json:"typeId"`
	ObjectsWithNewValues  []json.RawMessage `json:"objectsWithNewValues"`
	PropertiesToBeUpdated []string          `json:"propertiesToBeUpdated"`
}

// MultipleSelectionRequest applies newValue's propertyNames to every id.
type MultipleSelectionRequest struct {
	TypeID        string          `json:"typeId"`
	IDs           []string        `json:"ids"`
	NewValue      json.RawMessage `json:"newValue"`
	PropertyNames []string        `json:"propertyNames"`
}

// CollectionChangeRequest adds and removes ids of a collection (service group static members).
type CollectionChangeRequest struct {
	TypeID           string   `json:"typeId"`
	ObjectIdsAdded   []string `json:"objectIdsAdded"`
	ObjectIdsRemoved []string `json:"objectIdsRemoved"`
}

// VirtualMachineAffinityRule is a VM's migration-affinity rule. A rule with an empty RuleType clears it.
type VirtualMachineAffinityRule struct {
	TypeID             string   `json:"typeId"`
	RuleType           string   `json:"ruleType,omitempty"`
	VmstoreTintriUuids []string `json:"vmstoreTintriUuids,omitempty"`
	RecommendationUuid string   `json:"recommendationUuid,omitempty"`
}

// VirtualMachineQoSConfig is the QoS of a VM or service group.
type VirtualMachineQoSConfig struct {
	TypeID                     string `json:"typeId"`
	MinNormalizedIops          int64  `json:"minNormalizedIops"`
	MaxNormalizedIops          int64  `json:"maxNormalizedIops"`
	EffectiveMinNormalizedIops int64  `json:"effectiveMinNormalizedIops,omitempty"`
	EffectiveMaxNormalizedIops int64  `json:"effectiveMaxNormalizedIops,omitempty"`
	InheritanceEnabled         bool   `json:"inheritanceEnabled"`
	LastUpdatedTime            string `json:"lastUpdatedTime,omitempty"`
}

// VirtualMachineVmwareInfo is the hypervisor side of a VM; Name is the VM's name.
type VirtualMachineVmwareInfo struct {
	TypeID      string `json:"typeId,omitempty"`
	Name        string `json:"name"`
	Host        string `json:"host,omitempty"`
	VcenterName string `json:"vcenterName,omitempty"`
	IsPowered   bool   `json:"isPowered,omitempty"`
	IsTemplate  bool   `json:"isTemplate,omitempty"`
}

// VirtualMachineServiceGroupInfo tells which service group a VM belongs to.
type VirtualMachineServiceGroupInfo struct {
	TypeID  string `json:"typeId,omitempty"`
	GroupID string `json:"groupId,omitempty"`
	Name    string `json:"name,omitempty"`
	Static  bool   `json:"static,omitempty"`
}

// VirtualMachine is the subset of the v310 VirtualMachine DTO the tasks use. Fields are
// pointers or omitempty so an includeFields-trimmed item decodes without invented zero values.
type VirtualMachine struct {
	TypeID            string                          `json:"typeId,omitempty"`
	UUID              *Uuid                           `json:"uuid,omitempty"`
	Vmware            *VirtualMachineVmwareInfo       `json:"vmware,omitempty"`
	VmstoreName       string                          `json:"vmstoreName,omitempty"`
	VmstoreTintriUuid string                          `json:"vmstoreTintriUuid,omitempty"`
	IsLive            *bool                           `json:"isLive,omitempty"`
	IsDeleted         *bool                           `json:"isDeleted,omitempty"`
	AffinityRule      *VirtualMachineAffinityRule     `json:"affinityRule,omitempty"`
	QosConfig         *VirtualMachineQoSConfig        `json:"qosConfig,omitempty"`
	ServiceGroup      *VirtualMachineServiceGroupInfo `json:"serviceGroup,omitempty"`
	Stat              *Stats                          `json:"stat,omitempty"`
}

// Name returns the VM's name (vmware.name), or "" when it was not requested.
func (v *VirtualMachine) Name() string {
	if v.Vmware == nil {
		return ""
	}
	return v.Vmware.Name
}

// ID returns the VM's Tintri uuid.
func (v *VirtualMachine) ID() string { return v.UUID.ID() }

// ServiceGroup is a TGC service group (subset).
type ServiceGroup struct {
	TypeID            string                   `json:"typeId,omitempty"`
	UUID              *Uuid                    `json:"uuid,omitempty"`
	Name              string                   `json:"name"`
	Description       string                   `json:"description,omitempty"`
	MemberCount       int                      `json:"memberCount"`
	StaticMemberCount int                      `json:"staticMemberCount"`
	QosConfig         *VirtualMachineQoSConfig `json:"qosConfig,omitempty"`
}

// ID returns the group's uuid.
func (g *ServiceGroup) ID() string { return g.UUID.ID() }

// ServiceGroupMember is one member of a service group.
type ServiceGroupMember struct {
	TypeID     string `json:"typeId,omitempty"`
	GroupID    string `json:"groupId"`
	MemberID   string `json:"memberId"`
	MemberName string `json:"memberName"`
	MemberType string `json:"memberType"`
	Static     bool   `json:"static"`
}

// VmStore is a VMstore as the TGC knows it.
type VmStore struct {
	TypeID        string         `json:"typeId,omitempty"`
	UUID          *Uuid          `json:"uuid,omitempty"`
	Hostname      string         `json:"hostname"`
	IPAddress     string         `json:"ipAddress"`
	LocalAlias    string         `json:"localAlias,omitempty"`
	ApplianceInfo *ApplianceInfo `json:"applianceInfo,omitempty"`
}

// ApplianceDns is the appliance's DNS configuration.
type ApplianceDns struct {
	TypeID       string `json:"typeId"`
	DNSPrimary   string `json:"dnsPrimary,omitempty"`
	DNSSecondary string `json:"dnsSecondary,omitempty"`
	DNSTertiary  string `json:"dnsTertiary,omitempty"`
}

// ApplianceIp is one configured IP of an appliance (admin, data or replication).
type ApplianceIp struct {
	TypeID              string `json:"typeId"`
	ServiceType         string `json:"serviceType"`
	Hostname            string `json:"hostname,omitempty"`
	IP                  string `json:"ip,omitempty"`
	Netmask             string `json:"netmask,omitempty"`
	IPCidr              string `json:"ipCidr,omitempty"`
	Gateway             string `json:"gateway,omitempty"`
	VlanID              string `json:"vlanId,omitempty"`
	NetworkBond         string `json:"networkBond,omitempty"`
	IsJumboFrameEnabled bool   `json:"isJumboFrameEnabled"`
	SyncReplSubmount    string `json:"syncReplSubmount,omitempty"`
}

// ApplianceMaintenanceMode is the appliance's maintenance window.
type ApplianceMaintenanceMode struct {
	TypeID           string `json:"typeId"`
	IsEnabled        bool   `json:"isEnabled"`
	StartTime        string `json:"startTime,omitempty"`
	EndTime          string `json:"endTime,omitempty"`
	AutoArchive      bool   `json:"autoArchive,omitempty"`
	SendSnmpTrap     bool   `json:"sendSnmpTrap,omitempty"`
	SendSummaryEmail bool   `json:"sendSummaryEmail,omitempty"`
}

// ApplianceInfo is the appliance's model and OS information.
type ApplianceInfo struct {
	TypeID             string  `json:"typeId"`
	ModelName          string  `json:"modelName,omitempty"`
	OsVersion          string  `json:"osVersion,omitempty"`
	SerialNumber       string  `json:"serialNumber,omitempty"`
	CurrentCapacityGiB float64 `json:"currentCapacityGiB,omitempty"`
	IsAllFlash         bool    `json:"isAllFlash"`
}

// ApplianceComponent is one hardware component and its status.
type ApplianceComponent struct {
	TypeID      string   `json:"typeId"`
	Type        string   `json:"type"`
	Locator     string   `json:"locator,omitempty"`
	Status      string   `json:"status"`
	Description string   `json:"description,omitempty"`
	Faults      []string `json:"faults,omitempty"`
}

// ApplianceFailedComponent is one failed component.
type ApplianceFailedComponent struct {
	TypeID        string `json:"typeId"`
	ComponentType string `json:"componentType"`
	Description   string `json:"description,omitempty"`
	SerialNumber  string `json:"serialNumber,omitempty"`
}

// ApplianceFailedComponents is the answer of /v310/appliance/default/failedComponents.
type ApplianceFailedComponents struct {
	TypeID           string                     `json:"typeId"`
	FailedComponents []ApplianceFailedComponent `json:"failedComponents"`
	SampleTime       string                     `json:"sampleTime,omitempty"`
}

// Appliance is the subset of the v310 Appliance DTO the tasks read and update.
type Appliance struct {
	TypeID          string                    `json:"typeId"`
	UUID            *Uuid                     `json:"uuid,omitempty"`
	LocalAlias      string                    `json:"localAlias,omitempty"`
	Info            *ApplianceInfo            `json:"info,omitempty"`
	DNSConfig       *ApplianceDns             `json:"dnsConfig,omitempty"`
	ConfigIPs       []ApplianceIp             `json:"configIps,omitempty"`
	MaintenanceMode *ApplianceMaintenanceMode `json:"maintenanceMode,omitempty"`
	Components      []ApplianceComponent      `json:"components,omitempty"`
}

// VirtualMachineDownloadableReportFilter asks the TGC for a VM report URL.
type VirtualMachineDownloadableReportFilter struct {
	TypeID     string   `json:"typeId"`
	Attributes []string `json:"attributes"`
	Format     string   `json:"format"`
	Attachment string   `json:"attachment,omitempty"`
	Since      string   `json:"since,omitempty"`
	Until      string   `json:"until,omitempty"`
}

// VMReportAttributes is the v310 VirtualMachineDownloadableReportFilter attributes enum, in
// the reference's order.
var VMReportAttributes = []string{
	"VmName", "Uuid", "VMstoreName", "ReadIops", "WriteIops", "TotalIops", "ReadMBps", "WriteMBps",
	"TotalMBps", "ReservesAutoAllocated", "ReservesPinned", "ReservesActual", "ReservesChange",
	"ReservesChangePercent", "ReservesUsed", "ReservesRemaining", "TotalLatency", "HostLatency",
	"NetworkLatency", "StorageLatency", "DiskLatency", "FlashHitPercent", "SpaceProvisioned",
	"SpaceUsedLive", "SpaceUsedTintriSnapshots", "SpaceUsedVmwareSnaphots", "SpaceUsedChange",
	"SpaceUsedChangePercent", "SpaceUsed", "SpaceChangePerDay", "SpaceUsedDifferenceFromMaxInSet",
	"EsxHostCpuPercent", "ReadyPercent", "SwapWaitPercent", "AlignedIOPercent",
	"ReplicationTimeRemaining", "ReplicationBytesRemaining", "ReplicationIncomingLogicalMBps",
	"ReplicationIncomingPhysicalMBps", "ReplicationOutgoingLogicalMBps",
	"ReplicationOutgoingPhysicalMBps", "LatestReplicatedSnapshotDate", "LatestSnapshotDate",
	"Protection", "VCenterName", "EsxHost", "ClonedFrom", "PowerOn", "IsTemplate", "IsSynthetic",
	"hasVMwareSnapshots", "BlockSizeKiB",
}

// Secret is a password or other credential. Every way of printing it (%v, %s, %#v, JSON,
// zerolog) shows "<redacted>"; Reveal returns the value for the one place that sends it.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "<redacted>" }

// GoString redacts the secret in %#v.
func (Secret) GoString() string { return "<redacted>" }

// MarshalJSON redacts the secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"<redacted>"`), nil }

// MarshalText redacts the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte("<redacted>"), nil }

// Reveal returns the secret's value.
func (s Secret) Reveal() string { return string(s) }
