package decode_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
)

// testBody exercises every field type and tag Body supports.
type testBody struct {
	decode.Meta
	Name  string         `hcl:"name" nonempty:"true" doc:"A name."`
	Mode  string         `hcl:"mode,optional" enum:"add,exact" default:"add" doc:"How."`
	Count int            `hcl:"count,optional" min:"1" max:"10" default:"5" doc:"How many."`
	Floor *int           `hcl:"floor,optional" min:"0" doc:"At least zero."`
	On    bool           `hcl:"on,optional" default:"true" doc:"Whether."`
	Tags  []string       `hcl:"tags,optional" doc:"Labels."`
	Wait  time.Duration  `hcl:"wait,optional" default:"30s" doc:"How long."`
	Note  *string        `hcl:"note,optional" doc:"A note."`
	Ref   hcl.Expression `hcl:"ref,optional" type:"server reference" doc:"Left unevaluated."`
	Item  []itemBody     `hcl:"item,block" doc:"Items."`
	embedded
}

type embedded struct {
	Shared string `hcl:"shared,optional" doc:"From an embedded struct."`
}

type itemBody struct {
	decode.Meta
	IP string `hcl:"ip" doc:"An address."`
}

// decodeSrc parses src and decodes it into a testBody with var.secret sensitive.
func decodeSrc(t *testing.T, src string) (*testBody, bool, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "t.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{
		"secret": cty.StringVal("hunter2").Mark(decode.SensitiveMark),
		"n":      cty.NumberIntVal(3),
	})}}
	var b testBody
	decode.Init(&b, hcl.Range{Filename: "t.hcl", Start: hcl.Pos{Line: 99}})
	ok, diags := decode.Body(f.Body, ctx, &b)
	return &b, ok, diags
}

