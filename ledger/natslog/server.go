package natslog

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// embedded is a running in-process nats-server and what Close must release.
type embedded struct {
	srv      *server.Server
	lock     *os.File // the StoreDir lock; released after shutdown
	password string   // set when listening; never logged
	// auditorPassword is the read-only user's (AuditorUser), set when listening;
	// never logged.
	auditorPassword string
	log             *serverLogger
	// jsConfig is the JetStream configuration to enable JetStream again with
	// after a store failure (see repairLoop).
	jsConfig server.JetStreamConfig
}

// startServer starts the embedded nats-server for cfg (defaults applied) and waits,
// up to cfg.StartTimeout or ctx, until it accepts connections and JetStream is ready
// with its streams recovered.
func startServer(ctx context.Context, cfg Config) (_ *embedded, err error) {
	if err := os.MkdirAll(cfg.StoreDir, 0o700); err != nil {
		return nil, fmt.Errorf("natslog: create store dir: %w", err)
	}
	lock, err := lockDir(cfg.StoreDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unlockDir(lock)
		}
	}()

	opts := &server.Options{
		ServerName:             cfg.ServerName,
		JetStream:              true,
		StoreDir:               cfg.StoreDir,
		SyncAlways:             true, // fsync every write before the ack (default: every 2 min)
		DontListen:             true,
		NoSigs:                 true, // the process owns its signals
		DisableJetStreamBanner: true,
		MaxPayload:             maxPayload,
	}
	// The storage limit is the whole filesystem, not nats-server's default of 75% of
	// the space free at start (which never grows back without a restart): the log
	// fails only when the disk is really full, and repairs itself once it is not.
	if total, err := totalBytes(cfg.StoreDir); err == nil && total > 0 {
		opts.JetStreamMaxStore = total
	}
	e := &embedded{lock: lock}
	if cfg.ListenAddr != "" {
		host, port, err := parseListenAddr(cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("natslog: ListenAddr: %w", err)
		}
		pw, err := loadOrCreatePassword(cfg.KeysDir, PasswordFile)
		if err != nil {
			return nil, err
		}
		auditorPW, err := loadOrCreatePassword(cfg.KeysDir, AuditorPasswordFile)
		if err != nil {
			return nil, err
		}
		e.password, e.auditorPassword = pw, auditorPW
		opts.DontListen = false
		opts.Host = host
		opts.Port = port
		opts.Users = listenUsers(pw, auditorPW)
	}

	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("natslog: embedded server: %w", err)
	}
	e.srv = srv
	e.log = &serverLogger{l: cfg.Logger.With("component", "nats-server"), secret: e.password, secret2: e.auditorPassword}
	debug := cfg.Logger.Enabled(ctx, slog.LevelDebug)
	// Never trace: traces carry message payloads and protocol lines.
	srv.SetLoggerV2(e.log, debug, false, false)

	go srv.Start()
	defer func() {
		if err != nil {
			srv.Shutdown()
			srv.WaitForShutdown()
		}
	}()
	if err := e.waitReady(ctx, cfg.StartTimeout); err != nil {
		return nil, err
	}
	e.jsConfig = enableConfig(srv.JetStreamConfig())
	if cfg.ListenAddr != "" {
		cfg.Logger.Info("nats listening", "url", e.clientURL(), "user", User, "auditor_user", AuditorUser)
	}
	return e, nil
}

