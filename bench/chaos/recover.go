package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// snapshot is the part of GET /admin/v1/snapshot the recovery checks read.
type snapshot struct {
	Breakers []struct {
		Name  string `json:"name"`
		State string `json:"state"`
		Mode  string `json:"mode"`
	} `json:"breakers"`
	Cache struct {
		Backend string `json:"backend"`
		Healthy bool   `json:"healthy"`
	} `json:"cache"`
	Store struct {
		Backend   string `json:"backend"`
		Reachable bool   `json:"reachable"`
	} `json:"store"`
}

// health is what quant says of itself after the faults.
type health struct {
	Ready          bool     `json:"ready"`
	StoreReachable bool     `json:"store_reachable"`
	CacheHealthy   bool     `json:"cache_healthy"`
	Breakers       []string `json:"breakers"` // name=state/mode
	// Pending lists what is not back yet (empty: recovered).
	Pending []string `json:"pending"`
}

// checkHealth reads /readyz and the admin snapshot. strict also requires
// every breaker closed and the cache healthy, which only traffic can bring
// back (a breaker half-opens and closes on calls; the cache marks Redis
// healthy on its next call).
func checkHealth(ctx context.Context, c *http.Client, api, admin string, strict bool) health {
	var h health
	r := get(ctx, c, api, "/readyz", kindListing)
	h.Ready = r.Status == http.StatusOK
	if !h.Ready {
		h.Pending = append(h.Pending, fmt.Sprintf("readyz answers %d %s", r.Status, r.Err))
	}
	var s snapshot
	if err := getJSON(ctx, c, admin+"/admin/v1/snapshot", &s); err != nil {
		h.Pending = append(h.Pending, "admin snapshot: "+err.Error())
		return h
	}
	h.StoreReachable, h.CacheHealthy = s.Store.Reachable, s.Cache.Healthy
	if !s.Store.Reachable {
		h.Pending = append(h.Pending, "store "+s.Store.Backend+" unreachable")
	}
	if strict && !s.Cache.Healthy {
		h.Pending = append(h.Pending, "cache "+s.Cache.Backend+" unhealthy")
	}
	for _, b := range s.Breakers {
		h.Breakers = append(h.Breakers, b.Name+"="+b.State+"/"+b.Mode)
		switch {
		case b.Mode != "auto":
			h.Pending = append(h.Pending, "breaker "+b.Name+" "+b.Mode)
		case b.State == "open" || strict && b.State != "closed":
			h.Pending = append(h.Pending, "breaker "+b.Name+" "+b.State)
		}
	}
	return h
}

// settleReport is settle.json.
type settleReport struct {
	OK      bool    `json:"ok"`
	WaitedS float64 `json:"waited_s"`
	Health  health  `json:"health"`
}

