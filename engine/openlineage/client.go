package openlineage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultEndpoint is the path a URL without one posts to: Marquez's, and
// the OpenLineage clients' default.
const DefaultEndpoint = "/api/v1/lineage"

// Settings tune a Client. A nil *Settings means the defaults.
type Settings struct {
	// Timeout bounds one HTTP attempt. Default 5s.
	Timeout time.Duration
	// Attempts is how many times an event is tried over HTTP before it
	// is given up. Default 3.
	Attempts int
	// Backoff is the pause after the first failed attempt; it doubles
	// after each. Default 250ms.
	Backoff time.Duration
	// APIKey, when set, is sent as "Authorization: Bearer KEY".
	APIKey string
	// HTTPClient sends the requests. Default a new http.Client.
	HTTPClient *http.Client
}

func (s *Settings) withDefaults() Settings {
	var out Settings
	if s != nil {
		out = *s
	}
	if out.Timeout <= 0 {
		out.Timeout = 5 * time.Second
	}
	if out.Attempts <= 0 {
		out.Attempts = 3
	}
	if out.Backoff <= 0 {
		out.Backoff = 250 * time.Millisecond
	}
	if out.HTTPClient == nil {
		out.HTTPClient = &http.Client{}
	}
	return out
}

// Client sends RunEvents to an HTTP endpoint, or appends them to a file
// as NDJSON. It is safe for concurrent use.
type Client struct {
	s Settings
	// url is the endpoint, or "" for a file.
	url string
	// path is the file, or "".
	path string

	mu   sync.Mutex
	file *os.File
}

// NewClient returns a client for target: an http:// or https:// URL (a
// URL without a path posts to DefaultEndpoint), or a file (a path, or a
// file:// URL) that events are appended to, created when missing. It
// checks the target's form only; nothing is sent or opened yet.
func NewClient(target string, s *Settings) (*Client, error) {
	c := &Client{s: s.withDefaults()}
	switch {
	case strings.HasPrefix(target, "http://"), strings.HasPrefix(target, "https://"):
		u, err := url.Parse(target)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("openlineage: %q is not a URL: write http://HOST:PORT/api/v1/lineage", target)
		}
		if u.Path == "" || u.Path == "/" {
			u.Path = DefaultEndpoint
		}
		c.url = u.String()
	case strings.HasPrefix(target, "file://"):
		c.path = strings.TrimPrefix(target, "file://")
	case strings.Contains(target, "://"):
		return nil, fmt.Errorf("openlineage: %q: give an http:// or https:// URL, or a file to append events to", target)
	case strings.TrimSpace(target) == "":
		return nil, errors.New("openlineage: no target: give an http:// or https:// URL, or a file to append events to")
	default:
		c.path = target
	}
	if c.path != "" {
		abs, err := filepath.Abs(c.path)
		if err != nil {
			return nil, fmt.Errorf("openlineage: %v", err)
		}
		c.path = abs
	}
	return c, nil
}

// String names where events go.
func (c *Client) String() string {
	if c.url != "" {
		return c.url
	}
	return c.path
}

// Send sends one event. Over HTTP it retries transient failures (see
// Settings) and returns the last error; an error that retrying cannot fix
// (a 4xx answer) is returned at once, as a *StatusError.
func (c *Client) Send(ctx context.Context, ev *RunEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("openlineage: encoding the event: %w", err)
	}
	if c.url == "" {
		return c.appendLine(body)
	}
	pause := c.s.Backoff
	for attempt := 1; ; attempt++ {
		err = c.post(ctx, body)
		var se *StatusError
		if err == nil || errors.As(err, &se) && !se.Transient() || attempt >= c.s.Attempts || ctx.Err() != nil {
			return err
		}
		select {
		case <-time.After(pause):
		case <-ctx.Done():
			return err
		}
		pause *= 2
	}
}

// StatusError is an HTTP answer other than 2xx.
type StatusError struct {
	URL    string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("openlineage: %s answered %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Transient reports whether trying again may succeed: a timeout, too many
// requests, or a server error.
func (e *StatusError) Transient() bool {
	return e.Status == http.StatusRequestTimeout || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func (c *Client) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, c.s.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("openlineage: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.s.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.s.APIKey)
	}
	resp, err := c.s.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("openlineage: posting to %s: %w", c.url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 == 2 {
		return nil
	}
	return &StatusError{URL: c.url, Status: resp.StatusCode, Body: strings.TrimSpace(string(msg))}
}

// appendLine writes one line to the file in a single write, so lines of
// concurrent writers (two applies) do not interleave.
func (c *Client) appendLine(body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file == nil {
		if err := os.MkdirAll(filepath.Dir(c.path), 0o755); err != nil {
			return fmt.Errorf("openlineage: %w", err)
		}
		f, err := os.OpenFile(c.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("openlineage: %w", err)
		}
		c.file = f
	}
	if _, err := c.file.Write(append(body, '\n')); err != nil {
		return fmt.Errorf("openlineage: writing %s: %w", c.path, err)
	}
	return nil
}

// Close closes the file, if one was opened.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.file == nil {
		return nil
	}
	err := c.file.Close()
	c.file = nil
	return err
}
