package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger/internal/pebblefs"
	"github.com/climateledger/climateledger/ledger/internal/pebbleslog"
	"github.com/climateledger/climateledger/ledger/merkle"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// DefaultOrigin is the checkpoint origin (signed-note key name) unless configured.
const DefaultOrigin = "climateledger.local/log"

// Config configures a Node. The zero value of every field but DataDir has a default.
type Config struct {
	// DataDir holds keys/, nats/ (embedded JetStream) and pebble/.
	DataDir string
	// Origin names the log in checkpoints; default DefaultOrigin. It must match the
	// genesis of an existing log.
	Origin string
	// NATS configures the log. StoreDir defaults to DataDir/nats and KeysDir to
	// DataDir/keys when NATS.URL is empty.
	NATS natslog.Config
	// Projectors receive every integrated entry, inside the applier's batch.
	Projectors []Projector
	// IntegrationTimeout bounds how long a submission waits for its receipt; default 5s.
	IntegrationTimeout time.Duration
	// ClockSkew is how far an event's time may be behind the node's clock; default
	// 10m. FutureSkew is how far it may be ahead; default 1m. The future side is
	// small because an event's time is the floor for the next one of its chain
	// (time_backwards): a fast clock must not lock a chain for long.
	ClockSkew  time.Duration
	FutureSkew time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MaxGroup bounds the entries integrated in one Pebble batch; default 512.
	MaxGroup int
	// CacheSize is Pebble's block cache in bytes; default 64 MiB.
	CacheSize int64
	// MaxReadyLag is how long the oldest entry of the stream not yet integrated may
	// wait before the node reports itself not ready (see Ready); default 10s.
	MaxReadyLag time.Duration
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// PebbleFS is the filesystem under Pebble; default vfs.Default. Tests use it to
	// fill the disk.
	PebbleFS vfs.FS
}

// Validate reports every problem with the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir is required"))
	}
	if c.IntegrationTimeout < 0 || c.ClockSkew < 0 || c.FutureSkew < 0 || c.MaxGroup < 0 || c.CacheSize < 0 || c.MaxReadyLag < 0 {
		errs = append(errs, errors.New("IntegrationTimeout, ClockSkew, FutureSkew, MaxGroup, CacheSize and MaxReadyLag must not be negative"))
	}
	return errors.Join(errs...)
}

