package tasks

import (
	"strings"
	"time"
)

// showDuration renders a duration as people write it in job files: "6h" and "1h30m" rather
// than time's "6h0m0s" and "1h30m0s"; "90s" stays "1m30s".
func showDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
