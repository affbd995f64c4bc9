package server

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// untilDeadline computes until its context ends, as an analysis that
// honours its deadline does.
type untilDeadline struct{}

func (untilDeadline) Analyze(ctx context.Context, _ quant.Query) (*quant.Result, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestGuardTimeoutIs504: a computation past the guard's timeout answers
// 504 with Retry-After through the cache, and its slot is free again.
func TestGuardTimeoutIs504(t *testing.T) {
	cfg := guard.DefaultConfig()
	cfg.Timeout = 20 * time.Millisecond
	g, err := guard.New(untilDeadline{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ca := cache.New(g, cache.NewMemory(cache.MemoryOptions{}), fixedVersion(7), cache.Options{})
	if err := ca.Prime(context.Background()); err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(New(Config{Store: inmem.New(), Analyzer: ca}).Handler())
	t.Cleanup(api.Close)
	status, hdr, body := getJSON(t, api.URL+"/api/v1/analytics/compliance")
	if status != 504 || hdr.Get("Retry-After") != "1" {
		t.Errorf("a computation past the timeout: %d, Retry-After %q (%v); want 504 with Retry-After 1", status, hdr.Get("Retry-After"), body)
	}
	if typ, _ := body["type"].(string); !strings.HasSuffix(typ, "#timeout") {
		t.Errorf("problem type %q, want timeout", typ)
	}
	if p := g.Stats().Pools[0]; p.InFlight != 0 || p.Admitted != 1 {
		t.Errorf("ml pool after the timeout: %+v, want its one slot given back", p)
	}
	var te *quant.TimeoutError
	if _, err := g.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisHMM, ID: "a"})); !errors.As(err, &te) {
		t.Errorf("the guard's error = %v, want a *quant.TimeoutError", err)
	}
}
