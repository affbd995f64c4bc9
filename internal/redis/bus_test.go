package redis_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/redis/redistest"
	goredis "github.com/redis/go-redis/v9"
)

// subscribe starts a subscriber on a new bus and returns its events.
func subscribe(t *testing.T, url string) <-chan quant.ControlEvent {
	t.Helper()
	bus, err := redis.OpenBus(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan quant.ControlEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		bus.Subscribe(ctx, func(e quant.ControlEvent) { events <- e })
	}()
	t.Cleanup(func() { cancel(); <-done; bus.Close() })
	return events
}

// waitSubscribers waits until n clients listen on the bus's channel.
func waitSubscribers(t *testing.T, url string, n int64) {
	t.Helper()
	o, _ := goredis.ParseURL(url)
	c := goredis.NewClient(o)
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := c.PubSubNumSub(context.Background(), "quantctl:events").Result()
		if err == nil && m["quantctl:events"] >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d subscribers after 5 s (%v, %v)", n, m, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func next(t *testing.T, events <-chan quant.ControlEvent) quant.ControlEvent {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(time.Second):
		t.Fatal("no event within 1 s")
	}
	return quant.ControlEvent{}
}

// TestBus uses a private redis-server: the recorded overrides are global
// to a Redis.
func TestBus(t *testing.T) {
	rs := redistest.Start(t)
	pub, err := redis.OpenBus(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	ctx := context.Background()
	early := subscribe(t, rs.URL())
	waitSubscribers(t, rs.URL(), 1)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	pub.Publish(ctx, quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Reason: "drill", Until: until, Origin: "a"})
	pub.Publish(ctx, quant.ControlEvent{Kind: "breaker", Breaker: "dtw", Action: "open", Reason: "gone", Until: time.Now().Add(-time.Minute), Origin: "a"})
	pub.Publish(ctx, quant.ControlEvent{Kind: "flush", Origin: "a"})
	// The early subscriber may also replay hmm's record (its replay can
	// run after the first publish: replays are idempotent by design), so
	// read until the flush and check the order of what came.
	var got []string
	for len(got) < 10 {
		e := next(t, early)
		if e.Kind == "flush" {
			got = append(got, "flush")
			break
		}
		if e.Breaker == "hmm" && (e.Action != "open" || !e.Until.Equal(until) || e.Origin != "a") {
			t.Errorf("hmm event = %+v", e)
		}
		got = append(got, e.Breaker)
	}
	if s := strings.Join(slices.Compact(got), " "); s != "hmm dtw flush" {
		t.Errorf("early subscriber saw %v, want hmm (once or twice), dtw, flush", got)
	}
	// An instance that starts later applies the override still in force,
	// not the expired one, and no flush.
	late := subscribe(t, rs.URL())
	if e := next(t, late); e.Breaker != "hmm" || e.Reason != "drill" {
		t.Errorf("late subscriber replayed %+v, want hmm's override", e)
	}
	select {
	case e := <-late:
		t.Errorf("late subscriber also got %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
	// auto removes the record.
	pub.Publish(ctx, quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "auto", Origin: "a"})
	if e := next(t, late); e.Action != "auto" {
		t.Errorf("auto event = %+v", e)
	}
	later := subscribe(t, rs.URL())
	select {
	case e := <-later:
		t.Errorf("after auto a new subscriber replayed %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestLease(t *testing.T) {
	rs := redistest.Start(t)
	c, err := redis.Open(rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	release, ok, err := c.TryLease(ctx, "k", 300*time.Millisecond)
	if err != nil || !ok {
		t.Fatalf("first TryLease = %v, %v", ok, err)
	}
	if _, ok, _ := c.TryLease(ctx, "k", time.Second); ok {
		t.Error("a second TryLease got a held lease")
	}
	// Renewal keeps the lease past its ttl while the holder works.
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		if held, _ := c.Held(ctx, "k"); !held {
			t.Fatal("the lease lapsed while its holder was alive")
		}
		time.Sleep(50 * time.Millisecond)
	}
	release()
	if held, _ := c.Held(ctx, "k"); held {
		t.Error("the lease is still held after release")
	}
	if _, ok, _ := c.TryLease(ctx, "k", time.Second); !ok {
		t.Error("the lease could not be taken after release")
	}
}
