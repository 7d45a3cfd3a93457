package decode

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Meta, embedded in a body struct, receives what Body saw: the attributes written (for
// checks that need their ranges) and, for a nested block, the block's header range.
type Meta struct {
	// DefRange is the header of the block the body belongs to (set by Body for nested
	// blocks; callers decoding a block themselves set it for the outer body).
	DefRange hcl.Range
	attrs    hcl.Attributes
}

// Attr returns the attribute written as name, or nil.
func (m *Meta) Attr(name string) *hcl.Attribute { return m.attrs[name] }

// Has reports whether the attribute name was written.
func (m *Meta) Has(name string) bool { return m.attrs[name] != nil }

// Range returns the range of attribute name's value, or DefRange when it was not written.
func (m *Meta) Range(name string) hcl.Range {
	if a := m.attrs[name]; a != nil {
		return a.Expr.Range()
	}
	return m.DefRange
}

// field is one tagged struct field: an attribute or a nested block type.
type field struct {
	index    []int
	name     string
	block    bool
	required bool
	doc      string
	def      string
	typ      string
	enum     []string
	bounds   Bounds
	labels   []string // a block's label names
	nonempty bool
}

var (
	metaType  = reflect.TypeFor[Meta]()
	exprType  = reflect.TypeFor[hcl.Expression]()
	rawBlocks = reflect.TypeFor[[]*hcl.Block]()
	durType   = reflect.TypeFor[time.Duration]()
	fieldsMap sync.Map // reflect.Type -> []field
)

// fieldsOf lists the tagged fields of struct type t, embedded structs' fields included.
// A malformed tag is a programming error and panics.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldsMap.Load(t); ok {
		return fs.([]field)
	}
	fs := collectFields(t, nil)
	fieldsMap.Store(t, fs)
	return fs
}

func collectFields(t reflect.Type, prefix []int) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		index := append(append([]int(nil), prefix...), i)
		tag, tagged := sf.Tag.Lookup("hcl")
		if sf.Anonymous && !tagged {
			if sf.Type != metaType && sf.Type.Kind() == reflect.Struct {
				out = append(out, collectFields(sf.Type, index)...)
			}
			continue
		}
		if !tagged {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		f := field{index: index, name: name, required: opts == "", block: opts == "block",
			doc: sf.Tag.Get("doc"), def: sf.Tag.Get("default"), typ: sf.Tag.Get("type")}
		if opts != "" && opts != "optional" && opts != "block" {
			panic(fmt.Sprintf("decode: field %s: unknown hcl tag option %q", sf.Name, opts))
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		f.nonempty = sf.Tag.Get("nonempty") == "true"
		if l := sf.Tag.Get("labels"); l != "" {
			f.labels = strings.Split(l, ",")
		}
		f.bounds.Min, f.bounds.Max = tagInt(sf, "min"), tagInt(sf, "max")
		out = append(out, f)
	}
	return out
}

func tagInt(sf reflect.StructField, key string) *int {
	s, ok := sf.Tag.Lookup(key)
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(fmt.Sprintf("decode: field %s: %s tag %q is not a whole number", sf.Name, key, s))
	}
	return &n
}

// schemaOf is the hcl.BodySchema of a body struct's fields.
func schemaOf(fields []field) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, f := range fields {
		if f.block {
			s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: f.name, LabelNames: f.labels})
		} else {
			s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: f.name, Required: f.required})
		}
	}
	return s
}

// Body decodes body into the struct dst points to, as the struct's tags declare:
//
//	hcl:"name"           a required attribute
//	hcl:"name,optional"  an optional attribute
//	hcl:"name,block"     nested blocks: a []T field (T a body struct, which may embed Meta),
//	                     or []*hcl.Block to take them undecoded
//	labels:"a,b"         the label names of a block type
//	doc:"…"              what the attribute is for (Describe)
//	default:"…"          the value of an absent optional attribute of a non-pointer field
//	enum:"a,b"           the strings allowed
//	min:"N" max:"N"      the bounds of a whole number
//	nonempty:"true"      a string must not be empty or blank
//	type:"…"             the type as Describe shows it (for hcl.Expression fields)
//
// Field types: string, int, bool, []string, time.Duration (written as "30s"), pointers to
// these (nil when the attribute is absent), and hcl.Expression, which Body leaves
// unevaluated (nil when absent) for checks that need more than a value. Embedded structs
// without an hcl tag contribute their fields to the same body; an embedded Meta receives
// the attributes written.
//
// Every problem is reported, each at its attribute. ok is false when any attribute was
// unusable: in error, or unknown because of an error reported elsewhere. Checks that
// combine attributes should run only when ok.
func Body(body hcl.Body, ctx *hcl.EvalContext, dst any) (ok bool, diags hcl.Diagnostics) {
	rv := structPtr(dst)
	content, diags := body.Content(schemaOf(fieldsOf(rv.Elem().Type())))
	return fill(content, diags, ctx, rv)
}

// PartialBody is Body for the attributes dst declares, leaving the rest of body, returned
// as remain, to another decoder.
func PartialBody(body hcl.Body, ctx *hcl.EvalContext, dst any) (ok bool, remain hcl.Body, diags hcl.Diagnostics) {
	rv := structPtr(dst)
	content, remain, diags := body.PartialContent(schemaOf(fieldsOf(rv.Elem().Type())))
	ok, diags = fill(content, diags, ctx, rv)
	return ok, remain, diags
}

