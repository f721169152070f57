package httpapi

import (
	"net/http"

	"github.com/climateledger/climateledger/ledger/witness"
)

// Witnesses is what the HTTP edge knows of a node's witnesses: the policy a reader
// should apply, the witnesses' verifier keys and the collector's view of them.
type Witnesses struct {
	// Policy is the log key, the witness keys and the quorum.
	Policy *witness.Policy
	// Keys are the witnesses' verifier key strings, in the policy's order.
	Keys []string
	// Collector asks the witnesses for cosignatures.
	Collector *witness.Collector
}

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