// settleCmd waits, at most -timeout, until quant is ready, its store
// reachable, and no breaker is forced or open: what can come back without
// traffic.
func settleCmd(args []string) error {
	fs := flag.NewFlagSet("settle", flag.ExitOnError)
	api := fs.String("api", "", "quant API base URL")
	admin := fs.String("admin", "", "quant admin API base URL")
	dir := fs.String("dir", "", "working directory")
	timeout := fs.Duration("timeout", 90*time.Second, "longest wait")
	fs.Parse(args)
	c := newClient(2, 5*time.Second)
	start := time.Now()
	var rep settleReport
	for {
		rep.Health = checkHealth(context.Background(), c, *api, *admin, false)
		rep.WaitedS = time.Since(start).Seconds()
		if len(rep.Health.Pending) == 0 {
			rep.OK = true
			break
		}
		if time.Since(start) > *timeout {
			logf("settle: not recovered after %v: %s", *timeout, strings.Join(rep.Health.Pending, "; "))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if rep.OK {
		logf("settle: recovered after %.1f s (%s)", rep.WaitedS, strings.Join(rep.Health.Breakers, " "))
	}
	return writeJSONFile(*dir, fileSettle, rep)
}

// verifyReport is verify.json.
type verifyReport struct {
	Flush        string         `json:"flush"` // the status of the flush that starts the check
	WarmURLs     int            `json:"warm_urls"`
	WarmOK       int            `json:"warm_ok"`
	WarmRequests int            `json:"warm_requests"`
	WarmFailures []result       `json:"warm_failures"`
	N            int            `json:"n"`
	OK200        int            `json:"ok_200"`
	Hits         int            `json:"hits"`
	Outcomes     map[string]int `json:"outcomes"`
	XCache       map[string]int `json:"x_cache"`
	Failures     []result       `json:"failures"`
	MaxMS        float64        `json:"max_ms"`
	Final        health         `json:"final"`
	// Trades is the store's trade count at the end, ExpectedTrades the
	// count warm or the last ingest check left (nothing lost since).
	Trades         int  `json:"trades"`
	ExpectedTrades int  `json:"expected_trades"`
	OK             bool `json:"ok"`
}

// verifyCmd is the recovery check, without restarting quant: a cache flush
// (so that the check goes through the whole path, store, analyses, both
// cache levels and the breakers' probes, not only through what the cache
// kept); one warming pass over the hot set, where a 503/504 with
// Retry-After is retried after it, as a client would (at most 10 times per
// URL, and not past -warm-timeout); then -n requests over the hot set at
// concurrency -c, which must all answer 200 from the cache (X-Cache HIT);
// then every breaker must be closed and in auto, the cache healthy, the
// store reachable, and its trade count the one the last check left
// (DIR/count.txt: warm's, or the last ingest's).
func verifyCmd(args []string) error {
	fs := flag.NewFlagSet("verify", flag.ExitOnError)
	api := fs.String("api", "", "quant API base URL")
	admin := fs.String("admin", "", "quant admin API base URL")
	dir := fs.String("dir", "", "working directory")
	n := fs.Int("n", 500, "hot requests after the warming pass")
	conc := fs.Int("c", 8, "concurrency of the hot requests")
	timeout := fs.Duration("timeout", 30*time.Second, "client timeout per request")
	warmTimeout := fs.Duration("warm-timeout", time.Minute, "after this, the warming pass retries no more")
	fs.Parse(args)
	hot, err := readLines(*dir, fileHot)
	if err != nil {
		return err
	}
	ctx := context.Background()
	c := newClient(*conc, *timeout)
	rep := verifyReport{WarmURLs: len(hot), N: *n, Outcomes: map[string]int{}, XCache: map[string]int{}}
	rep.Flush = postStatus(ctx, c, *admin+"/admin/v1/cache/flush")
	logf("verify: cache flush: %s", rep.Flush)
	warmUntil := time.Now().Add(*warmTimeout)
	for _, u := range hot {
		tries := 10
		if time.Now().After(warmUntil) {
			tries = 1 // the pass's time is up: no more retries
		}
		r, tries := getPatiently(ctx, c, *api, u, kindHot, tries)
		rep.WarmRequests += tries
		if r.Outcome == out200 {
			rep.WarmOK++
		} else {
			rep.WarmFailures = append(rep.WarmFailures, r)
		}
	}
	logf("verify: warming pass: %d/%d hot URLs 200 in %d requests", rep.WarmOK, len(hot), rep.WarmRequests)

	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				r := get(ctx, c, *api, hot[i%len(hot)], kindHot)
				mu.Lock()
				rep.Outcomes[r.Outcome]++
				rep.MaxMS = max(rep.MaxMS, r.LatencyMS)
				if r.Outcome == out200 {
					rep.OK200++
					rep.XCache[r.XCache]++
					if r.XCache == "HIT" {
						rep.Hits++
					}
				}
				if (r.Outcome != out200 || r.XCache != "HIT") && len(rep.Failures) < 20 {
					rep.Failures = append(rep.Failures, r)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	rep.Final = checkHealth(ctx, c, *api, *admin, true)
	rep.ExpectedTrades = readCount(*dir)
	if rep.Trades, err = storeTrades(ctx, c, *api); err != nil {
		rep.Trades = -1
		rep.Final.Pending = append(rep.Final.Pending, "trade count: "+err.Error())
	}
	rep.OK = rep.Flush == "200 OK" && rep.WarmOK == len(hot) && rep.OK200 == *n && rep.Hits == *n && len(rep.Final.Pending) == 0 &&
		rep.Trades == rep.ExpectedTrades
	logf("verify: %d/%d hot requests 200, %d X-Cache HIT, slowest %.1f ms; %d trades stored (expected %d); after: %s", rep.OK200, *n, rep.Hits, rep.MaxMS,
		rep.Trades, rep.ExpectedTrades, strings.Join(append(rep.Final.Breakers, rep.Final.Pending...), " "))
	return writeJSONFile(*dir, fileVerify, rep)
}

// postStatus POSTs to url and returns the status ("200 OK") or the error.
func postStatus(ctx context.Context, c *http.Client, url string) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err.Error()
	}
	resp, err := c.Do(req)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	return resp.Status
}
