package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/quant"
)

// fakeAdmin is an admin API and a public API in one test server.
type fakeAdmin struct {
	mu    sync.Mutex // guards calls
	calls []string
}

func (f *fakeAdmin) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

func (f *fakeAdmin) handler(token string) http.Handler {
	mux := http.NewServeMux()
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(http.StatusUnauthorized)
				json.NewEncoder(w).Encode(map[string]any{"title": "Unauthorized", "detail": "bad token"})
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /admin/v1/snapshot", auth(func(w http.ResponseWriter, r *http.Request) {
		// As the server writes it: the dataset version a string, here
		// one past 2^53 that a float64 would round.
		w.Write([]byte(`{"dataset_version":"9007199254740993","pools":[{"name":"ml","capacity":10}]}`))
	}))
	mux.HandleFunc("POST /admin/v1/cache/flush", auth(func(w http.ResponseWriter, r *http.Request) {
		f.record("flush")
	}))
	mux.HandleFunc("POST /admin/v1/breakers/{name}/{action}", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") == "astrology" {
			w.WriteHeader(http.StatusNotFound)
			json.NewEncoder(w).Encode(map[string]any{"detail": "no breaker astrology"})
			return
		}
		f.record(r.PathValue("name") + " " + r.PathValue("action") + " " + r.URL.Query().Get("reason") + " " + r.URL.Query().Get("until"))
	}))
	mux.HandleFunc("GET /api/v1/politicians", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"politicians":[{"id":"p1","analyzable_count":3},{"id":"p0","analyzable_count":0},{"id":"p2","analyzable_count":9}],"total":3}`))
	})
	mux.HandleFunc("GET /api/v1/analytics/{analysis}", func(w http.ResponseWriter, r *http.Request) {
		f.record("burst " + r.PathValue("analysis"))
		w.Header().Set("X-Cache", "HIT")
		w.Write([]byte(`{}`))
	})
	mux.HandleFunc("GET /api/v1/analytics/{analysis}/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.record("burst " + r.PathValue("analysis") + " " + r.PathValue("id"))
		w.Header().Set("X-Cache", "HIT")
		w.Write([]byte(`{}`))
	})
	return mux
}

func TestRemoteSource(t *testing.T) {
	f := &fakeAdmin{}
	srv := httptest.NewServer(f.handler("s3cret"))
	t.Cleanup(srv.Close)
	ctx := context.Background()
	src := NewRemoteSource(srv.URL, srv.URL, "s3cret", 5*time.Second)

	snap, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.DatasetVersion != 9007199254740993 || len(snap.Pools) != 1 || snap.Pools[0].Capacity != 10 {
		t.Errorf("Snapshot = %+v, want the server's", snap)
	}
	if err := src.FlushCache(ctx); err != nil {
		t.Fatal(err)
	}
	until := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := src.SetBreaker(ctx, "hmm", "open", "drill", until); err != nil {
		t.Fatal(err)
	}
	if err := src.SetBreaker(ctx, "astrology", "open", "", time.Time{}); !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("SetBreaker(astrology) = %v, want ErrNotFound", err)
	}
	var n int
	rep, err := src.Burst(ctx, BurstSpec{Requests: 4, Concurrency: 2}, func(burst.Result) { n++ })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 4 || rep.Successes != 4 || n != 4 || rep.Cache["HIT"] != 4 {
		t.Errorf("burst: report %+v after %d results, want 4 hits", rep, n)
	}
	f.mu.Lock()
	calls := f.calls
	f.mu.Unlock()
	want := map[string]int{"flush": 1, "hmm open drill 2030-01-02T03:04:05Z": 1, "burst ensemble p1": 2, "burst ensemble p2": 2}
	got := map[string]int{}
	for _, c := range calls {
		got[c]++
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("server saw %q %d times, want %d (all: %q)", k, got[k], v, calls)
		}
	}
	if got["burst ensemble p0"] != 0 {
		t.Error("burst hit a politician without analyzable trades")
	}

	bad := NewRemoteSource(srv.URL, "", "wrong", time.Second)
	if _, err := bad.Snapshot(ctx); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Snapshot with a bad token = %v, want ErrUnauthorized", err)
	}
	if _, err := bad.Burst(ctx, BurstSpec{}, nil); err == nil {
		t.Error("Burst without an API URL succeeded")
	}
}

func TestRemoteSourceUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	if _, err := NewRemoteSource(url, url, "", time.Second).Snapshot(context.Background()); err == nil {
		t.Error("Snapshot of a closed server succeeded")
	}
}

func TestLocalSource(t *testing.T) {
	f := &fakeAdmin{}
	srv := httptest.NewServer(f.handler(""))
	t.Cleanup(srv.Close)
	src := &LocalSource{Local: newLocal(t), APIURL: srv.URL}
	ctx := context.Background()
	if err := src.SetBreaker(ctx, "hmm", "open", "drill", time.Time{}); err != nil {
		t.Fatal(err)
	}
	s, err := src.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range s.Breakers {
		if b.Name == "hmm" && b.State != "open" {
			t.Errorf("hmm breaker = %s, want open", b.State)
		}
	}
	if err := src.FlushCache(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := src.Burst(ctx, BurstSpec{Requests: 3, Concurrency: 3, Analysis: "hmm"}, nil)
	if err != nil || rep.Successes != 3 {
		t.Errorf("Burst = %+v, %v, want 3 successes", rep, err)
	}
	if src.Name() == "" {
		t.Error("empty Name")
	}
}

// TestBurstTargets: a burst of a per-politician analysis spreads over the
// politicians with analyzable records; correlation and network have one
// URL; compliance answers both ways, so a burst of it asks for each
// politician's and for the ranking.
func TestBurstTargets(t *testing.T) {
	tests := []struct {
		analysis string
		want     map[string]int
	}{
		{"hmm", map[string]int{"burst hmm p1": 3, "burst hmm p2": 3}},
		{"network", map[string]int{"burst network": 6}},
		{"correlation", map[string]int{"burst correlation": 6}},
		{"compliance", map[string]int{"burst compliance p1": 2, "burst compliance p2": 2, "burst compliance": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.analysis, func(t *testing.T) {
			f := &fakeAdmin{}
			srv := httptest.NewServer(f.handler(""))
			t.Cleanup(srv.Close)
			rep, err := runBurst(context.Background(), client.New(srv.URL, client.WithHTTPClient(srv.Client())), BurstSpec{Requests: 6, Concurrency: 1, Analysis: tt.analysis}, nil)
			if err != nil || rep.Successes != 6 {
				t.Fatalf("runBurst(%s) = %+v, %v; want 6 successes", tt.analysis, rep, err)
			}
			got := map[string]int{}
			f.mu.Lock()
			for _, c := range f.calls {
				got[c]++
			}
			f.mu.Unlock()
			if !maps.Equal(got, tt.want) {
				t.Errorf("runBurst(%s) asked %v, want %v", tt.analysis, got, tt.want)
			}
		})
	}
}
