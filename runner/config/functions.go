package config

import (
	"fmt"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// evalContext builds the context every expression of the job files is evaluated in:
// var.<name>, server.<name> and fleet.<name> (the block's name as a string), and the
// functions.
func (l *loader) evalContext(vars map[string]cty.Value, servers, fleets []*hcl.Block) *hcl.EvalContext {
	names := func(blocks []*hcl.Block) cty.Value {
		m := map[string]cty.Value{}
		for _, b := range blocks {
			m[b.Labels[0]] = cty.StringVal(b.Labels[0])
		}
		return cty.ObjectVal(m)
	}
	return &hcl.EvalContext{
		Variables: map[string]cty.Value{
			"var":    cty.ObjectVal(vars),
			"server": names(servers),
			"fleet":  names(fleets),
		},
		Functions: l.functions(),
	}
}

// functions returns the functions job files may call.
func (l *loader) functions() map[string]function.Function {
	return map[string]function.Function{
		"abs":          stdlib.AbsoluteFunc,
		"ceil":         stdlib.CeilFunc,
		"chomp":        stdlib.ChompFunc,
		"chunklist":    stdlib.ChunklistFunc,
		"coalesce":     stdlib.CoalesceFunc,
		"coalescelist": stdlib.CoalesceListFunc,
		"compact":      stdlib.CompactFunc,
		"concat":       stdlib.ConcatFunc,
		"contains":     stdlib.ContainsFunc,
		"csvdecode":    stdlib.CSVDecodeFunc,
		"distinct":     stdlib.DistinctFunc,
		"element":      stdlib.ElementFunc,
		"env":          l.envFunc(),
		"file":         l.fileFunc(),
		"flatten":      stdlib.FlattenFunc,
		"floor":        stdlib.FloorFunc,
		"format":       stdlib.FormatFunc,
		"formatdate":   stdlib.FormatDateFunc,
		"formatlist":   stdlib.FormatListFunc,
		"indent":       stdlib.IndentFunc,
		"index":        stdlib.IndexFunc,
		"join":         stdlib.JoinFunc,
		"jsondecode":   jsonDecodeFunc,
		"jsonencode":   stdlib.JSONEncodeFunc,
		"keys":         stdlib.KeysFunc,
		"length":       stdlib.LengthFunc,
		"lookup":       stdlib.LookupFunc,
		"lower":        stdlib.LowerFunc,
		"max":          stdlib.MaxFunc,
		"merge":        stdlib.MergeFunc,
		"min":          stdlib.MinFunc,
		"parseint":     stdlib.ParseIntFunc,
		"range":        stdlib.RangeFunc,
		"regex":        stdlib.RegexFunc,
		"regexall":     stdlib.RegexAllFunc,
		"replace":      stdlib.ReplaceFunc,
		"reverse":      stdlib.ReverseListFunc,
		"setunion":     stdlib.SetUnionFunc,
		"slice":        stdlib.SliceFunc,
		"sort":         stdlib.SortFunc,
		"split":        stdlib.SplitFunc,
		"strrev":       stdlib.ReverseFunc,
		"substr":       stdlib.SubstrFunc,
		"title":        stdlib.TitleFunc,
		"trim":         stdlib.TrimFunc,
		"trimprefix":   stdlib.TrimPrefixFunc,
		"trimspace":    stdlib.TrimSpaceFunc,
		"trimsuffix":   stdlib.TrimSuffixFunc,
		"upper":        stdlib.UpperFunc,
		"values":       stdlib.ValuesFunc,
		"zipmap":       stdlib.ZipmapFunc,
	}
}

// jsonDecodeFunc is the standard library's jsondecode, refusing a document that nests
// arrays and objects deeper than maxNesting before go-cty reads it: its reader recurses
// once per level, so a deep enough document (read with file()) exhausts the stack.
var jsonDecodeFunc = function.New(&function.Spec{
	Description: stdlib.JSONDecodeFunc.Description(),
	Params:      stdlib.JSONDecodeFunc.Params(),
	Type: func(args []cty.Value) (cty.Type, error) {
		if args[0].IsKnown() && jsonTooDeep(args[0].AsString()) {
			return cty.NilType, function.NewArgErrorf(0, "the JSON document nests arrays and objects more than %d levels deep", maxNesting)
		}
		return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
	},
	Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) { return stdlib.JSONDecodeFunc.Call(args) },
})

// jsonTooDeep reports JSON text that nests arrays and objects deeper than maxNesting.
func jsonTooDeep(s string) bool {
	depth, inString, escaped := 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inString:
			escaped, inString = !escaped && c == '\\', inString && (escaped || c != '"')
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > maxNesting {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}

// envFunc is env("NAME"): the variable from LoadOptions.Env; unset is an error, set to
// the empty string is not.
func (l *loader) envFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the value of an environment variable.",
		Params:      []function.Parameter{{Name: "name", Type: cty.String, AllowMarked: true}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			name := arg.AsString()
			v, ok := l.env[name]
			if !ok {
				if len(marks) > 0 {
					return cty.UnknownVal(cty.String), fmt.Errorf("the environment variable named by a sensitive value is not set")
				}
				return cty.UnknownVal(cty.String), fmt.Errorf("environment variable %s is not set", name)
			}
			return cty.StringVal(v).WithMarks(marks), nil
		},
	})
}

// fileFunc is file("path"): the contents, unchanged, of a UTF-8 file relative to the job
// file's directory.
func (l *loader) fileFunc() function.Function {
	return function.New(&function.Spec{
		Description: "Returns the contents of a file relative to the job file's directory.",
		Params:      []function.Parameter{{Name: "path", Type: cty.String, AllowMarked: true}},
		Type:        function.StaticReturnType(cty.String),
		Impl: func(args []cty.Value, _ cty.Type) (cty.Value, error) {
			arg, marks := args[0].Unmark()
			p := arg.AsString()
			b, err := l.readFile(p)
			if err == nil && !utf8.Valid(b) {
				err = fmt.Errorf("%s is not UTF-8 text", p)
			}
			if err != nil {
				if len(marks) > 0 {
					err = fmt.Errorf("cannot read the file named by a sensitive value")
				}
				return cty.UnknownVal(cty.String), err
			}
			return cty.StringVal(string(b)).WithMarks(marks), nil
		},
	})
}

// relPath resolves p, slash-separated and relative, against the job files' directory.
func (l *loader) relPath(p string) string { return joinPath(l.baseDir, p) }

// readFile reads p (relative to the job files' directory) through the FS.
func (l *loader) readFile(p string) ([]byte, error) {
	_, b, err := readRelative(l.fsys, l.baseDir, p)
	return b, err
}
