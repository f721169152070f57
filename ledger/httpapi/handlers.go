package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

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
	// Limiter, when set, applies its per-party budget to submissions (the
	// per-address limits apply in Edge).
	Limiter *Limiter
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
	if p := checkJSONMediaType(r.Header.Get("Content-Type")); p != nil {
		WriteProblem(w, p)
		return
	}
	if r.ContentLength > ledger.MaxSubmissionSize {
		WriteProblem(w, ProblemFor(&ledger.TooLargeError{Size: int(min(r.ContentLength, 1<<62)), Limit: ledger.MaxSubmissionSize}))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ledger.MaxSubmissionSize))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		WriteProblem(w, ProblemFor(&ledger.TooLargeError{Size: -1, Limit: ledger.MaxSubmissionSize}))
		return
	}
	if err != nil {
		WriteProblem(w, newProblem(http.StatusBadRequest, CodeIncompleteBody, "the request body could not be read in full: the client closed the connection, or sent the body more slowly than the server waits for it", nil))
		return
	}
	party := ""
	if h.Limiter != nil {
		if e := parseSubmission(body); e != nil {
			party = e.Payload.Party
			// Over its budget, a party still gets the receipt of an event already
			// recorded (an identical resubmission appends nothing).
			if ok, retry := h.Limiter.partyReady(party); !ok && !h.recorded(r.Context(), e) {
				h.Limiter.refuseParty(w, party, retry)
				return
			}
		}
	}
	rc, recorded, err := h.Node.Submit(r.Context(), body)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	status := http.StatusCreated
	if !recorded {
		status = http.StatusOK
	} else if party != "" {
		h.Limiter.chargeParty(party)
	}
	w.Header().Set("Location", "/v1/events/"+rc.ID)
	WriteJSON(w, status, rc)
}

// checkJSONMediaType accepts "application/json" with at most a charset=utf-8
// parameter, and answers 415 otherwise.
func checkJSONMediaType(ct string) *Problem {
	mt, params, err := mime.ParseMediaType(ct)
	if err == nil && mt == "application/json" {
		cs, hasCS := params["charset"]
		if len(params) == 0 || (len(params) == 1 && hasCS && strings.EqualFold(cs, "utf-8")) {
			return nil
		}
	}
	detail := "Content-Type must be application/json (a DSSE envelope, docs/SPEC.md §3.3)"
	if ct == "" {
		detail += "; the request has none"
	}
	return newProblem(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, detail, nil)
}

// parseSubmission returns the entry of a submission that parses, or nil.
func parseSubmission(body []byte) *events.Entry {
	stored, err := events.DecodeSubmission(body)
	if err != nil {
		return nil
	}
	e, err := events.ParseEntry(stored)
	if err != nil {
		return nil
	}
	return e
}

// recorded reports whether e, byte for byte, is a valid event of the log.
func (h *Handler) recorded(ctx context.Context, e *events.Entry) bool {
	raw, _, err := h.Node.Event(ctx, e.Payload.ID)
	return err == nil && bytes.Equal(raw, e.Raw)
}

// EventResponse is the body of GET /v1/events/{id}.
type EventResponse struct {
	// Entry is the stored envelope (the exact bytes, which are JSON).
	Entry json.RawMessage `json:"entry"`
	// Payload is the decoded, signed payload.
	Payload json.RawMessage `json:"payload"`
	Receipt *ledger.Receipt `json:"receipt"`
}

// eventProblem maps an error of Node.Event to its problem, naming the event.
func eventProblem(id string, err error) *Problem {
	if errors.Is(err, ledger.ErrNotFound) {
		if !events.ValidEventID(id) {
			return NotFound("id: not an event id (a ULID: 26 characters of Crockford base32, upper case)")
		}
		return NotFound("id: no valid event has id " + id)
	}
	return ProblemFor(err)
}

func (h *Handler) event(w http.ResponseWriter, r *http.Request) {
	raw, rc, err := h.Node.Event(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteProblem(w, eventProblem(r.PathValue("id"), err))
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
		WriteProblem(w, eventProblem(r.PathValue("id"), err))
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
		applied := h.Node.Applied()
		if err != nil || size <= rc.Index || size > applied {
			WriteProblem(w, fieldProblem("size", fmt.Sprintf("want a tree size from %d (the entry's index + 1) to %d (the tree size)", rc.Index+1, applied)))
			return
		}
		tp, err := h.Node.ProofAt(rc.Index, size, raw)
		if err != nil {
			WriteProblem(w, ProblemFor(err))
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
	q := r.URL.Query()
	applied := h.Node.Applied()
	from, err1 := strconv.ParseUint(q.Get("from"), 10, 64)
	to, err2 := strconv.ParseUint(q.Get("to"), 10, 64)
	var fields []events.FieldError
	if err1 != nil || from < 1 || from > applied {
		fields = append(fields, events.FieldError{Path: "from", Message: fmt.Sprintf("required: a tree size from 1 to %d (the tree size)", applied)})
	}
	if err2 != nil || to < 1 || to > applied {
		fields = append(fields, events.FieldError{Path: "to", Message: fmt.Sprintf("required: a tree size from 1 to %d (the tree size)", applied)})
	}
	if len(fields) == 0 && from > to {
		fields = append(fields, events.FieldError{Path: "from", Message: fmt.Sprintf("%d is above to (%d)", from, to)})
	}
	if len(fields) > 0 {
		WriteProblem(w, fieldsProblem(fields))
		return
	}
	hashes, err := h.Node.ConsistencyProof(from, to)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
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
			return 0, 0, fieldProblem("start", "want a log index: an integer ≥ 0")
		}
	}
	if s := q.Get("end"); s != "" {
		if end, err = strconv.ParseUint(s, 10, 64); err != nil {
			return 0, 0, fieldProblem("end", "want a log index: an integer ≥ 0")
		}
	}
	if end > size {
		end = size
	}
	if start > end {
		return 0, 0, fieldProblem("start", fmt.Sprintf("%d is after end %d (the tree size is %d)", start, end, size))
	}
	if end-start > MaxEntriesPerRequest {
		end = start + MaxEntriesPerRequest
	}
	return start, end, nil
}

func (h *Handler) head(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !events.ValidPartyID(id) {
		WriteProblem(w, fieldProblem("id", "a party id must match ^[a-z0-9][a-z0-9-]{0,62}$"))
		return
	}
	head, err := h.Node.ChainHead(r.Context(), id)
	if err != nil {
		WriteProblem(w, ProblemFor(err))
		return
	}
	WriteJSON(w, http.StatusOK, head)
}

// fieldProblem is a 400 bad_request about one request field (a query or path
// parameter): the detail and the errors member name it.
func fieldProblem(path, message string) *Problem {
	return fieldsProblem([]events.FieldError{{Path: path, Message: message}})
}

// fieldsProblem is a 400 bad_request listing every bad request field.
func fieldsProblem(fields []events.FieldError) *Problem {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = f.Error()
	}
	return newProblem(http.StatusBadRequest, CodeBadRequest, strings.Join(parts, "; "), func(p *Problem) { p.Errors = fields })
}
