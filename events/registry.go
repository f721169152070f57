package events

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/oklog/ulid/v2"
)

// Registry is the replay state machine of docs/SPEC.md §7: the state that the replay
// rules need — the genesis, each chain's head, every key with its owner and whether it
// was revoked, every event id, each party's active targets and plan versions — and the
// rules themselves. Check decides whether an entry is valid as the next entry of the
// log; Apply does the same and, when it is, advances the state.
//
// The rules are deterministic: they read nothing but the state and the entry (no
// clock), so the gate, the applier and the auditor reach the same verdict on the same
// log. A Registry is not safe for concurrent use.
//
// Memory: about 70 bytes per event id, plus a few hundred bytes per party and key.
type Registry struct {
	genesis *GenesisBody
	parties map[string]*PartyState
	keys    map[string]*KeyState
	events  map[ulid.ULID]eventRef
	order   []string // party ids in enrolment order, parties[order[i]].index == i
	// applied counts the entries applied (valid or not: Skip also counts).
	applied uint64
	// touch lists what the last Apply changed (see Changes).
	touch touched
}

// PartyState is a chain's state: its head and who may sign for it.
type PartyState struct {
	ID string
	// Kind is "jurisdiction", "verifier", or "network" for the registrar's chain.
	Kind string
	// Seq and Head are the last valid event's seq and payload hash (0 and zero when the
	// chain is empty).
	Seq  uint64
	Head Hash
	// Time is the last valid event's time.
	Time time.Time
	// Keys lists the key ids ever added to the party, in order; see Registry.Key.
	Keys []string
	// Targets maps each target id to whether it is active (set and not withdrawn).
	Targets map[string]bool
	// Plans maps each plan id to its last published version.
	Plans map[string]int

	index uint32
}

// KeyState is one registered key.
type KeyState struct {
	ID     string
	Public ed25519.PublicKey
	// Owner is the party id, or NetworkParty for a registrar key.
	Owner string
	// AddedSeq and RevokedSeq are the owner-chain seqs of the events that added and
	// revoked it (RevokedSeq 0 while active); RevokedIn names the chain that revoked it
	// (the owner's, or NetworkParty when the registrar revoked a party key).
	AddedSeq   uint64
	RevokedSeq uint64
	RevokedIn  string
}

// Active reports whether the key may sign now.
func (k *KeyState) Active() bool { return k.RevokedSeq == 0 }

// eventRef is what the rules remember about each valid event.
type eventRef struct {
	hash      Hash
	party     uint32
	year      uint16 // inventory year, for restatements; bit 15 set: boundary government_operations
	typ       uint8  // index in EventTypes()
	retracted bool
}

var typeIndex = func() map[string]uint8 {
	m := map[string]uint8{}
	for i, t := range EventTypes() {
		m[t] = uint8(i)
	}
	return m
}()

// NewRegistry returns the state of an empty log.
func NewRegistry() *Registry {
	return &Registry{parties: map[string]*PartyState{}, keys: map[string]*KeyState{}, events: map[ulid.ULID]eventRef{}}
}

// Genesis returns the genesis body, or nil before the genesis entry.
func (r *Registry) Genesis() *GenesisBody { return r.genesis }

// Party returns a party's state, or nil if it has no chain. The result must not be
// modified and is valid until the next Apply.
func (r *Registry) Party(id string) *PartyState { return r.parties[id] }

// Parties returns the party ids in the order their chains started.
func (r *Registry) Parties() []string { return append([]string(nil), r.order...) }

// Key returns a registered key, or nil.
func (r *Registry) Key(keyID string) *KeyState { return r.keys[keyID] }

// LookupKey is a KeyLookup over the registered keys (for PreVerify on the same
// goroutine as Apply).
func (r *Registry) LookupKey(keyID string) (ed25519.PublicKey, bool) {
	k := r.keys[keyID]
	if k == nil {
		return nil, false
	}
	return k.Public, true
}

// HasEvent reports whether a valid event with this id is in the log, and its hash.
func (r *Registry) HasEvent(id string) (Hash, bool) {
	u, err := ulid.ParseStrict(id)
	if err != nil {
		return Hash{}, false
	}
	ref, ok := r.events[u]
	return ref.hash, ok
}

