package natslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAppend(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir(), MaxMsgSize: 1000})
	ctx := context.Background()

	mustAppend := func(party, id string, entry []byte, expect uint64, want Appended) {
		t.Helper()
		got, err := l.Append(ctx, party, id, entry, expect)
		if err != nil || got != want {
			t.Fatalf("Append(%q, %q, expect %d) = %+v, %v; want %+v, nil", party, id, expect, got, err, want)
		}
	}
	wantLast := func(want uint64) {
		t.Helper()
		if got, err := l.LastSeq(ctx); err != nil || got != want {
			t.Fatalf("LastSeq() = %d, %v; want %d", got, err, want)
		}
	}

	// Sequences increase across parties; each party's chain checks its own head.
	mustAppend("us-ca", "e1", []byte("one"), 0, Appended{Seq: 1})
	mustAppend("us-ca", "e2", []byte("two"), 1, Appended{Seq: 2})
	mustAppend("cn-bj", "e3", []byte("three"), 0, Appended{Seq: 3})
	mustAppend("us-ca", "e4", []byte("four"), 2, Appended{Seq: 4})
	wantLast(4)

	t.Run("conflict", func(t *testing.T) {
		for _, tc := range []struct {
			party  string
			expect uint64
		}{
			{"us-ca", 2},  // stale head
			{"us-ca", 0},  // "new party" for an existing one
			{"us-ca", 3},  // another party's sequence
			{"us-ca", 99}, // the future
			{"us-ny", 1},  // a head for a party with no entries
		} {
			_, err := l.Append(ctx, tc.party, "c-"+tc.party, []byte("x"), tc.expect)
			var ce *ConflictError
			if !errors.As(err, &ce) || *ce != (ConflictError{Party: tc.party, Expected: tc.expect}) {
				t.Errorf("Append(%q, expect %d) error = %v, want *ConflictError{%s %d}", tc.party, tc.expect, err, tc.party, tc.expect)
			}
			if !errors.Is(err, ErrConflict) || errors.Is(err, ErrUnavailable) {
				t.Errorf("conflict error %v: Is(ErrConflict)=%v Is(ErrUnavailable)=%v", err, errors.Is(err, ErrConflict), errors.Is(err, ErrUnavailable))
			}
		}
		wantLast(4)
	})

	t.Run("duplicate", func(t *testing.T) {
		// A retry after a lost ack: same id, same (now stale) expectation.
		mustAppend("us-ca", "e4", []byte("four"), 2, Appended{Seq: 4, Duplicate: true})
		// Same id, current expectation: JetStream's own dedup answers.
		mustAppend("us-ca", "e4", []byte("four"), 4, Appended{Seq: 4, Duplicate: true})
		// The chain moved on after the lost-ack append: still found.
		mustAppend("us-ca", "e2", []byte("two"), 1, Appended{Seq: 2, Duplicate: true})
		wantLast(4)
	})

	t.Run("size", func(t *testing.T) {
		max := bytes.Repeat([]byte{0xff}, 1000)
		mustAppend("cn-bj", "big", max, 3, Appended{Seq: 5}) // headers do not count against MaxMsgSize
		got, err := l.Entry(ctx, 5)
		if err != nil || !bytes.Equal(got, max) {
			t.Fatalf("Entry(5) = %d bytes, %v; want the 1000-byte entry", len(got), err)
		}
		_, err = l.Append(ctx, "cn-bj", "too-big", append(max, 0), 5)
		var te *TooLargeError
		if !errors.As(err, &te) || *te != (TooLargeError{Size: 1001, Max: 1000}) || !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("oversize Append error = %v, want *TooLargeError{1001 1000}", err)
		}
		if _, err := l.Append(ctx, "cn-bj", "empty", nil, 5); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("empty Append error = %v, want ErrInvalidArgument", err)
		}
		wantLast(5)
	})

	t.Run("party", func(t *testing.T) {
		for _, p := range []string{"", "US-CA", "-us", "us_ca", "us.ca", "us*", "us>", "us ca", "üs", strings.Repeat("a", 64)} {
			_, err := l.Append(ctx, p, "p", []byte("x"), 0)
			var pe *PartyError
			if !errors.As(err, &pe) || pe.Party != p || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Append(party %q) error = %v, want *PartyError", p, err)
			}
			if _, _, err := l.SubjectHead(ctx, p); !errors.As(err, &pe) {
				t.Errorf("SubjectHead(%q) error = %v, want *PartyError", p, err)
			}
		}
		wantLast(5)
		for i, p := range []string{"a", "0", "a-", "0-0", strings.Repeat("z", 63)} {
			mustAppend(p, "ok-"+p, []byte(p), 0, Appended{Seq: uint64(6 + i)})
		}
	})

	t.Run("msg id", func(t *testing.T) {
		for _, id := range []string{"", "has space", "tab\t", "nl\n", "é", strings.Repeat("x", 129)} {
			_, err := l.Append(ctx, "us-tx", id, []byte("x"), 0)
			var me *MsgIDError
			if !errors.As(err, &me) || me.MsgID != id || !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("Append(msgID %q) error = %v, want *MsgIDError", id, err)
			}
		}
		mustAppend("us-tx", strings.Repeat("x", 128), []byte("x"), 0, Appended{Seq: 11})
	})

	t.Run("reads", func(t *testing.T) {
		seq, entry, err := l.SubjectHead(ctx, "us-ca")
		if err != nil || seq != 4 || string(entry) != "four" {
			t.Errorf("SubjectHead(us-ca) = %d, %q, %v; want 4, four", seq, entry, err)
		}
		seq, entry, err = l.SubjectHead(ctx, "nobody")
		if err != nil || seq != 0 || entry != nil {
			t.Errorf("SubjectHead(nobody) = %d, %q, %v; want 0, nil, nil", seq, entry, err)
		}
		for seq, want := range map[uint64]string{1: "one", 2: "two", 3: "three", 4: "four"} {
			if got, err := l.Entry(ctx, seq); err != nil || string(got) != want {
				t.Errorf("Entry(%d) = %q, %v; want %q", seq, got, err, want)
			}
		}
		for _, seq := range []uint64{0, 12, 1 << 40} {
			if _, err := l.Entry(ctx, seq); !errors.Is(err, ErrNotFound) {
				t.Errorf("Entry(%d) error = %v, want ErrNotFound", seq, err)
			}
		}
	})
}

