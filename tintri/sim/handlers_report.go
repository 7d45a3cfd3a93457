package sim

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// reportReq is a requested VM report, kept until the simulator stops.
type reportReq struct {
	attrs      []string
	format     string
	attachment string
}

// handleReportRequest serves POST /api/v310/vm/vmListDownloadable (TGC only) with a
// VirtualMachineDownloadableReportFilter: 200 text/plain whose body is the download URL on
// this TGC; attributes may be one name rather than a list. 400 ERR-API-0203 for an unknown
// attribute or format or a bad since/until.
func (srv *server) handleReportRequest(w http.ResponseWriter, r *http.Request) {
	var lenient struct {
		tintri.VirtualMachineDownloadableReportFilter
		Attributes oneOrMany[string] `json:"attributes"`
	}
	if !decodeBody(w, r, tintri.TypeVMReportFilter, &lenient) {
		return
	}
	f := lenient.VirtualMachineDownloadableReportFilter
	f.Attributes = lenient.Attributes
	if len(f.Attributes) == 0 {
		badRequest(w, "attributes is empty")
		return
	}
	for _, a := range f.Attributes {
		if !slices.Contains(tintri.VMReportAttributes, a) {
			badRequest(w, "unknown attribute %q", a)
			return
		}
	}
	format := strings.ToUpper(f.Format)
	if format != "CSV" && format != "JSON" {
		badRequest(w, "format %q is not CSV or JSON", f.Format)
		return
	}
	for _, t := range []string{f.Since, f.Until} {
		if t != "" {
			if _, err := tintri.ParseTime(t); err != nil {
				badRequest(w, "time %q is not yyyy-MM-dd'T'HH:mm:ss.SSSZ", t)
				return
			}
		}
	}
	name := path.Base("/" + f.Attachment)
	if name == "/" || name == "." {
		name = "VmList." + strings.ToLower(format)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, "An internal server error occured while processing the API call", "report token: "+err.Error())
		return
	}
	token := hex.EncodeToString(b[:])
	st := srv.sim.st
	st.mu.Lock()
	st.reports[token] = reportReq{attrs: slices.Clone(f.Attributes), format: format, attachment: name}
	st.mu.Unlock()
	w.Header().Set("Content-Type", contentTypeString)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(srv.url + "/downloads/" + token + "/" + url.PathEscape(name)))
}

// handleReportDownload serves GET /downloads/{token}/{name}: the report, one row per live VM
// sorted by name, streamed as CSV (header = the requested attributes in order) or as a JSON
// list of objects. Like the vendor's download URLs it needs no session (the token is the
// secret); 404 ERR-API-8001 for an unknown token.
func (srv *server) handleReportDownload(w http.ResponseWriter, r *http.Request) {
	st := srv.sim.st
	st.mu.RLock()
	rep, ok := st.reports[r.PathValue("token")]
	var rows [][]reportValue
	if ok {
		for _, v := range st.sortedVMs(-1) {
			row := make([]reportValue, len(rep.attrs))
			for i, a := range rep.attrs {
				row[i] = st.reportValue(v, a)
			}
			rows = append(rows, row)
		}
	}
	st.mu.RUnlock()
	if !ok {
		notFound(w, "report %s", r.PathValue("token"))
		return
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rep.attachment))
	if rep.format == "JSON" {
		w.Header().Set("Content-Type", contentTypeJSON)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("["))
		for i, row := range rows {
			var b strings.Builder
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("{")
			for j, a := range rep.attrs {
				if j > 0 {
					b.WriteString(",")
				}
				b.Write(mustRaw(a))
				b.WriteString(":")
				b.Write(row[j].json)
			}
			b.WriteString("}")
			_, _ = w.Write([]byte(b.String()))
		}
		_, _ = w.Write([]byte("]\n"))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	cw := csv.NewWriter(w)
	_ = cw.Write(rep.attrs)
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = v.text
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
}

// reportValue is one cell: its CSV text and its JSON value.
type reportValue struct {
	text string
	json json.RawMessage
}

