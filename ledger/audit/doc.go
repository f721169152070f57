// Package audit replays a climateledger log independently and verifies everything an
// auditor must not take on trust: every entry's envelope, payload, body, signatures and
// chain link (the replay rules of package events, docs/SPEC.md §7), the RFC 6962 root
// of the whole log, and the operator's signed C2SP checkpoint over it (package proof).
//
// # Trust
//
// The audit trusts exactly one thing: the log's verifier key (Options.LogKey, the
// signed-note key string of keys/log.pub, obtained from the operator out of band).
// When none is given it takes the key the genesis entry names and says so in the
// report: that shows the log is consistent with itself, not that it is the log the
// operator published.
//
// # Sources
//
// A [Source] yields the entries in log order and the latest signed checkpoint:
//
//   - [DirSource]: an export directory, log.jsonl (line i is the exact bytes of entry i,
//     each line ended by '\n') and checkpoint (the signed note covering every line);
//   - [ServerSource]: a server's HTTP API (GET /v1/log/entries in pages,
//     /v1/checkpoint, /v1/proofs/consistency);
//   - [NATSSource]: the JetStream stream itself (natslog.Read), with the checkpoint
//     from a request on "ledger.checkpoint.latest".
//
// # Pipeline
//
// [Run] streams the log in bounded memory: a reader fills batches of entries, workers
// on every core parse each entry, hash its Merkle leaf and pre-verify its Ed25519
// signatures (events.Entry.PreVerify) against a self-certifying key directory fed by
// events.Entry.IntroducedKeys (a key id is the SHA-256 of its key, so an entry cannot
// plant a wrong key), and one goroutine applies the entries in log order to an
// events.Registry and a proof.RootBuilder. Signature verdicts the workers could not
// reach (a key introduced in a batch still in flight) are computed by the Registry.
//
// # Findings
//
// Every problem is a [Finding] with a stable code: the events codes for entries that
// break a replay rule, and the audit codes below for the log as a whole. The JSON
// report's field names are stable; docs/AUDIT.md documents them and every code.
//
// # Import boundary
//
// The package depends on events, ledger/proof and ledger/natslog only: never on the
// node, its gate, its HTTP edge or the projections. A test enforces it.
package audit
