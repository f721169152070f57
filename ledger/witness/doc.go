// Package witness implements climateledger's side of transparency-log witnessing:
// a C2SP tlog-witness server that cosigns the log's checkpoints, the client a node
// uses to ask witnesses for cosignatures, and the policy every verifier applies to a
// cosigned checkpoint (the log's signature plus at least K of N witness cosignatures).
//
// A witness keeps, per log origin, the size and root of the latest checkpoint it
// cosigned, durably, and cosigns a new checkpoint only with a consistency proof from
// that size. Two readers who each accept only checkpoints with a quorum of
// cosignatures from the same honest witnesses therefore see one log: a split view
// can get a quorum for at most one of its branches.
//
// # Specifications
//
// Protocol: https://c2sp.org/tlog-witness (POST /add-checkpoint). The request body is
//
//	old <size the witness last cosigned, decimal>\n
//	<base64 consistency proof hash>\n     (zero or more, at most 63)
//	\n
//	<signed checkpoint>
//
// and a 200 response is one or more note signature lines. The witness answers 400
// for a malformed request, 404 for an origin it does not know, 403 when no signature
// verifies under the log keys it trusts, 409 (Content-Type text/x.tlog.size, body
// "<size>\n") when old is not the size it last cosigned or the sizes match but the
// roots do not, and 422 when the consistency proof does not verify.
//
// Cosignature: https://c2sp.org/tlog-cosignature, cosignature/v1 with Ed25519. The
// witness signs
//
//	cosignature/v1\n
//	time <seconds since the Unix epoch>\n
//	<checkpoint note text>
//
// and the signature line is "— <witness name> <base64(key hash ‖ timestamp ‖
// signature)>", with key hash = first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x04 ‖ public
// key) and an 8-byte big-endian timestamp. Witness verifier keys are signed-note
// vkeys "<name>+<hex key hash>+<base64(0x04 ‖ 32-byte public key)>".
//
// The cosignature/v1 signer and verifier are golang.org/x/mod/sumdb/note keys
// built by github.com/transparency-dev/formats/note; the signed note is parsed and
// checked by golang.org/x/mod/sumdb/note, and checkpoints and consistency proofs by
// ledger/proof. This package imports no other part of the node, so that the auditor
// and verify-proof share its policy check (docs/SPEC.md, "Witnesses").
package witness
