package sim

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/tintri-jobs/tintri-jobs/tintri"
)

// sessionCookie is the session cookie name, as on a real appliance (Tomcat).
const sessionCookie = "JSESSIONID"

// supportedVersions answers supportedVersionSet: every v310 minor up to preferred.
func supportedVersions(preferred string) []string {
	var out []string
	for _, v := range []string{"v310.1", "v310.11", "v310.21", "v310.31", "v310.41", "v310.51", "v310.61", "v310.71", "v310.81", "v310.91", "v310.101", "v310.111", "v310.121", "v310.131"} {
		out = append(out, v)
		if v == preferred {
			return out
		}
	}
	return append(out, preferred)
}

// handleInfo serves GET /api/info (no session).
func (srv *server) handleInfo(w http.ResponseWriter, r *http.Request) {
	info := tintri.RestApi{TypeID: tintri.TypeRestApi, ProductName: tintri.ProductVMstore, PreferredVersion: srv.sim.opts.VMstoreVersion}
	if srv.isTGC() {
		info.ProductName, info.PreferredVersion = tintri.ProductTGC, srv.sim.opts.TGCVersion
	}
	info.SupportedVersionSet = supportedVersions(info.PreferredVersion)
	writeJSON(w, http.StatusOK, info)
}

// handleLogin serves POST /api/v310/session/login: 200, a JSESSIONID cookie and the role
// name as a JSON string; 401 ERR-API-0124 on bad credentials.
func (srv *server) handleLogin(w http.ResponseWriter, r *http.Request) {
	var c tintri.RestApiCredentials
	if !decodeBody(w, r, tintri.TypeRestApiCredentials, &c) {
		return
	}
	userOK := subtle.ConstantTimeCompare([]byte(c.Username), []byte(srv.sim.opts.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(c.Password), []byte(srv.sim.opts.Password)) == 1
	if !userOK || !passOK {
		writeError(w, http.StatusUnauthorized, codeCredentials, "Invalid credentials", "login failed for user "+c.Username)
		return
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		writeError(w, http.StatusInternalServerError, codeInternal, "An internal server error occured while processing the API call", "session id: "+err.Error())
		return
	}
	id := hex.EncodeToString(b[:])
	srv.mu.Lock()
	srv.sessions[id] = time.Now()
	srv.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/api", Secure: true, HttpOnly: true})
	writeJSON(w, http.StatusOK, "Admin")
}

// handleLogout serves POST and GET /api/v310/session/logout: 204, ending the session if any.
func (srv *server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		srv.mu.Lock()
		delete(srv.sessions, c.Value)
		srv.mu.Unlock()
	}
	writeNoContent(w)
}

// validSession reports whether r carries a live session, and refreshes its idle timer.
func (srv *server) validSession(r *http.Request) bool {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	now := time.Now()
	srv.mu.Lock()
	defer srv.mu.Unlock()
	last, ok := srv.sessions[c.Value]
	if !ok {
		return false
	}
	if now.Sub(last) > srv.sim.opts.SessionTTL {
		delete(srv.sessions, c.Value)
		return false
	}
	srv.sessions[c.Value] = now
	return true
}

func (srv *server) expireSessions() {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	clear(srv.sessions)
}
