package runner

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
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

// envVarPrefix prefixes environment variables that set job-file variables.
const envVarPrefix = "TINTRI_JOBS_VAR_"

// loader holds the state of one Load call.
type loader struct {
	fsys    fs.FS
	opts    LoadOptions
	env     map[string]string
	baseDir string
	cfg     *Config
	// hashInputs maps "file:<path>", "env:<name>" and "var:<name>" to what was read.
	hashInputs map[string][]byte
	// secrets are the source ranges of values written in the files that Config.Sources
	// must not show (see redactLiterals).
	secrets []hcl.Range
}

// Load reads and validates the job files at path within fsys: one .hcl file, or every
// *.hcl file directly in a directory, in name order. It never uses the network.
//
// Load always returns a non-nil Config. When the diagnostics hold errors the Config is
// incomplete and only its Files and Sources are meant to be used (to print the
// diagnostics with WriteDiagnostics).
func Load(fsys fs.FS, p string, opts LoadOptions) (*Config, hcl.Diagnostics) {
	l := &loader{
		fsys:       fsys,
		opts:       opts,
		env:        parseEnviron(opts.Env),
		hashInputs: map[string][]byte{},
		cfg: &Config{
			Sources:   map[string][]byte{},
			Variables: map[string]*Variable{},
			Servers:   map[string]*Server{},
			Fleets:    map[string]*Fleet{},
		},
	}
	files, diags := l.discover(p)
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
	l.cfg.Hash = l.hash()
	l.redactSources()
	return l.cfg, diags
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
		src, err := fs.ReadFile(l.fsys, name)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Failed to read job file",
				Detail:   fmt.Sprintf("Cannot read %s: %s.", name, err),
			})
			continue
		}
		l.cfg.Files = append(l.cfg.Files, name)
		l.cfg.Sources[name] = src
		l.hashInputs["file:"+name] = src
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
	},
}

// decode runs the variable, server/fleet and job phases over the parsed files.
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

// hash digests every hash input in key order, each length-prefixed. Files inside the job
// files' directory are keyed by their path relative to it, so the same configuration has
// the same hash however -config names it ("jobs.hcl", "./jobs.hcl", "/etc/tintri/jobs.hcl"
// from /etc/tintri).
func (l *loader) hash() string {
	inputs := make(map[string][]byte, len(l.hashInputs))
	for k, v := range l.hashInputs {
		if p, ok := strings.CutPrefix(k, "file:"); ok && l.baseDir != "." {
			if rel, inside := strings.CutPrefix(p, l.baseDir+"/"); inside {
				k = "file:" + rel
			}
		}
		inputs[k] = v
	}
	keys := make([]string, 0, len(inputs))
	for k := range inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	var n [8]byte
	for _, k := range keys {
		for _, part := range [][]byte{[]byte(k), inputs[k]} {
			binary.BigEndian.PutUint64(n[:], uint64(len(part)))
			h.Write(n[:])
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}
