package tintri

// TypeId values of the snapshot DTOs, as the v310 reference spells them.
const (
	TypeSnapshot     = "com.tintri.api.rest.v310.dto.domain.Snapshot"
	TypeSnapshotSpec = "com.tintri.api.rest.v310.dto.domain.beans.snapshot.SnapshotSpec"
)

// Snapshot consistency types (Snapshot.consistency, SnapshotSpec.consistency).
const (
	ConsistencyCrash = "CRASH_CONSISTENT"
	ConsistencyVM    = "VM_CONSISTENT"
	ConsistencyApp   = "APP_CONSISTENT"
)

// Snapshot types (Snapshot.type and the type filter of GET /v310/snapshot).
const (
	SnapshotScheduled     = "SCHEDULED_SNAPSHOT"
	SnapshotUserGenerated = "USER_GENERATED_SNAPSHOT"
)

// Snapshot is the subset of the v310 Snapshot DTO that manual snapshot jobs use. CreateTime
// and ExpirationTime are milliseconds since 1970, as the reference says; an expiration of 0
// means the snapshot never expires. HostNameOrIP and VmstoreTintriUuid are TgcOnly.
type Snapshot struct {
	TypeID              string `json:"typeId,omitempty"`
	UUID                *Uuid  `json:"uuid,omitempty"`
	VMUUID              *Uuid  `json:"vmUuid,omitempty"`
	VMName              string `json:"vmName,omitempty"`
	Description         string `json:"description,omitempty"`
	Type                string `json:"type,omitempty"`
	Consistency         string `json:"consistency,omitempty"`
	CreateTime          int64  `json:"createTime"`
	ExpirationTime      int64  `json:"expirationTime,omitempty"`
	CloneReferenceCount int    `json:"cloneReferenceCount"`
	CreatorName         string `json:"creatorName,omitempty"`
	Location            string `json:"location,omitempty"`
	IsReplica           bool   `json:"isReplica"`
	HostNameOrIP        string `json:"hostNameOrIp,omitempty"`
	VmstoreTintriUuid   string `json:"vmstoreTintriUuid,omitempty"`
}

// ID returns the snapshot's Tintri uuid.
func (s *Snapshot) ID() string { return s.UUID.ID() }

// SnapshotSpec asks a VMstore for one manual snapshot (POST /v310/snapshot takes a list).
// RetentionMinutes is -1 (or absent) for no expiry, else at least 60.
type SnapshotSpec struct {
	TypeID             string `json:"typeId"`
	Consistency        string `json:"consistency"`
	RetentionMinutes   int    `json:"retentionMinutes,omitempty"`
	SnapshotName       string `json:"snapshotName,omitempty"`
	SourceVMTintriUUID string `json:"sourceVmTintriUUID"`
}
