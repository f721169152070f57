package natslog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Log is the ledger log: a connection to the stream LEDGER and, in embedded mode,
// the nats-server holding it. Create it with [Open]; it is safe for concurrent use.
type Log struct {
	cfg    Config // defaults applied; immutable after Open
	logger *slog.Logger
	emb    *embedded // nil in URL mode
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	closed chan struct{} // closed by the connection's ClosedHandler
	fault  fault         // set while the embedded store is being repaired
	// restarts tells replays that the repair restarted JetStream; reconnects that
	// the connection moved to another server.
	restarts, reconnects restarts
	// repaired is signalled after each successful repair (see Repaired).
	repaired restarts

	stopRepair func()        // ends repairLoop (embedded mode)
	repairDone chan struct{} // closed when repairLoop has returned

	// group gathers concurrent appends into atomic batches; nil when
	// Config.MaxBatch is 1.
	group *groupCommit

	closeOnce sync.Once
	closeErr  error // set once by Close
}

// Open validates cfg, starts the embedded nats-server (unless cfg.URL is set),
// connects, and creates or checks the stream LEDGER.
//
// Errors: a *ConfigError for a bad cfg; a *StreamMismatchError when LEDGER exists
// with weaker or different settings (the stream is not changed); an error wrapping
// ErrUnavailable when the server does not become ready within cfg.StartTimeout or
// ctx, the store directory is locked by another embedded server, or JetStream
// cannot be reached. On error nothing is left running.
func Open(ctx context.Context, cfg Config) (_ *Log, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	l := &Log{cfg: cfg, logger: cfg.Logger, closed: make(chan struct{})}

	opts := []nats.Option{
		nats.Name("climateledger"),
		nats.MaxReconnects(-1),
		// Another server of a cluster is tried at once; the same one again after
		// 250 ms (nats.go's default, 2 s, adds to the write gap of a failover).
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ClosedHandler(func(*nats.Conn) { close(l.closed) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				l.logger.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			l.logger.Info("nats reconnected", "url", nc.ConnectedUrlRedacted())
			l.reconnects.signal()
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			l.logger.Error("nats async error", "subject", subject, "err", err)
		}),
	}
	url := cfg.URL
	if url == "" {
		e, err := startServer(ctx, cfg)
		if err != nil {
			return nil, err
		}
		l.emb = e
		defer func() {
			if err != nil {
				e.shutdown()
			}
		}()
		note := l.noteStoreFailure
		e.log.onStoreFailure.Store(&note)
		opts = append(opts, nats.InProcessServer(e.srv))
		if e.password != "" {
			opts = append(opts, nats.UserInfo(User, e.password))
		}
	} else {
		more, err := clientAuthOptions(cfg)
		if err != nil {
			return nil, err
		}
		opts = append(opts, more...)
	}

	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("natslog: connect: %w: %w", ErrUnavailable, err)
	}
	l.nc = nc
	defer func() {
		if err != nil {
			nc.Close()
		}
	}()
	js, err := jetstream.New(nc, jetstream.WithDefaultTimeout(cfg.RequestTimeout))
	if err != nil {
		return nil, fmt.Errorf("natslog: jetstream: %w: %w", ErrUnavailable, err)
	}
	l.js = js
	// Creating a replicated stream waits for its Raft group to elect a leader: bound it
	// by the start timeout, not by one request's.
	octx, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		octx, cancel = context.WithTimeout(ctx, cfg.StartTimeout)
	}
	defer cancel()
	servers := 1
	if l.emb == nil {
		servers = clusterServers(nc)
	}
	st, err := ensureStream(octx, js, cfg, servers)
	if err != nil {
		return nil, err
	}
	l.stream = st
	if cfg.MaxBatch > 1 {
		l.group = newGroupCommit(l, cfg.MaxBatch, cfg.BatchesInFlight)
		if !atomicPublishAllowed(octx, l, st, cfg) {
			l.group.disabled.Store(true)
		}
	}
	if l.emb != nil {
		l.fault.kick = make(chan struct{}, 1)
		rctx, cancel := context.WithCancel(context.Background())
		l.stopRepair = cancel
		l.repairDone = make(chan struct{})
		go func() {
			defer close(l.repairDone)
			l.repairLoop(rctx)
		}()
	}
	url = l.ClientURL() // an embedded server without a port has none: say so
	if url == "" {
		url = "in-process (no NATS port; --nats-listen opens one)"
	}
	l.logger.Info("log open", "stream", StreamName, "embedded", l.emb != nil,
		"url", url, "store_dir", storeDirAttr(cfg), "servers", servers)
	if l.emb == nil {
		// A client cannot read the servers' fsync setting.
		l.logger.Info("durability depends on the servers: run each with sync_interval: always (docs/OPERATIONS.md)")
	}
	return l, nil
}

