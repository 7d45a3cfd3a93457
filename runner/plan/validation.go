package plan

import "encoding/json"

// Severities of a Diagnostic.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// Diagnostic is a problem found in the job files or the data files they read, as
// `validate -json` lists it and the JSON log lines of the other commands carry it. Code
// is the summary in snake_case, as a plan Warning's. File is named as the job file paths
// were given; Line, Column, EndLine and EndColumn (1-based) locate the problem in it.
type Diagnostic struct {
	Severity  string `json:"severity"`
	Code      string `json:"code"`
	Summary   string `json:"summary"`
	Detail    string `json:"detail"`
	File      string `json:"file,omitempty"`
	Line      int    `json:"line,omitempty"`
	Column    int    `json:"column,omitempty"`
	EndLine   int    `json:"end_line,omitempty"`
	EndColumn int    `json:"end_column,omitempty"`
}

// ConfigCounts counts what a valid configuration holds.
type ConfigCounts struct {
	Jobs    int `json:"jobs"`
	Tasks   int `json:"tasks"`
	Servers int `json:"servers"`
	Fleets  int `json:"fleets"`
	Files   int `json:"files"`
}

// Validation is what `validate -json` found: its JSON form is the "validation" document.
// Config is set when the configuration is valid.
type Validation struct {
	Diagnostics []Diagnostic
	Config      *ConfigCounts
}

// Valid reports whether no diagnostic is an error.
func (v *Validation) Valid() bool {
	for _, d := range v.Diagnostics {
		if d.Severity == SeverityError {
			return false
		}
	}
	return true
}

// validationDocument is Validation's JSON form.
type validationDocument struct {
	FormatVersion string        `json:"format_version"`
	Type          string        `json:"type"`
	Valid         bool          `json:"valid"`
	ErrorCount    int           `json:"error_count"`
	WarningCount  int           `json:"warning_count"`
	Diagnostics   []Diagnostic  `json:"diagnostics"`
	Config        *ConfigCounts `json:"config,omitempty"`
}

// MarshalJSON writes the "validation" document.
func (v *Validation) MarshalJSON() ([]byte, error) {
	doc := validationDocument{FormatVersion: FormatVersion, Type: "validation", Valid: v.Valid(),
		Diagnostics: nonNil(v.Diagnostics), Config: v.Config}
	for _, d := range v.Diagnostics {
		if d.Severity == SeverityError {
			doc.ErrorCount++
		} else {
			doc.WarningCount++
		}
	}
	return json.Marshal(doc)
}
