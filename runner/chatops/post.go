package chatops

import (
	"context"
	"strings"

	"github.com/slack-go/slack"
)

// maxInline is the longest table posted in a message; a longer one is attached as a
// snippet (a section of a message holds at most 3000 characters).
const maxInline = 2800

// say posts text in req's thread; a failure is logged.
func (b *Bot) say(ctx context.Context, req request, text string, blocks ...slack.Block) string {
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionTS(req.thread)}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	_, ts, err := b.api.PostMessageContext(ctx, req.channel, opts...)
	if err != nil {
		b.opts.Log.Error().Err(err).Str("channel", req.channel).Msg("slack: cannot post a message")
	}
	return ts
}

// refuse tells req's sender why the bot will not do what they asked: in the thread of a
// mention, or only to them for a slash command.
func (b *Bot) refuse(ctx context.Context, req request, why string) {
	text := ":no_entry: " + why
	if req.thread != "" {
		b.say(ctx, req, text)
		return
	}
	b.whisper(ctx, req.channel, req.user.ID, text)
}

// whisper posts text that only user sees.
func (b *Bot) whisper(ctx context.Context, channel, user, text string) {
	if _, err := b.api.PostEphemeralContext(ctx, channel, user, slack.MsgOptionText(text, false)); err != nil {
		b.opts.Log.Error().Err(err).Str("channel", channel).Msg("slack: cannot post an ephemeral message")
	}
}

// echo posts a slash command for everyone to see and makes its thread req's; false when
// it could not be posted.
func (b *Bot) echo(ctx context.Context, req *request) bool {
	ts := b.say(ctx, *req, "<@"+req.user.ID+">: `"+req.via+" "+strings.TrimSpace(req.text)+"`")
	req.thread = ts
	return ts != ""
}

// table posts heading and body (monospace) in req's thread; a body longer than maxInline
// is attached as a snippet named file.
func (b *Bot) table(ctx context.Context, req request, heading, body, file string) {
	if len(body) <= maxInline {
		b.say(ctx, req, heading+"\n```\n"+body+"```")
		return
	}
	b.say(ctx, req, heading+" (attached: "+file+")")
	_, err := b.api.UploadFileContext(ctx, slack.UploadFileParameters{Content: body, FileSize: len(body), Filename: file,
		Title: file, Channel: req.channel, ThreadTimestamp: req.thread, SnippetType: "text"})
	if err != nil {
		b.opts.Log.Error().Err(err).Str("channel", req.channel).Msg("slack: cannot attach a snippet")
		b.say(ctx, req, ":warning: I could not attach "+file+": "+err.Error())
	}
}
