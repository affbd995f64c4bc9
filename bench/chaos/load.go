package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// perPoliticianAnalyses are the analyses with an {id} in their path.
var perPoliticianAnalyses = []string{"fourier", "hmm", "dtw", "ensemble", "compliance"}

// warmCmd lists the politicians, picks the hot set (the per-politician
// analyses of the most active politicians, correlation and network), and
// requests each until it answers 200; a hot URL answering 422 (not
// eligible) is left out of the set. It records the store's trade count
// (DIR/count.txt), which only the ingest checks may change.
func warmCmd(args []string) error {
	fs := flag.NewFlagSet("warm", flag.ExitOnError)
	api := fs.String("api", "", "quant API base URL")
	dir := fs.String("dir", "", "working directory")
	top := fs.Int("top", 8, "politicians whose analyses make the hot set")
	timeout := fs.Duration("timeout", 30*time.Second, "client timeout per request")
	fs.Parse(args)
	ctx := context.Background()
	c := newClient(4, *timeout)

	var ids []string
	for offset := 0; ; {
		var page struct {
			Politicians []struct {
				ID string `json:"id"`
			} `json:"politicians"`
			Total int `json:"total"`
		}
		if err := getJSON(ctx, c, *api+fmt.Sprintf("/api/v1/politicians?sort=trades&limit=1000&offset=%d", offset), &page); err != nil {
			return err
		}
		for _, p := range page.Politicians {
			ids = append(ids, p.ID)
		}
		offset += len(page.Politicians)
		if len(page.Politicians) == 0 || offset >= page.Total {
			break
		}
	}
	if len(ids) < 2 {
		return fmt.Errorf("only %d politicians: no data imported?", len(ids))
	}
	var candidates []string
	for _, id := range ids[:min(*top, len(ids))] {
		for _, a := range perPoliticianAnalyses {
			candidates = append(candidates, "/api/v1/analytics/"+a+"/"+id)
		}
	}
	candidates = append(candidates, "/api/v1/analytics/correlation", "/api/v1/analytics/network")
	var hot []string
	for _, u := range candidates {
		r, _ := getPatiently(ctx, c, *api, u, kindHot, 10)
		switch {
		case r.Status == http.StatusOK:
			hot = append(hot, u)
		case r.Status == http.StatusUnprocessableEntity:
			logf("warm: %s is not eligible (422); left out of the hot set", u)
		default:
			return fmt.Errorf("warm: %s answered %d: %s", u, r.Status, r.Body)
		}
	}
	if len(hot) < 8 {
		return fmt.Errorf("warm: only %d hot URLs answer 200", len(hot))
	}
	trades, err := storeTrades(ctx, c, *api)
	if err != nil {
		return fmt.Errorf("warm: the trade count: %w", err)
	}
	if err := writeCount(*dir, trades); err != nil {
		return err
	}
	logf("warm: %d politicians, %d trades, %d hot URLs warmed", len(ids), trades, len(hot))
	if err := os.WriteFile(filepath.Join(*dir, fileHot), []byte(strings.Join(hot, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*dir, fileIDs), []byte(strings.Join(ids, "\n")+"\n"), 0o644)
}

// getPatiently requests path until it gets an answer other than 503/504
// with Retry-After, at most tries times, sleeping Retry-After (at most 5 s)
// in between. It returns the last answer and how many requests it took.
func getPatiently(ctx context.Context, c *http.Client, base, path, kind string, tries int) (result, int) {
	var r result
	for i := range tries {
		r = get(ctx, c, base, path, kind)
		if r.Outcome != out503RA && r.Outcome != out504RA {
			return r, i + 1
		}
		if i < tries-1 {
			var s int
			fmt.Sscan(r.RetryAfter, &s)
			time.Sleep(time.Duration(min(max(s, 1), 5)) * time.Second)
		}
	}
	return r, tries
}

func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// loadReport is load.json.
type loadReport struct {
	Start       time.Time                 `json:"start"`
	End         time.Time                 `json:"end"`
	HotRate     float64                   `json:"hot_rate"`
	ColdRate    float64                   `json:"cold_rate"`
	TimeoutS    float64                   `json:"client_timeout_s"`
	MaxInFlight int                       `json:"max_in_flight"`
	HotURLs     int                       `json:"hot_urls"`
	ColdURLs    int                       `json:"cold_urls"`
	Counts      map[string]map[string]int `json:"counts"` // kind -> outcome -> requests
	XCache      map[string]map[string]int `json:"x_cache"`
	Latency     map[string]latency        `json:"latency"`
	// Inconsistent lists the cold URLs that answered both 200 and 422:
	// the data of their politicians does not change during the run (the
	// ingests add other politicians, and each cold URL is sent once in
	// 5 minutes), so eligibility cannot.
	Inconsistent []string `json:"inconsistent"`
	// Violations are the first violating answers, in full.
	Violations []result `json:"violations"`
}

type latency struct {
	N     int     `json:"n"`
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	MaxMS float64 `json:"max_ms"`
}

// tally aggregates results; its methods are safe for concurrent use.
type tally struct {
	mu         sync.Mutex // guards everything below
	counts     map[string]map[string]int
	xcache     map[string]map[string]int
	lat        map[string][]float64
	eligible   map[string]uint8 // cold analysis URL -> 1: answered 200, 2: answered 422
	violations []result
	events     *bufio.Writer
}

func newTally(events *bufio.Writer) *tally {
	t := &tally{counts: map[string]map[string]int{}, xcache: map[string]map[string]int{},
		lat: map[string][]float64{}, eligible: map[string]uint8{}, events: events}
	for _, k := range kinds {
		t.counts[k], t.xcache[k] = map[string]int{}, map[string]int{}
	}
	return t
}

func (t *tally) add(r result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.counts[r.Kind][r.Outcome]++
	if r.Outcome == outDropped {
		return
	}
	t.lat[r.Kind] = append(t.lat[r.Kind], r.LatencyMS)
	if r.Status == http.StatusOK {
		x := r.XCache
		if x == "" {
			x = "(none)"
		}
		t.xcache[r.Kind][x]++
	}
	if r.Kind == kindCold {
		switch r.Status {
		case http.StatusOK:
			t.eligible[r.URL] |= 1
		case http.StatusUnprocessableEntity:
			t.eligible[r.URL] |= 2
		}
	}
	if r.Outcome != out200 {
		b, _ := json.Marshal(r)
		t.events.Write(append(b, '\n'))
	}
	if violation(r.Outcome) && len(t.violations) < 50 {
		t.violations = append(t.violations, r)
	}
}

// snapshot returns the outcome counts summed over the kinds.
func (t *tally) snapshot() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	sum := map[string]int{}
	for _, byOutcome := range t.counts {
		for o, n := range byOutcome {
			sum[o] += n
		}
	}
	return sum
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

// coldSets builds the distinct requests of the cold part of the load.
func coldSets(ids []string, rng *rand.Rand) (analysis, listing []string) {
	for _, id := range ids {
		analysis = append(analysis, "/api/v1/analytics/fourier/"+id, "/api/v1/analytics/hmm/"+id)
		for k := 1; k <= 50; k++ {
			analysis = append(analysis, fmt.Sprintf("/api/v1/analytics/dtw/%s?k=%d", id, k))
		}
		for h := 1; h <= 26; h++ {
			analysis = append(analysis, fmt.Sprintf("/api/v1/analytics/ensemble/%s?horizon=%d", id, h))
		}
		listing = append(listing, "/api/v1/politicians/"+id, "/api/v1/politicians/"+id+"/trades?limit=20")
	}
	for top := 2; top <= 100; top++ {
		analysis = append(analysis, fmt.Sprintf("/api/v1/analytics/correlation?top=%d", top))
	}
	for w := 5; w <= 100; w += 5 {
		analysis = append(analysis, fmt.Sprintf("/api/v1/analytics/network?min_weight=%g", float64(w)/100))
	}
	for l := 1; l <= 100; l += 9 {
		listing = append(listing, fmt.Sprintf("/api/v1/tickers?limit=%d", l),
			fmt.Sprintf("/api/v1/politicians?sort=name&limit=10&offset=%d", l-1))
	}
	rng.Shuffle(len(analysis), func(i, j int) { analysis[i], analysis[j] = analysis[j], analysis[i] })
	rng.Shuffle(len(listing), func(i, j int) { listing[i], listing[j] = listing[j], listing[i] })
	return analysis, listing
}

// unknownURL returns the n-th request for an id that does not exist.
func unknownURL(n int) string {
	id := fmt.Sprintf("chaos-unknown-%d", n)
	switch n % 5 {
	case 4:
		return "/api/v1/politicians/" + id
	default:
		return "/api/v1/analytics/" + perPoliticianAnalyses[n%4] + "/" + id
	}
}

// invalidURL returns the n-th request with a parameter out of range, for
// the politician id.
func invalidURL(n int, id string) string {
	bad := []string{
		"/api/v1/analytics/dtw/" + id + "?k=0",
		"/api/v1/analytics/dtw/" + id + "?k=51",
		"/api/v1/analytics/ensemble/" + id + "?horizon=0",
		"/api/v1/analytics/ensemble/" + id + "?horizon=27",
		"/api/v1/analytics/correlation?top=1",
		"/api/v1/analytics/network?min_weight=0",
		"/api/v1/politicians?limit=0",
		"/api/v1/analytics/fourier/" + id + "?bogus=1",
	}
	return bad[n%len(bad)]
}

// loadCmd runs the mixed load: hot requests at -hot-rate, cycling over the
// hot set, and cold ones at -cold-rate (70% distinct analyses, 15% store
// listings, 10% unknown ids, 5% invalid parameters). It is open loop: a
// request is sent on schedule whatever the earlier ones are doing, up to
// -max-in-flight at once.
func loadCmd(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	api := fs.String("api", "", "quant API base URL")
	dir := fs.String("dir", "", "working directory")
	duration := fs.Duration("duration", 5*time.Minute, "how long to send requests")
	hotRate := fs.Float64("hot-rate", 40, "hot requests per second")
	coldRate := fs.Float64("cold-rate", 10, "cold requests per second")
	maxInFlight := fs.Int("max-in-flight", 200, "requests outstanding at once; past it a request is counted as not sent")
	timeout := fs.Duration("timeout", 30*time.Second, "client timeout per request (past it: a hang)")
	seed := fs.Uint64("seed", 1, "seed of the cold requests' order")
	fs.Parse(args)

	hot, err := readLines(*dir, fileHot)
	if err != nil {
		return err
	}
	ids, err := readLines(*dir, fileIDs)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 2))
	analysis, listing := coldSets(ids, rng)

	f, err := os.Create(filepath.Join(*dir, fileEvents))
	if err != nil {
		return err
	}
	defer f.Close()
	events := bufio.NewWriter(f)
	t := newTally(events)
	c := newClient(*maxInFlight, *timeout)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := loadReport{Start: time.Now(), HotRate: *hotRate, ColdRate: *coldRate, TimeoutS: timeout.Seconds(),
		MaxInFlight: *maxInFlight, HotURLs: len(hot), ColdURLs: len(analysis)}
	sem := make(chan struct{}, *maxInFlight)
	var wg sync.WaitGroup
	send := func(kind, path string) {
		select {
		case sem <- struct{}{}:
		default:
			t.add(result{At: time.Now(), Kind: kind, URL: path, Outcome: outDropped})
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			// The request is not tied to ctx: an interrupted run still
			// waits for (and counts) the answers in flight.
			t.add(get(context.Background(), c, *api, path, kind))
		})
	}

	hotTick := time.NewTicker(time.Duration(float64(time.Second) / *hotRate))
	coldTick := time.NewTicker(time.Duration(float64(time.Second) / *coldRate))
	progress := time.NewTicker(10 * time.Second)
	end := time.NewTimer(*duration)
	defer hotTick.Stop()
	defer coldTick.Stop()
	defer progress.Stop()
	var nh, nc, na, nl, nu, ni int
	logf("load: %v at %.0f hot + %.0f cold requests/s; %d hot URLs, %d distinct cold analyses", *duration, *hotRate, *coldRate, len(hot), len(analysis))
