package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

func init() {
	register(command{name: "fmt", synopsis: "rewrite job files in canonical HCL style", run: runFmt})
}

// diffContext is the number of unchanged lines around each hunk of -diff.
const diffContext = 3

func runFmt(_ context.Context, c *cli, args []string) error {
	fs := c.flagSet("fmt", "[-check] [-diff] [PATH...]")
	check := fs.Bool("check", false, "do not write; list the files that are not formatted and exit 1 if any")
	showDiff := fs.Bool("diff", false, "print a unified diff of the formatting changes")
	if err := parseFlags(fs, args, 1<<30); err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"."}
	}
	files, err := hclFiles(paths)
	if err != nil {
		return err
	}
	unformatted, invalid := 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("fmt: %w", err)
		}
		out, diags := config.Format(f, src)
		if diags.HasErrors() {
			invalid++
			if err := c.writeDiagnostics(map[string][]byte{f: src}, diags); err != nil {
				return err
			}
			continue
		}
		if bytes.Equal(src, out) {
			continue
		}
		unformatted++
		fmt.Fprintln(c.stdout, f)
		if *showDiff {
			writeUnifiedDiff(c.stdout, f, string(src), string(out))
		}
		if !*check {
			st, err := os.Stat(f)
			if err != nil {
				return fmt.Errorf("fmt: %w", err)
			}
			if err := os.WriteFile(f, out, st.Mode().Perm()); err != nil {
				return fmt.Errorf("fmt: %w", err)
			}
		}
	}
	if invalid > 0 {
		return fmt.Errorf("fmt: %s not formatted: syntax errors above", plural(invalid, "file"))
	}
	if *check && unformatted > 0 {
		return exitStatus(exitError)
	}
	return nil
}

// hclFiles expands directories to the *.hcl files directly in them, sorted.
func hclFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("fmt: %w", err)
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		matches, err := filepath.Glob(filepath.Join(p, "*.hcl"))
		if err != nil {
			return nil, fmt.Errorf("fmt: %w", err)
		}
		sort.Strings(matches)
		files = append(files, matches...)
	}
	return files, nil
}

// writeUnifiedDiff writes the line diff of a and b in unified format.
func writeUnifiedDiff(w io.Writer, name, a, b string) {
	al, bl := splitLines(a), splitLines(b)
	ops := diffLines(al, bl)
	fmt.Fprintf(w, "--- %s\n+++ %s (formatted)\n", name, name)
	for start := 0; start < len(ops); {
		// Find the next change and the hunk around it.
		first := start
		for first < len(ops) && ops[first].kind == ' ' {
			first++
		}
		if first == len(ops) {
			return
		}
		lo := max(first-diffContext, start)
		hi := first
		for last := first; last < len(ops); last++ {
			if ops[last].kind != ' ' {
				hi = last
			} else if last-hi > 2*diffContext {
				break
			}
		}
		hi = min(hi+diffContext, len(ops)-1)
		aStart, aLen, bStart, bLen := ops[lo].a+1, 0, ops[lo].b+1, 0
		for _, op := range ops[lo : hi+1] {
			if op.kind != '+' {
				aLen++
			}
			if op.kind != '-' {
				bLen++
			}
		}
		fmt.Fprintf(w, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
		for _, op := range ops[lo : hi+1] {
			fmt.Fprintf(w, "%c%s\n", op.kind, op.text)
		}
		start = hi + 1
	}
}

// diffOp is one line of a diff: ' ' kept, '-' only in a, '+' only in b; a and b are the
// 0-based line numbers the op is at in each file.
type diffOp struct {
	kind byte
	text string
	a, b int
}

// diffLines is a longest-common-subsequence line diff (job files are small).
func diffLines(a, b []string) []diffOp {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []diffOp
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, diffOp{' ', a[i], i, j})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, diffOp{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, diffOp{'+', b[j], i, j})
			j++
		}
	}
	return ops
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