// TestAppendRetryIsIdempotent: retrying with the same arguments after an unknown
// outcome never appends twice, whoever appended in between.
func TestAppendRetryIsIdempotent(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir()})
	ctx := context.Background()
	var head uint64
	for i := range 40 { // more than maxDupScan later entries
		a, err := l.Append(ctx, "us-wa", fmt.Sprintf("w%d", i), []byte{byte(i)}, head)
		if err != nil {
			t.Fatal(err)
		}
		head = a.Seq
	}
	for i, want := range map[int]Appended{
		39: {Seq: 40, Duplicate: true}, // the head
		30: {Seq: 31, Duplicate: true}, // within 16 entries after its expectation
		10: {Seq: 11, Duplicate: true},
	} {
		got, err := l.Append(ctx, "us-wa", fmt.Sprintf("w%d", i), []byte{byte(i)}, uint64(i))
		if err != nil || got != want {
			t.Errorf("retry of w%d = %+v, %v; want %+v", i, got, err, want)
		}
	}
	// Beyond the scan window the retry is a plain conflict (the caller reconciles
	// by the id); it still appends nothing.
	if _, err := l.Append(ctx, "us-wa", "w30", []byte{30}, 0); !errors.Is(err, ErrConflict) {
		t.Errorf("retry of w30 expecting 0 = %v, want a conflict", err)
	}
	if n, _ := l.LastSeq(ctx); n != 40 {
		t.Errorf("LastSeq() = %d after retries, want 40", n)
	}
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()

	t.Run("closed", func(t *testing.T) {
		l, err := Open(ctx, Config{StoreDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("second Close() = %v", err)
		}
		_, err = l.Append(ctx, "us-ca", "x", []byte("x"), 0)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("Append after Close = %v, want ErrUnavailable (not outcome unknown)", err)
		}
		if _, err := l.LastSeq(ctx); !errors.Is(err, ErrUnavailable) {
			t.Errorf("LastSeq after Close = %v, want ErrUnavailable", err)
		}
		if _, err := l.Entry(ctx, 1); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Entry after Close = %v, want ErrUnavailable", err)
		}
		if err := l.Read(ctx, 1, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Read after Close = %v, want ErrUnavailable", err)
		}
	})

	t.Run("server gone", func(t *testing.T) {
		ext := startRaw(t, t.TempDir(), true, true)
		l := openLog(t, Config{URL: ext.url, RequestTimeout: 500 * time.Millisecond})
		if _, err := l.Append(ctx, "us-ca", "a", []byte("a"), 0); err != nil {
			t.Fatal(err)
		}
		ext.shutdown()
		_, err := l.Append(ctx, "us-ca", "b", []byte("b"), 1)
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Append with the server gone = %v, want ErrUnavailable", err)
		}
		if _, _, err := l.SubjectHead(ctx, "us-ca"); !errors.Is(err, ErrUnavailable) {
			t.Errorf("SubjectHead with the server gone = %v, want ErrUnavailable", err)
		}
		if _, err := l.Entry(ctx, 1); !errors.Is(err, ErrUnavailable) {
			t.Errorf("Entry with the server gone = %v, want ErrUnavailable", err)
		}
	})
}