loop:
	for {
		select {
		case <-hotTick.C:
			send(kindHot, hot[nh%len(hot)])
			nh++
		case <-coldTick.C:
			switch p := rng.IntN(100); {
			case p < 70:
				send(kindCold, analysis[na%len(analysis)])
				na++
			case p < 85:
				send(kindListing, listing[nl%len(listing)])
				nl++
			case p < 95:
				send(kindUnknown, unknownURL(nu))
				nu++
			default:
				send(kindInvalid, invalidURL(ni, ids[ni%len(ids)]))
				ni++
			}
			nc++
		case <-progress.C:
			s := t.snapshot()
			var other []string
			for _, o := range outcomes {
				if o != out200 && s[o] > 0 {
					other = append(other, fmt.Sprintf("%s=%d", o, s[o]))
				}
			}
			logf("load: +%2.0fs sent %d hot, %d cold; in flight %d; 200=%d %s",
				time.Since(rep.Start).Seconds(), nh, nc, len(sem), s[out200], strings.Join(other, " "))
		case <-end.C:
			break loop
		case <-ctx.Done():
			logf("load: interrupted")
			break loop
		}
	}
	logf("load: waiting for the %d requests in flight", len(sem))
	wg.Wait()
	rep.End = time.Now()
	events.Flush()

	rep.Counts, rep.XCache, rep.Latency = t.counts, t.xcache, map[string]latency{}
	for k, l := range t.lat {
		slices.Sort(l)
		rep.Latency[k] = latency{N: len(l), P50MS: percentile(l, 0.50), P99MS: percentile(l, 0.99), MaxMS: percentile(l, 1)}
	}
	for u, bits := range t.eligible {
		if bits == 3 {
			rep.Inconsistent = append(rep.Inconsistent, u)
		}
	}
	slices.Sort(rep.Inconsistent)
	rep.Violations = t.violations
	if err := writeJSONFile(*dir, fileLoad, rep); err != nil {
		return err
	}
	s := t.snapshot()
	total := 0
	for _, n := range s {
		total += n
	}
	logf("load: done, %d requests, %d x 200", total, s[out200])
	return ctx.Err()
}
