package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/climateledger/climateledger/events"
	"github.com/climateledger/climateledger/ledger"
)

// KeyDirName is the directory, inside a node's data directory, that holds the demo
// parties' key files.
const KeyDirName = "demo-keys"

// KeyPath returns the key file of a demo party in keyDir: keyDir/<party>.key.
func KeyPath(keyDir, party string) string { return filepath.Join(keyDir, party+".key") }

// Config configures Seed.
type Config struct {
	// KeyDir holds the demo parties' key files (DATA/demo-keys); required. It is
	// created (0700) when missing; each key file is written 0600 before the party's
	// enrolment is submitted.
	KeyDir string
	// Network is the data to seed; default Load().
	Network *Network
	// Now is the clock for event times; default time.Now. The gate accepts times
	// within its clock skew (±10 minutes by default) of its own clock.
	Now func() time.Time
	// Rand is the source of new keys; default crypto/rand.Reader.
	Rand io.Reader
	// Logger receives one debug line per submitted event; nil discards.
	Logger *slog.Logger
}

// Validate reports every problem with the configuration at once.
func (c *Config) Validate() error {
	if c.KeyDir == "" {
		return errors.New("demo config: KeyDir is required")
	}
	return nil
}

// Summary says what Seed did.
type Summary struct {
	// Parties, Jurisdictions and Verifiers count the demo parties.
	Parties, Jurisdictions, Verifiers int
	// Counts is the number of demo events of each type in the log once seeding is
	// complete; Events their total.
	Counts map[string]int
	Events int
	// Submitted is the number of events this call recorded (0 when the log was
	// already seeded).
	Submitted int
	// AlreadySeeded is true when every demo chain was already complete.
	AlreadySeeded bool
	// Resumed is true when an earlier, interrupted seeding was completed.
	Resumed bool
	// Skipped explains why nothing was seeded into a log that holds other parties.
	Skipped string
	// KeyDir is where the demo parties' keys are.
	KeyDir string
}

// String is the one-line summary `climateledger serve --demo` prints.
func (s *Summary) String() string {
	if s.Skipped != "" {
		return "demo: not seeded: " + s.Skipped
	}
	var types []string
	for _, t := range events.EventTypes() {
		if n := s.Counts[t]; n > 0 {
			types = append(types, fmt.Sprintf("%d %s", n, t))
		}
	}
	what := fmt.Sprintf("%d parties (%d jurisdictions, %d verifier), %d events (%s); party keys in %s",
		s.Parties, s.Jurisdictions, s.Verifiers, s.Events, strings.Join(types, ", "), s.KeyDir)
	switch {
	case s.AlreadySeeded:
		return "demo: already seeded: " + what
	case s.Resumed:
		return fmt.Sprintf("demo: completed an interrupted seeding (%d events submitted): %s", s.Submitted, what)
	}
	return "demo: seeded " + what
}

// step is one planned event of a demo chain.
type step struct {
	typ string
	// body returns the body to sign; it runs just before submission.
	body func() (events.Body, error)
	// cosigners are other parties whose keys must sign (partners).
	cosigners []string
	// registrar: the registrar key signs too (enrolment).
	registrar bool
	// phase orders submission across chains: 0 enrolments, 1 the parties' own
	// events, 2 partnerships, 3 attestations.
	phase int
}

// ref is an event already in a demo chain.
type ref struct {
	id   string
	hash events.Hash
	typ  string
}

// seeder holds the state of one Seed call.
type seeder struct {
	cfg   Config
	node  *ledger.Node
	net   *Network
	lg    *slog.Logger
	keys  map[string]*events.Signer
	heads map[string]ledger.Head
	refs  map[string][]ref // party → its chain's events by seq-1
	plans map[string][]step
}

