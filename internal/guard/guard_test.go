package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/quantops/quant/internal/quant"
)

func TestBulkheadFIFO(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBulkhead(BulkheadConfig{Name: "t", Capacity: 1, QueueLimit: 3, MaxWait: time.Minute})
		ctx := context.Background()
		if _, err := b.Acquire(ctx); err != nil {
			t.Fatal(err)
		}
		var order []int
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				if _, err := b.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				b.Release()
			})
			synctest.Wait() // each waiter is queued before the next starts
		}
		if s := b.Stats(); s.InFlight != 1 || s.Waiting != 3 {
			t.Errorf("stats = %+v, want 1 in flight, 3 waiting", s)
		}
		// The queue is full: a fifth call is refused at once.
		_, err := b.Acquire(ctx)
		var ue *quant.UnavailableError
		if !errors.As(err, &ue) || !errors.Is(err, quant.ErrUnavailable) || ue.RetryAfter <= 0 {
			t.Errorf("Acquire on a full queue = %v, want UnavailableError with RetryAfter", err)
		}
		b.Release()
		wg.Wait()
		if fmt.Sprint(order) != "[0 1 2]" {
			t.Errorf("slots went to %v, want first come first served [0 1 2]", order)
		}
		s := b.Stats()
		if s.InFlight != 0 || s.Waiting != 0 || s.Admitted != 4 || s.Rejected != 1 {
			t.Errorf("final stats = %+v", s)
		}
	})
}

func TestBulkheadWaitTimeoutAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := NewBulkhead(BulkheadConfig{Name: "t", Capacity: 1, QueueLimit: 5, MaxWait: 2 * time.Second})
		b.Acquire(context.Background())
		start := time.Now()
		_, err := b.Acquire(context.Background())
		if !errors.Is(err, quant.ErrUnavailable) || time.Since(start) != 2*time.Second {
			t.Errorf("Acquire waited %v and returned %v; want a refusal after MaxWait 2s", time.Since(start), err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		if _, err := b.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Acquire with a short context = %v, want the context's error", err)
		}
		s := b.Stats()
		if s.TimedOut != 1 || s.Canceled != 1 || s.Waiting != 0 || s.InFlight != 1 {
			t.Errorf("stats = %+v, want 1 timed out, 1 canceled, nothing waiting", s)
		}
		b.Release()
		if _, err := b.Acquire(context.Background()); err != nil {
			t.Errorf("Acquire after release: %v", err)
		}
		if w := b.Stats().Wait; w.Count != 2 || w.P99 != 0 {
			t.Errorf("wait stats = %+v, want 2 waits of 0", w)
		}
	})
}

func TestBulkheadNoQueue(t *testing.T) {
	b := NewBulkhead(BulkheadConfig{Name: "t", Capacity: 2})
	b.Acquire(context.Background())
	b.Acquire(context.Background())
	if _, err := b.Acquire(context.Background()); !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("with MaxWait 0 a third call = %v, want a refusal", err)
	}
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestBreaker() (*Breaker, *clock) {
	c := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewBreaker(BreakerConfig{Name: "b", Now: c.Now}), c
}

func call(b *Breaker, o Outcome, d time.Duration) error {
	t, err := b.Allow()
	if err != nil {
		return err
	}
	b.Record(t, o, d)
	return nil
}

func TestBreakerConsecutiveFailures(t *testing.T) {
	b, clk := newTestBreaker()
	for range 4 {
		call(b, Failure, time.Millisecond)
	}
	call(b, Ignored, time.Millisecond) // a cancellation says nothing
	if s := b.Stats(); s.State != StateClosed || s.Counts.ConsecutiveFailures != 4 {
		t.Fatalf("after 4 failures: %+v, want closed with 4", s)
	}
	call(b, Failure, time.Millisecond)
	s := b.Stats()
	if s.State != StateOpen || s.LastTransition == nil || s.LastTransition.Counts.ConsecutiveFailures != 5 || s.LastTransition.Counts.Failures != 5 {
		t.Fatalf("after 5 failures: %+v (last %+v), want open, keeping the counts that tripped it", s, s.LastTransition)
	}
	err := call(b, Success, 0)
	var ue *quant.UnavailableError
	if !errors.As(err, &ue) || ue.RetryAfter != 60*time.Second {
		t.Errorf("open breaker: %v, want UnavailableError retrying after 60s", err)
	}
	clk.Advance(60 * time.Second)
	if s := b.Stats(); s.State != StateHalfOpen {
		t.Fatalf("after the open period: %v, want half_open", s.State)
	}
	probe, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Allow(); err == nil {
		t.Error("a second concurrent probe was allowed")
	}
	b.Record(probe, Success, time.Millisecond)
	if s := b.Stats(); s.State != StateClosed {
		t.Errorf("after a probe's success: %v, want closed", s.State)
	}
}

