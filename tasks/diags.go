package tasks

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// attrError is an error diagnostic about attr's value for the checks whose summary is not
// package decode's "Invalid <attribute>": a companion attribute missing, a list that must
// not be empty, a file that cannot be read.
func attrError(attr *hcl.Attribute, summary, format string, args ...any) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   fmt.Sprintf(format, args...),
		Subject:  attr.Expr.Range().Ptr(),
	}
}
