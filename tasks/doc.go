// Package tasks holds the task kinds of tintri-jobs, one file per kind. Each kind
// registers itself with runner.Register from an init function; importing the package
// (for its side effect) makes every kind available to job files.
//
// A kind's file holds:
//
//   - its body struct: every attribute with its package decode tags (type, required,
//     default, enum, bounds) and a doc string, which `tintri-jobs kinds` and the README's
//     attribute tables show. The runner decodes a task body into it, reporting type,
//     enum, range and missing-attribute errors at the attribute, before the kind sees it.
//   - its build function, given to runner.Register: only the checks that combine
//     attributes, need the job's context (server and fleet references) or read files at
//     decode time, reporting problems as hcl.Diagnostics whose Subject is the offending
//     attribute (or, for data files such as VM lists and report field lists, the offending
//     line of that file). It builds the task value, without any network access.
//   - Plan, which gets a runner.PlanEnv whose clients are read-only (*tintri.Reader) and
//     returns the changes to make.
//   - Apply, which gets a runner.ApplyEnv and makes exactly one planned change; applying a
//     plan twice writes nothing the second time, because the second plan is empty.
//
// A kind uses the shared files below, never another kind's file, so adding a kind adds
// one file (plus its tests and testdata):
//
//	tgc.go        the server attribute of TGC kinds (tgcBody, serviceGroupBody), the TGC
//	              client check for either environment, service-group lookup, VM ids by
//	              name, VMstore names to uuids
//	fleet.go      the fleet/servers attributes of VMstore kinds (targetsBody), the VMstore
//	              client check, planning every target concurrently (applianceFleetPlan),
//	              VMstore names for people (vmstoreDisplay, vmstoreName)
//	vmnames.go    VM names from a CSV file and a list attribute (vmNameList)
//	selection.go  the VM selection attributes (vmSelectionBody) and the paged listing
//	              that applies them
//	diags.go      attrError, for diagnostics whose summary is not decode's "Invalid …"
//	csv_*.go      the readers of VM lists, report field lists and data IP files
//	placeholders.go  the clock placeholders of names and paths ({date}, {time}, {datetime})
//	show.go       how messages show values (showDuration)
//
// data_ip and vm_snapshot span several files: data_ip_diff.go and data_ip_delta.go compute
// a VMstore's new IP list and merge it; vm_snapshot_plan.go and vm_snapshot_apply.go plan
// and make the snapshots.
//
// Kinds:
//
//	appliance_dns          DNS servers of every VMstore of a fleet
//	data_ip                data IPs of VMstores
//	maintenance_mode       maintenance windows of VMstores
//	service_group_qos      QoS of a TGC service group, applied to its members
//	service_group_members  static members of a TGC service group, from a list or a CSV file
//	vm_affinity            migration-affinity rule of selected VMs (TGC, v310.51+)
//	vm_report              a TGC VM report downloaded atomically into a file
//	vm_snapshot            a snapshot of selected VMs per window, expired ones deleted
//
// # VM lists
//
// service_group_members (csv) and vm_affinity (vms_csv) read VM names from a CSV file,
// relative to the job file, with the reader every data file shares (csv_read.go): UTF-8
// with or without a byte order mark or UTF-16 with one, comma, semicolon or tab separators
// (detected), CRLF line ends, blank lines, lines starting with '#' (comments), spaces around
// names and quoted names holding the separator; other encodings, NUL bytes and cells over
// 1,024 bytes are refused with file, line and column. The first row is a header when csv_column (vms_csv_column) names one
// of its cells, or when a cell is name, vm, vm name or vmname (any case); names are then
// taken from that column. Otherwise every cell of every row is a name. A name listed
// more than once counts once and draws a warning naming every line it is on. Errors name
// the file, the line and the offending text; their ranges carry byte offsets, so the CLI
// prints that line of the file as the snippet.
//
// # VM selection (vm_affinity, vm_snapshot)
//
// name_contains, name_regex, name_glob, service_group, vms and vms_csv select VMs as a
// union; exclude_names (exact names or path.Match globs) then removes VMs. name_contains
// ignores case, exactly like the TGC's own name filter that the vendor scripts use, so
// "vdi" selects vdi-0001 and MY-VDI alike; name_regex and name_glob are case-sensitive.
// A selection matching no VM fails the plan unless allow_empty = true.
//
// # Report files (vm_report)
//
// The output path may hold {date} (2026-11-26), {time} (174501), {datetime}
// (20261126T174501Z), {job} and {task}, filled at plan time from the run's clock in UTC.
// The report is streamed into a temporary file beside the output (mode 0640 unless mode
// says otherwise) and renamed into place once complete and synced, so the output never
// holds a partial report. Fields that are VM statistics are joined to the TGC's report
// (vm_report_stats.go).
package tasks
