package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/climateledger/climateledger/ledger"
	"github.com/climateledger/climateledger/ledger/witness"
	"golang.org/x/mod/sumdb/note"
)

// Witnesses is a node's witnessing: the policy a reader should apply, the witnesses'
// verifier keys, and the collector that asks them to cosign each new checkpoint and
// stores the checkpoints that reach the quorum in the node (Node.SetWitnessed).
type Witnesses struct {
	// Policy is the log key, the witness keys and the quorum.
	Policy *witness.Policy
	// Keys are the witnesses' verifier key strings, in the policy's order.
	Keys []string
	// Collector asks the witnesses for cosignatures.
	Collector *witness.Collector
}

// WitnessEndpoint is one witness a node asks: its submission URL and verifier key.
type WitnessEndpoint struct {
	URL, VerifierKey string
}

// NewWitnesses sets up the witnessing of node's checkpoints by the given witnesses
// with quorum (0: all of them), each request bounded by timeout (0: 5s). Run starts
// it. Errors name the bad key or quorum.
func NewWitnesses(node *ledger.Node, endpoints []WitnessEndpoint, quorum int, timeout time.Duration, lg *slog.Logger) (*Witnesses, error) {
	if quorum == 0 {
		quorum = len(endpoints)
	}
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	ws := &Witnesses{}
	var (
		clients   []*witness.Client
		verifiers []note.Verifier
	)
	hc := &http.Client{Timeout: timeout}
	for _, e := range endpoints {
		v, err := witness.ParseVerifierKey(e.VerifierKey)
		if err != nil {
			return nil, fmt.Errorf("witness %s: %w", e.URL, err)
		}
		clients = append(clients, &witness.Client{URL: e.URL, Verifier: v, HTTP: hc})
		verifiers = append(verifiers, v)
		ws.Keys = append(ws.Keys, strings.TrimSpace(e.VerifierKey))
	}
	var err error
	if ws.Policy, err = witness.NewPolicy(node.Keys().LogVerifier, verifiers, quorum); err != nil {
		return nil, err
	}
	ws.Collector, err = witness.NewCollector(witness.CollectorConfig{Witnesses: clients, Quorum: quorum, Source: node,
		Witnessed: node.SetWitnessed, Timeout: timeout, Logger: lg})
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// Run collects cosignatures until ctx ends (see witness.Collector.Run).
func (ws *Witnesses) Run(ctx context.Context) error { return ws.Collector.Run(ctx) }

// WitnessesResponse is the body of GET /v1/witnesses.
type WitnessesResponse struct {
	// Quorum is the number of cosignatures a checkpoint needs to be witnessed.
	Quorum    int             `json:"quorum"`
	Witnesses []WitnessReport `json:"witnesses"`
	// LatestSize is the size of the newest log-signed checkpoint.
	LatestSize uint64 `json:"latest_size"`
	// Witnessed is the newest witnessed checkpoint; null while there is none.
	Witnessed *WitnessedCheckpoint `json:"witnessed"`
}

// WitnessReport is one witness: its keys and the node's view of it.
type WitnessReport struct {
	witness.WitnessStatus
	// VerifierKey is the witness's verifier key string, to pass to --witness.
	VerifierKey string `json:"verifier_key"`
}

// WitnessedCheckpoint is the newest witnessed checkpoint and who cosigned it when.
type WitnessedCheckpoint struct {
	Size         uint64                `json:"size"`
	Checkpoint   string                `json:"checkpoint"`
	Cosignatures []witness.Cosignature `json:"cosignatures"`
}

func (h *Handler) witnesses(w http.ResponseWriter, r *http.Request) {
	if h.Witnesses == nil {
		WriteProblem(w, newProblem(http.StatusNotFound, CodeNoWitnesses, "this node has no witnesses configured", nil))
		return
	}
	ws := h.Witnesses
	resp := WitnessesResponse{Quorum: ws.Policy.Quorum()}
	for i, st := range ws.Collector.Status() {
		resp.Witnesses = append(resp.Witnesses, WitnessReport{WitnessStatus: st, VerifierKey: ws.Keys[i]})
	}
	_, resp.LatestSize = h.Node.Checkpoint()
	if cp, size := h.Node.Witnessed(); cp != nil {
		wc := &WitnessedCheckpoint{Size: size, Checkpoint: string(cp), Cosignatures: []witness.Cosignature{}}
		// The stored checkpoint reached the quorum; Check names who signed and when.
		if res, err := ws.Policy.Check(cp); res != nil {
			wc.Cosignatures = append(wc.Cosignatures, res.Cosigned...)
		} else {
			WriteProblem(w, ProblemFor(err))
			return
		}
		resp.Witnessed = wc
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusOK, resp)
}

// isTrue reads a boolean query parameter: "1" or "true".
func isTrue(s string) bool { return s == "1" || s == "true" }
