package natslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// appendN appends n entries of size bytes round-robin over parties, tracking each
// party's head, and returns all entries by sequence (index 0 = sequence 1).
func appendN(t *testing.T, l *Log, heads map[string]uint64, parties []string, first, n, size int) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	for i := first; i < first+n; i++ {
		p := parties[i%len(parties)]
		e := entryBytes(i, size)
		a, err := l.Append(ctx, p, "id-"+strconv.Itoa(i), e, heads[p])
		if err != nil {
			t.Fatalf("Append #%d: %v", i, err)
		}
		if a.Duplicate || a.Seq != uint64(i+1) {
			t.Fatalf("Append #%d = %+v, want seq %d", i, a, i+1)
		}
		heads[p] = a.Seq
		out = append(out, e)
	}
	return out
}

// readAll returns Read(from) as a slice, checking sequences are consecutive.
func readAll(t *testing.T, l *Log, from uint64) [][]byte {
	t.Helper()
	var out [][]byte
	next := from
	err := l.Read(context.Background(), from, func(seq uint64, entry []byte) error {
		if seq != next {
			return fmt.Errorf("got seq %d, want %d", seq, next)
		}
		next++
		out = append(out, entry)
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%d): %v", from, err)
	}
	return out
}

func equalEntries(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: entry %d differs (%d bytes, want %d)", what, i, len(got[i]), len(want[i]))
		}
	}
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	parties := []string{"us-ca", "cn-gd", "uslax"}
	heads := map[string]uint64{}
	var want [][]byte
	for round := range 5 {
		l, err := Open(ctx, Config{StoreDir: dir})
		if err != nil {
			t.Fatalf("round %d: Open: %v", round, err)
		}
		equalEntries(t, fmt.Sprintf("round %d before appending", round), readAll(t, l, 1), want)
		for p, h := range heads {
			if seq, _, err := l.SubjectHead(ctx, p); err != nil || seq != h {
				t.Fatalf("round %d: SubjectHead(%s) = %d, %v; want %d", round, p, seq, err, h)
			}
		}
		want = append(want, appendN(t, l, heads, parties, len(want), 10, 100+round*300)...)
		if err := l.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
	}
	l := openLog(t, Config{StoreDir: dir})
	equalEntries(t, "after 5 restarts", readAll(t, l, 1), want)
	for i, w := range want {
		got, err := l.Entry(ctx, uint64(i+1))
		if err != nil || !bytes.Equal(got, w) {
			t.Fatalf("Entry(%d) = %d bytes, %v; want the appended bytes", i+1, len(got), err)
		}
	}
}

func TestRead(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir()})
	ctx := context.Background()
	const n = 3000
	want := appendN(t, l, map[string]uint64{}, []string{"a", "b", "c", "d", "e", "f", "g"}, 0, n, 200)

	for _, from := range []uint64{1, 2, 1500, n - 1, n} {
		equalEntries(t, fmt.Sprintf("Read(%d)", from), readAll(t, l, from), want[from-1:])
	}
	if got := readAll(t, l, n+1); len(got) != 0 {
		t.Errorf("Read(%d) past the end gave %d entries", n+1, len(got))
	}
	if err := l.Read(ctx, 0, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("Read(0) = %v, want ErrInvalidArgument", err)
	}

	// ReadRange: inclusive bounds, capped at the last sequence, empty when from > to.
	for _, r := range [][2]uint64{{1, 1}, {2, 10}, {1500, 2100}, {n - 5, n + 40}, {n, n}} {
		var got [][]byte
		if err := l.ReadRange(ctx, r[0], r[1], func(_ uint64, e []byte) error {
			got = append(got, append([]byte(nil), e...))
			return nil
		}); err != nil {
			t.Fatalf("ReadRange(%d, %d): %v", r[0], r[1], err)
		}
		equalEntries(t, fmt.Sprintf("ReadRange(%d, %d)", r[0], r[1]), got, want[r[0]-1:min(r[1], n)])
	}
	calls := 0
	if err := l.ReadRange(ctx, 20, 10, func(uint64, []byte) error { calls++; return nil }); err != nil || calls != 0 {
		t.Errorf("ReadRange(20, 10) = %v after %d calls, want nothing read", err, calls)
	}
	if err := l.ReadRange(ctx, 0, 5, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ReadRange(0, 5) = %v, want ErrInvalidArgument", err)
	}

	// fn's error stops Read and comes back as is.
	stop := errors.New("stop")
	calls = 0
	err := l.Read(ctx, 10, func(seq uint64, _ []byte) error {
		calls++
		if seq == 20 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 11 {
		t.Errorf("Read with failing fn = %v after %d calls, want stop after 11", err, calls)
	}

	// Read ends at the last sequence of when it started.
	var last uint64
	err = l.Read(ctx, n-5, func(seq uint64, _ []byte) error {
		if seq == n-5 {
			if _, err := l.Append(ctx, "late", "late", []byte("late"), 0); err != nil {
				return err
			}
		}
		last = seq
		return nil
	})
	if err != nil || last != n {
		t.Errorf("Read during an append = %v, last %d; want nil, %d", err, last, n)
	}

	// A cancelled Read returns the context's error.
	cctx, cancel := context.WithCancel(ctx)
	err = l.Read(cctx, 1, func(seq uint64, _ []byte) error {
		if seq == 100 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Read = %v, want context.Canceled", err)
	}

	// Finished replays leave no consumers behind.
	info, err := l.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Errorf("%d consumers left after Read", info.State.Consumers)
	}
}

// follower runs Follow in the background and hands over what it delivers.
type follower struct {
	got    chan delivered
	done   chan error
	cancel context.CancelFunc
}

type delivered struct {
	seq   uint64
	entry []byte
}

func follow(l *Log, from uint64) *follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &follower{got: make(chan delivered, 1<<16), done: make(chan error, 1), cancel: cancel}
	go func() {
		f.done <- l.Follow(ctx, from, func(seq uint64, entry []byte, _ uint64) error {
			f.got <- delivered{seq, entry}
			return nil
		})
	}()
	return f
}

