package projections

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Views named in change notices: the NATS subject is projections.<view>.<party>.
const (
	viewParties      = "parties"
	viewTargets      = "targets"
	viewInventories  = "inventories"
	viewPlans        = "plans"
	viewPartnerships = "partnerships"
	viewAttestations = "attestations"
)

// SubjectPrefix starts the NATS subject of every change notice.
const SubjectPrefix = "projections."

// Notice says that a view of a party changed with the entry at Index. It is
// published on NATS as projections.<View>.<Party> and sent to SSE subscribers of
// GET /v1/subscribe with the SSE id Index.
type Notice struct {
	Index   uint64 `json:"index"`
	EventID string `json:"event_id"`
	Type    string `json:"type"`
	// Party is the party whose view changed (for a partnership, each partner; for an
	// attestation, the verifier and the subject's party).
	Party string `json:"party"`
	View  string `json:"view"`
}

// Subject returns the notice's NATS subject.
func (n Notice) Subject() string { return SubjectPrefix + n.View + "." + n.Party }

// hub keeps the recent notices and fans them out to SSE subscribers. publish never
// blocks: a subscriber whose buffer is full is dropped (its channel closed) and can
// resume with Last-Event-ID. Safe for concurrent use.
type hub struct {
	size, buffer int

	mu sync.Mutex // guards the fields below
	// ring holds the latest notices in index order, at most size of them.
	ring []Notice
	// floor: every notice with index > floor is in ring (or not yet committed); -1
	// when the hub has seen the log from its start. known is false until the hub
	// learns where the log is.
	floor int64
	// last is the index of the last committed entry (-1 before the first).
	last  int64
	known bool
	subs  map[*subscriber]struct{}
}

type subscriber struct {
	party string
	ch    chan Notice
}

func newHub(size, buffer int) *hub {
	return &hub{size: size, buffer: buffer, floor: -1, last: -1, subs: map[*subscriber]struct{}{}}
}

// start tells the hub that entries before applied were committed before it ran.
func (h *hub) start(applied uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known {
		h.known = true
		h.floor, h.last = int64(applied)-1, int64(applied)-1
	}
}

// publish records the notices of a committed group of entries first..last, and
// sends them to the subscribers.
func (h *hub) publish(first, last uint64, ns []Notice) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known {
		h.known = true
		h.floor = int64(first) - 1
	}
	h.last = int64(last)
	h.ring = append(h.ring, ns...)
	if over := len(h.ring) - h.size; over > 0 {
		h.floor = max(h.floor, int64(h.ring[over-1].Index))
		// Drop the oldest by reslicing: append copies the kept notices into a new
		// array only when the old one is full, not on every group.
		clear(h.ring[:over]) // let their strings go
		h.ring = h.ring[over:]
	}
	for s := range h.subs {
		for _, n := range ns {
			if s.party != "" && n.Party != s.party {
				continue
			}
			select {
			case s.ch <- n:
			default:
				close(s.ch)
				delete(h.subs, s)
			}
			if _, ok := h.subs[s]; !ok {
				break
			}
		}
	}
}

// subscribe registers a subscriber. With resume, it also returns the notices after
// lastSeen, or reset = true when the hub cannot tell what the subscriber missed.
// last is the index of the last committed entry.
func (h *hub) subscribe(party string, resume bool, lastSeen int64) (s *subscriber, backlog []Notice, reset bool, last int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s = &subscriber{party: party, ch: make(chan Notice, h.buffer)}
	h.subs[s] = struct{}{}
	if resume {
		if !h.known || lastSeen < h.floor || lastSeen > h.last {
			return s, nil, true, h.last
		}
		for _, n := range h.ring {
			if int64(n.Index) > lastSeen && (party == "" || n.Party == party) {
				backlog = append(backlog, n)
			}
		}
	}
	return s, backlog, false, h.last
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// closeAll ends every subscription (at shutdown).
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		delete(h.subs, s)
		close(s.ch)
	}
}

// subscribe serves GET /v1/subscribe: server-sent events, one "notice" event per
// Notice (SSE id = log index), a "reset" event when a Last-Event-ID is older than
// the notices kept (or unknown: refetch, then follow), heartbeat comments, and a
// retry hint.
func (v *Views) subscribe(w http.ResponseWriter, r *http.Request) {
	party := r.URL.Query().Get("party")
	if party != "" && !validPartyParam(party) {
		writeProblem(w, badRequest("party must match ^[a-z0-9][a-z0-9-]{0,62}$"))
		return
	}
	resume, lastSeen := false, int64(0)
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		n, err := strconv.ParseInt(id, 10, 64)
		resume, lastSeen = true, n
		if err != nil {
			lastSeen = -2 // unknown: reset
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)

	s, backlog, reset, last := v.hub.subscribe(party, resume, lastSeen)
	defer v.hub.unsubscribe(s)
	write := func(format string, args ...any) bool {
		rc.SetWriteDeadline(time.Now().Add(v.cfg.WriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: %d\n\n", v.cfg.Retry.Milliseconds()) {
		return
	}
	if reset {
		data, _ := json.Marshal(map[string]any{"index": last + 1, "reason": "the notices after Last-Event-ID are no longer kept: refetch the views, then follow"})
		if !write("id: %d\nevent: reset\ndata: %s\n\n", last, data) {
			return
		}
	}
	send := func(n Notice) bool {
		data, _ := marshal(n)
		return write("id: %d\nevent: notice\ndata: %s\n\n", n.Index, data)
	}
	for _, n := range backlog {
		if !send(n) {
			return
		}
	}
	tick := time.NewTicker(v.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case n, ok := <-s.ch:
			if !ok {
				return // dropped (too slow) or shutting down: the client resumes
			}
			if !send(n) {
				return
			}
		case <-tick.C:
			if !write(": heartbeat\n\n") {
				return
			}
		}
	}
}
