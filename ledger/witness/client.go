package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/proof"
)

// Client asks one witness for cosignatures over C2SP tlog-witness. Safe for
// concurrent use.
type Client struct {
	// URL is the witness's submission prefix (POST URL + "/add-checkpoint").
	URL string
	// Verifier is the witness's key: a response is accepted only with a valid
	// cosignature by it.
	Verifier note.Verifier
	// HTTP is the client to use; nil means http.DefaultClient. Bound each call with ctx.
	HTTP *http.Client
}

// StatusError is a refusal by a witness that is not a size conflict: the HTTP status
// and the start of the response body.
type StatusError struct {
	URL    string
	Status int
	Body   string
}

// Error names the witness, the status and what it said.
func (e *StatusError) Error() string {
	return fmt.Sprintf("witness %s answered %d %s: %s", e.URL, e.Status, http.StatusText(e.Status), e.Body)
}

// AddCheckpoint sends the request to the witness and returns its cosignature line on
// signedCheckpoint, checked against c.Verifier. A 409 with a size is returned as a
// *ConflictError carrying the witness's size (re-prove from it and try again); other
// refusals as a *StatusError; a response without a valid cosignature by the witness's
// key as an error naming the key.
func (c *Client) AddCheckpoint(ctx context.Context, req *Request) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/add-checkpoint", bytes.NewReader(req.Marshal()))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<10))
	if err != nil {
		return nil, fmt.Errorf("witness %s: read response: %w", c.URL, err)
	}
	switch {
	case resp.StatusCode == http.StatusConflict && resp.Header.Get("Content-Type") == "text/x.tlog.size":
		size, err := parseSize(strings.TrimSuffix(string(body), "\n"))
		if err != nil || !bytes.HasSuffix(body, []byte("\n")) {
			return nil, &StatusError{URL: c.URL, Status: resp.StatusCode, Body: "malformed size: " + firstLine(body)}
		}
		cp, _ := proof.PeekCheckpoint(req.Checkpoint) // for the origin in messages
		return nil, &ConflictError{Origin: cp.Origin, Size: size, Old: req.OldSize}
	case resp.StatusCode != http.StatusOK:
		return nil, &StatusError{URL: c.URL, Status: resp.StatusCode, Body: firstLine(body)}
	}
	return c.verifiedLine(req.Checkpoint, body)
}

// verifiedLine picks the witness's cosignature out of a 200 response: the lines are
// appended to the checkpoint and opened with the witness key alone.
func (c *Client) verifiedLine(checkpoint, lines []byte) ([]byte, error) {
	if !bytes.HasSuffix(lines, []byte("\n")) {
		return nil, fmt.Errorf("witness %s: response does not end with a newline", c.URL)
	}
	n, err := note.Open(append(bytes.Clone(checkpoint), lines...), note.VerifierList(c.Verifier))
	if err != nil {
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return nil, fmt.Errorf("witness %s: its cosignature does not verify under %s", c.URL, KeyID(c.Verifier))
		}
		return nil, fmt.Errorf("witness %s: no cosignature by %s in the response", c.URL, KeyID(c.Verifier))
	}
	for _, s := range n.Sigs {
		if s.Name == c.Verifier.Name() && s.Hash == c.Verifier.KeyHash() {
			return []byte("— " + s.Name + " " + s.Base64 + "\n"), nil
		}
	}
	return nil, fmt.Errorf("witness %s: no cosignature by %s in the response", c.URL, KeyID(c.Verifier))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
