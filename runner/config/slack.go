package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/tintri-jobs/tintri-jobs/runner/decode"
	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// Slack connection modes.
const (
	SlackSocket = "socket" // Socket Mode: the daemon dials Slack, no public URL needed
	SlackEvents = "events" // Events API: Slack posts to the daemon's HTTP listener
)

// Slack is the `slack` block: the daemon's chat bot and the bot token Slack notifications
// are posted with.
type Slack struct {
	BotToken      tintri.Secret // xoxb-…
	AppToken      tintri.Secret // xapp-…, Socket Mode
	SigningSecret tintri.Secret // Events API request signatures
	Mode          string        // SlackSocket or SlackEvents
	Channels      []string      // channel IDs the bot answers in
	// Readers may show, plan and list history; ["*"] lets anyone in Channels. Requesters
	// and Approvers may read too.
	Readers    []string
	Requesters []string // may ask for an apply; none: chat applies are off
	Approvers  []string // may approve an apply
	// TwoPersonRule forbids approving one's own apply request.
	TwoPersonRule   bool
	ApprovalTimeout time.Duration
	Command         string // the slash command, "/tintri"
	APIURL          string // the Web API's base URL ("": Slack's)
	DeclRange       hcl.Range
}

// Anyone is the Readers entry that lets anyone in the bot's channels read.
const Anyone = "*"

// slackBody is the body of the `slack` block.
type slackBody struct {
	decode.Meta
	BotToken        hcl.Expression `hcl:"bot_token" type:"string" doc:"The bot's OAuth token (xoxb-…): env(\"NAME\"), file(\"path\") or a sensitive variable; never printed."`
	AppToken        hcl.Expression `hcl:"app_token,optional" type:"string" doc:"App-level token (xapp-…, scope connections:write) for mode = \"socket\"; never printed."`
	SigningSecret   hcl.Expression `hcl:"signing_secret,optional" type:"string" doc:"The app's signing secret, for mode = \"events\": every request to /slack/… must carry its signature; never printed."`
	Mode            string         `hcl:"mode,optional" enum:"socket,events" default:"socket" doc:"socket: the daemon connects to Slack (no public URL); events: Slack posts to the daemon's HTTP listener."`
	Channels        []string       `hcl:"channels" doc:"IDs of the channels the bot answers in (C… or G…, from the channel's details), not names."`
	Readers         []string       `hcl:"readers,optional" doc:"Slack user IDs (U… or W…) who may show, plan and list history; [\"*\"]: anyone in the channels. Requesters and approvers may too."`
	Requesters      []string       `hcl:"requesters,optional" doc:"Slack user IDs who may ask for an apply; none: apply is off in chat."`
	Approvers       []string       `hcl:"approvers,optional" doc:"Slack user IDs who may approve an apply."`
	TwoPersonRule   bool           `hcl:"two_person_rule,optional" default:"true" doc:"The person who asked for an apply may not approve it."`
	ApprovalTimeout time.Duration  `hcl:"approval_timeout,optional" default:"1h" doc:"How long an apply waits for approval before it expires (1m to 24h)."`
	Command         string         `hcl:"command,optional" default:"/tintri" doc:"The slash command of the Slack app."`
	APIURL          *string        `hcl:"api_url,optional" doc:"Base URL of Slack's Web API (default https://slack.com/api/); http only to a loopback address (tests)."`
}

// SlackAttributes documents the attributes of the slack block.
func SlackAttributes() []decode.Attr { return decode.Describe(slackBody{}) }

// Bounds of approval_timeout.
const (
	minApprovalTimeout = time.Minute
	maxApprovalTimeout = 24 * time.Hour
)

var (
	channelID   = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
	userID      = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	commandName = regexp.MustCompile(`^/[a-z0-9_-]{1,31}$`)
)

// decodeSlackBlocks decodes the slack block; a second one is an error.
func (l *loader) decodeSlackBlocks(blocks []*hcl.Block, ctx *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for i, b := range blocks {
		if i > 0 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Duplicate slack block",
				Detail:   fmt.Sprintf("A slack block was already declared at %s; there can be one.", blocks[0].DefRange),
				Subject:  b.DefRange.Ptr(),
			})
			continue
		}
		s, d := l.decodeSlackBlock(b, ctx)
		l.cfg.Slack = s
		diags = append(diags, d...)
	}
	return diags
}

// decodeSlackBlock decodes the slack block. The returned value is never nil.
func (l *loader) decodeSlackBlock(b *hcl.Block, ctx *hcl.EvalContext) (*Slack, hcl.Diagnostics) {
	body := slackBody{Meta: decode.Meta{DefRange: b.DefRange}}
	_, diags := decode.Body(b.Body, ctx, &body)
	s := &Slack{Mode: body.Mode, Channels: body.Channels, Readers: body.Readers, Requesters: body.Requesters,
		Approvers: body.Approvers, TwoPersonRule: body.TwoPersonRule, ApprovalTimeout: body.ApprovalTimeout,
		Command: body.Command, DeclRange: b.DefRange}
	var d hcl.Diagnostics
	s.BotToken, d = l.token(&body.Meta, "bot_token", ctx, "xoxb-", "the bot user's OAuth token")
	diags = append(diags, d...)
	s.AppToken, d = l.token(&body.Meta, "app_token", ctx, "xapp-", "an app-level token")
	diags = append(diags, d...)
	s.SigningSecret, d = l.token(&body.Meta, "signing_secret", ctx, "", "")
	diags = append(diags, d...)
	if body.APIURL != nil {
		u, problem := localOrHTTPS(*body.APIURL)
		if problem != "" {
			diags = append(diags, decode.Invalid(body.Attr("api_url"), "The API URL %s.", problem))
		}
		s.APIURL = strings.TrimSuffix(u, "/") + "/"
	}
	return s, append(diags, checkSlack(s, &body)...)
}