// Applied returns the number of entries Apply and Skip have consumed.
func (r *Registry) Applied() uint64 { return r.applied }

// Check reports whether e is valid as the next entry of the log, without changing the
// state. It returns nil or a *Finding. The checks run in a fixed order and the first
// failing one decides the code (docs/SPEC.md §7.2):
// genesis, event id, chain, permission, signatures, time, references.
func (r *Registry) Check(e *Entry) *Finding {
	p := e.Payload
	// 1. The log starts with the genesis.
	if r.genesis == nil && p.Type != TypeGenesis {
		return findingf(CodeNoGenesis, "the log must start with a %s entry, got %s", TypeGenesis, p.Type)
	}
	// 2. Event ids are unique in the log.
	id, err := ulid.ParseStrict(p.ID)
	if err != nil {
		return findingf(CodeMalformedPayload, "id: %v", err)
	}
	if _, dup := r.events[id]; dup {
		return findingf(CodeDuplicateID, "event id %s is already in the log", p.ID)
	}
	// 3. The chain: the party exists (or this starts it) and seq/prev follow its head.
	ps := r.parties[p.Party]
	if ps == nil && p.Type != TypeGenesis && p.Type != TypePartyEnrolled {
		return findingf(CodeNotEnrolled, "party %s is not enrolled", p.Party)
	}
	var headSeq uint64
	var head Hash
	if ps != nil {
		headSeq, head = ps.Seq, ps.Head
	}
	if p.Seq != headSeq+1 {
		return findingf(CodeChainBreak, "seq %d does not follow the head of %s (seq %d)", p.Seq, p.Party, headSeq)
	}
	if p.Seq > 1 && p.Prev != head.String() {
		return findingf(CodeChainBreak, "prev %s is not the head of %s (seq %d, hash %s)", p.Prev, p.Party, headSeq, head)
	}
	// 4. Permission: which chain and which kind of party may carry this type.
	if f := r.checkPermission(e, ps); f != nil {
		return f
	}
	// 5. Signatures.
	if f := r.checkSignatures(e, ps); f != nil {
		return f
	}
	// 6. Time does not go backwards within a chain.
	if ps != nil && p.Seq > 1 && e.Time.Before(ps.Time) {
		return findingf(CodeTimeBackwards, "time %s is before the previous event's time %s", p.Time, ps.Time.UTC().Format(time.RFC3339Nano))
	}
	// 7. References to other events, targets, plans and keys.
	return r.checkReferences(e, ps)
}

func (r *Registry) checkPermission(e *Entry, ps *PartyState) *Finding {
	p := e.Payload
	onNetwork := p.Party == NetworkParty
	switch p.Type {
	case TypeGenesis:
		if !onNetwork {
			return findingf(CodeNotPermitted, "%s belongs on the %s chain, not %s", p.Type, NetworkParty, p.Party)
		}
		if ps != nil {
			// Only the first entry of the log may be a genesis: a later one would name new
			// registrar keys (and a new log key) signed by nobody but those keys.
			return findingf(CodeNotPermitted, "%s must be the first entry of the log (seq 1 of %s)", p.Type, NetworkParty)
		}
		return nil
	case TypeRegistrarKeyAdded, TypeRegistrarKeyRevoked:
		if !onNetwork {
			return findingf(CodeNotPermitted, "%s belongs on the %s chain, not %s", p.Type, NetworkParty, p.Party)
		}
		return nil
	}
	if onNetwork {
		return findingf(CodeNotPermitted, "%s cannot be on the %s chain", p.Type, NetworkParty)
	}
	if p.Type == TypePartyEnrolled {
		if ps != nil {
			// An enrolment starts a chain (seq 1); on an existing chain it would change the
			// party's kind and add keys without the party's signature.
			return findingf(CodeNotPermitted, "%s is already enrolled; %s must be seq 1 of a new chain", p.Party, p.Type)
		}
		return nil
	}
	kind := ps.Kind
	switch p.Type {
	case TypeAttestation:
		if kind != KindVerifier {
			return findingf(CodeNotPermitted, "%s is for verifiers; %s is a %s", p.Type, p.Party, kind)
		}
	case TypeEndorsement, TypeTargetSet, TypeTargetWithdrawn, TypeInventoryReported, TypePlanPublished, TypePartnership:
		if kind != KindJurisdiction {
			return findingf(CodeNotPermitted, "%s is for jurisdictions; %s is a %s", p.Type, p.Party, kind)
		}
	}
	if b, ok := e.Body.(*PartnershipBody); ok {
		found := false
		for _, id := range b.Partners {
			found = found || id == p.Party
		}
		if !found {
			return findingf(CodeNotPermitted, "the submitter %s is not among the partners", p.Party)
		}
	}
	return nil
}

