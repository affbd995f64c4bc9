package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestRedisLoggerOneMsg: a go-redis message logged as JSON keeps one "msg"
// key (the record's) and carries the library's text under its own name.
// It once read {"msg":"redis client","msg":"redis: connection pool: ..."},
// which JSON decoders read as the second msg alone.
func TestRedisLoggerOneMsg(t *testing.T) {
	var buf bytes.Buffer
	l := redisLogger{slog.New(slog.NewJSONHandler(&buf, nil))}
	l.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v", 5, "connection refused")
	line := buf.String()
	if n := strings.Count(line, `"msg":`); n != 1 {
		t.Errorf("log line has %d msg keys, want 1: %s", n, line)
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	want := "redis: connection pool: failed to dial after 5 attempts: connection refused"
	if rec["msg"] != "redis client" || rec["redis_message"] != want || rec["level"] != "WARN" {
		t.Errorf("log record = %v; want msg \"redis client\", level WARN, redis_message %q", rec, want)
	}
}

// TestInstanceIDsDiffer: two processes on one host, even with the same
// pid (a restarted container), get different ids.
func TestInstanceIDsDiffer(t *testing.T) {
	a, b := newInstanceID(), newInstanceID()
	if a == b || strings.Count(a, ":") < 2 {
		t.Errorf("newInstanceID() = %q, then %q; want host:pid:suffix, different each time", a, b)
	}
}
