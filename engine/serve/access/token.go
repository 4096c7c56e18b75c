package access

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// CookieName is the session cookie a person gets on /login.
const CookieName = "pipe_session"

// maxToken caps a token file: a token is a line, not a document.
const maxToken = 4096

// Token is a secret read from a file, read again when the file changes.
// A nil *Token lets everything through.
type Token struct {
	path string
	log  *slog.Logger
	now  func() time.Time // time.Now; tests step it

	mu      sync.Mutex
	secret  []byte
	session string // hex HMAC of the secret: the cookie's value
	modTime time.Time
	size    int64
	checked time.Time
}

// Open reads the token at path. A path of "" means no token: nil, and no
// error. The file must hold one non-empty line (surrounding white space
// is ignored), as `kubectl create secret generic --from-file` writes it.
func Open(path string, log *slog.Logger) (*Token, error) {
	if path == "" {
		return nil, nil
	}
	t := &Token{path: path, log: log, now: time.Now}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// reload reads the file. The caller holds t.mu, or t is not shared yet.
func (t *Token) reload() error {
	info, err := os.Stat(t.path)
	if err != nil {
		return fmt.Errorf("serve: reading the token file: %w", err)
	}
	if info.Size() > maxToken {
		return fmt.Errorf("serve: the token file %s is %d bytes; a token is one line, at most %d bytes", t.path, info.Size(), maxToken)
	}
	b, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("serve: reading the token file: %w", err)
	}
	secret := bytes.TrimSpace(b)
	switch {
	case len(secret) == 0:
		return fmt.Errorf("serve: the token file %s is empty; write the token in it (openssl rand -hex 32 makes one)", t.path)
	case bytes.ContainsAny(secret, "\r\n"):
		return fmt.Errorf("serve: the token file %s holds more than one line; a token is one line", t.path)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("pipe serve session"))
	t.secret, t.session = secret, hex.EncodeToString(mac.Sum(nil))
	t.modTime, t.size = info.ModTime(), info.Size()
	return nil
}

// current returns the secret and the session value, reading the file
// again when it changed (checked at most once a second). A file that
// became unreadable or empty keeps the last good token, with a warning.
func (t *Token) current() ([]byte, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := t.now(); now.Sub(t.checked) >= time.Second {
		t.checked = now
		if info, err := os.Stat(t.path); err == nil && (!info.ModTime().Equal(t.modTime) || info.Size() != t.size) {
			if err := t.reload(); err != nil && t.log != nil {
				t.log.Warn("the token file changed but cannot be used; keeping the token read before", "error", err)
			}
		}
	}
	return t.secret, t.session
}

// Allowed reports whether r carries the token: in an Authorization
// header (Bearer), or in the session cookie. A nil Token allows all.
func (t *Token) Allowed(r *http.Request) bool {
	if t == nil {
		return true
	}
	secret, session := t.current()
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, given, ok := strings.Cut(auth, " ")
		return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(given)), secret) == 1
	}
	if c, err := r.Cookie(CookieName); err == nil {
		return subtle.ConstantTimeCompare([]byte(c.Value), []byte(session)) == 1
	}
	return false
}

// ErrWrongToken is what Cookie says of a token that is not the one.
var ErrWrongToken = errors.New("that is not the token; ask whoever runs this pipe serve for it")

// Cookie returns the session cookie for a person who gave token on the
// sign-in form, or ErrWrongToken.
func (t *Token) Cookie(r *http.Request, token string) (*http.Cookie, error) {
	secret, session := t.current()
	if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(token)), secret) != 1 {
		return nil, ErrWrongToken
	}
	return &http.Cookie{
		Name: CookieName, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
	}, nil
}
