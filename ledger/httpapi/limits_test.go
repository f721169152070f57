package httpapi_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/climateledger/climateledger/events/eventtest"
	"github.com/climateledger/climateledger/ledger/httpapi"
	"github.com/climateledger/climateledger/ledger/ledgertest"
)

// clientFrom returns an HTTP client whose connections come from the loopback address
// ip (127.0.0.2 is as much loopback as 127.0.0.1 on Linux): another client address.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
}

// TestSubmitFloodFromOneAddress: with the default limits, a flood of 300
// submissions as fast as 8 connections can send them from 127.0.0.1 meets 429s
// (rate_limited, Retry-After) after its burst, while a jurisdiction submitting from
// 127.0.0.2 at the same time gets every event recorded, promptly.
func TestSubmitFloodFromOneAddress(t *testing.T) {
	limits := httpapi.DefaultLimits()
	e := serveEdge(t, &limits)
	n := e.n
	for _, id := range []string{"us-ca", "cnszx"} {
		n.Enroll(id, id, "", "US", "state")
		mustSubmit(t, e.srv.URL, n.Entries[len(n.Entries)-1])
	}
	// The flood: a client retrying a recorded event in a loop (each is a full gate
	// run: parse, look-up, receipt).
	retried := n.Append("us-ca", inventory())
	mustSubmit(t, e.srv.URL, retried)
	// The other client's events, made up front.
	var honest [][]byte
	for range 10 {
		honest = append(honest, n.Append("cnszx", inventory()))
	}

	flooder := clientFrom("127.0.0.1")
	var served, limited, other atomic.Int64
	var badRetryAfter atomic.Value
	const floodN, workers = 300, 8
	jobs := make(chan int, floodN)
	for i := range floodN {
		jobs <- i
	}
	close(jobs)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range jobs {
				a := do(t, flooder, "POST", e.srv.URL+"/v1/events", "application/json", retried)
				switch {
				case a.status == http.StatusOK:
					served.Add(1)
				case a.status == http.StatusTooManyRequests && a.problem != nil && a.problem.Code == "rate_limited":
					limited.Add(1)
					if s, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || s < 1 {
						badRetryAfter.Store(a.header.Get("Retry-After"))
					}
				default:
					other.Add(1)
				}
			}
		})
	}
	// Meanwhile, from another address.
	honestClient := clientFrom("127.0.0.2")
	var worst time.Duration
	for i, entry := range honest {
		t0 := time.Now()
		a := do(t, honestClient, "POST", e.srv.URL+"/v1/events", "application/json", entry)
		if d := time.Since(t0); d > worst {
			worst = d
		}
		if a.status != http.StatusCreated {
			t.Fatalf("honest submission %d from 127.0.0.2 during the flood: %d %s", i, a.status, a.body)
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("flood of %d from 127.0.0.1 in %v: %d served, %d answered 429; 10 submissions from 127.0.0.2: all 201, slowest %v",
		floodN, elapsed.Round(time.Millisecond), served.Load(), limited.Load(), worst.Round(time.Millisecond))
	if other.Load() != 0 {
		t.Fatalf("%d flood answers were neither 200 nor 429", other.Load())
	}
	if v := badRetryAfter.Load(); v != nil {
		t.Errorf("a 429 had Retry-After %q, want whole seconds ≥ 1", v)
	}
	// At most the burst plus the rate over the flood's duration (and one for rounding).
	maxServed := int64(limits.SubmitBurstPerAddr) + int64(limits.SubmitPerAddr*elapsed.Seconds()) + 1
	if served.Load() > maxServed || limited.Load() < floodN-maxServed {
		t.Fatalf("flood: %d served, %d limited; want at most %d served", served.Load(), limited.Load(), maxServed)
	}
	// The first 429s are the submission limit's; past the burst of any requests
	// (200), the per-address request limit answers first.
	st := e.lim.Stats()
	t.Logf("429s by limit: %v", st.Limited)
	if got := st.Limited[httpapi.LimitSubmitAddr] + st.Limited[httpapi.LimitRequestsAddr]; got != uint64(limited.Load()) || st.Limited[httpapi.LimitSubmitAddr] == 0 {
		t.Errorf("Stats().Limited = %v, want the %d 429s counted, under submit_per_addr first", st.Limited, limited.Load())
	}
	if worst > 2*time.Second {
		t.Errorf("the other address waited %v for a receipt during the flood", worst)
	}
}

// TestPartyLimit: a party's budget counts appended events only. Forged submissions
// in its name (another key's signature) are refused by the gate without spending it;
// once the party's own events use it up, the next is refused with 429
// submit_per_party before the gate, and nothing is appended.
func TestPartyLimit(t *testing.T) {
	e := serveEdge(t, &httpapi.Limits{SubmitPerParty: 0.01, SubmitBurstPerParty: 3})
	n := e.n
	n.Enroll("us-ca", "California", "", "US", "state")
	mustSubmit(t, e.srv.URL, n.Entries[len(n.Entries)-1]) // 1 of us-ca's 3
	for i := range 10 {
		forged := draft(t, n, "us-ca", inventory(), nil, eventtest.Key("forger", "k"))
		if a := do(t, nil, "POST", e.srv.URL+"/v1/events", "application/json", forged); a.status != 403 {
			t.Fatalf("forged submission %d: %d %s, want 403", i, a.status, a.body)
		}
	}
	mustSubmit(t, e.srv.URL, n.Append("us-ca", inventory())) // 2
	third := n.Append("us-ca", inventory())
	rc := mustSubmit(t, e.srv.URL, third) // 3
	before := ledgertest.Entries(t, e.node)
	// Over its budget, the party still gets the receipt of a recorded event back.
	if a := do(t, nil, "POST", e.srv.URL+"/v1/events", "application/json", third); a.status != 200 || !strings.Contains(string(a.body), rc.ID) {
		t.Fatalf("resubmission over the budget: %d %s, want 200 and the receipt", a.status, a.body)
	}
	a := do(t, nil, "POST", e.srv.URL+"/v1/events", "application/json", draft(t, n, "us-ca", inventory(), nil))
	want := "too many events for party us-ca: at most 0.01 per second, in bursts of up to 3; retry after 100 s"
	if a.status != 429 || a.problem == nil || a.problem.Code != "rate_limited" || a.problem.Limit != httpapi.LimitSubmitParty ||
		a.problem.Detail != want || a.header.Get("Retry-After") != "100" {
		t.Fatalf("4th event of us-ca: %d %v %s; want 429 rate_limited %q, Retry-After 100", a.status, a.header, a.body, want)
	}
	// Another party is not affected.
	n.Enroll("cnszx", "Shenzhen", "", "CN", "city")
	mustSubmit(t, e.srv.URL, n.Entries[len(n.Entries)-1])
	if after := ledgertest.Entries(t, e.node); len(after) != len(before)+1 {
		t.Fatalf("log has %d entries, want %d: the refused event must not be appended", len(after), len(before)+1)
	}
}

// TestSSECaps: open event streams are capped per address and in total; the stream
// over a cap gets 429 rate_limited with Retry-After, and a closed stream frees its
// place.
func TestSSECaps(t *testing.T) {
	e := serveEdge(t, &httpapi.Limits{SSEPerAddr: 2, SSETotal: 3})
	open := func(c *http.Client) (*http.Response, context.CancelFunc) {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/subscribe", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode == http.StatusOK {
			// The stream is live: its first line is the retry hint.
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "retry:") {
				t.Fatalf("stream's first line %q, %v", line, err)
			}
		}
		return resp, func() { cancel(); resp.Body.Close() }
	}
	a1, b1 := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	r1, close1 := open(a1)
	r2, close2 := open(a1)
	defer close2()
	r3, close3 := open(a1)
	defer close3()
	if r1.StatusCode != 200 || r2.StatusCode != 200 || r3.StatusCode != 429 || r3.Header.Get("Retry-After") != "10" {
		t.Fatalf("three streams from one address: %d %d %d (Retry-After %q), want 200 200 429 (10)", r1.StatusCode, r2.StatusCode, r3.StatusCode, r3.Header.Get("Retry-After"))
	}
	r4, close4 := open(b1)
	defer close4()
	r5, close5 := open(b1)
	defer close5()
	if r4.StatusCode != 200 || r5.StatusCode != 429 {
		t.Fatalf("streams from another address past the total of 3: %d %d, want 200 429", r4.StatusCode, r5.StatusCode)
	}
	if got := e.lim.SSEStreams(); got != 3 {
		t.Errorf("SSEStreams() = %d, want 3", got)
	}
	// Closing one frees its place (the server notices the closed connection).
	close1()
	deadline := time.Now().Add(5 * time.Second)
	for e.lim.SSEStreams() != 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r6, close6 := open(b1)
	defer close6()
	if r6.StatusCode != 200 {
		t.Fatalf("stream after one closed: %d, want 200", r6.StatusCode)
	}
	st := e.lim.Stats()
	if st.Limited[httpapi.LimitSSEAddr] != 1 || st.Limited[httpapi.LimitSSETotal] != 1 {
		t.Errorf("Stats().Limited = %v, want one each of sse_per_addr and sse_total", st.Limited)
	}
}