// authorise finds the signature by a currently active key of party. It returns the
// finding when none is present and valid.
func (r *Registry) authorise(e *Entry, party string) *Finding {
	ps := r.parties[party]
	revoked := ""
	for _, s := range e.Signatures {
		k := r.keys[s.KeyID]
		if k == nil || k.Owner != party {
			continue // unknown or another party's key: ignored
		}
		if !k.Active() {
			revoked = k.ID
			continue
		}
		if _, ok := e.verifyBy(k.ID, k.Public); !ok {
			return findingf(CodeBadSignature, "the signature by key %s of %s does not verify", k.ID, party)
		}
		return nil
	}
	if ps == nil {
		return findingf(CodeNotEnrolled, "party %s is not enrolled", party)
	}
	if revoked != "" {
		return findingf(CodeKeyRevoked, "signed by key %s of %s, revoked at seq %d", revoked, party, r.keys[revoked].RevokedSeq)
	}
	return findingf(CodeKeyNotAuthorized, "no signature by a current key of %s", party)
}

// requireKey checks a signature by a specific key named in the body (proof of
// possession, genesis registrar keys).
func requireKey(e *Entry, ref PublicKeyRef, what string) *Finding {
	pub, err := ref.Decode()
	if err != nil {
		return findingf(CodeInvalidBody, "%s: %v", what, err)
	}
	present, ok := e.verifyBy(ref.KeyID, pub)
	switch {
	case !present:
		return findingf(CodeMissingSignature, "no signature by %s %s", what, ref.KeyID)
	case !ok:
		return findingf(CodeBadSignature, "the signature by %s %s does not verify", what, ref.KeyID)
	}
	return nil
}

func (r *Registry) checkSignatures(e *Entry, ps *PartyState) *Finding {
	p := e.Payload
	switch b := e.Body.(type) {
	case *GenesisBody:
		for _, k := range b.RegistrarKeys {
			if f := requireKey(e, k, "registrar key"); f != nil {
				return f
			}
		}
		return nil
	case *EnrolledBody:
		if f := r.authorise(e, NetworkParty); f != nil {
			if f.Code == CodeKeyNotAuthorized {
				f.Reason = "an enrolment needs a signature by a current registrar key"
			}
			return f
		}
		for _, k := range b.Keys {
			if f := requireKey(e, k, "listed key"); f != nil {
				return f
			}
		}
		return nil
	case *KeyAddedBody:
		if f := r.authorise(e, p.Party); f != nil {
			return f
		}
		return requireKey(e, b.Key, "new key")
	case *KeyRevokedBody:
		// The party or the registrar may revoke a party key.
		f := r.authorise(e, p.Party)
		if f != nil && (f.Code == CodeKeyNotAuthorized || f.Code == CodeKeyRevoked) {
			if r.authorise(e, NetworkParty) == nil {
				return nil
			}
		}
		return f
	case *PartnershipBody:
		if f := r.authorise(e, p.Party); f != nil {
			return f
		}
		for _, partner := range b.Partners {
			if partner == p.Party {
				continue
			}
			pp := r.parties[partner]
			if pp == nil || pp.Kind != KindJurisdiction {
				return findingf(CodeNotEnrolled, "partner %s is not an enrolled jurisdiction", partner)
			}
			if f := r.authorise(e, partner); f != nil {
				if f.Code == CodeKeyNotAuthorized || f.Code == CodeKeyRevoked {
					return findingf(CodeMissingPartnerSignature, "no signature by a current key of partner %s", partner)
				}
				return f
			}
		}
		return nil
	}
	return r.authorise(e, p.Party)
}

