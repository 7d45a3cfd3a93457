package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner"
)

func init() {
	register(command{name: "validate", synopsis: "check job files without contacting any server", run: runValidate})
}

// configFlags are the flags that say which job files to load and with which variables.
type configFlags struct {
	path     string
	vars     multiFlag
	varFiles multiFlag
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// addConfigFlags adds -config, -var and -var-file to fs.
func addConfigFlags(fs *flag.FlagSet) *configFlags {
	cf := &configFlags{}
	fs.StringVar(&cf.path, "config", ".", "job file, or directory whose *.hcl files are read")
	fs.Var(&cf.vars, "var", "set a variable: -var name=value (repeatable; overrides -var-file and TINTRI_JOBS_VAR_<name>)")
	fs.Var(&cf.varFiles, "var-file", "read variables from an HCL file of name = value lines (repeatable)")
	return cf
}

// loadConfig loads the job files, printing every diagnostic (warnings too) with source
// snippets on stderr. Invalid configuration ends the command with exit code 1.
func (c *cli) loadConfig(cf *configFlags) (*runner.Config, error) {
	vars := map[string]string{}
	for _, kv := range cf.vars {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-var %q: want name=value", kv)
		}
		vars[k] = v
	}
	root, paths, err := fsRoot(append([]string{cf.path}, cf.varFiles...))
	if err != nil {
		return nil, err
	}
	opts := runner.LoadOptions{Vars: vars, VarFiles: paths[1:], Env: c.environ}
	if root != "." {
		opts.Root = root
	}
	cfg, diags := runner.Load(os.DirFS(root), paths[0], opts)
	if len(diags) > 0 {
		if err := runner.WriteDiagnostics(c.stderr, cfg.Sources, diags, c.stderrTerminal); err != nil {
			return nil, fmt.Errorf("print diagnostics: %w", err)
		}
	}
	if diags.HasErrors() {
		return nil, exitStatus(exitError)
	}
	return cfg, nil
}

// fsRoot picks the directory the job files are read under and the paths within it: the
// working directory when every path is inside it (so messages show the paths as typed),
// else the file system root.
func fsRoot(paths []string) (string, []string, error) {
	out := make([]string, len(paths))
	local := true
	for i, p := range paths {
		clean := filepath.Clean(p)
		if !filepath.IsLocal(clean) && clean != "." {
			local = false
			break
		}
		out[i] = filepath.ToSlash(clean)
	}
	if local {
		return ".", out, nil
	}
	for i, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", nil, fmt.Errorf("path %s: %w", p, err)
		}
		out[i] = strings.TrimPrefix(filepath.ToSlash(abs), "/")
		if out[i] == "" {
			out[i] = "."
		}
		if !fs.ValidPath(out[i]) {
			return "", nil, fmt.Errorf("path %s: cannot be read", p)
		}
	}
	return "/", out, nil
}

func runValidate(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("validate", "[-config PATH] [-var name=value]... [-var-file FILE]...")
	cf := addConfigFlags(fs)
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if _, err := c.logger(); err != nil {
		return err
	}
	cfg, err := c.loadConfig(cf)
	if err != nil {
		return err
	}
	tasks := 0
	for _, j := range cfg.Jobs {
		tasks += len(j.Tasks)
	}
	fmt.Fprintf(c.stdout, "The configuration is valid: %s, %s, %s, %s in %s.\n",
		plural(len(cfg.Jobs), "job"), plural(tasks, "task"), plural(len(cfg.Servers), "server"),
		plural(len(cfg.Fleets), "fleet"), plural(len(cfg.Files), "file"))
	return nil
}

// plural formats "1 job", "2 jobs".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
