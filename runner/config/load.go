package config

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// LoadOptions are the inputs of Load that do not come from the job files.
type LoadOptions struct {
	// Vars are -var name=value pairs.
	Vars map[string]string
	// VarFiles are variable files (HCL attributes name = value), paths within the FS.
	VarFiles []string
	// Env is the environment in os.Environ form. env() and TINTRI_JOBS_VAR_<name> read it.
	Env []string
	// Root is the operating-system directory the FS is rooted at (os.DirFS(Root)). A
	// relative ca_file, which the loader resolves against the job file's directory in
	// the FS, becomes an OS path under Root; "" leaves it as the path within the FS,
	// which is right for OSFS and os.DirFS(".").
	Root string
}

// EnvVarPrefix prefixes environment variables that set job-file variables
// (TINTRI_JOBS_VAR_<name>).
const EnvVarPrefix = "TINTRI_JOBS_VAR_"

// loader holds the state of one Load call.
type loader struct {
	fsys    fs.FS
	opts    LoadOptions
	env     map[string]string
	baseDir string
	cfg     *Config
	// secrets are the source ranges of values written in the files that Config.Sources
	// must not show (see redactLiterals); wholes those of credential expressions masked
	// whole (see redactCredential).
	secrets, wholes []hcl.Range
	// credentials are the credential expressions whose words diagnostics must not quote.
	credentials []credential
}

// Load reads and validates the job files at path within fsys: one .hcl file, or every
// *.hcl file directly in a directory, in name order. It never uses the network. Task
// bodies are checked for what every task has (max_changes, a valid name); their kinds
// decode the rest (runner/engine.Load).
//
// Load always returns a non-nil Config. When the diagnostics hold errors the Config is
// incomplete and only its Files and Sources are meant to be used (to print the
// diagnostics with WriteDiagnostics).
func Load(fsys fs.FS, p string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	l := &loader{
		fsys: fsys,
		opts: opts,
		env:  parseEnviron(opts.Env),
		cfg: &Config{
			Sources:   map[string][]byte{},
			Variables: map[string]*Variable{},
			Servers:   map[string]*Server{},
			Fleets:    map[string]*Fleet{},
			FS:        fsys,
			Root:      opts.Root,
		},
	}
	files, diags := l.discover(p)
	l.cfg.BaseDir = l.baseDir
	if diags.HasErrors() {
		return l.cfg, diags
	}
	bodies, parseDiags := l.parse(files)
	diags = append(diags, parseDiags...)
	if diags.HasErrors() {
		l.redactSources()
		return l.cfg, diags
	}
	diags = append(diags, l.decode(bodies)...)
	l.redactSources()
	l.redactDiagnostics(diags)
	return l.cfg, sortDiagnostics(diags)
}

// sortDiagnostics orders diagnostics as a person reads the files: by file, then position;
// those without a source range come first. The sort is stable, so diagnostics at one
// place keep their order.
func sortDiagnostics(diags hcl.Diagnostics) hcl.Diagnostics {
	sort.SliceStable(diags, func(i, j int) bool {
		a, b := diags[i].Subject, diags[j].Subject
		switch {
		case a == nil || b == nil:
			return a == nil && b != nil
		case a.Filename != b.Filename:
			return a.Filename < b.Filename
		}
		return a.Start.Byte < b.Start.Byte
	})
	return diags
}

// discover lists the job files at p and sets the base directory.
func (l *loader) discover(p string) ([]string, hcl.Diagnostics) {
	p = path.Clean(p)
	info, err := fs.Stat(l.fsys, p)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read job files",
			Detail:   fmt.Sprintf("Cannot read %s: %s.", p, err),
		}}
	}
	if !info.IsDir() {
		l.baseDir = path.Dir(p)
		return []string{p}, nil
	}
	l.baseDir = p
	entries, err := fs.ReadDir(l.fsys, p)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Failed to read job files",
			Detail:   fmt.Sprintf("Cannot list directory %s: %s.", p, err),
		}}
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".hcl") {
			files = append(files, path.Join(p, e.Name()))
		}
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "No job files",
			Detail:   fmt.Sprintf("Directory %s has no *.hcl files.", p),
		}}
	}
	return files, nil
}

