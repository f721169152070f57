package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/audit"
	"github.com/climateledger/climateledger/ledger/client"
)

// binary is the climateledger binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "climateledger-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "climateledger")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a `climateledger serve` child process.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	done   chan error
}

// startServer runs serve on dir and waits until it prints its address.
func startServer(t *testing.T, dir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--data", dir, "--http", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, stderr: new(bytes.Buffer), done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	go func() { s.done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for s.url == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before printing its address: %s", s.stderr)
			}
			if u, found := strings.CutPrefix(line, "climateledger serving on "); found {
				s.url = u
			}
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("serve did not print its address in 60s: %s", s.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		s.done <- err
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM: %s", err, s.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s of SIGTERM")
	}
}

// kill sends SIGKILL and waits for the process to die.
func (s *server) kill() {
	s.cmd.Process.Kill()
	err := <-s.done
	s.done <- err
}

// adoptServer returns a test network that continues the log of the server serving
// url from data directory dir (whose registrar key it signs enrolments with); its
// events carry the current time, whole seconds.
func adoptServer(t *testing.T, seed, dir, url string) *eventtest.Network {
	t.Helper()
	regKey, err := os.ReadFile(filepath.Join(dir, "keys", ledger.RegistrarKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := events.ParseKeyFile(regKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := eventtest.Adopt(seed, reg, readLog(t, url)[0])
	if err != nil {
		t.Fatal(err)
	}
	n.Now, n.Step = time.Now().UTC().Truncate(time.Second), 0
	return n
}

// cli runs the binary with args and returns stdout, failing the test on a non-zero exit.
func cli(t *testing.T, args ...string) []byte {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binary, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("climateledger %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

func TestEndToEndCLI(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, dir)
	key := filepath.Join(t.TempDir(), "ca.key")
	var kg struct{ KeyID, Public string }
	if err := json.Unmarshal(cli(t, "keygen", "--out", key), &kg); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	var enrolled ledger.Receipt
	out := cli(t, "enroll", "--server", srv.url, "--registrar-key", filepath.Join(dir, "keys", "registrar.key"),
		"--party", "us-ca", "--name-en", "California", "--name-zh", "加利福尼亚州", "--country", "US", "--level", "state",
		"--iso3166-2", "US-CA", "--endorsement", "2015-los-angeles:2015-09-15", "--key", key)
	if err := json.Unmarshal(out, &enrolled); err != nil {
		t.Fatalf("enroll output: %v: %s", err, out)
	}
	if enrolled.Party != "us-ca" || enrolled.Seq != 1 || enrolled.Index != 1 {
		t.Fatalf("enrol receipt %+v, want us-ca seq 1 index 1", enrolled)
	}
	body := filepath.Join(t.TempDir(), "inv.json")
	inv := `{"year": 2016, "framework": "IPCC2006", "level": "territorial", "gwp": "AR4", "total_tco2e": 429400000,
	  "source": {"url": "https://ww2.arb.ca.gov/ghg-inventory-data"}}`
	os.WriteFile(body, []byte(inv), 0o644)
	var rc ledger.Receipt
	out = cli(t, "submit", "--server", srv.url, "--key", key, "--party", "us-ca", "--type", "inventory.reported", "--body", body)
	if err := json.Unmarshal(out, &rc); err != nil {
		t.Fatalf("submit output: %v: %s", err, out)
	}
	if rc.Seq != 2 || rc.Index != 2 || rc.Proof == "" || rc.Checkpoint == "" {
		t.Fatalf("receipt %+v, want seq 2 index 2 with proof and checkpoint", rc)
	}
	// Read it back.
	resp, err := http.Get(srv.url + "/v1/events/" + rc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Payload events.Payload  `json:"payload"`
		Receipt *ledger.Receipt `json:"receipt"`
	}
	json.NewDecoder(resp.Body).Decode(&ev)
	resp.Body.Close()
	if ev.Payload.ID != rc.ID || ev.Payload.Type != "inventory.reported" || ev.Receipt == nil || ev.Receipt.Index != 2 {
		t.Fatalf("GET /v1/events/%s = %+v", rc.ID, ev)
	}
	// A bad submission exits non-zero and names the problem.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"year": 2016, "framework": "GPC", "level": "BASIC", "gwp": "AR4", "total_tco2e": 5, "lines": [{"gpc_ref": "I.9.1", "scope": 1, "gas": "CO2", "tco2e": 5}]}`), 0o644)
	cmd := exec.Command(binary, "submit", "--server", srv.url, "--key", key, "--party", "us-ca", "--type", "inventory.reported", "--body", bad)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), "body.lines[0].gpc_ref") {
		t.Fatalf("bad body: err %v, stderr %q; want a failure naming body.lines[0].gpc_ref", err, stderr.String())
	}
	srv.stop(t)
}

// TestCrashKeepsEveryReceipt kills the server with SIGKILL under load and checks that
// every receipt a client received names an entry in the log with the same index and
// bytes, and that the log replays without a rejection: with every append published on
// its own, and with group commit storing atomic batches (checked in /metrics before
// the kill).
func TestCrashKeepsEveryReceipt(t *testing.T) {
	unlimited := []string{"--rate-requests", "0", "--rate-submit", "0", "--rate-party", "0"}
	t.Run("one-by-one", func(t *testing.T) { crashUnderLoad(t, 4, false, append(unlimited, "--group-commit", "1")...) })
	t.Run("group-commit", func(t *testing.T) { crashUnderLoad(t, 24, true, append(unlimited, "--group-commit-min", "2")...) })
}

func crashUnderLoad(t *testing.T, writers int, batched bool, flags ...string) {
	dir := t.TempDir()
	srv := startServer(t, dir, flags...)
	ctx := context.Background()
	c, _ := client.New(srv.url)
	n := adoptServer(t, "crash", dir, srv.url)
	for w := 0; w < writers; w++ {
		n.Enroll(fmt.Sprintf("city-%d", w), "City", "", "CN", "city")
		if _, _, err := c.Submit(ctx, n.Entries[len(n.Entries)-1]); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	receipts := map[uint64][]byte{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			party := fmt.Sprintf("city-%d", w)
			key := n.Parties[party].Keys[0]
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				head, err := c.Head(ctx, party)
				if err != nil {
					return // the server is gone
				}
				d := &events.Draft{Party: party, Seq: head.Seq + 1, Type: events.TypeEndorsement, Time: time.Now().UTC(),
					Body: &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-07", TargetWording: fmt.Sprint(i)}}
				if head.Seq > 0 {
					d.Prev, _ = events.ParseHash(head.Hash)
				}
				payload, err := d.Marshal()
				if err != nil {
					t.Error(err)
					return
				}
				entry := events.Sign(payload, key)
				rc, _, err := c.Submit(ctx, entry)
				var pe *client.ProblemError
				if errors.As(err, &pe) {
					continue
				}
				if err != nil {
					return
				}
				mu.Lock()
				receipts[rc.Index] = entry
				mu.Unlock()
			}
		}(w)
	}
	// Let receipts accumulate, then kill the server mid-load.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		got := len(receipts)
		mu.Unlock()
		if got >= 200 && (!batched || metricValue(t, srv.url, "climateledger_log_batches_total") > 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var batches float64
	if batched {
		batches = metricValue(t, srv.url, "climateledger_log_batches_total")
		if batches == 0 {
			t.Fatal("no atomic batch was stored before the kill")
		}
	}
	srv.kill()
	close(stop)
	wg.Wait()
	if len(receipts) < 10 {
		t.Fatalf("only %d receipts before the kill; the load did not run", len(receipts))
	}

	srv2 := startServer(t, dir)
	c2, _ := client.New(srv2.url)
	entries := readLog(t, srv2.url)
	for index, want := range receipts {
		if index >= uint64(len(entries)) || !bytes.Equal(entries[index], want) {
			t.Fatalf("receipt for index %d: the log (%d entries) does not hold the acknowledged bytes", index, len(entries))
		}
	}
	r := events.NewRegistry()
	for i, raw := range entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			t.Fatalf("entry %d is half-written or corrupt: %v", i, err)
		}
		if f := r.Apply(e); f != nil {
			t.Fatalf("entry %d rejected on replay: %v", i, f)
		}
	}
	for w := 0; w < writers; w++ {
		party := fmt.Sprintf("city-%d", w)
		head, err := c2.Head(ctx, party)
		if err != nil {
			t.Fatal(err)
		}
		if ps := r.Party(party); head.Seq != ps.Seq || head.Hash != ps.Head.String() {
			t.Fatalf("%s: server head %+v, replayed head seq %d hash %s", party, head, ps.Seq, ps.Head)
		}
	}
	t.Logf("%d receipts before SIGKILL (%v atomic batches), %d entries in the log after restart", len(receipts), batches, len(entries))
	srv2.stop(t)
}

// metricValue reads an unlabelled metric from the server's /metrics.
func metricValue(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// readLog reads every entry of a server's log through the auditor's server source.
func readLog(t *testing.T, url string) [][]byte {
	t.Helper()
	src, err := audit.NewServer(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	if err := src.Entries(context.Background(), 0, func(_ uint64, e []byte) error {
		out = append(out, append([]byte(nil), e...))
		return nil
	}); err != nil {
		t.Fatalf("read log: %v", err)
	}
	return out
}
