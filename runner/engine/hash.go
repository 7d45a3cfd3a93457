package engine

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// The hash a plan records (Plan.ConfigHash) covers only what the plan depends on: the
// values of its jobs (their attributes and every task body's evaluated attributes, not
// their source text, so comments and layout do not count), the files their tasks read, and
// the servers and fleets. A comment, or a change to a job the plan does not hold, leaves
// it as it was; a changed value, CSV file, variable or credential changes it.

// digest writes length-prefixed parts into a SHA-256.
type digest struct{ h hash.Hash }

func newDigest() *digest { return &digest{h: sha256.New()} }

func (d *digest) add(parts ...string) {
	var n [8]byte
	for _, p := range parts {
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		d.h.Write(n[:])
		d.h.Write([]byte(p))
	}
}

func (d *digest) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

// jobHash is the hash of one job's values, given the files its tasks read (path →
// contents).
func jobHash(cfg *config.Config, j *config.Job, files map[*config.TaskBlock][]string) string {
	d := newDigest()
	attrs, _ := json.Marshal(struct {
		Schedule, TimeZone, Mode, Overlap string
		MaxChanges, HistoryLimit          int
		FailFast                          bool
		CatchUpWithin, Jitter             int64
	}{j.Schedule, j.TimeZone, j.Mode, j.Overlap, j.MaxChanges, j.HistoryLimit, j.FailFast,
		int64(j.CatchUpWithin), int64(j.Jitter)})
	d.add("job", j.Name, string(attrs))
	for _, tb := range j.Tasks {
		d.add("task", tb.Kind, tb.Name, strconv.Itoa(tb.MaxChanges))
		bodyDigest(d, tb.Body, cfg.Eval)
		paths := append([]string(nil), files[tb]...)
		sort.Strings(paths)
		for _, p := range paths {
			d.add("file", p, string(cfg.Sources[p]))
		}
	}
	d.add("connections", connectionsDigest(cfg))
	return d.sum()
}

// bodyDigest adds a body's attributes (name and evaluated value; the expression's text
// when it cannot be evaluated) and nested blocks, in a fixed order.
func bodyDigest(d *digest, body hcl.Body, ctx *hcl.EvalContext) {
	attrs, _ := body.JustAttributes()
	names := make([]string, 0, len(attrs))
	for n := range attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v, diags := attrs[n].Expr.Value(ctx)
		value := "?"
		if !diags.HasErrors() && v.IsWhollyKnown() {
			v, _ = v.UnmarkDeep()
			if b, err := ctyjson.Marshal(v, v.Type()); err == nil {
				value = string(b)
			}
		}
		d.add("attr", n, value)
	}
	if sb, ok := body.(*hclsyntax.Body); ok {
		for _, blk := range sb.Blocks {
			d.add("block", blk.Type, strings.Join(blk.Labels, "\x00"))
			bodyDigest(d, blk.Body, ctx)
		}
	}
}

// connectionsDigest covers every server and fleet: where they are and how they are
// reached. Passwords count by their SHA-256 only.
func connectionsDigest(cfg *config.Config) string {
	d := newDigest()
	conn := func(c config.Connection) string {
		pw := sha256.Sum256([]byte(c.Password.Reveal()))
		b, _ := json.Marshal(struct {
			User, CA string
			Password string
			Insecure bool
			Inflight int
			// omitted when unset, so that the hashes of earlier configurations stay
			MinInflight int  `json:",omitempty"`
			Fixed       bool `json:",omitempty"`
		}{c.Username, c.CAFile, hex.EncodeToString(pw[:]), c.InsecureSkipVerify, c.MaxInflight, c.MinInflight, c.DisableAdaptive})
		return string(b)
	}
	for _, n := range cfg.ServerNames() {
		s := cfg.Servers[n]
		d.add("server", n, s.URL, s.Kind, conn(s.Connection))
	}
	for _, n := range cfg.FleetNames() {
		f := cfg.Fleets[n]
		d.add("fleet", n, strings.Join(f.URLs, "\x00"), f.DiscoverFrom, conn(f.Connection))
	}
	return d.sum()
}

// PlanHash is the hash of the jobs named (in any order): what a plan of them records and
// an apply of a saved plan compares.
func (c *Config) PlanHash(jobs []string) string {
	sorted := append([]string(nil), jobs...)
	sort.Strings(sorted)
	d := newDigest()
	for _, j := range sorted {
		d.add(j, c.jobHashes[j])
	}
	return d.sum()
}

// JobHash is the hash of one job's values (see PlanHash); "" for an unknown job.
func (c *Config) JobHash(job string) string { return c.jobHashes[job] }
