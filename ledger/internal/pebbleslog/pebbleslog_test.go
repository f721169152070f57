package pebbleslog

import (
	"errors"
	"log/slog"
	"testing"
	"time"
)

func TestFatalfUnderGuardIsAnError(t *testing.T) {
	var told string
	l := Logger{L: slog.New(slog.DiscardHandler), OnFatal: func(msg string) { told = msg }}
	err := Guard(func() error {
		l.Fatalf("pebble: fatal commit error: %v", "no space left on device")
		return nil
	})
	var fe *FatalError
	if !errors.As(err, &fe) || fe.Msg != "pebble: fatal commit error: no space left on device" {
		t.Fatalf("Guard = %v, want the *FatalError", err)
	}
	if told != fe.Msg {
		t.Fatalf("OnFatal got %q, want %q", told, fe.Msg)
	}
}

func TestFatalfElsewhereParksTheGoroutine(t *testing.T) {
	told := make(chan string, 1)
	l := Logger{L: slog.New(slog.DiscardHandler), OnFatal: func(msg string) { told <- msg }}
	returned := make(chan struct{})
	go func() {
		l.Fatalf("MANIFEST sync failed: %s", "EIO")
		close(returned)
	}()
	if got := <-told; got != "MANIFEST sync failed: EIO" {
		t.Fatalf("OnFatal got %q", got)
	}
	select {
	case <-returned:
		t.Fatal("Fatalf returned")
	case <-time.After(50 * time.Millisecond):
	}
}