func structPtr(dst any) reflect.Value {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("decode: want a pointer to a struct, not %T", dst))
	}
	return rv
}

// fill decodes content into the struct rv points to.
func fill(content *hcl.BodyContent, diags hcl.Diagnostics, ctx *hcl.EvalContext, rv reflect.Value) (bool, hcl.Diagnostics) {
	fields := fieldsOf(rv.Elem().Type())
	ok := !diags.HasErrors()
	if m := metaOf(rv.Elem()); m != nil {
		m.attrs = content.Attributes
	}
	for _, f := range fields {
		fv := rv.Elem().FieldByIndex(f.index)
		var fok bool
		var d hcl.Diagnostics
		if f.block && fv.Type() == rawBlocks {
			fv.Set(reflect.ValueOf(content.Blocks.OfType(f.name)))
			fok = true
		} else if f.block {
			fok, d = decodeBlocks(content.Blocks.OfType(f.name), ctx, fv)
		} else if attr := content.Attributes[f.name]; attr != nil {
			fok, d = decodeAttr(attr, ctx, f, fv)
		} else {
			fok = setDefault(f, fv)
		}
		diags = append(diags, d...)
		ok = ok && fok
	}
	return ok, diags
}

// metaOf returns the Meta embedded in struct value v, if any.
func metaOf(v reflect.Value) *Meta {
	for i := range v.NumField() {
		if v.Type().Field(i).Type == metaType {
			return v.Field(i).Addr().Interface().(*Meta)
		}
	}
	return nil
}

// decodeBlocks decodes each block into a new element of the slice fv.
func decodeBlocks(blocks hcl.Blocks, ctx *hcl.EvalContext, fv reflect.Value) (bool, hcl.Diagnostics) {
	if fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("decode: a block field must be a slice of structs, not %s", fv.Type()))
	}
	ok := true
	var diags hcl.Diagnostics
	for _, b := range blocks {
		elem := reflect.New(fv.Type().Elem())
		bok, d := Body(b.Body, ctx, elem.Interface())
		if m := metaOf(elem.Elem()); m != nil {
			m.DefRange = b.DefRange
		}
		diags = append(diags, d...)
		ok = ok && bok
		fv.Set(reflect.Append(fv, elem.Elem()))
	}
	return ok, diags
}

// decodeAttr evaluates attr into fv according to fv's type and f's tags.
func decodeAttr(attr *hcl.Attribute, ctx *hcl.EvalContext, f field, fv reflect.Value) (bool, hcl.Diagnostics) {
	if fv.Type() == exprType {
		fv.Set(reflect.ValueOf(attr.Expr))
		return true, nil
	}
	target := fv
	if fv.Kind() == reflect.Pointer {
		target = reflect.New(fv.Type().Elem()).Elem()
	}
	var val any
	var ok bool
	var diags hcl.Diagnostics
	switch {
	case target.Type() == durType:
		val, ok, diags = Duration(attr, ctx)
	case target.Kind() == reflect.String && f.enum != nil:
		val, ok, diags = Enum(attr, ctx, f.enum...)
	case target.Kind() == reflect.String:
		var s string
		s, ok, diags = String(attr, ctx)
		if ok && f.nonempty && strings.TrimSpace(s) == "" {
			ok, diags = false, append(diags, Invalid(attr, "The %s attribute must not be empty.", attr.Name))
		}
		val = s
	case target.Kind() == reflect.Int:
		val, ok, diags = Int(attr, ctx, f.bounds)
	case target.Kind() == reflect.Bool:
		val, ok, diags = Bool(attr, ctx)
	case target.Kind() == reflect.Slice && target.Type().Elem().Kind() == reflect.String:
		val, ok, diags = Strings(attr, ctx)
	default:
		panic(fmt.Sprintf("decode: attribute %s: unsupported field type %s", f.name, fv.Type()))
	}
	if !ok {
		return false, diags
	}
	target.Set(reflect.ValueOf(val).Convert(target.Type()))
	if fv.Kind() == reflect.Pointer {
		fv.Set(target.Addr())
	}
	return true, diags
}

// setDefault gives an absent optional attribute its default; a required one was already
// reported missing by the schema.
func setDefault(f field, fv reflect.Value) bool {
	if f.def == "" || fv.Kind() == reflect.Pointer {
		return !f.required
	}
	switch {
	case fv.Type() == durType:
		d, err := time.ParseDuration(f.def)
		mustDefault(f, err)
		fv.SetInt(int64(d))
	case fv.Kind() == reflect.String:
		fv.SetString(f.def)
	case fv.Kind() == reflect.Int:
		n, err := strconv.Atoi(f.def)
		mustDefault(f, err)
		fv.SetInt(int64(n))
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(f.def)
		mustDefault(f, err)
		fv.SetBool(b)
	default:
		panic(fmt.Sprintf("decode: attribute %s: no default for type %s", f.name, fv.Type()))
	}
	return !f.required
}

func mustDefault(f field, err error) {
	if err != nil {
		panic(fmt.Sprintf("decode: attribute %s: bad default %q: %v", f.name, f.def, err))
	}
}

// Init sets the DefRange of the Meta embedded in the struct dst points to (when it embeds
// one), for a body whose block header the caller knows: Meta.Range of an absent attribute
// then points at the header.
func Init(dst any, defRange hcl.Range) {
	if m := metaOf(structPtr(dst).Elem()); m != nil {
		m.DefRange = defRange
	}
}
