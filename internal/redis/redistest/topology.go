package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// startTimeout bounds how long a topology may take to become usable; on
// this machine a cluster takes about a second, a sentinel less.
const startTimeout = 30 * time.Second

// Cluster is a private Redis Cluster: three masters without replicas on
// loopback ports, each a redis-server with its own directory.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts three cluster-enabled redis-servers, joins them
// with `redis-cli --cluster create` (the 16384 slots split in three) and
// waits until every node reports cluster_state:ok. It skips the test when
// redis-server or redis-cli is not installed; the nodes stop when the
// test ends. It needs Redis 7 (cluster-port).
func StartCluster(tb testing.TB) *Cluster {
	tb.Helper()
	need(tb, "redis-server", "redis-cli")
	if v := serverVersion(tb); v < 7 {
		tb.Skipf("redis-server %d.x cannot choose its cluster bus port (cluster-port came in Redis 7): install Redis 7 or later", v)
	}
	c := &Cluster{}
	for range 3 {
		port, dir := FreePort(tb), tb.TempDir()
		c.Nodes = append(c.Nodes, start(tb, port, dir, "Ready to accept connections", []string{
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", "",
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			// The bus port defaults to port+10000, which may be taken or
			// past 65535; a free one of its own instead.
			"--cluster-port", strconv.Itoa(FreePort(tb)),
			"--cluster-node-timeout", "5000",
		}))
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.Nodes {
		args = append(args, n.Addr())
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	for _, n := range c.Nodes {
		poll(tb, ctx, n.Addr(), "cluster_state:ok", func(ctx context.Context, rdb *redis.Client) (bool, error) {
			info, err := rdb.ClusterInfo(ctx).Result()
			return strings.Contains(info, "cluster_state:ok"), err
		})
	}
	return c
}

// serverVersion returns the major version of the installed redis-server.
func serverVersion(tb testing.TB) int {
	tb.Helper()
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		tb.Fatalf("redis-server --version: %v", err)
	}
	// "Redis server v=7.0.15 sha=..."
	_, v, ok := strings.Cut(string(out), " v=")
	major, _, _ := strings.Cut(v, ".")
	n, err := strconv.Atoi(major)
	if !ok || err != nil {
		tb.Fatalf("redis-server --version: no version in %q", out)
	}
	return n
}

// URL returns the cluster's redis+cluster:// URL, every node a seed.
func (c *Cluster) URL() string {
	u := "redis+cluster://" + c.Nodes[0].Addr()
	for i, n := range c.Nodes[1:] {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		u += sep + "addr=" + n.Addr()
	}
	return u
}

// SentinelMaster is the name under which StartSentinel's sentinel
// monitors its master.
const SentinelMaster = "quanttest"

// Sentinel is a private master with one replica, monitored by one Redis
// Sentinel (quorum 1), all on loopback ports.
type Sentinel struct {
	Master, Replica, Sentinel *Server
}

// StartSentinel starts a master, a replica of it and a sentinel that
// monitors the master as SentinelMaster, and waits until the replica is in
// sync and the sentinel knows it (so that it can promote it). It
// skips the test when redis-server is not installed; the processes stop
// when the test ends.
func StartSentinel(tb testing.TB) *Sentinel {
	tb.Helper()
	need(tb, "redis-server")
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s := &Sentinel{}
	// Diskless replication without its default 5 s delay: the replica
	// syncs at once.
	s.Master = Start(tb, "--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	s.Replica = Start(tb, "--replicaof", "127.0.0.1", strconv.Itoa(s.Master.Port),
		"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0")
	poll(tb, ctx, s.Replica.Addr(), "master_link_status:up", func(ctx context.Context, rdb *redis.Client) (bool, error) {
		info, err := rdb.Info(ctx, "replication").Result()
		return strings.Contains(info, "master_link_status:up"), err
	})

	port, dir := FreePort(tb), tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf") // the sentinel rewrites it: its own file
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %[3]s 1000\nsentinel failover-timeout %[3]s 10000\n",
		port, dir, SentinelMaster, s.Master.Port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	s.Sentinel = start(tb, port, dir, "+monitor master", []string{conf, "--sentinel", "--logfile", ""})
	poll(tb, ctx, s.Sentinel.Addr(), "the sentinel to know the replica", func(ctx context.Context, rdb *redis.Client) (bool, error) {
		replicas, err := rdb.Do(ctx, "SENTINEL", "REPLICAS", SentinelMaster).Slice()
		return len(replicas) > 0, err
	})
	return s
}

// URL returns the redis+sentinel:// URL of the master, through the
// sentinel.
func (s *Sentinel) URL() string {
	return fmt.Sprintf("redis+sentinel://%s/0?master_name=%s", s.Sentinel.Addr(), SentinelMaster)
}

// WaitMaster waits until the sentinel names srv as the master: after the
// master stops, the sentinel sees it down within a second and promotes the
// replica.
func (s *Sentinel) WaitMaster(tb testing.TB, srv *Server) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	want := strconv.Itoa(srv.Port)
	poll(tb, ctx, s.Sentinel.Addr(), "the sentinel to name "+srv.Addr()+" master", func(ctx context.Context, rdb *redis.Client) (bool, error) {
		addr, err := rdb.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMaster).StringSlice()
		return len(addr) == 2 && addr[1] == want, err
	})
}

// poll calls check on a client of addr every 20 ms until it reports true,
// and fails the test when ctx ends first, with what it waited for and the
// last error.
func poll(tb testing.TB, ctx context.Context, addr, what string, check func(context.Context, *redis.Client) (bool, error)) {
	tb.Helper()
	rdb := redis.NewClient(&redis.Options{
		Addr: addr, DialTimeout: time.Second, MaxRetries: -1,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	defer rdb.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := check(ctx, rdb)
		if ok {
			return
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("%s: waited %v for %s (last error: %v)", addr, startTimeout, what, err)
		case <-tick.C:
		}
	}
}
