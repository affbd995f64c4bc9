package ensemble

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// The deadline tests run every analysis over generated data large enough
// that a deadline falls inside it, each taking 20 ms or more on the
// project's machine (2 shared cores): `quant gen` data of 300 politicians
// and 100,000 trades (the issue's `quant serve --gen-politicians 300
// --gen-trades 100000`) spread over 1990..2025, so the weekly axis has
// about 1,900 weeks, in both the Senate CSV (the weekly dataset) and the
// House JSON format (disclosure dates). Where that is too small an input
// for one analysis it is scaled: the HMM reads the busiest politician's
// series 8 times over, correlation 100 seeded random series of 16,000
// weeks (top is at most 100), compliance every record as one
// politician's, the ranking every politician eight times under eight ids.
const (
	deadlinePoliticians = 300
	deadlineTrades      = 100_000
)

var (
	deadlineStart = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)
	deadlineEnd   = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	deadlineNow   = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
)

// deadlineData is what the deadline cases read.
type deadlineData struct {
	senate, house *inmem.Store // the generated data in both formats
	ds            *quant.Dataset
	busiest       *quant.Activity // the most analyzable records
	y             []float64       // busiest's series
	long          []float64       // y 8 times over
	idx           *DTWIndex
	wide          *quant.Dataset              // 100 random series of 16,000 weeks
	graph         *netGraph                   // ds's network at min_weight 0.1
	nodes         []NetworkNode               // graph's strengths
	all           quant.PoliticianDisclosures // every House record, by ID
	d             *quant.Disclosures          // every House politician eight times
}

var (
	deadlineMu    sync.Mutex
	deadlineCache *deadlineData // guarded by deadlineMu
)

// deadlineInputs returns the deadline data, built once per test binary.
func deadlineInputs(tb testing.TB) *deadlineData {
	tb.Helper()
	deadlineMu.Lock()
	defer deadlineMu.Unlock()
	if deadlineCache != nil {
		return deadlineCache
	}
	ctx := context.Background()
	gen := func(format ingest.GenFormat) *inmem.Store {
		var buf bytes.Buffer
		g := ingest.GenConfig{Format: format, Politicians: deadlinePoliticians, Trades: deadlineTrades, Seed: 1, Start: deadlineStart, End: deadlineEnd}
		if err := ingest.Generate(&buf, g); err != nil {
			tb.Fatal(err)
		}
		st := inmem.New()
		p := &ingest.Parser{Now: func() time.Time { return deadlineNow }}
		name := fmt.Sprintf("deadline-%v", format)
		if _, err := st.Import(ctx, quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name), AsOf: deadlineNow}, p.Records(&buf, nil)); err != nil {
			tb.Fatal(err)
		}
		return st
	}
	x := &deadlineData{senate: gen(ingest.GenSenateCSV), house: gen(ingest.GenHouseJSON)}
	ds, err := x.senate.Dataset(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	x.ds, x.idx = ds, NewDTWIndex(ds)
	for i := range ds.Activities {
		if a := &ds.Activities[i]; x.busiest == nil || a.Analyzable > x.busiest.Analyzable {
			x.busiest = a
		}
	}
	if x.y, err = Eligible(x.busiest, ds.Axis); err != nil {
		tb.Fatal(err)
	}
	x.long = slices.Repeat(x.y, 8)
	x.wide = specDataset(tb, randomSpecs(rand.New(rand.NewPCG(1, 2)), 100, 16_000))

	d, err := x.house.Disclosures(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	x.all.ID = "everyone"
	x.d = &quant.Disclosures{Version: d.Version}
	for _, p := range d.Politicians {
		x.all.Records = append(x.all.Records, p.Records...)
		for copy := range 8 {
			x.d.Politicians = append(x.d.Politicians, quant.PoliticianDisclosures{ID: fmt.Sprintf("%s~%d", p.ID, copy), Records: p.Records})
		}
	}
	slices.SortFunc(x.all.Records, func(a, b quant.Disclosure) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortFunc(x.d.Politicians, func(a, b quant.PoliticianDisclosures) int { return strings.Compare(a.ID, b.ID) })

	var tickers [][]string
	for _, a := range ds.Activities {
		if len(a.Tickers) > 0 {
			tickers = append(tickers, a.Tickers)
		}
	}
	x.graph = jaccardOf(tb, tickers, NetworkDefaultMinWeight).graph()
	x.nodes = make([]NetworkNode, x.graph.n)
	for u := range x.nodes {
		_, ws := x.graph.neighbours(u)
		for _, w := range ws {
			x.nodes[u].Strength += w
		}
	}
	deadlineCache = x
	return x
}

// deadlineCase is one analysis run under a context; run returns its error.
type deadlineCase struct {
	name string
	run  func(ctx context.Context) error
}

// deadlineCases returns every analysis that takes a context, over the
// deadline data; with steps, also the network's PageRank, betweenness
// and Louvain on their own (1 to 30 ms each: long enough to count their
// checks, too short to time a deadline inside them reliably).
func deadlineCases(tb testing.TB, steps bool) []deadlineCase {
	tb.Helper()
	x := deadlineInputs(tb)
	cases := []deadlineCase{
		{"hmm", func(ctx context.Context) error { _, err := HMM(ctx, x.long); return err }},
		{"forecast", func(ctx context.Context) error { _, err := Forecast(ctx, x.y, MaxHorizon); return err }},
		{"dtw", func(ctx context.Context) error { _, err := x.idx.Nearest(ctx, x.busiest.ID, DTWMaxK); return err }},
		{"correlation", func(ctx context.Context) error {
			_, err := Correlation(ctx, x.wide, nil, CorrelationMaxIDs)
			return err
		}},
		{"network", func(ctx context.Context) error { _, err := Network(ctx, x.ds, NetworkDefaultMinWeight); return err }},
		{"compliance", func(ctx context.Context) error { _, err := Compliance(ctx, &x.all); return err }},
		{"compliance/ranking", func(ctx context.Context) error {
			_, err := RankCompliance(ctx, x.d, 1, quant.SortLateShare, 0, "")
			return err
		}},
	}
	if steps {
		cases = append(cases,
			deadlineCase{"network/pagerank", func(ctx context.Context) error { _, err := pageRank(ctx, x.graph, x.nodes); return err }},
			deadlineCase{"network/betweenness", func(ctx context.Context) error { _, err := betweenness(ctx, x.graph); return err }},
			deadlineCase{"network/louvain", func(ctx context.Context) error { _, _, err := louvain(ctx, x.graph); return err }},
		)
	}
	return cases
}

// countingCtx is a context whose Err returns nil for its first after
// calls and context.Canceled from then on, counting the calls (from
// every goroutine). It is never done otherwise: the analyses read only
// Err.
type countingCtx struct {
	context.Context
	after int64
	calls atomic.Int64
}

func newCountingCtx(after int64) *countingCtx {
	return &countingCtx{Context: context.Background(), after: after}
}

func (c *countingCtx) Err() error {
	if c.calls.Add(1) > c.after {
		return context.Canceled
	}
	return nil
}

// goroutines bounds the goroutines of one analysis that check a context:
// the forecast runs two, Brandes, Louvain and DTW one per GOMAXPROCS.
// After the check that sees a done context, each makes at most one more.
func goroutines() int64 { return int64(max(2, runtime.GOMAXPROCS(0))) }

// TestAnalysesCanceled: with a context already cancelled, every analysis
// returns an error wrapping context.Canceled from its first check (one
// per goroutine at most), before computing anything.
func TestAnalysesCanceled(t *testing.T) {
	for _, c := range deadlineCases(t, true) {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCountingCtx(0)
			err := c.run(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s(cancelled) = %v, want an error wrapping context.Canceled", c.name, err)
			}
			if n := ctx.calls.Load(); n > goroutines() {
				t.Errorf("%s(cancelled) checked the context %d times, want at most %d (one per goroutine): it computed before checking", c.name, n, goroutines())
			}
		})
	}
}

