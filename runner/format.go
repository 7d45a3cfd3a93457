package runner

import (
	"bytes"
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
// colours. Lines are not wrapped. A range that gives only a line and column (as data-file
// diagnostics of task kinds do) gets its byte offsets from the source so that its snippet
// shows that line.
func WriteDiagnostics(w io.Writer, sources map[string][]byte, diags hcl.Diagnostics, color bool) error {
	files := make(map[string]*hcl.File, len(sources))
	for name, src := range sources {
		f, parseDiags := hclsyntax.ParseConfig(src, name, hcl.InitialPos)
		if parseDiags.HasErrors() || f == nil {
			f = &hcl.File{Bytes: src}
		}
		files[name] = f
	}
	out := make(hcl.Diagnostics, len(diags))
	for i, d := range diags {
		c := *d
		c.Subject = withByteOffsets(c.Subject, sources)
		c.Context = withByteOffsets(c.Context, sources)
		out[i] = &c
	}
	return hcl.NewDiagnosticTextWriter(w, files, 0, color).WriteDiagnostics(out)
}

// withByteOffsets returns r with byte offsets computed from its lines and columns when
// it has none past the first line, and r itself otherwise.
func withByteOffsets(r *hcl.Range, sources map[string][]byte) *hcl.Range {
	src, ok := []byte(nil), false
	if r != nil {
		src, ok = sources[r.Filename]
	}
	if !ok || r.Start.Byte != 0 || r.Start.Line <= 1 {
		return r
	}
	c := *r
	c.Start.Byte = byteOffset(src, c.Start)
	c.End.Byte = max(byteOffset(src, c.End), c.Start.Byte)
	return &c
}

// byteOffset is the offset of line pos.Line, column pos.Column (counted in bytes) in src,
// kept within that line.
func byteOffset(src []byte, pos hcl.Pos) int {
	off := 0
	for line := 1; line < pos.Line; line++ {
		i := bytes.IndexByte(src[off:], '\n')
		if i < 0 {
			return len(src)
		}
		off += i + 1
	}
	end := len(src)
	if i := bytes.IndexByte(src[off:], '\n'); i >= 0 {
		end = off + i
	}
	return min(off+max(pos.Column-1, 0), end)
}
