// Package schematest validates tintri-jobs' JSON documents against the JSON Schemas in
// docs/schemas, for the tests of every package that writes one.
package schematest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Schema names: the files docs/schemas/<name>.schema.json.
const (
	Plan          = "plan"
	ApplyResult   = "apply-result"
	AuditRecord   = "audit-record"
	DriftSummary  = "drift-summary"
	RunRecord     = "run-record"
	ApplianceInfo = "appliance-info"
	Kinds         = "kinds"
	Notification  = "notification"
	Validation    = "validation"
)

var (
	once     sync.Once
	compiled map[string]*jsonschema.Schema
	loadErr  error
)

// Dir returns the repository's docs/schemas directory.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "docs", "schemas")
}

func load() {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	entries, err := os.ReadDir(Dir())
	if err != nil {
		loadErr = err
		return
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(Dir(), e.Name()))
		if err != nil {
			loadErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			loadErr = fmt.Errorf("%s: %w", e.Name(), err)
			return
		}
		if err := c.AddResource("https://tintri-jobs.example/schemas/"+e.Name(), doc); err != nil {
			loadErr = err
			return
		}
	}
	compiled = map[string]*jsonschema.Schema{}
	for _, name := range []string{Plan, ApplyResult, AuditRecord, DriftSummary, RunRecord, ApplianceInfo, Kinds, Notification, Validation} {
		s, err := c.Compile("https://tintri-jobs.example/schemas/" + name + ".schema.json")
		if err != nil {
			loadErr = fmt.Errorf("compile %s: %w", name, err)
			return
		}
		compiled[name] = s
	}
}

// Validate checks that doc (JSON text, or a value to marshal) is valid against the schema
// name and fails the test with the schema's complaint otherwise.
func Validate(t testing.TB, name string, doc any) {
	t.Helper()
	once.Do(load)
	if loadErr != nil {
		t.Fatalf("load JSON schemas: %v", loadErr)
	}
	b, ok := doc.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(doc); err != nil {
			t.Fatalf("marshal %s document: %v", name, err)
		}
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s document is not JSON: %v\n%s", name, err, b)
	}
	if err := compiled[name].Validate(v); err != nil {
		t.Errorf("%s document does not match docs/schemas/%s.schema.json: %v\n%s", name, name, err, b)
	}
}
