package natslog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func TestOpenCreatesStream(t *testing.T) {
	dir := t.TempDir()
	l := openLog(t, Config{StoreDir: dir})
	ctx := context.Background()

	st, err := l.JetStream().Stream(ctx, StreamName)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	got := info.Config
	// The server records its own version metadata (_nats.*); ours sets none.
	for k := range got.Metadata {
		if strings.HasPrefix(k, "_nats.") {
			delete(got.Metadata, k)
		}
	}
	if len(got.Metadata) == 0 {
		got.Metadata = nil
	}
	want := jetstream.StreamConfig{
		Name:              "LEDGER",
		Description:       "climateledger log: signed, hash-chained entries; append-only",
		Subjects:          []string{"ledger.events.*"},
		Retention:         jetstream.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		Discard:           jetstream.DiscardNew,
		MaxAge:            0,
		MaxMsgsPerSubject: -1,
		MaxMsgSize:        65536 + 1024,
		Storage:           jetstream.FileStorage,
		Replicas:          1,
		NoAck:             false,
		Duplicates:        2 * time.Minute,
		DenyDelete:        true,
		DenyPurge:         true,
		AllowRollup:       false,
		Compression:       jetstream.NoCompression,
		AllowDirect:       true,
		PersistMode:       jetstream.DefaultPersistMode,
		// Group commit.
		AllowAtomicPublish: true,
	}
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		if g, w := gv.Field(i).Interface(), wv.Field(i).Interface(); !reflect.DeepEqual(g, w) {
			t.Errorf("StreamConfig.%s = %#v, want %#v", name, g, w)
		}
	}

	srv := l.Server()
	if srv == nil {
		t.Fatal("Server() = nil in embedded mode")
	}
	jsc := srv.JetStreamConfig()
	if jsc == nil || !jsc.SyncAlways {
		t.Errorf("JetStreamConfig().SyncAlways = false, want true (config %+v)", jsc)
	}
	if !strings.HasPrefix(jsc.StoreDir, dir) {
		t.Errorf("JetStream store dir = %q, want under %q", jsc.StoreDir, dir)
	}
	if a := srv.Addr(); a != nil {
		t.Errorf("server listens on %v by default, want no listener", a)
	}
	if u := l.ClientURL(); u != "" {
		t.Errorf("ClientURL() = %q without ListenAddr, want \"\"", u)
	}
	if n, err := l.LastSeq(ctx); err != nil || n != 0 {
		t.Errorf("LastSeq() = %d, %v; want 0, nil", n, err)
	}
}

// weakStreams are hand-made LEDGER streams that Open must refuse, each with the
// exact mismatched fields Open must name.
var weakStreams = []struct {
	name   string
	mutate func(*jetstream.StreamConfig)
	fields []string
}{
	{"no DenyDelete", func(c *jetstream.StreamConfig) { c.DenyDelete = false }, []string{"DenyDelete"}},
	{"MaxAge", func(c *jetstream.StreamConfig) { c.MaxAge = 24 * time.Hour }, []string{"MaxAge"}},
	{"memory storage", func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage }, []string{"Storage"}},
	{"async persist", func(c *jetstream.StreamConfig) {
		c.PersistMode = jetstream.AsyncPersistMode
		c.AllowAtomicPublish = false // the server refuses both together
	}, []string{"PersistMode"}},
	{"message TTLs", func(c *jetstream.StreamConfig) { c.AllowMsgTTL = true }, []string{"AllowMsgTTL"}},
	{"other subjects", func(c *jetstream.StreamConfig) { c.Subjects = []string{"ledger.events.>"} }, []string{"Subjects"}},
	{"everything at once", func(c *jetstream.StreamConfig) {
		c.DenyDelete = false
		c.DenyPurge = false
		c.AllowRollup = true
		c.AllowDirect = false
		c.MaxMsgs = 1000
		c.MaxBytes = 1 << 30
		c.MaxMsgsPerSubject = 10
		c.MaxAge = time.Hour
		c.Duplicates = time.Minute
		c.MaxMsgSize = 1024
		c.Discard = jetstream.DiscardOld
	}, []string{"MaxMsgs", "MaxBytes", "MaxMsgsPerSubject", "MaxAge", "MaxMsgSize", "Duplicates",
		"DenyDelete", "DenyPurge", "AllowRollup", "AllowDirect"}},
}