func TestBodyValuesAndDefaults(t *testing.T) {
	b, ok, diags := decodeSrc(t, `
name   = "x"
floor  = 0
tags   = ["a", "b"]
note   = "hi"
ref    = server.tgc
shared = "s"
count  = var.n
item { ip = "192.0.2.1" }
item { ip = "192.0.2.2" }
`)
	if !ok || len(diags) > 0 {
		t.Fatalf("ok=%v diags=%v", ok, diags)
	}
	if b.Name != "x" || b.Mode != "add" || b.Count != 3 || b.Floor == nil || *b.Floor != 0 || !b.On ||
		b.Wait != 30*time.Second || b.Note == nil || *b.Note != "hi" || b.Shared != "s" {
		t.Errorf("decoded %+v", b)
	}
	if diff := cmp.Diff([]string{"a", "b"}, b.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if b.Ref == nil || len(b.Ref.Variables()) != 1 {
		t.Errorf("ref = %v, want the unevaluated expression", b.Ref)
	}
	if len(b.Item) != 2 || b.Item[1].IP != "192.0.2.2" || b.Item[1].DefRange.Start.Line != 10 || !b.Item[1].Has("ip") {
		t.Errorf("items %+v", b.Item)
	}
	if !b.Has("name") || b.Has("mode") || b.Attr("note") == nil || b.Range("mode").Start.Line != 99 {
		t.Errorf("meta: has name %v, has mode %v, range of absent mode %v", b.Has("name"), b.Has("mode"), b.Range("mode"))
	}
}

// TestBodyMessages is the one set of messages every block and kind gets.
func TestBodyMessages(t *testing.T) {
	tests := []struct{ src, want string }{
		{`name = ""`, `2: Invalid name: The name attribute must not be empty.`},
		{`name = 5` + "\nmode = \"replace\"", `3: Invalid mode: The mode attribute must be one of "add", "exact", not "replace".`},
		{`name = "x"` + "\ncount = 0", `3: Invalid count: The count attribute must be between 1 and 10, not 0.`},
		{`name = "x"` + "\ncount = 3000000000", `3: Invalid count: The count attribute must be between 1 and 10, not 3000000000.`},
		{`name = "x"` + "\ncount = 2.5", `3: Invalid count: The count attribute must be a whole number, not 2.5.`},
		{`name = "x"` + "\nfloor = -1", `3: Invalid floor: The floor attribute must be at least 0, not -1.`},
		{`name = "x"` + "\non = \"maybe\"", `3: Invalid on: The on attribute must be true or false, not "maybe".`},
		{`name = "x"` + "\ntags = \"a\"", `3: Invalid tags: The tags attribute must be a list of strings, not "a".`},
		{`name = "x"` + "\ntags = [\"a\", null]", `3: Invalid tags: The tags attribute must be a list of strings without null elements.`},
		{`name = "x"` + "\nwait = \"soon\"", `3: Invalid wait: The wait attribute must be a duration such as "30s", "10m" or "1h30m", not "soon".`},
		{`name = "x"` + "\nwait = \"-1s\"", `3: Invalid wait: The wait attribute must be a duration such as "30s", "10m" or "1h30m", not "-1s".`},
		{`name = null`, `2: Invalid name: The name attribute must be a string, not null.`},
		{`name = ["x"]`, `2: Invalid name: The name attribute must be a string, not ["x"].`},
		{`name = var.secret` + "\nmode = var.secret", `3: Invalid mode: The mode attribute must be one of "add", "exact", not (sensitive value).`},
		{`name = var.nope`, `2: Reference to undeclared variable: No variable block is named "nope".`},
		{`name = var.secrt`, `2: Reference to undeclared variable: No variable block is named "secrt" (did you mean "secret"?).`},
		{`mode = "add"`, `1: Missing required argument: The argument "name" is required, but no definition was found.`},
		{`name = "x"` + "\ncolour = 1", `3: Unsupported argument: An argument named "colour" is not expected here.`},
		{`name = "x"` + "\nitem {}", `3: Missing required argument: The argument "ip" is required, but no definition was found.`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, ok, diags := decodeSrc(t, "\n"+tt.src+"\n")
			if ok {
				t.Errorf("ok = true with errors")
			}
			var got []string
			for _, d := range diags {
				if d.Severity == hcl.DiagError && d.Summary != "Incorrect attribute value type" {
					got = append(got, fmt.Sprintf("%d: %s: %s", d.Subject.Start.Line, d.Summary, d.Detail))
				}
			}
			if len(got) == 0 || got[len(got)-1] != tt.want {
				t.Errorf("diagnostics %q, want last %q", got, tt.want)
			}
			for _, g := range got {
				if strings.Contains(g, "hunter2") {
					t.Errorf("a message shows the sensitive value: %s", g)
				}
			}
		})
	}
}

// TestPartialBody leaves the attributes it does not declare to another decoder.
func TestPartialBody(t *testing.T) {
	f, _ := hclsyntax.ParseConfig([]byte("max = 3\nother = \"x\"\n"), "p.hcl", hcl.InitialPos)
	var common struct {
		Max int `hcl:"max,optional" min:"0" doc:"Limit."`
	}
	ok, remain, diags := decode.PartialBody(f.Body, nil, &common)
	if !ok || diags.HasErrors() || common.Max != 3 {
		t.Fatalf("ok=%v max=%d diags=%v", ok, common.Max, diags)
	}
	attrs, _ := remain.JustAttributes()
	if len(attrs) != 1 || attrs["other"] == nil {
		t.Errorf("remaining attributes %v, want only other", attrs)
	}
}

// TestUnknownValueIsNotOK: a value an earlier error left unknown makes Body report not ok
// without a diagnostic of its own.
func TestUnknownValueIsNotOK(t *testing.T) {
	f, _ := hclsyntax.ParseConfig([]byte("name = var.broken\n"), "u.hcl", hcl.InitialPos)
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{"var": cty.ObjectVal(map[string]cty.Value{"broken": cty.DynamicVal})}}
	var b testBody
	ok, diags := decode.Body(f.Body, ctx, &b)
	if ok || len(diags) != 0 {
		t.Errorf("ok=%v diags=%v, want not ok and no diagnostics", ok, diags)
	}
}

