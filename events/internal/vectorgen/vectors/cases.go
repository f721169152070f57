package vectors

import (
	"crypto/ed25519"
	"fmt"
	"strings"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// def defines one case. A negative case names its base (a valid case defined earlier,
// without the "valid-" prefix) and its one mutation.
type def struct {
	name     string
	expect   string
	desc     string
	base     string
	mutation string
	build    func(n *net)
}

func valid(name, desc string, build func(n *net)) def {
	return def{name: name, expect: Valid, desc: desc, build: build}
}

func mutant(expect events.Code, name, base, desc, mutation string, build func(n *net)) def {
	return def{name: name, expect: string(expect), desc: desc, base: base, mutation: mutation, build: build}
}

// The shared scenarios: each valid case below is one of these, and each mutant starts
// from the same prefix as its base.

func endorsementCase(n *net) { n.enrolCA(); n.add("us-ca", endorsement()) }

func inventoryPrefix(n *net) *events.Signer { return n.enrolCA() }

func keyRotationPrefix(n *net) (k1, k2 *events.Signer) {
	k1 = n.enrolCA()
	k2 = n.key("us-ca/2")
	n.add("us-ca", &events.KeyAddedBody{Key: k2.Ref(), Reason: "key rotation"}, k1, k2)
	n.add("us-ca", &events.KeyRevokedBody{KeyID: k1.KeyID(), Reason: "rotated to the new key"}, k2)
	return k1, k2
}

func partnershipPrefix(n *net) (ca, szx *events.Signer) { return n.enrolCA(), n.enrolSZX() }

func attestationPrefix(n *net) (subjectID string, subject events.Hash) {
	n.enrolCA()
	n.add("us-ca", inventory2015())
	subjectID, subject = n.IDs[len(n.IDs)-1], n.Hashes[len(n.Hashes)-1]
	n.enrolVerifier()
	return subjectID, subject
}

// sizeLimitDraft returns the draft of us-ca's next event: an inventory whose stored
// entry, signed by k, is as large as MaxEntrySize allows (within 3 bytes: base64 grows
// by 4 bytes per 3 payload bytes). It fills BASIC+ notation lines with long
// explanations, then pads boundary.
func sizeLimitDraft(n *net, k *events.Signer) *events.Draft {
	b := &events.InventoryBody{Year: 2016, Framework: events.FrameworkGPC, Level: events.InventoryLevelBasicPlus, GWP: "AR5",
		Lines:      []events.InventoryLine{{GPCRef: "I.1.1", Scope: 1, Gas: "CO2", TCO2e: dp("1")}},
		TotalTCO2e: dp("1"), Boundary: "B"}
	d := n.draft("us-ca", b)
	size := func() int { return len(events.Sign(marshal(d), k)) }
	text := strings.Repeat("Not estimated: activity data for this source are not collected. ", 16)[:990]
	for _, ref := range events.GPCRefs() {
		scope, _ := events.GPCScope(ref)
		if ref == "I.1.1" || ref == "I.4.4" || ref == "VI.1" || strings.HasPrefix(ref, "III.") && strings.HasSuffix(ref, ".3") {
			continue
		}
		b.Lines = append(b.Lines, events.InventoryLine{GPCRef: ref, Scope: scope, Gas: "N2O", Notation: "NE", Explanation: text})
		if size() > events.MaxEntrySize {
			b.Lines = b.Lines[:len(b.Lines)-1]
			break
		}
	}
	pad := strings.Repeat("Administrative boundary of the jurisdiction; notation lines pad this entry to the size limit. ", 40)
	lo, hi := 1, len(pad) // size() fits with pad[:lo], not with pad[:hi]
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if b.Boundary = pad[:mid]; size() <= events.MaxEntrySize {
			lo = mid
		} else {
			hi = mid
		}
	}
	b.Boundary = pad[:lo]
	if s := size(); s > events.MaxEntrySize || s <= events.MaxEntrySize-4 || len(b.Boundary) > 3990 {
		panic(fmt.Sprintf("sizeLimitDraft: entry is %d bytes", s))
	}
	return d
}

