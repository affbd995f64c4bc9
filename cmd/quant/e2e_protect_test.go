package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
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
	url := api + "/api/v1/analytics/ensemble/david-a-perdue?horizon=4"
	for i, want := range []string{"MISS", "HIT"} {
		resp, body := request(t, "GET", url, "")
		if resp.StatusCode != 200 || resp.Header.Get("X-Cache") != want {
			t.Fatalf("request %d: %d X-Cache %q, want 200 %s: %.200s", i, resp.StatusCode, resp.Header.Get("X-Cache"), want, body)
		}
		if want == "HIT" && !strings.Contains(body, `"cached":true`) {
			t.Errorf("a HIT's meta.cached is not true: %.300s", body)
		}
	}
	if resp, _ := request(t, "GET", admin+"/admin/v1/snapshot", ""); resp.StatusCode != 401 {
		t.Errorf("admin without the token = %d, want 401", resp.StatusCode)
	}
	if resp, body := request(t, "POST", admin+"/admin/v1/breakers/ensemble/open?reason=drill&for=5m", "t0ken"); resp.StatusCode != 200 {
		t.Fatalf("force open = %d: %s", resp.StatusCode, body)
	}
	// A cached answer is still served; an uncached key is refused fast.
	if resp, _ := request(t, "GET", url, ""); resp.StatusCode != 200 || resp.Header.Get("X-Cache") != "HIT" {
		t.Errorf("cached key with the breaker forced open = %d %s, want 200 HIT", resp.StatusCode, resp.Header.Get("X-Cache"))
	}
	start := time.Now()
	resp, body := request(t, "GET", api+"/api/v1/analytics/ensemble/pat-roberts?horizon=5", "")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || time.Since(start) > 2*time.Second {
		t.Errorf("uncached key with the breaker forced open = %d (Retry-After %q) after %v, want a fast 503: %s",
			resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(start), body)
	}
	if resp, body := request(t, "POST", admin+"/admin/v1/breakers/ensemble/auto", "t0ken"); resp.StatusCode != 200 {
		t.Fatalf("auto = %d: %s", resp.StatusCode, body)
	}
	if resp, _ := request(t, "GET", api+"/api/v1/analytics/ensemble/pat-roberts?horizon=5", ""); resp.StatusCode != 200 {
		t.Errorf("after auto = %d, want 200", resp.StatusCode)
	}
	if resp, _ := request(t, "POST", admin+"/admin/v1/cache/flush", "t0ken"); resp.StatusCode != 200 {
		t.Errorf("flush = %d", resp.StatusCode)
	}
	if resp, _ := request(t, "GET", url, ""); resp.Header.Get("X-Cache") != "MISS" {
		t.Errorf("after a flush: X-Cache %q, want MISS", resp.Header.Get("X-Cache"))
	}
	resp, body = request(t, "GET", admin+"/metrics", "t0ken")
	if resp.StatusCode != 200 || !strings.Contains(body, `quant_cache_lookups_total{result="hit"}`) || !strings.Contains(body, `quant_http_requests_total{code="503",route="/api/v1/analytics/ensemble/{id}"} 1`) {
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
