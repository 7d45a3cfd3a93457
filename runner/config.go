package runner

import (
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Server kinds accepted in server blocks.
const (
	KindTGC     = "tgc"
	KindVMstore = "vmstore"
)

// Job modes.
const (
	ModeApply = "apply"
	ModePlan  = "plan"
)

// Config is a loaded, validated set of job files.
type Config struct {
	// Files are the job files read, in the order they were read.
	Files []string
	// Hash identifies the configuration's content (files and variable values); a plan file
	// records it so an apply refuses a plan made from another configuration.
	Hash string
	// Sources maps every file the loader read (job files, variable files, urls files) to
	// its contents, so that WriteDiagnostics can print source snippets. Secrets written in
	// them (literal passwords, values of sensitive variables) are masked with '*'.
	Sources map[string][]byte

	Variables map[string]*Variable
	Servers   map[string]*Server
	Fleets    map[string]*Fleet
	// Jobs are in file order.
	Jobs []*Job
}

// Variable is a `variable "name"` block with its final value.
type Variable struct {
	Name        string
	Description string
	Sensitive   bool
	DeclRange   hcl.Range
}

// Server is a `server "name"` block: one appliance.
type Server struct {
	Name               string
	URL                string
	Kind               string // KindTGC or KindVMstore
	Username           string
	Password           tintri.Secret
	CAFile             string
	InsecureSkipVerify bool
	MaxInflight        int
	DeclRange          hcl.Range
}

// Fleet is a `fleet "name"` block: many VMstores sharing credentials. Exactly one of URLs
// (from `urls` or `urls_file`, read at load time) and DiscoverFrom is set.
type Fleet struct {
	Name               string
	URLs               []string
	DiscoverFrom       string // name of a TGC server block
	Username           string
	Password           tintri.Secret
	CAFile             string
	InsecureSkipVerify bool
	MaxInflight        int
	DeclRange          hcl.Range
}

// Job is a `job "name"` block.
type Job struct {
	Name          string
	Schedule      string
	TimeZone      string
	Mode          string // ModeApply (default) or ModePlan
	MaxChanges    int    // 0 = no limit
	FailFast      bool
	Overlap       string // "skip" (default) or "queue"
	CatchUpWithin time.Duration
	Jitter        time.Duration
	HistoryLimit  int // default 100
	Tasks         []*TaskBlock
	DeclRange     hcl.Range
}

// TaskBlock is a `task "<kind>" "name"` block inside a job.
type TaskBlock struct {
	Kind       string
	Name       string
	MaxChanges int // 0 = no limit
	Task       Task
	DeclRange  hcl.Range
}

// Targets names the VMstores a fleet-wide task works on: a fleet, or a list of servers.
type Targets struct {
	Fleet   string   `json:"fleet,omitempty"`
	Servers []string `json:"servers,omitempty"`
}
