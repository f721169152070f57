// Package projections is climateledger's read side: the Pebble read models that the
// node's applier maintains from the log, the progress rule, the state digest, change
// notices and the HTTP read API (docs/PROJECTIONS.md; the HTTP API in docs/SPEC.md §8).
//
// [Views] implements ledger.Projector. For every entry the applier integrates, in the
// same Pebble batch as the Merkle tree and the applied position, Views writes rows
// under the prefix "p/": parties and their keys over time, targets with every
// revision, inventories by year with their sector/scope/gas breakdown, plans with
// their versions, partnerships under every partner, attestations under their subject
// and verifier, each party's event list, and per party a summary (the four
// commitments of the U.S.-China Climate Leaders Declaration) and the progress of each
// active target. A rejected entry only writes its row under p/rejected/. Rows are
// deterministic JSON under fixed-width big-endian keys, so two nodes, or a rebuild
// from zero, hold the same bytes at the same index, and [Digest] — SHA-256 over the
// framed rows in key order — proves it.
//
// Retractions (event.retracted) keep the retracted event's rows and mark them; every
// "current" value (a target's current revision, a year's current inventory, a plan's
// current version) is derived from the rows not retracted.
//
// [Assess] is the progress rule of docs/PROJECTIONS.md §4 as a pure function over exact
// rationals: the GHG Protocol Mitigation Goal Standard path from the base year (and
// from the year the target was set), CDP-ICLEI's "percentage of target achieved",
// and the peak rule. Reported figures are rounded (tonnes to the thousandth,
// percentages to 0.1, halves away from zero); comparisons never are.
//
// After each durable group, Views publishes change notices on NATS
// (projections.<view>.<party>) and to server-sent-event subscribers of
// GET /v1/subscribe, without ever blocking the applier.
package projections
