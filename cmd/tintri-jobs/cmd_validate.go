package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

func init() {
	register(command{name: "validate", synopsis: "check job files without contacting any server", run: runValidate})
}

// configFlags are the flags that say which job files to load and with which variables.
type configFlags struct {
	path     string
	vars     multiFlag
	varFiles multiFlag
	fs       *flag.FlagSet // to tell whether -config was given
	// limits, when the command has -timeout and -attempts, override the job files'.
	limits *requestFlags
}

// requestFlags are -timeout and -attempts: how long one request may take and how often
// it is tried, for every server, overriding the job files (0: as the job files say).
type requestFlags struct {
	timeout  time.Duration
	attempts int
}

// addRequestFlags adds -timeout and -attempts to fs.
func addRequestFlags(fs *flag.FlagSet) *requestFlags {
	r := &requestFlags{}
	fs.DurationVar(&r.timeout, "timeout", 0, "let one request to an appliance take up to `DURATION` (1s to 1h), for every server; overrides the job files' timeout")
	fs.IntVar(&r.attempts, "attempts", 0, fmt.Sprintf("`N` tries of a request worth repeating (1 to %d), for every server; overrides the job files' attempts",
		config.MaxAttempts))
	return r
}

// check refuses values the client cannot use.
func (r *requestFlags) check() error {
	if r.timeout != 0 {
		if err := config.CheckTimeout(r.timeout); err != nil {
			return fmt.Errorf("-timeout %s: %w", r.timeout, err)
		}
	}
	if r.attempts != 0 {
		if err := config.CheckAttempts(r.attempts); err != nil {
			return fmt.Errorf("-attempts %d: %w", r.attempts, err)
		}
	}
	return nil
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// defaultConfigFile is the job file -config names by default when it exists in the
// working directory; otherwise the default is the working directory itself.
const defaultConfigFile = "jobs.hcl"

// addConfigFlags adds -config, -var and -var-file to fs. The default of -config is
// jobs.hcl when the working directory has one, else the directory (every *.hcl file).
func addConfigFlags(fs *flag.FlagSet) *configFlags {
	cf := &configFlags{fs: fs}
	def := "."
	if st, err := os.Stat(defaultConfigFile); err == nil && !st.IsDir() {
		def = defaultConfigFile
	}
	fs.StringVar(&cf.path, "config", def, "the job file, or the directory whose *.hcl files are read, at `PATH`; without it "+defaultConfigFile+
		" when the working directory has one, else every *.hcl file of the working directory")
	fs.Var(&cf.vars, "var", "set a variable: -var `NAME=VALUE` (repeatable; overrides -var-file and TINTRI_JOBS_VAR_<name>)")
	fs.Var(&cf.varFiles, "var-file", "read variables from `FILE`, an HCL file of name = value lines (repeatable)")
	return cf
}

// given reports whether -config was given on the command line.
func (cf *configFlags) given() bool {
	explicit := false
	cf.fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "config" })
	return explicit
}

// unreadFiles is a warning when -config was not given, defaulted to jobs.hcl, and the
// working directory holds other *.hcl files, which are then not read; nil otherwise.
func (cf *configFlags) unreadFiles() *hcl.Diagnostic {
	if cf.given() || cf.path != defaultConfigFile {
		return nil
	}
	others, _ := filepath.Glob("*.hcl")
	others = slices.DeleteFunc(others, func(f string) bool { return f == defaultConfigFile })
	if len(others) == 0 {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Other job files not read",
		Detail: fmt.Sprintf("Without -config, only %s is read when the working directory has one; %s here %s not. "+
			"Pass -config . to read every *.hcl file, or -config %s to read %s alone without this warning.",
			defaultConfigFile, strings.Join(others, ", "), map[bool]string{true: "is", false: "are"}[len(others) == 1],
			defaultConfigFile, defaultConfigFile),
	}
}

// loadConfig loads the job files, printing every diagnostic (warnings too) on stderr
// (writeDiagnostics). Invalid configuration ends the command with exit code 1. Files are
// read through config.OSFS (see configLoader, below), so every message names them by the paths
// as given.
func (c *cli) loadConfig(cf *configFlags) (*engine.Config, error) {
	cfg, diags, err := c.loadDiagnosed(cf)
	if err != nil {
		return nil, err
	}
	if len(diags) > 0 {
		if err := c.writeDiagnostics(cfg.Sources, diags); err != nil {
			return nil, err
		}
	}
	if diags.HasErrors() {
		return nil, exitStatus(exitError)
	}
	return cfg, nil
}

