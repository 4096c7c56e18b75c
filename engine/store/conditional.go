package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/pipe-ml/pipe/engine/internal/failpoint"
)

// The registry's log (engine/registry/txlog) keeps its records under
// registry/ in the store, and orders them with put-if-absent writes. This
// file is the store's side of that: raw blobs under registry/, written
// once and never replaced (CreateBlob), or replaced whole (PutBlob, for
// hints that are only hints), read back (GetBlob) and listed (ListBlobs).
// The record format, checksums included, is the registry's business.

// RegistryPrefix is where the registry keeps its blobs in the store.
const RegistryPrefix = "registry/"

// ErrExists is matched (with errors.Is) by the error CreateBlob returns
// when another blob is already at the key.
var ErrExists = errors.New("store: already exists")

// ErrNoConditionalWrites is matched by the error of a store that does not
// honour put-if-absent writes: it refused one as unimplemented, or
// CheckConditionalWrites saw it replace a blob it should have kept.
var ErrNoConditionalWrites = errors.New("store: conditional writes not supported")

// ConditionalWriteBackends says which stores honour put-if-absent, for
// messages.
const ConditionalWriteBackends = "local folders (file://, an exclusive create by hard link), mem://, Google Cloud Storage (a generation precondition) and Amazon S3 (If-None-Match: *, since August 2024); S3-compatible servers only when they implement If-None-Match: * (Versity's S3 gateway does; check others with pipe's probe)"

// checkRegistryKey accepts keys under registry/ made of letters, digits,
// '.', '_', '-' and '/', with no empty, "." or ".." segment.
func checkRegistryKey(key string) error {
	rest, ok := strings.CutPrefix(key, RegistryPrefix)
	if !ok || rest == "" {
		return fmt.Errorf("store: key %q is not under %s", key, RegistryPrefix)
	}
	if checkRefName(rest) != nil {
		return fmt.Errorf("store: key %q must be slash-separated segments of letters, digits, '.', '_' and '-', none of them \".\" or \"..\"", key)
	}
	return nil
}

// CreateBlob writes data at key (under RegistryPrefix) only when no blob
// is there yet: a put-if-absent write, atomic on every backend, so that of
// two writers of one key, on any machines, exactly one succeeds. The other
// gets an error matching ErrExists and the blob keeps the winner's bytes.
// Finding exactly data already there is success: a retried write whose
// first attempt did land is not a conflict.
//
// A backend that cannot write conditionally gives an error matching
// ErrNoConditionalWrites. Transient failures are retried as for any small
// blob.
func (s *Store) CreateBlob(ctx context.Context, key string, data []byte) error {
	if err := checkRegistryKey(key); err != nil {
		return err
	}
	err := s.doSmall(ctx, "creating", key, func(ctx context.Context) error {
		// S3 answers 409 ConditionalRequestConflict to a conditional
		// write racing another one for the key: ask again, to learn which
		// won.
		err := s.createOnce(ctx, key, data)
		for n := 0; n < 8 && isConditionalConflict(err) && ctx.Err() == nil; n++ {
			time.Sleep(time.Duration(10<<n) * time.Millisecond)
			err = s.createOnce(ctx, key, data)
		}
		return err
	})
	switch {
	case err == nil:
		return nil
	case gcerrors.Code(err) == gcerrors.FailedPrecondition || errors.Is(err, os.ErrExist):
		got, rerr := s.GetBlob(ctx, key)
		if rerr == nil && bytes.Equal(got, data) {
			return nil
		}
		return &OpError{Store: s.url, Op: "creating", Key: key, Attempts: 1, Err: ErrExists}
	case gcerrors.Code(err) == gcerrors.Unimplemented || isNotImplemented(err):
		return &OpError{Store: s.url, Op: "creating", Key: key, Attempts: 1,
			Err: fmt.Errorf("%w: the store refused a put-if-absent write (%v); pipe's registry needs one of %s", ErrNoConditionalWrites, err, ConditionalWriteBackends)}
	}
	return err
}

