package burst

import (
	"bytes"
	"context"
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
