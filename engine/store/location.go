package store

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob" // gs:// URLs
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // s3:// URLs
)

// Location is a parsed blob folder URL: where a store, or a folder a step
// writes to, lives. ParseLocation accepts
//
//	gs://BUCKET[/PREFIX][?QUERY]   Google Cloud Storage
//	s3://BUCKET[/PREFIX][?QUERY]   Amazon S3 (or compatible)
//	mem://[NAME][/PREFIX]          a bucket in this process's memory
//	file:///ABS/PATH               a local folder
//	file://REL/PATH                a local folder relative to the base folder
//	REL/PATH or /ABS/PATH          the same, without the scheme
//
// For gs:// and s3:// the path after the bucket is a key prefix: the
// gocloud URL openers ignore it, so Open applies it with
// blob.PrefixedBucket. The query is passed to the gocloud opener
// (gcsblob: anonymous, access_id, ...; s3blob: region, endpoint, ...).
// For gs://, STORAGE_EMULATOR_HOST (a bare host:port) points the client at
// an emulator, as Google's own clients do, and
// GOOGLE_APPLICATION_CREDENTIALS names the credentials.
type Location struct {
	// Scheme is "file", "mem", "gs" or "s3".
	Scheme string
	// Bucket is the bucket name (gs, s3) or the memory bucket's name (mem).
	Bucket string
	// Prefix is the key prefix inside the bucket: "" or ending in "/".
	Prefix string
	// Dir is the absolute local folder (file).
	Dir string
	// Query holds the URL's query parameters (gs, s3).
	Query url.Values
}

// ParseLocation parses raw. Relative local paths, with or without file://,
// are made absolute against baseDir (the pipeline's folder).
func ParseLocation(raw, baseDir string) (Location, error) {
	if strings.TrimSpace(raw) == "" {
		return Location{}, fmt.Errorf("store: empty location: give a local path or a file://, gs://, s3:// or mem:// URL")
	}
	scheme, rest, hasScheme := strings.Cut(raw, "://")
	if !hasScheme {
		return localLocation(raw, baseDir)
	}
	switch scheme {
	case "file":
		if strings.Contains(rest, "?") {
			return Location{}, fmt.Errorf("store: %q: file:// locations take no query parameters", raw)
		}
		p, err := url.PathUnescape(rest)
		if err != nil {
			return Location{}, fmt.Errorf("store: %q: %v", raw, err)
		}
		return localLocation(p, baseDir)
	case "gs", "s3", "mem":
		u, err := url.Parse(raw)
		if err != nil {
			return Location{}, fmt.Errorf("store: %q is not a valid URL: %v", raw, err)
		}
		if scheme != "mem" && u.Host == "" {
			return Location{}, fmt.Errorf("store: %q names no bucket: write %s://BUCKET or %s://BUCKET/PREFIX", raw, scheme, scheme)
		}
		loc := Location{Scheme: scheme, Bucket: u.Host, Query: u.Query()}
		if p := strings.Trim(u.Path, "/"); p != "" {
			loc.Prefix = p + "/"
		}
		if loc.Query.Has("prefix") {
			return Location{}, fmt.Errorf("store: %q: give the prefix as the URL's path (%s://%s/PREFIX), not as ?prefix=", raw, scheme, u.Host)
		}
		if scheme == "mem" && len(loc.Query) > 0 {
			return Location{}, fmt.Errorf("store: %q: mem:// locations take no query parameters", raw)
		}
		return loc, nil
	default:
		return Location{}, fmt.Errorf("store: %q: unsupported scheme %q: use a local path or a file://, gs://, s3:// or mem:// URL", raw, scheme)
	}
}

func localLocation(p, baseDir string) (Location, error) {
	if p == "" {
		return Location{}, fmt.Errorf("store: empty local path")
	}
	if !filepath.IsAbs(p) {
		if baseDir == "" {
			var err error
			if baseDir, err = os.Getwd(); err != nil {
				return Location{}, fmt.Errorf("store: resolving %q: %v", p, err)
			}
		}
		p = filepath.Join(baseDir, p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return Location{}, fmt.Errorf("store: resolving %q: %v", p, err)
	}
	return Location{Scheme: "file", Dir: abs}, nil
}

// String returns the location as a canonical URL: file:///abs/path,
// gs://bucket/prefix, mem://name/prefix. The query is left out: it may
// hold credentials' paths and is not part of the location's identity.
func (l Location) String() string {
	switch l.Scheme {
	case "file":
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(l.Dir)}).String()
	default:
		s := l.Scheme + "://" + l.Bucket
		if l.Prefix != "" {
			s += "/" + strings.TrimSuffix(l.Prefix, "/")
		}
		return s
	}
}

// KeyURL returns a URL a person can use to find the blob at key in this
// location: file:///abs/path/key, gs://bucket/prefix/key.
func (l Location) KeyURL(key string) string {
	switch l.Scheme {
	case "file":
		p := filepath.Join(l.Dir, filepath.FromSlash(key))
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	default:
		return l.Scheme + "://" + l.Bucket + "/" + l.Prefix + key
	}
}

// BucketOptions tune Location.Open.
type BucketOptions struct {
	// NoClientRetry turns off the retries the cloud client makes by
	// itself, for a caller that retries on its own (the Store does). When
	// false, Google Cloud Storage clients make at most 5 attempts, with
	// pauses of at most 8 s, instead of the client's default of retrying
	// until the context ends.
	NoClientRetry bool
}

// Open opens the bucket. A local folder is created when it is missing;
// temporary files are written beside their final name (so a rename
// publishes them, even when the folder is on another file system than
// os.TempDir) and no ".attrs" metadata files are written. A mem://
// location opens a new, empty bucket every time. The caller closes the
// bucket.
func (l Location) Open(ctx context.Context, opts *BucketOptions) (*blob.Bucket, error) {
	if opts == nil {
		opts = &BucketOptions{}
	}
	var b *blob.Bucket
	switch l.Scheme {
	case "file":
		if err := os.MkdirAll(l.Dir, 0o777); err != nil {
			return nil, fmt.Errorf("store: creating folder %s: %w", l.Dir, err)
		}
		var err error
		b, err = fileblob.OpenBucket(l.Dir, &fileblob.Options{NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, fmt.Errorf("store: opening folder %s: %w", l.Dir, err)
		}
		return b, nil
	case "mem":
		b = memblob.OpenBucket(nil)
	case "gs", "s3":
		u := url.URL{Scheme: l.Scheme, Host: l.Bucket, RawQuery: l.Query.Encode()}
		var err error
		b, err = blob.OpenBucket(ctx, u.String())
		if err != nil {
			return nil, fmt.Errorf("store: opening %s: %w", l, err)
		}
		var client *storage.Client
		if b.As(&client) {
			if opts.NoClientRetry {
				client.SetRetry(storage.WithPolicy(storage.RetryNever))
			} else {
				client.SetRetry(storage.WithMaxAttempts(DefaultRetry.Attempts),
					storage.WithBackoff(gax.Backoff{Initial: DefaultRetry.Initial, Max: DefaultRetry.Max, Multiplier: 2}))
			}
		}
	default:
		return nil, fmt.Errorf("store: unsupported scheme %q", l.Scheme)
	}
	if l.Prefix != "" {
		b = blob.PrefixedBucket(b, l.Prefix)
	}
	return b, nil
}