// waitReady polls until the server accepts connections and JetStream reports itself
// current and healthy (streams recovered), or until timeout or ctx.
func (e *embedded) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	ready := false
	var health string
	for {
		if !ready {
			ready = e.srv.ReadyForConnections(10 * time.Millisecond)
		}
		if ready && e.srv.JetStreamEnabled() && e.srv.JetStreamIsCurrent() {
			h := e.srv.Healthz(&server.HealthzOptions{})
			if h.Error == "" && len(h.Errors) == 0 {
				return nil
			}
			health = h.Error
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("natslog: waiting for the embedded server: %w: %w", ErrUnavailable, err)
		}
		if time.Now().After(deadline) {
			var why []string
			if !ready {
				why = append(why, "not accepting connections")
			} else if !e.srv.JetStreamEnabled() {
				why = append(why, "JetStream not enabled")
			} else {
				why = append(why, "JetStream not healthy: "+health)
			}
			if last := e.log.lastError(); last != "" {
				why = append(why, "last server error: "+last)
			}
			return fmt.Errorf("natslog: embedded server not ready after %v (store %s): %s: %w",
				timeout, e.srv.StoreDir(), strings.Join(why, "; "), ErrUnavailable)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// clientURL is the URL other processes use, or "" when the server does not listen.
func (e *embedded) clientURL() string {
	if e.password == "" {
		return ""
	}
	if a := e.srv.Addr(); a != nil {
		return "nats://" + a.String()
	}
	return e.srv.ClientURL()
}

// shutdown stops the server, waits for it, and releases the store lock.
func (e *embedded) shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	unlockDir(e.lock)
}

// loadOrCreatePassword returns the password in dir/name, creating the directory
// (0700) and a random password file (0600) on first start. The file is created
// atomically: a crash leaves either no file or a complete one.
func loadOrCreatePassword(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	pw, err := readPassword(path)
	if err == nil {
		return pw, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("natslog: create keys dir: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("natslog: generate password: %w", err)
	}
	pw = base64.RawURLEncoding.EncodeToString(raw[:])
	tmp, err := os.CreateTemp(dir, name+".tmp*")
	if err != nil {
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	if _, err := tmp.WriteString(pw + "\n"); err != nil {
		tmp.Close()
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	// Link fails if another process created the file meanwhile: use theirs.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readPassword(path)
		}
		return "", fmt.Errorf("natslog: write password file: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return pw, nil
}

// readPassword reads a password file, refusing one readable by group or others or
// one that is not a password this package wrote.
func readPassword(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("natslog: password file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("natslog: password file %s has mode %v: want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("natslog: password file: %w", err)
	}
	pw := strings.TrimSpace(string(b))
	if raw, err := base64.RawURLEncoding.DecodeString(pw); err != nil || len(raw) < 16 {
		return "", fmt.Errorf("natslog: password file %s is not a password written by climateledger (delete it to generate a new one)", path)
	}
	return pw, nil
}

// serverLogger adapts nats-server's Logger to slog. nats-server hands over printf
// formats; the formatted text becomes the slog message. The listening password is
// redacted should it ever appear.
type serverLogger struct {
	l       *slog.Logger
	secret  string
	secret2 string
	// onStoreFailure, when set, is told the cause of each line that reports a store
	// failure (see storeFailure).
	onStoreFailure atomic.Pointer[func(cause string)]

	mu   sync.Mutex
	last string // the last error or fatal message, for Open's error
}

func (s *serverLogger) Noticef(format string, v ...any) { s.log(slog.LevelInfo, format, v...) }
func (s *serverLogger) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v...) }
func (s *serverLogger) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v...) }
func (s *serverLogger) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v...) }
func (s *serverLogger) Tracef(format string, v ...any)  { s.log(slog.LevelDebug-4, format, v...) }

// Fatalf logs at error level with fatal=true. Unlike nats-server's own logger it
// does not exit the process: Open reports the failure instead.
func (s *serverLogger) Fatalf(format string, v ...any) {
	s.log(slog.LevelError, format, append(v, fatalMark{})...)
}

// fatalMark is appended to Fatalf's arguments to tag the record; it is never
// formatted.
type fatalMark struct{}

func (s *serverLogger) log(level slog.Level, format string, v ...any) {
	fatal := false
	if n := len(v); n > 0 {
		if _, ok := v[n-1].(fatalMark); ok {
			fatal, v = true, v[:n-1]
		}
	}
	enabled := level >= slog.LevelError || s.l.Enabled(context.Background(), level)
	watch := level >= slog.LevelWarn && s.onStoreFailure.Load() != nil
	if !enabled && !watch {
		return
	}
	msg := fmt.Sprintf(format, v...)
	for _, sec := range []string{s.secret, s.secret2} {
		if sec != "" {
			msg = strings.ReplaceAll(msg, sec, "[REDACTED]")
		}
	}
	if level >= slog.LevelError {
		s.mu.Lock()
		s.last = msg
		s.mu.Unlock()
	}
	if watch {
		if cause := storeFailure(msg); cause != "" {
			(*s.onStoreFailure.Load())(cause)
		}
	}
	if !enabled {
		return
	}
	if fatal {
		s.l.Log(context.Background(), level, msg, "fatal", true)
		return
	}
	s.l.Log(context.Background(), level, msg)
}

func (s *serverLogger) lastError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}
