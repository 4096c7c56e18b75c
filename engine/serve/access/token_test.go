package access

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeToken(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

func request(auth string, cookie *http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", "/api/runs", nil)
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	return r
}

func TestToken(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	if tok, err := Open("", nil); tok != nil || err != nil {
		t.Fatalf("no path: %v %v", tok, err)
	}
	if !(*Token)(nil).Allowed(request("", nil)) {
		t.Error("no token refused a request")
	}
	for content, want := range map[string]string{"": "is empty", " \n\t": "is empty", "a\nb": "more than one line", strings.Repeat("x", 5000): "a token is one line"} {
		writeToken(t, path, content)
		if _, err := Open(path, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing"), nil); err == nil {
		t.Error("a missing file opened")
	}

	writeToken(t, path, "s3cret-token\n")
	tok, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	tok.now = func() time.Time { return clock }
	for auth, ok := range map[string]bool{"Bearer s3cret-token": true, "bearer  s3cret-token": true, "Bearer s3cret": false, "Basic s3cret-token": false, "s3cret-token": false, "": false} {
		if got := tok.Allowed(request(auth, nil)); got != ok {
			t.Errorf("Authorization %q: allowed %v", auth, got)
		}
	}
	if _, err := tok.Cookie(request("", nil), "wrong"); err != ErrWrongToken {
		t.Errorf("a wrong token gave a cookie: %v", err)
	}
	c, err := tok.Cookie(request("", nil), " s3cret-token ")
	if err != nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || strings.Contains(c.Value, "s3cret") {
		t.Fatalf("cookie %+v, %v", c, err)
	}
	if !tok.Allowed(request("", c)) || tok.Allowed(request("", &http.Cookie{Name: CookieName, Value: "forged"})) {
		t.Error("the session cookie is not checked")
	}

	// The Secret rotates: the new token works, the old one and its
	// sessions stop, once the file is seen to change.
	writeToken(t, path, "rotated-token-with-another-size")
	clock = clock.Add(2 * time.Second)
	if tok.Allowed(request("Bearer s3cret-token", nil)) || tok.Allowed(request("", c)) || !tok.Allowed(request("Bearer rotated-token-with-another-size", nil)) {
		t.Error("the rotated token is not in force")
	}
	// A file emptied by mistake keeps the token before.
	writeToken(t, path, "")
	clock = clock.Add(2 * time.Second)
	if !tok.Allowed(request("Bearer rotated-token-with-another-size", nil)) {
		t.Error("an emptied file dropped the token")
	}
}

func TestGuard(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	writeToken(t, path, "api-token")
	tok, _ := Open(path, nil)
	mpath := filepath.Join(t.TempDir(), "metrics")
	writeToken(t, mpath, "metrics-token")
	mtok, _ := Open(mpath, nil)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := Guard(ok, Rules{Token: tok, Metrics: mtok, Denied: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }})
	for _, c := range []struct {
		path, auth string
		code       int
	}{
		{"/healthz", "", 200}, {"/readyz", "", 200}, {"/static/pipe.css", "", 200}, {"/login", "", 200},
		{"/", "", 401}, {"/runs/1", "", 401}, {"/api/runs", "", 401}, {"/artifacts/x", "", 401},
		{"/api/runs", "Bearer api-token", 200}, {"/", "Bearer api-token", 200},
		{"/metrics", "", 401}, {"/metrics", "Bearer api-token", 401}, {"/metrics", "Bearer metrics-token", 200},
		{"/api/runs", "Bearer metrics-token", 401},
	} {
		r := httptest.NewRequest("GET", c.path, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != c.code {
			t.Errorf("%s with %q: %d, want %d", c.path, c.auth, w.Code, c.code)
		}
	}
}
