package natslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startCluster starts n in-process nats-servers with JetStream clustered together
// and returns their client URLs once the cluster has a meta leader.
func startCluster(tb testing.TB, n int) []string {
	tb.Helper()
	routePorts := make([]int, n)
	for i := range routePorts {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		routePorts[i] = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	var routes []*url.URL
	for _, p := range routePorts {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	var servers []*server.Server
	var urls []string
	for i := 0; i < n; i++ {
		opts := &server.Options{
			ServerName: fmt.Sprintf("s%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: tb.TempDir(), SyncAlways: true, NoSigs: true, DisableJetStreamBanner: true,
			Cluster: server.ClusterOpts{Name: "test", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:  routes,
		}
		srv, err := server.NewServer(opts)
		if err != nil {
			tb.Fatal(err)
		}
		go srv.Start()
		servers = append(servers, srv)
		tb.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ready, leader := 0, false
		for _, s := range servers {
			if s.ReadyForConnections(10*time.Millisecond) && s.JetStreamIsCurrent() {
				ready++
			}
			leader = leader || s.JetStreamIsLeader()
		}
		if ready == n && leader {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cluster of %d not ready in 60s", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, s := range servers {
		urls = append(urls, s.ClientURL())
	}
	// The meta leader must also have heard from every peer, or placing a stream of n
	// replicas fails ("no suitable peers for placement"): place a probe until it works.
	nc, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe.placement"}, Replicas: n, Storage: jetstream.MemoryStorage})
		if err == nil {
			err = js.DeleteStream(ctx, "PROBE")
		}
		cancel()
		if err == nil {
			return urls
		}
		if time.Now().After(deadline) {
			tb.Fatalf("cluster of %d cannot place a stream of %d replicas: %v", n, n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer collects log output from concurrent goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClusterReplicaDefaults: with no replica count, a new stream on a three-server
// cluster gets three replicas and the log says why; an existing single-replica stream
// is accepted with a warning that names the fix; with --replicas 3 it is refused with
// a message that names the fix.
func TestClusterReplicaDefaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	urls := startCluster(t, 3)
	logs := &lockedBuffer{}
	lg := slog.New(slog.NewTextHandler(logs, nil))

	// Given one URL only, the client learns the others from the servers.
	l := openLog(t, Config{URL: urls[0], Logger: lg})
	info, err := l.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 {
		t.Fatalf("auto replicas on 3 servers: %d, want 3", info.Config.Replicas)
	}
	if !strings.Contains(logs.String(), "min(3, 3 servers in the cluster)") {
		t.Fatalf("the log does not say why it chose 3 replicas:\n%s", logs)
	}
	if err := l.js.DeleteStream(context.Background(), StreamName); err != nil {
		t.Fatal(err)
	}

	// An existing single-replica stream.
	nc, err := nats.Connect(strings.Join(urls, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	r1 := streamConfig(Config{Replicas: 1, DuplicateWindow: DefaultDuplicateWindow, MaxMsgSize: DefaultMaxMsgSize})
	if _, err := js.CreateStream(context.Background(), r1); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, Config{URL: strings.Join(urls, ","), Logger: lg})
	_ = l2
	if !strings.Contains(logs.String(), "single replica in a cluster") || !strings.Contains(logs.String(), "nats stream edit LEDGER --replicas 3") {
		t.Fatalf("no warning naming the fix for R1 in a cluster:\n%s", logs)
	}
	_, err = Open(context.Background(), Config{URL: strings.Join(urls, ","), Replicas: 3})
	var sm *StreamMismatchError
	if !errors.As(err, &sm) || !strings.Contains(err.Error(), "Replicas: want >= 3, got 1 (raise the stream's replicas (nats stream edit LEDGER --replicas 3) or start the node with --replicas 1)") {
		t.Fatalf("Replicas 3 on an R1 stream: %v, want a StreamMismatchError naming the fix", err)
	}
}

// TestSingleServerAutoReplicas: a server outside a cluster gets one replica.
func TestSingleServerAutoReplicas(t *testing.T) {
	raw := startRaw(t, t.TempDir(), true, true)
	l := openLog(t, Config{URL: raw.url})
	info, err := l.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 1 {
		t.Fatalf("auto replicas on a single server: %d, want 1", info.Config.Replicas)
	}
}

// TestGroupCommitOnCluster: on a three-replica stream, batches are stored through the
// stream's Raft group; every append reads back at its sequence, and a dropped batch
// acknowledgement is settled without a duplicate there too.
func TestGroupCommitOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-server cluster")
	}
	urls := startCluster(t, 3)
	var drops int32
	var mu sync.Mutex
	l := openLog(t, Config{URL: strings.Join(urls, ","), MinBatch: 2, DropBatchAck: func(int) bool {
		mu.Lock()
		defer mu.Unlock()
		drops++
		return drops == 2
	}})
	info, err := l.stream.Info(context.Background())
	if err != nil || info.Config.Replicas != 3 || !info.Config.AllowAtomicPublish {
		t.Fatalf("stream: replicas %d, allow_atomic %v, %v; want 3, true", info.Config.Replicas, info.Config.AllowAtomicPublish, err)
	}
	ps := parties(24)
	heads := map[string]uint64{}
	var calls []*appendCall
	for round := 0; round < 20 && l.GroupCommitStats().Batches < 3; round++ {
		calls = append(calls, chainRoundOnce(t, l, ps, heads, strconv.Itoa(round))...)
	}
	st := l.GroupCommitStats()
	// At least the dropped acknowledgement falls back; a replicated stream may also
	// refuse a batch whose subjects it still counts as in flight (10164), which falls
	// back the same way. Either way checkStored finds every entry once.
	if st.Batches < 3 || st.Fallbacks < 1 {
		t.Fatalf("stats %+v: want at least 3 batches and the dropped acknowledgement's fallback", st)
	}
	checkStored(t, l, calls)
}
