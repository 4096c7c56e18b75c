package store

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"syscall"
	"time"

	"gocloud.dev/gcerrors"
	"google.golang.org/api/googleapi"
)

// Retry says how often and how patiently a store operation is retried when
// it fails with a transient error (a refused or reset connection, a timeout,
// HTTP 408, 429 or 5xx). Other errors, NotFound above all, are never
// retried.
//
// Attempt n (n = 1, 2, ...) that fails is followed by a pause of
//
//	d = min(Max, Initial·2^(n-1)),  pause uniform in [d/2, d]
//
// ("equal jitter"), unless it was the last attempt. With the defaults the
// pauses sum to between 7.5 s and 15 s before the fifth and last attempt.
type Retry struct {
	// Attempts is the number of tries in all, at least 1. Default 5.
	Attempts int
	// Initial is the first pause. Default 1 s.
	Initial time.Duration
	// Max bounds every pause. Default 8 s.
	Max time.Duration
}

// DefaultRetry is the policy used when Options.Retry is zero.
var DefaultRetry = Retry{Attempts: 5, Initial: time.Second, Max: 8 * time.Second}

func (r Retry) withDefaults() Retry {
	if r.Attempts <= 0 {
		r.Attempts = DefaultRetry.Attempts
	}
	if r.Initial <= 0 {
		r.Initial = DefaultRetry.Initial
	}
	if r.Max <= 0 {
		r.Max = DefaultRetry.Max
	}
	if r.Max < r.Initial {
		r.Max = r.Initial
	}
	return r
}

// pause returns the jittered pause after failed attempt n (1-based).
func (r Retry) pause(n int) time.Duration {
	d := r.Initial
	for i := 1; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// do runs fn until it succeeds, fails with an error that is not transient,
// runs out of attempts or ctx ends. The error it returns is an *OpError.
func (s *Store) do(ctx context.Context, op, key string, fn func(ctx context.Context) error) error {
	r := s.opts.Retry
	var err error
	for n := 1; ; n++ {
		err = fn(ctx)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || !transient(err) || n >= r.Attempts {
			return &OpError{Store: s.url, Op: op, Key: key, Attempts: n, Err: err}
		}
		t := time.NewTimer(r.pause(n))
		select {
		case <-ctx.Done():
			t.Stop()
			return &OpError{Store: s.url, Op: op, Key: key, Attempts: n, Err: err}
		case <-t.C:
		}
	}
}

// doSmall is do for an operation on a small blob or on metadata: each
// attempt is bounded by Options.RequestTimeout so that a server that
// accepts connections but never answers cannot hang the caller.
func (s *Store) doSmall(ctx context.Context, op, key string, fn func(ctx context.Context) error) error {
	return s.do(ctx, op, key, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, s.opts.RequestTimeout)
		defer cancel()
		return fn(ctx)
	})
}

// transient reports whether err is worth retrying: the network failed, the
// server said to come back later, or a request timed out.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.AlreadyExists, gcerrors.InvalidArgument,
		gcerrors.PermissionDenied, gcerrors.FailedPrecondition, gcerrors.Unimplemented,
		gcerrors.Canceled:
		return false
	case gcerrors.ResourceExhausted, gcerrors.Internal, gcerrors.DeadlineExceeded:
		return true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) {
		return true
	}
	// A request whose connection closed before any answer came
	// (net/http's `Get "URL": EOF`), as when a server or a proxy in
	// front of it goes down in the middle.
	var uerr *url.Error
	if errors.As(err, &uerr) && errors.Is(uerr.Err, io.EOF) {
		return true
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return retryableStatus(gerr.Code)
	}
	// AWS SDK (smithy) response errors, and anything else that knows its
	// HTTP status.
	var herr interface{ HTTPStatusCode() int }
	if errors.As(err, &herr) {
		return retryableStatus(herr.HTTPStatusCode())
	}
	// A system call's error number decides, when there is one: a full
	// disk or a denied permission is not worth retrying.
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
			syscall.ETIMEDOUT, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.ENETDOWN:
			return true
		}
		return false
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return dnsErr.IsTemporary || dnsErr.IsTimeout
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	var operr *net.OpError
	return errors.As(err, &operr)
}

func retryableStatus(code int) bool {
	return code == 408 || code == 429 || code >= 500 && code <= 599
}
