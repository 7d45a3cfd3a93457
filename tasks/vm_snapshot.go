package tasks

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner"
	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// vm_snapshot takes a manual snapshot of the selected VMs once per window, named from a
// template, and deletes the expired snapshots it took:
//
//	task "vm_snapshot" "nightly" {
//	  server        = server.tgc               # lists and selects the VMs
//	  fleet         = fleet.lab                # or servers = [...]: the VMstores that take them
//	  service_group = "SQL Production"         # selection as vm_affinity's: name_contains,
//	                                           # name_regex, name_glob, service_group, vms,
//	                                           # vms_csv, exclude_names, allow_empty
//	  prefix        = "nightly"                # default "{job}-{task}"
//	  name          = "{prefix}-{date}-{time}" # the default
//	  consistency   = "crash"                  # or "vm"
//	  keep_last     = 7                        # and/or
//	  max_age       = "168h"
//	  window        = "24h"                    # the default
//	}
//
// Names. The template starts with {prefix} and holds {date} (2026-11-30), {time} (020000)
// or {datetime} (20261130T020000Z), from the run's clock in UTC; {job} and {task} may
// appear in it and in the prefix. A snapshot is this task's when its name is one the
// template gives (the prefix, then the rest of the template with any date and time): a
// task with prefix "db" does not take "db-prod-…" for its own. Only user-generated
// snapshots are considered; a snapshot whose name starts with the prefix but is not one
// the template gives is left alone and named in the plan's info.
//
// Window. A VM gets at most one snapshot per window: windows are consecutive stretches of
// window (24h by default) starting at multiples of it since 0001-01-01 00:00 UTC, so 24h
// windows are UTC days, 1h windows clock hours and 168h windows weeks from Monday 00:00
// UTC. A VM that has a snapshot of this task taken since the current window began, or one
// with the very name this run would give, is unchanged: a re-run, a catch-up run or a
// manual apply does not take a second one. The window is the task's own rather than the
// job's schedule because the task cannot know when it runs (daemon, catch-up, the CLI);
// aligned windows let a daily job at any hour land in a new window each day.
//
// Retention. The snapshots of this task are ranked newest first, the one this run takes
// first. With keep_last, those ranked beyond it expire; with max_age, those older than it
// (at plan time); with both, a snapshot expires only when both say so, so keep_last is a
// floor that a pause of the job does not wipe out. max_age must be at least the window. A
// snapshot that clones use (cloneReferenceCount > 0) is never deleted: the plan warns.
//
// The VMstore a VM is on is the target whose URL host is the VM's vmstoreName on the TGC
// (the host the TGC reaches it by; a fleet with discover_from = the same TGC always
// matches); a selected VM on no target fails. Snapshots are created and deleted on that
// VMstore (the TGC cannot). Each VMstore holding selected VMs is listed once (one paged
// listing of its snapshots); nothing is read per VM. The plan has one change per snapshot
// to take (address tgc/vm/<uuid>/snapshot/<name>) and one per VM whose snapshots expired,
// deleting them all (address tgc/vm/<uuid>/snapshots/<template>: the task's retention of
// that VM, which it claims for every VM it snapshots). Apply lists the VM's snapshots
// again before taking one and takes none when one of the window or of that name exists;
// it reads each snapshot again before deleting it and deletes nothing that is gone,
// renamed or cloned since the plan. The plan and apply are in vm_snapshot_plan.go and
// vm_snapshot_apply.go.

func init() {
	runner.Register("vm_snapshot", "Takes a crash- or VM-consistent snapshot of the selected VMs once per window, named from a template, and deletes the expired snapshots it took.", buildVMSnapshot)
}

// Bounds of the window and of max_age.
const (
	snapshotMinWindow = time.Hour
	snapshotMaxKeep   = 128 // the most snapshots a VM can have
)

// snapshotFields are the VM fields a plan lists.
var snapshotFields = []string{"uuid", "vmware", "vmstoreName"}

// snapshotBody is the body of a vm_snapshot task.
type snapshotBody struct {
	decode.Meta
	tgcBody
	targetsBody
	vmSelectionBody
	Name        string         `hcl:"name,optional" default:"{prefix}-{date}-{time}" doc:"The snapshot name template: {prefix} first, then {date}, {time} or {datetime} (the run's clock in UTC); {job} and {task} may appear too."`
	Prefix      string         `hcl:"prefix,optional" default:"{job}-{task}" doc:"The start of every name this task gives, by which it recognises its snapshots; may hold {job} and {task}."`
	Consistency string         `hcl:"consistency,optional" enum:"crash,vm" default:"crash" doc:"\"crash\" (a VMstore snapshot, CRASH_CONSISTENT) or \"vm\" (the hypervisor quiesces the VM first, VM_CONSISTENT)."`
	KeepLast    *int           `hcl:"keep_last,optional" min:"1" max:"128" doc:"Keep this many of the task's newest snapshots of each VM, the new one included; set this, max_age or both."`
	MaxAge      *time.Duration `hcl:"max_age,optional" doc:"Delete the task's snapshots older than this, like \"168h\" (at least window); with keep_last, only those beyond keep_last."`
	Window      time.Duration  `hcl:"window,optional" default:"24h" doc:"At most one snapshot per VM per window, like \"24h\" (UTC days) or \"1h\"; at least 1h."`
}

