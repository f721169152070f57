package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/client"
	"github.com/climateledger/climateledger/ledger/natslog"
)

// natsConf renders the nats-server configuration of the cluster recipe in
// docs/OPERATIONS.md (TestClusterRecipeInDocs keeps the two the same).
func natsConf(name string, client, monitor int, storeDir string, cluster int, routes []int) string {
	var rs []string
	for _, p := range routes {
		rs = append(rs, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: climateledger
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, client, monitor, storeDir, cluster, strings.Join(rs, ", "))
}

func TestClusterRecipeInDocs(t *testing.T) {
	doc, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	want := natsConf("nats-1", 4222, 8222, "/var/lib/nats-1", 6222, []int{6222, 6223, 6224})
	if !bytes.Contains(doc, []byte(want)) {
		t.Fatalf("docs/OPERATIONS.md does not hold the cluster recipe's nats-1.conf as the fault test runs it:\n%s", want)
	}
}

var (
	natsServerOnce sync.Once
	natsServerBin  string
	natsServerErr  error
)

// buildNATSServer builds nats-server from the module version in go.mod.
func buildNATSServer(t *testing.T) string {
	natsServerOnce.Do(func() {
		natsServerBin = filepath.Join(filepath.Dir(binary), "nats-server")
		out, err := exec.Command("go", "build", "-o", natsServerBin, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			natsServerErr = fmt.Errorf("build nats-server: %v\n%s", err, out)
		}
	})
	if natsServerErr != nil {
		t.Fatal(natsServerErr)
	}
	return natsServerBin
}

func freePorts(t *testing.T, n int) []int {
	var ports []int
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return ports
}

// natsProc is a nats-server child process of the cluster.
type natsProc struct {
	name, conf, url string
	cmd             *exec.Cmd
	done            chan struct{}
	log             *bytes.Buffer
}

func (p *natsProc) start(t *testing.T, bin string) {
	t.Helper()
	p.cmd = exec.Command(bin, "-c", p.conf)
	p.log = new(bytes.Buffer)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { cmd.Wait(); close(done) }(p.cmd, p.done)
}

func (p *natsProc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// faultRun is what one run of the cluster fault test measured.
type faultRun struct {
	Receipts         int     `json:"receipts"`
	Lost             int     `json:"lost"`
	Rejected         uint64  `json:"rejected"`
	LeaderKilled     string  `json:"leader_killed"`
	LeaderGapSeconds float64 `json:"leader_gap_seconds"`   // SIGKILL of the stream leader to the next receipt
	ElectionSeconds  float64 `json:"election_seconds"`     // SIGKILL of the stream leader to a new leader answering
	NodeGapSeconds   float64 `json:"node_gap_seconds"`     // SIGKILL of a node to the next receipt (through the other node)
	NodeRestartReady float64 `json:"node_restart_seconds"` // restart of the killed node until it serves
	StopLeader       string  `json:"stopped_leader"`
	StopGapSeconds   float64 `json:"stop_gap_seconds"` // SIGTERM (graceful stop) of the stream leader to the next receipt
	Entries          uint64  `json:"entries"`
	Seconds          float64 `json:"seconds"`
}

// TestClusterFaults runs the cluster recipe of docs/OPERATIONS.md: three nats-server
// processes (sync_interval: always, built from the module in go.mod) and two serve
// nodes with --nats (the second without the registrar key), under concurrent
// submissions through both nodes, with two writers per chain (one per node). It
// SIGKILLs the stream leader (then restarts it) and one node (then restarts it), and
// asserts: every acknowledged entry is in the log with its bytes, no entry was
// rejected (no fork: the chains' expectations held), both nodes reach the same
// checkpoint and state digest, and the audit of each node is clean. It reports the
// write unavailability after each kill (CLIMATELEDGER_FAULT_REPORT=FILE appends it as
// JSON, for docs/OPERATIONS.md).
func TestClusterFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a three-server cluster and two nodes for about a minute")
	}
	began := time.Now()
	bin := buildNATSServer(t)
	dir := t.TempDir()
	ports := freePorts(t, 9)
	clientPorts, monitorPorts, routePorts := ports[0:3], ports[3:6], ports[6:9]
	var procs []*natsProc
	var urls []string
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("nats-%d", i+1)
		conf := filepath.Join(dir, name+".conf")
		body := natsConf(name, clientPorts[i], monitorPorts[i], filepath.Join(dir, name), routePorts[i], routePorts)
		if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		p := &natsProc{name: name, conf: conf, url: fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i])}
		p.start(t, bin)
		procs = append(procs, p)
		urls = append(urls, p.url)
	}
	t.Cleanup(func() {
		for _, p := range procs {
			p.kill()
		}
	})
	natsURL := strings.Join(urls, ",")
	nc, err := nats.Connect(natsURL, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	waitCond(t, 60*time.Second, "the JetStream cluster to elect a meta leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := js.AccountInfo(ctx)
		return err == nil
	})

	// Two nodes: the first creates the log; the second gets only the log keys.
	d1, d2 := filepath.Join(dir, "node-1"), filepath.Join(dir, "node-2")
	args := []string{"--nats", natsURL}
	n1 := startServer(t, d1, args...)
	os.MkdirAll(filepath.Join(d2, "keys"), 0o700)
	for _, f := range []string{ledger.LogKeyFile, ledger.LogPubFile} {
		b, err := os.ReadFile(filepath.Join(d1, "keys", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(d2, "keys", f), b, 0o600)
	}
	n2 := startServer(t, d2, args...)
	info, err := js.Stream(context.Background(), natslog.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	if r := info.CachedInfo().Config.Replicas; r != 3 {
		t.Fatalf("the stream was created with %d replicas, want 3 (min(3, servers))", r)
	}

	var nodeURL [2]atomic.Value
	nodeURL[0].Store(n1.url)
	nodeURL[1].Store(n2.url)

	network := adoptServer(t, "cluster", d1, n1.url)
	c1, _ := client.New(n1.url)
	const parties = 3
	for p := 0; p < parties; p++ {
		network.Enroll(fmt.Sprintf("city-%d", p), "City", "", "CN", "city")
		if _, _, err := c1.Submit(context.Background(), network.Entries[len(network.Entries)-1]); err != nil {
			t.Fatal(err)
		}
	}

	type receipt struct {
		start, at time.Time // the submission was sent at start, acknowledged at at
		node      int
		entry     []byte
	}
	var (
		mu       sync.Mutex
		receipts = map[uint64]receipt{}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := 0; w < 2*parties; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			party, node := fmt.Sprintf("city-%d", w/2), w%2
			key := network.Parties[party].Keys[0]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c, _ := client.New(nodeURL[node].Load().(string))
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				head, err := c.Head(ctx, party)
				if err != nil {
					cancel()
					time.Sleep(50 * time.Millisecond)
					continue
				}
				d := &events.Draft{Party: party, Seq: head.Seq + 1, Type: events.TypeEndorsement, Time: time.Now().UTC(),
					Body: &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: fmt.Sprintf("w%d-%d", w, i)}}
				if head.Seq > 0 {
					d.Prev, _ = events.ParseHash(head.Hash)
				}
				payload, err := d.Marshal()
				if err != nil {
					t.Error(err)
					cancel()
					return
				}
				entry := events.Sign(payload, key)
				sent := time.Now()
				rc, _, err := c.Submit(ctx, entry)
				cancel()
				if err != nil {
					var pe *client.ProblemError
					if !errors.As(err, &pe) || pe.Status != 409 {
						time.Sleep(50 * time.Millisecond)
					}
					continue
				}
				mu.Lock()
				receipts[rc.Index] = receipt{start: sent, at: time.Now(), node: node, entry: entry}
				mu.Unlock()
			}
		}(w)
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(receipts) }
	// firstAfter returns the time from t0 to the first receipt of a submission sent
	// after t0 (through node, or either when node is -1): how long writes were
	// unavailable.
	firstAfter := func(t0 time.Time, node int) (time.Duration, bool) {
		mu.Lock()
		defer mu.Unlock()
		best := time.Duration(-1)
		for _, r := range receipts {
			if r.start.After(t0) && (node < 0 || r.node == node) && (best < 0 || r.at.Sub(t0) < best) {
				best = r.at.Sub(t0)
			}
		}
		return best, best >= 0
	}
	waitCond(t, 30*time.Second, "receipts through both nodes", func() bool {
		_, ok0 := firstAfter(began, 0)
		_, ok1 := firstAfter(began, 1)
		return ok0 && ok1 && count() >= 60
	})

	run := faultRun{}
	// 1. SIGKILL the stream leader, then bring it back.
	leader := streamLeader(t, js)
	var victim *natsProc
	for _, p := range procs {
		if p.name == leader {
			victim = p
		}
	}
	if victim == nil {
		t.Fatalf("stream leader %q is not one of the servers", leader)
	}
	run.LeaderKilled = leader
	killed := time.Now()
	victim.kill()
	waitCond(t, 30*time.Second, "a new stream leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		st, err := js.Stream(ctx, natslog.StreamName)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		return err == nil && info.Cluster != nil && info.Cluster.Leader != "" && info.Cluster.Leader != leader
	})
	run.ElectionSeconds = time.Since(killed).Seconds()
	waitCond(t, 30*time.Second, "a receipt after the leader was killed", func() bool {
		_, ok := firstAfter(killed, -1)
		return ok
	})
	gap, _ := firstAfter(killed, -1)
	run.LeaderGapSeconds = gap.Seconds()
	t.Logf("stream leader %s SIGKILLed: first receipt %v later", leader, gap)
	if os.Getenv("CLIMATELEDGER_FAULT_LOGS") != "" {
		time.Sleep(time.Second)
		t.Logf("node 1 log:\n%s\nnode 2 log:\n%s", n1.stderr, n2.stderr)
	}
	victim.start(t, bin)
	waitCond(t, 60*time.Second, "three current replicas again", func() bool { return currentReplicas(js) == 3 })

	// 2. A rolling restart: stop the (new) stream leader gracefully, then restart it.
	before := count()
	waitCond(t, 30*time.Second, "more receipts", func() bool { return count() >= before+30 })
	leader = streamLeader(t, js)
	for _, p := range procs {
		if p.name == leader {
			victim = p
		}
	}
	run.StopLeader = leader
	stopped := time.Now()
	victim.cmd.Process.Signal(syscall.SIGTERM)
	<-victim.done
	waitCond(t, 30*time.Second, "a receipt after the leader was stopped", func() bool {
		_, ok := firstAfter(stopped, -1)
		return ok
	})
	gap, _ = firstAfter(stopped, -1)
	run.StopGapSeconds = gap.Seconds()
	t.Logf("stream leader %s stopped (SIGTERM): first receipt %v later", leader, gap)
	victim.start(t, bin)
	waitCond(t, 60*time.Second, "three current replicas again", func() bool { return currentReplicas(js) == 3 })

	// 3. SIGKILL node 2 under load, then restart it on its data directory.
	before = count()
	waitCond(t, 30*time.Second, "more receipts", func() bool { return count() >= before+30 })
	nodeKilled := time.Now()
	n2.kill()
	waitCond(t, 30*time.Second, "a receipt through node 1 after node 2 was killed", func() bool {
		_, ok := firstAfter(nodeKilled, 0)
		return ok
	})
	gap, _ = firstAfter(nodeKilled, 0)
	run.NodeGapSeconds = gap.Seconds()
	restart := time.Now()
	n2 = startServer(t, d2, args...)
	run.NodeRestartReady = time.Since(restart).Seconds()
	nodeURL[1].Store(n2.url)
	waitCond(t, 30*time.Second, "a receipt through the restarted node 2", func() bool {
		_, ok := firstAfter(restart, 1)
		return ok
	})
	before = count()
	waitCond(t, 30*time.Second, "more receipts", func() bool { return count() >= before+30 })
	close(stop)
	wg.Wait()

	// Both nodes integrate the whole stream and agree.
	last := uint64(0)
	if st, err := js.Stream(context.Background(), natslog.StreamName); err == nil {
		if i, err := st.Info(context.Background()); err == nil {
			last = i.State.LastSeq
		}
	}
	var states [2]struct {
		Index  uint64 `json:"index"`
		Digest string `json:"digest"`
	}
	for i, url := range []string{n1.url, n2.url} {
		c, _ := client.New(url)
		waitCond(t, 30*time.Second, fmt.Sprintf("node %d to integrate all %d entries", i+1, last), func() bool {
			return c.Get(context.Background(), "/v1/state", &states[i]) == nil && states[i].Index == last
		})
	}
	if states[0] != states[1] {
		t.Fatalf("the nodes disagree: %+v and %+v", states[0], states[1])
	}
	logPub, _ := os.ReadFile(filepath.Join(d1, "keys", ledger.LogPubFile))
	var checkpoints [2]string
	for i, url := range []string{n1.url, n2.url} {
		src, err := audit.NewServer(url, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Run(context.Background(), src, audit.Options{LogKey: string(bytes.TrimSpace(logPub))})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK || rep.Entries != last || rep.Rejected != 0 {
			var b bytes.Buffer
			rep.WriteText(&b)
			t.Fatalf("audit of node %d: %s", i+1, b.String())
		}
		checkpoints[i] = rep.Checkpoint.Note
		run.Rejected += rep.Rejected
	}
	if checkpoints[0] != checkpoints[1] {
		t.Fatalf("the nodes' checkpoints differ:\n%s\n%s", checkpoints[0], checkpoints[1])
	}
	entries := readLog(t, n1.url)
	mu.Lock()
	for index, r := range receipts {
		if index >= uint64(len(entries)) || !bytes.Equal(entries[index], r.entry) {
			run.Lost++
		}
	}
	run.Receipts = len(receipts)
	mu.Unlock()
	run.Entries, run.Seconds = last, time.Since(began).Seconds()
	if run.Lost != 0 {
		t.Fatalf("%d of %d acknowledged entries are not in the log with their bytes", run.Lost, run.Receipts)
	}
	for i, url := range []string{n1.url, n2.url} {
		resp, err := httpGet(url + "/readyz")
		if err != nil || resp != 200 {
			t.Fatalf("node %d /readyz = %d (%v) after the faults", i+1, resp, err)
		}
	}
	resp, err := http.Get(n1.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{fmt.Sprintf("climateledger_tree_size %d\n", last), "climateledger_applier_lag_entries 0\n", "climateledger_log_up 1\n",
		`climateledger_submissions_total{outcome="recorded",transport="http"}`} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Fatalf("node 1 /metrics lacks %q", want)
		}
	}
	out, _ := json.Marshal(run)
	t.Logf("cluster fault run: %s", out)
	if f := os.Getenv("CLIMATELEDGER_FAULT_REPORT"); f != "" {
		fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fh.Write(append(out, '\n'))
			fh.Close()
		}
	}
}

// streamLeader returns the name of the server leading the stream.
func streamLeader(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	var leader string
	waitCond(t, 30*time.Second, "the stream to have a leader", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		st, err := js.Stream(ctx, natslog.StreamName)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		if err != nil || info.Cluster == nil {
			return false
		}
		leader = info.Cluster.Leader
		return leader != ""
	})
	return leader
}

// currentReplicas returns the stream's current replicas, the leader included.
func currentReplicas(js jetstream.JetStream) int {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natslog.StreamName)
	if err != nil {
		return 0
	}
	info, err := st.Info(ctx)
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		return 0
	}
	n := 1
	for _, p := range info.Cluster.Replicas {
		if p.Current && !p.Offline {
			n++
		}
	}
	return n
}

func waitCond(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func httpGet(url string) (int, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
