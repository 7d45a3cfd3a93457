package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/runner/engine"
)

// minAuditMaxSize is the smallest -audit-max-size but 0: a smaller one is a typo that
// would rotate at nearly every record (and, with -audit-keep, remove most of the log).
const minAuditMaxSize = 1024

// addAuditFlags adds -audit-max-size and -audit-keep, of apply and daemon, to fs.
func addAuditFlags(fs *flag.FlagSet) *engine.AuditRotation {
	rot := engine.DefaultAuditRotation
	fs.Var((*byteSize)(&rot.MaxSize), "audit-max-size", "rotate the audit log once audit.jsonl reaches `SIZE`, such as 100MB, 512KiB or 1GB "+
		"(0: never; at least 1KiB): it is renamed audit.NNNNNN.jsonl and a new one started")
	fs.IntVar(&rot.Keep, "audit-keep", rot.Keep, "keep the newest `N` rotated audit logs and remove older ones, "+
		"never one holding records of the apply in progress (0: keep all)")
	return &rot
}

// checkAuditFlags refuses values of -audit-max-size and -audit-keep that mean nothing.
func checkAuditFlags(rot *engine.AuditRotation) error {
	if rot.MaxSize != 0 && rot.MaxSize < minAuditMaxSize {
		return fmt.Errorf("-audit-max-size %s: want 0 (never rotate) or at least 1KiB", byteSize(rot.MaxSize))
	}
	if rot.Keep < 0 {
		return fmt.Errorf("-audit-keep %d: want 0 (keep all) or more", rot.Keep)
	}
	return nil
}

// byteSize is a flag value of a number of bytes with an optional unit: B, KB, MB, GB, TB
// (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024), in any case.
type byteSize int64

// byteUnits are the units byteSize reads, largest first within each kind (String writes
// the first that divides the size).
var byteUnits = []struct {
	name string
	n    int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1},
}

func (b byteSize) String() string {
	if b == 0 {
		return "0"
	}
	for _, u := range byteUnits {
		if int64(b)%u.n == 0 {
			return strconv.FormatInt(int64(b)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(b), 10) // unreachable: B divides every size
}

func (b *byteSize) Set(s string) error {
	num := strings.TrimRight(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
	unit := strings.TrimSpace(s[len(num):])
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("want a whole number of bytes with an optional unit, such as 100MB or 512KiB")
	}
	mult := int64(1)
	if unit != "" {
		mult = 0
		for _, u := range byteUnits {
			if strings.EqualFold(unit, u.name) {
				mult = u.n
			}
		}
		if mult == 0 {
			return fmt.Errorf("unit %q: want B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", unit)
		}
	}
	if n > (1<<63-1)/mult {
		return fmt.Errorf("too large")
	}
	*b = byteSize(n * mult)
	return nil
}
