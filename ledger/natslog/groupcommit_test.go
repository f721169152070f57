package natslog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// appendCall is one Append of a round and its outcome.
type appendCall struct {
	party, id string
	entry     []byte
	expect    uint64
	app       Appended
	err       error
}

// appendRound runs calls concurrently and, with group commit on, lets them go as one
// batch: it holds the committer's only slot (Config.BatchesInFlight 1) until every
// call waits in the queue (one may already be taken by the committer, which then
// waits for the slot), so the committer takes them all at once.
func appendRound(l *Log, calls []*appendCall) {
	g := l.group
	if g != nil {
		g.slots <- struct{}{}
	}
	var done sync.WaitGroup
	for _, c := range calls {
		done.Add(1)
		go func() {
			defer done.Done()
			c.app, c.err = l.Append(context.Background(), c.party, c.id, c.entry, c.expect)
		}()
	}
	if g != nil {
		deadline := time.Now().Add(5 * time.Second)
		stable := 0
		for len(g.queue) < len(calls) && stable < 4 && time.Now().Before(deadline) {
			if len(g.queue) == len(calls)-1 {
				stable++ // the committer holds the first
			} else {
				stable = 0
			}
			time.Sleep(5 * time.Millisecond)
		}
		<-g.slots
	}
	done.Wait()
}

// chainRounds appends rounds of one entry per party, concurrently, until group
// commit has stored at least one batch (and at most 20 rounds), and returns every
// call. heads holds each party's expectation and is advanced.
func chainRounds(t *testing.T, l *Log, parties []string, heads map[string]uint64, tag string) []*appendCall {
	t.Helper()
	var all []*appendCall
	before := l.GroupCommitStats().Batches
	for round := 0; round < 20 && l.GroupCommitStats().Batches == before; round++ {
		all = append(all, chainRoundOnce(t, l, parties, heads, tag+"-"+strconv.Itoa(round))...)
	}
	if l.GroupCommitStats().Batches == before {
		t.Fatalf("no batch formed in 20 rounds of %d concurrent appends", len(parties))
	}
	return all
}

// checkStored reads back every call's sequence: the stream holds exactly these
// entries, each once, on its party's subject with its message id.
func checkStored(t *testing.T, l *Log, calls []*appendCall) {
	t.Helper()
	ctx := context.Background()
	bySeq := map[uint64]*appendCall{}
	for _, c := range calls {
		if c.err != nil {
			continue
		}
		if other := bySeq[c.app.Seq]; other != nil {
			t.Fatalf("%s and %s both answered with seq %d", other.id, c.id, c.app.Seq)
		}
		bySeq[c.app.Seq] = c
	}
	last, err := l.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if last != uint64(len(bySeq)) {
		t.Fatalf("the stream holds %d entries, want %d (one per successful append)", last, len(bySeq))
	}
	for seq := uint64(1); seq <= last; seq++ {
		m, err := l.getMsg(ctx, msgGetRequest{Seq: seq})
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		c := bySeq[seq]
		if c == nil {
			t.Fatalf("seq %d (%s, id %s) was not answered to any append", seq, m.Subject, m.Header.Get(jetstream.MsgIDHeader))
		}
		if m.Subject != SubjectPrefix+c.party || m.Header.Get(jetstream.MsgIDHeader) != c.id || !bytes.Equal(m.Data, c.entry) {
			t.Fatalf("seq %d holds %s id %s %q; the append answered with it was %s id %s %q",
				seq, m.Subject, m.Header.Get(jetstream.MsgIDHeader), m.Data, SubjectPrefix+c.party, c.id, c.entry)
		}
	}
}

func parties(n int) []string {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = fmt.Sprintf("party-%02d", i)
	}
	return ps
}

func TestGroupCommitBatchesConcurrentAppends(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir(), MinBatch: 2})
	ps := parties(32)
	heads := map[string]uint64{}
	calls := chainRounds(t, l, ps, heads, "a")
	checkStored(t, l, calls)
	st := l.GroupCommitStats()
	if st.Entries < 2*st.Batches || st.Fallbacks != 0 {
		t.Fatalf("stats %+v: want batches of at least 2 entries and no fallback", st)
	}
	for _, c := range calls {
		if c.app.Duplicate {
			t.Fatalf("%s answered as a duplicate", c.id)
		}
	}
	// Each chain's expectation still holds across batches: a stale one conflicts.
	_, err := l.Append(context.Background(), "party-00", "stale", []byte("stale"), heads["party-00"]-1)
	var ce *ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("stale expectation: %v, want *ConflictError", err)
	}
}

