// Package slackfake is a fake Slack for tests: the Web API methods the chat bot and the
// notifications call, and Socket Mode's WebSocket, over HTTP on loopback, so that tests
// exercise the real slack-go client end to end.
//
// Web API: auth.test, apps.connections.open (app token), chat.postMessage, chat.update,
// chat.postEphemeral, users.info and the three steps of a file upload. Every call must
// carry the bot token (the app token for apps.connections.open); the fake records what
// was posted. Socket Mode: a client that opened a connection is greeted with hello and
// pinged; Mention, Slash and Click deliver envelopes and wait for their acknowledgement.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// BotID is the bot's user ID.
const BotID = "UBOT00001"

// Message is a message the bot posted or updated.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	Blocks   string // the blocks as JSON, "" when none
	User     string // chat.postEphemeral's recipient
	// Method is chat.postMessage, chat.update, chat.postEphemeral or files.upload.
	Method string
	// Updates counts the chat.update calls of a posted message.
	Updates int
}

// Fake is a running fake Slack.
type Fake struct {
	srv      *httptest.Server
	botToken string
	appToken string

	mu       sync.Mutex
	users    map[string]string // id → name
	messages []*Message
	uploads  map[string]string // file id → content
	fail     map[string]int    // method → calls still to fail
	seq      int
	conns    []*websocket.Conn
	connWrMu sync.Mutex
	acks     map[string]chan json.RawMessage
	changed  chan struct{} // closed and replaced at every change
	stopPing chan struct{}
}

// New starts a fake Slack that accepts botToken and appToken and knows users (ID → name).
func New(botToken, appToken string, users map[string]string) *Fake {
	f := &Fake{botToken: botToken, appToken: appToken, users: users, uploads: map[string]string{},
		fail: map[string]int{}, acks: map[string]chan json.RawMessage{}, changed: make(chan struct{}), stopPing: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", f.serveAPI)
	mux.HandleFunc("/upload/", f.serveUpload)
	mux.HandleFunc("/ws", f.serveWS)
	f.srv = httptest.NewServer(mux)
	go f.ping()
	return f
}

// APIURL is the Web API's base URL (the slack block's api_url).
func (f *Fake) APIURL() string { return f.srv.URL + "/api/" }

// Close stops the fake.
func (f *Fake) Close() {
	close(f.stopPing)
	f.mu.Lock()
	for _, c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.srv.Close()
}

// FailNext makes the next n calls of method answer 500.
func (f *Fake) FailNext(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = n
}

// Messages returns a copy of what the bot posted, in order.
func (f *Fake) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Message, len(f.messages))
	for i, m := range f.messages {
		out[i] = *m
	}
	return out
}

// Wait returns the first message (from the n-th on, counting from 0) for which match is
// true, waiting up to timeout for it.
func (f *Fake) Wait(from int, timeout time.Duration, match func(Message) bool) (Message, int, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		changed := f.changed
		for i := from; i < len(f.messages); i++ {
			if m := *f.messages[i]; match(m) {
				f.mu.Unlock()
				return m, i, nil
			}
		}
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return Message{}, 0, fmt.Errorf("slackfake: no matching message after %s; messages:\n%s", timeout, f.dump())
		}
	}
}

// dump lists the messages for a failure message.
func (f *Fake) dump() string {
	var b strings.Builder
	for i, m := range f.Messages() {
		fmt.Fprintf(&b, "%d %s %s thread=%s updates=%d: %s %s\n", i, m.Method, m.TS, m.ThreadTS, m.Updates, m.Text, m.Blocks)
	}
	return b.String()
}

// changedLocked wakes the waiters; f.mu is held.
func (f *Fake) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// nextTS returns a new message timestamp; f.mu is held.
func (f *Fake) nextTSLocked() string {
	f.seq++
	return fmt.Sprintf("1700000000.%06d", f.seq)
}

func (f *Fake) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	token := r.Form.Get("token")
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = t
	}
	want := f.botToken
	if method == "apps.connections.open" {
		want = f.appToken
	}
	f.mu.Lock()
	if f.fail[method] > 0 {
		f.fail[method]--
		f.mu.Unlock()
		http.Error(w, "injected failure", http.StatusInternalServerError)
		return
	}
	f.mu.Unlock()
	if token != want {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "user_id": BotID, "user": "tintribot", "team_id": "T0000TEAM", "bot_id": "B0000BOT"})
	case "apps.connections.open":
		writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws"})
	case "users.info":
		f.serveUser(w, r.Form.Get("user"))
	case "chat.postMessage", "chat.postEphemeral", "chat.update":
		f.servePost(w, method, r)
	case "files.getUploadURLExternal":
		f.mu.Lock()
		id := "F" + strconv.Itoa(len(f.uploads)+1)
		f.uploads[id] = ""
		f.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		f.completeUpload(w, r)
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *Fake) serveUser(w http.ResponseWriter, id string) {
	f.mu.Lock()
	name, ok := f.users[id]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, map[string]any{"ok": false, "error": "user_not_found"})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "user": map[string]any{"id": id, "name": name, "real_name": name}})
}

// servePost records a chat.postMessage, chat.postEphemeral or chat.update.
func (f *Fake) servePost(w http.ResponseWriter, method string, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.changedLocked()
	m := &Message{Method: method, Channel: r.Form.Get("channel"), Text: r.Form.Get("text"), Blocks: r.Form.Get("blocks"),
		ThreadTS: r.Form.Get("thread_ts"), User: r.Form.Get("user")}
	if method == "chat.update" {
		for _, old := range f.messages {
			if old.TS == r.Form.Get("ts") && old.Channel == m.Channel {
				old.Text, old.Blocks = m.Text, m.Blocks
				old.Updates++
				writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": old.TS})
				return
			}
		}
		writeJSON(w, map[string]any{"ok": false, "error": "message_not_found"})
		return
	}
	m.TS = f.nextTSLocked()
	f.messages = append(f.messages, m)
	writeJSON(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS, "message_ts": m.TS})
}

func (f *Fake) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer file.Close()
	b, err := io.ReadAll(file)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.uploads[id] = string(b)
	f.mu.Unlock()
	_, _ = w.Write([]byte("OK"))
}

// completeUpload records an uploaded file as a message whose Text is the file's content.
func (f *Fake) completeUpload(w http.ResponseWriter, r *http.Request) {
	var files []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(r.Form.Get("files")), &files); err != nil || len(files) != 1 {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_arguments"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	defer f.changedLocked()
	f.messages = append(f.messages, &Message{Method: "files.upload", Channel: r.Form.Get("channel_id"), TS: f.nextTSLocked(),
		ThreadTS: r.Form.Get("thread_ts"), Text: f.uploads[files[0].ID], Blocks: files[0].Title})
	writeJSON(w, map[string]any{"ok": true, "files": []map[string]string{{"id": files[0].ID, "title": files[0].Title}}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
