package burst

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report summarizes a burst: the old system's table (success rate, average
// response, throughput, cache hit rate) and the detail behind it. Its JSON
// form is what `quant burst --json` prints.
type Report struct {
	Requests    int     `json:"requests"`
	Successes   int     `json:"successes"` // 2xx
	SuccessRate float64 `json:"success_rate"`
	// Answered counts the requests that got a definite answer: 2xx, the
	// 4xx the request earned (a bad parameter, an ineligible politician),
	// and 503s that carried Retry-After (an honest refusal). Timeouts,
	// connection errors, other 5xx and a 503 without Retry-After are not
	// answers. AnsweredRate is its share.
	Answered     int            `json:"answered"`
	AnsweredRate float64        `json:"answered_rate"`
	StatusCodes  map[string]int `json:"status_codes"`
	// Errors counts the requests that were not 2xx by kind: "503",
	// "timeout", "connection_refused", "connection_reset", "http_4xx", ...
	Errors map[string]int `json:"errors"`
	// Latency and Histogram cover the requests the server answered, with
	// any HTTP status: a refused connection fails in microseconds and a
	// timeout takes exactly the timeout, so counting them would describe
	// the client, not the server (refusals made p50 read 0.1 ms).
	Latency      Latency        `json:"latency"`
	DurationS    float64        `json:"duration_s"`
	Throughput   float64        `json:"throughput_rps"` // answers per second of wall time
	Cache        map[string]int `json:"cache"`          // X-Cache values
	CacheHitRate float64        `json:"cache_hit_rate"` // (HIT+STALE) / 2xx
	Histogram    []Bucket       `json:"histogram"`
	// RequestedRate (open loop only) is the rate asked for, Planned the
	// requests it calls for over the duration, and AchievedRate the
	// requests sent per second of the duration. Too few workers for the
	// server's latency send fewer than planned: see Shortfall.
	RequestedRate float64 `json:"requested_rate_rps,omitempty"`
	AchievedRate  float64 `json:"achieved_rate_rps,omitempty"`
	Planned       int     `json:"planned,omitempty"`

	canceled bool // the burst was canceled: a shortfall is no surprise

	lat []time.Duration
}

