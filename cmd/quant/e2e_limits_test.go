package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/client"
)

// TestE2ELimits checks the process-level limits' flags on the real binary:
// --rate-limit answers 429 with Retry-After past a client's burst and never
// limits the health checks; --memory-limit makes the API shed cold
// analyses with 503 while the health checks answer; bad values are
// refused by name.
func TestE2ELimits(t *testing.T) {
	t.Run("rate limit", func(t *testing.T) {
		// One token per 100 s: however slow the machine, the bucket cannot
		// refill during the test.
		api := startServer(t, nil, "--rate-limit", "0.01", "--rate-burst", "2")
		var codes []int
		for range 5 {
			resp, body := request(t, "GET", api+"/api/v1/politicians?limit=1", "")
			codes = append(codes, resp.StatusCode)
			if resp.StatusCode == 429 {
				ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
				if err != nil || ra < 1 || ra > 100 {
					t.Errorf("429 Retry-After = %q, want 1..100 s", resp.Header.Get("Retry-After"))
				}
				if resp.Header.Get("Content-Type") != "application/problem+json" || !strings.Contains(body, `"status":429`) {
					t.Errorf("429 answer: %s %s", resp.Header.Get("Content-Type"), body)
				}
			}
		}
		if !slices.Equal(codes, []int{200, 200, 429, 429, 429}) {
			t.Errorf("five requests at burst 2 = %v, want 200 200 429 429 429", codes)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp, _ := request(t, "GET", api+path, ""); resp.StatusCode != 200 {
				t.Errorf("%s of a limited client = %d, want 200", path, resp.StatusCode)
			}
		}
	})

	t.Run("memory shedding", func(t *testing.T) {
		// The built-in dataset alone keeps more than 5% of 16 MiB live.
		api := startServer(t, nil, "--memory-limit", "16MiB", "--memory-shed-threshold", "0.05")
		resp, body := request(t, "GET", api+"/api/v1/analytics/fourier/aaron-fox", "")
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "memory pressure") {
			t.Errorf("analysis under memory pressure = %d (Retry-After %q): %s; want 503 memory pressure", resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp, _ := request(t, "GET", api+path, ""); resp.StatusCode != 200 {
				t.Errorf("%s while shedding = %d, want 200", path, resp.StatusCode)
			}
		}
	})

	t.Run("bad values", func(t *testing.T) {
		for _, tt := range []struct{ args []string }{
			{[]string{"--max-conns", "0"}},
			{[]string{"--rate-limit", "-1"}},
			{[]string{"--trusted-proxies", "proxy.local"}},
			{[]string{"--memory-limit", "2GB"}},
			{[]string{"--memory-limit", "1MiB"}},
			{[]string{"--memory-shed-threshold", "1.5"}},
			{[]string{"--cache-max-bytes", "268435456", "--memory-limit", "250MiB"}}, // issue 16: a cache over half the limit
		} {
			_, stderr, code := run(t, nil, append([]string{"serve"}, tt.args...)...)
			if code == 0 || !strings.Contains(stderr, tt.args[0]) {
				t.Errorf("quant serve %v: exit %d, stderr %q; want an error naming %s", tt.args, code, stderr, tt.args[0])
			}
		}
	})
}

// heapAlloc reads the server's go_memstats_heap_alloc_bytes from the admin
// /metrics; with gc, it first has the server collect (the heap profile
// endpoint runs a GC with ?gc=1), so the figure is the live heap.
func heapAlloc(t *testing.T, client *http.Client, admin string, gc bool) float64 {
	t.Helper()
	if gc {
		resp, err := client.Get(admin + "/debug/pprof/heap?gc=1")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := client.Get(admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_alloc_bytes "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("go_memstats_heap_alloc_bytes %q: %v", v, err)
			}
			return f
		}
	}
	t.Fatalf("no go_memstats_heap_alloc_bytes in %s/metrics", admin)
	return 0
}

