package audit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/climateledger/climateledger/ledger/natslog"
)

// Source is a log to audit: its entries in log order and its latest signed checkpoint.
// Implementations in this package are safe for concurrent use, but one Entries call at
// a time is what Run makes.
type Source interface {
	// Entries calls fn with every entry from index start on, in log order, up to the end
	// of the log as the source sees it (at least the entries it had when Entries was
	// called). entry is the exact stored bytes; it is valid only during the call (the
	// source may reuse the buffer). An error from fn stops Entries and is returned as
	// is; any other error is a *SourceError naming the index that could not be read.
	Entries(ctx context.Context, start uint64, fn func(index uint64, entry []byte) error) error
	// Checkpoint returns the latest signed checkpoint, unverified. Errors wrap
	// ErrNoCheckpoint when the source has none.
	Checkpoint(ctx context.Context) ([]byte, error)
	// String describes the source for reports: "export DIR", "server URL", "nats URL".
	String() string
}

// ConsistencyProver is implemented by sources that serve RFC 6962 consistency proofs
// (a server). Run uses it to check a remembered checkpoint against the new one.
type ConsistencyProver interface {
	// ConsistencyProof returns the proof that the tree of size from is a prefix of the
	// tree of size to (0 < from ≤ to), unverified.
	ConsistencyProof(ctx context.Context, from, to uint64) ([][32]byte, error)
}

// ErrNoCheckpoint marks a source without a checkpoint: an export directory without its
// checkpoint file, or NATS with no node answering "ledger.checkpoint.latest".
var ErrNoCheckpoint = errors.New("no checkpoint")

// SourceError reports that a source could not deliver the entry at Index. Entries
// before Index were delivered.
type SourceError struct {
	Source string
	Index  uint64
	Err    error
}

// Error returns "SOURCE: entry N: cause".
func (e *SourceError) Error() string {
	return fmt.Sprintf("%s: entry %d: %v", e.Source, e.Index, e.Err)
}

// Unwrap returns the underlying error.
func (e *SourceError) Unwrap() error { return e.Err }

// MaxLine bounds a line of an export's log.jsonl: no entry can be larger than a NATS
// message (1 MiB), and a longer line means the file is not an export.
const MaxLine = 1 << 20

// Export file names.
const (
	LogFile        = "log.jsonl"
	CheckpointFile = "checkpoint"
)

// DirSource reads an export directory: log.jsonl and checkpoint. It holds no open
// file between calls; it is safe for concurrent use.
type DirSource struct {
	// Dir is the export directory.
	Dir string
}

// OpenDir returns the source for the export directory dir. It fails when dir has no
// log.jsonl (a missing checkpoint is reported by Checkpoint).
func OpenDir(dir string) (*DirSource, error) {
	if _, err := os.Stat(filepath.Join(dir, LogFile)); err != nil {
		return nil, fmt.Errorf("export %s: %w", dir, err)
	}
	return &DirSource{Dir: dir}, nil
}

// String returns "export DIR".
func (d *DirSource) String() string { return "export " + d.Dir }

// Checkpoint reads the checkpoint file. A missing file is ErrNoCheckpoint.
func (d *DirSource) Checkpoint(ctx context.Context) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(d.Dir, CheckpointFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("export %s: %w: %w", d.Dir, ErrNoCheckpoint, err)
	}
	return b, err
}

// Entries reads log.jsonl line by line through one reused buffer. A last line without
// its newline (a truncated file) and a line over MaxLine are *SourceErrors at that
// line's index.
func (d *DirSource) Entries(ctx context.Context, start uint64, fn func(index uint64, entry []byte) error) error {
	f, err := os.Open(filepath.Join(d.Dir, LogFile))
	if err != nil {
		return &SourceError{Source: d.String(), Index: start, Err: err}
	}
	defer f.Close()
	return readLines(ctx, f, d.String(), start, fn)
}

// readLines calls fn for every '\n'-terminated line of r from line start on.
func readLines(ctx context.Context, r io.Reader, name string, start uint64, fn func(index uint64, entry []byte) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var long []byte // a line longer than br's buffer, assembled
	var index uint64
	for {
		chunk, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(chunk) > MaxLine {
				return &SourceError{Source: name, Index: index, Err: fmt.Errorf("line longer than %d bytes: not an export", MaxLine)}
			}
			long = append(long, chunk...)
			continue
		}
		if err == io.EOF {
			if len(chunk) > 0 || len(long) > 0 {
				return &SourceError{Source: name, Index: index, Err: errors.New("the last line has no newline: truncated file")}
			}
			return nil
		}
		if err != nil {
			return &SourceError{Source: name, Index: index, Err: err}
		}
		line := chunk[:len(chunk)-1]
		if len(long) > 0 {
			long = append(long, line...)
			if len(long) > MaxLine {
				return &SourceError{Source: name, Index: index, Err: fmt.Errorf("line longer than %d bytes: not an export", MaxLine)}
			}
			line = long
		}
		if index >= start {
			if index&1023 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if err := fn(index, line); err != nil {
				return err
			}
		}
		long = long[:0]
		index++
	}
}

