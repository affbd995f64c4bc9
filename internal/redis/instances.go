package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.ClusterRegistry = (*Bus)(nil)

// busInstances is a hash: instance id -> its latest quant.InstanceStatus.
// Every command on it touches only it; its hash tag keeps it with the
// bus's other keys all the same.
const busInstances = "{quantctl}:instances"

// InstanceTTL is how long an announced status counts: an instance that
// has not announced itself for this long is gone (its entry is removed by
// the next reader).
const InstanceTTL = 15 * time.Second

// Announce implements quant.ClusterRegistry.
func (b *Bus) Announce(ctx context.Context, s quant.InstanceStatus) error {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("redis: announce: %w", err)
	}
	if err := b.rdb.HSet(ctx, b.instances, s.ID, v).Err(); err != nil {
		return fmt.Errorf("redis: announce: %w: %w", quant.ErrUnavailable, err)
	}
	return nil
}

// Leave implements quant.ClusterRegistry.
func (b *Bus) Leave(ctx context.Context, id string) error {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	if err := b.rdb.HDel(ctx, b.instances, id).Err(); err != nil {
		return fmt.Errorf("redis: leave: %w: %w", quant.ErrUnavailable, err)
	}
	return nil
}

// Instances implements quant.ClusterRegistry. Entries older than
// InstanceTTL are left out and removed.
func (b *Bus) Instances(ctx context.Context) ([]quant.InstanceStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, busTimeout)
	defer cancel()
	all, err := b.rdb.HGetAll(ctx, b.instances).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: instances: %w: %w", quant.ErrUnavailable, err)
	}
	var out []quant.InstanceStatus
	var gone []string
	now := time.Now()
	for id, v := range all {
		var s quant.InstanceStatus
		if json.Unmarshal([]byte(v), &s) != nil || now.Sub(s.SeenAt) > InstanceTTL {
			gone = append(gone, id)
			continue
		}
		out = append(out, s)
	}
	if len(gone) > 0 {
		b.rdb.HDel(ctx, b.instances, gone...) // best effort: the next reader retries
	}
	slices.SortFunc(out, func(a, b quant.InstanceStatus) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// RecordedOverrides implements quant.ClusterRegistry.
func (b *Bus) RecordedOverrides(ctx context.Context) ([]quant.ControlEvent, error) {
	var out []quant.ControlEvent
	err := b.replay(ctx, func(e quant.ControlEvent) {
		if e.Action != "auto" { // the record of a return to automatic: no override
			out = append(out, e)
		}
	}, false)
	slices.SortFunc(out, func(a, b quant.ControlEvent) int { return strings.Compare(a.Breaker, b.Breaker) })
	return out, err
}
