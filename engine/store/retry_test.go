package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
)

func TestTransient(t *testing.T) {
	refused := &url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: &net.OpError{Op: "dial", Net: "tcp",
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	cases := []struct {
		err  error
		want bool
	}{
		{refused, true},
		{fmt.Errorf("wrapped: %w", refused), true},
		{&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, true},
		{io.ErrUnexpectedEOF, true},
		{&url.Error{Op: "Get", URL: "http://127.0.0.1:1/x", Err: io.EOF}, true},
		{context.DeadlineExceeded, true},
		{&googleapi.Error{Code: 503}, true},
		{&googleapi.Error{Code: 429}, true},
		{&googleapi.Error{Code: 408}, true},
		{&googleapi.Error{Code: 404}, false},
		{&googleapi.Error{Code: 403}, false},
		{&googleapi.Error{Code: 400}, false},
		{&net.DNSError{Err: "no such host", Name: "storage.example", IsNotFound: true}, false},
		{&net.DNSError{Err: "server misbehaving", Name: "storage.example", IsTemporary: true}, true},
		{&fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}, false},
		{&fs.PathError{Op: "open", Path: "/x", Err: syscall.EACCES}, false},
		{fs.ErrNotExist, false},
		{context.Canceled, false},
		{errors.New("something else"), false},
	}
	for _, c := range cases {
		if got := transient(c.err); got != c.want {
			t.Errorf("transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

func TestRetryPauses(t *testing.T) {
	r := Retry{Attempts: 5, Initial: time.Second, Max: 8 * time.Second}
	var maxSum, minSum time.Duration
	for n := 1; n < r.Attempts; n++ {
		d := min(r.Initial<<(n-1), r.Max)
		for range 100 {
			p := r.pause(n)
			if p < d/2 || p > d {
				t.Fatalf("pause(%d) = %s, want within [%s, %s]", n, p, d/2, d)
			}
		}
		minSum += d / 2
		maxSum += d
	}
	if minSum != 7500*time.Millisecond || maxSum != 15*time.Second {
		t.Errorf("the default pauses sum to [%s, %s], documented as [7.5s, 15s]", minSum, maxSum)
	}
	if got := (Retry{}).withDefaults(); got != DefaultRetry {
		t.Errorf("zero Retry with defaults = %+v, want %+v", got, DefaultRetry)
	}
}
