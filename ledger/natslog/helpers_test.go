package natslog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// openLog opens a Log for the test and closes it at cleanup.
func openLog(tb testing.TB, cfg Config) *Log {
	tb.Helper()
	l, err := Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return l
}

// rawServer is a plain nats-server with JetStream, configured by the test rather than
// by this package: the "existing deployment" of URL mode, or a hand-made store.
type rawServer struct {
	srv *server.Server
	url string
}

// startRaw starts a nats-server with JetStream on storeDir. With listen it takes a
// random loopback port; otherwise it opens none and serves in-process clients.
func startRaw(tb testing.TB, storeDir string, listen, syncAlways bool) *rawServer {
	tb.Helper()
	opts := &server.Options{
		ServerName:             "raw",
		JetStream:              true,
		StoreDir:               storeDir,
		SyncAlways:             syncAlways,
		NoSigs:                 true,
		DisableJetStreamBanner: true,
		DontListen:             !listen,
		Host:                   "127.0.0.1",
		Port:                   -1,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	go srv.Start()
	deadline := time.Now().Add(20 * time.Second)
	for !srv.ReadyForConnections(10*time.Millisecond) || !srv.JetStreamEnabled() ||
		srv.Healthz(&server.HealthzOptions{}).Error != "" {
		if time.Now().After(deadline) {
			srv.Shutdown()
			tb.Fatalf("raw server not ready")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := &rawServer{srv: srv}
	if listen {
		r.url = srv.ClientURL()
	}
	tb.Cleanup(r.shutdown)
	return r
}

func (r *rawServer) shutdown() {
	r.srv.Shutdown()
	r.srv.WaitForShutdown()
}

// connect returns a plain client of the raw server and its JetStream context.
func (r *rawServer) connect(tb testing.TB) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	var nc *nats.Conn
	var err error
	if r.url != "" {
		nc, err = nats.Connect(r.url)
	} else {
		nc, err = nats.Connect("", nats.InProcessServer(r.srv))
	}
	if err != nil {
		tb.Fatalf("connect raw server: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// entryBytes returns deterministic binary test bytes for entry i: every byte value
// appears, including NUL, CR and LF, so comparisons are byte-for-byte meaningful.
func entryBytes(i, size int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 0x636c696d617465))
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(r.Uint32())
	}
	copy(b, fmt.Sprintf("entry %d|", i))
	return b
}

// pollUntil polls cond every 5ms until it holds or the timeout expires.
func pollUntil(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
