// Package client is a Go client of climateledger's write API (docs/SPEC.md §8): chain
// heads and submission, plus Get for any JSON endpoint. Reading and verifying the log
// itself (entries, checkpoints, proofs) is ledger/audit's ServerSource.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

// Client talks to one server. It is safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
}

// New returns a client of the server at base ("http://127.0.0.1:8080").
func New(base string) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", base)
	}
	return &Client{base: strings.TrimRight(base, "/"), hc: &http.Client{Timeout: 60 * time.Second}}, nil
}

// ProblemError is a problem document returned by the server.
type ProblemError struct {
	*httpapi.Problem
	// RetryAfter is the server's Retry-After (whole seconds), 0 when absent: set on
	// 429 rate_limited and on some 503s.
	RetryAfter time.Duration
}

func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server: %d %s: %s", e.Status, e.Code, e.Detail)
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Message)
	}
	return b.String()
}

func (c *Client) do(ctx context.Context, method, path string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		var p httpapi.Problem
		if json.Unmarshal(b, &p) == nil && p.Code != "" {
			pe := &ProblemError{Problem: &p}
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
				pe.RetryAfter = time.Duration(s) * time.Second
			}
			return nil, resp.StatusCode, pe
		}
		return nil, resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, resp.StatusCode, nil
}

// Head returns a chain's head.
func (c *Client) Head(ctx context.Context, party string) (ledger.Head, error) {
	var h ledger.Head
	b, _, err := c.do(ctx, http.MethodGet, "/v1/parties/"+url.PathEscape(party)+"/head", nil)
	if err != nil {
		return h, err
	}
	return h, json.Unmarshal(b, &h)
}

// Submit posts a DSSE envelope. recorded is false when the server already had it.
func (c *Client) Submit(ctx context.Context, envelope []byte) (rc *ledger.Receipt, recorded bool, err error) {
	b, status, err := c.do(ctx, http.MethodPost, "/v1/events", envelope)
	if err != nil {
		return nil, false, err
	}
	rc = new(ledger.Receipt)
	if err := json.Unmarshal(b, rc); err != nil {
		return nil, false, fmt.Errorf("receipt: %w", err)
	}
	return rc, status == http.StatusCreated, nil
}

// Get fetches path and decodes the JSON answer into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	b, _, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
