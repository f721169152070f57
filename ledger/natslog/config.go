package natslog

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"
)

// Defaults applied by [Open] to zero fields of a [Config].
const (
	DefaultServerName      = "climateledger"
	DefaultReplicas        = 1
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxMsgSize      = 65536 // bytes of entry (docs/SPEC.md §3.2: 64 KiB)
	DefaultStartTimeout    = 30 * time.Second
	DefaultRequestTimeout  = 5 * time.Second
	DefaultMaxBatch        = 256
	DefaultMinBatch        = 16
	DefaultBatchesInFlight = 1
)

const (
	// StreamName is the name of the JetStream stream that holds the log.
	StreamName = "LEDGER"
	// SubjectPrefix is the subject prefix of entries: a party's chain is on
	// SubjectPrefix + party.
	SubjectPrefix = "ledger.events."
	// SubjectCheckpoint carries each new signed checkpoint a node signs.
	SubjectCheckpoint = "ledger.checkpoint"
	// SubjectCheckpointLatest is a request subject: nodes answer it with their latest
	// signed checkpoint (an auditor reading the stream over NATS needs one).
	SubjectCheckpointLatest = "ledger.checkpoint.latest"
	// SubjectCheckpointWitnessed is a request subject: nodes with witnesses answer it
	// with their newest checkpoint cosigned by a quorum of witnesses (empty: none yet).
	SubjectCheckpointWitnessed = "ledger.checkpoint.witnessed"
	// User is the NATS user the embedded server requires when it listens.
	User = "climateledger"
	// PasswordFile is the name, inside Config.KeysDir, of the embedded server's
	// password file.
	PasswordFile = "nats.password"

	// headerAllowance is added to MaxMsgSize for the stream's max_msg_size:
	// JetStream counts the NATS headers (Nats-Msg-Id, the expected sequence)
	// against that limit, and an entry of exactly MaxMsgSize bytes must fit.
	headerAllowance = 1024
	// maxMsgIDLen bounds message ids so that headers always fit headerAllowance.
	maxMsgIDLen = 128
	// maxPayload is nats-server's default max_payload; no message can exceed it.
	maxPayload = 1 << 20
	// maxAtomicBatch is nats-server's default limit on the messages of one atomic
	// batch (jetstream limits max_batch_size).
	maxAtomicBatch = 1000
	// maxBatchesInFlight stays well below the server's limit on a stream's
	// atomic batches in flight (50 by default).
	maxBatchesInFlight = 16
)

// Config configures [Open]. The zero value is not usable: set StoreDir (embedded
// mode) or URL. Zero fields take the documented defaults.
type Config struct {
	// StoreDir is the embedded server's JetStream store directory (the service
	// passes DATA/nats). Required in embedded mode; ignored when URL is set. It is
	// created (0700) if missing, and locked against a second embedded server.
	StoreDir string

	// ServerName is the embedded server's name, stable across restarts. Default
	// DefaultServerName.
	ServerName string

	// ListenAddr, when set, makes the embedded server listen for NATS clients on
	// this address ("host:port"; a bare port or ":port" means 127.0.0.1; port 0
	// or -1 picks a free port, see [Log.ClientURL]). The server then requires the
	// user [User] with the password in KeysDir/[PasswordFile], generated on first
	// start. Empty (the default): no network port at all.
	ListenAddr string

	// KeysDir holds the password file. Required when ListenAddr is set.
	KeysDir string

	// URL, when set, connects to an existing NATS JetStream deployment instead of
	// embedding a server ("nats://host:4222", a comma-separated list for a
	// cluster). The options below authenticate the connection; set at most one of
	// CredsFile, User+Password and NKeySeedFile.
	URL          string
	CredsFile    string // a .creds file (JWT and nkey seed)
	User         string // user for user/password authentication
	Password     string // password for User; never logged
	NKeySeedFile string // an nkey seed file
	TLSCA        string // PEM CA bundle to verify the server
	TLSCert      string // PEM client certificate (with TLSKey)
	TLSKey       string // PEM client key (with TLSCert)

	// Replicas is the stream's replica count when it is created, and the minimum
	// accepted on an existing stream. Zero (the default) in URL mode means
	// min(3, servers in the cluster) for a new stream and no minimum for an existing
	// one (Open warns about a single replica in a cluster); in embedded mode it
	// means 1, the only value allowed there.
	Replicas int

	// ExistingOnly makes Open fail with ErrNotFound instead of creating a missing
	// stream: for readers such as an auditor, which must never create a log.
	ExistingOnly bool

	// DuplicateWindow is the stream's duplicate message id window. Default 2m.
	// An existing stream's window must be at least this long.
	DuplicateWindow time.Duration

	// MaxMsgSize is the largest entry, in bytes, Append accepts. Default 65536.
	// The stream's max_msg_size is MaxMsgSize plus 1024 bytes for the NATS headers
	// JetStream counts against it. At most 1 MiB − 1024.
	MaxMsgSize int32

	// StartTimeout bounds how long Open waits for the embedded server to accept
	// connections and for JetStream to be ready. Default 30s.
	StartTimeout time.Duration

	// RequestTimeout bounds each JetStream request whose context has no deadline.
	// Default 5s.
	RequestTimeout time.Duration

	// MaxBatch bounds group commit (see [Log.Append]): how many appends to different
	// chains, waiting at the same time, share one JetStream atomic batch and so one
	// fsync. 0 means DefaultMaxBatch; 1 turns group commit off (one publish and one
	// fsync per append). At most 1000, the server's limit. Group commit needs a stream
	// that allows atomic publish: Open enables it on a stream it created or that
	// lacks it (not with ExistingOnly; there appends are sent one by one).
	MaxBatch int

	// MinBatch is the fewest waiting appends that go as one atomic batch; fewer are
	// sent one by one, concurrently. A batch has a fixed cost: on a single server
	// JetStream stages it in a file store of its own, created and synced per batch
	// (measured on the development machine: 2.3 ms per batch, then 18 µs per entry,
	// against 0.24 ms for one publish; docs/PERFORMANCE.md). Default 16.
	MinBatch int

	// BatchesInFlight is how many batches may be sent before the first is
	// acknowledged. Default 1: the next batch gathers while one is stored (the
	// stream stores batches one after the other anyway).
	BatchesInFlight int

	// DropBatchAck, for fault-injection tests only, is called after each atomic
	// batch the server acknowledged, with its size; returning true discards the
	// acknowledgement as if it had been lost in transit.
	DropBatchAck func(entries int) bool

	// Logger receives the log's and the embedded server's messages. Nil discards
	// them. Secrets (passwords) are never logged.
	Logger *slog.Logger
}

