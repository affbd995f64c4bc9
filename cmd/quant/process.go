package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"

	goredis "github.com/redis/go-redis/v9"
)

// newInstanceID names this process among the instances sharing a store
// and a Redis: host name, pid and a random suffix, since host:pid repeats
// (a restarted container is PID 1 on the same host name again; containers
// on the host network share the host name). serveWith makes it once and
// passes it to all that name this process: the admin snapshot, the
// cluster registry and the control bus (monitor.Local.ID) and the job
// runner's owners (jobs.Config.Instance).
func newInstanceID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:6])
}

// setRedisLogger sends go-redis's own messages (failed dials, sentinel
// switches, pool errors), which it otherwise prints as plain lines on
// stderr, to log at warning level, so they stay in the process's
// structured log. go-redis has no logger per client, only this
// process-wide one (redis.SetLogger), which is why it is set here, once,
// by the command and not by internal/redis.
func setRedisLogger(log *slog.Logger) {
	goredis.SetLogger(redisLogger{log})
}

// redisLogger adapts a slog.Logger to go-redis's logging interface.
type redisLogger struct{ log *slog.Logger }

// Printf logs go-redis's message under "redis_message": a JSON log line
// has one "msg" key, the record's own ("redis client").
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "redis_message", fmt.Sprintf(format, v...))
}
