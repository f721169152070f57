package witness

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"
	"github.com/climateledger/climateledger/ledger/proof"
)

// Config configures a Witness.
type Config struct {
	// Dir holds the witness key (witness.key, witness.pub) and its state (state/, a
	// Pebble store). Required.
	Dir string
	// Name names a new witness key; it must match an existing key's name when set.
	Name string
	// Logs are the log verifier keys the witness follows; a checkpoint's origin selects
	// the keys with that name. At least one is required.
	Logs []note.Verifier
	// Logger receives a line per cosignature and per refusal; nil discards.
	Logger *slog.Logger
	// Rand is the randomness for a new key; default crypto/rand.Reader.
	Rand io.Reader
	// Now is the clock that stamps kept evidence; default time.Now.
	Now func() time.Time
}

// Witness is a C2SP tlog-witness: it cosigns a log's checkpoint only if it is
// consistent with the latest checkpoint it cosigned for that origin, which it keeps
// durably (synced to disk before a cosignature is returned). Safe for concurrent use.
type Witness struct {
	signer *Signer
	logs   map[string][]note.Verifier
	lg     *slog.Logger
	now    func() time.Time

	// mu serialises add-checkpoint: the check of the old size and the write of the
	// new state are one atomic step (the race in the spec cannot happen).
	mu sync.Mutex
	db *pebble.DB
}

// Pebble keys of a witness's state. Integers are big-endian.
const (
	prefixLatest   = "w/" // ‖ origin → size (8) ‖ root (32): the latest cosigned checkpoint
	prefixEvidence = "x/" // ‖ origin ‖ 0x00 ‖ unix nanos (8), unique → a refused request body
)

// Open opens (or creates) a witness in cfg.Dir.
func Open(cfg Config) (*Witness, error) {
	if cfg.Dir == "" {
		return nil, errors.New("witness: Dir is required")
	}
	if len(cfg.Logs) == 0 {
		return nil, errors.New("witness: at least one log key is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	signer, err := LoadOrCreateKey(cfg.Rand, cfg.Dir, cfg.Name)
	if err != nil {
		return nil, fmt.Errorf("witness key: %w", err)
	}
	logs := map[string][]note.Verifier{}
	seen := map[string]bool{}
	for _, v := range cfg.Logs {
		if v == nil {
			return nil, errors.New("witness: a log key is nil")
		}
		if v.Name() == signer.Name() {
			return nil, fmt.Errorf("witness: log key %s has the witness's own name", KeyID(v))
		}
		// note.VerifierList finds no key at all for a name and hash given twice, so
		// every checkpoint of that log would be refused (403).
		if seen[KeyID(v)] {
			return nil, fmt.Errorf("witness: log key %s is given twice", KeyID(v))
		}
		seen[KeyID(v)] = true
		logs[v.Name()] = append(logs[v.Name()], v)
	}
	db, err := pebble.Open(filepath.Join(cfg.Dir, "state"), &pebble.Options{FormatMajorVersion: pebble.FormatNewest, Logger: pebbleslog.Logger{L: lg}})
	if err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Witness{signer: signer, logs: logs, lg: lg, now: now, db: db}, nil
}

// Close closes the state store.
func (w *Witness) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db == nil {
		return nil
	}
	err := w.db.Close()
	w.db = nil
	return err
}

// Name returns the witness's name (its key name).
func (w *Witness) Name() string { return w.signer.Name() }

// VerifierKey returns the witness's verifier key string.
func (w *Witness) VerifierKey() string { return w.signer.VerifierKey }

// Latest returns the size and root of the latest checkpoint the witness cosigned for
// origin; ok is false if it never cosigned one.
func (w *Witness) Latest(origin string) (size uint64, root [32]byte, ok bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest(origin)
}

func (w *Witness) latest(origin string) (uint64, [32]byte, bool, error) {
	if w.db == nil {
		return 0, [32]byte{}, false, errors.New("witness is closed")
	}
	v, closer, err := w.db.Get([]byte(prefixLatest + origin))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, [32]byte{}, false, nil
	}
	if err != nil {
		return 0, [32]byte{}, false, fmt.Errorf("witness state: %w", err)
	}
	defer closer.Close()
	if len(v) != 40 {
		return 0, [32]byte{}, false, fmt.Errorf("witness state for %s is corrupt: %d bytes", origin, len(v))
	}
	return binary.BigEndian.Uint64(v), [32]byte(v[8:40]), true, nil
}

