package natslog

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogOpenLineURL: the "log open" line names the URL other processes can reach:
// the listening address with ListenAddr, and no nats:// URL at all for an embedded
// server without a port (it used to print nats://127.0.0.1:4222, where nothing
// listened).
func TestLogOpenLineURL(t *testing.T) {
	openLine := func(cfg Config) (string, *Log) {
		var buf bytes.Buffer
		cfg.Logger = slog.New(slog.NewTextHandler(&buf, nil))
		l := openLog(t, cfg)
		for _, line := range strings.Split(buf.String(), "\n") {
			if strings.Contains(line, `msg="log open"`) {
				return line, l
			}
		}
		t.Fatalf("no log open line in:\n%s", buf.String())
		return "", nil
	}
	line, _ := openLine(Config{StoreDir: t.TempDir()})
	if strings.Contains(line, "nats://") || !strings.Contains(line, `url="in-process (no NATS port; --nats-listen opens one)"`) {
		t.Errorf("embedded without a port: %s", line)
	}
	line, l := openLine(Config{StoreDir: t.TempDir(), ListenAddr: "127.0.0.1:0", KeysDir: filepath.Join(t.TempDir(), "keys")})
	if want := "url=" + l.ClientURL() + " "; !strings.HasPrefix(l.ClientURL(), "nats://127.0.0.1:") || !strings.Contains(line, want) {
		t.Errorf("listening: %s; want %s", line, want)
	}
}