// checkSlack checks what combines the slack block's attributes.
func checkSlack(s *Slack, body *slackBody) hcl.Diagnostics {
	var diags hcl.Diagnostics
	switch {
	case s.Mode == SlackSocket && !body.Has("app_token"):
		diags = append(diags, missing(body, "Missing app token", "mode = \"socket\" needs app_token, an app-level token (xapp-…) with the connections:write scope."))
	case s.Mode == SlackEvents && !body.Has("signing_secret"):
		diags = append(diags, missing(body, "Missing signing secret", "mode = \"events\" needs signing_secret (the app's Basic Information page) to check that requests come from Slack."))
	}
	if a := body.Attr("channels"); a != nil && body.Channels != nil {
		if len(s.Channels) == 0 {
			diags = append(diags, decode.Invalid(a, "The channels attribute must list at least one channel ID."))
		}
		for _, c := range s.Channels {
			if !channelID.MatchString(c) {
				diags = append(diags, decode.Invalid(a, "%q is not a channel ID: write the ID from the channel's details (C0123ABCD), not its name.", c))
			}
		}
	}
	diags = append(diags, checkUsers(body, "readers", s.Readers, true)...)
	diags = append(diags, checkUsers(body, "requesters", s.Requesters, false)...)
	diags = append(diags, checkUsers(body, "approvers", s.Approvers, false)...)
	if len(s.Requesters) > 0 && len(s.Approvers) == 0 {
		diags = append(diags, missing(body, "No approvers", "requesters may ask for an apply, but nobody may approve one: list approvers, or drop requesters to turn chat applies off."))
	}
	if s.TwoPersonRule && len(s.Approvers) > 0 {
		for _, r := range s.Requesters {
			if !slices.ContainsFunc(s.Approvers, func(a string) bool { return a != r }) {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Two-person rule cannot be met",
					Detail: fmt.Sprintf("With two_person_rule = true, %s may not approve their own request, and there is no other approver: "+
						"add an approver, or set two_person_rule = false.", r),
					Subject: body.Range("approvers").Ptr()})
				break
			}
		}
	}
	if a := body.Attr("approval_timeout"); a != nil && (s.ApprovalTimeout < minApprovalTimeout || s.ApprovalTimeout > maxApprovalTimeout) {
		diags = append(diags, decode.Invalid(a, "The approval_timeout must be between %s and %s, not %s.", minApprovalTimeout, maxApprovalTimeout, s.ApprovalTimeout))
	}
	if a := body.Attr("command"); a != nil && !commandName.MatchString(s.Command) {
		diags = append(diags, decode.Invalid(a, "%q is not a slash command: write / and up to 31 lower-case letters, digits, - or _ (\"/tintri\").", s.Command))
	}
	return diags
}

// missing is an error at the block's header.
func missing(body *slackBody, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: body.DefRange.Ptr()}
}

// checkUsers checks a list of Slack user IDs; anyone allows "*".
func checkUsers(body *slackBody, name string, ids []string, anyone bool) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, id := range ids {
		if (anyone && id == Anyone) || userID.MatchString(id) {
			continue
		}
		hint := ""
		if anyone {
			hint = `, or "*" for anyone in the channels`
		}
		diags = append(diags, decode.Invalid(body.Attr(name), "%q is not a Slack user ID: write the member ID from the person's profile (U0123ABCD)%s.", id, hint))
	}
	return diags
}

// token decodes a credential attribute of the slack block (absent: ""), masking it in the
// sources. A token without prefix (when one is given), blank or written as a literal is
// reported without showing it.
func (l *loader) token(m *decode.Meta, name string, ctx *hcl.EvalContext, prefix, what string) (tintri.Secret, hcl.Diagnostics) {
	attr := m.Attr(name)
	if attr == nil {
		return "", nil
	}
	l.redactCredential(attr.Expr)
	s, ok, diags := decode.String(attr, ctx)
	s = strings.TrimSpace(s)
	switch {
	case !ok:
		return "", diags
	case s == "":
		return "", append(diags, decode.Invalid(attr, "The %s attribute must not be empty.", name))
	case prefix != "" && !strings.HasPrefix(s, prefix):
		return "", append(diags, decode.Invalid(attr, "The %s is not %s: it should start with %q (the value is not shown).", name, what, prefix))
	case decode.IsLiteral(attr.Expr):
		diags = append(diags, literalSecret(attr, name))
	}
	return tintri.Secret(s), diags
}

// literalSecret warns of a secret written in the job file.
func literalSecret(attr *hcl.Attribute, name string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning,
		Summary:  "Literal secret in job file",
		Detail: fmt.Sprintf("The %s is written in the job file, where anyone who can read the file can read it. "+
			"Use env(\"NAME\"), file(\"path\") or a variable declared with sensitive = true instead.", name),
		Subject: attr.Expr.Range().Ptr(),
	}
}

// localOrHTTPS checks a URL the daemon posts to: https, or http to a loopback address
// only (a test's fake). It returns the URL and, when it is not usable, why.
func localOrHTTPS(raw string) (string, string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "":
		return "", "cannot be parsed as https://host/path"
	case u.User != nil:
		return "", "must not hold user:password@"
	case u.Scheme == "https":
		return u.String(), ""
	case u.Scheme == "http":
		if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
			return u.String(), ""
		}
		return "", "uses http, which is allowed to loopback addresses only: write https://"
	}
	return "", fmt.Sprintf("has the scheme %q: write https://", u.Scheme)
}
