// Package eventtest builds deterministic, signed climateledger networks for tests, test
// vectors and demos: a genesis, enrolled parties with their keys, and events appended
// to their chains with the right seq, prev and signatures. Everything (keys, event ids,
// times) derives from a seed string, so the same calls give the same bytes.
package eventtest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/climateledger/climateledger/events"
)

// Stream is a deterministic byte stream: SHA-256(seed ‖ label ‖ counter) blocks.
type Stream struct {
	seed    string
	counter uint64
	buf     []byte
}

// NewStream returns the stream for seed.
func NewStream(seed string) *Stream { return &Stream{seed: seed} }

// Read implements io.Reader; it never fails.
func (s *Stream) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) {
		var c [8]byte
		binary.BigEndian.PutUint64(c[:], s.counter)
		s.counter++
		sum := sha256.Sum256(append([]byte(s.seed+"\x00"), c[:]...))
		s.buf = append(s.buf, sum[:]...)
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// Key derives the key named label from seed.
func Key(seed, label string) *events.Signer {
	sum := sha256.Sum256([]byte("climateledger/eventtest/key\x00" + seed + "\x00" + label))
	s, _ := events.NewSigner(sum[:])
	return s
}

// Party is one chain of a Network.
type Party struct {
	ID   string
	Keys []*events.Signer
	Seq  uint64
	Head events.Hash
}

// Network builds a log. Its zero value is not usable; call New.
type Network struct {
	Seed      string
	Origin    string
	LogKey    string
	Registrar *events.Signer
	Parties   map[string]*Party
	// Entries are the stored entries in log order; Hashes their payload hashes; IDs
	// their event ids.
	Entries [][]byte
	Hashes  []events.Hash
	IDs     []string
	// Now is the time of the next event; each event advances it by Step.
	Now  time.Time
	Step time.Duration

	ids *Stream
}

// DefaultStart is the time of a network's genesis unless the caller sets Now.
var DefaultStart = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// New returns a network with its genesis entry (origin "climateledger.local/log").
// logKey is the note verifier key for the genesis body; "" uses a fixed test key.
func New(seed, logKey string) *Network {
	n := &Network{Seed: seed, Origin: "climateledger.local/log", Registrar: Key(seed, "registrar"),
		Parties: map[string]*Party{}, Now: DefaultStart, Step: time.Minute, ids: NewStream(seed + "/ids")}
	if logKey == "" {
		logKey = TestLogVerifierKey
	}
	n.LogKey = logKey
	n.Parties[events.NetworkParty] = &Party{ID: events.NetworkParty, Keys: []*events.Signer{n.Registrar}}
	n.Append(events.NetworkParty, &events.GenesisBody{Origin: n.Origin, Name: "climateledger test network " + seed,
		RegistrarKeys: []events.PublicKeyRef{n.Registrar.Ref()}, LogKey: logKey}, n.Registrar)
	return n
}

// TestLogVerifierKey is a fixed signed-note verifier key for origin
// climateledger.local/log, used in genesis bodies of test networks.
const TestLogVerifierKey = "climateledger.local/log+fe6fcd3a+AY2BHEfI68xpNeBLX/yntqjP7w1jfP9a/e+NFXpYm0dO"

// TestLogSignerKey is the signer key matching TestLogVerifierKey (note.GenerateKey over
// NewStream("climateledger/eventtest/logkey")). For tests only.
const TestLogSignerKey = "PRIVATE+KEY+climateledger.local/log+fe6fcd3a+ATi0aj+bxgThdevmnRkMH0HjBDNF8XOVtW9QequWJUub"

// Draft builds, without appending, the payload of the next event of party, and returns
// it with its id. It does not advance the chain.
func (n *Network) Draft(party, typ string, body events.Body) *events.Draft {
	p := n.Parties[party]
	var seq uint64 = 1
	var head events.Hash
	if p != nil {
		seq, head = p.Seq+1, p.Head
	}
	id, err := events.NewIDFrom(n.Now, n.ids)
	if err != nil {
		panic(err)
	}
	return &events.Draft{ID: id, Party: party, Seq: seq, Prev: head, Type: typ, Time: n.Now, Body: body}
}

// Append signs the next event of party with signers (the party's first key when none
// are given), appends it to Entries and advances the chain. It panics if the payload
// does not marshal: test networks are built from valid drafts; use Raw for invalid ones.
func (n *Network) Append(party string, body events.Body, signers ...*events.Signer) []byte {
	d := n.Draft(party, body.EventType(), body)
	payload, err := d.Marshal()
	if err != nil {
		panic(fmt.Sprintf("eventtest: %s %s: %v", party, body.EventType(), err))
	}
	if len(signers) == 0 {
		signers = n.Parties[party].Keys[:1]
	}
	return n.Push(party, payload, events.Sign(payload, signers...))
}

// Push appends a stored entry built elsewhere and advances party's chain as if it were
// valid (seq+1, head = the payload hash).
func (n *Network) Push(party string, payload, entry []byte) []byte {
	p := n.Parties[party]
	if p == nil {
		p = &Party{ID: party}
		n.Parties[party] = p
	}
	p.Seq++
	p.Head = events.PayloadHash(payload)
	n.Entries = append(n.Entries, entry)
	n.Hashes = append(n.Hashes, p.Head)
	pl, _, err := events.ParsePayload(payload)
	if err == nil {
		n.IDs = append(n.IDs, pl.ID)
	} else {
		n.IDs = append(n.IDs, "")
	}
	n.Now = n.Now.Add(n.Step)
	return entry
}

// Enroll enrols a jurisdiction (country US or CN, level city/state/…) with one key
// derived from the seed, signed by the registrar and the key.
func (n *Network) Enroll(id, nameEN, nameZH, country, level string) *Party {
	key := Key(n.Seed, "party/"+id)
	names := map[string]string{"en": nameEN}
	if nameZH != "" {
		names["zh"] = nameZH
	}
	n.Append(id, &events.EnrolledBody{Kind: events.KindJurisdiction, Names: names, Country: country, Level: level,
		Keys: []events.PublicKeyRef{key.Ref()}}, n.Registrar, key)
	n.Parties[id].Keys = []*events.Signer{key}
	return n.Parties[id]
}

// EnrollVerifier enrols a verifier party.
func (n *Network) EnrollVerifier(id, nameEN string) *Party {
	key := Key(n.Seed, "party/"+id)
	n.Append(id, &events.EnrolledBody{Kind: events.KindVerifier, Names: map[string]string{"en": nameEN},
		Keys: []events.PublicKeyRef{key.Ref()}}, n.Registrar, key)
	n.Parties[id].Keys = []*events.Signer{key}
	return n.Parties[id]
}

// Replay applies every entry to a new registry and returns it with the findings by
// index (nil entries for valid ones).
func (n *Network) Replay() (*events.Registry, []*events.Finding) {
	reg := events.NewRegistry()
	out := make([]*events.Finding, len(n.Entries))
	for i, raw := range n.Entries {
		e, err := events.ParseEntry(raw)
		if err != nil {
			reg.Skip()
			out[i] = err.(*events.Finding)
			continue
		}
		out[i] = reg.Apply(e)
	}
	return reg, out
}

// Adopt returns a network that continues an existing log: genesis is the log's first
// entry and registrar the key that signed it (a node's keys/registrar.key). Later
// entries of that log are not known to the network; enrol fresh parties.
func Adopt(seed string, registrar *events.Signer, genesis []byte) (*Network, error) {
	e, err := events.ParseEntry(genesis)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	g, ok := e.Body.(*events.GenesisBody)
	if !ok {
		return nil, fmt.Errorf("genesis: first entry is a %s", e.Payload.Type)
	}
	n := &Network{Seed: seed, Origin: g.Origin, LogKey: g.LogKey, Registrar: registrar,
		Parties: map[string]*Party{events.NetworkParty: {ID: events.NetworkParty, Keys: []*events.Signer{registrar}, Seq: 1, Head: e.Hash}},
		Entries: [][]byte{genesis}, Hashes: []events.Hash{e.Hash}, IDs: []string{e.Payload.ID},
		Now: e.Time.Add(time.Minute), Step: time.Second, ids: NewStream(seed + "/ids")}
	return n, nil
}