func (c *Config) setDefaults() {
	if c.Origin == "" {
		c.Origin = DefaultOrigin
	}
	if c.NATS.URL == "" {
		if c.NATS.StoreDir == "" {
			c.NATS.StoreDir = filepath.Join(c.DataDir, "nats")
		}
		if c.NATS.KeysDir == "" {
			c.NATS.KeysDir = filepath.Join(c.DataDir, "keys")
		}
	}
	if c.NATS.Logger == nil {
		c.NATS.Logger = c.Logger
	}
	if c.NATS.RequestTimeout == 0 {
		c.NATS.RequestTimeout = natslog.DefaultRequestTimeout
	}
	if c.IntegrationTimeout == 0 {
		c.IntegrationTimeout = 5 * time.Second
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = 10 * time.Minute
	}
	if c.FutureSkew == 0 {
		c.FutureSkew = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.MaxGroup == 0 {
		c.MaxGroup = 512
	}
	if c.CacheSize == 0 {
		c.CacheSize = 64 << 20
	}
	if c.MaxReadyLag == 0 {
		c.MaxReadyLag = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.PebbleFS == nil {
		c.PebbleFS = vfs.Default
	}
}

// Node is one climateledger node: the log, its Pebble, the applier and the gate.
// Its methods are safe for concurrent use.
type Node struct {
	cfg  Config
	log  *natslog.Log
	db   *pebble.DB
	tree *merkle.Tree
	keys *Keys
	lg   *slog.Logger

	// chains serialises writes per chain (one write in flight per chain).
	chains chainLocks

	// mu guards reg, subjectSeq, applied, checkpoint, checkpointTime, changed,
	// applyErr and applyErrSince.
	mu  sync.RWMutex
	reg *events.Registry
	// subjectSeq is, per party, the stream sequence of the last valid entry of its
	// chain: the gate's optimistic publish expectation.
	subjectSeq map[string]uint64
	applied    uint64 // entries integrated (= tree size = last applied stream seq)
	checkpoint []byte // latest signed checkpoint, over applied entries
	changed    chan struct{}
	applyErr   error // set while the applier is stopped on an error
	// checkpointTime is when checkpoint was signed; applyErrSince when applyErr was set.
	checkpointTime, applyErrSince time.Time

	// Counters for Stats.
	inGate          atomic.Int64  // submissions in the gate now
	queued          atomic.Int64  // entries read from the stream, not yet integrated
	publishErrors   atomic.Uint64 // failed append attempts
	applierRestarts atomic.Uint64 // applier restarts after an error

	// probeMu guards probe and probeStart: the readiness check's Pebble write in
	// flight (nil when none).
	probeMu    sync.Mutex
	probe      chan error
	probeStart time.Time

	keyDir sync.Map // key id → ed25519.PublicKey, self-certifying cache for PreVerify
	// verified holds the gate's parsed, verified entries for the applier.
	verified gateVerified

	// witnessMu guards witnessed and witnessedSize: the newest checkpoint cosigned by a
	// quorum of witnesses (see SetWitnessed).
	witnessMu     sync.Mutex
	witnessed     []byte
	witnessedSize uint64

	// pfs is the filesystem under db; fatalMsg is set once Pebble failed for good.
	pfs      *pebblefs.FS
	fatalMsg atomic.Pointer[string]

	cancel context.CancelFunc
	done   chan struct{}
}

// Open starts a node: it opens (or starts) NATS and the stream, opens Pebble, creates
// keys and the genesis on an empty log, restores the registry, and starts the applier.
// It returns once the node has caught up with the log as it was when Open began.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("ledger config: %w", err)
	}
	cfg.setDefaults()
	n := &Node{cfg: cfg, lg: cfg.Logger, reg: events.NewRegistry(), subjectSeq: map[string]uint64{}, changed: make(chan struct{}), done: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			n.closeStores()
		}
	}()
	var err error
	if n.log, err = natslog.Open(ctx, cfg.NATS); err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	last, err := n.log.LastSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	if n.keys, err = LoadOrCreateKeys(filepath.Join(cfg.DataDir, "keys"), cfg.Origin, last == 0); err != nil {
		return nil, err
	}
	// Nothing is signed before the log key is known to be the genesis's.
	if last == 0 && n.keys.Registrar == nil {
		return nil, fmt.Errorf("the log is empty and %s is missing: the genesis of a new log is signed by the registrar key; start the first node of a log with it (other nodes and restarts do not need it)", filepath.Join(cfg.DataDir, "keys", RegistrarKeyFile))
	}
	if last > 0 {
		if err := n.checkStreamGenesis(ctx); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(cfg.CacheSize)
	n.pfs = n.pebbleFS(cfg.PebbleFS)
	err = guard(func() (err error) {
		n.db, err = pebble.Open(filepath.Join(cfg.DataDir, "pebble"), &pebble.Options{
			FS:                 n.pfs,
			FormatMajorVersion: pebble.FormatNewest,
			Cache:              cache,
			Logger:             pebbleslog.Logger{L: cfg.Logger, OnFatal: n.pebbleFatal},
		})
		return err
	})
	cache.Unref() // the DB holds its own reference
	if err != nil {
		return nil, fmt.Errorf("open pebble: %w", err)
	}
	if n.applied, err = readApplied(n.db); err != nil {
		return nil, err
	}
	if n.applied > last {
		return nil, fmt.Errorf("%w: pebble has %d entries applied but the log has only %d: it belongs to another log; delete %s and restart to rebuild", ErrCorrupt, n.applied, last, filepath.Join(cfg.DataDir, "pebble"))
	}
	if n.tree, err = merkle.Open(n.db, []byte(prefixTree), n.applied); err != nil {
		return nil, fmt.Errorf("open tree: %w", err)
	}
	if last == 0 {
		if err := n.writeGenesis(ctx); err != nil {
			return nil, err
		}
	}
	if err := n.openRegistry(ctx); err != nil {
		return nil, err
	}
	if err := n.checkGenesis(); err != nil {
		return nil, err
	}
	if n.applied > 0 {
		if err := n.publishCheckpoint(n.applied); err != nil {
			return nil, err
		}
	}
	if err := n.loadWitnessed(); err != nil {
		return nil, err
	}
	actx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go n.runApplier(actx)
	if last, err = n.log.LastSeq(ctx); err != nil {
		return nil, err
	}
	if err := n.catchUp(ctx, last); err != nil {
		return nil, fmt.Errorf("catch up to %d: %w", last, err)
	}
	ok = true
	n.lg.Info("ledger open", "applied", n.Applied(), "origin", cfg.Origin)
	return n, nil
}