func storeDirAttr(cfg Config) string {
	if cfg.URL != "" {
		return ""
	}
	return cfg.StoreDir
}

// clientAuthOptions turns the URL-mode authentication and TLS fields into options.
func clientAuthOptions(cfg Config) ([]nats.Option, error) {
	var opts []nats.Option
	switch {
	case cfg.CredsFile != "":
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.User != "":
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	case cfg.NKeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("natslog: NKeySeedFile: %w", err)
		}
		opts = append(opts, o)
	}
	if cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(cfg.TLSCA))
	}
	if cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(cfg.TLSCert, cfg.TLSKey))
	}
	return opts, nil
}

// Close drains the client connection (letting in-flight requests finish), then
// shuts down the embedded server and waits for it. Cancel Follow calls first: one
// still running ends with an error wrapping ErrUnavailable once its fn returns, and
// the drain waits for that (up to 30s). Close is idempotent and safe to call
// concurrently; every call returns the first call's result.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		if l.group != nil {
			l.group.close()
		}
		if l.stopRepair != nil {
			l.stopRepair()
			<-l.repairDone
		}
		var errs []error
		switch err := l.nc.Drain(); {
		case err == nil, errors.Is(err, nats.ErrConnectionClosed):
		case errors.Is(err, nats.ErrConnectionReconnecting):
			// Nothing to drain towards: requests in flight fail as unavailable.
			l.nc.Close()
		default:
			errs = append(errs, fmt.Errorf("natslog: drain: %w", err))
			l.nc.Close()
		}
		select {
		case <-l.closed:
		case <-time.After(l.cfg.RequestTimeout + 30*time.Second): // nats' drain timeout is 30s
			errs = append(errs, errors.New("natslog: drain: connection did not close"))
			l.nc.Close()
		}
		if l.emb != nil {
			l.emb.shutdown()
		}
		l.closeErr = errors.Join(errs...)
		l.logger.Info("log closed", "stream", StreamName)
	})
	return l.closeErr
}

// ClientURL returns the URL other processes connect to: the embedded server's
// listening address when Config.ListenAddr is set (authenticate as [User] with the
// password in KeysDir/nats.password), "" for an embedded server without a port,
// and the connected server's URL, without credentials, in URL mode.
func (l *Log) ClientURL() string {
	if l.emb != nil {
		return l.emb.clientURL()
	}
	return l.nc.ConnectedUrlRedacted()
}

// Conn returns the client connection. Do not close or drain it; use Close.
func (l *Log) Conn() *nats.Conn { return l.nc }

// JetStream returns the JetStream context on Conn.
func (l *Log) JetStream() jetstream.JetStream { return l.js }

// Server returns the embedded nats-server, or nil in URL mode. Do not shut it
// down; use Close.
func (l *Log) Server() *server.Server {
	if l.emb == nil {
		return nil
	}
	return l.emb.srv
}

// reqCtx bounds ctx by the request timeout when it has no deadline.
func (l *Log) reqCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, l.cfg.RequestTimeout)
}

// unavailable wraps an error from a NATS or JetStream call that did not produce
// the answer we needed, so that it matches ErrUnavailable. Context errors stay in the
// chain.
func unavailable(err error) error {
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