// A batch holding one stale expectation is refused whole by JetStream; each entry is
// then sent on its own: the stale one conflicts, the others are stored once.
func TestGroupCommitConflictInBatch(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir(), MinBatch: 2})
	ps := parties(16)
	heads := map[string]uint64{}
	calls := chainRounds(t, l, ps, heads, "a")
	stored := len(calls)

	var all []*appendCall
	for round := 0; round < 20 && l.GroupCommitStats().Fallbacks == 0; round++ {
		round := make([]*appendCall, len(ps))
		for i, p := range ps {
			id := fmt.Sprintf("b-%s-%d", p, len(all))
			round[i] = &appendCall{party: p, id: id, entry: []byte("entry " + id), expect: heads[p]}
		}
		round[0].expect = 0 // party-00 has entries: a stale expectation
		appendRound(l, round)
		for _, c := range round {
			if c.party == "party-00" {
				var ce *ConflictError
				if !errors.As(c.err, &ce) || *ce != (ConflictError{Party: "party-00", Expected: 0}) {
					t.Fatalf("stale append: %+v, %v; want *ConflictError", c.app, c.err)
				}
				continue
			}
			if c.err != nil || c.app.Duplicate {
				t.Fatalf("Append(%s): %+v, %v", c.id, c.app, c.err)
			}
			heads[c.party] = c.app.Seq
		}
		all = append(all, round...)
	}
	if l.GroupCommitStats().Fallbacks == 0 {
		t.Fatal("no batch with the stale entry formed in 20 rounds")
	}
	checkStored(t, l, append(calls, all...))
	if last, _ := l.LastSeq(context.Background()); last != uint64(stored+len(all)-len(all)/len(ps)) {
		t.Fatalf("LastSeq %d, want %d", last, stored+len(all)-len(all)/len(ps))
	}
}

// A batch's acknowledgement lost in transit: the batch is stored, and settling each
// entry on its own finds it (a duplicate at its sequence) instead of storing it
// again.
func TestGroupCommitDroppedBatchAck(t *testing.T) {
	var drops atomic.Int32
	l := openLog(t, Config{StoreDir: t.TempDir(), MinBatch: 2, DropBatchAck: func(entries int) bool {
		return drops.Add(1) == 1 // only the first batch's
	}})
	ps := parties(24)
	heads := map[string]uint64{}
	var calls []*appendCall
	for round := 0; round < 20 && drops.Load() == 0; round++ {
		calls = append(calls, chainRoundOnce(t, l, ps, heads, strconv.Itoa(round))...)
	}
	if drops.Load() == 0 {
		t.Fatal("no batch formed in 20 rounds")
	}
	st := l.GroupCommitStats()
	if st.Fallbacks != 1 {
		t.Fatalf("stats %+v: want exactly one fallback (the dropped acknowledgement)", st)
	}
	dups := 0
	for _, c := range calls {
		if c.app.Duplicate {
			dups++
		}
	}
	if dups < 2 {
		t.Fatalf("%d appends answered as duplicates, want the whole dropped batch (at least 2)", dups)
	}
	checkStored(t, l, calls)
	// The log goes on normally.
	checkStored(t, l, append(calls, chainRounds(t, l, ps, heads, "after")...))
}

// chainRoundOnce is one round of chainRounds.
func chainRoundOnce(t *testing.T, l *Log, ps []string, heads map[string]uint64, round string) []*appendCall {
	t.Helper()
	calls := make([]*appendCall, len(ps))
	for i, p := range ps {
		id := fmt.Sprintf("r%s-%s", round, p)
		calls[i] = &appendCall{party: p, id: id, entry: []byte("entry " + id), expect: heads[p]}
	}
	appendRound(l, calls)
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("Append(%s): %v", c.id, c.err)
		}
		heads[c.party] = c.app.Seq
	}
	return calls
}

