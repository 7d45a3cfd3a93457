package plan

import "github.com/tintri-jobs/tintri-jobs/runner/decode"

// KindList is what `tintri-jobs kinds -json` prints: every task kind and its attributes,
// as the kinds' body structs declare them; its JSON form is the "kinds" document.
type KindList struct {
	FormatVersion string     `json:"format_version"`
	Type          string     `json:"type"`
	Kinds         []KindInfo `json:"kinds"`
	// TaskAttributes are the attributes every task takes besides its kind's.
	TaskAttributes []decode.Attr `json:"task_attributes"`
}

// KindInfo documents one task kind.
type KindInfo struct {
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Attributes  []decode.Attr `json:"attributes"`
}
