package httpapi

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the per-client limits of the HTTP edge (docs/SECURITY.md, "Denial of
// service"). A client is its address: the host of the connection's remote address,
// an IPv6 address cut to its /64 (one host usually holds a whole /64). A rate of 0
// means no limit of that kind; a burst below 1 is taken as 1.
type Limits struct {
	// RequestsPerAddr is the rate of requests of any kind from one address (per
	// second), and RequestsBurstPerAddr its burst.
	RequestsPerAddr      float64
	RequestsBurstPerAddr int
	// SubmitPerAddr is the rate of submissions (POST /v1/events) from one address, and
	// SubmitBurstPerAddr its burst.
	SubmitPerAddr      float64
	SubmitBurstPerAddr int
	// SubmitPerParty is the rate of events appended to one party's chain, whoever
	// sends them, and SubmitBurstPerParty its burst. Only appended events count: a
	// submission that the gate refuses (a forged signature, say) costs the party
	// nothing, so that nobody can exhaust a party's budget in its name; a submission
	// for a party over its budget is refused before the gate.
	SubmitPerParty      float64
	SubmitBurstPerParty int
	// SSEPerAddr bounds the open GET /v1/subscribe streams of one address, SSETotal
	// those of the node (0: no bound).
	SSEPerAddr, SSETotal int
	// MaxAddrs bounds the addresses tracked at once (default 100000); beyond it, the
	// new addresses share one budget until idle ones are forgotten.
	MaxAddrs int
}

// DefaultLimits are the limits serve applies unless told otherwise: far above what a
// jurisdiction, an auditor or a dashboard needs, far below a flood. A flood of a few
// hundred submissions per second from one address meets 429s after its first 40.
func DefaultLimits() Limits {
	return Limits{
		RequestsPerAddr: 100, RequestsBurstPerAddr: 200,
		SubmitPerAddr: 20, SubmitBurstPerAddr: 40,
		SubmitPerParty: 10, SubmitBurstPerParty: 50,
		SSEPerAddr: 8, SSETotal: 1000,
		MaxAddrs: 100000,
	}
}

// Validate reports every problem with the limits at once.
func (l Limits) Validate() error {
	var bad []string
	for _, f := range []struct {
		name string
		v    float64
	}{{"RequestsPerAddr", l.RequestsPerAddr}, {"SubmitPerAddr", l.SubmitPerAddr}, {"SubmitPerParty", l.SubmitPerParty},
		{"SSEPerAddr", float64(l.SSEPerAddr)}, {"SSETotal", float64(l.SSETotal)}, {"MaxAddrs", float64(l.MaxAddrs)}} {
		if f.v < 0 || math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			bad = append(bad, fmt.Sprintf("%s %v: want a finite number ≥ 0", f.name, f.v))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("httpapi limits: %v", bad)
	}
	return nil
}

// Limit reasons: the label of LimitStats' counters and the problem's detail.
const (
	LimitRequestsAddr = "requests_per_addr"
	LimitSubmitAddr   = "submit_per_addr"
	LimitSubmitParty  = "submit_per_party"
	LimitSSEAddr      = "sse_per_addr"
	LimitSSETotal     = "sse_total"
)

// LimitReasons lists the reasons, in a fixed order.
var LimitReasons = []string{LimitRequestsAddr, LimitSubmitAddr, LimitSubmitParty, LimitSSEAddr, LimitSSETotal}

// Limiter enforces Limits. Create it with NewLimiter; wrap the node's handler with
// Edge and give it to Handler.Limiter for the per-party limit. Safe for concurrent
// use.
type Limiter struct {
	cfg      Limits
	requests *keyedLimiters
	submits  *keyedLimiters
	parties  *keyedLimiters

	// sseMu guards sse: open streams per address.
	sseMu    sync.Mutex
	sse      map[netip.Prefix]int
	sseTotal atomic.Int64

	limited [5]atomic.Uint64 // per LimitReasons
	now     func() time.Time
}

// NewLimiter returns a limiter for l (validated).
func NewLimiter(l Limits) (*Limiter, error) {
	if err := l.Validate(); err != nil {
		return nil, err
	}
	if l.MaxAddrs == 0 {
		l.MaxAddrs = 100000
	}
	lim := &Limiter{cfg: l, sse: map[netip.Prefix]int{}, now: time.Now}
	lim.requests = newKeyed(l.RequestsPerAddr, l.RequestsBurstPerAddr, l.MaxAddrs)
	lim.submits = newKeyed(l.SubmitPerAddr, l.SubmitBurstPerAddr, l.MaxAddrs)
	lim.parties = newKeyed(l.SubmitPerParty, l.SubmitBurstPerParty, l.MaxAddrs)
	return lim, nil
}

// LimitStats is a snapshot of a Limiter's counters.
type LimitStats struct {
	// Limited counts the requests answered 429, per reason (LimitReasons).
	Limited map[string]uint64
	// SSEStreams is the number of open GET /v1/subscribe streams.
	SSEStreams int64
	// TrackedAddrs is the number of client addresses with a budget in memory.
	TrackedAddrs int
}

// Stats returns the limiter's counters. Nil-safe: a nil Limiter has none.
func (l *Limiter) Stats() LimitStats {
	s := LimitStats{Limited: map[string]uint64{}}
	if l == nil {
		return s
	}
	for i, r := range LimitReasons {
		s.Limited[r] = l.limited[i].Load()
	}
	s.SSEStreams = l.sseTotal.Load()
	s.TrackedAddrs = l.requests.size()
	return s
}

// Limited returns how many requests were answered 429 for reason (one of
// LimitReasons): a monotonic counter, for metrics. Nil-safe.
func (l *Limiter) Limited(reason string) uint64 {
	if l == nil {
		return 0
	}
	for i, r := range LimitReasons {
		if r == reason {
			return l.limited[i].Load()
		}
	}
	return 0
}

// SSEStreams returns the number of open GET /v1/subscribe streams (a gauge). Nil-safe.
func (l *Limiter) SSEStreams() int64 {
	if l == nil {
		return 0
	}
	return l.sseTotal.Load()
}

func (l *Limiter) count(reason string) {
	for i, r := range LimitReasons {
		if r == reason {
			l.limited[i].Add(1)
		}
	}
}

// wrap applies the per-address limits to h.
func (l *Limiter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := clientPrefix(r)
		now := l.now()
		if ok, retry := l.requests.allow(addr.String(), now); !ok {
			l.refuse(w, LimitRequestsAddr, retry, "too many requests from your address: "+perSecond(l.cfg.RequestsPerAddr, l.cfg.RequestsBurstPerAddr))
			return
		}
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/events":
			if ok, retry := l.submits.allow(addr.String(), now); !ok {
				l.refuse(w, LimitSubmitAddr, retry, "too many submissions from your address: "+perSecond(l.cfg.SubmitPerAddr, l.cfg.SubmitBurstPerAddr))
				return
			}
		case (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.URL.Path == "/v1/subscribe":
			release, reason := l.openStream(addr)
			if reason != "" {
				if reason == LimitSSEAddr {
					l.refuse(w, reason, 10*time.Second, fmt.Sprintf("too many open event streams from your address: at most %d at once", l.cfg.SSEPerAddr))
				} else {
					l.refuse(w, reason, 10*time.Second, fmt.Sprintf("the server has its maximum of %d open event streams", l.cfg.SSETotal))
				}
				return
			}
			defer release()
		}
		h.ServeHTTP(w, r)
	})
}

