package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/redis/redistest"
)

// openTest opens a Cache on the test Redis under a prefix of its own.
func openTest(tb testing.TB, opts ...redis.Option) (*redis.Cache, string) {
	tb.Helper()
	prefix := redistest.Prefix(tb)
	c, err := redis.Open(redistest.URL(tb), append([]redis.Option{redis.WithPrefix(prefix)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c, prefix
}

func entry(key string, fresh, stale time.Duration) *quant.CacheEntry {
	now := time.Now()
	return &quant.CacheEntry{
		Result: &quant.Result{
			Analysis:       quant.AnalysisDTW,
			Key:            key,
			Body:           []byte(`{"neighbours":[1,2,3]}`),
			DatasetVersion: 42,
			ComputedAt:     now.Add(-time.Second),
			ComputeTime:    1234 * time.Microsecond,
		},
		FreshUntil: now.Add(fresh),
		StaleUntil: now.Add(stale),
	}
}

func TestCacheRoundTrip(t *testing.T) {
	t.Parallel()
	c, prefix := openTest(t)
	ctx := context.Background()
	tests := []struct {
		name string
		e    *quant.CacheEntry
	}{
		{"full", entry("dtw/p1?k=5", time.Hour, 25*time.Hour)},
		{"empty body and zero times", &quant.CacheEntry{
			Result:     &quant.Result{Analysis: quant.AnalysisNetwork, Key: "network?min_weight=0.1"},
			StaleUntil: time.Now().Add(time.Minute),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := "quant:1:" + tt.e.Result.Key
			if err := c.Set(ctx, key, tt.e); err != nil {
				t.Fatalf("Set: %v", err)
			}
			got, err := c.Get(ctx, key)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if diff := cmp.Diff(tt.e, got); diff != "" {
				t.Errorf("Get(%q) mismatch (-want +got):\n%s", key, diff)
			}
			pttl, err := c.Client().PTTL(ctx, prefix+key).Result()
			if err != nil {
				t.Fatal(err)
			}
			if want := time.Until(tt.e.StaleUntil); pttl > want+time.Second || pttl < want-5*time.Second {
				t.Errorf("PTTL = %v, want about %v (StaleUntil)", pttl, want)
			}
		})
	}
	if !c.Stats().Healthy {
		t.Errorf("Stats().Healthy = false after good calls")
	}
}

func TestCacheMissesAndSkips(t *testing.T) {
	t.Parallel()
	c, prefix := openTest(t)
	ctx := context.Background()

	if got, err := c.Get(ctx, "quant:1:none"); got != nil || err != nil {
		t.Errorf("Get(absent) = %v, %v, want nil, nil", got, err)
	}
	// An entry past its StaleUntil is not written.
	if err := c.Set(ctx, "quant:1:old", entry("old", -2*time.Hour, -time.Hour)); err != nil {
		t.Fatalf("Set(expired): %v", err)
	}
	if n, _ := c.Client().Exists(ctx, prefix+"quant:1:old").Result(); n != 0 {
		t.Errorf("expired entry was written")
	}
	// Values of another format (or no format) are misses, not errors.
	for _, v := range []string{"Q\x02whatever", "garbage", "Q\x01\x05ab"} {
		if err := c.Client().Set(ctx, prefix+"quant:1:foreign", v, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Get(ctx, "quant:1:foreign"); got != nil || err != nil {
			t.Errorf("Get(%q) = %v, %v, want nil, nil", v, got, err)
		}
	}
}

func TestCacheFlushOnlyQuantKeys(t *testing.T) {
	t.Parallel()
	c, prefix := openTest(t)
	ctx := context.Background()
	rdb := c.Client()

	var quantKeys []string
	for i := range 1200 { // several SCAN/UNLINK batches
		k := fmt.Sprintf("quant:7:fourier/p%d", i)
		quantKeys = append(quantKeys, k)
		if err := c.Set(ctx, k, entry(k, time.Hour, 2*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	other := redistest.Prefix(t) // another app or test sharing the Redis
	survivors := []string{prefix + "other:1", prefix + "quantx", other + "quant:7:fourier/p1", "q" + prefix + "quant:1"}
	for _, k := range survivors {
		if err := rdb.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { rdb.Del(context.Background(), survivors...) })

	if err := c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for _, k := range quantKeys[:3] {
		if got, err := c.Get(ctx, k); got != nil || err != nil {
			t.Errorf("after Flush Get(%q) = %v, %v, want nil, nil", k, got, err)
		}
	}
	if n, _ := rdb.Keys(ctx, prefix+"quant:*").Result(); len(n) != 0 {
		t.Errorf("after Flush %d quant keys remain", len(n))
	}
	for _, k := range survivors {
		if n, err := rdb.Exists(ctx, k).Result(); err != nil || n != 1 {
			t.Errorf("Flush removed %q, which is not a quant key of this cache", k)
		}
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"redis://:s3cretpw@127.0.0.1:notaport/0",
		"http://user:s3cretpw@127.0.0.1:6379",
		"redis://user:s3cretpw@127.0.0.1:6379/notadb",
		"redis://user:s3cretpw@[::1/0",
	} {
		_, err := redis.Open(u)
		if err == nil {
			t.Errorf("Open(%q) = nil error, want one", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("Open error %q shows the password", err)
		}
	}
	if got := redis.Redact("rediss://u:s3cretpw@h:1/0"); strings.Contains(got, "s3cretpw") {
		t.Errorf("Redact = %q, shows the password", got)
	}
}

// TestCacheDownFailsFast points a Cache at a port nothing listens on.
func TestCacheDownFailsFast(t *testing.T) {
	t.Parallel()
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", redistest.FreePort(t))
	c, err := redis.Open(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	const limit = time.Second // the timeout is 100 ms; allow for a loaded machine
	for _, op := range []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := c.Get(ctx, "quant:1:x"); return err }},
		{"Set", func() error { return c.Set(ctx, "quant:1:x", entry("x", time.Hour, 2*time.Hour)) }},
		{"Flush", func() error { return c.Flush(ctx) }},
	} {
		start := time.Now()
		err := op.call()
		if el := time.Since(start); err == nil || el > limit {
			t.Errorf("%s on a closed port = %v after %v, want an error within %v", op.name, err, el, limit)
		}
	}
	if s := c.Stats(); s.Healthy || s.Errors < 3 {
		t.Errorf("Stats() = %+v, want Healthy=false and Errors >= 3", s)
	}
}

// TestCacheReconnects stops a private redis-server, checks calls fail fast,
// restarts it and checks the same Cache works again.
func TestCacheReconnects(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	c, err := redis.Open(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	e := entry("k", time.Hour, 2*time.Hour)
	if err := c.Set(ctx, "quant:1:k", e); err != nil {
		t.Fatalf("Set: %v", err)
	}

	srv.Stop()
	start := time.Now()
	_, err = c.Get(ctx, "quant:1:k")
	if el := time.Since(start); err == nil || el > time.Second {
		t.Fatalf("Get with Redis stopped = %v after %v, want an error within 1s", err, el)
	}
	if c.Stats().Healthy {
		t.Errorf("Stats().Healthy = true with Redis stopped")
	}

	srv.Restart() // empty: no persistence
	if err := c.Set(ctx, "quant:1:k", e); err != nil {
		t.Fatalf("Set after restart: %v", err)
	}
	got, err := c.Get(ctx, "quant:1:k")
	if err != nil || got == nil {
		t.Fatalf("Get after restart = %v, %v, want the entry", got, err)
	}
	if !c.Stats().Healthy {
		t.Errorf("Stats().Healthy = false after Redis came back")
	}
}

func TestCacheHonoursCallerContext(t *testing.T) {
	t.Parallel()
	c, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, "quant:1:x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled ctx) = %v, want context.Canceled", err)
	}
}