func TestOpenRefusesWeakerStream(t *testing.T) {
	ext := startRaw(t, t.TempDir(), true, true)
	_, js := ext.connect(t)
	ctx := context.Background()
	for _, tc := range weakStreams {
		t.Run(tc.name, func(t *testing.T) {
			sc := streamConfig(Config{}.withDefaults())
			tc.mutate(&sc)
			st, err := js.CreateStream(ctx, sc)
			if err != nil {
				t.Fatalf("CreateStream: %v", err)
			}
			defer js.DeleteStream(ctx, StreamName)
			if _, err := js.Publish(ctx, "ledger.events.before", []byte("before")); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			before, err := st.Info(ctx)
			if err != nil {
				t.Fatalf("Info: %v", err)
			}

			l, err := Open(ctx, Config{URL: ext.url})
			if err == nil {
				l.Close()
				t.Fatal("Open accepted a weaker stream")
			}
			var me *StreamMismatchError
			if !errors.As(err, &me) {
				t.Fatalf("Open error = %v (%T), want *StreamMismatchError", err, err)
			}
			var fields []string
			for _, m := range me.Mismatches {
				fields = append(fields, m.Field)
				if !strings.Contains(err.Error(), m.Field+": want ") {
					t.Errorf("error text %q does not name %s", err, m.Field)
				}
			}
			if !slices.Equal(fields, tc.fields) {
				t.Errorf("mismatched fields = %v, want %v", fields, tc.fields)
			}

			after, err := st.Info(ctx)
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			if !reflect.DeepEqual(after.Config, before.Config) {
				t.Errorf("stream config changed by Open:\n got %+v\nwant %+v", after.Config, before.Config)
			}
			if before.State.Msgs == 0 || after.State.Msgs != before.State.Msgs || after.State.LastSeq != before.State.LastSeq {
				t.Errorf("stream state after Open = %d msgs, last %d; want it unchanged from %d msgs, last %d",
					after.State.Msgs, after.State.LastSeq, before.State.Msgs, before.State.LastSeq)
			}
		})
	}
}

// TestOpenRefusesWeakerStreamEmbedded: a weaker stream already in the embedded
// server's store directory is refused and survives unchanged.
func TestOpenRefusesWeakerStreamEmbedded(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	sc := streamConfig(Config{}.withDefaults())
	sc.DenyDelete = false
	sc.MaxAge = time.Hour

	raw := startRaw(t, dir, false, true)
	nc, js := raw.connect(t)
	if _, err := js.CreateStream(ctx, sc); err != nil {
		t.Fatalf("CreateStream: %v", err)
	}
	nc.Close()
	raw.shutdown()

	_, err := Open(ctx, Config{StoreDir: dir})
	var me *StreamMismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Open error = %v, want *StreamMismatchError", err)
	}
	if len(me.Mismatches) != 2 || me.Mismatches[0].Field != "MaxAge" || me.Mismatches[1].Field != "DenyDelete" {
		t.Errorf("mismatches = %v, want MaxAge and DenyDelete", me.Mismatches)
	}

	raw = startRaw(t, dir, false, true)
	_, js = raw.connect(t)
	st, err := js.Stream(ctx, StreamName)
	if err != nil {
		t.Fatalf("Stream: %v", err)
	}
	info := st.CachedInfo()
	if info.Config.DenyDelete || info.Config.MaxAge != time.Hour {
		t.Errorf("stream changed: DenyDelete=%v MaxAge=%v, want false, 1h", info.Config.DenyDelete, info.Config.MaxAge)
	}
}