// A retry of an entry already stored, in a batch with new ones: JetStream refuses the
// whole batch (10201, a message id already stored); the retry is answered as the
// duplicate it is and the new entries are stored once.
func TestGroupCommitRetryInBatch(t *testing.T) {
	l := openLog(t, Config{StoreDir: t.TempDir(), MinBatch: 2})
	ps := parties(16)
	heads := map[string]uint64{}
	first := chainRounds(t, l, ps, heads, "a")
	retried := first[len(first)-1] // its party's head
	var all []*appendCall
	for round := 0; round < 20 && l.GroupCommitStats().Fallbacks == 0; round++ {
		calls := make([]*appendCall, 0, len(ps))
		for _, p := range ps {
			if p == retried.party {
				calls = append(calls, &appendCall{party: p, id: retried.id, entry: retried.entry, expect: retried.expect})
				continue
			}
			id := fmt.Sprintf("b%d-%s", round, p)
			calls = append(calls, &appendCall{party: p, id: id, entry: []byte("entry " + id), expect: heads[p]})
		}
		appendRound(l, calls)
		for _, c := range calls {
			if c.id == retried.id {
				if c.err != nil || c.app != (Appended{Seq: retried.app.Seq, Duplicate: true}) {
					t.Fatalf("retry: %+v, %v; want the original seq %d as a duplicate", c.app, c.err, retried.app.Seq)
				}
				continue
			}
			if c.err != nil || c.app.Duplicate {
				t.Fatalf("Append(%s): %+v, %v", c.id, c.app, c.err)
			}
			heads[c.party] = c.app.Seq
			all = append(all, c)
		}
	}
	if l.GroupCommitStats().Fallbacks == 0 {
		t.Fatal("no batch with the retry formed in 20 rounds")
	}
	checkStored(t, l, append(first, all...))
}

// A stream created without atomic publish (before group commit) gets it on Open;
// with ExistingOnly it is left alone and appends are sent one by one.
func TestGroupCommitOnOlderStream(t *testing.T) {
	ext := startRaw(t, t.TempDir(), true, true)
	_, js := ext.connect(t)
	ctx := context.Background()
	sc := streamConfig(Config{}.withDefaults())
	sc.AllowAtomicPublish = false
	if _, err := js.CreateStream(ctx, sc); err != nil {
		t.Fatal(err)
	}

	ro := openLog(t, Config{URL: ext.url, ExistingOnly: true, MinBatch: 2})
	info, err := ro.stream.Info(ctx)
	if err != nil || info.Config.AllowAtomicPublish {
		t.Fatalf("ExistingOnly changed the stream: allow_atomic %v, %v", info.Config.AllowAtomicPublish, err)
	}
	heads := map[string]uint64{}
	calls := chainRoundOnce(t, ro, parties(8), heads, "0")
	if st := ro.GroupCommitStats(); st.Batches != 0 {
		t.Fatalf("batches on a stream without atomic publish: %+v", st)
	}

	l := openLog(t, Config{URL: ext.url, MinBatch: 2})
	info, err = l.stream.Info(ctx)
	if err != nil || !info.Config.AllowAtomicPublish {
		t.Fatalf("Open did not allow atomic publish: %v, %v", info.Config.AllowAtomicPublish, err)
	}
	checkStored(t, l, append(calls, chainRounds(t, l, parties(8), heads, "b")...))
}

// An append whose ctx ends while it waits in the queue is never sent; Close answers
// what is still queued.
func TestGroupCommitClose(t *testing.T) {
	l, err := Open(context.Background(), Config{StoreDir: t.TempDir(), MinBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Append(ctx, "party-00", "cancelled", []byte("x"), 0); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) || errors.Is(err, ErrOutcomeUnknown) {
		t.Fatalf("cancelled append: %v; want ErrUnavailable with context.Canceled, outcome known", err)
	}
	if last, _ := l.LastSeq(context.Background()); last != 0 {
		t.Fatalf("a cancelled append was stored: LastSeq %d", last)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Append(context.Background(), "party-00", "late", []byte("x"), 0)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("append after Close: %v, want ErrUnavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("append after Close hangs")
	}
}
