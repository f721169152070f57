package projections

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/nats-io/nats.go"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/httpapi"
)

// Errors. Both match the ledger's sentinels with errors.Is.
var (
	// ErrNotFound: no such party.
	ErrNotFound = fmt.Errorf("projections: %w", ledger.ErrNotFound)
	// ErrCorrupt: a row is missing or does not decode; rebuild the node's Pebble.
	ErrCorrupt = fmt.Errorf("projections: %w", ledger.ErrCorrupt)
	// ErrNotAttached: the views are not attached to a node yet.
	ErrNotAttached = fmt.Errorf("projections: not attached to a node: %w", ledger.ErrUnavailable)
)

// Defaults of Config.
const (
	DefaultInventoryWindow  = 4
	DefaultHeartbeat        = 15 * time.Second
	DefaultRetry            = 3 * time.Second
	DefaultRingSize         = 8192
	DefaultSubscriberBuffer = 256
	DefaultWriteTimeout     = 30 * time.Second
	DefaultDocumentCache    = 4096
	DefaultMaxWorkers       = 8
)

// Config configures Views. The zero value is ready to use: every zero field takes its
// default.
type Config struct {
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock for the inventories commitment at read time (never for rows);
	// default time.Now.
	Now func() time.Time
	// InventoryWindow is N of the inventories commitment: a jurisdiction meets it with
	// a current inventory for a year within N years of the current year
	// (year ≥ current year − N). Default 4.
	InventoryWindow int
	// Heartbeat is the interval of SSE heartbeat comments; default 15s.
	Heartbeat time.Duration
	// Retry is the SSE reconnection hint; default 3s.
	Retry time.Duration
	// RingSize is how many recent notices are kept for Last-Event-ID resumes;
	// default 8192.
	RingSize int
	// SubscriberBuffer is each SSE subscriber's buffer of notices; a subscriber that
	// falls this far behind is dropped. Default 256.
	SubscriberBuffer int
	// WriteTimeout bounds each write to an SSE subscriber; default 30s.
	WriteTimeout time.Duration
	// DocumentCache is how many GET /v1/parties/{id} documents are kept until their
	// party changes; default 4096, negative for none.
	DocumentCache int
	// Workers is how many goroutines (the applier's among them) encode a group's rows
	// and compute its summaries at the end of the group (Finish). The default is half
	// of runtime.GOMAXPROCS(0) — the node verifies the next group's signatures on the
	// cores meanwhile — at least 1 and at most DefaultMaxWorkers. 1 keeps all the
	// work on the applier's goroutine. The rows are the same with any number.
	Workers int
}

