package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/cache"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/guard"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/server"
)

// BenchmarkHotPath measures hot-cache requests over loopback HTTP against
// a bare net/http handler that writes the same bytes (the ceiling), in one
// run: requests/s and p50/p99 latency, 16 concurrent keep-alive clients.
// The clients ask for no compression (identity, as the bare handler
// writes), except memory-gzip's, which sends Accept-Encoding: gzip and
// reads the compressed bytes the entry keeps.
// The Redis case bypasses L1 (every answer comes from Redis) when
// QUANT_TEST_REDIS_URL is set, and is skipped otherwise.
func BenchmarkHotPath(b *testing.B) {
	f, err := os.Open(realCSV)
	if err != nil {
		b.Skipf("%s: %v", realCSV, err)
	}
	st := inmem.New()
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: "real", Fingerprint: "real"}, (&ingest.Parser{}).Records(f, nil)); err != nil {
		b.Fatal(err)
	}
	f.Close()
	const path = "/api/v1/analytics/ensemble/david-a-perdue"

	chain := func(backend quant.Cache) (http.Handler, *cache.Analyzer) {
		g, err := guard.New(ensemble.NewService(st), guard.DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		ca := cache.New(g, backend, st, cache.Options{Beta: -1})
		return server.New(server.Config{Store: st, Analyzer: ca}).Handler(), ca
	}
	memHandler, _ := chain(cache.NewMemory(cache.MemoryOptions{}))
	// The bare handler serves the bytes the protected one serves.
	rec := httptest.NewRecorder()
	memHandler.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	body := rec.Body.Bytes()
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
	cases := []struct {
		name string
		h    http.Handler
		gzip bool
	}{{"bare", bare, false}, {"memory", memHandler, false}, {"memory-gzip", memHandler, true}}
	if u := os.Getenv("QUANT_TEST_REDIS_URL"); u != "" {
		rc, err := redis.Open(u)
		if err != nil {
			b.Fatal(err)
		}
		defer rc.Close()
		h, _ := chain(rc) // Redis alone: every hit is a Redis round trip
		cases = append(cases, struct {
			name string
			h    http.Handler
			gzip bool
		}{"redis", h, false})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ts := httptest.NewServer(c.h)
			defer ts.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
			get := func() time.Duration {
				start := time.Now()
				req, _ := http.NewRequest("GET", ts.URL+path, nil) // as client.Get makes one
				if c.gzip {
					req.Header.Set("Accept-Encoding", "gzip")
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || c.gzip && resp.Header.Get("Content-Encoding") != "gzip" {
					b.Fatalf("status %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
				}
				return time.Since(start)
			}
			get() // fill the cache
			var mu sync.Mutex
			var lat []time.Duration
			b.SetParallelism(8) // 16 clients on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					mine = append(mine, get())
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
		})
	}
}
