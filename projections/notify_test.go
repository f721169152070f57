package projections

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/climateledger/climateledger/events"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
	retry           string
	comment         bool
}

// sseClient reads server-sent events from a real HTTP connection.
type sseClient struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

func subscribeSSE(t *testing.T, url, lastEventID string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for k, want := range map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("header %s = %q, want %q", k, got, want)
		}
	}
	c := &sseClient{resp: resp, events: make(chan sseEvent, 1024), cancel: cancel}
	go func() {
		defer close(c.events)
		r := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				c.events <- ev
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.comment = true
			default:
				k, v, _ := strings.Cut(line, ": ")
				switch k {
				case "id":
					ev.id = v
				case "event":
					ev.event = v
				case "data":
					ev.data = v
				case "retry":
					ev.retry = v
				}
			}
		}
	}()
	t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.cancel(); c.resp.Body.Close() }

// next returns the next event that is not a heartbeat or retry hint.
func (c *sseClient) next(t *testing.T, within time.Duration) sseEvent {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatal("the stream ended")
			}
			if ev.comment || ev.retry != "" {
				continue
			}
			return ev
		case <-timer.C:
			t.Fatalf("no event within %v", within)
		}
	}
}

func (c *sseClient) notice(t *testing.T, within time.Duration) Notice {
	t.Helper()
	ev := c.next(t, within)
	var n Notice
	if ev.event != "notice" || json.Unmarshal([]byte(ev.data), &n) != nil || ev.id != strconv.FormatUint(n.Index, 10) {
		t.Fatalf("got event %+v, want a notice with id = its index", ev)
	}
	return n
}

func inventoryFor(year int, total string) *events.InventoryBody {
	return &events.InventoryBody{Year: year, Framework: events.FrameworkIPCC2006, Level: events.InventoryLevelTerritorial, GWP: "AR4", TotalTCO2e: dec(total)}
}

