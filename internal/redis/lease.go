package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/redis/go-redis/v9"
)

var _ quant.Leaser = (*Cache)(nil)

// leasePrefix keeps leases apart from cached answers. Every lease command
// (SET NX PX, EXISTS, the scripts) touches one key, so leases work on a
// Redis Cluster as they are: each lives on the node of its key's slot.
const leasePrefix = "quantlease:"

// Scripts that touch a lease only while it is still ours.
var (
	releaseScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)
	extendScript  = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)
)

// TryLease implements quant.Leaser with SET NX PX and a random token; the
// lease is extended every ttl/3 until release, so a long computation keeps
// it, and a holder that dies loses it after ttl.
func (c *Cache) TryLease(ctx context.Context, key string, ttl time.Duration) (func(), bool, error) {
	var b [12]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	k := c.prefix + leasePrefix + key
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	ok, err := c.rdb.SetNX(cctx, k, token, ttl).Result()
	cancel()
	if err != nil {
		return nil, false, fmt.Errorf("redis: lease %s: %w", key, err)
	}
	if !ok {
		return nil, false, nil
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ectx, cancel := context.WithTimeout(context.Background(), c.timeout)
				extendScript.Run(ectx, c.rdb, []string{k}, token, ttl.Milliseconds())
				cancel()
			}
		}
	}()
	release := func() {
		close(stop)
		rctx, cancel := context.WithTimeout(context.Background(), c.timeout)
		defer cancel()
		releaseScript.Run(rctx, c.rdb, []string{k}, token)
	}
	return release, true, nil
}

// Held implements quant.Leaser.
func (c *Cache) Held(ctx context.Context, key string) (bool, error) {
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	n, err := c.rdb.Exists(cctx, c.prefix+leasePrefix+key).Result()
	if err != nil {
		return false, fmt.Errorf("redis: lease %s: %w", key, err)
	}
	return n > 0, nil
}