// openStream counts an SSE stream of addr, or says which bound it would cross.
func (l *Limiter) openStream(addr netip.Prefix) (release func(), reason string) {
	l.sseMu.Lock()
	defer l.sseMu.Unlock()
	if l.cfg.SSEPerAddr > 0 && l.sse[addr] >= l.cfg.SSEPerAddr {
		return nil, LimitSSEAddr
	}
	if l.cfg.SSETotal > 0 && l.sseTotal.Load() >= int64(l.cfg.SSETotal) {
		return nil, LimitSSETotal
	}
	l.sse[addr]++
	l.sseTotal.Add(1)
	return func() {
		l.sseMu.Lock()
		defer l.sseMu.Unlock()
		if l.sse[addr]--; l.sse[addr] <= 0 {
			delete(l.sse, addr)
		}
		l.sseTotal.Add(-1)
	}, ""
}

// partyReady reports whether party may append now (it does not spend the budget:
// chargeParty does, once the event is appended).
func (l *Limiter) partyReady(party string) (bool, time.Duration) {
	return l.parties.ready(party, l.now())
}

// chargeParty spends one unit of party's budget for an appended event.
func (l *Limiter) chargeParty(party string) { l.parties.spend(party, l.now()) }

// refuseParty answers 429 for a party over its budget.
func (l *Limiter) refuseParty(w http.ResponseWriter, party string, retry time.Duration) {
	l.refuse(w, LimitSubmitParty, retry, "too many events for party "+party+": "+perSecond(l.cfg.SubmitPerParty, l.cfg.SubmitBurstPerParty))
}

