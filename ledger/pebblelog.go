package ledger

import (
	"fmt"
	"log/slog"
	"os"
)

// pebbleLogger adapts Pebble's logger to slog: Pebble's chatty info lines go to debug.
type pebbleLogger struct{ lg *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.lg.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.lg.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.lg.Error(fmt.Sprintf(format, args...), "component", "pebble", "fatal", true)
	os.Exit(1)
}
