package main

// Issue 20 point 5: with a team key, pipe signs what it trusts in the
// store, and an entry someone edited, left unsigned or signed with
// another key is a miss and a warning, never data. The forgeries below
// are made as an attacker who may write to the store would make them.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pipe-ml/pipe/engine/stepinput"
	"github.com/pipe-ml/pipe/engine/store/gcstest"
)

const (
	teamKey  = "0123456789abcdef0123456789abcdef-team-key"
	otherKey = "0123456789abcdef0123456789abcdef-other-key"
)

// blobs reads and writes a store's blobs by key, as anyone with write
// access to it can.
type blobs interface {
	list(t *testing.T, prefix string) []string
	read(t *testing.T, key string) []byte
	write(t *testing.T, key string, b []byte)
}

type folderBlobs string

func (f folderBlobs) list(t *testing.T, prefix string) []string {
	m, _ := filepath.Glob(filepath.Join(string(f), filepath.FromSlash(prefix), "*"))
	for i := range m {
		rel, _ := filepath.Rel(string(f), m[i])
		m[i] = filepath.ToSlash(rel)
	}
	return m
}

func (f folderBlobs) read(t *testing.T, key string) []byte {
	b, err := os.ReadFile(filepath.Join(string(f), filepath.FromSlash(key)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (f folderBlobs) write(t *testing.T, key string, b []byte) {
	if err := os.WriteFile(filepath.Join(string(f), filepath.FromSlash(key)), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

type gcsBlobs struct{ srv *gcstest.Server }

func (g gcsBlobs) list(t *testing.T, prefix string) []string {
	ctx := context.Background()
	var keys []string
	it := openBucket(t, g.srv).List(nil)
	for {
		obj, err := it.Next(ctx)
		if err != nil {
			return keys
		}
		if strings.HasPrefix(obj.Key, prefix) {
			keys = append(keys, obj.Key)
		}
	}
}

func (g gcsBlobs) read(t *testing.T, key string) []byte {
	b, err := openBucket(t, g.srv).ReadAll(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (g gcsBlobs) write(t *testing.T, key string, b []byte) {
	if err := openBucket(t, g.srv).WriteAll(context.Background(), key, b, nil); err != nil {
		t.Fatal(err)
	}
}

// resealed is an envelope (a cache entry's or a log entry's) whose data
// edit changed, with its checksum and size recomputed the way the format
// says, and its signature kept (keepSignature) or dropped.
func resealed(t *testing.T, b []byte, edit func([]byte) []byte, keepSignature bool) []byte {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	data := edit(bytes.Clone(env["data"]))
	if bytes.Equal(data, env["data"]) {
		t.Fatal("the forgery changed nothing")
	}
	sum := sha256.Sum256(data)
	env["data"] = data
	env["sha256"], _ = json.Marshal(hex.EncodeToString(sum[:]))
	env["size"], _ = json.Marshal(len(data))
	if !keepSignature {
		delete(env, "signature")
	}
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// entryOf finds the cache entry the step wrote last.
func entryOf(t *testing.T, s blobs, step string) string {
	t.Helper()
	for _, key := range s.list(t, "cache/") {
		if bytes.Contains(s.read(t, key), []byte(`"step":"`+step+`"`)) {
			return key
		}
	}
	t.Fatalf("no cache entry of %s in %v", step, s.list(t, "cache/"))
	return ""
}

// gatedPipeline is a pipeline whose publish requires f1 >= 0.95 of a
// model whose f1 is 0.9: publishing is blocked.
func gatedPipeline(t *testing.T) string {
	dir := copyDir(t, "testdata/pipelines/publish")
	editFile(t, filepath.Join(dir, "main.pipe.hcl"), `require    = fakemodel.m.f1 >= 0.5`, `require    = fakemodel.m.f1 >= 0.95`)
	return dir
}

func TestSignedCacheEntries(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		// A folder shared by several machines, outside the state folder.
		shared := filepath.Join(t.TempDir(), "shared-store")
		url := "file://" + filepath.ToSlash(shared)
		checkSignedCache(t, gatedPipeline(t), childEnv(t, "PIPE_STORE="+url), folderBlobs(shared), url)
	})
	t.Run("own store", func(t *testing.T) {
		// The state folder's own store is shared with no one: no note.
		r := pipe(t, gatedPipeline(t), childEnv(t), "plan", "-no-color").expect(t, 0)
		if strings.Contains(r.stderr, "Store not signed") {
			t.Errorf("plan on the state folder's own store says it is not signed:\n%s", r.stderr)
		}
	})
	t.Run("gcs", func(t *testing.T) {
		srv := gcstest.Start(t)
		checkSignedCache(t, gatedPipeline(t), childEnv(t, "STORAGE_EMULATOR_HOST="+srv.Host, "PIPE_STORE="+srv.URL()), gcsBlobs{srv}, srv.URL())
	})
}

// checkSignedCache applies the gated pipeline with a key, then forges
// the model's cache entry three ways; each time the next plan and apply
// take it for a miss with one warning that names it, and the gate sees
// the model's real f1. Without a key, the forgery is trusted.
func checkSignedCache(t *testing.T, dir string, env []string, s blobs, storeURL string) {
	keyFile := filepath.Join(t.TempDir(), "pipe.key")
	if err := os.WriteFile(keyFile, []byte(teamKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyed := append(env[:len(env):len(env)], "PIPE_KEY_FILE="+keyFile)
	blocked := func(r result) {
		t.Helper()
		if !strings.Contains(oneLine(r.stderr), "fakemodel.m.f1 >= 0.95 (fakemodel.m.f1 = 0.9) is false") {
			t.Errorf("the gate did not see the model's real f1:\n%s", r.stderr)
		}
		if _, err := os.Stat(filepath.Join(dir, "models")); err == nil {
			t.Fatal("a model was published")
		}
	}
	r := pipe(t, dir, keyed, "apply", "-no-color").expect(t, 1)
	blocked(r)
	if strings.Contains(r.stderr, "Store not signed") {
		t.Errorf("with a key, apply says the store is not signed:\n%s", r.stderr)
	}
	entry := entryOf(t, s, "fakemodel.m")
	raise := func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"f1":{"type":"number","value":0.9}`), []byte(`"f1":{"type":"number","value":0.986}`), 1)
	}
	untrusted := func(why string) {
		t.Helper()
		r := pipe(t, dir, keyed, "plan", "-no-color").expect(t, 0)
		msg := oneLine(r.stderr)
		for _, part := range []string{"Warning: Untrusted cache entry", "fakemodel.m: cache: cache entry " + entry + " in " + storeURL, why, "not trusted: a miss"} {
			if !strings.Contains(msg, part) {
				t.Errorf("plan's warning does not say %q:\n%s", part, r.stderr)
			}
		}
		if !regexp.MustCompile(`\+ fakemodel\.m\s+run\n\s+- its cache entry `).MatchString(r.stdout) {
			t.Errorf("plan does not run fakemodel.m for its untrusted entry:\n%s", r.stdout)
		}
		r = pipe(t, dir, keyed, "apply", "-no-color").expect(t, 1)
		blocked(r)
		if n := strings.Count(r.stderr, "Untrusted cache entry"); n != 1 {
			t.Errorf("apply warned %d times about the entry, want once:\n%s", n, r.stderr)
		}
		// The step ran again and rewrote its entry, signed.
		if r := pipe(t, dir, keyed, "plan", "-no-color").expect(t, 0); strings.Contains(r.stderr, "cache entry") {
			t.Errorf("the rewritten entry is not trusted:\n%s", r.stderr)
		}
	}

	t.Log("f1 raised to 0.986 and the checksum resealed")
	s.write(t, entry, resealed(t, s.read(t, entry), raise, true))
	untrusted("does not match its signature")

	t.Log("the same, with the signature removed")
	s.write(t, entry, resealed(t, s.read(t, entry), raise, false))
	untrusted("is not signed")

	t.Log("every entry signed with another key")
	pipe(t, dir, append(env[:len(env):len(env)], "PIPE_KEY="+otherKey), "apply", "-no-color").expect(t, 1)
	r = pipe(t, dir, keyed, "plan", "-no-color").expect(t, 0)
	// The sources' keys are known when planning; the others' after.
	if n := strings.Count(oneLine(r.stderr), "is signed with another key (key "); n != 2 {
		t.Errorf("plan warned about %d entries signed with another key, want the 2 sources':\n%s", n, r.stderr)
	}
	r = pipe(t, dir, keyed, "apply", "-no-color").expect(t, 1)
	blocked(r)
	if !strings.Contains(oneLine(r.stderr), "fakemodel.m: cache: cache entry "+entry+" in "+storeURL+" is signed with another key (key ") {
		t.Errorf("apply does not warn about the model's entry, signed with another key:\n%s", r.stderr)
	}

	t.Log("without a key, the forgery is trusted: that is the attack")
	s.write(t, entry, resealed(t, s.read(t, entry), raise, true))
	r = pipe(t, dir, env, "plan", "-no-color").expect(t, 0)
	if n := strings.Count(r.stderr, "Warning: Store not signed"); n != 1 || !strings.Contains(oneLine(r.stderr), "registry records in "+storeURL+" are not signed") || !strings.Contains(r.stderr, "PIPE_KEY_FILE") {
		t.Errorf("plan without a key says %d times that the store is not signed, want once:\n%s", n, r.stderr)
	}
	r = pipe(t, dir, env, "apply", "-no-color").expect(t, 0)
	if n := strings.Count(r.stderr, "Warning: Store not signed"); n != 1 {
		t.Errorf("apply without a key says %d times that the store is not signed, want once:\n%s", n, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "models")); err != nil {
		t.Errorf("without a key, the forged f1 did not pass the gate: %v\n%s", err, r.stderr)
	}
}

// TestSignedRegistryRecords: with a key, a machine without it that
// publishes and promotes a model into the shared store (an attacker with
// write access, or a machine someone forgot to give the key) changes
// nothing the keyed machines trust: its log entries are not indexed, and
// each is named in a warning, the first three, then a count. A log entry
// whose metric was raised and resealed is refused when the index is made
// again, and later entries still apply. Without a key, both are trusted.
func TestSignedRegistryRecords(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/publish")
	storeDir := filepath.Join(dir, ".pipe", "store")
	storeURL := "file://" + filepath.ToSlash(storeDir)
	keyFile := filepath.Join(t.TempDir(), "pipe.key")
	if err := os.WriteFile(keyFile, []byte(teamKey), 0o600); err != nil {
		t.Fatal(err)
	}
	keyed := childEnv(t, "PIPE_KEY_FILE="+keyFile)
	pipe(t, dir, keyed, "apply", "-no-color").expect(t, 0)

	t.Log("a machine without the key publishes a better model, which becomes champion there")
	attacker := childEnv(t, "PIPE_STORE="+storeURL, "PIPE_STATE_DIR="+filepath.Join(t.TempDir(), "attacker"))
	pipe(t, dir, attacker, "apply", "-no-color", "-var", "quality=0.95").expect(t, 0)
	if out := pipe(t, dir, attacker, "models", "show", "-no-color", "clf").expect(t, 0).stdout; !strings.Contains(out, "champion=v2") {
		t.Fatalf("without the key, the new version is not champion:\n%s", out)
	}
	// A copy of the keyed machine's registry file, not yet synced,
	// opened alone, opens the store it recorded with the key from the
	// environment.
	copied := filepath.Join(t.TempDir(), "registry.db")
	if err := copyFileTo(filepath.Join(dir, ".pipe", "registry.db"), copied); err != nil {
		t.Fatal(err)
	}
	if r := pipe(t, t.TempDir(), keyed, "models", "show", "-no-color", "-registry="+copied, "clf").expect(t, 0); !strings.Contains(r.stdout, "champion=v1") || !strings.Contains(r.stderr, "Untrusted registry record") {
		t.Errorf("a registry file opened alone with the key:\n%s\n%s", r.stdout, r.stderr)
	}
	r := pipe(t, dir, keyed, "models", "show", "-no-color", "clf").expect(t, 0)
	if !strings.Contains(r.stdout, "champion=v1") || strings.Contains(r.stdout, "v2") {
		t.Errorf("with the key, the unsigned version is trusted:\n%s", r.stdout)
	}
	msg := oneLine(r.stderr)
	if n := strings.Count(msg, "Warning: Untrusted registry record"); n != 3 || !strings.Contains(msg, "more untrusted registry records") {
		t.Errorf("%d warnings, want three and one for the rest:\n%s", n, r.stderr)
	}
	if !regexp.MustCompile(`registry/log/\d{20}\.json in `+regexp.QuoteMeta(storeURL)+` is not signed, so its facts are not indexed`).MatchString(msg) || !strings.Contains(msg, "give every machine that writes to the store the same key") {
		t.Errorf("the warning does not name the entry, the store, what happened and what to do:\n%s", r.stderr)
	}
	// Each entry is met once: the index has moved past them.
	if r := pipe(t, dir, keyed, "models", "show", "-no-color", "clf").expect(t, 0); strings.Contains(r.stderr, "Untrusted") {
		t.Errorf("the same entries are warned about again:\n%s", r.stderr)
	}

	t.Log("the keyed machine publishes the same model: its entries follow the skipped ones and apply")
	r = pipe(t, dir, keyed, "apply", "-no-color", "-var", "quality=0.95").expect(t, 0)
	if out := pipe(t, dir, keyed, "models", "show", "-no-color", "clf").expect(t, 0).stdout; !strings.Contains(out, "champion=v2") {
		t.Errorf("the keyed machine's own version is not champion:\n%s\n%s", out, r.stderr)
	}

	t.Log("a trusted entry's f1 raised and resealed")
	s := folderBlobs(storeDir)
	var forged string
	for _, name := range logEntries(t, storeDir) {
		key := "registry/log/" + name
		b := s.read(t, key)
		if bytes.Contains(b, []byte(`"version_created"`)) && bytes.Contains(b, []byte(`"signature"`)) && bytes.Contains(b, []byte(`"f1":0.9,`)) {
			s.write(t, key, resealed(t, b, func(d []byte) []byte {
				return bytes.Replace(d, []byte(`"f1":0.9,`), []byte(`"f1":0.986,`), 1)
			}, true))
			forged = key
			break
		}
	}
	if forged == "" {
		t.Fatal("no signed entry records version 1's f1")
	}
	r = pipe(t, dir, keyed, "registry", "rebuild", "-no-color").expect(t, 0)
	if !strings.Contains(oneLine(r.stderr), forged+" in "+storeURL+" does not match its signature") {
		t.Errorf("rebuild does not name the forged entry:\n%s", r.stderr)
	}
	if out := pipe(t, dir, keyed, "models", "show", "-no-color", "clf").expect(t, 0).stdout; strings.Contains(out, "0.986") {
		t.Errorf("with the key, the forged f1 is shown:\n%s", out)
	}
	fresh := childEnv(t, "PIPE_STORE="+storeURL, "PIPE_STATE_DIR="+filepath.Join(t.TempDir(), "laptop"))
	if out := pipe(t, dir, fresh, "models", "show", "-no-color", "clf").expect(t, 0).stdout; !strings.Contains(out, "0.9860") {
		t.Errorf("without a key, the forged f1 is not shown (the forgery is not the attack it should be):\n%s", out)
	}
}

// TestSignedRemoteSteps: workers of the process executor sign with the
// coordinator's key, so a remote apply with a key is cached whole by the
// next; the entry of a worker without the key is not trusted, and a
// worker whose PIPE_KEY_FILE cannot be read says so.
func TestSignedRemoteSteps(t *testing.T) {
	dir := copyDir(t, "testdata/pipelines/ok")
	storeDir := t.TempDir()
	storeFlag := "-store=file://" + storeDir
	keyFile := filepath.Join(t.TempDir(), "pipe.key")
	if err := os.WriteFile(keyFile, []byte(teamKey), 0o600); err != nil {
		t.Fatal(err)
	}
	keyed := childEnv(t, "PIPE_KEY_FILE="+keyFile)
	pipe(t, dir, keyed, "apply", "-no-color", "-executor=process", storeFlag).expect(t, 0)
	s := folderBlobs(storeDir)
	for _, key := range s.list(t, "cache") {
		if !bytes.Contains(s.read(t, key), []byte(`"signature":"pipe-hmac-sha256-v1:`)) {
			t.Errorf("%s is not signed", key)
		}
	}
	if r := pipe(t, dir, keyed, "plan", "-no-color", storeFlag).expect(t, 0); strings.Contains(r.stderr, "Untrusted") || !strings.Contains(r.stdout, "0 to run") {
		t.Errorf("the workers' entries are not all trusted:\n%s\n%s", r.stdout, r.stderr)
	}

	shout := stepInputDocs(t, storeDir)["transform.shout"]
	if shout == nil {
		t.Fatal("no step-input document of transform.shout")
	}
	entry := "cache/" + shout.Key + ".json"
	if err := os.Remove(filepath.Join(storeDir, filepath.FromSlash(entry))); err != nil {
		t.Fatal(err)
	}
	var digest string
	for d, doc := range stepInputDigests(t, storeDir) {
		if doc == "transform.shout" {
			digest = d
		}
	}
	r := pipe(t, dir, childEnv(t, "PIPE_KEY_FILE="+filepath.Join(t.TempDir(), "missing")), "step", "exec", storeFlag, digest).expect(t, 1)
	if !strings.Contains(oneLine(r.stderr), "PIPE_KEY_FILE") || !strings.Contains(oneLine(r.stderr), "coordinator's team key") {
		t.Errorf("a worker that cannot read its key:\n%s", r.stderr)
	}
	pipe(t, dir, childEnv(t), "step", "exec", storeFlag, digest).expect(t, 0)
	r = pipe(t, dir, keyed, "plan", "-no-color", storeFlag).expect(t, 0)
	if !strings.Contains(oneLine(r.stderr), "transform.shout: cache: cache entry "+entry+" in file://"+filepath.ToSlash(storeDir)+" is not signed") {
		t.Errorf("the entry of a worker without the key is trusted:\n%s", r.stderr)
	}
}

// stepInputDigests maps the digest of each step-input document in a
// local store to its step.
func stepInputDigests(t *testing.T, storeDir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	walkStepInputs(storeDir, func(digest string, doc *stepinput.Document) { out[digest] = doc.Step })
	return out
}
