package chatops

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tintri-jobs/tintri-jobs/internal/slackfake"
	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// signed is a request to url with body, signed at the time at with secret as Slack does.
func signed(t *testing.T, url, contentType, body, secret string, at time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestEventsAPISignature: the Events API endpoints take only requests Slack signed less
// than five minutes ago; signed ones are answered as over Socket Mode.
func TestEventsAPISignature(t *testing.T) {
	f := newFixture(t, config.SlackEvents)
	srv := httptest.NewServer(f.bot.Handler())
	defer srv.Close()
	now := time.Now()
	mention, _ := json.Marshal(slackfake.MentionEvent(channel, reader, "<@"+slackfake.BotID+"> show fleet lab", "1700000001.000001"))
	const jsonType = "application/json"

	unsigned, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", strings.NewReader(string(mention)))
	for name, req := range map[string]*http.Request{
		"unsigned":  unsigned,
		"wrong key": signed(t, srv.URL+"/slack/events", jsonType, string(mention), "another-secret", now),
		"replayed":  signed(t, srv.URL+"/slack/events", jsonType, string(mention), signSecret, now.Add(-6*time.Minute)),
		"other body": func() *http.Request {
			r := signed(t, srv.URL+"/slack/events", jsonType, string(mention), signSecret, now)
			tampered, _ := http.NewRequest(http.MethodPost, r.URL.String(), strings.NewReader(strings.Replace(string(mention), "lab", "LAB", 1)))
			tampered.Header = r.Header
			return tampered
		}(),
		"slash":       signed(t, srv.URL+"/slack/commands", "application/x-www-form-urlencoded", "text=plan", "another-secret", now),
		"interactive": signed(t, srv.URL+"/slack/interactive", "application/x-www-form-urlencoded", "payload={}", "", now),
	} {
		if code, body := send(t, req); code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, code, body)
		}
	}
	if n := len(f.slack.Messages()); n != 0 {
		t.Fatalf("refused requests were answered: %d messages", n)
	}

	code, body := send(t, signed(t, srv.URL+"/slack/events", jsonType, `{"type":"url_verification","challenge":"c-123","token":"x"}`, signSecret, now))
	if code != http.StatusOK || body != "c-123" {
		t.Errorf("url_verification: %d %q", code, body)
	}
	// A mention, and Slack's retry of it: answered once.
	for range 2 {
		if code, body := send(t, signed(t, srv.URL+"/slack/events", jsonType, string(mention), signSecret, now)); code != http.StatusOK {
			t.Fatalf("mention: %d %s", code, body)
		}
	}
	f.reply(t, 0, "1700000001.000001", "FAILED COMPONENTS")
	form := slackfake.SlashForm(channel, reader, "rita", "/tintri", "history dns").Encode()
	if code, body := send(t, signed(t, srv.URL+"/slack/commands", "application/x-www-form-urlencoded", form, signSecret, now)); code != http.StatusOK {
		t.Fatalf("slash command: %d %s", code, body)
	}
	f.reply(t, 0, "", "has no daemon run yet")
	time.Sleep(100 * time.Millisecond) // a second answer to the retried mention would be in by now
	var answers int
	for _, m := range f.slack.Messages() {
		if m.ThreadTS == "1700000001.000001" {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the mention and its retry got %d answers, want 1", answers)
	}
}