// TestE2EMemoryBounded sends 10,000 distinct cold analysis requests (DTW
// for every k up to 20 and every politician, correlation over 8,000
// different sets of 20 politicians) to a server whose answer cache is
// bounded at 4 MiB, and checks that its heap stays bounded although the
// answers add up to far more: the cache evicts, the coalescing table holds
// only the keys in flight, the bulkhead queue is bounded.
//
// Bounds: the live heap after the run (after a forced GC) at most 32 MiB
// over the one before, and the heap sampled during the run (garbage
// included) under 96 MiB, while the answers served add up to at least
// 64 MB. Measured (BENCHMARKS.md): 8.4 MiB before, 28.4 MiB peak, 14.9 MiB
// after; with --cache-max-bytes 1GiB instead, a cache that keeps every
// answer, the live heap grew by 84.5 MiB and peaked at 163 MiB, failing
// both.
func TestE2EMemoryBounded(t *testing.T) {
	const (
		cacheBytes = 4 << 20
		liveGrowth = 32 << 20
		peakBound  = 96 << 20
		minServed  = 64e6
	)
	adminAddr := freeAddr(t)
	api := startServer(t, nil, "--admin-addr", adminAddr, "--cache-max-bytes", strconv.Itoa(cacheBytes))
	admin := "http://" + adminAddr
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 2 * time.Minute}

	list, err := newClient(api).Politicians(context.Background(), client.PoliticianFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list.Politicians {
		ids = append(ids, p.ID)
	}
	if len(ids) < 50 {
		t.Fatalf("the built-in dataset has %d politicians, want at least 50", len(ids))
	}
	var paths []string
	for k := 1; k <= 20; k++ {
		for _, id := range ids {
			paths = append(paths, fmt.Sprintf("/api/v1/analytics/dtw/%s?k=%d", id, k))
		}
	}
	rng := rand.New(rand.NewPCG(8, 2))
	seen := map[string]bool{}
	for len(paths) < 10000 {
		set := slices.Clone(ids)
		rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
		set = set[:20]
		slices.Sort(set)
		key := strings.Join(set, ",")
		if !seen[key] {
			seen[key] = true
			paths = append(paths, "/api/v1/analytics/correlation?ids="+key)
		}
	}
	rng.Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })

	before := heapAlloc(t, hc, admin, true)
	// Sample the heap while the requests run; the sampler's pace is its
	// resolution, not synchronisation.
	stop := make(chan struct{})
	sampled := make(chan float64)
	go func() {
		peak := 0.0
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				sampled <- peak
				return
			case <-tick.C:
				peak = max(peak, heapAlloc(t, hc, admin, false))
			}
		}
	}()

	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		served   int64
		wg       sync.WaitGroup
	)
	work := make(chan string)
	for range 32 {
		wg.Go(func() {
			for p := range work {
				key := ""
				var n int64
				resp, err := hc.Get(api + p)
				if err != nil {
					key = "error: " + err.Error()
				} else {
					n, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					key = strconv.Itoa(resp.StatusCode)
					if resp.StatusCode == 200 && resp.Header.Get("X-Cache") != "MISS" {
						key = "200 " + resp.Header.Get("X-Cache") // every key is new: must be computed
					}
				}
				mu.Lock()
				outcomes[key]++
				if key == "200" {
					served += n
				}
				mu.Unlock()
			}
		})
	}
	start := time.Now()
	for _, p := range paths {
		work <- p
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	peak := <-sampled
	after := heapAlloc(t, hc, admin, true)

	snap, err := adminClient(admin, "").Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	const mib = 1 << 20
	t.Logf("10,000 distinct cold requests in %v: %v; answers served %.1f MB; cache %d entries, %.1f MiB; heap before %.1f MiB, peak %.1f MiB (sampled every 20 ms), live after %.1f MiB",
		elapsed.Round(time.Millisecond), outcomes, float64(served)/1e6, snap.Cache.Entries, float64(snap.Cache.Bytes)/mib, before/mib, peak/mib, after/mib)
	for k, n := range outcomes {
		if k != "200" && k != "422" && k != "503" {
			t.Errorf("%d requests ended %q", n, k)
		}
	}
	if outcomes["200"] < 9000 {
		t.Errorf("%d of 10,000 requests answered 200, want at least 9,000 (the queue holds 100, the clients send 32 at once)", outcomes["200"])
	}
	if served < minServed {
		t.Fatalf("answers served add up to %.1f MB, want at least %.0f MB for the bound to mean anything", float64(served)/1e6, minServed/1e6)
	}
	if after-before > liveGrowth {
		t.Errorf("live heap grew by %.1f MiB (%.1f -> %.1f), want at most %d MiB", (after-before)/mib, before/mib, after/mib, liveGrowth/mib)
	}
	if peak > peakBound {
		t.Errorf("peak heap %.1f MiB, want under %d MiB", peak/mib, peakBound/mib)
	}
	if snap.Cache.Bytes > cacheBytes {
		t.Errorf("cache holds %d bytes, over its %d bound", snap.Cache.Bytes, cacheBytes)
	}
}

