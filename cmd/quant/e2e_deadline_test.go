package main

import (
	"context"
	"errors"
	"testing"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// TestE2EComputeTimeout: with --compute-timeout far below what the
// analyses take on a generated dataset of 100,000 records, the network and
// the ensemble forecast answer 504 with Retry-After (the analyses stop at
// their deadline, not after computing), and every pool's slot is back
// once the answers are in: nothing keeps computing in the background.
func TestE2EComputeTimeout(t *testing.T) {
	adminAddr := freeAddr(t)
	api := startServer(t, nil, "--gen-politicians", "300", "--gen-trades", "100000", "--compute-timeout", "1ms", "--admin-addr", adminAddr)
	ctx := context.Background()
	c := newClient(api)
	page, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 1})
	if err != nil || len(page.Politicians) == 0 {
		t.Fatalf("politicians: %v %v", page, err)
	}
	id := page.Politicians[0].ID
	for _, req := range []quant.Request{
		{Analysis: quant.AnalysisNetwork},
		{Analysis: quant.AnalysisEnsemble, ID: id, Horizon: 26},
	} {
		t.Run(string(req.Analysis), func(t *testing.T) {
			_, err := c.Analysis(ctx, req)
			var ce *client.Error
			if !errors.As(err, &ce) || !errors.Is(err, quant.ErrTimeout) || ce.RetryAfter <= 0 {
				t.Fatalf("%s with a 1 ms compute timeout: %v; want 504 with Retry-After", c.AnalysisURL(req), err)
			}
			if ce.StatusCode != 504 || ce.Problem.Type != problem.Base+"timeout" {
				t.Errorf("%d, problem %+v; want 504 and the timeout problem", ce.StatusCode, ce.Problem)
			}
		})
	}
	snap, err := adminClient(adminAddr, "").Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range snap.Pools {
		if p.InFlight != 0 || p.Waiting != 0 {
			t.Errorf("pool %s after the 504s: %d in flight, %d waiting; want its slots back", p.Name, p.InFlight, p.Waiting)
		}
	}
	if snap.Coalescing.InFlight != 0 {
		t.Errorf("%d fills still in flight after the 504s, want 0", snap.Coalescing.InFlight)
	}
}
