package config

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Events a notify block can be sent.
const (
	NotifyDrift   = "drift"   // a plan-mode run's drift appeared, changed or was resolved
	NotifyFailure = "failure" // a run failed or partly failed
	NotifyApplied = "applied" // a run applied changes (opt-in)
)

// notifyEvents are the events a notify block's `on` may list.
var notifyEvents = []string{NotifyDrift, NotifyFailure, NotifyApplied}

// MinWebhookSecret is the fewest characters a webhook secret may have.
const MinWebhookSecret = 16

// Notify is a `notify "name"` block: where the daemon sends what its runs found.
type Notify struct {
	Name string
	// SlackChannel is a channel ID posted to with the slack block's bot token; else the
	// notification goes to WebhookURL as JSON signed with WebhookSecret.
	SlackChannel  string
	WebhookURL    string
	WebhookSecret tintri.Secret
	On            []string // NotifyDrift, NotifyFailure, NotifyApplied
	Jobs          []string // the jobs it is for; none: every job
	DeclRange     hcl.Range
}

// Wants reports whether n is for event of job.
func (n *Notify) Wants(job, event string) bool {
	return slices.Contains(n.On, event) && (len(n.Jobs) == 0 || slices.Contains(n.Jobs, job))
}

// notifyBody is the body of a `notify "name"` block.
type notifyBody struct {
	decode.Meta
	SlackChannel  *string        `hcl:"slack_channel,optional" doc:"Channel ID (C…) to post to with the slack block's bot token."`
	WebhookURL    *string        `hcl:"webhook_url,optional" doc:"URL to POST a JSON notification to (https; http to loopback only), signed with webhook_secret; never logged."`
	WebhookSecret hcl.Expression `hcl:"webhook_secret,optional" type:"string" doc:"Key of the HMAC-SHA256 signature of each webhook request (at least 16 characters): env(\"NAME\"), file(\"path\") or a sensitive variable; never printed."`
	On            []string       `hcl:"on,optional" doc:"What to send: drift (appeared, changed, resolved), failure, applied (default [\"drift\", \"failure\"])."`
	Jobs          []string       `hcl:"jobs,optional" doc:"The jobs it is for (default: every job)."`
}

// NotifyAttributes documents the attributes of a notify block.
func NotifyAttributes() []decode.Attr { return decode.Describe(notifyBody{}) }

// decodeNotifyBlock decodes a notify block; jobs and the slack block must already be in
// the Config. The returned value is never nil.
func (l *loader) decodeNotifyBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Notify, hcl.Diagnostics) {
	body := notifyBody{Meta: decode.Meta{DefRange: b.DefRange}}
	_, diags := decode.Body(b.Body, ctx, &body)
	n := &Notify{Name: b.Labels[0], On: body.On, Jobs: body.Jobs, DeclRange: b.DefRange}
	if !body.Has("on") {
		n.On = []string{NotifyDrift, NotifyFailure}
	}
	switch {
	case body.SlackChannel == nil && body.WebhookURL == nil && !body.Has("webhook_secret"):
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing notify target",
			Detail: "A notify block needs slack_channel or webhook_url.", Subject: b.DefRange.Ptr()})
	case body.SlackChannel != nil && body.WebhookURL != nil:
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Conflicting notify targets",
			Detail:  "slack_channel and webhook_url cannot be used together: write one notify block for each.",
			Subject: body.Attr("webhook_url").NameRange.Ptr()})
	case body.SlackChannel != nil:
		n.SlackChannel = *body.SlackChannel
		diags = append(diags, l.checkSlackChannel(body.Attr("slack_channel"), n.SlackChannel)...)
	default:
		diags = append(diags, l.decodeWebhook(n, &body, ctx)...)
	}
	for _, e := range n.On {
		if !slices.Contains(notifyEvents, e) {
			diags = append(diags, decode.Invalid(body.Attr("on"), "%q is not an event to notify of: write %s%s.",
				e, decode.QuoteList(notifyEvents, ", "), decode.DidYouMean(e, notifyEvents)))
		}
	}
	names := make([]string, 0, len(l.cfg.Jobs))
	for _, j := range l.cfg.Jobs {
		names = append(names, j.Name)
	}
	for _, j := range n.Jobs {
		if !slices.Contains(names, j) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown job",
				Detail:  fmt.Sprintf("No job is named %q%s.", j, decode.DidYouMean(j, names)),
				Subject: body.Range("jobs").Ptr()})
		}
	}
	return n, diags
}

// checkSlackChannel checks a notify block's slack_channel: a channel ID, and a slack block
// whose bot token can post.
func (l *loader) checkSlackChannel(attr *hcl.Attribute, channel string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !channelID.MatchString(channel) {
		diags = append(diags, decode.Invalid(attr, "%q is not a channel ID: write the ID from the channel's details (C0123ABCD), not its name.", channel))
	}
	if l.cfg.Slack == nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "No slack block",
			Detail:  "slack_channel posts with the slack block's bot token, and there is no slack block: add one, or use webhook_url.",
			Subject: attr.Expr.Range().Ptr()})
	}
	return diags
}

// decodeWebhook decodes webhook_url and webhook_secret into n.
func (l *loader) decodeWebhook(n *Notify, body *notifyBody, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if body.WebhookURL == nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Missing webhook URL",
			Detail: "webhook_secret signs what is posted to webhook_url, and there is no webhook_url.", Subject: body.DefRange.Ptr()}}
	}
	u, problem := localOrHTTPS(*body.WebhookURL)
	if problem != "" {
		// Not quoted: a webhook URL often holds a token of its own.
		diags = append(diags, decode.Invalid(body.Attr("webhook_url"), "The webhook URL %s.", problem))
	}
	n.WebhookURL = u
	attr := body.Attr("webhook_secret")
	if attr == nil {
		return append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing webhook secret",
			Detail:  "A webhook needs webhook_secret, the key its requests are signed with (HMAC-SHA256), so that the receiver can tell them from forgeries.",
			Subject: body.DefRange.Ptr()})
	}
	l.redactCredential(attr.Expr)
	s, ok, d := decode.String(attr, ctx)
	diags = append(diags, d...)
	switch {
	case !ok:
		return diags
	case len(s) < MinWebhookSecret:
		return append(diags, decode.Invalid(attr, "The webhook_secret has %d characters, want at least %d (for example: openssl rand -hex 32).", len(s), MinWebhookSecret))
	case decode.IsLiteral(attr.Expr):
		diags = append(diags, literalSecret(attr, "webhook_secret"))
	}
	n.WebhookSecret = tintri.Secret(s)
	return diags
}

// Secrets returns every secret value of the configuration: the servers' and fleets'
// passwords, the slack block's tokens and the webhook secrets. Nothing the daemon writes
// or hands on may hold any of them.
func (c *Config) Secrets() []string {
	var out []string
	add := func(s tintri.Secret) {
		if s != "" {
			out = append(out, s.Reveal())
		}
	}
	for _, name := range c.ServerNames() {
		add(c.Servers[name].Password)
	}
	for _, name := range c.FleetNames() {
		add(c.Fleets[name].Password)
	}
	if c.Slack != nil {
		add(c.Slack.BotToken)
		add(c.Slack.AppToken)
		add(c.Slack.SigningSecret)
	}
	for _, n := range c.Notify {
		add(n.WebhookSecret)
	}
	return out
}