func TestDescribe(t *testing.T) {
	attrs := decode.Describe(testBody{})
	var names []string
	for _, a := range attrs {
		names = append(names, a.Name)
	}
	want := []string{"name", "mode", "count", "floor", "on", "tags", "wait", "note", "ref", "item", "shared"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatalf("attributes (-want +got):\n%s", diff)
	}
	byName := map[string]decode.Attr{}
	for _, a := range attrs {
		byName[a.Name] = a
	}
	for name, want := range map[string]string{
		"name":  "string required  A name.",
		"mode":  `string  add How. ("add", "exact")`,
		"count": "number  5 How many. (1 … 10)",
		"floor": "number   At least zero. (≥ 0)",
		"tags":  "list(string)   Labels.",
		"wait":  "duration  30s How long.",
		"ref":   "server reference   Left unevaluated.",
		"item":  "block   Items.",
	} {
		a := byName[name]
		req := ""
		if a.Required {
			req = "required"
		}
		got := strings.TrimSpace(fmt.Sprintf("%s %s %s %s", a.Type, req, a.Default, a.Description))
		if c := a.Constraint(); c != "" {
			got += " (" + c + ")"
		}
		if got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if item := byName["item"]; len(item.Block) != 1 || item.Block[0].Name != "ip" || !item.Block[0].Required {
		t.Errorf("item block attributes %+v", item.Block)
	}
	md := decode.Markdown(attrs)
	for _, line := range []string{
		"| `name` | string | yes |  | A name. |",
		"| `item.ip` | string | yes |  | An address. |",
		"| `mode` | string |  | `add` | How. (\"add\", \"exact\") |",
	} {
		if !strings.Contains(md, line+"\n") {
			t.Errorf("Markdown lacks %q:\n%s", line, md)
		}
	}
}

// TestMalformedTagsPanic: a body struct's tags are code, so a mistake in them is a
// programming error found at registration.
func TestMalformedTagsPanic(t *testing.T) {
	for name, body := range map[string]any{
		"unknown option": struct {
			A string `hcl:"a,optionl"`
		}{},
		"bad bound": struct {
			A int `hcl:"a" min:"one"`
		}{},
		"untyped expression": struct {
			A float64 `hcl:"a"`
		}{},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Describe did not panic")
				}
			}()
			decode.Describe(body)
		})
	}
}

// TestSuggest pins the one "did you mean" of every unknown name: service groups, kinds,
// variables, VMs, report fields.
func TestSuggest(t *testing.T) {
	names := []string{"VDI", "Web Tier", "SQL Production", "Empty Group", "vdi-pool", "VDI"}
	cases := []struct {
		given string
		want  []string
	}{
		{"vdi", []string{"VDI", "vdi-pool"}},     // case-insensitive; duplicates once; containment qualifies
		{"web tier", []string{"Web Tier"}},       // exact but for case
		{"SQL Prod", []string{"SQL Production"}}, // contained
		{"SQL", []string{"SQL Production"}},      // contained, three characters
		{"Oracle", []string{}},                   // nothing close
		{"Emty Grup", []string{"Empty Group"}},   // two edits
		{"Wbe Tir", []string{"Web Tier"}},        // three edits in seven characters
		{"VDl", []string{"VDI"}},                 // one edit in a short name
		{"x", []string{}},                        // too short to be a near miss of anything
		{"zzz", []string{}},                      // three edits from VDI is not close
	}
	for _, c := range cases {
		if got := decode.Suggest(c.given, names); !cmp.Equal(c.want, got) {
			t.Errorf("Suggest(%q) = %q, want %q", c.given, got, c.want)
		}
	}
	if got := decode.DidYouMean("Oracle", names); got != "" {
		t.Errorf("DidYouMean with no close name = %q", got)
	}
	if got, want := decode.DidYouMean("vdi", names), ` (did you mean "VDI", "vdi-pool"?)`; got != want {
		t.Errorf("DidYouMean = %q, want %q", got, want)
	}
	if got := decode.Suggest("vdi-00", []string{"vdi-0001", "vdi-0002", "vdi-0003", "vdi-0004"}); len(got) != 3 {
		t.Errorf("Suggest lists %d names, want at most 3", len(got))
	}
}
