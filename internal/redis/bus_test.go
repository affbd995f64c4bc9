package redis_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
	"github.com/quantops/quant/internal/redis/redistest"
)

// openBus opens a Bus on the Redis of url under prefix.
func openBus(t *testing.T, url, prefix string) *redis.Bus {
	t.Helper()
	bus, err := redis.OpenBus(url, redis.WithPrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bus.Close() })
	return bus
}

// subscribe starts a subscriber on a new bus and returns its events.
func subscribe(t *testing.T, url, prefix string) <-chan quant.ControlEvent {
	t.Helper()
	bus := openBus(t, url, prefix)
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan quant.ControlEvent, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		bus.Subscribe(ctx, func(e quant.ControlEvent) { events <- e })
	}()
	t.Cleanup(func() { cancel(); <-done })
	return events
}

// next returns the next event; 5 s without one fails the test.
func next(t *testing.T, events <-chan quant.ControlEvent) quant.ControlEvent {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5 s")
	}
	return quant.ControlEvent{}
}

func publish(t *testing.T, bus *redis.Bus, e quant.ControlEvent) {
	t.Helper()
	if err := bus.Publish(context.Background(), e); err != nil {
		t.Fatalf("Publish(%+v): %v", e, err)
	}
}

// testBus needs no sleeps: a subscriber replays the recorded overrides
// only once it is subscribed, so the first replayed event says that it
// hears everything published from then on; and it delivers in order, so
// an event published as a marker says that nothing else was pending
// before it.
func testBus(t *testing.T, url string) {
	prefix := redistest.Prefix(t)
	pub := openBus(t, url, prefix)
	until := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	hmm := quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open", Reason: "drill", Until: until, Origin: "a"}
	publish(t, pub, hmm)
	publish(t, pub, quant.ControlEvent{Kind: "breaker", Breaker: "dtw", Action: "open", Reason: "gone", Until: time.Now().Add(-time.Minute), Origin: "a"})

	early := subscribe(t, url, prefix)
	if e := next(t, early); !cmp.Equal(e, hmm) {
		t.Errorf("first subscriber replayed %+v, want hmm's override %+v (and not dtw's, expired)", e, hmm)
	}
	publish(t, pub, quant.ControlEvent{Kind: "breaker", Breaker: "network", Action: "close", Reason: "known good", Origin: "a"})
	publish(t, pub, quant.ControlEvent{Kind: "flush", Origin: "a"})
	if e := next(t, early); e.Breaker != "network" || e.Action != "close" {
		t.Errorf("first subscriber got %+v, want network's override", e)
	}
	if e := next(t, early); e.Kind != "flush" {
		t.Errorf("first subscriber got %+v, want the flush", e)
	}

	// An instance that starts later applies the overrides in force, not
	// the expired one, and no flush.
	late := subscribe(t, url, prefix)
	replayed := []string{next(t, late).Breaker, next(t, late).Breaker}
	if slices.Sort(replayed); !slices.Equal(replayed, []string{"hmm", "network"}) {
		t.Errorf("late subscriber replayed %v, want hmm and network", replayed)
	}
	// auto reaches both, and replaces the record.
	publish(t, pub, quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "auto", Origin: "a"})
	for name, events := range map[string]<-chan quant.ControlEvent{"first": early, "late": late} {
		if e := next(t, events); e.Breaker != "hmm" || e.Action != "auto" {
			t.Errorf("%s subscriber got %+v, want hmm's auto", name, e)
		}
	}
	later := subscribe(t, url, prefix)
	got := []string{}
	for range 2 {
		e := next(t, later)
		got = append(got, e.Breaker+" "+e.Action)
	}
	if slices.Sort(got); !slices.Equal(got, []string{"hmm auto", "network close"}) {
		t.Errorf("after auto a new subscriber replayed %v, want network's override and hmm's auto", got)
	}
	if ov, err := pub.RecordedOverrides(context.Background()); err != nil || len(ov) != 1 || ov[0].Breaker != "network" {
		t.Errorf("RecordedOverrides = %+v, %v; want network's only (hmm is back to auto)", ov, err)
	}
	// A bus under another prefix is another bus.
	publish(t, openBus(t, url, redistest.Prefix(t)), quant.ControlEvent{Kind: "flush", Origin: "elsewhere"})
	publish(t, pub, quant.ControlEvent{Kind: "flush", Origin: "marker"})
	if e := next(t, later); e.Kind != "flush" || e.Origin != "marker" {
		t.Errorf("later subscriber got %+v, want the marker flush (nothing else replayed, nothing from another prefix)", e)
	}
}

func testInstances(t *testing.T, url string) {
	bus := openBus(t, url, redistest.Prefix(t))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	fresh := []quant.InstanceStatus{
		{ID: "a", Addr: "10.0.0.1:8080", StartedAt: now.Add(-time.Hour), SeenAt: now, Requests: 7},
		{ID: "b", Addr: "10.0.0.2:8080", StartedAt: now.Add(-time.Minute), SeenAt: now, Hits: 3},
	}
	gone := quant.InstanceStatus{ID: "c", SeenAt: now.Add(-2 * redis.InstanceTTL)}
	for _, s := range append([]quant.InstanceStatus{gone}, fresh...) {
		if err := bus.Announce(ctx, s); err != nil {
			t.Fatalf("Announce(%s): %v", s.ID, err)
		}
	}
	for range 2 { // the second read finds c removed
		got, err := bus.Instances(ctx)
		if err != nil {
			t.Fatalf("Instances: %v", err)
		}
		if diff := cmp.Diff(fresh, got, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("Instances mismatch (-want +got):\n%s", diff)
		}
	}

	// An instance that stops leaves at once.
	if err := bus.Leave(ctx, "a"); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if got, err := bus.Instances(ctx); err != nil || len(got) != 1 || got[0].ID != "b" {
		t.Errorf("Instances after a left = %+v, %v; want b only", got, err)
	}

	publish(t, bus, quant.ControlEvent{Kind: "breaker", Breaker: "network", Action: "open", Origin: "a"})
	publish(t, bus, quant.ControlEvent{Kind: "breaker", Breaker: "dtw", Action: "close", Origin: "b"})
	got, err := bus.RecordedOverrides(ctx)
	if err != nil {
		t.Fatalf("RecordedOverrides: %v", err)
	}
	if len(got) != 2 || got[0].Breaker != "dtw" || got[1].Breaker != "network" {
		t.Errorf("RecordedOverrides = %+v, want dtw's and network's, in that order", got)
	}
}

func testLease(t *testing.T, url string) {
	c, _ := openTest(t, url)
	ctx := context.Background()
	const ttl = time.Second
	release, ok, err := c.TryLease(ctx, "k", ttl)
	if err != nil || !ok {
		t.Fatalf("first TryLease = %v, %v", ok, err)
	}
	if _, ok, _ := c.TryLease(ctx, "k", time.Second); ok {
		t.Error("a second TryLease got a held lease")
	}
	// Renewal keeps the lease past its ttl while the holder works: look
	// at it every 50 ms for two ttls.
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for end := time.Now().Add(2 * ttl); time.Now().Before(end); <-tick.C {
		if held, err := c.Held(ctx, "k"); !held {
			t.Fatalf("the lease lapsed while its holder was alive (Held: %v)", err)
		}
	}
	release()
	if held, _ := c.Held(ctx, "k"); held {
		t.Error("the lease is still held after release")
	}
	if _, ok, _ := c.TryLease(ctx, "k", time.Second); !ok {
		t.Error("the lease could not be taken after release")
	}
}