// parse reads and parses every file; Config.Files and Config.Sources record them.
func (l *loader) parse(files []string) ([]hcl.Body, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	var bodies []hcl.Body
	for _, name := range files {
		src, err := readAtMost(l.fsys, name, maxSourceSize)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Failed to read job file",
				Detail:   fmt.Sprintf("Cannot read %s: %s.", name, err),
			})
			continue
		}
		l.cfg.Files = append(l.cfg.Files, name)
		if d := checkSource(name, "The job file "+name, src, false); d != nil {
			// Not in Sources: the snippet of a line that may be 100,000 parentheses long
			// would be of no help.
			diags = append(diags, d)
			continue
		}
		l.cfg.Sources[name] = src
		f, fileDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		diags = append(diags, fileDiags...)
		if fileDiags.HasErrors() {
			l.redactUnparsed(name, src, false)
		}
		if f != nil {
			bodies = append(bodies, f.Body)
		}
	}
	return bodies, diags
}

// rootSchema lists the top-level blocks of a job file.
var rootSchema = &hcl.BodySchema{
	Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "server", LabelNames: []string{"name"}},
		{Type: "fleet", LabelNames: []string{"name"}},
		{Type: "job", LabelNames: []string{"name"}},
		{Type: "slack"},
		{Type: "notify", LabelNames: []string{"name"}},
	},
}

// decode runs the variable, server/fleet, job and slack/notify phases over the parsed files.
func (l *loader) decode(bodies []hcl.Body) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byType := map[string][]*hcl.Block{}
	for _, body := range bodies {
		content, d := body.Content(rootSchema)
		diags = append(diags, d...)
		for _, b := range content.Blocks {
			byType[b.Type] = append(byType[b.Type], b)
		}
	}

	vars, d := l.decodeVariables(byType["variable"])
	diags = append(diags, d...)
	ctx := l.evalContext(vars, byType["server"], byType["fleet"])
	l.cfg.Eval = ctx

	diags = append(diags, decodeNamedBlocks("server", byType["server"], func(b *hcl.Block) hcl.Diagnostics {
		srv, d := l.decodeServerBlock(b, ctx)
		l.cfg.Servers[srv.Name] = srv
		return d
	})...)
	diags = append(diags, decodeNamedBlocks("fleet", byType["fleet"], func(b *hcl.Block) hcl.Diagnostics {
		fl, d := l.decodeFleetBlock(b, ctx)
		l.cfg.Fleets[fl.Name] = fl
		return d
	})...)
	diags = append(diags, decodeNamedBlocks("job", byType["job"], func(b *hcl.Block) hcl.Diagnostics {
		job, d := l.decodeJobBlock(b, ctx)
		l.cfg.Jobs = append(l.cfg.Jobs, job)
		return d
	})...)
	diags = append(diags, l.decodeSlackBlocks(byType["slack"], ctx)...)
	diags = append(diags, decodeNamedBlocks("notify", byType["notify"], func(b *hcl.Block) hcl.Diagnostics {
		n, d := l.decodeNotifyBlock(b, ctx)
		l.cfg.Notify = append(l.cfg.Notify, n)
		return d
	})...)
	return diags
}

// decodeNamedBlocks runs decode on each block of one type in order, except blocks whose
// name is invalid or already taken, which are reported instead.
func decodeNamedBlocks(what string, blocks []*hcl.Block, decode func(*hcl.Block) hcl.Diagnostics) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if d := checkBlockName(what, b, seen); d != nil {
			diags = append(diags, d)
			continue
		}
		diags = append(diags, decode(b)...)
	}
	return diags
}

// checkBlockName reports an invalid or duplicate block name (the label) and otherwise
// records it in seen.
func checkBlockName(what string, b *hcl.Block, seen map[string]hcl.Range) *hcl.Diagnostic {
	name := b.Labels[0]
	if !hclsyntax.ValidIdentifier(name) {
		return &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid " + what + " name",
			Detail: fmt.Sprintf("%q is not a valid %s name: a name must start with a letter "+
				"and contain only letters, digits, underscores and dashes.", name, what),
			Subject: b.LabelRanges[0].Ptr(),
		}
	}
	if prev, dup := seen[name]; dup {
		return duplicateDiag(what, name, prev, b.DefRange)
	}
	seen[name] = b.DefRange
	return nil
}

// duplicateDiag reports a second block of a kind with the same name, pointing at the new
// block and naming where the first one is.
func duplicateDiag(what, name string, prev, cur hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Duplicate " + what + " block",
		Detail: fmt.Sprintf("A %s named %q was already declared at %s. Names of %s blocks must be unique.",
			what, name, prev, what),
		Subject: cur.Ptr(),
	}
}

// parseEnviron turns os.Environ pairs into a map; later pairs win.
func parseEnviron(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}
