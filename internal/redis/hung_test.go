package redis_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/redis"
)

// hungRedis is a Redis stopped with SIGSTOP: it accepts connections and
// answers nothing, until the test ends. It returns the redis:// URL.
func hungRedis(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "redis://" + ln.Addr().String() + "/0"
}

// TestBusHungRedis: every call of the Bus to a Redis that does not answer
// fails with ErrUnavailable while it still hangs, the subscription
// included (its confirmation was a read without a deadline).
func TestBusHungRedis(t *testing.T) {
	bus, err := redis.OpenBus(hungRedis(t))
	if err != nil {
		t.Fatalf("OpenBus: %v", err)
	}
	t.Cleanup(func() { bus.Close() })
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"publish", func(ctx context.Context) error {
			return bus.Publish(ctx, quant.ControlEvent{Kind: "breaker", Breaker: "hmm", Action: "open"})
		}},
		{"announce", func(ctx context.Context) error {
			return bus.Announce(ctx, quant.InstanceStatus{ID: "a", SeenAt: time.Now()})
		}},
		{"instances", func(ctx context.Context) error { _, err := bus.Instances(ctx); return err }},
		{"subscribe", func(ctx context.Context) error { return bus.Subscribe(ctx, func(quant.ControlEvent) {}) }},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			if err := c.call(context.Background()); !errors.Is(err, quant.ErrUnavailable) {
				t.Errorf("%s on a hung Redis = %v, want ErrUnavailable", c.name, err)
			}
		})
	}
}
