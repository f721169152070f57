package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
)

// MaxEntriesPerRequest bounds GET /v1/log/entries.
const MaxEntriesPerRequest = 1000

// Handler serves the ledger's endpoints. Register it with Routes.
type Handler struct {
	Node *ledger.Node
	// Witnesses, when set, makes GET /v1/checkpoint serve the newest witnessed
	// checkpoint and adds GET /v1/witnesses. Nil: the node has no witnesses.
	Witnesses *Witnesses
}

// Routes registers the ledger's endpoints on mux (Go 1.22 patterns).
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/events", h.submit)
	mux.HandleFunc("GET /v1/events/{id}", h.event)
	mux.HandleFunc("GET /v1/events/{id}/proof", h.eventProof)
	mux.HandleFunc("GET /v1/checkpoint", h.checkpoint)
	mux.HandleFunc("GET /v1/proofs/consistency", h.consistency)
	mux.HandleFunc("GET /v1/log/entries", h.entries)
	mux.HandleFunc("GET /v1/log/rejections", h.rejections)
	mux.HandleFunc("GET /v1/parties/{id}/head", h.head)
	mux.HandleFunc("GET /v1/witnesses", h.witnesses)
}

// SubmitResponse is the body of a successful POST /v1/events: the receipt.
type SubmitResponse = ledger.Receipt

func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 2*events.MaxEntrySize+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		WriteProblem(w, ProblemFor(&ledger.TooLargeError{Size: int(mbe.Limit), Limit: events.MaxEntrySize}))
		return
	}
	if err != nil {
		WriteProblem(w, BadRequest("read body: "+err.Error()))
		return
	}
	rc, recorded, err := h.Node.Submit(r.Context(), body)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	status := http.StatusCreated
	if !recorded {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/v1/events/"+rc.ID)
	WriteJSON(w, status, rc)
}

// EventResponse is the body of GET /v1/events/{id}.
type EventResponse struct {
	// Entry is the stored envelope (the exact bytes, which are JSON).
	Entry json.RawMessage `json:"entry"`
	// Payload is the decoded, signed payload.
	Payload json.RawMessage `json:"payload"`
	Receipt *ledger.Receipt `json:"receipt"`
}

func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	raw, rc, err := h.Node.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	e, err := events.ParseEntry(raw)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	WriteJSON(w, http.StatusOK, EventResponse{Entry: raw, Payload: e.PayloadBytes, Receipt: rc})
}

func (h *Handler) eventProof(w http.ResponseWriter, r *http.Request) {
	raw, rc, err := h.Node.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	text := rc.Proof
	if isTrue(r.URL.Query().Get("witnessed")) {
		if h.Witnesses == nil {
			WriteProblem(w, newProblem(http.StatusNotFound, CodeNoWitnesses, "this node has no witnesses configured: there is no witnessed proof", nil))
			return
		}
		tp, err := h.Node.WitnessedProof(r.Context(), rc.ID)
		if err != nil {
			WriteProblem(w, ProblemFor(err))
			return
		}
		text = string(tp)
	} else if s := r.URL.Query().Get("size"); s != "" {
		size, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			WriteProblem(w, BadRequest("size: not a number"))
			return
		}
		tp, err := h.Node.ProofAt(rc.Index, size, raw)
		if err != nil {
			WriteProblem(w, BadRequest(err.Error()))
			return
		}
		text = string(tp)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", rc.ID+".tlog-proof"))
	io.WriteString(w, text)
}

// checkpoint serves the newest witnessed checkpoint when the node has witnesses (the
// newest log-signed one with ?latest=1), else the newest log-signed checkpoint.
func (h *Handler) checkpoint(w http.ResponseWriter, r *http.Request) {
	cp, _ := h.Node.Checkpoint()
	if h.Witnesses != nil && !isTrue(r.URL.Query().Get("latest")) {
		if cp, _ = h.Node.Witnessed(); cp == nil {
			w.Header().Set("Retry-After", "2")
			WriteProblem(w, ProblemFor(&ledger.NotWitnessedError{Index: -1}))
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(cp)
}

func (h *Handler) consistency(w http.ResponseWriter, r *http.Request) {
	from, err1 := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	to, err2 := strconv.ParseUint(r.URL.Query().Get("to"), 10, 64)
	if err1 != nil || err2 != nil {
		WriteProblem(w, BadRequest("from and to must be tree sizes"))
		return
	}
	hashes, err := h.Node.ConsistencyProof(from, to)
	if err != nil {
		WriteProblem(w, BadRequest(err.Error()))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	var b bytes.Buffer
	for _, x := range hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(x[:]))
		b.WriteByte('\n')
	}
	w.Write(b.Bytes())
}

// entries serves [start, end) as the exact stored bytes, one per line (the format of
// an export's log.jsonl).
func (h *Handler) entries(w http.ResponseWriter, r *http.Request) {
	start, end, p := indexRange(r, h.Node.Applied())
	if p != nil {
		WriteProblem(w, p)
		return
	}
	var b bytes.Buffer
	if start < end {
		err := h.Node.Log().ReadRange(r.Context(), start+1, end, func(_ uint64, raw []byte) error {
			b.Write(raw)
			b.WriteByte('\n')
			return nil
		})
		if err != nil {
			WriteProblem(w, ProblemFor(fmt.Errorf("%w: %v", ledger.ErrUnavailable, err)))
			return
		}
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Write(b.Bytes())
}

func (h *Handler) rejections(w http.ResponseWriter, r *http.Request) {
	start, end, p := indexRange(r, h.Node.Applied())
	if p != nil {
		WriteProblem(w, p)
		return
	}
	rj, err := h.Node.Rejections(start, end)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	if rj == nil {
		rj = []ledger.Rejection{}
	}
	WriteJSON(w, http.StatusOK, rj)
}

// indexRange reads ?start=N&end=M (end exclusive, defaults: 0 and the tree size,
// at most MaxEntriesPerRequest).
func indexRange(r *http.Request, size uint64) (uint64, uint64, *Problem) {
	q := r.URL.Query()
	start, end := uint64(0), size
	var err error
	if s := q.Get("start"); s != "" {
		if start, err = strconv.ParseUint(s, 10, 64); err != nil {
			return 0, 0, BadRequest("start: not an index")
		}
	}
	if s := q.Get("end"); s != "" {
		if end, err = strconv.ParseUint(s, 10, 64); err != nil {
			return 0, 0, BadRequest("end: not an index")
		}
	}
	if end > size {
		end = size
	}
	if start > end {
		return 0, 0, BadRequest(fmt.Sprintf("start %d is after end %d (tree size %d)", start, end, size))
	}
	if end-start > MaxEntriesPerRequest {
		end = start + MaxEntriesPerRequest
	}
	return start, end, nil
}

func (h *Handler) head(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidPartyID(id) {
		WriteProblem(w, BadRequest("party id must match ^[a-z0-9][a-z0-9-]{0,62}$"))
		return
	}
	head, err := h.Node.ChainHead(r.Context(), id)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	WriteJSON(w, http.StatusOK, head)
}