func textValue(s string) reportValue { return reportValue{text: s, json: mustRaw(s)} }

func numValue(f float64, decimals int) reportValue {
	s := strconv.FormatFloat(f, 'f', decimals, 64)
	return reportValue{text: s, json: json.RawMessage(s)}
}

func boolValue(b bool) reportValue {
	s := strconv.FormatBool(b)
	return reportValue{text: s, json: json.RawMessage(s)}
}

// reportEpoch anchors the deterministic report dates.
var reportEpoch = time.Date(2026, 1, 15, 6, 0, 0, 0, time.UTC)

// statFraction is a deterministic number in [0,1) for a VM attribute under the seed.
func (st *state) statFraction(v *vmRec, attr string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s/%s", st.seed, v.uuid, attr)
	return float64(h.Sum64()>>11) / (1 << 53)
}

// reportValue computes one report attribute of a VM: the figures a VM's stat holds as its
// stat has them (reportStatFields), the others drawn from the seed. The caller holds st.mu.
func (st *state) reportValue(v *vmRec, attr string) reportValue {
	f := st.statFraction(v, attr)
	switch attr {
	case "VmName":
		return textValue(v.name)
	case "Uuid":
		return textValue(v.uuid)
	case "VMstoreName":
		return textValue(st.stores[v.store].hostname)
	case "VCenterName":
		return textValue(v.vcenter)
	case "EsxHost":
		return textValue(v.host)
	case "ClonedFrom":
		return textValue("")
	case "Protection":
		return textValue([]string{"None", "Local", "Local+Remote"}[int(f*3)])
	case "PowerOn":
		return boolValue(v.powered)
	case "IsTemplate", "IsSynthetic":
		return boolValue(false)
	case "hasVMwareSnapshots":
		return boolValue(f < 0.2)
	case "LatestSnapshotDate", "LatestReplicatedSnapshotDate":
		return textValue(tintri.FormatTime(reportEpoch.Add(-time.Duration(f * 72 * float64(time.Hour))).Truncate(time.Minute)))
	case "SpaceChangePerDay":
		s, _ := st.baseStat(v)
		return numValue(s.ChangeMBPerDay/1024, 2)
	case "BlockSizeKiB":
		return numValue([]float64{4, 8, 16, 32, 64}[int(f*5)], 0)
	case "ReplicationTimeRemaining", "ReplicationBytesRemaining":
		return numValue(float64(int(f*100000)), 0)
	case "SpaceUsedDifferenceFromMaxInSet":
		return numValue(f*500, 2)
	}
	if field, ok := reportStatFields[attr]; ok {
		s, _ := st.baseStat(v)
		decimals := 2
		if strings.HasSuffix(field, "Iops") {
			decimals = 0
		}
		return numValue(statValue(&s, field), decimals)
	}
	return numValue(f*100, 2) // other percentages and reserves
}

// reportStatFields maps the report attributes that a VM's stat also holds to its field, so
// that a report without since and until says what the VMs' stat says.
var reportStatFields = map[string]string{
	"ReadIops": "operationsReadIops", "WriteIops": "operationsWriteIops", "TotalIops": "operationsTotalIops",
	"ReadMBps": "throughputReadMBps", "WriteMBps": "throughputWriteMBps", "TotalMBps": "throughputTotalMBps",
	"TotalLatency": "latencyTotalMs", "HostLatency": "latencyHostMs", "NetworkLatency": "latencyNetworkMs",
	"StorageLatency": "latencyStorageMs", "DiskLatency": "latencyDiskMs", "FlashHitPercent": "flashHitPercent",
	"SpaceProvisioned": "spaceProvisionedGiB", "SpaceUsedLive": "spaceUsedLiveGiB",
	"SpaceUsedTintriSnapshots": "spaceUsedSnapshotsTintriGiB", "SpaceUsedVmwareSnaphots": "spaceUsedSnapshotsHypervisorGiB",
	"SpaceUsedChange": "spaceUsedChangeGiB", "SpaceUsed": "spaceUsedGiB",
}
