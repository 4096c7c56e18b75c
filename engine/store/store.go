package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"gocloud.dev/blob"

	"github.com/pipe-ml/pipe/engine/signing"
)

// Store is a content-addressed artifact store with a cache of step
// executions, over one blob bucket. It is safe for concurrent use, by
// goroutines and by processes on any number of machines sharing the bucket:
// every write is atomic and every read is checked.
type Store struct {
	bucket *blob.Bucket
	loc    Location
	url    string
	opts   Options
}

// Options tune a Store. The zero value means the documented defaults.
type Options struct {
	// Retry is the policy for transient errors. Zero fields take their
	// value from DefaultRetry.
	Retry Retry
	// RequestTimeout bounds each attempt of an operation on metadata or
	// on a small blob (stat, cache entries, refs). Streaming an object is
	// bounded only by the caller's context. Default 60 s.
	RequestTimeout time.Duration
	// SpoolDir is the local folder where Put writes an object to a
	// remote store before uploading it, when there is no usable Cache; it
	// is created when missing. Default os.TempDir().
	SpoolDir string
	// Cache keeps verified local copies of a gs:// or s3:// store's
	// objects; see ObjectCache. Nil means none: every read of a remote
	// object downloads it, and Map reads it into memory. Local and
	// memory stores do not use it.
	Cache *ObjectCache
	// FetchStreams is how many streams at most download one object into
	// the Cache: one reads it from its start, and only when the network
	// is slower than this machine writes and hashes what that stream
	// brings do ranged reads of FetchChunk bytes join it. Default 8; 1
	// means always one stream.
	FetchStreams int
	// FetchChunk is the size of each ranged read. Default 8 MiB.
	FetchChunk int64
	// fetchSpread, in tests and benchmarks, has ranged reads join the
	// first stream after its first read, however fast it is.
	fetchSpread bool
	// Key, when set, signs every cache entry PutEntry writes, and
	// GetEntry trusts only entries it signed (see signature.go). Only a
	// configured team key belongs here (signing.Key.Shared): nil means
	// entries are written and read unsigned.
	Key *signing.Key
}

// Open opens the store at url, with default options. See ParseLocation for
// the URLs it accepts; a relative local path, with or without file://, is
// relative to baseDir (the pipeline's folder), so the default store
// "file://.pipe/store" lives beside the pipeline. A local folder is created
// when it is missing. A mem:// store is new and empty, and lives as long as
// the Store.
//
// Open does not contact a remote store; use Ping to check it can be
// reached.
func Open(ctx context.Context, url, baseDir string) (*Store, error) {
	return OpenOptions(ctx, url, baseDir, nil)
}

// OpenOptions is Open with options; nil options mean the defaults.
func OpenOptions(ctx context.Context, url, baseDir string, opts *Options) (*Store, error) {
	loc, err := ParseLocation(url, baseDir)
	if err != nil {
		return nil, err
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	o.Retry = o.Retry.withDefaults()
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 60 * time.Second
	}
	if o.FetchStreams <= 0 {
		o.FetchStreams = 8
	}
	if o.FetchChunk <= 0 {
		o.FetchChunk = 8 << 20
	}
	if o.SpoolDir == "" {
		o.SpoolDir = os.TempDir()
	} else if err := os.MkdirAll(o.SpoolDir, 0o777); err != nil {
		return nil, fmt.Errorf("store: creating spool folder: %w", err)
	}
	b, err := loc.Open(ctx, &BucketOptions{NoClientRetry: true})
	if err != nil {
		return nil, err
	}
	return &Store{bucket: b, loc: loc, url: loc.String(), opts: o}, nil
}

// Close releases the bucket. A mem:// store's content is gone after it.
func (s *Store) Close() error {
	if err := s.bucket.Close(); err != nil {
		return fmt.Errorf("store: %s: closing: %w", s.url, err)
	}
	return nil
}

// URL is the store's canonical URL, e.g. file:///home/me/p/.pipe/store or
// gs://bucket/prefix.
func (s *Store) URL() string { return s.url }

// Location is where the store lives.
func (s *Store) Location() Location { return s.loc }

// URI returns a URL a person can use to find the object with the given
// digest, e.g. file:///abs/.pipe/store/objects/sha256/ab/cdef... or
// gs://bucket/prefix/objects/sha256/ab/cdef.... It does not check that the
// object exists. It panics on a malformed digest.
func (s *Store) URI(digest string) string {
	key, err := objectKey(digest)
	if err != nil {
		panic(err)
	}
	return s.loc.KeyURL(key)
}

// Ping checks that the store can be reached and its bucket exists, with a
// single attempt bounded by Options.RequestTimeout. `pipe serve` uses it
// for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	ok, err := s.bucket.IsAccessible(ctx)
	if err != nil {
		return &OpError{Store: s.url, Op: "checking access", Attempts: 1, Err: err}
	}
	if !ok {
		return &OpError{Store: s.url, Op: "checking access", Attempts: 1,
			Err: fmt.Errorf("bucket does not exist or these credentials may not read it")}
	}
	return nil
}

// CheckBucket checks, before a run uses a gs:// or s3:// store, that its
// bucket exists, so that a wrong name is said at once and not after steps
// ran, when the first write fails. Other stores pass.
func (s *Store) CheckBucket(ctx context.Context) error {
	if s.loc.Scheme != "gs" && s.loc.Scheme != "s3" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
	defer cancel()
	ok, err := s.bucket.IsAccessible(ctx)
	if err != nil || ok {
		return nil // unreachable: the first request says so, with retries
	}
	return fmt.Errorf("store: bucket %s does not exist, or these credentials may not read it (store %s). "+
		"Create it (gcloud storage buckets create %s://%s, or aws s3 mb), or point -store, PIPE_STORE or settings.store at a bucket that exists",
		s.loc.Bucket, s.url, s.loc.Scheme, s.loc.Bucket)
}

// Keys of the store's layout.
const (
	objectsPrefix    = "objects/sha256/"
	cachePrefix      = "cache/"
	refsPrefix       = "refs/"
	quarantinePrefix = "quarantine/"
)

// objectKey returns objects/sha256/ab/<rest of hex> for "sha256:abcd...".
func objectKey(digest string) (string, error) {
	hex, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || !isHex64(hex) {
		return "", fmt.Errorf("store: %q is not a digest of the form sha256:<64 lowercase hex digits>", digest)
	}
	return objectsPrefix + hex[:2] + "/" + hex[2:], nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