// Validate reports every problem with c at once.
func (c *Config) Validate() error {
	var errs []error
	if c.InventoryWindow < 0 {
		errs = append(errs, fmt.Errorf("InventoryWindow %d is negative", c.InventoryWindow))
	}
	if c.Heartbeat < 0 || c.Retry < 0 || c.WriteTimeout < 0 {
		errs = append(errs, errors.New("negative Heartbeat, Retry or WriteTimeout"))
	}
	if c.RingSize < 0 || c.SubscriberBuffer < 0 {
		errs = append(errs, errors.New("negative RingSize or SubscriberBuffer"))
	}
	if c.Workers < 0 {
		errs = append(errs, fmt.Errorf("negative Workers %d", c.Workers))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.InventoryWindow == 0 {
		c.InventoryWindow = DefaultInventoryWindow
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.Retry == 0 {
		c.Retry = DefaultRetry
	}
	if c.RingSize == 0 {
		c.RingSize = DefaultRingSize
	}
	if c.SubscriberBuffer == 0 {
		c.SubscriberBuffer = DefaultSubscriberBuffer
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.DocumentCache == 0 {
		c.DocumentCache = DefaultDocumentCache
	}
	if c.Workers == 0 {
		c.Workers = min(max(runtime.GOMAXPROCS(0)/2, 1), DefaultMaxWorkers)
	}
}

// Views maintains the read models of one node and serves them. Give it to the node
// as a ledger.Projector (Config.Projectors), then Attach it to the open node and
// register its Routes. Apply and Committed are called by the node's applier; every
// other method is safe for concurrent use.
type Views struct {
	cfg  Config
	lg   *slog.Logger
	hub  *hub
	docs *docCache

	// Used only by the applier goroutine (Apply, Finish, Committed).
	next    uint64                 // the index the next Apply should carry
	models  map[string]*partyModel // nil: drop and reload
	pending map[uint64][]Notice    // notices of applied, not yet committed entries
	// deferring: the applier calls Finish, so summaries wait for it; dirty holds the
	// parties whose summary and progress rows Finish must rewrite.
	deferring bool
	dirty     map[string]*partyModel
	// unfinished: deferring, and entries were applied since the last Finish, which
	// must set p/applied.
	unfinished bool
	scratch    []byte // a buffer to encode rows in (the batch copies what it is given)
	// rows are the group\'s pending rows (group.go).
	rows rowsInGroup

	node atomic.Pointer[ledger.Node]
	conn atomic.Pointer[nats.Conn]

	digestMu sync.Mutex // guards digest
	digest   State      // the last digest computed
}

var _ ledger.Projector = (*Views)(nil)

// New returns views with no rows read yet; cfg is validated.
func New(cfg Config) (*Views, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("projections config: %w", err)
	}
	cfg.setDefaults()
	v := &Views{cfg: cfg, lg: cfg.Logger, hub: newHub(cfg.RingSize, cfg.SubscriberBuffer), docs: newDocCache(cfg.DocumentCache)}
	v.resetModels()
	return v, nil
}

// Attach binds the views to the open node they project: reads go to its Pebble,
// change notices to its NATS connection. It refuses a node whose log has entries
// that the views never saw (a Pebble built without them: rebuild it). When ctx
// ends, every SSE subscription ends (so an HTTP server can shut down).
func (v *Views) Attach(ctx context.Context, node *ledger.Node) error {
	snap := node.DB().NewSnapshot()
	applied, err := readApplied(snap)
	snap.Close()
	if err != nil {
		return err
	}
	if n := node.Applied(); applied == 0 && n > 0 {
		return fmt.Errorf("projections: the node has %d entries applied but no projection rows: its Pebble was built without them; run climateledger rebuild", n)
	}
	v.node.Store(node)
	v.conn.Store(node.Log().Conn())
	v.hub.start(applied)
	go func() {
		<-ctx.Done()
		v.hub.closeAll()
	}()
	return nil
}

// Routes registers the read API on mux (Go 1.22 patterns): GET /v1/parties,
// /v1/parties/{id}, /v1/parties/{id}/events, /v1/network, /v1/state,
// /v1/subscribe and /v1/openapi.json. It does not register /v1/parties/{id}/head,
// which is the ledger's.
func (v *Views) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/parties", v.handleList)
	mux.HandleFunc("GET /v1/parties/{id}", v.handleParty)
	mux.HandleFunc("GET /v1/parties/{id}/events", v.handleEvents)
	mux.HandleFunc("GET /v1/network", v.handleNetwork)
	mux.HandleFunc("GET /v1/state", v.handleState)
	mux.HandleFunc("GET /v1/subscribe", v.subscribe)
	mux.HandleFunc("GET /v1/openapi.json", handleOpenAPI)
}

// snapshot returns a snapshot of the node's Pebble.
func (v *Views) snapshot() (*pebble.Snapshot, error) {
	n := v.node.Load()
	if n == nil {
		return nil, ErrNotAttached
	}
	return n.DB().NewSnapshot(), nil
}

// Party returns a party's detail from one snapshot; ErrNotFound when it has no chain.
func (v *Views) Party(id string) (*PartyDetail, error) { return v.party(id, true) }

func (v *Views) party(id string, full bool) (*PartyDetail, error) {
	snap, err := v.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return v.readParty(snap, id, v.cfg.Now().UTC().Year(), full)
}

// Parties returns the parties that match f from one snapshot.
func (v *Views) Parties(f PartyFilter) (*PartyList, error) {
	snap, err := v.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return v.readList(snap, f, v.cfg.Now().UTC().Year())
}

// Network returns the network totals from one snapshot.
func (v *Views) Network() (*Network, error) {
	snap, err := v.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return v.readNetwork(snap, v.cfg.Now().UTC().Year())
}

// Events returns up to limit events of a party's chain after seq after.
func (v *Views) Events(party string, after uint64, limit int) (*EventsPage, error) {
	snap, err := v.snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	return readEvents(snap, party, after, limit)
}

// State is the answer of GET /v1/state: the entries applied and the state digest,
// read from one snapshot.
type State struct {
	// Index is the number of log entries applied (the tree size).
	Index uint64 `json:"index"`
	// Digest is the state digest (docs/PROJECTIONS.md): SHA-256 over every row with
	// the prefix "p/", in key order, each framed as
	// uint32 BE len(key) ‖ key ‖ uint32 BE len(value) ‖ value; lower-case hex.
	Digest string `json:"digest"`
	// Rows is the number of rows digested.
	Rows int `json:"rows"`
}

// State returns the applied index and the state digest, read from one snapshot. The
// digest of an index is computed once and remembered.
func (v *Views) State() (State, error) {
	snap, err := v.snapshot()
	if err != nil {
		return State{}, err
	}
	defer snap.Close()
	applied, err := readApplied(snap)
	if err != nil {
		return State{}, err
	}
	v.digestMu.Lock()
	defer v.digestMu.Unlock()
	if v.digest.Digest != "" && v.digest.Index == applied {
		return v.digest, nil
	}
	sum, rows, err := Digest(snap)
	if err != nil {
		return State{}, err
	}
	v.digest = State{Index: applied, Digest: hex.EncodeToString(sum[:]), Rows: rows}
	return v.digest, nil
}

// Digest computes the state digest of the projection rows in r: SHA-256 over every
// row whose key starts with "p/", in key order, each framed as
// uint32 BE len(key) ‖ key ‖ uint32 BE len(value) ‖ value. It returns the digest and
// the number of rows. r should be a snapshot (or a closed DB's only reader) so that
// the rows and p/applied agree.
func Digest(r pebble.Reader) (sum [32]byte, rows int, err error) {
	h := sha256.New()
	err = scan(r, newKey(projectionsRoot), func(k, v []byte) error {
		writeFramed(h, k)
		writeFramed(h, v)
		rows++
		return nil
	})
	if err != nil {
		return sum, 0, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, rows, nil
}

func writeFramed(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// ---- HTTP ----

func writeProblem(w http.ResponseWriter, p *httpapi.Problem) { httpapi.WriteProblem(w, p) }

func badRequest(detail string) *httpapi.Problem { return httpapi.BadRequest(detail) }

func validPartyParam(s string) bool { return events.ValidPartyID(s) }

// writeErr maps a read error to its problem.
func writeErr(w http.ResponseWriter, err error, what string) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeProblem(w, httpapi.NotFound(what+" not found"))
	default:
		writeProblem(w, httpapi.ProblemFor(err))
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Cache-Control", "no-cache")
	httpapi.WriteJSON(w, http.StatusOK, v)
}

func (v *Views) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := PartyFilter{Country: q.Get("country"), Level: q.Get("level"), Kind: q.Get("kind"), Status: q.Get("status")}
	for _, c := range []struct {
		name, val string
		allowed   []string
	}{
		{"country", f.Country, events.Countries()},
		{"level", f.Level, events.JurisdictionLevels()},
		{"kind", f.Kind, []string{events.KindJurisdiction, events.KindVerifier}},
		{"status", f.Status, append(Statuses(), "none")},
	} {
		if c.val != "" && !slices.Contains(c.allowed, c.val) {
			writeProblem(w, badRequest(fmt.Sprintf("%s: %q is not one of %v", c.name, c.val, c.allowed)))
			return
		}
	}
	l, err := v.Parties(f)
	if err != nil {
		writeErr(w, err, "parties")
		return
	}
	writeJSON(w, l)
}

func (v *Views) handleParty(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validPartyParam(id) {
		writeProblem(w, badRequest("party id must match ^[a-z0-9][a-z0-9-]{0,62}$"))
		return
	}
	year := v.cfg.Now().UTC().Year()
	body, tok, ok := v.docs.get(id, year)
	if !ok {
		snap, err := v.snapshot()
		if err != nil {
			writeErr(w, err, "party "+id)
			return
		}
		d, err := v.readParty(snap, id, year, false)
		snap.Close()
		if err == nil {
			body, err = d.appendJSON(make([]byte, 0, 32<<10))
		}
		if err != nil {
			writeErr(w, err, "party "+id)
			return
		}
		body = append(body, '\n')
		v.docs.put(id, year, tok, body)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(body)
}

// MaxEventsPerPage bounds GET /v1/parties/{id}/events?limit=.
const MaxEventsPerPage = 1000

func (v *Views) handleEvents(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !validPartyParam(id) {
		writeProblem(w, badRequest("party id must match ^[a-z0-9][a-z0-9-]{0,62}$"))
		return
	}
	q := r.URL.Query()
	after, limit := uint64(0), 100
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			writeProblem(w, badRequest("after: not a seq"))
			return
		}
		after = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxEventsPerPage {
			writeProblem(w, badRequest(fmt.Sprintf("limit: want 1 to %d", MaxEventsPerPage)))
			return
		}
		limit = n
	}
	p, err := v.Events(id, after, limit)
	if err != nil {
		writeErr(w, err, "party "+id)
		return
	}
	writeJSON(w, p)
}

func (v *Views) handleNetwork(w http.ResponseWriter, r *http.Request) {
	n, err := v.Network()
	if err != nil {
		writeErr(w, err, "network")
		return
	}
	writeJSON(w, n)
}

func (v *Views) handleState(w http.ResponseWriter, r *http.Request) {
	s, err := v.State()
	if err != nil {
		writeErr(w, err, "state")
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpapi.WriteJSON(w, http.StatusOK, s)
}