// lateTimerCtx is a context whose deadline has passed but whose Err does
// not say so yet: a context while its timer waits for the scheduler.
type lateTimerCtx struct {
	context.Context
	deadline time.Time
}

func (c lateTimerCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// TestAnalysesReadTheClock: the analyses stop at a deadline that has
// passed even before the context's timer reports it, with an error
// wrapping context.DeadlineExceeded.
func TestAnalysesReadTheClock(t *testing.T) {
	ctx := lateTimerCtx{Context: context.Background(), deadline: time.Now().Add(-time.Millisecond)}
	for _, c := range deadlineCases(t, true) {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s(deadline passed, timer not fired) = %v, want an error wrapping context.DeadlineExceeded", c.name, err)
			}
		})
	}
}

// TestAnalysesCheckInLoops counts the context checks of a whole run and
// cancels a second run halfway through them: the checks are spread
// through the computation (not made once before it), the run stops at the
// check that sees the cancellation, each goroutine making at most one
// more, and the error wraps context.Canceled.
func TestAnalysesCheckInLoops(t *testing.T) {
	for _, c := range deadlineCases(t, true) {
		t.Run(c.name, func(t *testing.T) {
			whole := newCountingCtx(math.MaxInt64)
			if err := c.run(whole); err != nil {
				t.Fatalf("%s = %v", c.name, err)
			}
			n := whole.calls.Load()
			t.Logf("%s: %d checks", c.name, n)
			const minChecks = 8
			if n < minChecks {
				t.Fatalf("%s checked the context %d times, want >= %d (at its steps)", c.name, n, minChecks)
			}
			half := newCountingCtx(n / 2)
			err := c.run(half)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s cancelled at check %d of %d = %v, want an error wrapping context.Canceled", c.name, n/2+1, n, err)
			}
			t.Logf("%s cancelled at check %d: %v", c.name, n/2+1, err)
			if got := half.calls.Load(); got > n/2+goroutines() {
				t.Errorf("%s cancelled at check %d: %d checks, want at most %d (one more per goroutine)", c.name, n/2+1, got, n/2+goroutines())
			}
		})
	}
}

