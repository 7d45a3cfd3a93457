package slackfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gorilla/websocket"
)

// PingInterval is how often the fake pings Socket Mode clients (slack-go reconnects when
// it hears no ping for 30 s).
const PingInterval = time.Second

// ackTimeout bounds how long Deliver waits for a client's acknowledgement.
const ackTimeout = 10 * time.Second

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (f *Fake) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.changedLocked()
	f.mu.Unlock()
	if err := f.write(c, map[string]any{"type": "hello", "num_connections": 1}); err != nil {
		return
	}
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := c.ReadJSON(&ack); err != nil {
			return
		}
		f.mu.Lock()
		ch := f.acks[ack.EnvelopeID]
		delete(f.acks, ack.EnvelopeID)
		f.mu.Unlock()
		if ch != nil {
			ch <- ack.Payload
		}
	}
}

// write sends v to c; writes to a connection are serialized.
func (f *Fake) write(c *websocket.Conn, v any) error {
	f.connWrMu.Lock()
	defer f.connWrMu.Unlock()
	return c.WriteJSON(v)
}

func (f *Fake) ping() {
	t := time.NewTicker(PingInterval)
	defer t.Stop()
	for {
		select {
		case <-f.stopPing:
			return
		case <-t.C:
		}
		f.mu.Lock()
		conns := append([]*websocket.Conn(nil), f.conns...)
		f.mu.Unlock()
		for _, c := range conns {
			f.connWrMu.Lock()
			_ = c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
			f.connWrMu.Unlock()
		}
	}
}

// WaitConnected waits until a Socket Mode client is connected.
func (f *Fake) WaitConnected(timeout time.Duration) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		n, changed := len(f.conns), f.changed
		f.mu.Unlock()
		if n > 0 {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("slackfake: no Socket Mode connection after %s", timeout)
		}
	}
}

// Deliver sends a Socket Mode envelope of type typ ("events_api", "slash_commands",
// "interactive") to the newest connection and returns the client's acknowledgement
// payload once it arrives.
func (f *Fake) Deliver(typ string, payload any) (json.RawMessage, error) {
	f.mu.Lock()
	if len(f.conns) == 0 {
		f.mu.Unlock()
		return nil, fmt.Errorf("slackfake: no Socket Mode connection")
	}
	c := f.conns[len(f.conns)-1]
	f.seq++
	id := "env-" + strconv.Itoa(f.seq)
	ack := make(chan json.RawMessage, 1)
	f.acks[id] = ack
	f.mu.Unlock()
	env := map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": typ != "events_api"}
	if err := f.write(c, env); err != nil {
		return nil, fmt.Errorf("slackfake: deliver %s: %w", typ, err)
	}
	select {
	case p := <-ack:
		return p, nil
	case <-time.After(ackTimeout):
		return nil, fmt.Errorf("slackfake: envelope %s (%s) not acknowledged within %s", id, typ, ackTimeout)
	}
}

// Mention delivers an app_mention of the bot by user in channel and returns the message's
// timestamp (the thread the bot answers in).
func (f *Fake) Mention(channel, user, text string) (string, error) {
	f.mu.Lock()
	ts := f.nextTSLocked()
	f.mu.Unlock()
	_, err := f.Deliver("events_api", MentionEvent(channel, user, "<@"+BotID+"> "+text, ts))
	return ts, err
}

// Slash delivers the slash command /tintri text typed by user in channel.
func (f *Fake) Slash(channel, user, userName, text string) error {
	_, err := f.Deliver("slash_commands", SlashCommand(channel, user, userName, "/tintri", text))
	return err
}

// Click delivers a click by user on the button actionID (with value) of the bot's
// message m.
func (f *Fake) Click(m Message, user, userName, actionID, value string) error {
	_, err := f.Deliver("interactive", BlockAction(m, user, userName, actionID, value))
	return err
}

// MentionEvent is the Events API callback of an app_mention.
func MentionEvent(channel, user, text, ts string) map[string]any {
	return map[string]any{
		"token": "unused", "team_id": "T0000TEAM", "api_app_id": "A0000APP", "type": "event_callback",
		"event_id": "Ev" + ts, "event_time": 1700000000,
		"event": map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts},
	}
}

// SlashCommand is a slash command's payload, the fields Slack posts.
func SlashCommand(channel, user, userName, command, text string) map[string]string {
	return map[string]string{"token": "unused", "team_id": "T0000TEAM", "channel_id": channel, "channel_name": "ops",
		"user_id": user, "user_name": userName, "command": command, "text": text, "trigger_id": "trigger"}
}

// SlashForm is SlashCommand as the form the Events API posts.
func SlashForm(channel, user, userName, command, text string) url.Values {
	v := url.Values{}
	for k, s := range SlashCommand(channel, user, userName, command, text) {
		v.Set(k, s)
	}
	return v
}

// BlockAction is the interactive payload of a click on a button of message m.
func BlockAction(m Message, user, userName, actionID, value string) map[string]any {
	msg := map[string]any{"ts": m.TS, "text": m.Text}
	if m.ThreadTS != "" {
		msg["thread_ts"] = m.ThreadTS
	}
	return map[string]any{
		"type": "block_actions", "team": map[string]string{"id": "T0000TEAM"}, "trigger_id": "trigger",
		"user":      map[string]string{"id": user, "username": userName, "name": userName},
		"channel":   map[string]string{"id": m.Channel, "name": "ops"},
		"container": map[string]any{"type": "message", "message_ts": m.TS, "channel_id": m.Channel},
		"message":   msg,
		"actions":   []map[string]string{{"action_id": actionID, "block_id": "approval", "value": value, "type": "button"}},
	}
}
