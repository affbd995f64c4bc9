package burst

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testServer answers /ok with 200 (X-Cache HIT every other request) and
// /busy with 503 and Retry-After, and records the most requests it ever
// held at once.
func testServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var inflight, peak, n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cur := inflight.Add(1)
		defer inflight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond) // hold the request so concurrency shows
		if r.URL.Path == "/busy" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			return
		}
		if n.Add(1)%2 == 0 {
			w.Header().Set("X-Cache", "HIT")
		} else {
			w.Header().Set("X-Cache", "MISS")
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(ts.Close)
	return ts, &peak
}

func TestClosedLoop(t *testing.T) {
	ts, peak := testServer(t)
	var seen int
	var mu sync.Mutex
	rep, err := Run(context.Background(), Config{Targets: []string{ts.URL + "/ok", ts.URL + "/ok", ts.URL + "/ok", ts.URL + "/busy"}, Requests: 100, Concurrency: 10},
		func(Result) { mu.Lock(); seen++; mu.Unlock() })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 100 || seen != 100 {
		t.Fatalf("requests = %d, streamed %d; want 100", rep.Requests, seen)
	}
	if p := peak.Load(); p > 10 || p < 2 {
		t.Errorf("the server saw %d requests at once, want at most the 10 workers (and some concurrency)", p)
	}
	if rep.Successes != 75 || rep.StatusCodes["503"] != 25 || rep.Errors["503"] != 25 || rep.Answered != 100 {
		t.Errorf("report = %+v, want 75 ok and 25 answered 503s", rep)
	}
	if rep.Cache["HIT"]+rep.Cache["MISS"] != 75 || rep.CacheHitRate < 0.4 || rep.CacheHitRate > 0.6 {
		t.Errorf("cache = %v (hit rate %v)", rep.Cache, rep.CacheHitRate)
	}
	l := rep.Latency
	if !(l.MinMS > 0 && l.MinMS <= l.P50MS && l.P50MS <= l.P95MS && l.P95MS <= l.P99MS && l.P99MS <= l.MaxMS && l.MeanMS >= l.MinMS) {
		t.Errorf("latency figures out of order: %+v", l)
	}
	total := 0
	for _, b := range rep.Histogram {
		total += b.Count
	}
	if total != 100 || rep.Throughput <= 0 {
		t.Errorf("histogram holds %d, throughput %v", total, rep.Throughput)
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	for _, want := range []string{"success rate  75.0%", "answered 100.0%", "throughput", "histogram", "#"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestOpenLoop(t *testing.T) {
	ts, _ := testServer(t)
	rep, err := Run(context.Background(), Config{Targets: []string{ts.URL + "/ok"}, Rate: 100, Duration: 300 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests < 20 || rep.Requests > 40 {
		t.Errorf("100/s for 0.3 s sent %d requests, want about 30", rep.Requests)
	}
}

func TestErrorKinds(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens: connection refused
	rep, err := Run(context.Background(), Config{Targets: []string{"http://" + addr + "/"}, Requests: 5, Concurrency: 2, Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors["connection_refused"] != 5 || rep.SuccessRate != 0 || rep.StatusCodes["error"] != 5 {
		t.Errorf("report = %+v, want 5 connection_refused", rep)
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	rep, _ = Run(context.Background(), Config{Targets: []string{slow.URL}, Requests: 2, Concurrency: 2, Timeout: 100 * time.Millisecond}, nil)
	if rep.Errors["timeout"] != 2 {
		t.Errorf("errors = %v, want 2 timeouts", rep.Errors)
	}
}

func TestCancel(t *testing.T) {
	ts, _ := testServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	rep, err := Run(ctx, Config{Targets: []string{ts.URL + "/ok"}, Requests: 100000, Concurrency: 4}, func(Result) {
		n++
		if n == 50 {
			cancel()
		}
	})
	if err == nil || rep.Requests >= 1000 {
		t.Errorf("a canceled burst sent %d requests (err %v), want it to stop early", rep.Requests, err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []Config{{}, {Targets: []string{"x"}}, {Targets: []string{"x"}, Rate: 5}, {Targets: []string{"x"}, Requests: 1, Concurrency: -1}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
}

// hungServer accepts requests and answers none until the test ends; it
// sends on arrived (if not nil, without blocking) as each request arrives.
func hungServer(t *testing.T, arrived chan<- struct{}) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived != nil {
			select {
			case arrived <- struct{}{}:
			default:
			}
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); ts.Close() })
	return ts
}

// countingServer answers 200 at once and counts the requests.
func countingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	t.Cleanup(ts.Close)
	return ts, &n
}

// runWithin runs a burst and fails the test if it has not returned after
// limit (a burst that ignores its context would otherwise hang the test).
func runWithin(t *testing.T, limit time.Duration, ctx context.Context, cfg Config) (*Report, error) {
	t.Helper()
	type out struct {
		rep *Report
		err error
	}
	done := make(chan out, 1)
	go func() { r, err := Run(ctx, cfg, nil); done <- out{r, err} }()
	select {
	case o := <-done:
		return o.rep, o.err
	case <-time.After(limit):
		t.Fatalf("Run(%+v) still running after %v", cfg, limit)
		return nil, nil
	}
}

// A rate under 0.5/s used to round to vegeta's Freq 0, an unbounded rate
// (17,192 requests in 2 s); rates must be kept exactly, not rounded.
func TestOpenLoopExactRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		dur  time.Duration
		want int64 // hits at 0, 1/rate, 2/rate, ... before dur
	}{
		{"below half", 0.4, 200 * time.Millisecond, 1},
		{"fraction", 4.4, 500 * time.Millisecond, 3}, // 0, 227, 455 ms; rounded to 4/s it was 2
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, n := countingServer(t)
			rep, err := runWithin(t, 10*time.Second, context.Background(), Config{Targets: []string{ts.URL}, Rate: tc.rate, Duration: tc.dur})
			if err != nil {
				t.Fatal(err)
			}
			if got := n.Load(); got != tc.want || int64(rep.Requests) != tc.want {
				t.Errorf("%v/s for %v: server saw %d, report %d; want %d", tc.rate, tc.dur, got, rep.Requests, tc.want)
			}
		})
	}
}

func TestValidateRate(t *testing.T) {
	for _, r := range []float64{math.NaN(), math.Inf(1), 2e9, 1e-12} {
		c := Config{Targets: []string{"x"}, Rate: r, Duration: time.Second}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "rate") {
			t.Errorf("Validate(rate %v) = %v, want an error about the rate", r, err)
		}
	}
}

// An open loop with -c 0 must not grow past the documented 10,000 workers
// (vegeta's own default is unbounded).
func TestOpenLoopWorkerBound(t *testing.T) {
	for _, tc := range []struct {
		c    int
		want uint64
	}{{0, 10000}, {50, 50}} {
		if got := maxWorkers(Config{Rate: 10, Duration: time.Second, Concurrency: tc.c}); got != tc.want {
			t.Errorf("maxWorkers(-c %d) = %d, want %d", tc.c, got, tc.want)
		}
	}
}

// Each burst used to leave its keep-alive connections open (a new
// transport per Run, never closed): a console that bursts repeatedly
// piled them up on the server until it hit --max-conns.
func TestRunClosesConnections(t *testing.T) {
	var opened atomic.Int64
	closed := make(chan struct{}, 1000)
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed <- struct{}{}
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)
	if _, err := Run(context.Background(), Config{Targets: []string{ts.URL}, Requests: 50, Concurrency: 10}, nil); err != nil {
		t.Fatal(err)
	}
	want := opened.Load()
	if want == 0 {
		t.Fatal("the server saw no connection")
	}
	timeout := time.After(5 * time.Second)
	for i := int64(0); i < want; i++ {
		select {
		case <-closed:
		case <-timeout:
			t.Fatalf("%d of %d connections still open after the burst returned", want-i, want)
		}
	}
}

// Canceling used to be noticed only when a result arrived, and in-flight
// requests were not canceled: against a hung server Ctrl-C waited for
// every request's timeout.
func TestCancelInFlight(t *testing.T) {
	t.Run("closed loop", func(t *testing.T) {
		arrived := make(chan struct{}, 4)
		ts := hungServer(t, arrived)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		rep, err := runWithin(t, 5*time.Second, ctx, Config{Targets: []string{ts.URL}, Requests: 100, Concurrency: 4, Timeout: time.Minute})
		if !errors.Is(err, context.Canceled) || rep == nil || rep.Requests > 4 {
			t.Errorf("canceled burst: report %+v, err %v; want at most the 4 in flight and context.Canceled", rep, err)
		}
	})
	t.Run("slow open loop", func(t *testing.T) {
		arrived := make(chan struct{}, 1)
		ts := hungServer(t, arrived)
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		_, err := runWithin(t, 5*time.Second, ctx, Config{Targets: []string{ts.URL}, Rate: 0.1, Duration: time.Hour, Timeout: time.Minute})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

// An open loop whose workers are all stuck cannot keep its rate; it used
// to say nothing about it.
func TestOpenLoopShortfall(t *testing.T) {
	ts := hungServer(t, nil)
	rep, err := runWithin(t, 10*time.Second, context.Background(), Config{Targets: []string{ts.URL}, Rate: 50, Duration: 200 * time.Millisecond, Concurrency: 2, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 2 || rep.Planned != 10 || rep.RequestedRate != 50 || rep.AchievedRate != 10 {
		t.Errorf("report requests %d planned %d requested %v/s achieved %v/s; want 2, 10, 50, 10",
			rep.Requests, rep.Planned, rep.RequestedRate, rep.AchievedRate)
	}
	if w := rep.Shortfall(); !strings.Contains(w, "2 of 10") {
		t.Errorf("Shortfall() = %q, want it to name 2 of 10", w)
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	for _, want := range []string{"requested 50.0/s", "achieved 10.0/s", "warning"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, buf.String())
		}
	}
	b, _ := json.Marshal(rep)
	for _, want := range []string{`"requested_rate_rps":50`, `"achieved_rate_rps":10`, `"planned":10`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON report lacks %s: %s", want, b)
		}
	}
}

// A refused connection fails in microseconds; counted as a latency it made
// p50 look fast. Latency covers the requests the server answered.
func TestLatencyOfAnswersOnly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	const hold = 20 * time.Millisecond
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(hold) // the latency to measure, not synchronization
		w.WriteHeader(http.StatusNotFound)
	}))
	t.Cleanup(slow.Close)
	rep, err := Run(context.Background(), Config{Targets: []string{refused, slow.URL}, Requests: 10, Concurrency: 2, Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors["connection_refused"] != 5 || rep.StatusCodes["404"] != 5 {
		t.Fatalf("report = %+v, want 5 refused and 5 404s", rep)
	}
	if rep.Latency.MinMS < ms(hold) || rep.Latency.P50MS < ms(hold) {
		t.Errorf("latency %+v includes the refused connections, want every figure >= %v", rep.Latency, hold)
	}
	total := 0
	for _, b := range rep.Histogram {
		total += b.Count
	}
	if total != 5 {
		t.Errorf("histogram holds %d, want the 5 answers", total)
	}
}