// expect receives the next deliveries and checks they are exactly want[from-1:to].
func (f *follower) expect(t *testing.T, want [][]byte, from, to uint64) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for seq := from; seq <= to; seq++ {
		select {
		case d := <-f.got:
			if d.seq != seq {
				t.Fatalf("Follow delivered seq %d, want %d", d.seq, seq)
			}
			if !bytes.Equal(d.entry, want[seq-1]) {
				t.Fatalf("Follow delivered different bytes at %d", seq)
			}
		case err := <-f.done:
			t.Fatalf("Follow returned %v while waiting for %d", err, seq)
		case <-timeout:
			t.Fatalf("Follow: timed out waiting for %d", seq)
		}
	}
}

func TestFollow(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir()})
	ctx := context.Background()
	heads := map[string]uint64{}
	parties := []string{"us-ca", "cn-gd"}
	want := appendN(t, l, heads, parties, 0, 100, 300)

	f := follow(l, 50)
	f.expect(t, want, 50, 100)
	want = append(want, appendN(t, l, heads, parties, 100, 200, 300)...)
	f.expect(t, want, 101, 300)

	// Delete the consumer under it: the ordered consumer recreates itself and
	// resumes after the last delivered sequence.
	st, err := l.JetStream().Stream(ctx, StreamName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for name := range st.ConsumerNames(ctx).Name() {
		names = append(names, name)
	}
	if len(names) != 1 {
		t.Fatalf("consumers = %v, want Follow's one", names)
	}
	if err := st.DeleteConsumer(ctx, names[0]); err != nil {
		t.Fatal(err)
	}
	want = append(want, appendN(t, l, heads, parties, 300, 50, 300)...)
	f.expect(t, want, 301, 350)
	pollUntil(t, 30*time.Second, "a new consumer", func() bool {
		for name := range st.ConsumerNames(ctx).Name() {
			if name != names[0] {
				return true
			}
		}
		return false
	})
	// Nothing repeats: the next delivery is the next new entry.
	want = append(want, appendN(t, l, heads, parties, 350, 1, 300)...)
	f.expect(t, want, 351, 351)

	f.cancel()
	if err := <-f.done; !errors.Is(err, context.Canceled) {
		t.Errorf("Follow after cancel = %v, want context.Canceled", err)
	}
	select {
	case d := <-f.got:
		t.Errorf("Follow delivered %d after the last entry", d.seq)
	default:
	}

	// Following from beyond the end waits for that sequence.
	f = follow(l, 353)
	want = append(want, appendN(t, l, heads, parties, 351, 3, 10)...)
	f.expect(t, want, 353, 354)
	f.cancel()
	<-f.done
}

