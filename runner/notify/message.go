package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// Events of a notification.
const (
	EventDrift         = "drift"          // pending changes appeared or changed
	EventDriftResolved = "drift_resolved" // the pending changes last sent are gone
	EventFailure       = "failure"        // the run failed or partly failed
	EventApplied       = "applied"        // the run made changes
)

// Notification is one message: its JSON form is the "notification" document a webhook
// receives (docs/schemas/notification.schema.json).
type Notification struct {
	FormatVersion string    `json:"format_version"`
	Type          string    `json:"type"`
	Event         string    `json:"event"`
	Job           string    `json:"job"`
	RunID         string    `json:"run_id"`
	Time          time.Time `json:"time"`
	Result        string    `json:"result"`
	// Text is the message for people (Slack mrkdwn, which Mattermost and Teams read too).
	Text string `json:"text"`
	// Changes are the pending changes (drift) or those made (applied).
	Changes []Change `json:"changes"`
	// Failures are the failed targets and changes (failure).
	Failures []Failure `json:"failures"`
	// Resolved counts the pending changes that are gone (drift_resolved).
	Resolved int `json:"resolved,omitempty"`
}

// Change is one change of a notification: its target and its value before and after.
type Change struct {
	Task    string          `json:"task"`
	Server  string          `json:"server"`
	Object  string          `json:"object"`
	Action  plan.Action     `json:"action"`
	Summary string          `json:"summary"`
	Before  json.RawMessage `json:"before"`
	After   json.RawMessage `json:"after"`
}

// Failure is one failed target or change of a run.
type Failure struct {
	Task string `json:"task"`
	plan.Failure
}

// maxLines bounds the changes or failures a message lists; the rest are counted.
const maxLines = 20

// maxValue bounds a before or after value in a message line.
const maxValue = 200

func newNotification(event string, run *Run) *Notification {
	return &Notification{FormatVersion: plan.FormatVersion, Type: "notification", Event: event, Job: run.Record.Job,
		RunID: run.Record.ID, Time: run.Record.End, Result: run.Record.Result, Changes: []Change{}, Failures: []Failure{}}
}

// driftChanges turns a drift summary's changes into notification changes.
func driftChanges(in []plan.DriftChange) []Change {
	out := make([]Change, 0, len(in))
	for _, c := range in {
		out = append(out, Change{Task: c.Task, Server: c.Server, Object: c.Object, Action: c.Action, Summary: c.Summary, Before: c.Before, After: c.After})
	}
	return out
}

// digest identifies a drift: the same pending changes, in any order, give the same digest;
// no change gives "".
func digest(changes []Change) string {
	if len(changes) == 0 {
		return ""
	}
	lines := make([]string, 0, len(changes))
	for _, c := range changes {
		lines = append(lines, strings.Join([]string{c.Task, c.Server, c.Object, string(c.Action), compact(c.Before), compact(c.After)}, "\x00"))
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:])
}

// compact is a JSON value on one line, "nothing" when empty.
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if len(v) == 0 || json.Compact(&b, v) != nil {
		return "nothing"
	}
	return b.String()
}

// shorten cuts s to maxValue characters.
func shorten(s string) string {
	if r := []rune(s); len(r) > maxValue {
		return string(r[:maxValue]) + "…"
	}
	return s
}

// render fills n.Text: a heading, then the changes or failures in a code block.
func (n *Notification) render(heading string) {
	var lines []string
	for _, c := range n.Changes {
		line := fmt.Sprintf("%s %s %s (%s): %s", c.Action.Symbol(), c.Server, c.Object, c.Task, c.Summary)
		if n.Event == EventDrift {
			line += fmt.Sprintf("\n    %s → %s", shorten(compact(c.Before)), shorten(compact(c.After)))
		}
		lines = append(lines, line)
	}
	for _, f := range n.Failures {
		lines = append(lines, fmt.Sprintf("task %s: %s", f.Task, f.String()))
	}
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], fmt.Sprintf("… and %d more", len(lines)-maxLines))
	}
	n.Text = heading
	if len(lines) > 0 {
		n.Text += "\n```\n" + strings.Join(lines, "\n") + "\n```"
	}
}

// plural is "1 change" or "n changes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
