package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
)

// Apply implements ledger.Projector: it adds the rows of one entry to the applier's
// batch. A valid entry writes its event row, its id row and the rows of its type,
// and rewrites the summary and progress rows it changes; a rejected entry
// (a.Finding set) writes only its row under p/rejected/. Every entry also sets
// p/applied to a.Index+1, in the same batch as the ledger's applied position (once
// the applier calls Finish, Finish sets it for the group's last entry).
//
// Apply must be called from one goroutine, for consecutive indexes; after an
// error, or when a.Index is not the one after the last Apply, the in-memory models
// are dropped and reloaded from Pebble.
func (v *Views) Apply(b *pebble.Batch, a *ledger.Applied) (err error) {
	if a.Index != v.next || v.models == nil {
		v.resetModels()
	}
	defer func() {
		if err != nil {
			v.models = nil
			return
		}
		v.next = a.Index + 1
	}()
	if v.deferring {
		v.unfinished = true // Finish sets p/applied
	} else if err := b.Set([]byte(keyApplied), u64Bytes(a.Index+1), nil); err != nil {
		return err
	}
	t := &txn{v: v, b: b, a: a}
	if a.Finding != nil || a.Entry == nil {
		if err := t.rejected(); err != nil || v.deferring {
			return err
		}
		return v.writeRows(b, 1)
	}
	if err := t.apply(); err != nil {
		return fmt.Errorf("projections: entry %d (%s %s): %w", a.Index, a.Entry.Payload.Type, a.Entry.Payload.ID, err)
	}
	if !v.deferring {
		// The applier may not call Finish: the entry's rows go into the batch now.
		if err := v.writeRows(b, 1); err != nil {
			return err
		}
	}
	if len(t.notices) > 0 {
		v.pending[a.Index] = t.notices
	}
	return nil
}

// Committed implements ledger.Projector: it sends the change notices of a durable
// group, on NATS and to SSE subscribers, without blocking.
func (v *Views) Committed(group []*ledger.Applied) {
	if len(group) == 0 {
		return
	}
	if v.unfinished || len(v.dirty) > 0 {
		// Not expected: the applier that called Finish before did not call it for this
		// group, so its summaries and p/applied were not written. Stop deferring; a
		// rebuild repairs the rows.
		v.unfinished = false
		v.lg.Error("projections: a group was committed without Finish; summaries may be stale until a rebuild", "index", group[0].Index)
		v.deferring, v.models = false, nil
	}
	var out, stale []Notice
	for idx, ns := range v.pending {
		if idx < group[0].Index {
			// Committed earlier without a Committed call: no notice, but the documents
			// of its parties must go.
			stale = append(stale, ns...)
			delete(v.pending, idx)
		}
	}
	for _, a := range group {
		if ns, ok := v.pending[a.Index]; ok {
			out = append(out, ns...)
			delete(v.pending, a.Index)
		}
	}
	var parties []string
	for _, n := range append(stale, out...) {
		parties = append(parties, n.Party)
	}
	v.docs.done(parties)
	if nc := v.conn.Load(); nc != nil {
		for _, n := range out {
			data, _ := marshal(n)
			if err := nc.Publish(n.Subject(), data); err != nil {
				v.lg.Warn("publish change notice", "subject", n.Subject(), "index", n.Index, "err", err)
			}
		}
	}
	v.hub.publish(group[0].Index, group[len(group)-1].Index, out)
}

// Finish is called by the applier once per group, after the group's last Apply and
// before the batch commits (the ledger's optional GroupFinisher). Once the applier
// has called it, Apply leaves the summary and progress rows of the parties it
// changes, and p/applied, to Finish, which writes each changed party's rows once per
// group instead of once per entry. The rows are the same either way.
func (v *Views) Finish(b *pebble.Batch) error {
	if v.unfinished {
		if err := b.Set([]byte(keyApplied), u64Bytes(v.next), nil); err != nil {
			v.models = nil
			return err
		}
		v.unfinished = false
	}
	if err := v.writeRows(b, v.cfg.Workers); err != nil {
		v.models = nil
		return fmt.Errorf("projections: rows of the group: %w", err)
	}
	if err := v.writeSummaries(b, v.cfg.Workers); err != nil {
		v.models = nil
		return fmt.Errorf("projections: summaries of the group: %w", err)
	}
	v.deferring = true
	return nil
}

