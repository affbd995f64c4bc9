package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

type okAnalyzer struct{}

func (okAnalyzer) Analyze(_ context.Context, req quant.Query) (*quant.Result, error) {
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{}`), ComputedAt: time.Now()}, nil
}

func newLocal(t *testing.T) *Local {
	t.Helper()
	g, err := guard.New(okAnalyzer{}, guard.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	st := inmem.New()
	return &Local{ID: "box:1:abcdef", Version: "v", Store: st, Guard: g, Cache: cache.New(g, cache.NewMemory(cache.MemoryOptions{}), st, cache.Options{})}
}

func TestLocalSnapshotAndActions(t *testing.T) {
	l := newLocal(t)
	ctx := context.Background()
	req := quant.Request{Analysis: quant.AnalysisHMM, ID: "a"}
	for range 2 {
		if _, err := l.Cache.Analyze(ctx, quant.MustQuery(req)); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.SetBreaker(ctx, "network", "open", "drill", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	s, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Pools) != 2 || s.Pools[0].Name != "ml" || s.Pools[0].Admitted != 1 || s.Pools[0].Capacity != 10 {
		t.Errorf("pools = %+v, want ml first with the one computation", s.Pools)
	}
	if len(s.Breakers) != len(quant.Analyses) {
		t.Fatalf("breakers = %d, want one per analysis", len(s.Breakers))
	}
	for _, b := range s.Breakers {
		if b.Name == "network" && (b.State != "open" || b.Mode != "forced_open" || b.Override == nil || b.Override.Reason != "drill") {
			t.Errorf("network breaker = %+v, want forced open for a drill", b)
		}
	}
	if s.Cache.Hits != 1 || s.Cache.Misses != 1 || s.Cache.HitRate != 0.5 || s.Cache.Backend != "memory" || s.Coalescing.Leaders != 1 {
		t.Errorf("cache = %+v coalescing %+v, want 1 hit 1 miss", s.Cache, s.Coalescing)
	}
	if !s.Store.Reachable || s.Store.Backend != "memory" || s.Instance.ID != "box:1:abcdef" {
		t.Errorf("store/instance = %+v %+v", s.Store, s.Instance)
	}
	if _, err := l.FlushCache(ctx, quant.CacheSelection{}, ""); err != nil {
		t.Fatal(err)
	}
	if s, _ := l.Snapshot(ctx); s.Cache.Entries != 0 {
		t.Errorf("entries after a flush = %d", s.Cache.Entries)
	}
	if err := l.SetBreaker(ctx, "astrology", "open", "", time.Time{}); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("unknown breaker: %v", err)
	}
	if err := l.SetBreaker(ctx, "hmm", "sideways", "", time.Time{}); !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("unknown action: %v", err)
	}
	bare := &Local{Store: inmem.New()}
	if _, err := bare.FlushCache(ctx, quant.CacheSelection{}, ""); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("flush without a cache: %v", err)
	}
}

// TestApplySkipsStaleOverrides replays an override recorded before an
// operator returned the breaker to auto (what a periodic replay that read
// the record just before the change delivers late): it must not force the
// breaker again.
func TestApplySkipsStaleOverrides(t *testing.T) {
	l := newLocal(t)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	open := quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Reason: "drill", Origin: "other", At: t0}
	mode := func() string { return string(l.Guard.Breaker(quant.AnalysisHMM).Stats().Mode) }
	l.Apply(open)
	if m := mode(); m != "forced_open" {
		t.Fatalf("after the override: %s", m)
	}
	l.Apply(quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "auto", Origin: "other", At: t0.Add(time.Second)})
	if m := mode(); m != "auto" {
		t.Fatalf("after auto: %s", m)
	}
	open.Origin = "" // a replay
	l.Apply(open)
	if m := mode(); m != "auto" {
		t.Errorf("a stale replay forced the breaker again: %s", m)
	}
	// An override made here is newer than what came before it.
	if err := l.SetBreaker(context.Background(), "hmm", "close", "local", time.Time{}); err != nil {
		t.Fatal(err)
	}
	l.Apply(quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Origin: "other", At: time.Now().Add(-time.Minute)})
	if m := mode(); m != "forced_closed" {
		t.Errorf("an override older than the local one won: %s", m)
	}
}

// A flush that reaches this instance from another empties what this
// process holds and leaves the shared level alone: the origin flushed it,
// and answers computed since must survive.
func TestApplyFlushIsLocal(t *testing.T) {
	ctx := context.Background()
	l1, l2 := cache.NewMemory(cache.MemoryOptions{}), cache.NewMemory(cache.MemoryOptions{})
	st := inmem.New()
	l := &Local{Store: st, Cache: cache.New(okAnalyzer{}, cache.NewTiered(l1, l2, cache.TieredOptions{}), st, cache.Options{})}
	if _, err := l.Cache.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"})); err != nil {
		t.Fatal(err)
	}
	if l1.Stats().Entries != 1 || l2.Stats().Entries != 1 {
		t.Fatalf("entries before: L1 %d, L2 %d", l1.Stats().Entries, l2.Stats().Entries)
	}
	l.Apply(quant.ControlEvent{Kind: "flush", Origin: "other", At: time.Now()})
	if l1.Stats().Entries != 0 || l2.Stats().Entries != 1 {
		t.Errorf("after another instance's flush: L1 %d, L2 %d entries; want 0 and 1", l1.Stats().Entries, l2.Stats().Entries)
	}
}

// recBus records what is published.
type recBus struct{ events []quant.ControlEvent }

func (b *recBus) Publish(_ context.Context, e quant.ControlEvent) error {
	b.events = append(b.events, e)
	return nil
}
func (b *recBus) Subscribe(context.Context, func(quant.ControlEvent)) error { return nil }

// TestSelectiveFlushReachesEveryInstance: a selective flush removes what
// it selects here and counts it, publishes its selection and reason, and
// another instance applying it removes the same from its own level alone.
func TestSelectiveFlushReachesEveryInstance(t *testing.T) {
	ctx := context.Background()
	st := inmem.New()
	shared := cache.NewMemory(cache.MemoryOptions{}) // the Redis both share
	type instance struct {
		l  *Local
		l1 *cache.Memory
	}
	bus := &recBus{}
	var ins [2]instance
	for i := range ins {
		l1 := cache.NewMemory(cache.MemoryOptions{})
		ins[i] = instance{l1: l1, l: &Local{ID: []string{"a", "b"}[i], Store: st, Bus: bus,
			Cache: cache.New(okAnalyzer{}, cache.NewTiered(l1, shared, cache.TieredOptions{}), st, cache.Options{})}}
	}
	reqs := []quant.Request{{Analysis: quant.AnalysisHMM, ID: "x"}, {Analysis: quant.AnalysisHMM, ID: "y"}, {Analysis: quant.AnalysisFourier, ID: "x"}}
	for _, in := range ins {
		for _, r := range reqs {
			if _, err := in.l.Cache.Analyze(ctx, quant.MustQuery(r)); err != nil {
				t.Fatal(err)
			}
		}
	}
	sel := quant.CacheSelection{Analysis: quant.AnalysisHMM, ID: "x"}
	f, err := ins[0].l.FlushCache(ctx, sel, "bad import of x")
	if want := (quant.Flushed{Memory: 2}); err != nil || f != want { // a Memory as the shared level counts as memory
		t.Fatalf("FlushCache = %+v, %v; want %+v", f, err, want)
	}
	if len(bus.events) != 1 {
		t.Fatalf("published %+v, want one flush", bus.events)
	}
	e := bus.events[0]
	if e.Kind != "flush" || e.Analysis != sel.Analysis || e.ID != sel.ID || e.Reason != "bad import of x" || e.Origin != "a" {
		t.Errorf("published %+v, want the flush of hmm x with its reason, from a", e)
	}
	ins[1].l.Apply(e)
	v, err := st.DatasetVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hmmX, hmmY := cache.Key(v, quant.MustQuery(reqs[0])), cache.Key(v, quant.MustQuery(reqs[1]))
	for i, in := range ins {
		if in.l1.CleanUp(); in.l1.Stats().Entries != 2 {
			t.Errorf("instance %d holds %d entries after the flush of hmm x, want 2 (hmm y, fourier x)", i, in.l1.Stats().Entries)
		}
		if e, _ := in.l1.Get(ctx, hmmX); e != nil {
			t.Errorf("instance %d still holds hmm x", i)
		}
		if e, _ := in.l1.Get(ctx, hmmY); e == nil {
			t.Errorf("instance %d lost hmm y", i)
		}
	}
	if shared.CleanUp(); shared.Stats().Entries != 2 {
		t.Errorf("the shared level holds %d entries, want 2", shared.Stats().Entries)
	}
}

// TestApplySkipsItsOwn: an action this instance published (its Origin is
// ID) comes back on the bus and is skipped; another's is carried out.
func TestApplySkipsItsOwn(t *testing.T) {
	l := newLocal(t)
	mode := func() string { return string(l.Guard.Breaker(quant.AnalysisHMM).Stats().Mode) }
	e := quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Origin: l.ID, At: time.Now()}
	l.Apply(e)
	if m := mode(); m != "auto" {
		t.Errorf("its own action applied again: %s; want auto", m)
	}
	e.Origin = "box:2:ghijkl"
	l.Apply(e)
	if m := mode(); m != "forced_open" {
		t.Errorf("another instance's action: %s; want forced_open", m)
	}
}

// errRedisDown stands for the shared Redis not answering.
var errRedisDown = errors.New("dial tcp 10.0.0.7:6379: connect: connection refused")

// downCache is a cache backend that does not answer (a Redis one, down).
type downCache struct{}

func (downCache) Get(context.Context, string) (*quant.CacheEntry, error) { return nil, errRedisDown }
func (downCache) Set(context.Context, string, *quant.CacheEntry) error   { return errRedisDown }
func (downCache) Flush(context.Context, quant.CacheSelection) (quant.Flushed, error) {
	return quant.Flushed{}, errRedisDown
}
func (downCache) Stats() quant.CacheStats { return quant.CacheStats{Backend: "redis"} }

// downBus is a control bus whose Redis does not answer.
type downBus struct{}

func (downBus) Publish(context.Context, quant.ControlEvent) error { return errRedisDown }
func (downBus) Subscribe(ctx context.Context, _ func(quant.ControlEvent)) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestActionsNotShared: with Redis down an action carried out here is a
// *quant.NotSharedError saying what did not reach the other instances
// (the admin API answers it 200, shared false); a flush that did nothing
// is a *quant.UnavailableError (503). Before, both were plain errors that
// the admin API answered 500.
func TestActionsNotShared(t *testing.T) {
	ctx := context.Background()
	st := inmem.New()
	req := quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"})
	tests := []struct {
		name      string
		backend   func(l1 quant.Cache) quant.Cache // over this instance's memory
		bus       quant.ControlBus
		notShared []string // what the NotSharedError must say; nil: none
	}{
		{"memory, no bus", func(l1 quant.Cache) quant.Cache { return l1 }, nil, nil},
		{"memory, bus down", func(l1 quant.Cache) quant.Cache { return l1 }, downBus{}, []string{"other instances were not told"}},
		{"tiered, Redis down", func(l1 quant.Cache) quant.Cache { return cache.NewTiered(l1, downCache{}, cache.TieredOptions{}) }, downBus{},
			[]string{"shared cache level (Redis) was not flushed", "other instances were not told"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, l1 := newLocal(t), cache.NewMemory(cache.MemoryOptions{})
			l.Cache, l.Bus = cache.New(l.Guard, tt.backend(l1), st, cache.Options{}), tt.bus
			if _, err := l.Cache.Analyze(ctx, req); err != nil {
				t.Fatal(err)
			}
			for _, act := range []struct {
				name string
				do   func() error
			}{
				{"flush", func() error { _, err := l.FlushCache(ctx, quant.CacheSelection{}, ""); return err }},
				{"breaker", func() error { return l.SetBreaker(ctx, "hmm", "open", "drill", time.Time{}) }},
			} {
				err := act.do()
				var ns *quant.NotSharedError
				switch {
				case tt.notShared == nil && err != nil:
					t.Errorf("%s = %v, want nil", act.name, err)
				case tt.notShared != nil && !errors.As(err, &ns):
					t.Errorf("%s = %v, want a *quant.NotSharedError", act.name, err)
				case ns != nil && !errors.Is(err, errRedisDown):
					t.Errorf("%s = %v, does not wrap its cause", act.name, err)
				}
				if ns != nil && act.name == "flush" {
					for _, want := range tt.notShared {
						if !strings.Contains(ns.What, want) {
							t.Errorf("flush: NotSharedError.What = %q, want it to say %q", ns.What, want)
						}
					}
				}
			}
			if l1.CleanUp(); l1.Stats().Entries != 0 {
				t.Errorf("entries here after the flush = %d, want 0", l1.Stats().Entries)
			}
			if m := l.Guard.Breaker(quant.AnalysisHMM).Stats().Mode; m != guard.ModeForcedOpen {
				t.Errorf("breaker mode after open = %s, want forced_open", m)
			}
		})
	}
	t.Run("cache down", func(t *testing.T) {
		l := newLocal(t)
		l.Cache = cache.New(l.Guard, downCache{}, st, cache.Options{})
		_, err := l.FlushCache(ctx, quant.CacheSelection{}, "")
		var ue *quant.UnavailableError
		if !errors.As(err, &ue) || ue.RetryAfter <= 0 || !errors.Is(err, errRedisDown) {
			t.Errorf("flush with the only cache level down = %v, want a *quant.UnavailableError with RetryAfter and its cause", err)
		}
	})
}
