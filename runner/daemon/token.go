package daemon

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/tintri-jobs/tintri-jobs/internal/atomicfile"
)

// TokenFile is the file, inside the state directory, that holds the bearer token the daemon
// writes at each start when it is given no token file.
const TokenFile = "daemon.token"

// MinTokenLength is the fewest characters a token file's token may have.
const MinTokenLength = 16

// maxTokenFileSize bounds what ReadTokenFile reads: a token is one short line.
const maxTokenFileSize = 4096

// ReadTokenFile reads a bearer token: the file's content without surrounding white space,
// at least MinTokenLength printable ASCII characters. Outside Windows the file must not be
// open to group or others (mode 0600 or stricter): a token others can read protects nothing.
// One exception (PostgreSQL's rule for its key file): a file root owns may be readable by
// its group (0640 or stricter) when the daemon does not run as root, for it then reads the
// file through that group. That is how Kubernetes mounts a Secret in a pod with fsGroup
// (root:fsGroup, 0440), and how an administrator hands a file to the daemon's group.
// Errors name the file, never the token.
func ReadTokenFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("token file %s: not a regular file", path)
	}
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && !tokenModeOK(perm, fileOwner(fi), os.Geteuid()) {
		return "", fmt.Errorf("token file %s: mode %04o lets group or others at it; chmod 600 %s", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxTokenFileSize+1))
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	if len(data) > maxTokenFileSize {
		return "", fmt.Errorf("token file %s: larger than %d bytes; it should hold one token", path, maxTokenFileSize)
	}
	token := strings.TrimSpace(string(data))
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", fmt.Errorf("token file %s: the token holds white space or characters other than printable ASCII", path)
	}
	if len(token) < MinTokenLength {
		return "", fmt.Errorf("token file %s: the token has %d characters, want at least %d (for example: openssl rand -hex 32)",
			path, len(token), MinTokenLength)
	}
	return token, nil
}

// tokenModeOK reports whether a token file with the permissions perm, owned by the user
// owner (-1: unknown), is private enough for a daemon running as the user euid (see
// ReadTokenFile).
func tokenModeOK(perm os.FileMode, owner, euid int) bool {
	if perm&0o077 == 0 {
		return true
	}
	return owner == 0 && euid > 0 && perm&0o037 == 0
}

// WriteNewToken writes a new random token (32 bytes as 64 hex digits) to dir/TokenFile with
// mode 0600, atomically replacing an earlier one, and returns the token and the file's path.
func WriteNewToken(dir string) (token, path string, err error) {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	token = hex.EncodeToString(b[:])
	path = filepath.Join(dir, TokenFile)
	if err := atomicfile.WriteBytes(path, []byte(token+"\n"), 0o600); err != nil {
		return "", "", fmt.Errorf("write token file: %w", err)
	}
	return token, path, nil
}

// bearer is the token POST /runs requires, kept as its SHA-256 sum: comparing sums in
// constant time takes as long for any candidate, whatever its length.
type bearer struct {
	sum  [sha256.Size]byte
	path string // the token file, which logs may name
	set  bool
}

func newBearer(token, path string) bearer {
	return bearer{sum: sha256.Sum256([]byte(token)), path: path, set: true}
}

// allows reports whether r carries the token: "Authorization: Bearer <token>".
func (b bearer) allows(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !b.set || !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(sum[:], b.sum[:]) == 1
}

// loadToken returns the token of opts.TokenFile or, when the daemon serves HTTP without
// one, a new token it writes to the state directory.
func loadToken(opts Options) (bearer, error) {
	switch {
	case opts.TokenFile != "":
		token, err := ReadTokenFile(opts.TokenFile)
		if err != nil {
			return bearer{}, err
		}
		return newBearer(token, opts.TokenFile), nil
	case opts.Listener != nil:
		token, path, err := WriteNewToken(opts.StateDir)
		if err != nil {
			return bearer{}, err
		}
		return newBearer(token, path), nil
	}
	return bearer{}, nil
}
