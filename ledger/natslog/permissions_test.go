package natslog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestListenPermissions: a listening embedded server has exactly two users. The
// nodes' user writes the log; the auditor user reads it (single messages, ordered
// consumers, chain heads) and is refused by the server when it publishes to
// ledger.events.>, submits, or changes the stream; the log is unchanged.
func TestListenPermissions(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	ctx := context.Background()
	l := openLog(t, Config{StoreDir: t.TempDir(), ListenAddr: "127.0.0.1:0", KeysDir: keys})
	for i := range 3 {
		if _, err := l.Append(ctx, "us-ca", "id-"+string(rune('a'+i)), entryBytes(i, 100), uint64(i)); err != nil {
			t.Fatalf("node append %d: %v", i, err)
		}
	}
	url := l.ClientURL()
	readPW := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(keys, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	nodePW, auditorPW := readPW(PasswordFile), readPW(AuditorPasswordFile)
	if nodePW == auditorPW {
		t.Fatal("the node and auditor passwords are the same")
	}
	if fi, _ := os.Stat(filepath.Join(keys, AuditorPasswordFile)); fi.Mode().Perm() != 0o600 {
		t.Errorf("auditor password file mode %v, want 0600", fi.Mode().Perm())
	}

	// The auditor reads everything through natslog itself.
	var arLog bytes.Buffer
	ar, err := Open(ctx, Config{URL: url, User: AuditorUser, Password: auditorPW, ExistingOnly: true,
		Logger: slog.New(slog.NewTextHandler(&arLog, nil))})
	if err != nil {
		t.Fatalf("open the log as the auditor: %v", err)
	}
	var got [][]byte
	if err := ar.Read(ctx, 1, func(_ uint64, e []byte) error { got = append(got, bytes.Clone(e)); return nil }); err != nil {
		t.Fatalf("auditor Read: %v", err)
	}
	if len(got) != 3 || !bytes.Equal(got[2], entryBytes(2, 100)) {
		t.Fatalf("auditor read %d entries, want the 3 appended", len(got))
	}
	if seq, _, err := ar.SubjectHead(ctx, "us-ca"); err != nil || seq != 3 {
		t.Fatalf("auditor SubjectHead = %d, %v; want 3", seq, err)
	}
	if e, err := ar.Entry(ctx, 1); err != nil || !bytes.Equal(e, entryBytes(0, 100)) {
		t.Fatalf("auditor Entry(1): %v", err)
	}
	ar.Close()
	if strings.Contains(strings.ToLower(arLog.String()), "permission") {
		t.Errorf("the auditor's reads met permission errors:\n%s", arLog.String())
	}

	// Writes as the auditor: each is refused by the server.
	asyncErrs := make(chan error, 16)
	nc, err := nats.Connect(url, nats.UserInfo(AuditorUser, auditorPW), nats.MaxReconnects(0),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { asyncErrs <- err }))
	if err != nil {
		t.Fatalf("connect as the auditor: %v", err)
	}
	defer nc.Close()
	if err := nc.Publish(SubjectPrefix+"us-ca", []byte("forged")); err != nil {
		t.Fatalf("core publish: %v", err)
	}
	nc.Flush()
	select {
	case err := <-asyncErrs:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), `"ledger.events.us-ca"`) {
			t.Errorf("core publish to ledger.events.us-ca: server said %v, want a permissions violation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("core publish to ledger.events.us-ca as the auditor: no permissions violation from the server")
	}
	js, _ := jetstream.New(nc)
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if ack, err := js.Publish(pctx, SubjectPrefix+"us-ca", []byte("forged"), jetstream.WithMsgID("forged-1")); err == nil {
		t.Errorf("JetStream publish as the auditor acknowledged at seq %d", ack.Sequence)
	}
	if _, err := nc.Request("ledger.submit", []byte("{}"), time.Second); err == nil {
		t.Errorf("ledger.submit as the auditor got an answer")
	}
	if err := js.DeleteStream(pctx, StreamName); err == nil {
		t.Errorf("the auditor deleted the stream")
	}
	if _, err := js.UpdateStream(pctx, jetstream.StreamConfig{Name: StreamName, Subjects: []string{"x.>"}}); err == nil {
		t.Errorf("the auditor updated the stream")
	}

	// The log is as the node left it.
	if last, err := l.LastSeq(ctx); err != nil || last != 3 {
		t.Fatalf("log last seq = %d, %v after the auditor's writes; want 3", last, err)
	}

	// The nodes' user may publish (that is how a second node appends).
	ncNode, err := nats.Connect(url, nats.UserInfo(User, nodePW))
	if err != nil {
		t.Fatalf("connect as the node user: %v", err)
	}
	defer ncNode.Close()
	jsNode, _ := jetstream.New(ncNode)
	if ack, err := jsNode.Publish(ctx, SubjectPrefix+"uslax", entryBytes(9, 50), jetstream.WithMsgID("node-2")); err != nil || ack.Sequence != 4 {
		t.Fatalf("publish as the node user: %+v, %v; want seq 4", ack, err)
	}
}
