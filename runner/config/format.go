package config

import (
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src, the contents of the file name, in canonical HCL layout
// (hclwrite.Format): aligned equals signs, two-space indentation, normalised spacing. A
// file that does not parse is not formatted: Format returns its syntax errors instead.
func Format(name string, src []byte) ([]byte, hcl.Diagnostics) {
	if d := checkSource(name, "The file "+name, src, false); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// WriteDiagnostics prints diags for a person, with source snippets taken from sources
// (Config.Sources, which Load fills even when it fails) and, when color is set, ANSI
// colours. Lines are not wrapped. Snippets are cut by the ranges' byte offsets, which
// diagnostics about data files carry too (the task kinds compute them from the file).
// Only the files the diagnostics point into are parsed (for the block a snippet is in),
// and only within the parser's bounds (checkSource).
func WriteDiagnostics(w io.Writer, sources map[string][]byte, diags hcl.Diagnostics, color bool) error {
	files := map[string]*hcl.File{}
	for _, d := range diags {
		for _, r := range []*hcl.Range{d.Subject, d.Context} {
			if r == nil || files[r.Filename] != nil {
				continue
			}
			src, ok := sources[r.Filename]
			if !ok {
				continue
			}
			f := &hcl.File{Bytes: src}
			if checkSource(r.Filename, "The file "+r.Filename, src, false) == nil {
				if parsed, parseDiags := hclsyntax.ParseConfig(src, r.Filename, hcl.InitialPos); !parseDiags.HasErrors() && parsed != nil {
					f = parsed
				}
			}
			files[r.Filename] = f
		}
	}
	return hcl.NewDiagnosticTextWriter(w, files, 0, color).WriteDiagnostics(diags)
}
