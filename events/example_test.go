package events_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/events/eventtest"
)

// This example signs an event and verifies it the way an auditor does: it replays the
// log — a genesis, an enrolment, then the event — in a Registry. Keys come from fixed
// seeds and ids are fixed, so the output is stable; real keys come from
// events.GenerateSigner(crypto/rand.Reader) and ids from events.NewID.
func Example() {
	registrar, _ := events.NewSigner(bytes.Repeat([]byte{1}, 32))
	california, _ := events.NewSigner(bytes.Repeat([]byte{2}, 32))
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

	reg := events.NewRegistry()
	// record signs a draft, parses the stored entry back and replays it.
	record := func(d *events.Draft, signers ...*events.Signer) (*events.Entry, *events.Finding) {
		payload, err := d.Marshal()
		if err != nil {
			panic(err)
		}
		stored := events.Sign(payload, signers...) // the log entry
		e, err := events.ParseEntry(stored)
		if err != nil {
			panic(err)
		}
		return e, reg.Apply(e) // checks every signature, the chain and the references
	}

	// The log starts with the genesis, signed by the registrar key it lists.
	record(&events.Draft{ID: "01KB5Z4G000000000000000001", Party: events.NetworkParty, Seq: 1,
		Type: events.TypeGenesis, Time: t0, Body: &events.GenesisBody{
			Origin: "climateledger.local/log", Name: "Example network",
			RegistrarKeys: []events.PublicKeyRef{registrar.Ref()}, LogKey: eventtest.TestLogVerifierKey}},
		registrar)
	// The registrar enrols California; its key co-signs (proof of possession).
	enrolled, _ := record(&events.Draft{ID: "01KB5Z4G000000000000000002", Party: "us-ca", Seq: 1,
		Type: events.TypePartyEnrolled, Time: t0.Add(time.Minute), Body: &events.EnrolledBody{
			Kind: events.KindJurisdiction, Names: map[string]string{"en": "California"},
			Country: "US", Level: "state", Keys: []events.PublicKeyRef{california.Ref()}}},
		registrar, california)
	// California records its endorsement: seq 2, linked to the head of its chain.
	e, finding := record(&events.Draft{ID: "01KB5Z4G000000000000000003", Party: "us-ca", Seq: 2, Prev: enrolled.Hash,
		Type: events.TypeEndorsement, Time: t0.Add(2 * time.Minute),
		Body: &events.EndorsementBody{Summit: "2015-los-angeles", Date: "2015-09-15"}},
		california)

	fmt.Println("keyid:", california.KeyID())
	fmt.Println("payload hash:", e.Hash)
	if finding == nil {
		fmt.Println("valid")
	} else {
		fmt.Println(finding.Code)
	}
	// Output:
	// keyid: 6a3803d5f059902a1c6dafbc9ba4729212f7caac08634cc3ae76b27529f03827
	// payload hash: cc7ca3d199fb2f83b2693b12e03e0ade170c1fb00cf5023e97168314b9e178c6
	// valid
}

// DecodeBody reports every problem of a body at once, each with its field path.
func ExampleDecodeBody() {
	_, err := events.DecodeBody(events.TypeInventoryReported, []byte(`{"year":2015,"framework":"GPC","level":"BASIC","gwp":"AR5",`+
		`"lines":[{"gpc_ref":"I.9.1","scope":1,"gas":"CO2","tco2e":10},{"gpc_ref":"I.7.1","scope":1,"gas":"CH4","notation":"NO"}],`+
		`"total_tco2e":11}`))
	var ve *events.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Printf("%s: %s\n", f.Path, f.Message)
		}
	}
	// Output:
	// body.lines[0].gpc_ref: unknown GPC reference "I.9.1"
	// body.lines[1].explanation: required with a notation key
	// body.total_tco2e: 11 does not match the sum of lines 10
}
