// Package proof holds climateledger's transparency-log formats and the checks every
// verifier runs on them: RFC 6962 Merkle hashing, a streaming tree root, inclusion and
// consistency proof verification, C2SP signed checkpoints and C2SP tlog-proofs.
//
// The package is pure: no I/O, no clock, nothing from NATS or Pebble. The server signs
// and serves with it, and the auditor and `climateledger verify-proof` check with it,
// so all of them share one definition of "valid".
//
// # Specifications
//
// Merkle tree: RFC 6962 §2.1 (https://www.rfc-editor.org/rfc/rfc6962#section-2.1).
// Leaf hash = SHA-256(0x00 ‖ entry), where entry is the exact stored bytes of a log
// entry; node hash = SHA-256(0x01 ‖ left ‖ right); the root of the empty tree is
// SHA-256 of the empty string. [LeafHash] equals golang.org/x/mod/sumdb/tlog.RecordHash.
//
// Signed note: https://c2sp.org/signed-note, Ed25519, as implemented by
// golang.org/x/mod/sumdb/note.
//
// Checkpoint: https://c2sp.org/tlog-checkpoint. The note text is exactly three lines,
// and the log signs it with the key whose name is the origin:
//
//	<origin>\n
//	<tree size, decimal, no leading zeroes>\n
//	<base64 root>\n
//	\n
//	— <origin> <base64(key hash, 4 bytes ‖ Ed25519 signature, 64 bytes)>\n
//
// Further signature lines (witness cosignatures) may follow and are ignored.
// Extension lines are not used by climateledger and are rejected.
//
// Proof: https://c2sp.org/tlog-proof (c2sp.org/tlog-proof@v1), line by line:
//
//	c2sp.org/tlog-proof@v1\n
//	extra <base64 of the entry bytes>\n   (optional in the spec; climateledger always sends it)
//	index <leaf index, decimal, no leading zeroes>\n
//	<base64 hash>\n                        (zero or more: the RFC 6962 inclusion path, leaf's sibling first)
//	\n
//	<the signed checkpoint, verbatim>
//
// Base64 is the standard alphabet with padding (RFC 4648 §4) everywhere, and parsers
// accept only the canonical encoding, so Marshal(Parse(b)) reproduces b exactly.
//
// # Keys
//
// The log key is a signed-note Ed25519 key named by the origin. The signer key
// (file keys/log.key) is PRIVATE+KEY+<origin>+<hex key hash>+<base64(0x01 ‖ seed)>, the
// verifier key (file keys/log.pub) <origin>+<hex key hash>+<base64(0x01 ‖ public key)>;
// each file holds the string and a newline. See [GenerateLogKey], [ParseSignerKey] and
// [ParseVerifierKey].
//
// # Errors
//
// Every failure matches one of [ErrMalformed], [ErrUnknownKey], [ErrBadSignature],
// [ErrOriginMismatch] or [ErrInvalidProof] under errors.Is, and most are typed
// ([*FormatError], [*UnknownKeyError], [*SignatureError], [*OriginMismatchError],
// [*IndexRangeError], [*ProofLengthError], [*RootMismatchError]) so callers can read
// the data with errors.As. Messages name the step that failed, for example
// "checkpoint signature: signature by log key climateledger.local/log+3f0e2b4c does not verify"
// or "inclusion proof: computed root … does not match checkpoint root …".
//
// All functions and methods are safe for concurrent use, except that a [RootBuilder]
// must not be used from several goroutines at once.
package proof
