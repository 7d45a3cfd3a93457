package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/internal/redact"
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

// Overlap policies of a job whose previous run is still going when it is due again.
const (
	OverlapSkip  = "skip"
	OverlapQueue = "queue"
)

// DefaultHistoryLimit is the number of runs kept per job when its history_limit is unset.
const DefaultHistoryLimit = 100

// Config is a loaded, validated set of job files. Task bodies are kept undecoded: the
// kinds decode them (runner/engine.Load).
type Config struct {
	// Files are the job files read, in the order they were read.
	Files []string
	// Sources maps every file read (job files, variable files, urls files, files tasks
	// read) to its contents, for the source snippets of diagnostics. Secrets written in
	// them (literal passwords, values of sensitive variables) are masked with '*'.
	Sources map[string][]byte

	Variables map[string]*Variable
	Servers   map[string]*Server
	Fleets    map[string]*Fleet
	// Jobs are in file order.
	Jobs []*Job
	// Slack is the slack block (nil: none); Notify the notify blocks, in file order.
	Slack  *Slack
	Notify []*Notify

	// Eval is the context task bodies are evaluated in: var.*, server.<name>, fleet.<name>,
	// the functions (env() and file() record what they read for the hash).
	Eval *hcl.EvalContext
	// BaseDir is the job files' directory within FS; relative paths resolve against it.
	BaseDir string
	// FS is what the job files and the files they name are read through.
	FS fs.FS
	// Root is the operating-system directory FS is rooted at (LoadOptions.Root).
	Root string
}

// Variable is a `variable "name"` block with its final value.
type Variable struct {
	Name        string
	Description string
	Sensitive   bool
	DeclRange   hcl.Range
}

// Connection holds the settings server and fleet blocks share.
type Connection struct {
	Username           string
	Password           tintri.Secret
	CAFile             string
	InsecureSkipVerify bool
	MaxInflight        int           // ceiling of the requests in flight (fixed limit when DisableAdaptive); 0: the client's default
	MinInflight        int           // floor of the adaptive limit; 0: the client's default
	DisableAdaptive    bool          // adaptive = false: MaxInflight requests in flight, fixed
	Timeout            time.Duration // of one request; 0: the client's default
	Attempts           int           // tries of a request worth repeating; 0: the client's default
}

// Server is a `server "name"` block: one appliance.
type Server struct {
	Name string
	URL  string
	Kind string // KindTGC or KindVMstore
	Connection
	DeclRange hcl.Range
}

// Fleet is a `fleet "name"` block: many VMstores sharing credentials. Exactly one of URLs
// (from `urls` or `urls_file`, read at load time) and DiscoverFrom is set.
type Fleet struct {
	Name         string
	URLs         []string
	DiscoverFrom string // name of a TGC server block
	Connection
	DeclRange hcl.Range
}

// Job is a `job "name"` block.
type Job struct {
	Name          string
	Schedule      string
	TimeZone      string
	Mode          string // ModeApply (default) or ModePlan
	MaxChanges    int    // 0 = no limit
	FailFast      bool
	AllowPartial  bool
	Overlap       string // OverlapSkip (default) or OverlapQueue
	CatchUpWithin time.Duration
	Jitter        time.Duration
	HistoryLimit  int
	Tasks         []*TaskBlock
	DeclRange     hcl.Range
}

// TaskBlock is a `task "<kind>" "name"` block inside a job, its kind-specific body not yet
// decoded.
type TaskBlock struct {
	Kind       string
	Name       string
	MaxChanges int // 0 = no limit
	// Body is the block's body without the attributes every task has (max_changes).
	Body      hcl.Body
	KindRange hcl.Range // the kind label
	DeclRange hcl.Range
}

// Record adds a file a task read (path within FS) to Sources, so that diagnostics in it
// show source snippets.
func (c *Config) Record(path string, b []byte) { c.Sources[path] = b }

// Job returns the job named name, or nil.
func (c *Config) Job(name string) *Job {
	for _, j := range c.Jobs {
		if j.Name == name {
			return j
		}
	}
	return nil
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ServerNames lists the declared server blocks, sorted.
func (c *Config) ServerNames() []string { return sortedKeys(c.Servers) }

// FleetNames lists the declared fleets, sorted.
func (c *Config) FleetNames() []string { return sortedKeys(c.Fleets) }

// Path resolves a relative, slash-separated p against BaseDir; an absolute p is returned
// as is.
func (c *Config) Path(p string) string { return joinPath(c.BaseDir, p) }

// OSPath is Path as an operating-system path under Root, for files a task writes rather
// than reads through FS. An absolute p is returned as is.
func (c *Config) OSPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Root, filepath.FromSlash(c.Path(p)))
}

// ReadFile reads p, relative to BaseDir, through FS, records it (Record) and returns the
// path it read with the contents.
func (c *Config) ReadFile(p string) (string, []byte, error) {
	full, b, err := readRelative(c.FS, c.BaseDir, p)
	if err != nil {
		return "", nil, err
	}
	c.Record(full, b)
	return full, b, nil
}

// MemberKey returns the key of a fleet member URL: its host[:port], as the runner's
// clients take it and tintri.Client.Host reports it. A bare host is read as https://host.
func MemberKey(rawURL string) (string, error) {
	s := strings.TrimSpace(rawURL)
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its text repeats the URL, credentials included
	}
	if err != nil {
		return "", fmt.Errorf("fleet member url %q: %w", redact.URL(rawURL), err)
	}
	if u.Host == "" {
		return "", fmt.Errorf("fleet member url %q: no host", redact.URL(rawURL))
	}
	return u.Host, nil
}
