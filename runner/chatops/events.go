package chatops

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxBody bounds the body of a request from Slack.
const maxBody = 1 << 20

// seenFor is how long an Events API event ID is remembered: Slack retries an event it
// thinks was not received, and a signature stays valid for five minutes.
const seenFor = 10 * time.Minute

// Handler serves the Events API: POST /slack/events (mentions, and Slack's URL check),
// /slack/commands (the slash command) and /slack/interactive (the buttons). Each request
// must carry Slack's signature of its body under the signing secret, made at most five
// minutes ago; else it is answered 401 and not looked at.
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", b.serveEvents)
	mux.HandleFunc("POST /slack/commands", b.serveCommand)
	mux.HandleFunc("POST /slack/interactive", b.serveInteractive)
	return b.verify(mux)
}

// verify passes on only requests signed by Slack, their body restored for next.
func (b *Bot) verify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			writeError(w, http.StatusRequestEntityTooLarge, "the request body is too large")
			return
		}
		if why := b.checkSignature(r.Header, body); why != "" {
			b.opts.Log.Warn().Str("path", r.URL.Path).Str("remote", r.RemoteAddr).Str("why", why).Msg("slack: request refused")
			writeError(w, http.StatusUnauthorized, why)
			return
		}
		b.mu.Lock()
		stopped := b.stopped
		b.mu.Unlock()
		if stopped {
			writeError(w, http.StatusServiceUnavailable, "the daemon is shutting down")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

// checkSignature returns why body with header is not a request signed by Slack, or "".
func (b *Bot) checkSignature(header http.Header, body []byte) string {
	sv, err := slack.NewSecretsVerifier(header, b.opts.Slack.SigningSecret.Reveal())
	switch {
	case errors.Is(err, slack.ErrMissingHeaders):
		return "the request is not signed (X-Slack-Signature, X-Slack-Request-Timestamp)"
	case errors.Is(err, slack.ErrExpiredTimestamp):
		return "the request was signed more than 5 minutes ago"
	case err != nil:
		return "the request's signature is malformed"
	}
	if _, err := sv.Write(body); err != nil {
		return "the request's signature cannot be checked"
	}
	if sv.Ensure() != nil {
		return "the request's signature is wrong"
	}
	return ""
}

func (b *Bot) serveEvents(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body) // a bytes.Reader
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		writeError(w, http.StatusBadRequest, "not an Events API request")
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var challenge slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &challenge); err != nil {
			writeError(w, http.StatusBadRequest, "malformed url_verification")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(challenge.Challenge))
		return
	case slackevents.CallbackEvent:
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok && b.seenBefore(cb.EventID) {
			w.WriteHeader(http.StatusOK)
			return
		}
		b.onEvent(ev)
	}
	w.WriteHeader(http.StatusOK)
}

// seenBefore reports whether the event id came before (a retry by Slack), and remembers it.
func (b *Bot) seenBefore(id string) bool {
	now := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	for k, at := range b.seen {
		if now.Sub(at) > seenFor {
			delete(b.seen, k)
		}
	}
	if _, ok := b.seen[id]; ok || id == "" {
		return ok
	}
	b.seen[id] = now
	return false
}

func (b *Bot) serveCommand(w http.ResponseWriter, r *http.Request) {
	cmd, err := slack.SlashCommandParse(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "not a slash command")
		return
	}
	b.onSlash(cmd)
	w.WriteHeader(http.StatusOK)
}

func (b *Bot) serveInteractive(w http.ResponseWriter, r *http.Request) {
	var cb slack.InteractionCallback
	if err := r.ParseForm(); err != nil || json.Unmarshal([]byte(r.PostForm.Get("payload")), &cb) != nil {
		writeError(w, http.StatusBadRequest, "not an interaction payload")
		return
	}
	b.onInteraction(cb)
	w.WriteHeader(http.StatusOK)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
