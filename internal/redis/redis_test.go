package redis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	goredis "github.com/redis/go-redis/v9"

	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/redis/redistest"
)

// topologies are the Redis deployments the contract tests run against.
var topologies = []struct {
	name  string
	start func(testing.TB) string // a Redis of this topology for the test's life: its URL
}{
	{"single", redistest.URL}, // the shared Redis of make test
	{"cluster", func(tb testing.TB) string { return redistest.StartCluster(tb).URL() }},
	{"sentinel", func(tb testing.TB) string { return redistest.StartSentinel(tb).URL() }},
}

// TestTopologies runs the cache, lease and bus tests against each
// topology: one Redis (or cluster, or sentinel and its master) per
// topology, which the tests share under prefixes of their own.
func TestTopologies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, url string)
	}{
		{"CacheRoundTrip", testCacheRoundTrip},
		{"CacheMissesAndSkips", testCacheMissesAndSkips},
		{"CacheFlushOnlyQuantKeys", testCacheFlushOnlyQuantKeys},
		{"CacheFlushSelected", testCacheFlushSelected},
		{"CacheHonoursCallerContext", testCacheHonoursCallerContext},
		{"Lease", testLease},
		{"Bus", testBus},
		{"Instances", testInstances},
	}
	for _, top := range topologies {
		t.Run(top.name, func(t *testing.T) {
			t.Parallel()
			url := top.start(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					tt.run(t, url)
				})
			}
		})
	}
}

