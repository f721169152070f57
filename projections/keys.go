package projections

import "encoding/binary"

// Pebble keys of the read models. Every key starts with "p/" (the ledger owns "l/").
// Ids are written as they are: party ids ([a-z0-9-]), local ids ([a-z0-9._-]) and
// event ids (ULIDs) never contain '/', so "<prefix><id>/" bounds exactly the rows of
// one id. Numbers are fixed-width big-endian, so byte order is numeric order:
// u64 for seqs and log indexes, u16 for years, u32 for plan versions.
// docs/PROJECTIONS.md lists every key and its value.
const (
	keyApplied      = "p/applied"    // u64: entries applied (the tree size)
	pfxParty        = "p/party/"     // party → PartyRow
	pfxKey          = "p/key/"       // party / u64 added seq / keyid → KeyRow
	pfxEvent        = "p/ev/"        // party / u64 seq → EventRow
	pfxID           = "p/id/"        // event id → IDRow
	pfxEndorsement  = "p/end/"       // party / u64 seq → EndorsementRow (endorsement.recorded)
	pfxTarget       = "p/tgt/"       // party / target id / u64 seq → TargetRevisionRow
	pfxInventory    = "p/inv/"       // party / u16 year / u64 seq → InventoryRow
	pfxPlan         = "p/plan/"      // party / plan id / u32 version → PlanVersionRow
	pfxPartnership  = "p/pship/"     // partner / u64 index → PartnershipRow (one per partner)
	pfxAttSubject   = "p/att/subj/"  // subject event id / u64 index → AttestationRow
	pfxAttVerifier  = "p/att/ver/"   // verifier / u64 index → AttestationRow
	pfxAttParty     = "p/att/party/" // subject's party / u64 index → AttestationRow
	pfxSummary      = "p/sum/"       // party → Summary (jurisdictions and verifiers)
	pfxProgress     = "p/prog/"      // party / target id → Progress (active targets)
	pfxRejected     = "p/rejected/"  // u64 index → RejectedRow
	projectionsRoot = "p/"
)

// key builds a key from a prefix and parts; a string part is followed by '/', an
// integer part is written big-endian at its width.
type key []byte

func newKey(prefix string) key { return append(make(key, 0, 96), prefix...) }

func (k key) str(s string) key  { return append(append(k, s...), '/') }
func (k key) last(s string) key { return append(k, s...) }
func (k key) u64(v uint64) key  { return binary.BigEndian.AppendUint64(k, v) }
func (k key) u32(v uint32) key  { return binary.BigEndian.AppendUint32(k, v) }
func (k key) u16(v uint16) key  { return binary.BigEndian.AppendUint16(k, v) }

func partyKey(party string) key { return newKey(pfxParty).last(party) }
func keyRowKey(party string, seq uint64, id string) key {
	return newKey(pfxKey).str(party).u64(seq).last(id)
}
func eventKey(party string, seq uint64) key { return newKey(pfxEvent).str(party).u64(seq) }
func idKey(id string) key                   { return newKey(pfxID).last(id) }
func endorsementKey(party string, seq uint64) key {
	return newKey(pfxEndorsement).str(party).u64(seq)
}
func targetKey(party, target string, seq uint64) key {
	return newKey(pfxTarget).str(party).str(target).u64(seq)
}
func inventoryKey(party string, year int, seq uint64) key {
	return newKey(pfxInventory).str(party).u16(uint16(year)).u64(seq)
}
func planKey(party, plan string, version int) key {
	return newKey(pfxPlan).str(party).str(plan).u32(uint32(version))
}
func partnershipKey(partner string, index uint64) key {
	return newKey(pfxPartnership).str(partner).u64(index)
}
func attSubjectKey(subject string, index uint64) key {
	return newKey(pfxAttSubject).str(subject).u64(index)
}
func attVerifierKey(verifier string, index uint64) key {
	return newKey(pfxAttVerifier).str(verifier).u64(index)
}
func attPartyKey(party string, index uint64) key { return newKey(pfxAttParty).str(party).u64(index) }
func summaryKey(party string) key                { return newKey(pfxSummary).last(party) }
func progressKey(party, target string) key       { return newKey(pfxProgress).str(party).last(target) }
func rejectedKey(index uint64) key               { return newKey(pfxRejected).u64(index) }

// prefixOf returns the key prefix of one id's rows under pfx: pfx + id + "/".
func prefixOf(pfx, id string) key { return newKey(pfx).str(id) }

// upperBound returns the smallest key after every key that starts with prefix.
func upperBound(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // no upper bound
}

func u64Bytes(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
