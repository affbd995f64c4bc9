package redis

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// SetLogger sends go-redis's own messages (failed dials, sentinel
// switches), which it otherwise prints as plain lines on stderr, to log at
// warning level, so they stay in the process's structured log. It sets a
// process-wide hook of go-redis: call it once, at start.
func SetLogger(log *slog.Logger) {
	redis.SetLogger(goRedisLogger{log})
}

type goRedisLogger struct{ log *slog.Logger }

func (l goRedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis client", "msg", fmt.Sprintf(format, v...))
}