// openTest opens a Cache on the Redis of url under a prefix of its own.
// Its calls may take a second, not 100 ms: these tests check what the
// calls do, on a loaded machine (a sentinel client's first call asks the
// sentinel, then dials the master), and TestCacheDownFailsFast checks the
// default deadline.
func openTest(tb testing.TB, url string, opts ...redis.Option) (*redis.Cache, string) {
	tb.Helper()
	prefix := redistest.Prefix(tb)
	c, err := redis.Open(url, append([]redis.Option{redis.WithPrefix(prefix), redis.WithTimeout(time.Second)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	warm(tb, c.Client())
	return c, prefix
}

// warm waits until a new client answers PING: its first call dials,
// asks a sentinel where the master is or loads a cluster's slots and
// command table, which on a loaded machine can take longer than one
// call's deadline.
func warm(tb testing.TB, rdb goredis.UniversalClient) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Redis does not answer PING after 10 s: %v", err)
		}
	}
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

func testCacheRoundTrip(t *testing.T, url string) {
	c, prefix := openTest(t, url)
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

func testCacheMissesAndSkips(t *testing.T, url string) {
	c, prefix := openTest(t, url)
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

// testCacheFlushOnlyQuantKeys writes keys that fall on every node of a
// cluster, in many hash slots.
func testCacheFlushOnlyQuantKeys(t *testing.T, url string) {
	c, prefix := openTest(t, url)
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
	t.Cleanup(func() {
		for _, k := range survivors { // one DEL each: on a cluster they are in different slots
			rdb.Del(context.Background(), k)
		}
	})

	f, err := c.Flush(ctx, quant.CacheSelection{})
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if f != (quant.Flushed{Redis: int64(len(quantKeys))}) {
		t.Errorf("Flush = %+v, want %d removed from Redis", f, len(quantKeys))
	}
	for _, k := range quantKeys[:3] {
		if got, err := c.Get(ctx, k); got != nil || err != nil {
			t.Errorf("after Flush Get(%q) = %v, %v, want nil, nil", k, got, err)
		}
	}
	if n := countKeys(t, rdb, prefix+"quant:*"); n != 0 {
		t.Errorf("after Flush %d quant keys remain", n)
	}
	for _, k := range survivors {
		if n, err := rdb.Exists(ctx, k).Result(); err != nil || n != 1 {
			t.Errorf("Flush removed %q, which is not a quant key of this cache", k)
		}
	}
}

// testCacheFlushSelected flushes one analysis, then one politician, from
// keys spread over every node of a cluster, and counts what went: the
// rest stays.
func testCacheFlushSelected(t *testing.T, url string) {
	c, prefix := openTest(t, url)
	ctx := context.Background()
	keys := map[string][]string{} // by what they are: fourier, hmm, people hmm, correlation
	for i := range 700 {          // several SCAN/UNLINK batches
		for kind, k := range map[string]string{
			"fourier":     fmt.Sprintf("quant:7:fourier/p%d", i),
			"hmm":         fmt.Sprintf("quant:7:hmm/p%d", i),
			"people hmm":  fmt.Sprintf("quant:7:people:hmm/p%d", i),
			"correlation": fmt.Sprintf("quant:7:correlation?ids=p%d,p%d", i, i+1),
		} {
			keys[kind] = append(keys[kind], k)
			if err := c.Set(ctx, k, entry(k, time.Hour, 2*time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
	}
	present := func(k string) bool {
		n, err := c.Client().Exists(ctx, prefix+k).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	f, err := c.Flush(ctx, quant.CacheSelection{Analysis: quant.AnalysisHMM})
	if want := (quant.Flushed{Redis: 1400}); err != nil || f != want {
		t.Errorf("Flush(hmm) = %+v, %v; want %+v (hmm and people hmm)", f, err, want)
	}
	if present(keys["hmm"][5]) || present(keys["people hmm"][5]) || !present(keys["fourier"][5]) || !present(keys["correlation"][5]) {
		t.Errorf("after Flush(hmm): want the hmm keys gone, fourier and correlation kept")
	}
	// p5 is fourier/p5's id and in correlation sets p4,p5 and p5,p6.
	f, err = c.Flush(ctx, quant.CacheSelection{ID: "p5"})
	if want := (quant.Flushed{Redis: 3}); err != nil || f != want {
		t.Errorf("Flush(id p5) = %+v, %v; want %+v", f, err, want)
	}
	for _, k := range []string{keys["fourier"][5], keys["correlation"][4], keys["correlation"][5]} {
		if present(k) {
			t.Errorf("after Flush(id p5): %s kept", k)
		}
	}
	if !present(keys["fourier"][50]) || !present(keys["correlation"][6]) {
		t.Errorf("Flush(id p5) removed answers that do not involve p5")
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
	for _, u := range []string{
		"redis+cluster://:s3cretpw@h1:7000/5",
		"redis+sentinel://:s3cretpw@s1:26379/0",
	} {
		_, err := redis.OpenBus(u)
		if err == nil {
			t.Errorf("OpenBus(%q) = nil error, want one", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cretpw") {
			t.Errorf("OpenBus error %q shows the password", err)
		}
	}
	if got := redis.Redact("rediss://u:s3cretpw@h:1/0"); strings.Contains(got, "s3cretpw") {
		t.Errorf("Redact = %q, shows the password", got)
	}
}

// TestCacheDownFailsFast points a Cache of each topology at a port
// nothing listens on.
func TestCacheDownFailsFast(t *testing.T) {
	t.Parallel()
	port := redistest.FreePort(t)
	for _, url := range []string{
		fmt.Sprintf("redis://127.0.0.1:%d/0", port),
		fmt.Sprintf("redis+cluster://127.0.0.1:%d", port),
		fmt.Sprintf("redis+sentinel://127.0.0.1:%d/0?master_name=m", port),
	} {
		t.Run(url, func(t *testing.T) {
			t.Parallel()
			c, err := redis.Open(url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			// The deadline is 100 ms (30 s for Flush, which go-redis
			// retries for about 0.5 s with sentinels); allow for a machine
			// that runs other suites meanwhile.
			const limit = 2 * time.Second
			for _, op := range []struct {
				name string
				call func() error
			}{
				{"Get", func() error { _, err := c.Get(ctx, "quant:1:x"); return err }},
				{"Set", func() error { return c.Set(ctx, "quant:1:x", entry("x", time.Hour, 2*time.Hour)) }},
				{"Flush", func() error { _, err := c.Flush(ctx, quant.CacheSelection{}); return err }},
				{"TryLease", func() error { _, _, err := c.TryLease(ctx, "x", time.Second); return err }},
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
		})
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

func testCacheHonoursCallerContext(t *testing.T, url string) {
	c, _ := openTest(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, "quant:1:x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get(cancelled ctx) = %v, want context.Canceled", err)
	}
	if err := c.Set(ctx, "quant:1:x", entry("quant:1:x", time.Hour, time.Hour)); !errors.Is(err, context.Canceled) {
		t.Errorf("Set(cancelled ctx) = %v, want context.Canceled", err)
	}
	// The caller left: that says nothing about Redis.
	if s := c.Stats(); !s.Healthy || s.Errors != 0 {
		t.Errorf("after calls of a caller that left: %+v; want healthy, no error", s)
	}
}

// countKeys counts the keys matching pattern, on every master of a
// cluster.
func countKeys(tb testing.TB, rdb goredis.UniversalClient, pattern string) int {
	tb.Helper()
	ctx := context.Background()
	cl, ok := rdb.(*goredis.ClusterClient)
	if !ok {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			tb.Fatal(err)
		}
		return len(keys)
	}
	var n atomic.Int64
	err := cl.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		keys, err := node.Keys(ctx, pattern).Result()
		n.Add(int64(len(keys)))
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return int(n.Load())
}

// TestSentinelFailover stops the master under a Cache and a Bus opened
// on the sentinel URL: once the sentinel has promoted the replica, they
// work on it.
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	s := redistest.StartSentinel(t)
	c, prefix := openTest(t, s.URL())
	ctx := context.Background()
	before := entry("before", time.Hour, 2*time.Hour)
	if err := c.Set(ctx, "quant:1:before", before); err != nil {
		t.Fatalf("Set before the failover: %v", err)
	}
	// Replication is asynchronous: a write the replica has not received
	// when the master dies is lost (for a cache, recomputed). Make sure
	// this one was.
	if n, err := c.Client().Do(ctx, "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatalf("WAIT 1 = %d, %v: the replica did not acknowledge the write", n, err)
	}
	busPrefix := redistest.Prefix(t)
	pub := openBus(t, s.URL(), busPrefix)
	publish(t, pub, quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Origin: "before"})
	events := subscribe(t, s.URL(), busPrefix)
	if e := next(t, events); e.Breaker != "hmm" { // replayed once subscribed
		t.Fatalf("subscriber got %+v, want hmm's override", e)
	}

	s.Master.Stop()
	s.WaitMaster(t, s.Replica)

	// The client learns the new address from the sentinel (its
	// +switch-master message, or asking again when a dial fails).
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	after := entry("after", time.Hour, 2*time.Hour)
	for deadline := time.Now().Add(10 * time.Second); ; <-tick.C {
		err := c.Set(ctx, "quant:1:after", after)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Set still fails 10 s after the failover: %v", err)
		}
	}
	newMaster := goredis.NewClient(&goredis.Options{Addr: s.Replica.Addr()})
	defer newMaster.Close()
	if n, err := newMaster.Exists(ctx, prefix+"quant:1:before", prefix+"quant:1:after").Result(); n != 2 {
		t.Errorf("the promoted replica holds %d of the 2 entries (%v), want both", n, err)
	}
	if got, err := c.Get(ctx, "quant:1:before"); err != nil || !cmp.Equal(got, before) {
		t.Errorf("Get after the failover = %v, %v, want the entry written before", got, err)
	}
	if _, ok, err := c.TryLease(ctx, "k", time.Second); !ok || err != nil {
		t.Errorf("TryLease after the failover = %v, %v, want the lease", ok, err)
	}

	// The subscriber lost its connection with the master; go-redis
	// subscribes again, on the new master. Wait for that, then publish.
	channel := busPrefix + "{quantctl}:events"
	for deadline := time.Now().Add(10 * time.Second); ; <-tick.C {
		m, err := newMaster.PubSubNumSub(ctx, channel).Result()
		if err == nil && m[channel] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the subscriber is not back on the new master 10 s after the failover (%v, %v)", m, err)
		}
	}
	publish(t, pub, quant.ControlEvent{Kind: "flush", Origin: "after"})
	if e := next(t, events); e.Origin != "after" {
		t.Errorf("subscriber got %+v, want the flush published after the failover", e)
	}
}