// ServerSource reads a server's HTTP API: GET /v1/log/entries in pages,
// /v1/checkpoint and /v1/proofs/consistency. It trusts nothing it reads. Safe for
// concurrent use.
type ServerSource struct {
	base string
	hc   *http.Client
	// PageSize is the number of entries asked for per request; the server may send
	// fewer. Default 1000 (the server's maximum).
	PageSize uint64
}

// NewServer returns the source for the server at base ("https://ledger.example").
// hc nil means a client with a 60 s timeout per request.
func NewServer(base string, hc *http.Client) (*ServerSource, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http(s)://host[:port]", base)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	return &ServerSource{base: strings.TrimRight(base, "/"), hc: hc, PageSize: 1000}, nil
}

// String returns "server URL".
func (s *ServerSource) String() string { return "server " + s.base }

// maxRateLimitRetries bounds how often get waits out a 429 rate_limited answer.
const maxRateLimitRetries = 10

// get fetches path and returns the body (at most limit bytes) or an error naming the
// request and the HTTP status. A 429 (the server's per-client limits) is waited out
// as its Retry-After says (at most 10 s each, 10 times).
func (s *ServerSource) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		b, retry, err := s.getOnce(ctx, path, limit)
		if retry <= 0 || attempt >= maxRateLimitRetries {
			return b, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retry):
		}
	}
}

// getOnce is one request of get; retry is set when the server answered 429 with a
// Retry-After of at most 10 s.
func (s *ServerSource) getOnce(ctx context.Context, path string, limit int64) (_ []byte, retry time.Duration, _ error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 && secs <= 10 {
			retry = time.Duration(secs) * time.Second
		}
	}
	b, err := s.readAnswer(resp, path, limit)
	return b, retry, err
}

// readAnswer reads an answer of get.
func (s *ServerSource) readAnswer(resp *http.Response, path string, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: answer over %d bytes", path, limit)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, shorten(strings.TrimSpace(string(b)), 300))
	}
	return b, nil
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Checkpoint fetches GET /v1/checkpoint.
func (s *ServerSource) Checkpoint(ctx context.Context) ([]byte, error) {
	return s.get(ctx, "/v1/checkpoint", 1<<20)
}

// ConsistencyProof fetches GET /v1/proofs/consistency?from=&to= and parses one
// canonical base64 hash per line.
func (s *ServerSource) ConsistencyProof(ctx context.Context, from, to uint64) ([][32]byte, error) {
	b, err := s.get(ctx, fmt.Sprintf("/v1/proofs/consistency?from=%d&to=%d", from, to), 1<<20)
	if err != nil {
		return nil, err
	}
	return parseHashLines(b)
}

// parseHashLines parses lines of canonical standard base64 SHA-256 hashes.
func parseHashLines(b []byte) ([][32]byte, error) {
	var out [][32]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return nil, errors.New("consistency proof: last line has no newline")
		}
		line := string(b[:i])
		b = b[i+1:]
		h, err := base64.StdEncoding.Strict().DecodeString(line)
		if err != nil || len(h) != 32 || base64.StdEncoding.EncodeToString(h) != line {
			return nil, fmt.Errorf("consistency proof: %q is not the base64 of a 32-byte hash", shorten(line, 60))
		}
		out = append(out, [32]byte(h))
		if len(out) > 128 {
			return nil, errors.New("consistency proof: more than 128 hashes")
		}
	}
	return out, nil
}

// maxServedEntry bounds the bytes per entry (and its newline) a page may hold: the
// stream's largest message under natslog's default limits. It bounds memory against a
// hostile server.
const maxServedEntry = natslog.DefaultMaxMsgSize + 1024 + 1

// page is one answer of GET /v1/log/entries.
type page struct {
	start uint64
	body  []byte
	err   error
}