func TestCheckStream(t *testing.T) {
	cfg := Config{URL: "nats://x", Replicas: 3}.withDefaults()
	info := &jetstream.StreamInfo{Config: streamConfig(cfg)}
	if ms := checkStream(info, cfg); len(ms) != 0 {
		t.Fatalf("checkStream(own config) = %v, want none", ms)
	}
	// Stricter or larger is fine.
	info.Config.Replicas = 5
	info.Config.Duplicates = time.Hour
	info.Config.MaxMsgSize = 1 << 20
	if ms := checkStream(info, cfg); len(ms) != 0 {
		t.Fatalf("checkStream(stronger config) = %v, want none", ms)
	}

	c := &info.Config
	c.Replicas = 1
	c.Retention = jetstream.WorkQueuePolicy
	c.NoAck = true
	c.Sealed = true
	c.AllowMsgCounter = true
	c.AllowMsgSchedules = true
	c.SubjectDeleteMarkerTTL = time.Minute
	c.Mirror = &jetstream.StreamSource{Name: "UPSTREAM"}
	c.Sources = []*jetstream.StreamSource{{Name: "A"}, {Name: "B"}}
	c.SubjectTransform = &jetstream.SubjectTransformConfig{Source: "a.>", Destination: "b.>"}
	c.FirstSeq = 10
	info.State = jetstream.StreamState{Msgs: 5, FirstSeq: 3, LastSeq: 9, NumDeleted: 2}

	var got []string
	for _, m := range checkStream(info, cfg) {
		got = append(got, m.String())
	}
	want := []string{
		"Retention: want Limits, got WorkQueue",
		"Replicas: want >= 3, got 1 (raise the stream's replicas (nats stream edit LEDGER --replicas 3) or start the node with --replicas 1)",
		"NoAck: want false, got true",
		"Sealed: want false, got true",
		"AllowMsgCounter: want false, got true",
		"AllowMsgSchedules: want false, got true",
		"SubjectDeleteMarkerTTL: want 0, got 1m0s",
		"Mirror: want none, got UPSTREAM",
		"Sources: want none, got [A B]",
		"SubjectTransform: want none, got a.> > b.>",
		"FirstSeq: want 0 or 1 (log index = sequence - 1), got 10",
		"State.FirstSeq: want 1, got 3",
		"State.NumDeleted: want 0, got 2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("checkStream:\n got %q\nwant %q", got, want)
	}
}

func TestOpenLocksStoreDir(t *testing.T) {
	dir := t.TempDir()
	openLog(t, Config{StoreDir: dir})
	l, err := Open(context.Background(), Config{StoreDir: dir})
	if err == nil {
		l.Close()
		t.Fatal("a second Open on one store dir succeeded")
	}
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Open error = %v, want ErrUnavailable and \"in use\"", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		fields []string
	}{
		{"embedded ok", Config{StoreDir: "/d"}, nil},
		{"listen ok", Config{StoreDir: "/d", ListenAddr: "4222", KeysDir: "/k"}, nil},
		{"url ok", Config{URL: "nats://h:4222", Replicas: 3, User: "u", Password: "p", TLSCA: "ca.pem"}, nil},
		{"zero", Config{}, []string{"StoreDir"}},
		{"embedded misuse", Config{
			ListenAddr: "nowhere", Replicas: 3, CredsFile: "c", TLSKey: "k",
			DuplicateWindow: -1, MaxMsgSize: -1, StartTimeout: -1, RequestTimeout: -1,
		}, []string{"StoreDir", "ListenAddr", "KeysDir", "Replicas", "CredsFile", "TLSKey",
			"DuplicateWindow", "MaxMsgSize", "StartTimeout", "RequestTimeout"}},
		{"url misuse", Config{
			URL: "nats://h", ListenAddr: ":4222", CredsFile: "c", Password: "p", TLSCert: "c",
			Replicas: 6, MaxMsgSize: 1 << 20,
		}, []string{"ListenAddr", "User", "CredsFile", "TLSCert", "Replicas", "MaxMsgSize"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			var fields []string
			if err != nil {
				var ce *ConfigError
				if !errors.As(err, &ce) {
					t.Fatalf("Validate() = %v (%T), want *ConfigError", err, err)
				}
				for _, p := range ce.Problems {
					fields = append(fields, p.Field)
				}
			}
			if !slices.Equal(fields, tc.fields) {
				t.Errorf("Validate() problems in %v, want %v (error: %v)", fields, tc.fields, err)
			}
		})
	}
	// Open validates too, before touching anything.
	if _, err := Open(context.Background(), Config{}); !errors.As(err, new(*ConfigError)) {
		t.Errorf("Open(Config{}) = %v, want *ConfigError", err)
	}
}

func TestParseListenAddr(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
		ok   bool
	}{
		{"4222", "127.0.0.1", 4222, true},
		{":4222", "127.0.0.1", 4222, true},
		{"0.0.0.0:4222", "0.0.0.0", 4222, true},
		{"127.0.0.1:0", "127.0.0.1", -1, true},
		{"-1", "127.0.0.1", -1, true},
		{"[::1]:4222", "::1", 4222, true},
		{"", "", 0, false},
		{"host", "", 0, false},
		{"host:port", "", 0, false},
		{":70000", "", 0, false},
	}
	for _, tc := range tests {
		host, port, err := parseListenAddr(tc.in)
		if (err == nil) != tc.ok || host != tc.host || port != tc.port {
			t.Errorf("parseListenAddr(%q) = %q, %d, %v; want %q, %d, ok=%v", tc.in, host, port, err, tc.host, tc.port, tc.ok)
		}
	}
}

