package runner

import (
	"io"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// Format returns src in canonical HCL layout (hclwrite.Format): aligned equals signs,
// two-space indentation, normalised spacing. It does not check syntax; a file that does
// not parse comes back with its layout adjusted as far as the tokens allow.
func Format(src []byte) []byte {
	return hclwrite.Format(src)
}

// WriteDiagnostics prints diags for a person, with source snippets taken from sources
// (Config.Sources, which Load fills even when it fails) and, when color is set, ANSI
// colours. Lines are not wrapped.
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
