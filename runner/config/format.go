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
	if _, diags := hclsyntax.ParseConfig(src, name, hcl.InitialPos); diags.HasErrors() {
		return nil, diags
	}
	return hclwrite.Format(src), nil
}

// WriteDiagnostics prints diags for a person, with source snippets taken from sources
// (Config.Sources, which Load fills even when it fails) and, when color is set, ANSI
// colours. Lines are not wrapped. Snippets are cut by the ranges' byte offsets, which
// diagnostics about data files carry too (the task kinds compute them from the file).
func WriteDiagnostics(w io.Writer, sources map[string][]byte, diags hcl.Diagnostics, color bool) error {
	files := make(map[string]*hcl.File, len(sources))
	for name, src := range sources {
		f, parseDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if parseDiags.HasErrors() || f == nil {
			f = &hcl.File{Bytes: src}
		}
		files[name] = f
	}
	return hcl.NewDiagnosticTextWriter(w, files, 0, color).WriteDiagnostics(diags)
}