// writeGenesis appends the network genesis, signed by the registrar key.
func (n *Node) writeGenesis(ctx context.Context) error {
	if n.keys.Registrar == nil {
		return fmt.Errorf("write the genesis: keys/%s is missing", RegistrarKeyFile)
	}
	body := &events.GenesisBody{Origin: n.cfg.Origin, Name: "climateledger network",
		RegistrarKeys: []events.PublicKeyRef{n.keys.Registrar.Ref()}, LogKey: n.keys.LogVerifierKey}
	d := &events.Draft{Party: events.NetworkParty, Seq: 1, Type: events.TypeGenesis, Time: n.cfg.Now().UTC().Truncate(time.Second), Body: body}
	payload, err := d.Marshal()
	if err != nil {
		return fmt.Errorf("genesis: %w", err)
	}
	entry := events.Sign(payload, n.keys.Registrar)
	if _, err := n.log.Append(ctx, events.NetworkParty, d.ID, entry, 0); err != nil {
		return fmt.Errorf("append genesis: %w", err)
	}
	n.lg.Info("genesis written", "id", d.ID, "hash", events.PayloadHash(payload).String())
	return nil
}

// checkStreamGenesis reads the genesis entry from the stream itself (whatever the
// state of Pebble) and refuses to run with a log key or origin it does not name.
func (n *Node) checkStreamGenesis(ctx context.Context) error {
	raw, err := n.log.Entry(ctx, 1)
	if err != nil {
		return fmt.Errorf("read the genesis entry: %w", err)
	}
	e, err := events.ParseEntry(raw)
	if err != nil {
		return fmt.Errorf("%w: the log's first entry does not parse: %v", ErrCorrupt, err)
	}
	g, ok := e.Body.(*events.GenesisBody)
	if !ok {
		return fmt.Errorf("%w: the log's first entry is a %s, not a %s", ErrCorrupt, e.Payload.Type, events.TypeGenesis)
	}
	return n.matchGenesis(g)
}

// checkGenesis refuses to run with a log key that the registry's genesis does not
// name (checkStreamGenesis has checked the stream's at Open).
func (n *Node) checkGenesis() error {
	g := n.reg.Genesis()
	if g == nil {
		return nil // the applier has not reached it yet
	}
	return n.matchGenesis(g)
}

// matchGenesis compares the node's log key and origin with the genesis's.
func (n *Node) matchGenesis(g *events.GenesisBody) error {
	keys := filepath.Join(n.cfg.DataDir, "keys")
	if g.LogKey != n.keys.LogVerifierKey {
		return &KeyMismatchError{Dir: keys, Have: n.keys.LogVerifierKey, Genesis: g.LogKey}
	}
	if g.Origin != n.cfg.Origin {
		return fmt.Errorf("origin %q does not match the genesis origin %q: start the node with --origin %q", n.cfg.Origin, g.Origin, g.Origin)
	}
	return nil
}

// KeyMismatchError is returned by Open when the node's log key is not the one the
// log's genesis names: the node was given the keys of another log (or pointed at
// another log's stream). The node signs nothing.
type KeyMismatchError struct {
	Dir     string // the keys directory
	Have    string // the verifier key in Dir/log.pub
	Genesis string // the verifier key the genesis names
}

func (e *KeyMismatchError) Error() string {
	return fmt.Sprintf("%s/%s is %q but this log's genesis names %q: the keys belong to another log. "+
		"Copy this log's %s and %s into %s (from a node of this log), or point the node at the log these keys belong to",
		e.Dir, LogPubFile, e.Have, e.Genesis, LogKeyFile, LogPubFile, e.Dir)
}

// restoreRegistry replays entries 1..applied into the registry (the tree and the
// projections for them are already in Pebble).
func (n *Node) restoreRegistry(ctx context.Context) error {
	reg, heads, err := n.replayRegistry(ctx, n.applied)
	if err != nil {
		return err
	}
	n.reg, n.subjectSeq = reg, heads
	return nil
}

// resyncRegistry reloads the registry and the chain expectations of the applied
// position from Pebble, after an integration failed part-way through a group, and
// swaps them in.
func (n *Node) resyncRegistry(ctx context.Context) error {
	applied := n.Applied()
	reg, heads, err := loadRegistry(n.db, applied)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.applied != applied {
		return fmt.Errorf("%w: the applied position moved from %d to %d during a resync", ErrCorrupt, applied, n.applied)
	}
	n.reg, n.subjectSeq = reg, heads
	return nil
}