// Validate reports every problem with c at once, as a *ConfigError, or nil. Zero
// fields that have defaults are not problems.
func (c Config) Validate() error {
	var ps []ConfigProblem
	add := func(field, format string, args ...any) {
		ps = append(ps, ConfigProblem{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	embedded := c.URL == ""
	if embedded {
		if c.StoreDir == "" {
			add("StoreDir", "required for the embedded server (nats-server would silently use a temporary directory)")
		}
		if c.ListenAddr != "" {
			if _, _, err := parseListenAddr(c.ListenAddr); err != nil {
				add("ListenAddr", "%v", err)
			}
			if c.KeysDir == "" {
				add("KeysDir", "required when ListenAddr is set (it holds %s)", PasswordFile)
			}
		}
		if c.Replicas > 1 {
			add("Replicas", "%d needs a cluster: the embedded server is a single node (use URL)", c.Replicas)
		}
		for _, f := range []struct{ name, v string }{
			{"CredsFile", c.CredsFile}, {"User", c.User}, {"Password", c.Password},
			{"NKeySeedFile", c.NKeySeedFile}, {"TLSCA", c.TLSCA}, {"TLSCert", c.TLSCert}, {"TLSKey", c.TLSKey},
		} {
			if f.v != "" {
				add(f.name, "only used with URL")
			}
		}
	} else {
		if c.ListenAddr != "" {
			add("ListenAddr", "only used by the embedded server; not with URL")
		}
		auth := 0
		if c.CredsFile != "" {
			auth++
		}
		if c.User != "" || c.Password != "" {
			auth++
			if c.User == "" {
				add("User", "required with Password")
			}
			if c.Password == "" {
				add("Password", "required with User")
			}
		}
		if c.NKeySeedFile != "" {
			auth++
		}
		if auth > 1 {
			add("CredsFile", "set at most one of CredsFile, User/Password and NKeySeedFile")
		}
		if (c.TLSCert == "") != (c.TLSKey == "") {
			add("TLSCert", "TLSCert and TLSKey go together")
		}
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		add("Replicas", "%d is out of range 0..5 (0: automatic)", c.Replicas)
	}
	if c.DuplicateWindow < 0 {
		add("DuplicateWindow", "%v is negative", c.DuplicateWindow)
	}
	if c.MaxMsgSize < 0 || c.MaxMsgSize > maxPayload-headerAllowance {
		add("MaxMsgSize", "%d is out of range 1..%d", c.MaxMsgSize, maxPayload-headerAllowance)
	}
	if c.StartTimeout < 0 {
		add("StartTimeout", "%v is negative", c.StartTimeout)
	}
	if c.RequestTimeout < 0 {
		add("RequestTimeout", "%v is negative", c.RequestTimeout)
	}
	if c.MaxBatch < 0 || c.MaxBatch > maxAtomicBatch {
		add("MaxBatch", "%d is out of range 0..%d (0: the default %d; 1: no group commit)", c.MaxBatch, maxAtomicBatch, DefaultMaxBatch)
	}
	if c.MinBatch < 0 || c.MinBatch > maxAtomicBatch {
		add("MinBatch", "%d is out of range 0..%d", c.MinBatch, maxAtomicBatch)
	}
	if c.BatchesInFlight < 0 || c.BatchesInFlight > maxBatchesInFlight {
		add("BatchesInFlight", "%d is out of range 0..%d", c.BatchesInFlight, maxBatchesInFlight)
	}
	if len(ps) > 0 {
		return &ConfigError{Problems: ps}
	}
	return nil
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.ServerName == "" {
		c.ServerName = DefaultServerName
	}
	if c.Replicas == 0 && c.URL == "" {
		c.Replicas = DefaultReplicas
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.MaxMsgSize == 0 {
		c.MaxMsgSize = DefaultMaxMsgSize
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.MinBatch == 0 {
		c.MinBatch = DefaultMinBatch
	}
	if c.BatchesInFlight == 0 {
		c.BatchesInFlight = DefaultBatchesInFlight
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// parseListenAddr splits a ListenAddr into the host and the nats-server port. A
// bare port or an empty host means 127.0.0.1; port 0 means a random port (-1 for
// nats-server, where 0 would mean the default 4222).
func parseListenAddr(addr string) (host string, port int, err error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		// A bare port.
		h, p = "", addr
	}
	port, err = strconv.Atoi(p)
	if err != nil || port < -1 || port > 65535 {
		return "", 0, fmt.Errorf("%q: want host:port, :port or a port (0 or -1 for a free port)", addr)
	}
	if h == "" {
		h = "127.0.0.1"
	}
	if port == 0 {
		port = -1
	}
	return h, port, nil
}
