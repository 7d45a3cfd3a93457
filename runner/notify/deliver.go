package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/tintri-jobs/tintri-jobs/runner/config"
)

// Webhook request headers.
const (
	// HeaderTimestamp is the Unix time the request was signed at.
	HeaderTimestamp = "X-Tintri-Jobs-Timestamp"
	// HeaderSignature is "v1=" and the hex HMAC-SHA256, keyed with the webhook secret, of
	// "v1:<timestamp>:<body>".
	HeaderSignature = "X-Tintri-Jobs-Signature"
	// HeaderDelivery is the delivery's id, the same on every attempt: receivers drop
	// repeats by it.
	HeaderDelivery = "X-Tintri-Jobs-Delivery"
)

// delivery is one notification for one target.
type delivery struct {
	target *config.Notify
	slack  *config.Slack // the slack block when the notification was queued
	msg    *Notification
	drift  *driftKey // the drift it carries, if any
	id     string
}

// permanentError is a failure that trying again cannot mend (a refused token, an unknown
// channel, a 4xx answer).
type permanentError struct{ error }

func (e permanentError) Unwrap() error { return e.error }

// deliver tries d until it is delivered, fails for good, runs out of attempts or the
// notifier gives up waiting; it returns the attempts made.
func (n *Notifier) deliver(d *delivery) (int, error) {
	d.id = newDeliveryID()
	for attempt := 0; ; attempt++ {
		err := n.attempt(d)
		var perm permanentError
		if err == nil || errors.As(err, &perm) || attempt == len(n.opts.Backoff) {
			return attempt + 1, err
		}
		n.opts.Observer.Retried(d.target.Name)
		n.opts.Log.Warn().Str("notify", d.target.Name).Str("event", d.msg.Event).Int("attempt", attempt+1).Err(err).
			Dur("retry_in", n.opts.Backoff[attempt]).Msg("notification not delivered, trying again")
		t := time.NewTimer(n.opts.Backoff[attempt])
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
			return attempt + 1, fmt.Errorf("%w (abandoned at shutdown)", err)
		}
	}
}

// attempt makes one try of d.
func (n *Notifier) attempt(d *delivery) error {
	ctx, cancel := context.WithTimeout(n.ctx, DeliveryTimeout)
	defer cancel()
	if d.target.SlackChannel != "" {
		return n.postSlack(ctx, d)
	}
	return n.postWebhook(ctx, d)
}

// postSlack posts d's text to its channel with the bot token.
func (n *Notifier) postSlack(ctx context.Context, d *delivery) error {
	if d.slack == nil {
		return permanentError{errors.New("no slack block")}
	}
	opts := []slack.Option{slack.OptionHTTPClient(n.opts.HTTP)}
	if d.slack.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(d.slack.APIURL))
	}
	api := slack.New(d.slack.BotToken.Reveal(), opts...)
	_, _, err := api.PostMessageContext(ctx, d.target.SlackChannel, slack.MsgOptionText(d.msg.Text, false))
	var refused slack.SlackErrorResponse
	if errors.As(err, &refused) {
		return permanentError{fmt.Errorf("slack refused the message: %s", refused.Err)}
	}
	if err != nil {
		return fmt.Errorf("slack: %w", withoutURL(err))
	}
	return nil
}

// postWebhook posts d's notification as JSON, signed.
func (n *Notifier) postWebhook(ctx context.Context, d *delivery) error {
	body, err := json.Marshal(d.msg)
	if err != nil {
		return permanentError{fmt.Errorf("encode notification: %w", err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.target.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return permanentError{fmt.Errorf("webhook: %w", withoutURL(err))}
	}
	ts := strconv.FormatInt(n.opts.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "tintri-jobs")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(d.target.WebhookSecret.Reveal(), ts, body))
	req.Header.Set(HeaderDelivery, d.id)
	resp, err := n.opts.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", withoutURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64*1024)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return fmt.Errorf("webhook answered %s", resp.Status)
	default:
		return permanentError{fmt.Errorf("webhook answered %s", resp.Status)}
	}
}

// Sign is the value of HeaderSignature for body signed at ts (Unix seconds) with secret.
func Sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v1:%s:", ts)
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// withoutURL drops the URL that net/http's errors quote: a webhook URL may hold a token.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

func newDeliveryID() string {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}