func definitions() []def {
	return []def{
		// ---- valid: the network chain ----
		valid("genesis", "The log's first entry: network.genesis on the network chain (seq 1), listing one registrar key and the log's note verifier key, signed by the registrar key it lists.",
			func(n *net) {}),
		valid("registrar-key-added", "registrar.key_added on the network chain, signed by the current registrar key (the added key need not sign).",
			func(n *net) {
				n.add(events.NetworkParty, &events.RegistrarKeyAddedBody{Key: n.key("registrar/2").Ref(), Reason: "second registrar key"})
			}),
		valid("registrar-key-revoked", "registrar.key_revoked of the genesis registrar key, signed by the registrar key added before it.",
			func(n *net) {
				r2 := n.key("registrar/2")
				n.add(events.NetworkParty, &events.RegistrarKeyAddedBody{Key: r2.Ref(), Reason: "second registrar key"})
				n.add(events.NetworkParty, &events.RegistrarKeyRevokedBody{KeyID: n.Registrar.KeyID(), Reason: "scheduled rotation"}, r2)
			}),

		// ---- valid: enrolment and keys ----
		valid("enrol-jurisdiction", "party.enrolled of a jurisdiction (seq 1 of its chain) with names, country, level, codes and an endorsement, signed by the registrar and by the key it lists (proof of possession).",
			func(n *net) { n.enrolCA() }),
		valid("enrol-verifier", "party.enrolled of a verifier (kind verifier: no level, parent or endorsements; any ISO 3166-1 country).",
			func(n *net) { n.enrolVerifier() }),
		valid("enrol-second-party", "Two jurisdictions enrolled, each with its own key.",
			func(n *net) { partnershipPrefix(n) }),
		valid("key-added", "key.added: signed by a current key of the party and by the new key.",
			func(n *net) {
				k1 := n.enrolCA()
				k2 := n.key("us-ca/2")
				n.add("us-ca", &events.KeyAddedBody{Key: k2.Ref(), Reason: "key rotation"}, k1, k2)
			}),
		valid("key-revoked", "key.revoked of the party's first key, signed by its second key.",
			func(n *net) { keyRotationPrefix(n) }),
		valid("key-revoked-by-registrar", "key.revoked of a party key, signed by the registrar instead of the party.",
			func(n *net) {
				k1 := n.enrolCA()
				k2 := n.key("us-ca/2")
				n.add("us-ca", &events.KeyAddedBody{Key: k2.Ref()}, k1, k2)
				n.add("us-ca", &events.KeyRevokedBody{KeyID: k1.KeyID(), Reason: "reported lost by the party"}, n.Registrar)
			}),
		valid("key-rotation", "After key rotation (key.added, then key.revoked of the old key) the new key signs the party's events.",
			func(n *net) {
				_, k2 := keyRotationPrefix(n)
				n.add("us-ca", endorsement(), k2)
			}),

		// ---- valid: commitments ----
		valid("endorsement", "endorsement.recorded by a jurisdiction, signed by its key.",
			endorsementCase),
		valid("target-base-year-absolute", "target.set of type base_year_absolute with reduction_pct, coverage, source and description.",
			func(n *net) { n.enrolCA(); n.add("us-ca", targetAbsolute()) }),
		valid("target-fixed-level", "target.set of type fixed_level (target_emissions_tco2e; optional base_year and base_emissions_tco2e given together).",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", &events.TargetSetBody{TargetID: "ghg-2020", Type: events.TargetFixedLevel, BaseYear: ip(1990), BaseEmissionsTCO2e: dp("431000000"),
					TargetYear: ip(2020), TargetEmissionsTCO2e: dp("431000000"), LegalStatus: "law", YearSet: ip(2006)})
			}),
		valid("target-base-year-intensity", "target.set of type base_year_intensity (intensity_unit, base_intensity).",
			func(n *net) {
				n.enrolSZX()
				n.add("cnszx", &events.TargetSetBody{TargetID: "intensity-2020", Type: events.TargetBaseYearIntensity, BaseYear: ip(2005), TargetYear: ip(2020),
					ReductionPct: dp("45"), IntensityUnit: "tCO2e per 10,000 CNY GDP", BaseIntensity: dp("1.125"), LegalStatus: "policy"})
			}),
		valid("target-baseline-scenario", "target.set of type baseline_scenario (reduction from business as usual).",
			func(n *net) {
				n.enrolSZX()
				n.add("cnszx", &events.TargetSetBody{TargetID: "bau-2030", Type: events.TargetBaselineScenario, TargetYear: ip(2030),
					ReductionPct: dp("30"), BaselineEmissionsTCO2e: dp("250000000"), LegalStatus: "pledge"})
			}),
		valid("target-trajectory", "target.set of type trajectory: milestones with increasing years after base_year; target_year equals the last milestone year.",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", &events.TargetSetBody{TargetID: "path-2050", Type: events.TargetTrajectory, BaseYear: ip(1990), BaseEmissionsTCO2e: dp("431000000"),
					TargetYear: ip(2050), Milestones: []events.Milestone{{Year: 2030, TargetEmissionsTCO2e: dp("258600000")},
						{Year: 2040, TargetEmissionsTCO2e: dp("150000000")}, {Year: 2050, TargetEmissionsTCO2e: dp("86200000")}},
					LegalStatus: "policy", YearSet: ip(2016)})
			}),
		valid("target-peak", "target.set of type peak (peak_year and qualifier; target_year equals peak_year).",
			func(n *net) {
				n.enrolSZX()
				n.add("cnszx", &events.TargetSetBody{TargetID: "peak", Type: events.TargetPeak, TargetYear: ip(2020), PeakYear: ip(2020),
					Qualifier: "before", LegalStatus: "pledge", YearSet: ip(2015)})
			}),
		valid("target-net-zero", "target.set of type net_zero with offsets allowed up to a share.",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", &events.TargetSetBody{TargetID: "net-zero-2045", Type: events.TargetNetZero, TargetYear: ip(2045),
					Offsets: &events.Offsets{Allowed: true, MaxPct: dp("12.5")}, LegalStatus: "policy", YearSet: ip(2018),
					Coverage: &events.Coverage{Sectors: []string{events.SectorStationaryEnergy, events.SectorTransportation}}})
			}),
		valid("target-revised", "A second target.set with the same target_id revises the target.",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", targetAbsolute())
				t := targetAbsolute()
				t.ReductionPct, t.YearSet = dp("48"), ip(2022)
				n.add("us-ca", t)
			}),
		valid("target-withdrawn", "target.withdrawn of an active target of the party.",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", targetAbsolute())
				n.add("us-ca", &events.TargetWithdrawnBody{TargetID: "ghg-2030", Reason: "superseded by net-zero-2045"})
			}),
		valid("inventory-gpc", "inventory.reported: a GPC BASIC inventory with figures, per-gas and CO2e lines, notation keys (NO, IE) with explanations, quality marks; total_tco2e is exactly the sum of the lines.",
			func(n *net) { inventoryPrefix(n); n.add("us-ca", inventory2015()) }),
		valid("inventory-territorial", "inventory.reported under a national framework with level territorial and a total only (no lines).",
			func(n *net) {
				n.enrolSZX()
				n.add("cnszx", &events.InventoryBody{Year: 2014, Framework: events.FrameworkNational, Level: events.InventoryLevelTerritorial, GWP: "AR4", TotalTCO2e: dp("83000000")})
			}),
		valid("inventory-restatement", "inventory.reported that restates (recalculates) the party's earlier inventory of the same year.",
			func(n *net) {
				inventoryPrefix(n)
				n.add("us-ca", inventory2015())
				r := inventory2015()
				r.GWP, r.Restates = "AR6", n.IDs[len(n.IDs)-1]
				r.Lines[0].TCO2e, r.TotalTCO2e = dp("1250"), dp("4096.375")
				n.add("us-ca", r)
			}),
		valid("inventory-size-limit", "An inventory whose stored entry is within 3 bytes of the 65536-byte limit: still valid.",
			func(n *net) {
				k := inventoryPrefix(n)
				n.push("us-ca", marshal(sizeLimitDraft(n, k)), k)
			}),
		valid("plan-v2", "plan.published version 1, then version 2 of the same plan_id (versions must increase).",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", planV1())
				n.add("us-ca", planV2())
			}),
		valid("partnership", "partnership.recorded on one partner's chain, co-signed by a current key of every partner.",
			func(n *net) {
				ca, szx := partnershipPrefix(n)
				n.add("us-ca", partnership(), ca, szx)
			}),
		valid("attestation", "attestation.issued by a verifier about a jurisdiction's inventory, naming it by event id and payload hash.",
			func(n *net) {
				id, h := attestationPrefix(n)
				n.add("verifier-a", attestation(id, h))
			}),
		valid("retraction", "event.retracted of the party's own earlier target.set.",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", targetAbsolute())
				n.add("us-ca", &events.RetractionBody{EventID: n.IDs[len(n.IDs)-1], Reason: "recorded in error"})
			}),
		valid("extra-signature", "An extra signature by a key the rules do not consult (an unknown key id) is ignored, even if it does not verify.",
			func(n *net) {
				k := n.enrolCA()
				p := n.payload("us-ca", endorsement())
				entry := events.MarshalEnvelope(p, []events.Signature{
					{KeyID: otherHash("unknown-key"), Sig: make([]byte, ed25519.SignatureSize)},
					{KeyID: k.KeyID(), Sig: k.Sign(events.PAE(events.PayloadType, p))}})
				n.pushEntry("us-ca", p, entry)
			}),

		// ---- malformed_envelope ----
		mutant(events.CodeMalformedEnvelope, "trailing-garbage", "endorsement",
			"The stored entry must end with the envelope's closing brace.",
			`the byte "x" appended to the last entry`,
			func(n *net) { endorsementCase(n); n.setLast(append(n.lastEntry(), 'x')) }),
		mutant(events.CodeMalformedEnvelope, "trailing-newline", "endorsement",
			"No white space after the envelope, not even a newline (log.jsonl adds its own).",
			`a line feed appended to the last entry`,
			func(n *net) { endorsementCase(n); n.setLast(append(n.lastEntry(), '\n')) }),
		mutant(events.CodeMalformedEnvelope, "whitespace", "endorsement",
			"The stored form is compact: no white space between tokens.",
			`a space inserted after "payloadType": in the last entry`,
			func(n *net) {
				endorsementCase(n)
				n.setLast(edit(n.lastEntry(), `{"payloadType":"`, `{"payloadType": "`))
			}),
		mutant(events.CodeMalformedEnvelope, "field-order", "endorsement",
			"The stored form has exactly the field order payloadType, payload, signatures.",
			`the payloadType and payload members of the last entry swapped`,
			func(n *net) {
				endorsementCase(n)
				e := string(n.lastEntry())
				typ := `"payloadType":"` + events.PayloadType + `"`
				pl := payloadField.FindString(e)
				n.setLast([]byte(strings.Replace(e, typ+","+pl, pl+","+typ, 1)))
			}),
		mutant(events.CodeMalformedEnvelope, "noncanonical-base64", "endorsement",
			"Base64 must be canonical: the unused low bits before the padding must be zero.",
			`the last character before "==" in the signature's base64 changed so that an unused bit is set (it decodes to the same bytes under a lenient decoder)`,
			func(n *net) {
				endorsementCase(n)
				e := string(n.lastEntry())
				i := strings.Index(e, `=="}`) - 1
				const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
				c := alphabet[strings.IndexByte(alphabet, e[i])|1]
				n.setLast([]byte(e[:i] + string(c) + e[i+1:]))
			}),
		mutant(events.CodeMalformedEnvelope, "keyid-uppercase", "endorsement",
			"A signature's keyid is 64 lower-case hex digits.",
			`the signature's keyid written in upper-case hex`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", endorsement())
				n.setLast(edit(n.lastEntry(), k.KeyID(), strings.ToUpper(k.KeyID())))
			}),
		mutant(events.CodeMalformedEnvelope, "duplicate-signer", "endorsement",
			"At most one signature per key id.",
			`the last entry's signature repeated (two signatures with the same keyid)`,
			func(n *net) {
				endorsementCase(n)
				e := string(n.lastEntry())
				i := strings.Index(e, `"signatures":[`) + len(`"signatures":[`)
				sig := e[i : len(e)-2]
				n.setLast([]byte(e[:i] + sig + "," + sig + "]}"))
			}),
		mutant(events.CodeMalformedEnvelope, "too-large", "inventory-size-limit",
			"A stored entry over 65536 bytes is malformed, on replay as at the gate.",
			`3 characters appended to body.boundary (the stored entry grows by 4 bytes, over the limit), re-signed`,
			func(n *net) {
				k := inventoryPrefix(n)
				d := sizeLimitDraft(n, k)
				d.Body.(*events.InventoryBody).Boundary += "abc"
				n.push("us-ca", marshal(d), k)
			}),

		// ---- wrong_payload_type, no_signatures ----
		mutant(events.CodePayloadType, "other-type", "endorsement",
			"The payloadType must be application/vnd.climateledger.event.v1+json.",
			`payloadType "application/vnd.in-toto+json", signed over the PAE with that type`,
			func(n *net) {
				k := n.enrolCA()
				p := n.payload("us-ca", endorsement())
				const other = "application/vnd.in-toto+json"
				e := events.MarshalEnvelope(p, []events.Signature{{KeyID: k.KeyID(), Sig: k.Sign(events.PAE(other, p))}})
				n.pushEntry("us-ca", p, edit(e, events.PayloadType, other))
			}),
		mutant(events.CodeNoSignatures, "empty-signatures", "endorsement",
			"An envelope needs at least one signature.",
			`the last entry's signatures array emptied`,
			func(n *net) {
				n.enrolCA()
				p := n.payload("us-ca", endorsement())
				n.pushEntry("us-ca", p, events.MarshalEnvelope(p, nil))
			}),

		// ---- malformed_payload ----
		payloadMutant("duplicate-key", "No duplicate object keys.", `"seq":2,`, `"seq":2,"seq":2,`),
		payloadMutant("invalid-utf8", "The payload must be valid UTF-8.", `"target_wording":"`, "\"target_wording\":\"\xff"),
		payloadMutant("uppercase-key", "Object keys are lower-case ASCII [a-z0-9_-].", `"party":`, `"Party":`),
		payloadMutant("null", "null is not allowed anywhere (omit an optional field instead).", `"target_wording":"`+wording+`"`, `"target_wording":null`),
		payloadMutant("version-2", "v must be 1.", `{"v":1,`, `{"v":2,`),
		payloadMutant("unknown-field", "The payload has exactly the fields v, id, party, seq, prev, type, time, body.", `{"v":1,`, `{"v":1,"note":"hello",`),
		payloadMutant("whitespace-after", "No bytes around the payload's JSON value, not even white space.", `}}`, "}}\n"),
		payloadMutant("time-offset", `time is UTC with a "Z", not a numeric offset.`, `:00Z"`, `:00+00:00"`),
		payloadMutant("number-exponent", "Integers are written without a fraction or exponent.", `"seq":2,`, `"seq":2e0,`),
		mutant(events.CodeMalformedPayload, "id-lowercase", "endorsement",
			"id is a ULID in its canonical form: 26 characters of upper-case Crockford base32.",
			`the event id written in lower case, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				d := n.draft("us-ca", endorsement())
				p := marshal(d)
				n.push("us-ca", edit(p, d.ID, strings.ToLower(d.ID)), k)
			}),

		// ---- unknown_type ----
		payloadMutantCode(events.CodeUnknownType, "endorsement-v2", "type must be one of the 14 v1 event types.",
			`"type":"endorsement.recorded"`, `"type":"endorsement.recorded.v2"`),

		// ---- invalid_body ----
		inventoryMutant("total-mismatch", "total_tco2e must equal the exact sum of the lines' tco2e.", `"total_tco2e":4080.875`, `"total_tco2e":4080.876`),
		inventoryMutant("unknown-gpc-ref", "Each line's gpc_ref is a GPC reference number of the table in SPEC §6.", `"gpc_ref":"I.1.1"`, `"gpc_ref":"I.9.1"`),
		inventoryMutant("notation-without-explanation", "A line with a notation key needs an explanation.", `,"explanation":"No coal mining within the boundary."`, ``),
		inventoryMutant("scope-mismatch", "A line's scope is the scope of its gpc_ref.", `"gpc_ref":"I.1.2","scope":2`, `"gpc_ref":"I.1.2","scope":1`),
		inventoryMutant("decimal-places", "Decimals have at most three decimal places.", `"tco2e":1.125`, `"tco2e":1.1250`),
		mutant(events.CodeInvalidBody, "url-user-information", "target-base-year-absolute",
			"A document URL has no user information (and an RFC 3986 host, SPEC §6.0).",
			"`https://leginfo.` replaced by `https://user@leginfo.` in body.source.url, re-signed",
			func(n *net) {
				k := n.enrolCA()
				n.push("us-ca", edit(n.payload("us-ca", targetAbsolute()), `"https://leginfo.`, `"https://user@leginfo.`), k)
			}),
		mutant(events.CodeInvalidBody, "unknown-body-field", "endorsement",
			"Unknown body fields are rejected.",
			`a field "comment" added to the body, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				p := n.payload("us-ca", endorsement())
				n.push("us-ca", edit(p, `"summit":`, `"comment":"x","summit":`), k)
			}),
		mutant(events.CodeInvalidBody, "target-type-field", "target-base-year-absolute",
			"A target type's table row says which fields it uses: peak_year is not used by base_year_absolute.",
			`"peak_year":2020 added to the body, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				p := n.payload("us-ca", targetAbsolute())
				n.push("us-ca", edit(p, `"legal_status":`, `"peak_year":2020,"legal_status":`), k)
			}),

		// ---- no_genesis ----
		mutant(events.CodeNoGenesis, "first-entry-not-genesis", "enrol-jurisdiction",
			"The log must start with network.genesis.",
			`the genesis entry dropped (the enrolment is the first entry)`,
			func(n *net) { n.enrolCA(); n.drop(0) }),

		// ---- duplicate_id ----
		mutant(events.CodeDuplicateID, "reused-id", "endorsement",
			"Event ids are unique in the log.",
			`the last event's id replaced by the id of the enrolment before it, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				d := n.draft("us-ca", endorsement())
				d.ID = n.IDs[len(n.IDs)-1]
				n.push("us-ca", marshal(d), k)
			}),

		// ---- chain_break ----
		mutant(events.CodeChainBreak, "seq-gap", "endorsement",
			"seq is the chain head's seq + 1.",
			`seq 3 instead of 2, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				d := n.draft("us-ca", endorsement())
				d.Seq = 3
				n.push("us-ca", marshal(d), k)
			}),
		mutant(events.CodeChainBreak, "wrong-prev", "endorsement",
			"prev is the payload hash of the chain head.",
			`prev set to the genesis payload hash (not the head of us-ca), re-signed`,
			func(n *net) {
				k := n.enrolCA()
				d := n.draft("us-ca", endorsement())
				d.Prev = n.Hashes[0]
				n.push("us-ca", marshal(d), k)
			}),
		mutant(events.CodeChainBreak, "enrol-twice", "enrol-jurisdiction",
			"An enrolment is seq 1 of a new chain; seq 1 again on an existing chain breaks it.",
			`the enrolment appended a second time with a new id (seq 1 again), signed as before`,
			func(n *net) {
				n.enrolCA()
				d := n.draft("us-ca", caEnrolment())
				d.Seq, d.Prev = 1, events.Hash{}
				d.Body.(*events.EnrolledBody).Keys = []events.PublicKeyRef{n.partyKey("us-ca").Ref()}
				n.push("us-ca", marshal(d), n.Registrar, n.partyKey("us-ca"))
			}),

		// ---- time_backwards ----
		mutant(events.CodeTimeBackwards, "before-previous", "endorsement",
			"time is not before the previous event's time in the same chain.",
			`time one minute before the enrolment's time, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				d := n.draft("us-ca", endorsement())
				d.Time = eventtest.DefaultStart
				n.push("us-ca", marshal(d), k)
			}),

		// ---- bad_signature ----
		mutant(events.CodeBadSignature, "flipped-bit", "endorsement",
			"A signature by a key the rules consult must verify.",
			`the lowest bit of the first byte of the signature flipped`,
			func(n *net) {
				endorsementCase(n)
				n.setLast(editSig(n.lastEntry(), func(s []byte) []byte { s[0] ^= 1; return s }))
			}),
		mutant(events.CodeBadSignature, "other-payload", "partnership",
			"A partner's signature must verify over this payload.",
			`the partner's signature made over the payload with a different description`,
			func(n *net) {
				ca, szx := partnershipPrefix(n)
				p := n.payload("us-ca", partnership())
				other := edit(p, `(illustrative)`, `(draft)`)
				entry := events.MarshalEnvelope(p, []events.Signature{
					{KeyID: ca.KeyID(), Sig: ca.Sign(events.PAE(events.PayloadType, p))},
					{KeyID: szx.KeyID(), Sig: szx.Sign(events.PAE(events.PayloadType, other))}})
				n.pushEntry("us-ca", p, entry)
			}),

		// ---- key_not_authorized ----
		mutant(events.CodeKeyNotAuthorized, "unknown-keyid", "endorsement",
			"A signature whose keyid names no key is ignored, so no current key of the party signed.",
			`the signature's keyid replaced by a key id that names no key (signature bytes unchanged)`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", endorsement())
				n.setLast(edit(n.lastEntry(), k.KeyID(), otherHash("unknown-key")))
			}),
		mutant(events.CodeKeyNotAuthorized, "other-party-key", "partnership",
			"A partnership needs the submitter's own key; another party's key does not count for it.",
			`the submitter's (us-ca's) signature removed; only cnszx's remains`,
			func(n *net) {
				_, szx := partnershipPrefix(n)
				n.push("us-ca", n.payload("us-ca", partnership()), szx)
			}),
		mutant(events.CodeKeyNotAuthorized, "enrol-without-registrar", "enrol-jurisdiction",
			"An enrolment needs a signature by a current registrar key.",
			`the registrar's signature removed from the enrolment`,
			func(n *net) {
				k := n.partyKey("us-ca")
				b := caEnrolment()
				b.Keys = []events.PublicKeyRef{k.Ref()}
				n.push("us-ca", n.payload("us-ca", b), k)
			}),

		// ---- key_revoked ----
		mutant(events.CodeKeyRevoked, "signed-after-revocation", "key-rotation",
			"A key signs nothing after its revocation.",
			`the last event signed by the revoked first key instead of the new key`,
			func(n *net) {
				k1, _ := keyRotationPrefix(n)
				n.add("us-ca", endorsement(), k1)
			}),

		// ---- missing_signature ----
		mutant(events.CodeMissingSignature, "enrol-without-proof-of-possession", "enrol-jurisdiction",
			"Every key an enrolment lists must sign it.",
			`the listed key's signature removed; only the registrar's remains`,
			func(n *net) {
				b := caEnrolment()
				b.Keys = []events.PublicKeyRef{n.partyKey("us-ca").Ref()}
				n.push("us-ca", n.payload("us-ca", b), n.Registrar)
			}),
		mutant(events.CodeMissingSignature, "genesis-not-signed-by-registrar", "genesis",
			"Every registrar key the genesis lists must sign it.",
			`the genesis signed by another key instead of the registrar key it lists`,
			func(n *net) {
				other := n.key("not-the-registrar")
				p, _ := events.ParseEntry(n.Entries[0])
				n.Entries[0] = events.Sign(p.PayloadBytes, other)
			}),
		mutant(events.CodeMissingSignature, "key-added-without-new-key", "key-added",
			"The added key must co-sign key.added.",
			`the new key's signature removed`,
			func(n *net) {
				k1 := n.enrolCA()
				n.push("us-ca", n.payload("us-ca", &events.KeyAddedBody{Key: n.key("us-ca/2").Ref(), Reason: "key rotation"}), k1)
			}),

		// ---- missing_partner_signature ----
		mutant(events.CodeMissingPartnerSignature, "partner-did-not-sign", "partnership",
			"Every partner must sign a partnership.",
			`cnszx's signature removed; only the submitter's remains`,
			func(n *net) {
				ca, _ := partnershipPrefix(n)
				n.push("us-ca", n.payload("us-ca", partnership()), ca)
			}),

		// ---- not_permitted ----
		mutant(events.CodeNotPermitted, "attestation-by-jurisdiction", "attestation",
			"Only verifiers issue attestations.",
			`the attestation appended to the jurisdiction's (us-ca's) chain, signed by its key, instead of the verifier's`,
			func(n *net) {
				id, h := attestationPrefix(n)
				n.add("us-ca", attestation(id, h))
			}),
		mutant(events.CodeNotPermitted, "revoke-last-key", "endorsement",
			"A party's last active key cannot be revoked (add another first).",
			`the last event is a key.revoked of the party's only key, signed by it, instead of the endorsement`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", &events.KeyRevokedBody{KeyID: k.KeyID(), Reason: "lost"})
			}),
		mutant(events.CodeNotPermitted, "enrol-registered-key", "enrol-second-party",
			"A key belongs to one party: an enrolment cannot list a key already registered.",
			`the second enrolment lists (and is signed by) the first party's key instead of its own`,
			func(n *net) {
				ca := n.enrolCA()
				b := szxEnrolment()
				b.Keys = []events.PublicKeyRef{ca.Ref()}
				n.add("cnszx", b, n.Registrar, ca)
			}),
		mutant(events.CodeNotPermitted, "second-genesis", "registrar-key-added",
			"network.genesis is only the log's first entry: a later one on the network chain (which would name new registrar keys signed by nobody else) is refused.",
			`the second network entry is a network.genesis listing the new key, signed by it, instead of registrar.key_added`,
			func(n *net) {
				r2 := n.key("registrar/2")
				n.add(events.NetworkParty, &events.GenesisBody{Origin: n.Origin, Name: "another network", RegistrarKeys: []events.PublicKeyRef{r2.Ref()}, LogKey: n.LogKey}, r2)
			}),
		mutant(events.CodeNotPermitted, "re-enrolment", "key-added",
			"party.enrolled only starts a chain: at seq 2 of an existing chain (which would change the party's kind and keys without its signature) it is refused.",
			`the party's seq 2 is a party.enrolled as a verifier listing the new key, signed by the registrar and that key, instead of key.added`,
			func(n *net) {
				n.enrolCA()
				k2 := n.key("us-ca/2")
				n.add("us-ca", &events.EnrolledBody{Kind: events.KindVerifier, Names: map[string]string{"en": "California"}, Keys: []events.PublicKeyRef{k2.Ref()}}, n.Registrar, k2)
			}),
		mutant(events.CodeNotPermitted, "party-event-on-network", "registrar-key-added",
			"The network chain carries only network.genesis and registrar.* events.",
			`the second network entry is an endorsement.recorded signed by the registrar, instead of registrar.key_added`,
			func(n *net) { n.add(events.NetworkParty, endorsement()) }),

		// ---- not_enrolled ----
		mutant(events.CodeNotEnrolled, "party-not-enrolled", "endorsement",
			"A party's events need its enrolment first.",
			`the enrolment dropped (the endorsement, seq 2, follows the genesis directly)`,
			func(n *net) { endorsementCase(n); n.drop(1) }),
		mutant(events.CodeNotEnrolled, "partner-not-enrolled", "partnership",
			"Every other partner of a partnership must be an enrolled jurisdiction.",
			`the partner's (cnszx's) enrolment dropped`,
			func(n *net) {
				ca, szx := partnershipPrefix(n)
				n.add("us-ca", partnership(), ca, szx)
				n.drop(2)
			}),

		// ---- bad_reference ----
		mutant(events.CodeBadReference, "withdraw-unknown-target", "target-withdrawn",
			"target.withdrawn names an active target of the party.",
			`target_id "ghg-2031" (never set) instead of "ghg-2030", re-signed`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", targetAbsolute())
				p := n.payload("us-ca", &events.TargetWithdrawnBody{TargetID: "ghg-2030", Reason: "superseded by net-zero-2045"})
				n.push("us-ca", edit(p, `"ghg-2030"`, `"ghg-2031"`), k)
			}),
		mutant(events.CodeBadReference, "plan-version-not-increasing", "plan-v2",
			"A plan's versions increase.",
			`the second plan.published has version 1 (as the first), re-signed`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", planV1())
				n.push("us-ca", edit(n.payload("us-ca", planV2()), `"version":2`, `"version":1`), k)
			}),
		mutant(events.CodeBadReference, "attestation-wrong-hash", "attestation",
			"An attestation's subject names an event by id and its payload hash; both must match.",
			`subject.hash replaced by another hash, re-signed`,
			func(n *net) {
				id, h := attestationPrefix(n)
				p := n.payload("verifier-a", attestation(id, h))
				n.push("verifier-a", edit(p, h.String(), otherHash("subject")), n.partyKey("verifier-a"))
			}),
		mutant(events.CodeBadReference, "retract-other-chain", "retraction",
			"A party retracts only its own events.",
			`event_id is the genesis (an event of the network chain), re-signed`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", targetAbsolute())
				p := n.payload("us-ca", &events.RetractionBody{EventID: n.IDs[len(n.IDs)-1], Reason: "recorded in error"})
				n.push("us-ca", edit(p, n.IDs[len(n.IDs)-1], n.IDs[0]), k)
			}),
		mutant(events.CodeBadReference, "retract-enrolment", "retraction",
			"Enrolments, key events and retractions cannot be retracted.",
			`event_id is the party's enrolment, re-signed`,
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", targetAbsolute())
				p := n.payload("us-ca", &events.RetractionBody{EventID: n.IDs[len(n.IDs)-1], Reason: "recorded in error"})
				n.push("us-ca", edit(p, n.IDs[len(n.IDs)-1], n.IDs[1]), k)
			}),
		mutant(events.CodeBadReference, "restates-other-year", "inventory-restatement",
			"A restatement names the party's inventory of the same year.",
			`the restating inventory's year 2016 instead of 2015, re-signed`,
			func(n *net) {
				k := inventoryPrefix(n)
				n.add("us-ca", inventory2015())
				r := inventory2015()
				r.GWP, r.Restates = "AR6", n.IDs[len(n.IDs)-1]
				r.Lines[0].TCO2e, r.TotalTCO2e = dp("1250"), dp("4096.375")
				n.push("us-ca", edit(n.payload("us-ca", r), `"year":2015`, `"year":2016`), k)
			}),

		// ---- sources, summits, municipalities and boundaries ----
		valid("enrol-municipality", "party.enrolled of a province-level municipality (level municipality, country CN) whose endorsement names its source: a URL with a title and the quoted passage, without sha256 (the page was not pinned).",
			func(n *net) { n.enrolBJ() }),
		valid("enrol-participant", "party.enrolled of a jurisdiction that took part in the 2016 summit without a recorded endorsement (participations, with its source), after its 2015 endorsement.",
			func(n *net) { n.enrol("usbos", bostonEnrolment(), n.partyKey("usbos")) }),
		valid("endorsement-source", "endorsement.recorded with the document that shows it (url, title, quote; no sha256).",
			func(n *net) {
				n.enrolCA()
				e := endorsement()
				e.Source = sourceXinhua()
				n.add("us-ca", e)
			}),
		valid("target-no-base-emissions", "target.set of type base_year_absolute with base_year and reduction_pct but no base_emissions_tco2e (the source states none), boundary_type community, and a source with a quote.",
			func(n *net) { n.enrolCA(); n.add("us-ca", targetNoBase()) }),
		valid("target-government-operations", "target.set of type net_zero for the jurisdiction's own operations (boundary_type government_operations).",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", &events.TargetSetBody{TargetID: "operations-neutral-2030", Type: events.TargetNetZero, TargetYear: ip(2030),
					BoundaryType: events.BoundaryGovernmentOperations, LegalStatus: "policy",
					Source: &events.DocumentRef{URL: "https://example.org/operations-plan", Quote: "carbon neutrality in city operations by 2030"}})
			}),
		valid("target-peak-around", "target.set of type peak with qualifier around (the three qualifiers are by, before and around).",
			func(n *net) {
				n.enrolBJ()
				n.add("cn-bj", &events.TargetSetBody{TargetID: "co2-peak-2020", Type: events.TargetPeak, PeakYear: ip(2020), Qualifier: "around",
					Coverage: &events.Coverage{Gases: []string{"CO2"}}, LegalStatus: "pledge"})
			}),
		valid("inventory-government-operations", "inventory.reported of the jurisdiction's own operations (boundary_type government_operations), a total only.",
			func(n *net) { n.enrolCA(); n.add("us-ca", inventoryOperations()) }),
		valid("inventory-restatement-government-operations", "A restatement of a government_operations inventory is itself government_operations (same year, same boundary).",
			func(n *net) {
				n.enrolCA()
				n.add("us-ca", inventoryOperations())
				r := inventoryOperations()
				r.Restates, r.TotalTCO2e = n.IDs[len(n.IDs)-1], dp("131500")
				n.add("us-ca", r)
			}),
		mutant(events.CodeInvalidBody, "municipality-outside-china", "enrol-jurisdiction",
			"Level municipality is a province-level municipality of China: only with country CN.",
			"`\"level\":\"state\"` replaced by `\"level\":\"municipality\"` in California's enrolment, re-signed",
			func(n *net) {
				k := n.partyKey("us-ca")
				b := caEnrolment()
				b.Keys = []events.PublicKeyRef{k.Ref()}
				n.push("us-ca", edit(n.payload("us-ca", b), `"level":"state"`, `"level":"municipality"`), n.Registrar, k)
			}),
		mutant(events.CodeInvalidBody, "participation-also-endorsed", "enrol-participant",
			"A summit is either an endorsement or a participation of an enrolment, not both.",
			"the participation's summit `2016-beijing` replaced by `2015-los-angeles`, re-signed",
			func(n *net) {
				k := n.partyKey("usbos")
				b := bostonEnrolment()
				b.Keys = []events.PublicKeyRef{k.Ref()}
				n.push("usbos", edit(n.payload("usbos", b), `"participations":[{"summit":"2016-beijing"`, `"participations":[{"summit":"2015-los-angeles"`), n.Registrar, k)
			}),
		mutant(events.CodeInvalidBody, "boundary-type-unknown", "inventory-government-operations",
			"boundary_type is community or government_operations.",
			"`government_operations` replaced by `municipal_operations`, re-signed",
			func(n *net) {
				k := n.enrolCA()
				n.push("us-ca", edit(n.payload("us-ca", inventoryOperations()), `"government_operations"`, `"municipal_operations"`), k)
			}),
		mutant(events.CodeInvalidBody, "quote-control-character", "target-no-base-emissions",
			"A source's quote is text: no control characters except line feeds.",
			"a tab (`\\t`) inserted in body.source.quote, re-signed",
			func(n *net) {
				k := n.enrolCA()
				n.push("us-ca", edit(n.payload("us-ca", targetNoBase()), `"quote":"The plan`, `"quote":"\tThe plan`), k)
			}),
		mutant(events.CodeBadReference, "restates-other-boundary", "inventory-restatement-government-operations",
			"A restatement names the party's inventory of the same year and the same boundary: a community-wide inventory does not restate a government_operations one.",
			"`\"boundary_type\":\"government_operations\",` removed from the restating inventory (community), re-signed",
			func(n *net) {
				k := n.enrolCA()
				n.add("us-ca", inventoryOperations())
				r := inventoryOperations()
				r.Restates, r.TotalTCO2e = n.IDs[len(n.IDs)-1], dp("131500")
				n.push("us-ca", edit(n.payload("us-ca", r), `"boundary_type":"government_operations",`, ``), k)
			}),
	}
}