// Latency are the latency figures in milliseconds.
type Latency struct {
	MinMS  float64 `json:"min_ms"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Bucket is one histogram bar: the requests with latency <= LeMS (and
// above the previous bucket's bound).
type Bucket struct {
	LeMS  float64 `json:"le_ms"`
	Count int     `json:"count"`
}

func newReport() *Report {
	return &Report{StatusCodes: map[string]int{}, Errors: map[string]int{}, Cache: map[string]int{}}
}

func (r *Report) add(res Result) {
	r.Requests++
	if res.Code != 0 {
		r.lat = append(r.lat, res.Latency)
	}
	code := "error"
	if res.Code != 0 {
		code = strconv.Itoa(res.Code)
	}
	r.StatusCodes[code]++
	if res.Kind == "ok" {
		r.Successes++
		r.Answered++
	} else {
		r.Errors[res.Kind]++
		if res.Kind == "503" && res.RetryAfter || res.Kind == "http_4xx" {
			r.Answered++
		}
	}
	if res.Cache != "" {
		r.Cache[res.Cache]++
	}
}

// Snapshot returns the report of the results so far (for live progress).
func (r *Report) Snapshot(elapsed time.Duration) *Report {
	c := &Report{StatusCodes: map[string]int{}, Errors: map[string]int{}, Cache: map[string]int{}}
	c.Requests, c.Successes, c.Answered = r.Requests, r.Successes, r.Answered
	for k, v := range r.StatusCodes {
		c.StatusCodes[k] = v
	}
	for k, v := range r.Errors {
		c.Errors[k] = v
	}
	for k, v := range r.Cache {
		c.Cache[k] = v
	}
	c.lat = slices.Clone(r.lat)
	c.finish(elapsed)
	return c
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *Report) finish(elapsed time.Duration) {
	r.DurationS = elapsed.Seconds()
	if r.Requests == 0 {
		r.lat = nil
		return
	}
	defer func() { r.lat = nil }()
	r.SuccessRate = float64(r.Successes) / float64(r.Requests)
	r.AnsweredRate = float64(r.Answered) / float64(r.Requests)
	if elapsed > 0 {
		r.Throughput = float64(r.Requests) / elapsed.Seconds()
	}
	if r.Successes > 0 {
		r.CacheHitRate = float64(r.Cache["HIT"]+r.Cache["STALE"]) / float64(r.Successes)
	}
	if len(r.lat) == 0 {
		return
	}
	slices.Sort(r.lat)
	var sum time.Duration
	for _, l := range r.lat {
		sum += l
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(r.lat)))) - 1
		return ms(r.lat[max(0, min(i, len(r.lat)-1))])
	}
	r.Latency = Latency{
		MinMS: ms(r.lat[0]), MaxMS: ms(r.lat[len(r.lat)-1]), MeanMS: ms(sum) / float64(len(r.lat)),
		P50MS: q(0.50), P95MS: q(0.95), P99MS: q(0.99),
	}
	r.Histogram = histogram(r.lat)
}

// rateFigures records an open loop's requested and achieved rates; sent
// is r.Requests over window.
func (r *Report) rateFigures(rate float64, planned int, window time.Duration, canceled bool) {
	r.RequestedRate, r.Planned, r.canceled = rate, planned, canceled
	if window > 0 {
		r.AchievedRate = float64(r.Requests) * 1e9 / float64(window)
	}
}

// Shortfall returns a warning when an open loop sent fewer requests than
// its rate called for (its workers were all waiting for answers), or "".
// A burst that was canceled has none.
func (r *Report) Shortfall() string {
	if r.RequestedRate == 0 || r.canceled || r.Requests >= r.Planned {
		return ""
	}
	return fmt.Sprintf("sent %d of %d planned requests (%.1f/s of the %.1f/s asked): every worker (-c) was waiting for an answer; raise -c or expect the server's latency to cap the rate",
		r.Requests, r.Planned, r.AchievedRate, r.RequestedRate)
}

// histogramBounds are 1-2.5-5 steps from 0.1 ms to 5 min.
var histogramBounds = func() []float64 {
	var b []float64
	for m := 0.1; m <= 300000; m *= 10 {
		b = append(b, m, 2.5*m, 5*m)
	}
	return b
}()

// histogram counts sorted latencies in histogramBounds, trimmed to the
// buckets between the first and the last that hold any.
func histogram(sorted []time.Duration) []Bucket {
	out := make([]Bucket, len(histogramBounds))
	for i, b := range histogramBounds {
		out[i].LeMS = b
	}
	for _, l := range sorted {
		i := sort.SearchFloat64s(histogramBounds, ms(l))
		if i == len(out) {
			i--
		}
		out[i].Count++
	}
	lo, hi := 0, len(out)-1
	for lo < hi && out[lo].Count == 0 {
		lo++
	}
	for hi > lo && out[hi].Count == 0 {
		hi--
	}
	return out[lo : hi+1]
}

// WriteText writes the report for a person: the old system's table, the
// status codes and errors, latencies and an ASCII histogram.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "requests      %d in %.2fs\n", r.Requests, r.DurationS)
	fmt.Fprintf(w, "success rate  %.1f%% (%d of %d 2xx); answered %.1f%% (2xx, 4xx, or 503 with Retry-After)\n",
		100*r.SuccessRate, r.Successes, r.Requests, 100*r.AnsweredRate)
	fmt.Fprintf(w, "avg response  %s\n", fmtMS(r.Latency.MeanMS))
	fmt.Fprintf(w, "throughput    %.1f req/s\n", r.Throughput)
	if r.RequestedRate > 0 {
		fmt.Fprintf(w, "rate          requested %.1f/s, achieved %.1f/s (%d of %d planned)\n", r.RequestedRate, r.AchievedRate, r.Requests, r.Planned)
		if m := r.Shortfall(); m != "" {
			fmt.Fprintf(w, "warning       %s\n", m)
		}
	}
	fmt.Fprintf(w, "cache hits    %.1f%% of 2xx %s\n", 100*r.CacheHitRate, fmtCounts(r.Cache))
	fmt.Fprintf(w, "status codes  %s\n", fmtCounts(r.StatusCodes))
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "not 2xx       %s\n", fmtCounts(r.Errors))
	}
	l := r.Latency
	fmt.Fprintf(w, "latency       (%d HTTP responses, any status) min %s  mean %s  p50 %s  p95 %s  p99 %s  max %s\n",
		r.Requests-r.StatusCodes["error"], fmtMS(l.MinMS), fmtMS(l.MeanMS), fmtMS(l.P50MS), fmtMS(l.P95MS), fmtMS(l.P99MS), fmtMS(l.MaxMS))
	if len(r.Histogram) == 0 {
		return
	}
	fmt.Fprintln(w, "histogram")
	peak := 0
	for _, b := range r.Histogram {
		peak = max(peak, b.Count)
	}
	for _, b := range r.Histogram {
		bar := 0
		if peak > 0 {
			bar = (b.Count*40 + peak - 1) / peak
		}
		fmt.Fprintf(w, "  <= %9s %6d %s\n", fmtMS(b.LeMS), b.Count, strings.Repeat("#", bar))
	}
}

// fmtMS prints milliseconds with a unit that fits.
func fmtMS(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}

func fmtCounts(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, m[k])
	}
	return "(" + b.String() + ")"
}