func (r *Registry) checkReferences(e *Entry, ps *PartyState) *Finding {
	p := e.Payload
	switch b := e.Body.(type) {
	case *GenesisBody:
		for _, k := range b.RegistrarKeys {
			if r.keys[k.KeyID] != nil {
				return findingf(CodeNotPermitted, "key %s is already registered", k.KeyID)
			}
		}
	case *RegistrarKeyAddedBody:
		if k := r.keys[b.Key.KeyID]; k != nil {
			return findingf(CodeNotPermitted, "key %s is already registered to %s", k.ID, k.Owner)
		}
	case *RegistrarKeyRevokedBody:
		return r.checkRevocation(b.KeyID, NetworkParty)
	case *EnrolledBody:
		for _, k := range b.Keys {
			if o := r.keys[k.KeyID]; o != nil {
				return findingf(CodeNotPermitted, "key %s is already registered to %s", o.ID, o.Owner)
			}
		}
	case *KeyAddedBody:
		if k := r.keys[b.Key.KeyID]; k != nil {
			return findingf(CodeNotPermitted, "key %s is already registered to %s", k.ID, k.Owner)
		}
	case *KeyRevokedBody:
		return r.checkRevocation(b.KeyID, p.Party)
	case *TargetWithdrawnBody:
		if !ps.Targets[b.TargetID] {
			return findingf(CodeBadReference, "target %s of %s is not active", b.TargetID, p.Party)
		}
	case *PlanBody:
		if last := ps.Plans[b.PlanID]; b.Version <= last {
			return findingf(CodeBadReference, "plan %s version %d is not above the last published version %d", b.PlanID, b.Version, last)
		}
	case *InventoryBody:
		if b.Restates != "" {
			ref, f := r.ownEvent(b.Restates, ps, "restates")
			if f != nil {
				return f
			}
			if EventTypes()[ref.typ] != TypeInventoryReported || ref.year != inventoryKey(b) {
				return findingf(CodeBadReference, "restates %s, which is not an inventory of %d with boundary %s", b.Restates, b.Year, EffectiveBoundary(b.BoundaryType))
			}
		}
	case *RetractionBody:
		ref, f := r.ownEvent(b.EventID, ps, "event_id")
		if f != nil {
			return f
		}
		switch t := EventTypes()[ref.typ]; t {
		case TypePartyEnrolled, TypeKeyAdded, TypeKeyRevoked, TypeRetraction:
			return findingf(CodeBadReference, "a %s event cannot be retracted", t)
		}
	case *AttestationBody:
		u, _ := ulid.ParseStrict(b.Subject.EventID)
		ref, ok := r.events[u]
		if !ok {
			return findingf(CodeBadReference, "subject %s is not an event in the log", b.Subject.EventID)
		}
		if ref.hash.String() != b.Subject.Hash {
			return findingf(CodeBadReference, "subject %s has hash %s, not %s", b.Subject.EventID, ref.hash, b.Subject.Hash)
		}
		if ref.retracted {
			return findingf(CodeBadReference, "subject %s was retracted", b.Subject.EventID)
		}
	}
	return nil
}

func (r *Registry) checkRevocation(keyID, owner string) *Finding {
	k := r.keys[keyID]
	if k == nil || k.Owner != owner {
		return findingf(CodeBadReference, "key %s is not a key of %s", keyID, owner)
	}
	if !k.Active() {
		return findingf(CodeBadReference, "key %s was already revoked", keyID)
	}
	active := 0
	for _, id := range r.parties[owner].Keys {
		if r.keys[id].Active() {
			active++
		}
	}
	if active == 1 {
		return findingf(CodeNotPermitted, "key %s is the last active key of %s; add another first", keyID, owner)
	}
	return nil
}

// ownEvent resolves a reference to one of the party's own valid, unretracted events.
func (r *Registry) ownEvent(id string, ps *PartyState, field string) (eventRef, *Finding) {
	u, err := ulid.ParseStrict(id)
	ref, ok := r.events[u]
	switch {
	case err != nil || !ok:
		return ref, findingf(CodeBadReference, "%s %s is not an event in the log", field, id)
	case ref.party != ps.index:
		return ref, findingf(CodeBadReference, "%s %s is not an event of %s", field, id, ps.ID)
	case ref.retracted:
		return ref, findingf(CodeBadReference, "%s %s was retracted", field, id)
	}
	return ref, nil
}