// payloadMutant is a malformed_payload case: one edit to the endorsement's payload,
// re-signed.
func payloadMutant(name, desc, old, new string) def {
	return payloadMutantCode(events.CodeMalformedPayload, name, desc, old, new)
}

func payloadMutantCode(code events.Code, name, desc, old, new string) def {
	return mutant(code, name, "endorsement", desc, "in the last payload "+quoteEdit(old, new)+", re-signed",
		func(n *net) {
			k := n.enrolCA()
			n.push("us-ca", edit(n.payload("us-ca", endorsement()), old, new), k)
		})
}

// inventoryMutant is an invalid_body case: one edit to the inventory's payload,
// re-signed.
func inventoryMutant(name, desc, old, new string) def {
	return mutant(events.CodeInvalidBody, name, "inventory-gpc", desc, "in the inventory's payload "+quoteEdit(old, new)+", re-signed",
		func(n *net) {
			k := inventoryPrefix(n)
			n.push("us-ca", edit(n.payload("us-ca", inventory2015()), old, new), k)
		})
}

func quoteEdit(old, new string) string {
	q := func(s string) string {
		if strings.ContainsRune(s, 0xfffd) || !isText([]byte(s)) {
			var b strings.Builder
			for i := 0; i < len(s); i++ {
				if c := s[i]; c < 0x20 || c > 0x7e {
					b.WriteString(`\x` + "0123456789abcdef"[c>>4:c>>4+1] + "0123456789abcdef"[c&15:c&15+1])
				} else {
					b.WriteByte(c)
				}
			}
			return "`" + b.String() + "`"
		}
		return "`" + s + "`"
	}
	if new == "" {
		return q(old) + " removed"
	}
	return q(old) + " replaced by " + q(new)
}