func perSecond(r float64, burst int) string {
	return fmt.Sprintf("at most %s per second, in bursts of up to %d", strconv.FormatFloat(r, 'g', -1, 64), max(burst, 1))
}

// refuse writes 429 with Retry-After (whole seconds, at least 1).
func (l *Limiter) refuse(w http.ResponseWriter, reason string, retry time.Duration, detail string) {
	l.count(reason)
	secs := int64(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	WriteProblem(w, newProblem(http.StatusTooManyRequests, CodeRateLimited, fmt.Sprintf("%s; retry after %d s", detail, secs), func(p *Problem) { p.Limit = reason }))
}

// clientPrefix is the client's address as a limiting key: the remote host, an IPv6
// address cut to its /64.
func clientPrefix(r *http.Request) netip.Prefix {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

// keyedLimiters holds one token bucket per key, forgetting idle ones.
type keyedLimiters struct {
	r     rate.Limit
	burst int
	max   int

	mu        sync.Mutex
	m         map[string]*rate.Limiter
	overflow  *rate.Limiter // shared by new keys while m is full
	lastSweep time.Time
}

func newKeyed(perSecond float64, burst, max int) *keyedLimiters {
	if burst < 1 {
		burst = 1
	}
	return &keyedLimiters{r: rate.Limit(perSecond), burst: burst, max: max, m: map[string]*rate.Limiter{},
		overflow: rate.NewLimiter(rate.Limit(perSecond), burst)}
}

func (k *keyedLimiters) size() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.m)
}

// get returns key's bucket. Caller holds k.mu.
func (k *keyedLimiters) get(key string, now time.Time) *rate.Limiter {
	if lim, ok := k.m[key]; ok {
		return lim
	}
	if len(k.m) >= k.max || now.Sub(k.lastSweep) > time.Minute {
		k.sweep(now)
	}
	if len(k.m) >= k.max {
		return k.overflow
	}
	lim := rate.NewLimiter(k.r, k.burst)
	k.m[key] = lim
	return lim
}

// sweep forgets the buckets that are full again: they hold no memory of the past
// that a new bucket would not. Caller holds k.mu.
func (k *keyedLimiters) sweep(now time.Time) {
	k.lastSweep = now
	for key, lim := range k.m {
		if lim.TokensAt(now) >= float64(k.burst) {
			delete(k.m, key)
		}
	}
}

// allow spends one token of key's bucket, or says how long until there is one.
func (k *keyedLimiters) allow(key string, now time.Time) (bool, time.Duration) {
	if k.r == 0 {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.get(key, now)
	if lim.AllowN(now, 1) {
		return true, 0
	}
	return false, k.wait(lim, now)
}

// ready reports whether key's bucket holds a token, without spending it.
func (k *keyedLimiters) ready(key string, now time.Time) (bool, time.Duration) {
	if k.r == 0 {
		return true, 0
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	lim := k.get(key, now)
	if lim.TokensAt(now) >= 1 {
		return true, 0
	}
	return false, k.wait(lim, now)
}

// spend takes one token of key's bucket, going into debt if need be.
func (k *keyedLimiters) spend(key string, now time.Time) {
	if k.r == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.get(key, now).ReserveN(now, 1)
}

// wait is how long until lim holds one token.
func (k *keyedLimiters) wait(lim *rate.Limiter, now time.Time) time.Duration {
	missing := 1 - lim.TokensAt(now)
	return time.Duration(missing / float64(k.r) * float64(time.Second))
}
