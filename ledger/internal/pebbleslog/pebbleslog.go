// Package pebbleslog adapts Pebble's logger interface to log/slog, for every Pebble
// store of the node and the witness: Pebble's chatty info lines go to debug.
package pebbleslog

import (
	"fmt"
	"log/slog"
	"os"
)

// Logger is a pebble.Logger writing to an slog.Logger.
type Logger struct{ L *slog.Logger }

// Infof logs at debug level.
func (p Logger) Infof(format string, args ...any) {
	p.L.Debug(fmt.Sprintf(format, args...), "component", "pebble")
}

// Errorf logs at error level.
func (p Logger) Errorf(format string, args ...any) {
	p.L.Error(fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf logs at error level and exits the process, as Pebble expects of a Fatalf.
func (p Logger) Fatalf(format string, args ...any) {
	p.L.Error(fmt.Sprintf(format, args...), "component", "pebble", "fatal", true)
	os.Exit(1)
}