// Seed records the demo network in node's log through the gate (Node.Submit), each
// event signed by the keys the rules require: enrolments by the registrar
// (node.Keys().Registrar) and the party's new key, partnerships by every partner.
// Event times are the current time; the historical years are in the bodies.
//
// Seed is idempotent: on a log where every demo chain is complete it submits nothing
// (Summary.AlreadySeeded); after an interrupted seeding it submits what is missing
// (Summary.Resumed), reusing the keys in KeyDir. On a log that holds parties other
// than the demo's it seeds nothing and says so in Summary.Skipped.
//
// Errors: a rejection by the gate (an *events.Finding, a *ledger.ConflictError,
// ledger.ErrUnavailable …) wrapped with the party and event type; a demo chain that
// does not match the data; a key file that cannot be written or does not match the
// enrolled key. It is not safe to run two Seeds on one log at once.
func Seed(ctx context.Context, node *ledger.Node, cfg Config) (*Summary, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Network == nil {
		n, err := Load()
		if err != nil {
			return nil, err
		}
		cfg.Network = n
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	s := &seeder{cfg: cfg, node: node, net: cfg.Network, lg: lg, keys: map[string]*events.Signer{},
		heads: map[string]ledger.Head{}, refs: map[string][]ref{}, plans: map[string][]step{}}
	return s.run(ctx)
}

func (s *seeder) run(ctx context.Context) (*Summary, error) {
	sum := &Summary{Counts: s.net.Counts(), Events: s.net.EventCount(), KeyDir: s.cfg.KeyDir, Parties: len(s.net.Parties)}
	for _, p := range s.net.Parties {
		if p.Enrolment.Kind == events.KindVerifier {
			sum.Verifiers++
		} else {
			sum.Jurisdictions++
		}
	}
	s.plan()

	started, complete := 0, true
	for _, p := range s.net.Parties {
		h, err := s.node.ChainHead(ctx, p.ID)
		if err != nil {
			return nil, fmt.Errorf("chain head of %s: %w", p.ID, err)
		}
		s.heads[p.ID] = h
		if h.Seq > 0 {
			started++
		}
		if h.Seq < uint64(len(s.plans[p.ID])) {
			complete = false
		}
	}
	if started == 0 {
		var others []string
		s.node.View(func(reg *events.Registry, _ uint64) {
			for _, id := range reg.Parties() {
				if id != events.NetworkParty {
					others = append(others, id)
				}
			}
		})
		if len(others) > 0 {
			sum.Skipped = fmt.Sprintf("the log already holds %d other parties (%s…); the demo is seeded only into a new log", len(others), others[0])
			return sum, nil
		}
	}
	if complete {
		sum.AlreadySeeded = true
		return sum, nil
	}
	sum.Resumed = started > 0
	if sum.Resumed {
		if err := s.readChains(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.loadKeys(); err != nil {
		return nil, err
	}
	for phase := 0; phase <= 3; phase++ {
		for _, p := range s.net.Parties {
			plan := s.plans[p.ID]
			for i := int(s.heads[p.ID].Seq); i < len(plan); i++ {
				if plan[i].phase != phase {
					if plan[i].phase > phase {
						break
					}
					continue
				}
				if err := s.submit(ctx, p.ID, plan[i]); err != nil {
					return nil, err
				}
				sum.Submitted++
			}
		}
	}
	return sum, nil
}

// plan lays out every demo chain: enrolment, the party's own events, the partnerships
// it submits, the attestations it issues.
func (s *seeder) plan() {
	for _, p := range s.net.Parties {
		p := p
		plan := []step{{typ: events.TypePartyEnrolled, registrar: true, phase: 0, body: func() (events.Body, error) {
			b := p.Enrolment
			b.Keys = []events.PublicKeyRef{s.keys[p.ID].Ref()}
			return &b, nil
		}}}
		for j, e := range p.Events {
			body := e.body
			if e.RestatesYear != 0 {
				plan = append(plan, step{typ: e.Type, phase: 1, body: func() (events.Body, error) {
					at, err := p.restated(j)
					if err != nil {
						return nil, err
					}
					seq := at + 2 // the enrolment is seq 1
					refs := s.refs[p.ID]
					if len(refs) < seq {
						return nil, fmt.Errorf("restated %s seq %d is not in the log", p.ID, seq)
					}
					b := *body.(*events.InventoryBody)
					b.Restates = refs[seq-1].id
					return &b, nil
				}})
				continue
			}
			plan = append(plan, step{typ: e.Type, phase: 1, body: func() (events.Body, error) { return body, nil }})
		}
		s.plans[p.ID] = plan
	}
	for _, ps := range s.net.Partnerships {
		var co []string
		for _, id := range ps.body.Partners {
			if id != ps.Submitter {
				co = append(co, id)
			}
		}
		body := ps.body
		s.plans[ps.Submitter] = append(s.plans[ps.Submitter], step{typ: events.TypePartnership, phase: 2, cosigners: co,
			body: func() (events.Body, error) { return body, nil }})
	}
	for _, a := range s.net.Attestations {
		a := a
		s.plans[a.Verifier] = append(s.plans[a.Verifier], step{typ: events.TypeAttestation, phase: 3, body: func() (events.Body, error) {
			at, err := a.subjectEvent(s.net)
			if err != nil {
				return nil, err
			}
			seq := at + 2 // the enrolment is seq 1
			refs := s.refs[a.Subject.Party]
			if len(refs) < seq {
				return nil, fmt.Errorf("subject %s seq %d is not in the log", a.Subject.Party, seq)
			}
			r := refs[seq-1]
			b := a.body
			b.Subject = events.Subject{EventID: r.id, Hash: r.hash.String()}
			return &b, nil
		}})
	}
}

// readChains reads the demo chains already in the log (after an interrupted
// seeding) and checks that they follow the plan.
func (s *seeder) readChains(ctx context.Context) error {
	err := s.node.Log().Read(ctx, 1, func(_ uint64, raw []byte) error {
		e, err := events.ParseEntry(raw)
		if err != nil {
			return nil // not valid: never applied, not part of any chain
		}
		p := e.Payload
		plan, ok := s.plans[p.Party]
		if !ok || p.Seq != uint64(len(s.refs[p.Party])+1) || p.Seq > s.heads[p.Party].Seq {
			return nil // not a demo chain, or an entry the chain does not hold
		}
		if int(p.Seq) <= len(plan) && plan[p.Seq-1].typ != p.Type {
			return fmt.Errorf("%s seq %d is a %s, the demo data has a %s there; seed into a new data directory", p.Party, p.Seq, p.Type, plan[p.Seq-1].typ)
		}
		s.refs[p.Party] = append(s.refs[p.Party], ref{id: p.ID, hash: e.Hash, typ: p.Type})
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the log: %w", err)
	}
	return nil
}

// loadKeys reads each demo party's key from KeyDir, creating keys for parties not
// yet enrolled. An enrolled party's key file must hold a key registered to it.
func (s *seeder) loadKeys() error {
	if err := os.MkdirAll(s.cfg.KeyDir, 0o700); err != nil {
		return fmt.Errorf("key directory: %w", err)
	}
	for _, p := range s.net.Parties {
		path := KeyPath(s.cfg.KeyDir, p.ID)
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			k, err := events.ParseKeyFile(b)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			s.keys[p.ID] = k
		case errors.Is(err, fs.ErrNotExist):
			if s.heads[p.ID].Seq > 0 {
				return fmt.Errorf("%s is enrolled but its key file %s is missing", p.ID, path)
			}
			k, err := events.GenerateSigner(s.cfg.Rand)
			if err != nil {
				return fmt.Errorf("key of %s: %w", p.ID, err)
			}
			if err := ledger.WriteKeyFile(path, events.MarshalKeyFile(k)); err != nil {
				return fmt.Errorf("key of %s: %w", p.ID, err)
			}
			s.keys[p.ID] = k
		default:
			return fmt.Errorf("key of %s: %w", p.ID, err)
		}
		if s.heads[p.ID].Seq > 0 {
			var owner string
			s.node.View(func(reg *events.Registry, _ uint64) {
				if ks := reg.Key(s.keys[p.ID].KeyID()); ks != nil && ks.Active() {
					owner = ks.Owner
				}
			})
			if owner != p.ID {
				return fmt.Errorf("%s holds key %s, which is not an active key of %s", path, s.keys[p.ID].KeyID(), p.ID)
			}
		}
	}
	return nil
}

// submit signs and submits the next event of party's chain.
func (s *seeder) submit(ctx context.Context, party string, st step) error {
	body, err := st.body()
	if err != nil {
		return fmt.Errorf("%s %s: %w", party, st.typ, err)
	}
	h := s.heads[party]
	d := &events.Draft{Party: party, Seq: h.Seq + 1, Type: st.typ, Time: s.cfg.Now().UTC().Truncate(time.Second), Body: body}
	if h.Seq > 0 {
		if d.Prev, err = events.ParseHash(h.Hash); err != nil {
			return fmt.Errorf("head of %s: %w", party, err)
		}
	}
	payload, err := d.Marshal()
	if err != nil {
		return fmt.Errorf("%s %s: %w", party, st.typ, err)
	}
	signers := []*events.Signer{s.keys[party]}
	if st.registrar {
		if s.node.Keys().Registrar == nil {
			return fmt.Errorf("enrol %s: the demo enrols with the registrar key, and this node has no keys/%s", party, ledger.RegistrarKeyFile)
		}
		signers = append([]*events.Signer{s.node.Keys().Registrar}, signers...)
	}
	for _, id := range st.cosigners {
		signers = append(signers, s.keys[id])
	}
	rc, _, err := s.node.Submit(ctx, events.Sign(payload, signers...))
	if err != nil {
		return fmt.Errorf("submit %s %s (seq %d): %w", party, st.typ, d.Seq, err)
	}
	s.heads[party] = ledger.Head{Party: party, Seq: rc.Seq, Hash: rc.Hash.String()}
	s.refs[party] = append(s.refs[party], ref{id: rc.ID, hash: rc.Hash, typ: st.typ})
	s.lg.Debug("demo event recorded", "party", party, "seq", rc.Seq, "type", st.typ, "index", rc.Index)
	return nil
}