func TestListenAddr(t *testing.T) {
	dir, keys := t.TempDir(), filepath.Join(t.TempDir(), "keys")
	ctx := context.Background()
	l, err := Open(ctx, Config{StoreDir: dir, ListenAddr: "127.0.0.1:0", KeysDir: keys})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	url := l.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") || strings.HasSuffix(url, ":0") || strings.HasSuffix(url, ":-1") {
		t.Fatalf("ClientURL() = %q, want nats://127.0.0.1:<port>", url)
	}
	pwPath := filepath.Join(keys, PasswordFile)
	fi, err := os.Stat(pwPath)
	if err != nil {
		t.Fatalf("password file: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("password file mode = %v, want 0600", perm)
	}
	raw, err := os.ReadFile(pwPath)
	if err != nil {
		t.Fatal(err)
	}
	pw := strings.TrimSpace(string(raw))

	for _, opts := range [][]nats.Option{
		nil,
		{nats.UserInfo(User, "wrong")},
		{nats.UserInfo("other", pw)},
	} {
		if nc, err := nats.Connect(url, append(opts, nats.MaxReconnects(0))...); err == nil {
			nc.Close()
			t.Errorf("connect without the right credentials succeeded")
		} else if !errors.Is(err, nats.ErrAuthorization) {
			t.Errorf("connect without the right credentials: %v, want authorization violation", err)
		}
	}
	nc, err := nats.Connect(url, nats.UserInfo(User, pw))
	if err != nil {
		t.Fatalf("connect with the password: %v", err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.Stream(ctx, StreamName); err != nil {
		t.Errorf("stream over TCP: %v", err)
	}
	nc.Close()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// The second start reuses the password.
	l = openLog(t, Config{StoreDir: dir, ListenAddr: "-1", KeysDir: keys})
	again, _ := os.ReadFile(pwPath)
	if !bytes.Equal(again, raw) {
		t.Errorf("password file rewritten on restart")
	}
	nc, err = nats.Connect(l.ClientURL(), nats.UserInfo(User, pw))
	if err != nil {
		t.Fatalf("connect after restart: %v", err)
	}
	nc.Close()

	// A password file others can read is refused.
	l.Close()
	if err := os.Chmod(pwPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if l2, err := Open(ctx, Config{StoreDir: dir, ListenAddr: "-1", KeysDir: keys}); err == nil {
		l2.Close()
		t.Errorf("Open accepted a world-readable password file")
	}
}

func TestServerLoggerRedacts(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})
	sl := &serverLogger{l: slog.New(h), secret: "s3cret-pw"}
	sl.Noticef("client %s connected", "a")
	sl.Errorf("auth failed for password %q", "s3cret-pw")
	sl.Tracef("<<- [CONNECT {\"pass\":\"%s\"}]", "s3cret-pw")
	sl.Debugf("debug %d", 1)
	sl.Fatalf("cannot start: %v", "disk full")
	out := buf.String()
	if strings.Contains(out, "s3cret-pw") {
		t.Errorf("log contains the password:\n%s", out)
	}
	for _, want := range []string{
		`level=INFO msg="client a connected"`,
		`level=ERROR msg="auth failed for password \"[REDACTED]\""`,
		`level=ERROR msg="cannot start: disk full" fatal=true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "debug 1") || strings.Contains(out, "CONNECT") {
		t.Errorf("log has debug or trace lines at info level:\n%s", out)
	}
	if got := sl.lastError(); got != "cannot start: disk full" {
		t.Errorf("lastError() = %q", got)
	}
}

// TestOpenExistingOnly: a reader that must not create a log gets ErrNotFound on a
// server without the stream, and the stream is still absent afterwards.
func TestOpenExistingOnly(t *testing.T) {
	ext := startRaw(t, t.TempDir(), true, true)
	_, js := ext.connect(t)
	ctx := context.Background()
	_, err := Open(ctx, Config{URL: ext.url, ExistingOnly: true})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(ExistingOnly) on an empty server: err = %v, want ErrNotFound", err)
	}
	if _, err := js.Stream(ctx, StreamName); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("stream lookup after Open: %v, want ErrStreamNotFound", err)
	}
}