// loadDiagnosed checks the -var and -timeout/-attempts flags and loads the job files,
// returning their diagnostics.
func (c *cli) loadDiagnosed(cf *configFlags) (*engine.Config, hcl.Diagnostics, error) {
	for _, kv := range cf.vars {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, fmt.Errorf("-var %q: want name=value", kv)
		}
	}
	if cf.limits != nil {
		if err := cf.limits.check(); err != nil {
			return nil, nil, err
		}
	}
	cfg, diags := c.configLoader(cf)()
	return cfg, diags, nil
}

// configLoader returns a function that loads the configuration of cf again exactly as
// loadConfig did at start (the same file system, paths, variables, environment and
// -timeout/-attempts), returning its diagnostics for the daemon to log instead of printing
// them.
func (c *cli) configLoader(cf *configFlags) func() (*engine.Config, hcl.Diagnostics) {
	vars := map[string]string{}
	for _, kv := range cf.vars {
		k, v, _ := strings.Cut(kv, "=") // checked by loadConfig at start
		vars[k] = v
	}
	varFiles := make([]string, len(cf.varFiles))
	for i, f := range cf.varFiles {
		varFiles[i] = filepath.ToSlash(f)
	}
	opts := config.LoadOptions{Vars: vars, VarFiles: varFiles, Env: c.environ}
	path := filepath.ToSlash(cf.path)
	return func() (*engine.Config, hcl.Diagnostics) {
		cfg, diags := engine.Load(config.OSFS{}, path, opts)
		if d := cf.unreadFiles(); d != nil {
			diags = append(diags, d)
			cfg.Warnings = append(cfg.Warnings, engine.Warnings(hcl.Diagnostics{d})...)
		}
		if cf.limits != nil && !diags.HasErrors() {
			cfg.OverrideRequestLimits(cf.limits.timeout, cf.limits.attempts)
		}
		return cfg, diags
	}
}

func runValidate(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("validate", "[-config PATH] [-var NAME=VALUE]... [-var-file FILE]... [-json]")
	cf := addConfigFlags(fs)
	asJSON := fs.Bool("json", false, "write the diagnostics and what the configuration holds as one JSON document to stdout "+
		"(docs/schemas/validation.schema.json), instead of printing the diagnostics on stderr")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if _, err := c.logger(); err != nil {
		return err
	}
	if *asJSON {
		return c.validateJSON(cf)
	}
	cfg, err := c.loadConfig(cf)
	if err != nil {
		return err
	}
	n := configCounts(cfg)
	fmt.Fprintf(c.stdout, "The configuration is valid: %s, %s, %s, %s in %s.\n",
		plural(n.Jobs, "job"), plural(n.Tasks, "task"), plural(n.Servers, "server"), plural(n.Fleets, "fleet"), plural(n.Files, "file"))
	return nil
}

// validateJSON writes the "validation" document of the configuration: exit code 1 when it
// is invalid, as without -json.
func (c *cli) validateJSON(cf *configFlags) error {
	cfg, diags, err := c.loadDiagnosed(cf)
	if err != nil {
		return err
	}
	v := &plan.Validation{Diagnostics: engine.Diagnostics(diags)}
	if !diags.HasErrors() {
		v.Config = configCounts(cfg)
	}
	if err := (jsonView{w: c.stdout}).write(v); err != nil {
		return err
	}
	if diags.HasErrors() {
		return exitStatus(exitError)
	}
	return nil
}

// configCounts counts what a valid configuration holds.
func configCounts(cfg *engine.Config) *plan.ConfigCounts {
	n := &plan.ConfigCounts{Jobs: len(cfg.Jobs), Servers: len(cfg.Servers), Fleets: len(cfg.Fleets), Files: len(cfg.Files)}
	for _, j := range cfg.Jobs {
		n.Tasks += len(j.Tasks)
	}
	return n
}

// plural formats "1 job", "2 jobs".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
