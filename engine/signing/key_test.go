package signing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const secret = "0123456789abcdef0123456789abcdef-team-key"

func mustKey(t *testing.T, s string) *Key {
	t.Helper()
	k, err := New([]byte(s), "test", true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pipe.key")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := FromEnv([]string{EnvKeyFile + "=" + file})
	if err != nil || fromFile == nil {
		t.Fatalf("from a file: %v, %v", fromFile, err)
	}
	fromValue, err := FromEnv([]string{EnvKey + "=" + secret})
	if err != nil || fromValue == nil {
		t.Fatalf("from the value: %v, %v", fromValue, err)
	}
	// The same key, however given (the file's newline dropped), is one key.
	if fromFile.ID() != fromValue.ID() || !fromFile.Shared() {
		t.Errorf("ids %s and %s, shared %v", fromFile.ID(), fromValue.ID(), fromFile.Shared())
	}
	if !strings.Contains(fromFile.Source(), file) {
		t.Errorf("source %q does not name the file", fromFile.Source())
	}
	if k, err := FromEnv([]string{"HOME=/root"}); k != nil || err != nil {
		t.Errorf("no key configured: %v, %v", k, err)
	}

	bad := []struct {
		env  []string
		want string
	}{
		{[]string{EnvKeyFile + "=" + file, EnvKey + "=" + secret}, "set one of them"},
		{[]string{EnvKeyFile + "=" + filepath.Join(dir, "missing")}, "PIPE_KEY_FILE"},
		{[]string{EnvKey + "=short"}, "at least 32"},
		{[]string{EnvKey + "=" + strings.Repeat(" ", 40)}, "is 0 characters"},
	}
	for _, c := range bad {
		k, err := FromEnv(c.env)
		if k != nil || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, %v; want an error saying %q", c.env, k, err, c.want)
		}
	}
}

func TestLocalIsMadeOnceAndKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := Local(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID()
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("processes making the local key at once got different keys: %v", ids)
		}
	}
	again, err := Local(dir)
	if err != nil || again.ID() != ids[0] || again.Shared() {
		t.Fatalf("the kept key: %v, %v", again, err)
	}
	fi, err := os.Stat(filepath.Join(dir, LocalFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the local key file: %v, %v", fi, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".key-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestLocalInAFolderThatCannotBeMade(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Local(filepath.Join(file, "state"))
	if err == nil || !strings.Contains(err.Error(), EnvKeyFile) {
		t.Errorf("got %v, want an error that says to set %s", err, EnvKeyFile)
	}
}

func TestHashIsKeyedAndSeparated(t *testing.T) {
	a, b := mustKey(t, secret), mustKey(t, secret+"-other")
	msg := []byte(`"0.1"`)
	if a.Hash("value", msg) == b.Hash("value", msg) {
		t.Error("two keys hash alike")
	}
	if a.Hash("value", msg) != mustKey(t, secret).Hash("value", msg) {
		t.Error("one key hashes unlike itself")
	}
	if a.Hash("value", msg) == a.Hash("other", msg) {
		t.Error("two domains hash alike")
	}
	// A signature is never a hash of the same bytes, nor the other way.
	if strings.HasSuffix(a.Sign("value", msg), a.Hash("value", msg)) {
		t.Error("a signature equals a keyed hash")
	}
}

func TestSignAndVerify(t *testing.T) {
	k, other := mustKey(t, secret), mustKey(t, secret+"-other")
	msg := []byte(`{"f1":0.81}`)
	sig := k.Sign("cache-entry", msg)
	if err := k.Verify("cache-entry", msg, sig); err != nil {
		t.Fatalf("a good signature: %v", err)
	}
	cases := []struct {
		name   string
		domain string
		msg    []byte
		sig    string
		want   error
	}{
		{"unsigned", "cache-entry", msg, "", ErrUnsigned},
		{"forged bytes", "cache-entry", []byte(`{"f1":0.986}`), sig, ErrBadSignature},
		{"another domain", "registry-record", msg, sig, ErrBadSignature},
		{"another key", "cache-entry", msg, other.Sign("cache-entry", msg), ErrOtherKey},
		{"made up", "cache-entry", msg, "pipe-hmac-sha256-v1:" + k.ID() + ":00ff", ErrBadSignature},
		{"not hex", "cache-entry", msg, "pipe-hmac-sha256-v1:" + k.ID() + ":zz", ErrBadSignature},
		{"another scheme", "cache-entry", msg, "sha256:abc", ErrBadSignature},
	}
	for _, c := range cases {
		err := k.Verify(c.domain, c.msg, c.sig)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}
