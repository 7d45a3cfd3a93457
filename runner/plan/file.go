package plan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
)

// WriteFile saves p as its JSON document at path, atomically and with mode 0600.
func WriteFile(path string, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("plan file %s: encode: %w", path, err)
	}
	if err := atomicfile.WriteBytes(path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("plan file %s: %w", path, err)
	}
	return nil
}

// ReadFile reads a plan document saved by WriteFile (or printed by `plan -json`) and
// checks its format version and type.
func ReadFile(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plan file: %w", err)
	}
	var head struct {
		FormatVersion json.RawMessage `json:"format_version"`
		Type          string          `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("plan file %s: not a plan: %w", path, err)
	}
	var version string
	if json.Unmarshal(head.FormatVersion, &version) != nil {
		return nil, fmt.Errorf("plan file %s: format version %s is from an older tintri-jobs: run plan again", path, head.FormatVersion)
	}
	if version != FormatVersion || head.Type != "plan" {
		return nil, fmt.Errorf("plan file %s: a %q document of format version %q, this build applies a \"plan\" of version %q",
			path, head.Type, version, FormatVersion)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("plan file %s: not a plan: %w", path, err)
	}
	for _, j := range p.Jobs {
		for _, t := range j.Tasks {
			for i := range t.Changes {
				c := &t.Changes[i]
				c.Before, c.After = dropNull(c.Before), dropNull(c.After)
			}
		}
	}
	return &p, nil
}

// dropNull turns a JSON null into no value, as a change made in memory has it.
func dropNull(m json.RawMessage) json.RawMessage {
	if bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
		return nil
	}
	return m
}
