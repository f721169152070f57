package events

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"

	"github.com/oklog/ulid/v2"
)

// Registry records: the registry's state as key/value records, so that a node can
// persist it incrementally next to the entries it applies and load it at start
// instead of replaying the whole log.
//
// A record's key is one kind byte and an id:
//
//	'g'                  the genesis body (JSON)
//	'p' ‖ party id       a chain: index, kind, seq, head, time, keys, targets, plans
//	'k' ‖ key id         a key: owner, public key, added and revoked seqs
//	'e' ‖ ULID (16 B)    an event: hash, party index, inventory year, type, retracted
//
// Values are versioned binary encodings (uvarints, length-prefixed strings, fixed
// 32-byte hashes; maps sorted by key), deterministic for a given state. Changes
// returns the records the last Apply changed; Records returns them all; a
// RegistryLoader rebuilds the registry from the latest record of every key.

// Record kinds.
const (
	recordGenesis byte = 'g'
	recordParty   byte = 'p'
	recordKey     byte = 'k'
	recordEvent   byte = 'e'
	// recordVersion is the first byte of every binary record value.
	recordVersion byte = 1
)

// ErrBadRecord marks a registry record that does not decode.
var ErrBadRecord = errors.New("bad registry record")

// Record is one registry record: see the package's registry records.
type Record struct {
	Key, Value []byte
}

// touched lists what the last Apply changed (reset by Apply).
type touched struct {
	genesis bool
	parties []string
	keys    []string
	events  []ulid.ULID
}

func (t *touched) reset() {
	t.genesis = false
	t.parties, t.keys, t.events = t.parties[:0], t.keys[:0], t.events[:0]
}

// Changes returns the records that the last Apply changed, or none when it refused
// the entry (or after Skip). Keys and values are new slices the caller may keep.
func (r *Registry) Changes() []Record {
	var out []Record
	if r.touch.genesis {
		out = append(out, Record{[]byte{recordGenesis}, r.genesisRecord()})
	}
	for _, id := range r.touch.parties {
		out = append(out, Record{append([]byte{recordParty}, id...), r.partyRecord(r.parties[id])})
	}
	for _, id := range r.touch.keys {
		out = append(out, Record{append([]byte{recordKey}, id...), keyRecord(r.keys[id])})
	}
	for _, id := range r.touch.events {
		out = append(out, Record{append([]byte{recordEvent}, id[:]...), eventRecord(r.events[id])})
	}
	return out
}

// Records yields every record of the registry's state (key, value), in no
// particular order.
func (r *Registry) Records() iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		if r.genesis != nil && !yield([]byte{recordGenesis}, r.genesisRecord()) {
			return
		}
		for _, id := range r.order {
			if !yield(append([]byte{recordParty}, id...), r.partyRecord(r.parties[id])) {
				return
			}
		}
		for id, k := range r.keys {
			if !yield(append([]byte{recordKey}, id...), keyRecord(k)) {
				return
			}
		}
		for id, ref := range r.events {
			if !yield(append([]byte{recordEvent}, id[:]...), eventRecord(ref)) {
				return
			}
		}
	}
}

func (r *Registry) genesisRecord() []byte {
	b, _ := json.Marshal(r.genesis)
	return b
}

func (r *Registry) partyRecord(ps *PartyState) []byte {
	b := []byte{recordVersion}
	b = binary.AppendUvarint(b, uint64(ps.index))
	b = appendString(b, ps.Kind)
	b = binary.AppendUvarint(b, ps.Seq)
	b = append(b, ps.Head[:]...)
	t, _ := ps.Time.MarshalBinary()
	b = appendString(b, string(t))
	b = binary.AppendUvarint(b, uint64(len(ps.Keys)))
	for _, k := range ps.Keys {
		b = appendString(b, k)
	}
	targets := slices.Sorted(maps.Keys(ps.Targets))
	b = binary.AppendUvarint(b, uint64(len(targets)))
	for _, id := range targets {
		b = appendString(b, id)
		b = append(b, boolByte(ps.Targets[id]))
	}
	plans := slices.Sorted(maps.Keys(ps.Plans))
	b = binary.AppendUvarint(b, uint64(len(plans)))
	for _, id := range plans {
		b = appendString(b, id)
		b = binary.AppendUvarint(b, uint64(ps.Plans[id]))
	}
	return b
}

func keyRecord(k *KeyState) []byte {
	b := []byte{recordVersion}
	b = appendString(b, k.Owner)
	b = appendString(b, string(k.Public))
	b = binary.AppendUvarint(b, k.AddedSeq)
	b = binary.AppendUvarint(b, k.RevokedSeq)
	return appendString(b, k.RevokedIn)
}

