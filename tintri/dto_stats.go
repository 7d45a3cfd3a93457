package tintri

import (
	"reflect"
	"strings"
)

// TypeId values of the statistics DTOs, as the v310 reference spells them.
const (
	TypeStats              = "com.tintri.api.rest.v310.dto.domain.beans.perf.Stats"
	TypeVirtualMachineStat = "com.tintri.api.rest.v310.dto.domain.beans.perf.VirtualMachineStat"
)

// Stats is a series of statistics slices: a VM's stat field (its latest slice) and the items
// of GET /v310/vm/{id}/statsHistoric and statsRealtime. Times are DateTime strings.
type Stats struct {
	TypeID          string               `json:"typeId,omitempty"`
	StartTime       string               `json:"startTime,omitempty"`
	EndTime         string               `json:"endTime,omitempty"`
	LastUpdatedTime string               `json:"lastUpdatedTime,omitempty"`
	NumberOfSlices  int                  `json:"numberOfSlices"`
	SortedStats     []VirtualMachineStat `json:"sortedStats"`
}

// VirtualMachineStat is one slice of a VM's statistics: the subset of the v310 DTO covering
// space, IOPS, throughput and latency. Space is in GiB, throughput in MB/s, latency in ms.
type VirtualMachineStat struct {
	TypeID          string `json:"typeId,omitempty"`
	TimeStart       string `json:"timeStart,omitempty"`
	TimeEnd         string `json:"timeEnd,omitempty"`
	IntervalSeconds int    `json:"intervalSeconds,omitempty"`

	SpaceProvisionedGiB             float64 `json:"spaceProvisionedGiB"`
	SpaceUsedGiB                    float64 `json:"spaceUsedGiB"`
	SpaceUsedLiveGiB                float64 `json:"spaceUsedLiveGiB"`
	SpaceUsedSnapshotsTintriGiB     float64 `json:"spaceUsedSnapshotsTintriGiB"`
	SpaceUsedSnapshotsHypervisorGiB float64 `json:"spaceUsedSnapshotsHypervisorGiB"`
	SpaceUsedChangeGiB              float64 `json:"spaceUsedChangeGiB"`
	ChangeMBPerDay                  float64 `json:"changeMBPerDay"`

	OperationsReadIops  float64 `json:"operationsReadIops"`
	OperationsWriteIops float64 `json:"operationsWriteIops"`
	OperationsTotalIops float64 `json:"operationsTotalIops"`
	NormalizedTotalIops float64 `json:"normalizedTotalIops"`
	ThroughputReadMBps  float64 `json:"throughputReadMBps"`
	ThroughputWriteMBps float64 `json:"throughputWriteMBps"`
	ThroughputTotalMBps float64 `json:"throughputTotalMBps"`

	LatencyHostMs    float64 `json:"latencyHostMs"`
	LatencyNetworkMs float64 `json:"latencyNetworkMs"`
	LatencyStorageMs float64 `json:"latencyStorageMs"`
	LatencyDiskMs    float64 `json:"latencyDiskMs"`
	LatencyTotalMs   float64 `json:"latencyTotalMs"`
	FlashHitPercent  float64 `json:"flashHitPercent"`
}

// statFieldIndex maps the JSON name of every figure of VirtualMachineStat to its field.
var statFieldIndex = func() map[string]int {
	out := map[string]int{}
	t := reflect.TypeFor[VirtualMachineStat]()
	for i := range t.NumField() {
		if f := t.Field(i); f.Type.Kind() == reflect.Float64 {
			out[strings.Split(f.Tag.Get("json"), ",")[0]] = i
		}
	}
	return out
}()

// VMStatFields are the JSON names of VirtualMachineStat's figures (space, IOPS, throughput,
// latency, flash hits), in the DTO's order.
var VMStatFields = func() []string {
	out := make([]string, 0, len(statFieldIndex))
	t := reflect.TypeFor[VirtualMachineStat]()
	for i := range t.NumField() {
		if f := t.Field(i); f.Type.Kind() == reflect.Float64 {
			out = append(out, strings.Split(f.Tag.Get("json"), ",")[0])
		}
	}
	return out
}()

// Value returns the figure of s named by its JSON name (one of VMStatFields); false for
// another name.
func (s *VirtualMachineStat) Value(field string) (float64, bool) {
	i, ok := statFieldIndex[field]
	if !ok {
		return 0, false
	}
	return reflect.ValueOf(s).Elem().Field(i).Float(), true
}
