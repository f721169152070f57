// Package client is a Go client of climateledger's HTTP API (docs/SPEC.md §8): chain
// heads, submission, entries, checkpoints and proofs. It trusts nothing it reads:
// callers verify what they fetch with package proof and events.
package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
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
			return nil, resp.StatusCode, &ProblemError{&p}
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

// Checkpoint returns the latest signed checkpoint (unverified).
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/v1/checkpoint", nil)
	return b, err
}

// Entries returns the stored entries with index in [start, end); the server may return
// fewer than asked (it pages), never more.
func (c *Client) Entries(ctx context.Context, start, end uint64) ([][]byte, error) {
	b, _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/log/entries?start=%d&end=%d", start, end), nil)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, fmt.Errorf("entries: last line has no newline")
		}
		out = append(out, b[:i:i])
		b = b[i+1:]
	}
	if uint64(len(out)) > end-start {
		return nil, fmt.Errorf("entries: asked for %d, got %d", end-start, len(out))
	}
	return out, nil
}

// Consistency returns the consistency proof between two tree sizes.
func (c *Client) Consistency(ctx context.Context, from, to uint64) ([][32]byte, error) {
	b, _, err := c.do(ctx, http.MethodGet, fmt.Sprintf("/v1/proofs/consistency?from=%d&to=%d", from, to), nil)
	if err != nil {
		return nil, err
	}
	var out [][32]byte
	for _, line := range strings.Fields(string(b)) {
		h, err := base64.StdEncoding.DecodeString(line)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("consistency proof: bad hash line %q", line)
		}
		out = append(out, [32]byte(h))
	}
	return out, nil
}

// Proof returns the tlog-proof of an event against the latest checkpoint.
func (c *Client) Proof(ctx context.Context, id string) ([]byte, error) {
	b, _, err := c.do(ctx, http.MethodGet, "/v1/events/"+url.PathEscape(id)+"/proof", nil)
	return b, err
}

// Get fetches path and decodes the JSON answer into v.
func (c *Client) Get(ctx context.Context, path string, v any) error {
	b, _, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