func TestBreakerHalfOpenFailureReopens(t *testing.T) {
	b, clk := newTestBreaker()
	for range 5 {
		call(b, Failure, 0)
	}
	clk.Advance(61 * time.Second)
	call(b, Failure, 0)
	if s := b.Stats(); s.State != StateOpen {
		t.Errorf("after a failed probe: %v, want open", s.State)
	}
}

func TestBreakerRates(t *testing.T) {
	b, _ := newTestBreaker()
	// Alternate: never 5 in a row, but half the window fails.
	for i := range 10 {
		o := Success
		if i%2 == 1 {
			o = Failure
		}
		call(b, o, 0)
	}
	if s := b.Stats(); s.State != StateOpen || s.LastTransition.Counts.Failures != 5 || s.LastTransition.Counts.Calls != 10 {
		t.Errorf("50%% failures over 10 calls: %+v, want open", s)
	}
	b2, _ := newTestBreaker()
	for range 9 {
		call(b2, Success, 31*time.Second)
	}
	if b2.Stats().State != StateClosed {
		t.Error("tripped on slow calls before MinCalls")
	}
	call(b2, Success, 31*time.Second)
	if s := b2.Stats(); s.State != StateOpen || s.LastTransition.Counts.Slow != 10 {
		t.Errorf("10 slow calls: %+v, want open on slow rate", s)
	}
}

func TestBreakerOverrides(t *testing.T) {
	b, clk := newTestBreaker()
	until := clk.Now().Add(10 * time.Minute)
	if err := b.Force(ModeForcedOpen, "maintenance", until); err != nil {
		t.Fatal(err)
	}
	var ue *quant.UnavailableError
	if err := call(b, Success, 0); !errors.As(err, &ue) || ue.RetryAfter != 10*time.Minute {
		t.Errorf("forced open: %v, want refusal until the expiry", err)
	}
	clk.Advance(5 * time.Minute)
	// Sticky: the open period passing does not half-open a forced breaker.
	if s := b.Stats(); s.State != StateOpen || s.Mode != ModeForcedOpen || s.Override.Reason != "maintenance" {
		t.Errorf("forced open after 5 min: %+v", s)
	}
	clk.Advance(5 * time.Minute)
	if s := b.Stats(); s.State != StateClosed || s.Mode != ModeAuto {
		t.Errorf("after the expiry: %+v, want closed, auto", s)
	}
	// Forced closed lets calls through whatever they do.
	b.Force(ModeForcedClosed, "trust me", time.Time{})
	for range 20 {
		if err := call(b, Failure, 0); err != nil {
			t.Fatalf("forced closed refused a call: %v", err)
		}
	}
	if s := b.Stats(); s.State != StateClosed || s.Mode != ModeForcedClosed {
		t.Errorf("forced closed after 20 failures: %+v", s)
	}
	b.Force(ModeAuto, "done", time.Time{})
	if s := b.Stats(); s.Mode != ModeAuto || s.State != StateClosed || s.Counts.Calls != 0 {
		t.Errorf("back to auto: %+v, want closed with a new window", s)
	}
	if err := b.Force(ModeForcedOpen, "x", clk.Now().Add(-time.Second)); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("an expiry in the past: %v, want ErrInvalid", err)
	}
	if err := b.Force("sideways", "x", time.Time{}); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("an unknown mode: %v, want ErrInvalid", err)
	}
}

// countingAnalyzer computes after release is closed (nil: at once), counting calls.
type countingAnalyzer struct {
	calls   atomic.Int64
	release chan struct{}
	err     error
}

