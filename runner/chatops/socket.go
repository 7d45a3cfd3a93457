package chatops

import (
	"context"
	"io"
	"log"
	"strings"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// runSocket holds the Socket Mode connection and handles its events until ctx ends.
func (b *Bot) runSocket(ctx context.Context) {
	// slack-go's own log lines are not ours to format (and debug ones could quote payloads).
	client := socketmode.New(b.api, socketmode.OptionLog(log.New(io.Discard, "", 0)))
	go func() {
		if err := client.RunContext(ctx); ctx.Err() == nil {
			b.opts.Log.Error().Err(err).Msg("slack: Socket Mode stopped; chat commands are off until the daemon restarts")
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case evt := <-client.Events:
			b.onSocketEvent(client, evt)
		}
	}
}

// onSocketEvent acknowledges a request at once (Slack wants it within 3 s) and hands it on.
func (b *Bot) onSocketEvent(client *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnected:
		b.opts.Log.Info().Msg("slack: connected (Socket Mode)")
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		ev := b.opts.Log.Warn()
		if e, ok := evt.Data.(*slack.ConnectionErrorEvent); ok {
			ev = ev.Err(e.ErrorObj)
		}
		ev.Str("event", string(evt.Type)).Msg("slack: cannot connect (Socket Mode); trying again")
	case socketmode.EventTypeEventsAPI, socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive:
		if evt.Request != nil {
			if err := client.Ack(*evt.Request); err != nil {
				b.opts.Log.Warn().Err(err).Msg("slack: cannot acknowledge a request")
			}
		}
		switch data := evt.Data.(type) {
		case slackevents.EventsAPIEvent:
			b.onEvent(data)
		case slack.SlashCommand:
			b.onSlash(data)
		case slack.InteractionCallback:
			b.onInteraction(data)
		}
	}
}

// onEvent handles an Events API callback: mentions of the bot.
func (b *Bot) onEvent(ev slackevents.EventsAPIEvent) {
	m, ok := ev.InnerEvent.Data.(*slackevents.AppMentionEvent)
	if !ok || m.BotID != "" || m.User == "" {
		return
	}
	thread := m.ThreadTimeStamp
	if thread == "" {
		thread = m.TimeStamp
	}
	b.spawn(func(ctx context.Context) {
		req := request{channel: m.Channel, text: stripMentions(m.Text), thread: thread, via: "mention"}
		req.user.ID, req.user.Name = m.User, b.userName(ctx, m.User)
		b.handle(ctx, req)
	})
}

// onSlash handles a slash command; its answer goes to the thread of a message echoing it.
func (b *Bot) onSlash(c slack.SlashCommand) {
	b.spawn(func(ctx context.Context) {
		b.handle(ctx, request{channel: c.ChannelID, user: actor(c.UserID, c.UserName), text: c.Text, via: c.Command})
	})
}

// onInteraction handles a click on an Approve or Reject button.
func (b *Bot) onInteraction(cb slack.InteractionCallback) {
	if cb.Type != slack.InteractionTypeBlockActions {
		return
	}
	for _, a := range cb.ActionCallback.BlockActions {
		if a.ActionID != actionApprove && a.ActionID != actionReject {
			continue
		}
		c := click{approve: a.ActionID == actionApprove, id: a.Value, channel: cb.Channel.ID, user: actor(cb.User.ID, cb.User.Name)}
		b.spawn(func(ctx context.Context) { b.onClick(ctx, c) })
	}
}

// stripMentions drops the <@U…> mentions from a message's text.
func stripMentions(text string) string {
	var words []string
	for _, w := range strings.Fields(text) {
		if !strings.HasPrefix(w, "<@") {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}
