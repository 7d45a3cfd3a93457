package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// showPlanFile renders the plan saved at path exactly as `plan` rendered it, in the
// format of output: the same views, and for JSON the same document (without the
// signature plan -out added to the file).
func (c *cli) showPlanFile(path string, output *formatFlags) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot show %q: no such file; want a plan file (plan -out FILE) or one of: %s", path, strings.Join(showables, ", "))
	}
	p, err := plan.ReadFile(path)
	if err != nil {
		return err
	}
	p.Signature = ""
	v, err := c.view(output, false)
	if err != nil {
		return err
	}
	return v.Plan(p)
}