func TestFollowEndsOnClose(t *testing.T) {
	l, err := Open(context.Background(), Config{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	want := appendN(t, l, map[string]uint64{}, []string{"us-ca"}, 0, 3, 10)
	f := follow(l, 1)
	f.expect(t, want, 1, 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-f.done:
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("Follow after Close = %v, want ErrUnavailable", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Follow did not return after Close")
	}
}

// TestConcurrentAppends: 16 writers on their own chains and 16 racing on one chain.
// Every success on the shared chain had the right expectation, no two entries claim
// one predecessor, and every successful append reads back with its bytes.
func TestConcurrentAppends(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir()})
	ctx := context.Background()
	const writers, perWriter = 16, 20

	type success struct {
		seq, prev uint64
		entry     []byte
	}
	var (
		mu        sync.Mutex
		own       []success
		shared    []success
		conflicts int
		wg        sync.WaitGroup
	)
	errc := make(chan error, 2*writers)
	for w := range writers {
		wg.Add(2)
		go func() { // own chain
			defer wg.Done()
			party := fmt.Sprintf("own-%02d", w)
			var head uint64
			for i := range perWriter {
				e := fmt.Appendf(nil, "%s i=%d prev=%d", party, i, head)
				a, err := l.Append(ctx, party, fmt.Sprintf("o%d-%d", w, i), e, head)
				if err != nil || a.Duplicate {
					errc <- fmt.Errorf("%s #%d: %+v, %v", party, i, a, err)
					return
				}
				mu.Lock()
				own = append(own, success{a.Seq, head, e})
				mu.Unlock()
				head = a.Seq
			}
		}()
		go func() { // racing on "shared"
			defer wg.Done()
			for i := range perWriter {
				head, _, err := l.SubjectHead(ctx, "shared")
				if err != nil {
					errc <- err
					return
				}
				e := fmt.Appendf(nil, "shared w=%d i=%d prev=%d", w, i, head)
				a, err := l.Append(ctx, "shared", fmt.Sprintf("s%d-%d", w, i), e, head)
				mu.Lock()
				switch {
				case errors.Is(err, ErrConflict):
					conflicts++
				case err != nil || a.Duplicate:
					errc <- fmt.Errorf("shared w=%d #%d: %+v, %v", w, i, a, err)
				default:
					shared = append(shared, success{a.Seq, head, e})
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("shared chain: %d appended, %d conflicts", len(shared), conflicts)
	if len(own) != writers*perWriter || len(shared) == 0 || len(shared)+conflicts != writers*perWriter {
		t.Fatalf("own %d (want %d), shared %d + conflicts %d (want %d)", len(own), writers*perWriter, len(shared), conflicts, writers*perWriter)
	}

	// Successful appends on the shared chain form one chain: each expected the one
	// before it.
	sort.Slice(shared, func(i, j int) bool { return shared[i].seq < shared[j].seq })
	var prev uint64
	for _, s := range shared {
		if s.prev != prev {
			t.Fatalf("shared append at %d expected %d, but the chain's previous entry is %d", s.seq, s.prev, prev)
		}
		prev = s.seq
	}

	// The log agrees: reading everything, each chain's entries name their real
	// predecessor, and the log holds exactly the successful appends.
	heads := map[string]uint64{}
	count := map[string]int{}
	err := l.Read(ctx, 1, func(seq uint64, entry []byte) error {
		party, _, _ := strings.Cut(string(entry), " ")
		var claimed uint64
		if _, err := fmt.Sscanf(string(entry[strings.LastIndex(string(entry), "prev="):]), "prev=%d", &claimed); err != nil {
			return fmt.Errorf("seq %d: %q: %v", seq, entry, err)
		}
		if claimed != heads[party] {
			return fmt.Errorf("seq %d on %s claims predecessor %d, chain head was %d", seq, party, claimed, heads[party])
		}
		heads[party] = seq
		count[party]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count["shared"] != len(shared) {
		t.Errorf("log holds %d shared entries, %d appends succeeded", count["shared"], len(shared))
	}
	last, _ := l.LastSeq(ctx)
	if want := uint64(len(own) + len(shared)); last != want {
		t.Errorf("LastSeq() = %d, want %d", last, want)
	}
	for _, s := range append(own, shared...) {
		got, err := l.Entry(ctx, s.seq)
		if err != nil || !bytes.Equal(got, s.entry) {
			t.Errorf("Entry(%d) = %q, %v; want %q", s.seq, got, err, s.entry)
		}
	}
}
