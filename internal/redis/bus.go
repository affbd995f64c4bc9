package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/redis/go-redis/v9"
)

var _ quant.ControlBus = (*Bus)(nil)

// The bus's Redis names, after the Bus's prefix. They stand outside the
// cache's "quant:" keys, so a cache flush never removes the recorded
// overrides. They share the hash tag {quantctl}, so on a Redis Cluster
// they live in one hash slot, on one node: a MULTI may touch any of them
// (a cluster runs one only within a slot; Publish's touches the overrides
// and publishes), and go-redis subscribes on the node of the channel's
// slot, the node Publish talks to, so an event needs no hop between
// nodes. (A PUBLISH on any node reaches the subscribers of every node.)
const (
	busChannel   = "{quantctl}:events"
	busOverrides = "{quantctl}:breakers" // hash: analysis -> the ControlEvent in force
)

// busTimeout bounds each call of a Bus, the dial of a connection and the
// wait for one, and the confirmation of a subscription: a hung Redis
// (stopped, partitioned) fails an admin action or a registry read in
// about a second, as a Redis that is down does at once.
const busTimeout = time.Second

// Bus is a quant.ControlBus on Redis: events go out with PUBLISH, breaker
// overrides are also kept in a hash that a subscriber replays first. It
// uses its own connections (pub/sub holds one open). Every call is bounded
// by busTimeout.
type Bus struct {
	rdb       redis.UniversalClient
	channel   string // prefix + busChannel
	overrides string // prefix + busOverrides
	instances string // prefix + busInstances
}

// OpenBus connects to the Redis of rawURL, any form Open accepts, for the
// control bus. Of the options it uses only WithPrefix, which puts the
// bus's keys and channel under a prefix, so that several groups of
// instances (or tests) can share a Redis without meeting.
func OpenBus(rawURL string, opts ...Option) (*Bus, error) {
	t, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	cfg := newConfig(opts)
	return &Bus{
		rdb: t.client(tuning{
			dial: busTimeout, read: busTimeout, write: busTimeout, pool: busTimeout,
			dialerRetries: 1, contextTimeout: true,
		}),
		channel:   cfg.prefix + busChannel,
		overrides: cfg.prefix + busOverrides,
		instances: cfg.prefix + busInstances,
	}, nil
}

// Close releases the bus's connections.
func (b *Bus) Close() error { return b.rdb.Close() }

// Publish implements quant.ControlBus. A breaker action is recorded
// before it is published, an "auto" too: an instance that missed the
// message (its subscription was reconnecting) finds it at the next replay,
// where a removed record would leave that instance forced for good.
func (b *Bus) Publish(ctx context.Context, e quant.ControlEvent) error {
	msg, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: bus: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	pipe := b.rdb.TxPipeline()
	if e.Kind == "breaker" {
		pipe.HSet(ctx, b.overrides, e.Breaker, msg)
	}
	pipe.Publish(ctx, b.channel, msg)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: bus: publish %s: %w: %w", e.Kind, quant.ErrUnavailable, err)
	}
	return nil
}

// Subscribe implements quant.ControlBus. It subscribes first and replays
// the recorded overrides after, so no event falls between the two; an
// override whose expiry has passed is not replayed.
func (b *Bus) Subscribe(ctx context.Context, apply func(quant.ControlEvent)) error {
	ps := b.rdb.Subscribe(ctx, b.channel)
	defer ps.Close()
	// The subscription's confirmation: a read without a deadline of its
	// own, which a hung Redis would hold for ever.
	rctx, cancel := context.WithTimeout(ctx, busTimeout)
	_, err := ps.Receive(rctx)
	cancel()
	if err != nil {
		return fmt.Errorf("redis: bus: subscribe: %w: %w", quant.ErrUnavailable, err)
	}
	if err := b.replay(ctx, apply, false); err != nil {
		return err
	}
	// Events published while the connection was down are lost to this
	// instance; replaying the recorded overrides now and then makes every
	// instance converge anyway (Apply skips what is already in force).
	replay := time.NewTicker(10 * time.Second)
	defer replay.Stop()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-replay.C:
			b.replay(ctx, apply, true) // an error: the next tick tries again
		case m, ok := <-ch:
			if !ok {
				return nil
			}
			var e quant.ControlEvent
			if json.Unmarshal([]byte(m.Payload), &e) == nil {
				apply(e)
			}
		}
	}
}

// replay applies the recorded overrides still in force. anyOrigin clears
// their origin, so they apply on the instance that made them too (a replay
// is idempotent there).
func (b *Bus) replay(ctx context.Context, apply func(quant.ControlEvent), anyOrigin bool) error {
	cctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	recorded, err := b.rdb.HGetAll(cctx, b.overrides).Result()
	if err != nil {
		return fmt.Errorf("redis: bus: read overrides: %w", err)
	}
	now := time.Now()
	for _, v := range recorded {
		var e quant.ControlEvent
		if json.Unmarshal([]byte(v), &e) != nil || !e.Until.IsZero() && !e.Until.After(now) {
			continue
		}
		if anyOrigin {
			e.Origin = ""
		}
		apply(e)
	}
	return nil
}

// Overrides applies the recorded overrides still in force: an instance
// calls it before it starts serving, so it never answers against an
// override the others keep.
func (b *Bus) Overrides(ctx context.Context, apply func(quant.ControlEvent)) error {
	return b.replay(ctx, apply, false)
}