func (v *Views) resetModels() {
	v.unfinished = false
	v.rows.reset()
	v.docs.reset()
	v.models = map[string]*partyModel{}
	v.pending = map[uint64][]Notice{}
	v.dirty = map[string]*partyModel{}
}

// txn applies one entry.
type txn struct {
	v       *Views
	b       *pebble.Batch
	a       *ledger.Applied
	ref     EventRef
	notices []Notice
}

// update rewrites the row at k with edit; the row must exist.
func update[T any](t *txn, k key, edit func(*T)) error {
	var row T
	ok, err := t.get(k, &row)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: row %q is missing", ErrCorrupt, k)
	}
	edit(&row)
	return t.set(k, &row)
}

// scan calls fn for every row whose key starts with prefix, in key order.
func scan(r pebble.Reader, prefix key, fn func(k, v []byte) error) error {
	it, err := r.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upperBound(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		val, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return err
		}
		if err := fn(it.Key(), val); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	return it.Close()
}

func (t *txn) notify(view, party string) {
	p := t.a.Entry.Payload
	n := Notice{View: view, Party: party, Index: t.a.Index, EventID: p.ID, Type: p.Type}
	if !slices.Contains(t.notices, n) {
		t.notices = append(t.notices, n)
		t.v.docs.touch(party)
	}
}

func (t *txn) rejected() error {
	r := RejectedRow{Index: t.a.Index}
	if f := t.a.Finding; f != nil {
		r.Code, r.Reason = string(f.Code), f.Reason
	}
	if e := t.a.Entry; e != nil {
		r.ID, r.Party, r.Seq = e.Payload.ID, e.Payload.Party, e.Payload.Seq
	}
	return t.set(rejectedKey(t.a.Index), &r)
}

// model returns the party's model, loading it from the batch on first use.
func (t *txn) model(party string) (*partyModel, error) {
	if m := t.v.models[party]; m != nil {
		return m, nil
	}
	var row PartyRow
	ok, err := t.get(partyKey(party), &row)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: party %s has no row", ErrCorrupt, party)
	}
	// loadModel reads the party's rows from the batch.
	if err := t.v.writeRows(t.b, 1, prefixOf(pfxTarget, party), prefixOf(pfxInventory, party), prefixOf(pfxPlan, party),
		prefixOf(pfxPartnership, party), prefixOf(pfxProgress, party), summaryKey(party)); err != nil {
		return nil, err
	}
	m, err := loadModel(t.b, row)
	if err != nil {
		return nil, err
	}
	t.v.models[party] = m
	return m, nil
}