// TestE2EMemoryPressure is issue 16's memory case in small: a server with
// a 64 MiB memory limit and a shed threshold of 0.5 (so that the built-in
// dataset's 14 MiB and a cache of 32 MiB, half the limit, can reach it)
// takes a flood of distinct cold correlation requests while one hot
// answer is asked for again and again. Before this change the cache filled
// past the threshold, every request was 503 from then on, the hot one
// included, and stayed so after the flood. Now the cache gives memory back
// (reclaims counted in the snapshot), the hot answer is served as a HIT
// throughout, and once the flood ends cold requests are computed again.
func TestE2EMemoryPressure(t *testing.T) {
	if testing.Short() {
		t.Skip("a flood of 2,000 analyses")
	}
	adminAddr := freeAddr(t)
	api := startServer(t, nil, "--admin-addr", adminAddr, "--memory-limit", "64MiB", "--memory-shed-threshold", "0.5")
	admin := "http://" + adminAddr
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: time.Minute}
	list, err := newClient(api).Politicians(context.Background(), client.PoliticianFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range list.Politicians {
		ids = append(ids, p.ID)
	}
	rng := rand.New(rand.NewPCG(16, 6))
	seen := map[string]bool{}
	cold := func() string {
		for {
			set := slices.Clone(ids)
			rng.Shuffle(len(set), func(i, j int) { set[i], set[j] = set[j], set[i] })
			set = set[:20]
			slices.Sort(set)
			if key := strings.Join(set, ","); !seen[key] {
				seen[key] = true
				return api + "/api/v1/analytics/correlation?ids=" + key
			}
		}
	}
	get := func(u string) (int, string) {
		resp, err := hc.Get(u)
		if err != nil {
			t.Errorf("GET %s: %v", u, err)
			return 0, ""
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Cache")
	}
	memory := func() map[string]any {
		var snap struct {
			Limits struct {
				Memory map[string]any `json:"memory"`
			} `json:"limits"`
		}
		getJSON(t, admin+"/admin/v1/snapshot", &snap)
		return snap.Limits.Memory
	}
	hot := api + "/api/v1/analytics/correlation?ids=" + strings.Join(ids[:10], ",")
	if code, _ := get(hot); code != 200 {
		t.Fatalf("the hot answer before the flood: %d, want 200", code)
	}

	const flood, workers = 2000, 8
	urls := make(chan string, flood)
	for range flood {
		urls <- cold()
	}
	close(urls)
	var (
		mu        sync.Mutex
		floodCode = map[int]int{}
		hotCode   = map[string]int{}
		wg        sync.WaitGroup
		n         int
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range urls {
				code, _ := get(u)
				mu.Lock()
				floodCode[code]++
				n++
				askHot := n%25 == 0
				mu.Unlock()
				if askHot {
					code, xc := get(hot)
					mu.Lock()
					hotCode[fmt.Sprintf("%d %s", code, xc)]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	during := memory()
	t.Logf("flood of %d: %v; the hot answer meanwhile: %v; memory: %v", flood, floodCode, hotCode, during)
	if r, _ := during["reclaims"].(float64); r < 1 {
		t.Errorf("after the flood, reclaims = %v, want the cache to have given memory back", during["reclaims"])
	}
	for k, c := range hotCode {
		if k != "200 HIT" {
			t.Errorf("the hot answer during the flood: %d x %q, want only 200 HIT", c, k)
		}
	}

	// The flood is over: readings come with requests, and a GC is forced
	// now and then while shedding, so the hot answer is asked for until
	// the shedding ends (at most 20 s; each probe is a reading).
	deadline := time.Now().Add(20 * time.Second)
	for memory()["shedding"] == true {
		if time.Now().After(deadline) {
			t.Fatalf("still shedding 20 s after the flood: %v", memory())
		}
		if code, xc := get(hot); code != 200 || xc != "HIT" {
			t.Errorf("the hot answer after the flood: %d %s, want 200 HIT", code, xc)
		}
		time.Sleep(100 * time.Millisecond) // the shedder's reading interval, not synchronisation
	}
	shed := 0
	const after = 50
	for range after {
		if code, _ := get(cold()); code == 503 {
			shed++
		}
	}
	t.Logf("after the flood: %d of %d cold requests shed; memory: %v", shed, after, memory())
	if shed > after/10 {
		t.Errorf("after the flood, %d of %d cold requests were shed, want at most %d", shed, after, after/10)
	}
	if code, xc := get(hot); code != 200 || xc != "HIT" {
		t.Errorf("the hot answer at the end: %d %s, want 200 HIT", code, xc)
	}
}
