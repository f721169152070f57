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
// With Options.WitnessPolicy the audit also trusts a set of witness verifier keys and
// a quorum K: the checkpoint must carry valid cosignature/v1 lines by at least K of
// them (package witness, docs/SPEC.md §10), so that no single operator can show this
// auditor a log that the witnesses did not see. The report states both the log key
// and the witness keys it trusted.
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
//     from a request on "ledger.checkpoint.latest" ("ledger.checkpoint.witnessed"
//     when witnesses are required, see [WitnessedSource]).
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
// The package depends on events, ledger/proof, ledger/natslog and ledger/witness (for
// its policy check) only: never on the node, its gate, its HTTP edge or the
// projections. A test enforces it.
package audit