// snapshotTask is a decoded vm_snapshot block.
type snapshotTask struct {
	server      string
	targets     runner.Targets
	vms         vmSelection
	family      string         // the name template with the prefix, job and task filled in
	owned       *regexp.Regexp // matches every name family gives
	prefix      string
	consistency string        // tintri.ConsistencyCrash or tintri.ConsistencyVM
	keepLast    int           // 0: unset
	maxAge      time.Duration // 0: unset
	window      time.Duration
}

func buildVMSnapshot(dc *runner.DecodeContext, b *snapshotBody) (runner.Task, hcl.Diagnostics) {
	t := &snapshotTask{window: b.Window, consistency: tintri.ConsistencyCrash}
	if b.Consistency == "vm" {
		t.consistency = tintri.ConsistencyVM
	}
	var diags hcl.Diagnostics
	t.server, diags = b.server(dc)
	targets, d := b.targets(dc)
	t.targets, diags = targets, append(diags, d...)
	t.vms, d = b.selection(dc, &b.Meta)
	diags = append(diags, d...)
	diags = append(diags, t.decodeName(dc, b)...)
	diags = append(diags, t.decodeRetention(dc, b)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return t, diags
}

// decodeName checks prefix and name, and builds the name family and its pattern.
func (t *snapshotTask) decodeName(dc *runner.DecodeContext, b *snapshotBody) hcl.Diagnostics {
	jobTask := strings.NewReplacer("{job}", dc.Job, "{task}", dc.Task)
	var diags hcl.Diagnostics
	prefixAttr, nameAttr := b.Attr("prefix"), b.Attr("name")
	t.prefix = jobTask.Replace(b.Prefix)
	switch {
	case strings.TrimSpace(t.prefix) == "":
		diags = append(diags, snapshotNameError(prefixAttr, dc, "The prefix must not be empty: it tells this task's snapshots from the others."))
	case strings.ContainsAny(t.prefix, "{}") || strings.ContainsFunc(t.prefix, unicode.IsControl):
		diags = append(diags, snapshotNameError(prefixAttr, dc, "The prefix %q may hold the placeholders {job} and {task} only, and no control characters.", b.Prefix))
	}
	var clock []string
	for _, p := range placeholderRE.FindAllString(b.Name, -1) {
		switch {
		case slices.ContainsFunc(clockPlaceholders, func(c clockPlaceholder) bool { return c.name == p }):
			clock = append(clock, p)
		case p != "{prefix}" && p != "{job}" && p != "{task}":
			diags = append(diags, snapshotNameError(nameAttr, dc, "The name placeholder %s is not one of {prefix} {date} {time} {datetime} {job} {task}.", p))
		}
	}
	switch {
	case !strings.HasPrefix(b.Name, "{prefix}"):
		diags = append(diags, snapshotNameError(nameAttr, dc, "The name template %q must start with {prefix}: the task recognises its snapshots by it.", b.Name))
	case len(clock) == 0:
		diags = append(diags, snapshotNameError(nameAttr, dc, "The name template %q must hold {date}, {time} or {datetime}, so that each window's snapshot has its own name.", b.Name))
	case strings.ContainsFunc(b.Name, unicode.IsControl):
		diags = append(diags, snapshotNameError(nameAttr, dc, "The name template must not hold control characters."))
	}
	if diags.HasErrors() {
		return diags
	}
	t.family = strings.ReplaceAll(jobTask.Replace(b.Name), "{prefix}", t.prefix)
	pattern := regexp.QuoteMeta(t.family)
	for _, c := range clockPlaceholders {
		pattern = strings.ReplaceAll(pattern, regexp.QuoteMeta(c.name), c.pattern)
	}
	t.owned = regexp.MustCompile("^" + pattern + "$")
	return nil
}

// snapshotNameError is an "Invalid <attribute>" diagnostic at attr, or at the task's header
// when attr is absent (a default in use).
func snapshotNameError(attr *hcl.Attribute, dc *runner.DecodeContext, format string, args ...any) *hcl.Diagnostic {
	if attr != nil {
		return decode.Invalid(attr, format, args...)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid snapshot name", Detail: fmt.Sprintf(format, args...), Subject: dc.DefRange.Ptr()}
}

// decodeRetention checks keep_last, max_age and window.
func (t *snapshotTask) decodeRetention(dc *runner.DecodeContext, b *snapshotBody) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if b.Window < snapshotMinWindow {
		diags = append(diags, decode.Invalid(b.Attr("window"), "The window must be at least %s, not %s.", showDuration(snapshotMinWindow), showDuration(b.Window)))
	}
	if b.KeepLast != nil {
		t.keepLast = *b.KeepLast
	}
	if b.MaxAge != nil {
		t.maxAge = *b.MaxAge
		if t.maxAge < b.Window {
			diags = append(diags, decode.Invalid(b.Attr("max_age"),
				"The max_age %s is shorter than the window %s: each window's snapshot would expire before the next one is due.", showDuration(t.maxAge), showDuration(b.Window)))
		}
	}
	if b.KeepLast == nil && b.MaxAge == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing retention",
			Detail:   "Set keep_last, max_age or both: without them the snapshots would pile up to the VMstore's limit of 128 per VM.",
			Subject:  dc.DefRange.Ptr(),
		})
	}
	return diags
}

// snapshotName is the name a snapshot taken at now gets.
func (t *snapshotTask) snapshotName(now time.Time) string {
	return strings.NewReplacer(clockReplacements(now)...).Replace(t.family)
}

// mine reports whether sn is one of this task's snapshots: user generated, named from the
// template.
func (t *snapshotTask) mine(sn *tintri.Snapshot) bool {
	return sn.Type == tintri.SnapshotUserGenerated && t.owned.MatchString(sn.Description)
}
