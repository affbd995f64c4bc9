package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

var _ quant.ControlBus = (*Bus)(nil)

// The bus's Redis names. They stand outside the cache's "quant:" prefix,
// so a cache flush never removes the recorded overrides.
const (
	busChannel   = "quantctl:events"
	busOverrides = "quantctl:breakers" // hash: analysis -> the ControlEvent in force
)

// Bus is a quant.ControlBus on Redis: events go out with PUBLISH, breaker
// overrides are also kept in a hash that a subscriber replays first. It
// uses its own connections (pub/sub holds one open).
type Bus struct {
	rdb redis.UniversalClient
}

// OpenBus connects to the Redis of rawURL for the control bus.
func OpenBus(rawURL string) (*Bus, error) {
	o, err := redis.ParseURL(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("redis: bus: parse url %s: %s", Redact(rawURL), strings.ReplaceAll(err.Error(), rawURL, Redact(rawURL)))
	}
	o.DialTimeout = time.Second
	o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return &Bus{rdb: redis.NewClient(o)}, nil
}

// Close releases the bus's connections.
func (b *Bus) Close() error { return b.rdb.Close() }

// Publish implements quant.ControlBus. A breaker override is recorded
// (and an "auto" removes the record) before it is published.
func (b *Bus) Publish(ctx context.Context, e quant.ControlEvent) error {
	msg, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("redis: bus: %w", err)
	}
	pipe := b.rdb.TxPipeline()
	if e.Kind == "breaker" {
		if e.Action == "auto" {
			pipe.HDel(ctx, busOverrides, e.Breaker)
		} else {
			pipe.HSet(ctx, busOverrides, e.Breaker, msg)
		}
	}
	pipe.Publish(ctx, busChannel, msg)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("redis: bus: publish %s: %w: %w", e.Kind, quant.ErrUnavailable, err)
	}
	return nil
}

// Subscribe implements quant.ControlBus. It subscribes first and replays
// the recorded overrides after, so no event falls between the two; an
// override whose expiry has passed is not replayed.
func (b *Bus) Subscribe(ctx context.Context, apply func(quant.ControlEvent)) error {
	ps := b.rdb.Subscribe(ctx, busChannel)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // the subscription's confirmation
		return fmt.Errorf("redis: bus: subscribe: %w", err)
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
	recorded, err := b.rdb.HGetAll(ctx, busOverrides).Result()
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
