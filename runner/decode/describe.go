package decode

import (
	"fmt"
	"reflect"
	"strings"
)

// Attr documents one attribute (or nested block) of a body, as Describe reads it from the
// body struct's tags.
type Attr struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Required    bool     `json:"required"`
	Default     string   `json:"default,omitempty"`
	Description string   `json:"description"`
	Enum        []string `json:"enum,omitempty"`
	Min         *int     `json:"min,omitempty"`
	Max         *int     `json:"max,omitempty"`
	// Block lists the attributes of a nested block; Type is then "block".
	Block []Attr `json:"attributes,omitempty"`
}

// Describe documents the attributes of the body struct body (a value or a pointer to one)
// in declaration order.
func Describe(body any) []Attr {
	t := reflect.TypeOf(body)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []Attr
	for _, f := range fieldsOf(t) {
		ft := t.FieldByIndex(f.index).Type
		a := Attr{Name: f.name, Required: f.required, Default: f.def, Description: f.doc,
			Enum: f.enum, Min: f.bounds.Min, Max: f.bounds.Max, Type: f.typ}
		if f.block {
			a.Type = "block"
			if ft != rawBlocks {
				a.Block = Describe(reflect.New(ft.Elem()).Interface())
			}
		} else if a.Type == "" {
			a.Type = typeName(ft)
		}
		out = append(out, a)
	}
	return out
}

// typeName names a field type as job files write it.
func typeName(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == durType:
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Int:
		return "number"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list(string)"
	}
	panic(fmt.Sprintf("decode: no type name for %s: set a type tag", t))
}

// Constraint renders a's enum and bounds for a table cell: `"add", "exact"`, `1 … 10000`,
// `≥ 0`, or "".
func (a Attr) Constraint() string {
	switch {
	case len(a.Enum) > 0:
		return QuoteList(a.Enum, ", ")
	case a.Min != nil && a.Max != nil:
		return fmt.Sprintf("%d … %d", *a.Min, *a.Max)
	case a.Min != nil:
		return fmt.Sprintf("≥ %d", *a.Min)
	case a.Max != nil:
		return fmt.Sprintf("≤ %d", *a.Max)
	}
	return ""
}

// mdEscape keeps descriptions from being read as table cells or HTML.
var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

// Markdown renders attrs as a Markdown table (nested blocks' attributes indented by name
// as block.attribute).
func Markdown(attrs []Attr) string {
	var b strings.Builder
	b.WriteString("| attribute | type | required | default | description |\n|---|---|---|---|---|\n")
	var rows func(prefix string, attrs []Attr)
	rows = func(prefix string, attrs []Attr) {
		for _, a := range attrs {
			req := ""
			if a.Required {
				req = "yes"
			}
			def := ""
			if a.Default != "" {
				def = "`" + a.Default + "`"
			}
			desc := a.Description
			if c := a.Constraint(); c != "" {
				desc += " (" + c + ")"
			}
			fmt.Fprintf(&b, "| `%s%s` | %s | %s | %s | %s |\n", prefix, a.Name, mdEscape.Replace(a.Type), req, def,
				mdEscape.Replace(desc))
			if a.Block != nil {
				rows(prefix+a.Name+".", a.Block)
			}
		}
	}
	rows("", attrs)
	return b.String()
}