// AddCheckpoint runs the C2SP tlog-witness checks on a request and, if they pass,
// records the checkpoint as the latest for its origin (synced) and returns the
// witness's cosignature line ("— <name> <base64>\n"). Errors are the *Error types of
// this package ([HTTPStatus] maps them); a refused request with a valid log signature
// that contradicts the recorded state is kept as evidence.
func (w *Witness) AddCheckpoint(req *Request) ([]byte, error) {
	cp, err := proof.PeekCheckpoint(req.Checkpoint)
	if err != nil {
		return nil, err
	}
	keys, ok := w.logs[cp.Origin]
	if !ok {
		return nil, &LogError{Origin: cp.Origin, Err: ErrUnknownLog}
	}
	n, err := note.Open(req.Checkpoint, note.VerifierList(keys...))
	if err != nil {
		return nil, &LogError{Origin: cp.Origin, Err: ErrLogSignature}
	}
	if req.OldSize > cp.Size {
		return nil, &InconsistentError{Origin: cp.Origin, OldSize: req.OldSize, NewSize: cp.Size, Reason: "the old size is above the checkpoint's size", BadRequest: true}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	size, root, known, err := w.latest(cp.Origin)
	if err != nil {
		return nil, err
	}
	if req.OldSize != size {
		return nil, &ConflictError{Origin: cp.Origin, Size: size, Old: req.OldSize}
	}
	switch {
	case known && size == cp.Size:
		if root != cp.Root {
			w.keepEvidence(cp.Origin, req)
			return nil, &ConflictError{Origin: cp.Origin, Size: size, Old: req.OldSize, SameSizeRoot: true}
		}
		if len(req.Proof) != 0 {
			return nil, &InconsistentError{Origin: cp.Origin, OldSize: size, NewSize: cp.Size, Reason: "a proof between equal sizes must be empty"}
		}
	case size == 0:
		if len(req.Proof) != 0 {
			return nil, &InconsistentError{Origin: cp.Origin, OldSize: 0, NewSize: cp.Size, Reason: "the proof from size 0 must be empty"}
		}
	default:
		if err := proof.VerifyConsistency(size, cp.Size, root, cp.Root, req.Proof); err != nil {
			w.keepEvidence(cp.Origin, req)
			return nil, &InconsistentError{Origin: cp.Origin, OldSize: size, NewSize: cp.Size, Reason: err.Error()}
		}
	}
	state := binary.BigEndian.AppendUint64(make([]byte, 0, 40), cp.Size)
	state = append(state, cp.Root[:]...)
	if err := w.db.Set([]byte(prefixLatest+cp.Origin), state, pebble.Sync); err != nil {
		return nil, fmt.Errorf("witness state: %w", err)
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, w.signer)
	if err != nil {
		return nil, fmt.Errorf("cosign: %w", err)
	}
	w.lg.Info("cosigned", "origin", cp.Origin, "size", cp.Size, "old_size", size)
	return signed[len(n.Text)+1:], nil // the signature lines after the text and the blank line
}

// keepEvidence stores a refused request whose checkpoint the log signed: it proves
// the log showed this witness two inconsistent views. Failures are logged only.
// Called with w.mu held. Its key is the time in nanoseconds, moved on past any key
// already taken (two refusals in one clock tick, or a clock set back), so no
// evidence ever overwrites other evidence.
func (w *Witness) keepEvidence(origin string, req *Request) {
	prefix := []byte(prefixEvidence + origin + "\x00")
	var key []byte
	for ts := uint64(w.now().UnixNano()); ; ts++ {
		key = binary.BigEndian.AppendUint64(bytes.Clone(prefix), ts)
		_, closer, err := w.db.Get(key)
		if errors.Is(err, pebble.ErrNotFound) {
			break
		}
		if err != nil {
			w.lg.Error("keep evidence", "origin", origin, "err", err)
			return
		}
		closer.Close()
	}
	if err := w.db.Set(key, req.Marshal(), pebble.Sync); err != nil {
		w.lg.Error("keep evidence", "origin", origin, "err", err)
	}
	w.lg.Warn("refused a checkpoint inconsistent with the cosigned one: kept as evidence", "origin", origin)
}

// Evidence returns the refused requests kept for origin, oldest first.
func (w *Witness) Evidence(origin string) ([][]byte, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.db == nil {
		return nil, errors.New("witness is closed")
	}
	lo := []byte(prefixEvidence + origin + "\x00")
	it, err := w.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: append(lo[:len(lo)-1:len(lo)-1], 0x01)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out [][]byte
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, err
		}
		out = append(out, append([]byte(nil), v...))
	}
	return out, it.Error()
}

// Handler serves the witness over HTTP: POST /add-checkpoint (C2SP tlog-witness) and
// GET / (a JSON status: name, verifier key, and per log the latest cosigned size).
func (w *Witness) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", w.serveAdd)
	mux.HandleFunc("GET /{$}", w.serveStatus)
	return mux
}

func (w *Witness) serveAdd(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestSize))
	if err != nil {
		http.Error(rw, fmt.Sprintf("request body over %d bytes or unreadable", MaxRequestSize), http.StatusBadRequest)
		return
	}
	req, err := ParseRequest(body)
	var sig []byte
	if err == nil {
		sig, err = w.AddCheckpoint(req)
	}
	if err != nil {
		status := HTTPStatus(err)
		var ce *ConflictError
		if errors.As(err, &ce) && !ce.SameSizeRoot {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(status)
			io.WriteString(rw, strconv.FormatUint(ce.Size, 10)+"\n")
			return
		}
		if status == http.StatusInternalServerError {
			w.lg.Error("add-checkpoint", "err", err)
			http.Error(rw, "internal error", status)
			return
		}
		w.lg.Info("add-checkpoint refused", "status", status, "err", err)
		http.Error(rw, err.Error(), status)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(sig)
}

// Status is the JSON body of GET / on a witness.
type Status struct {
	Name        string      `json:"name"`
	VerifierKey string      `json:"verifier_key"`
	Logs        []LogStatus `json:"logs"`
}

// LogStatus is a witness's latest cosigned checkpoint for one log.
type LogStatus struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   []byte `json:"root,omitempty"`
}

func (w *Witness) serveStatus(rw http.ResponseWriter, r *http.Request) {
	st := Status{Name: w.Name(), VerifierKey: w.VerifierKey(), Logs: []LogStatus{}}
	for _, origin := range slices.Sorted(maps.Keys(w.logs)) {
		size, root, ok, err := w.Latest(origin)
		if err != nil {
			http.Error(rw, "internal error", http.StatusInternalServerError)
			return
		}
		ls := LogStatus{Origin: origin, Size: size}
		if ok {
			ls.Root = root[:]
		}
		st.Logs = append(st.Logs, ls)
	}
	rw.Header().Set("Content-Type", "application/json")
	json.NewEncoder(rw).Encode(st)
}