// createOnce is one attempt of CreateBlob. Local folders get an exclusive
// create of their own: fileblob checks for the file and then renames onto
// it, which two processes can both pass; a hard link to a complete,
// synced temporary file either creates the name or fails, atomically.
func (s *Store) createOnce(ctx context.Context, key string, data []byte) error {
	if s.loc.Scheme != "file" {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		opts := &blob.WriterOptions{ContentType: "application/json", IfNotExist: true}
		if s.loc.Scheme == "gs" {
			// One request, no chunk buffer: the GCS client would
			// otherwise allocate 16 MiB for each small record.
			opts.BufferSize = -1
		}
		w, err := s.bucket.NewWriter(ctx, key, opts)
		if err != nil {
			return err
		}
		if _, err := w.Write(data); err != nil {
			cancel()
			_ = w.Close()
			return err
		}
		failpoint.Hit("store.create.uncommitted") // test hook: a put-if-absent blob's bytes are with the backend, not published
		return w.Close()
	}
	path := filepath.Join(s.loc.Dir, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return err
	}
	t, err := createTemp(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer t.Close()
	_, err = t.Write(data)
	if err == nil {
		err = t.Sync()
	}
	if err != nil {
		return err
	}
	failpoint.Hit("store.create.uncommitted") // test hook: a put-if-absent blob's bytes are with the backend, not published
	created, err := t.publish(path, false)
	if err == nil && !created {
		err = fs.ErrExist
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && (errno == syscall.EPERM || errno == syscall.ENOTSUP || errno == syscall.EXDEV || errno == syscall.EMLINK) {
		return fmt.Errorf("%w: the file system of %s cannot make hard links (%v), which pipe uses for an exclusive create; put the store on a local file system", ErrNoConditionalWrites, s.loc.Dir, err)
	}
	return err
}

// randomHex returns 2n random hex digits.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isConditionalConflict(err error) bool {
	var herr interface{ HTTPStatusCode() int }
	return err != nil && errors.As(err, &herr) && herr.HTTPStatusCode() == 409
}

func isNotImplemented(err error) bool {
	if errors.Is(err, ErrNoConditionalWrites) {
		return true
	}
	var herr interface{ HTTPStatusCode() int }
	if errors.As(err, &herr) && herr.HTTPStatusCode() == 501 {
		return true
	}
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && coded.ErrorCode() == "NotImplemented"
}

// GetBlob reads the blob at key (under RegistryPrefix). A missing blob is
// an error matching ErrNotFound. The bytes are returned as stored: the
// caller checks them.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, error) {
	if err := checkRegistryKey(key); err != nil {
		return nil, err
	}
	var b []byte
	err := s.doSmall(ctx, "reading", key, func(ctx context.Context) error {
		var err error
		b, err = s.bucket.ReadAll(ctx, key)
		return err
	})
	return b, err
}

// PutBlob writes data at key (under RegistryPrefix), replacing any blob
// there atomically: a reader sees the old bytes or the new ones.
func (s *Store) PutBlob(ctx context.Context, key string, data []byte) error {
	if err := checkRegistryKey(key); err != nil {
		return err
	}
	return s.doSmall(ctx, "writing", key, func(ctx context.Context) error {
		return s.writeBlob(ctx, key, "application/json", bytes.NewReader(data), int64(len(data)))
	})
}

// ListBlobs returns the keys under prefix (itself under RegistryPrefix),
// sorted. Temporary files of local folders are not listed.
func (s *Store) ListBlobs(ctx context.Context, prefix string) ([]string, error) {
	if !strings.HasPrefix(prefix, RegistryPrefix) {
		return nil, fmt.Errorf("store: prefix %q is not under %s", prefix, RegistryPrefix)
	}
	var keys []string
	err := s.doSmall(ctx, "listing", prefix, func(ctx context.Context) error {
		keys = keys[:0]
		it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if !obj.IsDir && !isTempName(obj.Key[strings.LastIndexByte(obj.Key, '/')+1:]) {
				keys = append(keys, obj.Key)
			}
		}
	})
	return keys, err
}

// CheckConditionalWrites proves that the store honours put-if-absent: it
// creates a probe blob under registry/probe/, tries to create it again
// with other bytes, and checks that the second write was refused and the
// first bytes kept. A store that lets the second write through (some
// S3-compatible servers ignore If-None-Match) gives an error matching
// ErrNoConditionalWrites that names the store. The probe is deleted.
func (s *Store) CheckConditionalWrites(ctx context.Context) error {
	key := RegistryPrefix + "probe/" + randomHex(8) + ".json"
	first, second := []byte(`{"probe":1}`), []byte(`{"probe":2}`)
	if err := s.CreateBlob(ctx, key, first); err != nil {
		return err
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.RequestTimeout)
		defer cancel()
		_ = s.bucket.Delete(dctx, key)
	}()
	err := s.CreateBlob(ctx, key, second)
	if errors.Is(err, ErrExists) {
		got, rerr := s.GetBlob(ctx, key)
		if rerr != nil {
			return rerr
		}
		if bytes.Equal(got, first) {
			return nil
		}
		err = nil
	}
	if err != nil {
		return err
	}
	return &OpError{Store: s.url, Op: "checking conditional writes", Key: key, Attempts: 1,
		Err: fmt.Errorf("%w: a second put-if-absent write to one key was not refused, so two machines could both take one entry of the registry's log; pipe's registry needs one of %s", ErrNoConditionalWrites, ConditionalWriteBackends)}
}

// DeleteBlob removes the blob at key (under RegistryPrefix). Removing a
// missing blob is not an error. The registry deletes only what it may:
// old checkpoints, never a log entry.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	if err := checkRegistryKey(key); err != nil {
		return err
	}
	err := s.doSmall(ctx, "deleting", key, func(ctx context.Context) error {
		return s.bucket.Delete(ctx, key)
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