func eventRecord(ref eventRef) []byte {
	b := make([]byte, 0, 40)
	b = append(b, recordVersion)
	b = append(b, ref.hash[:]...)
	b = binary.AppendUvarint(b, uint64(ref.party))
	b = binary.AppendUvarint(b, uint64(ref.year))
	return append(b, ref.typ, boolByte(ref.retracted))
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// RegistryLoader rebuilds a registry from its records. Add every record (the
// latest of each key), then call Registry. Not safe for concurrent use.
type RegistryLoader struct {
	r   *Registry
	err error
}

// NewRegistryLoader returns a loader of an empty registry with room for about events
// event records (0 when unknown): a right guess saves the map's growth.
func NewRegistryLoader(events int) *RegistryLoader {
	r := NewRegistry()
	if events > 0 {
		r.events = make(map[ulid.ULID]eventRef, events)
	}
	return &RegistryLoader{r: r}
}

// Add decodes one record into the registry. It returns an error wrapping
// ErrBadRecord for a record that does not decode; the loader then refuses to build.
func (l *RegistryLoader) Add(key, value []byte) error {
	if l.err != nil {
		return l.err
	}
	if err := l.add(key, value); err != nil {
		l.err = fmt.Errorf("%w: key %q: %v", ErrBadRecord, key, err)
	}
	return l.err
}

func (l *RegistryLoader) add(key, value []byte) error {
	if len(key) == 0 {
		return errors.New("empty key")
	}
	id := string(key[1:])
	if key[0] == recordGenesis {
		var g GenesisBody
		if err := json.Unmarshal(value, &g); err != nil {
			return err
		}
		l.r.genesis = &g
		return nil
	}
	d := &decoder{b: value}
	if d.byte() != recordVersion {
		return errors.New("unknown record version")
	}
	switch key[0] {
	case recordParty:
		ps := &PartyState{ID: id, index: uint32(d.uvarint()), Kind: d.string(), Seq: d.uvarint(), Targets: map[string]bool{}, Plans: map[string]int{}}
		copy(ps.Head[:], d.bytes(32))
		if err := ps.Time.UnmarshalBinary([]byte(d.string())); err != nil && d.err == nil {
			d.err = err
		}
		for n := d.uvarint(); n > 0 && d.err == nil; n-- {
			ps.Keys = append(ps.Keys, d.string())
		}
		for n := d.uvarint(); n > 0 && d.err == nil; n-- {
			ps.Targets[d.string()] = d.byte() == 1
		}
		for n := d.uvarint(); n > 0 && d.err == nil; n-- {
			ps.Plans[d.string()] = int(d.uvarint())
		}
		l.r.parties[id] = ps
	case recordKey:
		k := &KeyState{ID: id, Owner: d.string()}
		k.Public = ed25519.PublicKey(d.string())
		k.AddedSeq, k.RevokedSeq, k.RevokedIn = d.uvarint(), d.uvarint(), d.string()
		if len(k.Public) != ed25519.PublicKeySize && d.err == nil {
			d.err = fmt.Errorf("public key of %d bytes", len(k.Public))
		}
		l.r.keys[id] = k
	case recordEvent:
		if len(id) != 16 {
			return fmt.Errorf("event id of %d bytes", len(id))
		}
		var ref eventRef
		copy(ref.hash[:], d.bytes(32))
		ref.party, ref.year = uint32(d.uvarint()), uint16(d.uvarint())
		ref.typ, ref.retracted = d.byte(), d.byte() == 1
		l.r.events[ulid.ULID([]byte(id))] = ref
	default:
		return fmt.Errorf("unknown record kind %q", key[0])
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.b))
	}
	return d.err
}

// Registry returns the loaded registry, which has consumed applied entries. It
// checks that the records are consistent: chain indexes 0..n-1 with no gap, every
// key owned by a known chain, every event of a known chain.
func (l *RegistryLoader) Registry(applied uint64) (*Registry, error) {
	if l.err != nil {
		return nil, l.err
	}
	r := l.r
	r.order = nil
	if len(r.parties) > 0 {
		r.order = make([]string, len(r.parties))
	}
	for id, ps := range r.parties {
		if int(ps.index) >= len(r.order) || r.order[ps.index] != "" {
			return nil, fmt.Errorf("%w: chain %s has index %d of %d chains", ErrBadRecord, id, ps.index, len(r.parties))
		}
		r.order[ps.index] = id
	}
	for id, k := range r.keys {
		if r.parties[k.Owner] == nil {
			return nil, fmt.Errorf("%w: key %s belongs to unknown chain %s", ErrBadRecord, id, k.Owner)
		}
	}
	for id, ref := range r.events {
		if int(ref.party) >= len(r.order) {
			return nil, fmt.Errorf("%w: event %s of unknown chain %d", ErrBadRecord, id, ref.party)
		}
	}
	if len(r.parties) > 0 && r.genesis == nil {
		return nil, fmt.Errorf("%w: chains without a genesis", ErrBadRecord)
	}
	r.applied = applied
	l.r = nil
	return r, nil
}

// decoder reads a record value; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errors.New("truncated")
	}
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n int) []byte {
	if len(d.b) < n {
		d.fail()
		return make([]byte, n)
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	return string(d.bytes(int(n)))
}