// loadModel reads a party's model from its rows.
func loadModel(r pebble.Reader, row PartyRow) (*partyModel, error) {
	m := newPartyModel(row)
	id := row.ID
	err := scan(r, prefixOf(pfxTarget, id), func(k, v []byte) error {
		var tr TargetRevisionRow
		if err := json.Unmarshal(v, &tr); err != nil {
			return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
		}
		m.targets[tr.TargetID] = append(m.targets[tr.TargetID], targetRevOf(&tr))
		return nil
	})
	if err == nil {
		err = scan(r, prefixOf(pfxInventory, id), func(k, v []byte) error {
			var ir InventoryRow
			if err := json.Unmarshal(v, &ir); err != nil {
				return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
			}
			m.invs = append(m.invs, invHeaderOf(&ir))
			return nil
		})
	}
	if err == nil {
		err = scan(r, prefixOf(pfxPlan, id), func(k, v []byte) error {
			var pr PlanVersionRow
			if err := json.Unmarshal(v, &pr); err != nil {
				return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
			}
			m.plans[pr.PlanID] = append(m.plans[pr.PlanID], planVer{version: pr.Version, ref: pr.Event.Ref(), retracted: pr.Retracted != nil})
			return nil
		})
	}
	if err == nil {
		err = scan(r, prefixOf(pfxPartnership, id), func(k, v []byte) error {
			var pr PartnershipRow
			if err := json.Unmarshal(v, &pr); err != nil {
				return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
			}
			m.pships = append(m.pships, pshipRef{id: pr.PartnershipID, ref: pr.Event.Ref(), partners: pr.Partners, retracted: pr.Retracted != nil})
			return nil
		})
	}
	if err == nil {
		pfx := prefixOf(pfxProgress, id)
		err = scan(r, pfx, func(k, v []byte) error {
			m.prog[string(k[len(pfx):])] = bytes.Clone(v)
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	if v, closer, err := r.Get(summaryKey(id)); err == nil {
		m.sum = bytes.Clone(v)
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return nil, err
	}
	return m, nil
}

func targetRevOf(tr *TargetRevisionRow) targetRev {
	return targetRev{ref: tr.Event.Ref(), seq: tr.Event.Seq, withdrawn: tr.Action == actionWithdrawn, body: tr.Set, retracted: tr.Retracted != nil}
}

func invHeaderOf(ir *InventoryRow) invHeader {
	return invHeader{year: ir.Year, seq: ir.Event.Seq, ref: ir.Event.Ref(), total: ir.TotalTCO2e, gwp: ir.GWP, level: ir.Level,
		framework: ir.Framework, boundary: events.EffectiveBoundary(ir.BoundaryType), restates: ir.Restates, retracted: ir.Retracted != nil, current: ir.Current, restatedBy: ir.RestatedBy}
}

// restand rewrites the rows of a year's inventories whose standing changed; the row
// of the entry being applied (seq) is written by the caller.
func (t *txn) restand(m *partyModel, year int, self uint64, row *InventoryRow) error {
	var err error
	standing(m.invs, year, func(i int, current bool, by []Ref) {
		h := &m.invs[i]
		h.current, h.restatedBy = current, by
		if h.seq == self && row != nil {
			row.Current, row.RestatedBy = current, by
			return
		}
		if err == nil {
			err = t.restandRow(inventoryKey(m.row.ID, h.year, h.seq), current, by)
		}
	})
	return err
}

// restandRow rewrites the standing of the stored inventory row at k. Current and
// RestatedBy are the row's last two fields, so the new row is the stored bytes up to
// ,"current": followed by the new standing: the bytes encoding the decoded row with
// the new standing would give, without decoding it. (No string can hold that
// sequence unescaped, and no field before it has a member of that name.)
func (t *txn) restandRow(k key, current bool, by []Ref) error {
	if p := t.v.rows.lookup(k); p != nil {
		r, ok := p.row.(*InventoryRow)
		if !ok {
			return fmt.Errorf("%w: row %q is not an inventory", ErrCorrupt, k)
		}
		c := *r
		c.Current, c.RestatedBy = current, by
		p.row = &c
		return nil
	}
	data, closer, err := t.b.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("%w: row %q is missing", ErrCorrupt, k)
	}
	if err != nil {
		return err
	}
	out, ok := spliceStanding(t.v.scratch[:0], data, current, by)
	closer.Close()
	if !ok {
		return fmt.Errorf("%w: row %q has no standing", ErrCorrupt, k)
	}
	t.v.scratch = out
	return t.b.Set(k, out, nil)
}

// spliceStanding appends to dst the inventory row JSON row with its standing
// (the fields current and restated_by) replaced; false when row does not end in
// them.
func spliceStanding(dst, row []byte, current bool, by []Ref) ([]byte, bool) {
	i := bytes.LastIndex(row, []byte(`,"current":`))
	if i < 0 || len(row) == 0 || row[len(row)-1] != '}' {
		return dst, false
	}
	dst = append(dst, row[:i]...)
	dst = append(dst, `,"current":`...)
	dst = appendBool(dst, current)
	if len(by) > 0 {
		dst = append(dst, `,"restated_by":`...)
		dst = appendArray(dst, by, appendRefElem)
	}
	return append(dst, '}'), true
}

// Target row actions.
const (
	actionSet       = "set"
	actionWithdrawn = "withdrawn"
)

// recompute rewrites the party's summary and progress rows when they changed. Each
// progress is marshalled once: the summary embeds the main target's bytes.
func (t *txn) recompute(m *partyModel) error {
	if m.row.Kind != events.KindJurisdiction && m.row.Kind != events.KindVerifier {
		return nil
	}
	if t.v.deferring {
		t.v.dirty[m.row.ID] = m
		return nil
	}
	return writeSummary(t.b, m, &t.v.scratch)
}

// writeSummary rewrites a party's summary and progress rows when they changed.
// scratch is a buffer to encode in.
func writeSummary(b *pebble.Batch, m *partyModel, scratch *[]byte) error {
	return applySummaryWrites(b, m.summaryWrites(scratch, nil))
}

// summaryWrites appends to out the writes that bring the party's summary and
// progress rows up to date (the rows that changed), and records them in the model as
// written. A target's progress is assessed again only when its current revision or
// the party's inventories changed since it was last assessed. scratch is a buffer
// to encode in; the data of the writes are the model's copies.
func (m *partyModel) summaryWrites(scratch *[]byte, out []summaryWrite) []summaryWrite {
	sum, active := m.summary()
	for _, t := range active {
		in := progInput{rev: t.cur.ref, invVer: m.invVer}
		if old, ok := m.progIn[t.id]; ok && old == in {
			continue
		}
		pr := m.progress(t)
		*scratch = pr.appendJSON((*scratch)[:0])
		m.progIn[t.id] = in
		if data := *scratch; !bytes.Equal(data, m.prog[t.id]) {
			m.prog[t.id] = append(m.prog[t.id][:0:0], data...)
			out = append(out, summaryWrite{key: progressKey(m.row.ID, t.id), data: m.prog[t.id]})
		}
	}
	for _, id := range sortedKeys(m.prog) {
		if !slices.ContainsFunc(active, func(t activeTarget) bool { return t.id == id }) {
			out = append(out, summaryWrite{key: progressKey(m.row.ID, id)})
			delete(m.prog, id)
			delete(m.progIn, id)
		}
	}
	*scratch = sum.appendJSON((*scratch)[:0])
	if data := *scratch; !bytes.Equal(data, m.sum) {
		m.sum = append(m.sum[:0:0], data...)
		out = append(out, summaryWrite{key: summaryKey(m.row.ID), data: m.sum})
	}
	return out
}

// apply writes the rows of a valid entry.
func (t *txn) apply() error {
	e := t.a.Entry
	p := e.Payload
	t.ref = EventRef{EventID: p.ID, Index: t.a.Index, Seq: p.Seq, Time: p.Time}
	ev := EventRow{Seq: p.Seq, ID: p.ID, Index: t.a.Index, Type: p.Type, Time: p.Time, hash: e.Hash, hashSet: true}
	if err := t.set(eventKey(p.Party, p.Seq), &ev); err != nil {
		return err
	}
	id := IDRow{Party: p.Party, Seq: p.Seq, Index: t.a.Index, Type: p.Type}
	var err error
	switch b := e.Body.(type) {
	case *events.GenesisBody:
		err = t.enrol(PartyRow{ID: p.Party, Kind: events.NetworkParty, Names: map[string]string{"en": b.Name}, Enrolled: t.ref}, b.RegistrarKeys, nil)
	case *events.RegistrarKeyAddedBody:
		err = t.addKey(p.Party, b.Key)
		t.notify(viewParties, p.Party)
	case *events.RegistrarKeyRevokedBody:
		err = t.revokeKey(b.KeyID, b.Reason)
		t.notify(viewParties, p.Party)
	case *events.EnrolledBody:
		err = t.enrol(PartyRow{ID: p.Party, Kind: b.Kind, Names: b.Names, Country: b.Country, Level: b.Level, Parent: b.Parent,
			Codes: b.Codes, Enrolled: t.ref, Participations: b.Participations}, b.Keys, b.Endorsements)
	case *events.KeyAddedBody:
		err = t.addKey(p.Party, b.Key)
		t.notify(viewParties, p.Party)
	case *events.KeyRevokedBody:
		err = t.revokeKey(b.KeyID, b.Reason)
		t.notify(viewParties, p.Party)
	case *events.EndorsementBody:
		err = t.set(endorsementKey(p.Party, p.Seq).last(b.Summit), &EndorsementRow{Summit: b.Summit, Date: b.Date,
			TargetWording: b.TargetWording, Source: events.TypeEndorsement, Document: b.Source, Event: t.ref})
		t.notify(viewParties, p.Party)
	case *events.TargetSetBody:
		id.TargetID = b.TargetID
		err = t.target(b.TargetID, &TargetRevisionRow{TargetID: b.TargetID, Event: t.ref, Action: actionSet, Set: b})
	case *events.TargetWithdrawnBody:
		id.TargetID = b.TargetID
		err = t.target(b.TargetID, &TargetRevisionRow{TargetID: b.TargetID, Event: t.ref, Action: actionWithdrawn, Reason: b.Reason})
	case *events.InventoryBody:
		id.Year = b.Year
		err = t.inventory(b)
	case *events.PlanBody:
		id.PlanID, id.Version = b.PlanID, b.Version
		err = t.plan(b)
	case *events.PartnershipBody:
		id.Partners = b.Partners
		err = t.partnership(b)
	case *events.AttestationBody:
		id.Subject = b.Subject.EventID
		id.SubjectParty, err = t.attestation(b)
	case *events.RetractionBody:
		err = t.retract(b)
	default:
		err = fmt.Errorf("no projection for body %T", e.Body)
	}
	if err != nil {
		return err
	}
	return t.set(idKey(p.ID), &id)
}

func (t *txn) enrol(row PartyRow, keys []events.PublicKeyRef, ends []events.Endorsement) error {
	if err := t.set(partyKey(row.ID), &row); err != nil {
		return err
	}
	for _, k := range keys {
		if err := t.addKey(row.ID, k); err != nil {
			return err
		}
	}
	for _, e := range ends {
		if err := t.set(endorsementKey(row.ID, t.ref.Seq).last(e.Summit), &EndorsementRow{Summit: e.Summit, Date: e.Date,
			Source: events.TypePartyEnrolled, Document: e.Source, Event: t.ref}); err != nil {
			return err
		}
	}
	m := newPartyModel(row)
	t.v.models[row.ID] = m
	t.notify(viewParties, row.ID)
	return t.recompute(m)
}

func (t *txn) addKey(owner string, k events.PublicKeyRef) error {
	return t.set(keyRowKey(owner, t.ref.Seq, k.KeyID), &KeyRow{KeyID: k.KeyID, Public: k.Public, Added: t.ref})
}

func (t *txn) revokeKey(keyID, reason string) error {
	ks := t.a.Registry.Key(keyID)
	if ks == nil {
		return fmt.Errorf("%w: the registry does not know key %s", ErrCorrupt, keyID)
	}
	chain := t.a.Entry.Payload.Party
	return update(t, keyRowKey(ks.Owner, ks.AddedSeq, keyID), func(r *KeyRow) {
		r.Revoked = &KeyRevokedAt{EventRef: t.ref, Chain: chain, Reason: reason}
	})
}

func (t *txn) target(id string, row *TargetRevisionRow) error {
	party := t.a.Entry.Payload.Party
	m, err := t.model(party)
	if err != nil {
		return err
	}
	row.Revision = len(m.targets[id]) + 1
	if err := t.set(targetKey(party, id, t.ref.Seq), row); err != nil {
		return err
	}
	m.targets[id] = append(m.targets[id], targetRevOf(row))
	t.notify(viewTargets, party)
	return t.recompute(m)
}

func (t *txn) inventory(b *events.InventoryBody) error {
	party := t.a.Entry.Payload.Party
	m, err := t.model(party)
	if err != nil {
		return err
	}
	row := InventoryRow{Year: b.Year, Event: t.ref, Framework: b.Framework, Level: b.Level, GWP: b.GWP, TotalTCO2e: *b.TotalTCO2e,
		Restates: b.Restates, Source: b.Source, BoundaryType: b.BoundaryType, Boundary: b.Boundary, Lines: len(b.Lines), lines: b.Lines}
	m.invs = append(m.invs, invHeaderOf(&row))
	m.invsChanged()
	if err := t.restand(m, b.Year, t.ref.Seq, &row); err != nil {
		return err
	}
	if err := t.set(inventoryKey(party, b.Year, t.ref.Seq), &row); err != nil {
		return err
	}
	t.notify(viewInventories, party)
	return t.recompute(m)
}

func (t *txn) plan(b *events.PlanBody) error {
	party := t.a.Entry.Payload.Party
	m, err := t.model(party)
	if err != nil {
		return err
	}
	actions := b.Actions
	if actions == nil {
		actions = []events.PlanAction{}
	}
	row := PlanVersionRow{PlanID: b.PlanID, Version: b.Version, Event: t.ref, Title: b.Title, Adopted: b.Adopted,
		HorizonYear: b.HorizonYear, Document: b.Document, Actions: actions}
	if err := t.set(planKey(party, b.PlanID, b.Version), &row); err != nil {
		return err
	}
	m.plans[b.PlanID] = append(m.plans[b.PlanID], planVer{version: b.Version, ref: t.ref.Ref()})
	t.notify(viewPlans, party)
	return t.recompute(m)
}

func (t *txn) partnership(b *events.PartnershipBody) error {
	row := PartnershipRow{PartnershipID: b.PartnershipID, Submitter: t.a.Entry.Payload.Party, Event: t.ref, Partners: b.Partners,
		Instrument: b.Instrument, Topics: b.Topics, Signed: b.Signed, Description: b.Description, Document: b.Document}
	for _, partner := range b.Partners {
		m, err := t.model(partner)
		if err != nil {
			return err
		}
		if err := t.set(partnershipKey(partner, t.ref.Index), &row); err != nil {
			return err
		}
		m.pships = append(m.pships, pshipRef{id: b.PartnershipID, ref: t.ref.Ref(), partners: b.Partners})
		t.notify(viewPartnerships, partner)
		if err := t.recompute(m); err != nil {
			return err
		}
	}
	return nil
}

// attestation writes the three copies of an attestation row and returns the
// subject's party.
func (t *txn) attestation(b *events.AttestationBody) (string, error) {
	var subj IDRow
	ok, err := t.get(idKey(b.Subject.EventID), &subj)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%w: attested event %s has no id row", ErrCorrupt, b.Subject.EventID)
	}
	verifier := t.a.Entry.Payload.Party
	row := AttestationRow{Verifier: verifier, Event: t.ref,
		Subject:  AttestedEvent{EventID: b.Subject.EventID, Hash: b.Subject.Hash, Party: subj.Party, Type: subj.Type, Index: subj.Index},
		Standard: b.Standard, Assurance: b.Assurance, MaterialityPct: b.MaterialityPct, Opinion: b.Opinion, Summary: b.Summary}
	for _, k := range attestationKeys(&row) {
		if err := t.set(k, &row); err != nil {
			return "", err
		}
	}
	t.notify(viewAttestations, verifier)
	t.notify(viewAttestations, subj.Party)
	return subj.Party, nil
}

func attestationKeys(r *AttestationRow) []key {
	return []key{attSubjectKey(r.Subject.EventID, r.Event.Index), attVerifierKey(r.Verifier, r.Event.Index), attPartyKey(r.Subject.Party, r.Event.Index)}
}

// retract marks the retracted event in every row that holds it and takes it out of
// the models; summaries and progress are recomputed.
func (t *txn) retract(b *events.RetractionBody) error {
	var id IDRow
	ok, err := t.get(idKey(b.EventID), &id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: retracted event %s has no id row", ErrCorrupt, b.EventID)
	}
	mark := &Retraction{EventID: t.a.Entry.Payload.ID, Index: t.a.Index, Reason: b.Reason}
	if err := update(t, eventKey(id.Party, id.Seq), func(r *EventRow) { r.Retracted = mark }); err != nil {
		return err
	}
	switch id.Type {
	case events.TypeEndorsement:
		t.notify(viewParties, id.Party)
		var keys []key
		err = t.scanBatch(endorsementKey(id.Party, id.Seq), func(k, v []byte) error {
			keys = append(keys, key(bytes.Clone(k)))
			return nil
		})
		for _, k := range keys {
			if err == nil {
				err = update(t, k, func(r *EndorsementRow) { r.Retracted = mark })
			}
		}
	case events.TypeTargetSet, events.TypeTargetWithdrawn:
		t.notify(viewTargets, id.Party)
		err = retractIn(t, id.Party, targetKey(id.Party, id.TargetID, id.Seq), func(m *partyModel) {
			revs := m.targets[id.TargetID]
			for i := range revs {
				if revs[i].ref.EventID == b.EventID {
					revs[i].retracted = true
				}
			}
		}, func(r *TargetRevisionRow) { r.Retracted = mark })
	case events.TypeInventoryReported:
		t.notify(viewInventories, id.Party)
		err = retractIn(t, id.Party, inventoryKey(id.Party, id.Year, id.Seq), func(m *partyModel) {
			for i := range m.invs {
				if m.invs[i].ref.EventID == b.EventID {
					m.invs[i].retracted = true
				}
			}
			m.invsChanged()
		}, func(r *InventoryRow) { r.Retracted = mark })
		if err == nil {
			m, merr := t.model(id.Party)
			if err = merr; err == nil {
				err = t.restand(m, id.Year, 0, nil)
			}
		}
	case events.TypePlanPublished:
		t.notify(viewPlans, id.Party)
		err = retractIn(t, id.Party, planKey(id.Party, id.PlanID, id.Version), func(m *partyModel) {
			vs := m.plans[id.PlanID]
			for i := range vs {
				if vs[i].ref.EventID == b.EventID {
					vs[i].retracted = true
				}
			}
		}, func(r *PlanVersionRow) { r.Retracted = mark })
	case events.TypePartnership:
		for _, partner := range id.Partners {
			t.notify(viewPartnerships, partner)
			err = retractIn(t, partner, partnershipKey(partner, id.Index), func(m *partyModel) {
				for i := range m.pships {
					if m.pships[i].ref.EventID == b.EventID {
						m.pships[i].retracted = true
					}
				}
			}, func(r *PartnershipRow) { r.Retracted = mark })
			if err != nil {
				return err
			}
		}
	case events.TypeAttestation:
		t.notify(viewAttestations, id.Party)
		t.notify(viewAttestations, id.SubjectParty)
		var row AttestationRow
		if ok, err := t.get(attVerifierKey(id.Party, id.Index), &row); err != nil || !ok {
			return fmt.Errorf("%w: attestation %s has no row (%v)", ErrCorrupt, b.EventID, err)
		}
		row.Retracted = mark
		for _, k := range attestationKeys(&row) {
			if err := t.set(k, &row); err != nil {
				return err
			}
		}
	}
	if err != nil {
		return err
	}
	// Attestations of the retracted event stay, marked.
	var atts []AttestationRow
	err = t.scanBatch(prefixOf(pfxAttSubject, b.EventID), func(k, v []byte) error {
		var row AttestationRow
		if err := json.Unmarshal(v, &row); err != nil {
			return fmt.Errorf("%w: row %q: %v", ErrCorrupt, k, err)
		}
		atts = append(atts, row)
		return nil
	})
	for _, row := range atts {
		row.SubjectRetracted = mark
		for _, k := range attestationKeys(&row) {
			if err := t.set(k, &row); err != nil {
				return err
			}
		}
		t.notify(viewAttestations, row.Verifier)
	}
	return err
}

// retractIn marks the row at k retracted, updates the party's model and recomputes
// its summary.
func retractIn[T any](t *txn, party string, k key, inModel func(*partyModel), inRow func(*T)) error {
	if err := update(t, k, inRow); err != nil {
		return err
	}
	m, err := t.model(party)
	if err != nil {
		return err
	}
	inModel(m)
	return t.recompute(m)
}