// TestAnalysesDeadline gives each analysis a deadline of a tenth of its
// uncontended compute time (the fastest of two runs): the deadline falls
// inside the computation, which must stop with an error wrapping
// context.DeadlineExceeded. Contention only makes the computation longer,
// so the deadline still falls inside it.
func TestAnalysesDeadline(t *testing.T) {
	for _, c := range deadlineCases(t, false) {
		t.Run(c.name, func(t *testing.T) {
			took := computeTime(t, c)
			t.Logf("%s: %v", c.name, took)
			ctx, cancel := context.WithTimeout(t.Context(), took/10)
			defer cancel()
			err := c.run(ctx)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("%s with a deadline of %v (a tenth of %v) = %v, want an error wrapping context.DeadlineExceeded", c.name, took/10, took, err)
			}
		})
	}
}

// computeTime returns the fastest of two uncontended runs of c.
func computeTime(tb testing.TB, c deadlineCase) time.Duration {
	tb.Helper()
	best := time.Duration(math.MaxInt64)
	for range 2 {
		start := time.Now()
		if err := c.run(tb.Context()); err != nil {
			tb.Fatalf("%s = %v", c.name, err)
		}
		best = min(best, time.Since(start))
	}
	return best
}

// BenchmarkDeadline measures how late after its deadline each analysis
// returns: each iteration runs it with a deadline at a tenth of its
// compute time and reports the time from the deadline to the return
// (late_p50_us, late_max_us) and the compute time (compute_ms).
func BenchmarkDeadline(b *testing.B) {
	for _, c := range deadlineCases(b, false) {
		b.Run(c.name, func(b *testing.B) {
			took := computeTime(b, c)
			var late []time.Duration
			for b.Loop() {
				deadline := time.Now().Add(took / 10)
				ctx, cancel := context.WithDeadline(b.Context(), deadline)
				err := c.run(ctx)
				late = append(late, time.Since(deadline))
				cancel()
				if !errors.Is(err, context.DeadlineExceeded) {
					b.Fatalf("%s = %v, want context.DeadlineExceeded", c.name, err)
				}
			}
			slices.Sort(late)
			b.ReportMetric(float64(late[len(late)/2].Microseconds()), "late_p50_us")
			b.ReportMetric(float64(late[len(late)-1].Microseconds()), "late_max_us")
			b.ReportMetric(float64(took.Microseconds())/1000, "compute_ms")
		})
	}
}

// TestServiceStopsInsideAnalyses: the Service hands its context to every
// analysis. Each request is counted whole, then cancelled halfway
// through its checks (which the analysis makes nearly all of): the
// answer is an error wrapping context.Canceled from inside the analysis
// ("stopped at"), not from the check before it.
func TestServiceStopsInsideAnalyses(t *testing.T) {
	x := deadlineInputs(t)
	senate, house := NewService(x.senate), NewService(x.house)
	d, err := x.house.Disclosures(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	busiestHouse := slices.MaxFunc(d.Politicians, func(a, b quant.PoliticianDisclosures) int {
		return cmp.Compare(len(a.Records), len(b.Records))
	}).ID
	for _, c := range []struct {
		svc *Service
		req quant.Request
	}{
		{senate, quant.Request{Analysis: quant.AnalysisHMM, ID: x.busiest.ID}},
		{senate, quant.Request{Analysis: quant.AnalysisEnsemble, ID: x.busiest.ID, Horizon: MaxHorizon}},
		{senate, quant.Request{Analysis: quant.AnalysisDTW, ID: x.busiest.ID, K: DTWMaxK}},
		{senate, quant.Request{Analysis: quant.AnalysisCorrelation, Top: CorrelationMaxIDs}},
		{senate, quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: NetworkDefaultMinWeight}},
		{house, quant.Request{Analysis: quant.AnalysisCompliance, ID: busiestHouse}},
		{house, quant.Request{Analysis: quant.AnalysisCompliance}},
	} {
		q := quant.MustQuery(c.req)
		t.Run(string(c.req.Analysis)+"/"+c.req.ID, func(t *testing.T) {
			whole := newCountingCtx(math.MaxInt64)
			if _, err := c.svc.Analyze(whole, q); err != nil {
				t.Fatalf("Analyze(%v) = %v", c.req, err)
			}
			n := whole.calls.Load()
			_, err := c.svc.Analyze(newCountingCtx(n/2), q)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped at") {
				t.Fatalf("Analyze(%v) cancelled at check %d of %d = %v, want context.Canceled from inside the analysis", c.req, n/2+1, n, err)
			}
		})
	}
}