func (c *countingAnalyzer) Analyze(ctx context.Context, req quant.Query) (*quant.Result, error) {
	c.calls.Add(1)
	if c.release != nil {
		<-c.release
	}
	if c.err != nil {
		return nil, c.err
	}
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{}`)}, nil
}

func newTestGuard(t *testing.T, next quant.Analyzer, clk *clock) *Guard {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Breaker.Now = clk.Now
	g, err := New(next, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGuardBreakerTripsAndRecovers(t *testing.T) {
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	next := &countingAnalyzer{err: errors.New("store exploded")}
	g := newTestGuard(t, next, clk)
	req := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	for range 5 {
		if _, err := g.Analyze(context.Background(), quant.MustQuery(req)); err == nil || errors.Is(err, quant.ErrUnavailable) {
			t.Fatalf("a failing call: %v", err)
		}
	}
	if _, err := g.Analyze(context.Background(), quant.MustQuery(req)); !errors.Is(err, quant.ErrUnavailable) {
		t.Fatalf("after 5 failures: %v, want 503", err)
	}
	if n := next.calls.Load(); n != 5 {
		t.Errorf("the open breaker let %d calls through, want 5", n)
	}
	// Other analyses are unaffected.
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisFourier, ID: "a"})); errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("fourier refused because hmm's breaker is open")
	}
	next.err = nil
	clk.Advance(time.Minute)
	if _, err := g.Analyze(context.Background(), quant.MustQuery(req)); err != nil {
		t.Fatalf("the half-open probe: %v", err)
	}
	if s := g.Breaker(quant.AnalysisHMM).Stats(); s.State != StateClosed {
		t.Errorf("after a successful probe: %v, want closed", s.State)
	}
}

func TestGuardClientErrorsAreNotFailures(t *testing.T) {
	clk := &clock{now: time.Now()}
	for _, err := range []error{quant.ErrNotFound, quant.Invalid("k", "bad"), &quant.NotEligibleError{Reason: quant.ReasonInsufficientHistory}, context.Canceled} {
		g := newTestGuard(t, &countingAnalyzer{err: err}, clk)
		for range 10 {
			g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisDTW, ID: "a"}))
		}
		if s := g.Breaker(quant.AnalysisDTW).Stats(); s.State != StateClosed || s.Counts.Failures != 0 {
			t.Errorf("10 calls failing with %v tripped or counted: %+v", err, s)
		}
	}
}

func TestGuardForcedOpenRejectsFast(t *testing.T) {
	clk := &clock{now: time.Now()}
	next := &countingAnalyzer{}
	g := newTestGuard(t, next, clk)
	g.Breaker(quant.AnalysisNetwork).Force(ModeForcedOpen, "drill", time.Time{})
	_, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}))
	if !errors.Is(err, quant.ErrUnavailable) || next.calls.Load() != 0 {
		t.Errorf("forced open: %v after %d calls, want 503 and no call", err, next.calls.Load())
	}
	if s := g.Stats(); s.Pools[1].Admitted != 0 {
		t.Errorf("a forced-open request took a network slot: %+v", s.Pools[1])
	}
	g.Breaker(quant.AnalysisNetwork).Force(ModeAuto, "", time.Time{})
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1})); err != nil {
		t.Errorf("back to auto: %v", err)
	}
}

func TestGuardConfigErrors(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Pools = cfg.Pools[:1]
	if _, err := New(&countingAnalyzer{}, cfg); err == nil {
		t.Error("a config without a pool for network was accepted")
	}
	cfg = DefaultConfig()
	cfg.Pools[0].Capacity = 0
	if _, err := New(&countingAnalyzer{}, cfg); err == nil {
		t.Error("a pool of capacity 0 was accepted")
	}
}

// tickingClock moves on by step at every reading, so the open period can
// end between two readings within one call.
type tickingClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *tickingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	c.now = c.now.Add(c.step)
	return t
}

// The open period ending in the middle of a call must not leak the
// half-open probe: the breaker recovers on the next call (it used to stay
// half open, refusing every call, until an operator stepped in).
func TestGuardOpenPeriodEndingMidCallLeaksNoProbe(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clk := &tickingClock{now: start}
	next := &countingAnalyzer{err: errors.New("store exploded")}
	cfg := DefaultConfig()
	cfg.Breaker.Now = clk.Now
	g, err := New(next, cfg)
	if err != nil {
		t.Fatal(err)
	}
	req := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	for range 5 {
		g.Analyze(context.Background(), quant.MustQuery(req))
	}
	br := g.Breaker(quant.AnalysisHMM)
	opened := br.Stats().LastTransition
	if opened == nil || opened.To != StateOpen {
		t.Fatalf("after 5 failures: %+v, want open", br.Stats())
	}
	next.err = nil
	clk.mu.Lock()
	clk.now = opened.At.Add(time.Minute - time.Nanosecond) // the last nanosecond of the open period
	clk.step = time.Nanosecond
	clk.mu.Unlock()
	var errs []error
	for range 3 {
		_, err := g.Analyze(context.Background(), quant.MustQuery(req))
		errs = append(errs, err)
	}
	if errs[2] != nil || br.Stats().State != StateClosed {
		t.Errorf("calls as the open period ended: %v; breaker %s; want it closed by a probe", errs, br.Stats().State)
	}
}

// panicking panics on every call.
type panicking struct{}

func (panicking) Analyze(context.Context, quant.Query) (*quant.Result, error) {
	panic("an analysis bug")
}

// An analysis that panics fails its request (and counts for its breaker)
// instead of ending the process: the cache's fill runs it on a goroutine
// of its own, where nothing else would recover it.
func TestGuardRecoversAPanickingAnalysis(t *testing.T) {
	g := newTestGuard(t, panicking{}, &clock{now: time.Now()})
	_, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}))
	if err == nil || !strings.Contains(err.Error(), "panicked") || errors.Is(err, quant.ErrUnavailable) {
		t.Fatalf("a panicking analysis: %v; want an error naming the panic", err)
	}
	if s := g.Breaker(quant.AnalysisHMM).Stats(); s.Counts.Failures != 1 {
		t.Errorf("breaker counts %+v; want the panic counted as a failure", s.Counts)
	}
	if p := g.Stats().Pools[0]; p.InFlight != 0 {
		t.Errorf("after a panic the ml pool has %d in flight, want the slot given back", p.InFlight)
	}
}

// TestGuardDefaultPoolsAndBreakers: the default pools hold every analysis
// once (compliance in ml, ANALYTICS.md section 11), and every analysis
// has its own breaker, named after it, in quant.Analyses order.
func TestGuardDefaultPoolsAndBreakers(t *testing.T) {
	g := newTestGuard(t, &countingAnalyzer{}, &clock{now: time.Now()})
	pools := map[string][]quant.Analysis{
		"ml":      {quant.AnalysisFourier, quant.AnalysisHMM, quant.AnalysisDTW, quant.AnalysisEnsemble, quant.AnalysisCorrelation, quant.AnalysisCompliance},
		"network": {quant.AnalysisNetwork},
	}
	for name, want := range pools {
		if got := g.Analyses(name); !slices.Equal(got, want) {
			t.Errorf("Analyses(%q) = %v, want %v", name, got, want)
		}
	}
	var names []string
	for _, b := range g.Stats().Breakers {
		names = append(names, b.Name)
	}
	want := []string{"fourier", "hmm", "dtw", "ensemble", "correlation", "network", "compliance"}
	if !slices.Equal(names, want) || len(names) != len(quant.Analyses) {
		t.Errorf("breakers = %q, want %q", names, want)
	}
	// compliance's breaker is its own: forcing it open refuses compliance
	// alone, and a compliance call takes an ml slot.
	g.Breaker(quant.AnalysisCompliance).Force(ModeForcedOpen, "drill", time.Time{})
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance})); !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("compliance with its breaker forced open: %v, want unavailable", err)
	}
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCorrelation})); err != nil {
		t.Errorf("correlation with compliance's breaker forced open: %v, want an answer", err)
	}
	g.Breaker(quant.AnalysisCompliance).Force(ModeAuto, "", time.Time{})
	before := g.Stats().Pools[0].Admitted
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: "a"})); err != nil {
		t.Errorf("compliance back to auto: %v", err)
	}
	if s := g.Stats(); s.Pools[0].Name != "ml" || s.Pools[0].Admitted != before+1 {
		t.Errorf("a compliance call admitted to %s %d times (was %d), want ml once", s.Pools[0].Name, s.Pools[0].Admitted, before)
	}
}
