package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/quant"
)

// startProtected runs `quant serve` with an admin listener on the real data
// and returns the API and admin base URLs.
func startProtected(t *testing.T, env []string, args ...string) (api, admin string) {
	t.Helper()
	needFile(t, realCSV)
	adminAddr := freeAddr(t)
	api = startServer(t, env, append([]string{"--data", realCSV, "--admin-addr", adminAddr}, args...)...)
	return api, "http://" + adminAddr
}

func request(t *testing.T, method, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestE2ECacheAndBreakers(t *testing.T) {
	api, admin := startProtected(t, nil, "--admin-token", "t0ken")
	ctx := context.Background()
	c := newClient(api, client.WithAdmin(admin, "t0ken"))
	cached := quant.Request{Analysis: quant.AnalysisEnsemble, ID: "david-a-perdue", Horizon: 4}
	uncached := quant.Request{Analysis: quant.AnalysisEnsemble, ID: "pat-roberts", Horizon: 5}
	for i, want := range []quant.CacheStatus{quant.CacheMiss, quant.CacheHit} {
		a, err := c.Analysis(ctx, cached)
		if err != nil || a.Cache != want {
			t.Fatalf("request %d: %+v, %v; want 200 %s", i, a, err, want)
		}
		if want == quant.CacheHit && !a.Meta.Cached {
			t.Errorf("a HIT's meta.cached is not true: %.300s", a.Body)
		}
	}
	if _, err := adminClient(admin, "").Snapshot(ctx); !errors.Is(err, client.ErrUnauthorized) {
		t.Errorf("admin without the token = %v, want 401", err)
	}
	if err := c.SetBreaker(ctx, "ensemble", client.BreakerOpen, "drill", time.Now().Add(5*time.Minute)); err != nil {
		t.Fatalf("force open: %v", err)
	}
	// A cached answer is still served; an uncached key is refused fast.
	if a, err := c.Analysis(ctx, cached); err != nil || a.Cache != quant.CacheHit {
		t.Errorf("cached key with the breaker forced open = %+v, %v; want 200 HIT", a, err)
	}
	start := time.Now()
	_, err := c.Analysis(ctx, uncached)
	var e *client.Error
	if !errors.As(err, &e) || !errors.Is(err, quant.ErrUnavailable) || e.RetryAfter <= 0 || time.Since(start) > 2*time.Second {
		t.Errorf("uncached key with the breaker forced open = %v (%+v) after %v, want a fast 503 with Retry-After", err, e, time.Since(start))
	}
	if err := c.SetBreaker(ctx, "ensemble", client.BreakerAuto, "", time.Time{}); err != nil {
		t.Fatalf("auto: %v", err)
	}
	if _, err := c.Analysis(ctx, uncached); err != nil {
		t.Errorf("after auto: %v, want 200", err)
	}
	if err := c.FlushCache(ctx); err != nil {
		t.Errorf("flush: %v", err)
	}
	if a, err := c.Analysis(ctx, cached); err != nil || a.Cache != quant.CacheMiss {
		t.Errorf("after a flush: %+v, %v; want MISS", a, err)
	}
	resp, body := request(t, "GET", admin+"/metrics", "t0ken")
	if resp.StatusCode != 200 || !strings.Contains(body, `quant_cache_lookups_total{analysis="ensemble",result="hit"}`) || !strings.Contains(body, `quant_http_requests_total{code="503",method="GET",route="/api/v1/analytics/ensemble/{id}"} 1`) {
		t.Errorf("/metrics = %d, lacks the cache and request counters", resp.StatusCode)
	}
}

// TestE2EOverload sends 1,000 concurrent requests for distinct keys to a
// server with small pools: every one is answered, 200 or 503 with
// Retry-After, none hangs past the max wait, no connection fails.
func TestE2EOverload(t *testing.T) {
	api, _ := startProtected(t, nil, "--ml-capacity", "2", "--ml-queue", "50", "--ml-max-wait", "5s")
	var paths []string
	for k := 1; k <= 50; k++ {
		for _, id := range []string{"david-a-perdue", "thomas-r-carper", "sheldon-whitehouse", "pat-roberts", "susan-m-collins"} {
			paths = append(paths, fmt.Sprintf("/api/v1/analytics/dtw/%s?k=%d", id, k))
		}
	}
	for h := 1; h <= 26; h++ {
		for _, id := range []string{"david-a-perdue", "thomas-r-carper", "sheldon-whitehouse", "pat-roberts", "susan-m-collins", "shelley-m-capito",
			"john-f-reed", "james-m-inhofe", "john-hoeven", "ron-l-wyden", "patrick-j-toomey", "patty-murray", "william-cassidy", "gary-c-peters",
			"kelly-loeffler", "thomas-r-tillis", "richard-m-burr", "mark-r-warner", "angus-s-king", "lamar-alexander", "jerry-moran", "rick-scott",
			"richard-blumenthal", "john-boozman", "dianne-feinstein", "daniel-s-sullivan", "christopher-a-coons", "tina-smith", "thad-cochran", "benjamin-l-cardin"} {
			paths = append(paths, fmt.Sprintf("/api/v1/analytics/ensemble/%s?horizon=%d", id, h))
		}
	}
	paths = paths[:1000]
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1000, MaxConnsPerHost: 0}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	outcomes := map[string]int{}
	var slowest time.Duration
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Go(func() {
			start := time.Now()
			resp, err := client.Get(api + p)
			d := time.Since(start)
			key := ""
			switch {
			case err != nil:
				key = "error: " + err.Error()
			default:
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				key = fmt.Sprint(resp.StatusCode)
				if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
					key = "503 without Retry-After"
				}
			}
			mu.Lock()
			outcomes[key]++
			slowest = max(slowest, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	for k, n := range outcomes {
		if k != "200" && k != "503" && k != "422" {
			t.Errorf("%d requests ended %q", n, k)
		}
	}
	if outcomes["200"] == 0 {
		t.Errorf("no request succeeded: %v", outcomes)
	}
	if slowest > 20*time.Second {
		t.Errorf("the slowest request took %v; the max wait is 5 s", slowest)
	}
	t.Logf("1,000 concurrent distinct requests: %v, slowest %v", outcomes, slowest)
}

func TestE2EAdminNeedsTokenBeyondLoopback(t *testing.T) {
	_, stderr, code := run(t, nil, "serve", "--addr", freeAddr(t), "--admin-addr", "0.0.0.0:0")
	if code == 0 || !strings.Contains(stderr, "--admin-token") {
		t.Errorf("serve with the admin API on 0.0.0.0 and no token: exit %d, %q; want a refusal naming --admin-token", code, stderr)
	}
}

// TestE2EWarm warms the five most active politicians of the Senate CSV:
// per politician fourier, hmm, dtw, ensemble and compliance, then
// correlation, network and the compliance ranking, 28 jobs. The CSV has no
// disclosure dates, so the six compliance jobs end 422
// (no_disclosure_dates), which is an answer, not a failure.
func TestE2EWarm(t *testing.T) {
	api, _ := startProtected(t, nil)
	out, stderr, code := run(t, nil, "warm", "--url", api, "--top", "5")
	if code != 0 || !strings.Contains(out, "warmed 28 analyses of 5 politicians") || !strings.Contains(out, "MISS") || !strings.Contains(out, "422 6") {
		t.Fatalf("quant warm: exit %d, %q %q", code, out, stderr)
	}
	out, _, _ = run(t, nil, "warm", "--url", api, "--top", "5")
	if !strings.Contains(out, "HIT 22 422 6") {
		t.Errorf("a second warm: %q, want every answer a HIT and the six compliance 422s", out)
	}
}

func TestE2EBurst(t *testing.T) {
	api, admin := startProtected(t, nil, "--admin-token", "tk")
	out, stderr, code := run(t, []string{"QUANT_ADMIN_TOKEN=tk"}, "burst", "--url", api, "--admin-url", admin, "-n", "20", "-c", "5", "--cold", "--json")
	if code != 0 {
		t.Fatalf("quant burst: exit %d: %s", code, stderr)
	}
	var rep struct {
		Requests     int            `json:"requests"`
		AnsweredRate float64        `json:"answered_rate"`
		StatusCodes  map[string]int `json:"status_codes"`
		Cache        map[string]int `json:"cache"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("quant burst --json: %v\n%s", err, out)
	}
	// The real data's ten most active include politicians too short for
	// the ensemble: their 422 is an answer.
	if rep.Requests != 20 || rep.AnsweredRate != 1 || rep.StatusCodes["200"]+rep.StatusCodes["422"] != 20 ||
		rep.Cache["MISS"]+rep.Cache["COALESCED"] == 0 || rep.Cache["HIT"] == 0 {
		t.Errorf("burst report = %+v, want 20 answers, cold misses then hits", rep)
	}
	out, _, code = run(t, nil, "burst", "--url", api, "-n", "10", "-c", "10", "--analysis", "hmm", "--top", "3")
	if code != 0 || !strings.Contains(out, "success rate  100.0%") || !strings.Contains(out, "histogram") {
		t.Errorf("quant burst text report (exit %d):\n%s", code, out)
	}
	_, stderr, code = run(t, nil, "burst", "--url", api, "--analysis", "astrology")
	if code == 0 || !strings.Contains(stderr, "--analysis") {
		t.Errorf("a bad --analysis: exit %d, %q", code, stderr)
	}
}