// replayRegistry replays entries 1..applied of the log into a new registry and
// returns it with each chain's last stream sequence.
func (n *Node) replayRegistry(ctx context.Context, applied uint64) (*events.Registry, map[string]uint64, error) {
	reg, heads := events.NewRegistry(), map[string]uint64{}
	if applied == 0 {
		return reg, heads, nil
	}
	start := time.Now()
	var pending [][]byte
	flush := func() {
		for _, p := range n.parseGroup(pending) {
			if p.entry == nil {
				reg.Skip()
			} else if reg.Apply(p.entry) == nil {
				heads[p.entry.Payload.Party] = reg.Applied()
			}
		}
		pending = pending[:0]
	}
	err := n.log.ReadRange(ctx, 1, applied, func(seq uint64, entry []byte) error {
		pending = append(pending, entry)
		if len(pending) == 1024 {
			flush()
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("restore registry: %w", err)
	}
	flush()
	if reg.Applied() != applied {
		return nil, nil, fmt.Errorf("%w: restored %d entries, pebble says %d", ErrCorrupt, reg.Applied(), applied)
	}
	n.lg.Info("registry restored", "entries", applied, "took", time.Since(start).String())
	return reg, heads, nil
}

// Close stops the applier and closes Pebble and the log. In-flight submissions fail
// with ErrClosed or ErrUnavailable. Writes waiting for disk space are abandoned (what
// they would have written is rebuilt from the log at the next start).
func (n *Node) Close() error {
	if n.cancel != nil {
		n.cancel()
		select {
		case <-n.done:
		case <-time.After(time.Second):
			// The applier waits for disk space: let its write fail.
			n.pfs.Abort()
			<-n.done
		}
	}
	return n.closeStores()
}

func (n *Node) closeStores() error {
	var errs []error
	if n.db != nil {
		db := n.db
		n.db = nil
		if n.fatalMsg.Load() != nil {
			// A failed Pebble may not close; its WAL holds nothing acknowledged that
			// the log does not.
			n.lg.Warn("pebble failed earlier: closing it without waiting")
			go func() {
				defer func() { recover() }()
				db.Close()
			}()
		} else if err := guard(db.Close); err != nil {
			errs = append(errs, err)
		}
	}
	if n.log != nil {
		errs = append(errs, n.log.Close())
		n.log = nil
	}
	return errors.Join(errs...)
}

// catchUp waits until size entries are integrated. The applier restarts by itself
// after an error (a consumer that could not be created during an election): catchUp
// fails only when it has made no progress for the NATS start timeout.
func (n *Node) catchUp(ctx context.Context, size uint64) error {
	last, since := n.Applied(), time.Now()
	for {
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		err := n.WaitApplied(wctx, size)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if a := n.Applied(); a > last {
			last, since = a, time.Now()
		} else if time.Since(since) > n.startTimeout() {
			return err
		}
		if errors.Is(err, ErrUnavailable) {
			time.Sleep(50 * time.Millisecond) // the applier is stopped and retrying
		}
	}
}

func (n *Node) startTimeout() time.Duration {
	if n.cfg.NATS.StartTimeout > 0 {
		return n.cfg.NATS.StartTimeout
	}
	return natslog.DefaultStartTimeout
}

// Applied returns the number of entries integrated (the tree size).
func (n *Node) Applied() uint64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.applied
}

// WaitApplied waits until at least size entries are integrated.
func (n *Node) WaitApplied(ctx context.Context, size uint64) error {
	for {
		n.mu.RLock()
		applied, ch, aerr := n.applied, n.changed, n.applyErr
		n.mu.RUnlock()
		if applied >= size {
			return nil
		}
		if aerr != nil {
			return fmt.Errorf("%w: applier stopped: %v", ErrUnavailable, aerr)
		}
		if cause := n.storeFault(); cause != "" {
			return fmt.Errorf("%w: %s", ErrUnavailable, cause)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// DB returns the node's Pebble, for read models. Callers must not write to the
// prefixes the ledger owns ("l/").
func (n *Node) DB() *pebble.DB { return n.db }

// Log returns the underlying stream.
func (n *Node) Log() *natslog.Log { return n.log }

// Keys returns the node's keys.
func (n *Node) Keys() *Keys { return n.keys }

// Origin returns the log's origin.
func (n *Node) Origin() string { return n.cfg.Origin }

// View runs fn with the registry under the node's read lock. fn must not keep
// references to the registry or its parties after returning.
func (n *Node) View(fn func(reg *events.Registry, applied uint64)) {
	n.mu.RLock()
	defer n.mu.RUnlock()
	fn(n.reg, n.applied)
}

// Pebble keys owned by the ledger ("l/"); read models use other prefixes.
// Integers are big-endian.
const (
	keyApplied   = "l/applied" // uint64: entries integrated
	prefixTree   = "l/t/"      // merkle stored hashes
	prefixEvent  = "l/e/"      // ‖ event id (26 chars) → eventRecord
	prefixReject = "l/r/"      // ‖ index → rejection JSON
)

func readApplied(db *pebble.DB) (uint64, error) {
	v, closer, err := db.Get([]byte(keyApplied))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read applied position: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: applied position is %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