func TestSubscribe(t *testing.T) {
	e := start(t, Config{RingSize: 16, Heartbeat: 100 * time.Millisecond})
	buildGolden(e.net)
	e.flush(t)

	// A live subscriber gets the notice of a new event within a second, and
	// heartbeats and a retry hint.
	all := subscribeSSE(t, e.srv.URL+"/v1/subscribe", "")
	first := <-all.events
	if first.retry != "3000" {
		t.Errorf("first event %+v, want a retry hint of 3000 ms", first)
	}
	szx := subscribeSSE(t, e.srv.URL+"/v1/subscribe?party=cnszx", "")
	e.net.Append("us-ca", inventoryFor(2019, "418150000"))
	sent := time.Now()
	e.flush(t)
	n := all.notice(t, time.Second)
	if d := time.Since(sent); d > time.Second {
		t.Errorf("notice after %v, want within 1s", d)
	}
	want := Notice{Index: uint64(len(e.net.Entries) - 1), EventID: e.net.IDs[len(e.net.IDs)-1], Type: events.TypeInventoryReported, Party: "us-ca", View: "inventories"}
	if n != want {
		t.Fatalf("notice %+v, want %+v", n, want)
	}
	heartbeat := false
	for deadline := time.After(2 * time.Second); !heartbeat; {
		select {
		case ev := <-all.events:
			heartbeat = ev.comment
		case <-deadline:
			t.Fatal("no heartbeat comment within 2s at a 100ms interval")
		}
	}

	// A partnership notifies every partner; the party filter keeps cnszx's.
	e.net.Append("cnszx", &events.PartnershipBody{PartnershipID: "ports", Partners: []string{"cnszx", "uslax"}, Instrument: "joint_project",
		Topics: []string{"ports"}, Signed: "2017-01-01"}, e.net.Parties["cnszx"].Keys[0], e.net.Parties["uslax"].Keys[0])
	e.flush(t)
	if got := szx.notice(t, time.Second); got.Party != "cnszx" || got.View != "partnerships" {
		t.Fatalf("filtered subscriber got %+v, want cnszx's partnership notice", got)
	}
	pIndex := uint64(len(e.net.Entries) - 1)
	var parties []string
	for i := 0; i < 2; i++ {
		got := all.notice(t, time.Second)
		if got.Index != pIndex || got.View != "partnerships" {
			t.Fatalf("notice %+v, want a partnership notice at %d", got, pIndex)
		}
		parties = append(parties, got.Party)
	}
	if strings.Join(parties, ",") != "cnszx,uslax" {
		t.Errorf("partnership notices for %v, want cnszx,uslax", parties)
	}

	// Last-Event-ID resumes from the ring: everything after the id, in order.
	resumed := subscribeSSE(t, e.srv.URL+"/v1/subscribe", strconv.FormatUint(want.Index, 10))
	for _, party := range []string{"cnszx", "uslax"} {
		if got := resumed.notice(t, time.Second); got.Index != pIndex || got.Party != party {
			t.Fatalf("resumed: %+v, want the partnership notice for %s", got, party)
		}
	}
	e.net.Append("uslax", &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15"})
	e.flush(t)
	if got := resumed.notice(t, time.Second); got.Index != pIndex+1 || got.Party != "uslax" || got.View != "parties" {
		t.Fatalf("resumed, then live: %+v", got)
	}

	// An id older than the ring (16 notices) gets a reset event.
	old := subscribeSSE(t, e.srv.URL+"/v1/subscribe", "3")
	ev := old.next(t, time.Second)
	var reset struct {
		Index uint64 `json:"index"`
	}
	if ev.event != "reset" || json.Unmarshal([]byte(ev.data), &reset) != nil || reset.Index != e.node.Applied() || ev.id != strconv.FormatUint(e.node.Applied()-1, 10) {
		t.Fatalf("resume from 3: %+v, want a reset at %d", ev, e.node.Applied())
	}
}

// A subscriber that stops reading never slows the applier: it is dropped when its
// buffer is full.
func TestStalledSubscriber(t *testing.T) {
	e := start(t, Config{SubscriberBuffer: 4})
	e.net.Enroll("us-ca", "California", "", "US", "state")
	e.flush(t)
	stalled, _, _, _ := e.views.hub.subscribe("", false, 0)
	// A real HTTP subscriber that never reads its response.
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/subscribe", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	for y := 1990; y < 2090; y++ {
		e.net.Append("us-ca", inventoryFor(y, "1000"))
	}
	start := time.Now()
	e.flush(t) // appends one by one and waits for the applier
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("100 entries took %v", d)
	}
	received := 0
	for range stalled.ch {
		received++
	}
	if received != 4 {
		t.Fatalf("stalled subscriber got %d notices before being dropped, want its buffer of 4", received)
	}
}

// Notices are published on NATS as projections.<view>.<party>.
func TestNATSNotices(t *testing.T) {
	e := start(t, Config{})
	e.net.Enroll("us-ca", "California", "", "US", "state")
	e.flush(t)
	if err := e.node.Log().Conn().Flush(); err != nil { // the enrolment's notice is out
		t.Fatal(err)
	}
	ch := make(chan *nats.Msg, 16)
	sub, err := e.node.Log().Conn().ChanSubscribe("projections.>", ch)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	e.net.Append("us-ca", &events.TargetSetBody{TargetID: "sb32", Type: events.TargetBaseYearAbsolute, BaseYear: ptr(1990),
		BaseEmissionsTCO2e: dec("431000000"), TargetYear: ptr(2030), ReductionPct: dec("40"), LegalStatus: "law"})
	e.flush(t)
	select {
	case m := <-ch:
		var n Notice
		if m.Subject != "projections.targets.us-ca" || json.Unmarshal(m.Data, &n) != nil || n.Index != 2 || n.Type != events.TypeTargetSet || n.EventID != e.net.IDs[2] {
			t.Fatalf("got %s %s", m.Subject, m.Data)
		}
	case <-time.After(time.Second):
		t.Fatal("no NATS notice within 1s")
	}
}
