package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// jsonView writes one JSON document per line: the "plan" document for a plan and the
// "apply_result" document for a result, as package plan defines them
// (docs/schemas/plan.schema.json, apply-result.schema.json).
type jsonView struct{ w io.Writer }

func (v jsonView) Plan(p *plan.Plan) error { return v.write(p) }

func (v jsonView) Result(r *plan.Result) error { return v.write(r) }

func (jsonView) Finish() error { return nil }

func (v jsonView) write(doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encode json output: %w", err)
	}
	_, err = v.w.Write(append(b, '\n'))
	return err
}
