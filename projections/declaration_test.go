package projections

import (
	"slices"
	"testing"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// A jurisdiction's standing with the Declaration: a 2015 signatory, a participant of
// the 2016 summit without a recorded endorsement (not an endorser), the same kind of
// participant once an endorsement.recorded confirms it (an endorser of 2016), and a
// jurisdiction enrolled without any (not an endorser).
func TestDeclaration(t *testing.T) {
	e := start(t, Config{})
	src := &events.DocumentRef{URL: "https://example.org/summit", Quote: "participants"}
	enrol := func(id string, ends []events.Endorsement, parts []events.Participation) {
		k := eventtest.Key(e.net.Seed, "party/"+id)
		e.net.Append(id, &events.EnrolledBody{Kind: events.KindJurisdiction, Names: map[string]string{"en": id}, Country: "CN", Level: "city",
			Keys: []events.PublicKeyRef{k.Ref()}, Endorsements: ends, Participations: parts}, e.net.Registrar, k)
		e.net.Parties[id].Keys = []*events.Signer{k}
	}
	enrol("signatory", []events.Endorsement{{Summit: "2015-los-angeles", Date: "2015-09-15", Source: src}},
		[]events.Participation{{Summit: "2016-beijing", Date: "2016-06-07"}})
	enrol("participant", nil, []events.Participation{{Summit: "2016-beijing", Date: "2016-06-07", Source: src}})
	enrol("confirmed", nil, []events.Participation{{Summit: "2016-beijing", Date: "2016-06-07"}})
	e.net.Append("confirmed", &events.EndorsementBody{Summit: "2016-beijing", Date: "2016-06-08", Source: src})
	enrol("plain", nil, nil)
	e.flush(t)

	want := map[string]struct {
		group    string
		endorser bool
		reason   string
	}{
		"signatory":   {GroupSignatory2015, true, "signed the Declaration at the 2015 Los Angeles summit (a recorded endorsement)"},
		"participant": {GroupParticipant, false, "took part in the 2016 Beijing summit, but no endorsement of the Declaration is recorded for it: not counted as an endorser (its endorsement is unconfirmed)"},
		"confirmed":   {GroupEndorser2016, true, "endorsed the Declaration at the 2016 Beijing summit (a recorded endorsement)"},
		"plain":       {GroupNotEndorser, false, "enrolled without an endorsement of the Declaration, and none is recorded since: not counted as an endorser"},
	}
	var l PartyList
	e.getJSON(t, "/v1/parties", &l)
	seen := 0
	for _, p := range l.Parties {
		w, ok := want[p.ID]
		if !ok {
			continue
		}
		seen++
		if p.Declaration == nil || p.Declaration.Group != w.group || p.Declaration.Endorser != w.endorser || p.Declaration.Reason != w.reason {
			t.Errorf("%s: got %+v, want group %s, endorser %v, reason %q", p.ID, p.Declaration, w.group, w.endorser, w.reason)
		}
	}
	if seen != len(want) {
		t.Errorf("the list has %d of the %d jurisdictions", seen, len(want))
	}
	var d PartyDetail
	e.getJSON(t, "/v1/parties/participant", &d)
	if d.Declaration == nil || d.Declaration.Group != GroupParticipant || !slices.Equal(d.Declaration.Participated, []string{"2016-beijing"}) || len(d.Declaration.Endorsed) != 0 {
		t.Errorf("participant detail: %+v", d.Declaration)
	}
	var n Network
	e.getJSON(t, "/v1/network", &n)
	if got := n.Declaration.Endorsers.Parties; !slices.Equal(got, []string{"confirmed", "signatory"}) {
		t.Errorf("network endorsers: got %v, want confirmed and signatory", got)
	}
	for _, g := range n.Declaration.Groups {
		if g.Group == GroupParticipant && !slices.Equal(g.Parties, []string{"participant"}) {
			t.Errorf("network participants: got %v", g.Parties)
		}
	}
}
