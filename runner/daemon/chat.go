package daemon

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/tintri-jobs/tintri-jobs/runner/chatops"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
	"github.com/tintri-jobs/tintri-jobs/runner/engine"
	"github.com/tintri-jobs/tintri-jobs/runner/plan"
)

// NotifyCloseWait is how long a shutdown waits for the notifications still queued.
const NotifyCloseWait = 10 * time.Second

// newBot returns the Slack bot of cfg's slack block, or nil without one. The Events API
// needs the HTTP listener its requests arrive on.
func (d *Daemon) newBot(cfg *engine.Config) (*chatops.Bot, error) {
	if cfg.Slack == nil {
		return nil, nil
	}
	if cfg.Slack.Mode == config.SlackEvents && d.opts.Listener == nil {
		return nil, errors.New(`the slack block's mode = "events" needs the HTTP listener that Slack's requests arrive on: give -listen, or use mode = "socket"`)
	}
	return chatops.New(chatops.Options{
		Slack:       cfg.Slack,
		Config:      d.Config,
		History:     func(job string, n int) []plan.RunRecord { return d.history.Recent(job, n) },
		StateDir:    d.opts.StateDir,
		Parallelism: d.opts.Parallelism,
		Observer:    d.metrics,
		LockTimeout: d.opts.LockWait,
		Log:         d.opts.Log,
		Now:         d.clock.Now,
		Commands:    d.metrics.chatCommand,
	})
}

// runBot starts the bot until ctx ends; the channel is closed when it has stopped.
func (d *Daemon) runBot(ctx context.Context) chan struct{} {
	done := make(chan struct{})
	if d.chat == nil {
		close(done)
		return done
	}
	go func() {
		d.chat.Run(ctx)
		close(done)
	}()
	return done
}

// shutdownBot stops the bot taking commands and lets its applies in progress finish
// within grace, as the runs' do.
func (d *Daemon) shutdownBot(grace context.Context, done chan struct{}) {
	if d.chat == nil {
		return
	}
	<-done
	d.chat.Shutdown(grace)
}

// warnSlackChanged logs what a reload cannot change in the running bot: its tokens,
// signing secret, mode and API URL are those it started with.
func (d *Daemon) warnSlackChanged(old, cur *config.Slack) {
	switch {
	case old == nil && cur == nil:
	case old == nil || cur == nil:
		d.opts.Log.Warn().Msg("reload: a slack block was added or removed; restart the daemon to start or stop the Slack bot (a removed block turns its commands off now)")
	case old.BotToken != cur.BotToken || old.AppToken != cur.AppToken || old.SigningSecret != cur.SigningSecret ||
		old.Mode != cur.Mode || old.APIURL != cur.APIURL:
		d.opts.Log.Warn().Msg("reload: the slack block's tokens, signing secret, mode or api_url changed; restart the daemon to use them (channels and people apply now)")
	case !slices.Equal(old.Channels, cur.Channels):
		d.opts.Log.Info().Strs("channels", cur.Channels).Msg("reload: the Slack bot now answers in these channels")
	}
}