// Apply checks e and, when it is valid, advances the state to include it. It returns
// the finding for an invalid entry, which leaves the state unchanged but for the
// applied count: an invalid entry stays in the log and is skipped.
func (r *Registry) Apply(e *Entry) *Finding {
	r.applied++
	r.touch.reset()
	if f := r.Check(e); f != nil {
		return f
	}
	r.commit(e)
	return nil
}

// Skip counts an entry that could not be parsed (it is skipped, like an invalid one).
func (r *Registry) Skip() {
	r.applied++
	r.touch.reset()
}

func (r *Registry) commit(e *Entry) {
	p := e.Payload
	ps := r.parties[p.Party]
	if ps == nil {
		ps = &PartyState{ID: p.Party, Targets: map[string]bool{}, Plans: map[string]int{}, index: uint32(len(r.order))}
		r.parties[p.Party] = ps
		r.order = append(r.order, p.Party)
	}
	ps.Seq, ps.Head, ps.Time = p.Seq, e.Hash, e.Time
	r.touch.parties = append(r.touch.parties, p.Party)
	addKey := func(owner *PartyState, ref PublicKeyRef) {
		pub, _ := ref.Decode()
		r.keys[ref.KeyID] = &KeyState{ID: ref.KeyID, Public: pub, Owner: owner.ID, AddedSeq: owner.Seq}
		owner.Keys = append(owner.Keys, ref.KeyID)
		r.touch.keys = append(r.touch.keys, ref.KeyID)
	}
	ref := eventRef{hash: e.Hash, party: ps.index, typ: typeIndex[p.Type]}
	switch b := e.Body.(type) {
	case *GenesisBody:
		r.genesis = b
		r.touch.genesis = true
		ps.Kind = NetworkParty
		for _, k := range b.RegistrarKeys {
			addKey(ps, k)
		}
	case *RegistrarKeyAddedBody:
		addKey(ps, b.Key)
	case *RegistrarKeyRevokedBody:
		r.keys[b.KeyID].RevokedSeq, r.keys[b.KeyID].RevokedIn = p.Seq, NetworkParty
		r.touch.keys = append(r.touch.keys, b.KeyID)
	case *EnrolledBody:
		ps.Kind = b.Kind
		for _, k := range b.Keys {
			addKey(ps, k)
		}
	case *KeyAddedBody:
		addKey(ps, b.Key)
	case *KeyRevokedBody:
		r.keys[b.KeyID].RevokedSeq, r.keys[b.KeyID].RevokedIn = p.Seq, p.Party
		r.touch.keys = append(r.touch.keys, b.KeyID)
	case *TargetSetBody:
		ps.Targets[b.TargetID] = true
	case *TargetWithdrawnBody:
		ps.Targets[b.TargetID] = false
	case *PlanBody:
		ps.Plans[b.PlanID] = b.Version
	case *InventoryBody:
		ref.year = inventoryKey(b)
	case *RetractionBody:
		u, _ := ulid.ParseStrict(b.EventID)
		old := r.events[u]
		old.retracted = true
		r.events[u] = old
		r.touch.events = append(r.touch.events, u)
	}
	id := ulid.MustParseStrict(p.ID)
	r.events[id] = ref
	r.touch.events = append(r.touch.events, id)
}

// String summarises the state for debugging.
func (r *Registry) String() string {
	return fmt.Sprintf("registry{applied=%d parties=%d keys=%d events=%d}", r.applied, len(r.parties), len(r.keys), len(r.events))
}

// inventoryKey is what a restatement must share with the inventory it restates: the
// year, and the boundary (bit 15 set for government_operations).
func inventoryKey(b *InventoryBody) uint16 {
	k := uint16(b.Year)
	if EffectiveBoundary(b.BoundaryType) == BoundaryGovernmentOperations {
		k |= 1 << 15
	}
	return k
}