// Entries pages through GET /v1/log/entries from start until the server returns an
// empty page, fetching the next page while fn works on the current one.
func (s *ServerSource) Entries(ctx context.Context, start uint64, fn func(index uint64, entry []byte) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	size := s.PageSize
	if size == 0 {
		size = 1000
	}
	pages := make(chan page, 1)
	go func() {
		defer close(pages)
		next := start
		for {
			path := "/v1/log/entries?start=" + strconv.FormatUint(next, 10) + "&end=" + strconv.FormatUint(next+size, 10)
			body, err := s.get(ctx, path, int64(size)*maxServedEntry)
			select {
			case pages <- page{start: next, body: body, err: err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(body) == 0 {
				return
			}
			next += uint64(bytes.Count(body, []byte{'\n'}))
		}
	}()
	for p := range pages {
		if p.err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &SourceError{Source: s.String(), Index: p.start, Err: p.err}
		}
		if len(p.body) == 0 {
			return nil
		}
		b, index := p.body, p.start
		if b[len(b)-1] != '\n' {
			return &SourceError{Source: s.String(), Index: p.start, Err: errors.New("entries page: last line has no newline")}
		}
		if n := uint64(bytes.Count(b, []byte{'\n'})); n > size {
			return &SourceError{Source: s.String(), Index: p.start, Err: fmt.Errorf("entries page: asked for %d entries, got %d", size, n)}
		}
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n')
			if err := fn(index, b[:i]); err != nil {
				return err
			}
			b = b[i+1:]
			index++
		}
	}
	return ctx.Err()
}

// EventProof fetches GET /v1/events/{id}/proof: the event's tlog-proof, unverified.
func (s *ServerSource) EventProof(ctx context.Context, id string) ([]byte, error) {
	return s.get(ctx, "/v1/events/"+url.PathEscape(id)+"/proof", 1<<20)
}

// NATSSource reads the stream LEDGER through natslog, and asks for the checkpoint on
// natslog.SubjectCheckpointLatest. Safe for concurrent use.
type NATSSource struct {
	log  *natslog.Log
	name string
	own  bool // Close closes log
}

// OpenNATS opens the log with natslog.Open (cfg.URL for a NATS deployment, or
// cfg.StoreDir for an embedded server on a node's data directory that no node is
// using) and returns the source; Close closes the log. It never creates a stream: a
// missing LEDGER stream is an error (natslog.ErrNotFound).
func OpenNATS(ctx context.Context, cfg natslog.Config) (*NATSSource, error) {
	cfg.ExistingOnly = true
	l, err := natslog.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	name := "nats " + cfg.URL
	if cfg.URL == "" {
		name = "nats store " + cfg.StoreDir
	}
	return &NATSSource{log: l, name: name, own: true}, nil
}

// NewNATS returns a source reading an open log; Close leaves it open.
func NewNATS(l *natslog.Log, name string) *NATSSource {
	return &NATSSource{log: l, name: "nats " + name}
}

// String returns "nats URL" (or "nats store DIR" for an embedded server).
func (n *NATSSource) String() string { return n.name }

// Close closes the log when OpenNATS opened it.
func (n *NATSSource) Close() error {
	if n.own {
		return n.log.Close()
	}
	return nil
}

// Entries reads the stream with natslog.Read (an ordered consumer): index = stream
// sequence − 1. A sequence missing from the stream is a *SourceError wrapping
// natslog.ErrCorrupt at the missing index.
func (n *NATSSource) Entries(ctx context.Context, start uint64, fn func(index uint64, entry []byte) error) error {
	next := start
	var fnErr error
	err := n.log.Read(ctx, start+1, func(seq uint64, entry []byte) error {
		if err := fn(seq-1, entry); err != nil {
			fnErr = err
			return err
		}
		next = seq
		return nil
	})
	switch {
	case err == nil:
		return nil
	case fnErr != nil && errors.Is(err, fnErr):
		return err
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return &SourceError{Source: n.name, Index: next, Err: err}
}

// Checkpoint asks a node on natslog.SubjectCheckpointLatest. No responder is ErrNoCheckpoint.
func (n *NATSSource) Checkpoint(ctx context.Context) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	m, err := n.log.Conn().RequestWithContext(ctx, natslog.SubjectCheckpointLatest, nil)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, fmt.Errorf("%s: %w: no node answers %s", n.name, ErrNoCheckpoint, natslog.SubjectCheckpointLatest)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: request %s: %w", n.name, natslog.SubjectCheckpointLatest, err)
	}
	if len(m.Data) == 0 {
		return nil, fmt.Errorf("%s: %w: empty answer on %s", n.name, ErrNoCheckpoint, natslog.SubjectCheckpointLatest)
	}
	return m.Data, nil
}
