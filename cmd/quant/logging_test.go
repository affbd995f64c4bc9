package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// uniqueKeys reports the first key that appears twice in one object of the
// JSON value in line, at any depth, or a syntax error. (encoding/json
// keeps the last of two keys silently, so it cannot tell.)
func uniqueKeys(line string) error {
	dec := json.NewDecoder(strings.NewReader(line))
	if err := uniqueKeysValue(dec, "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}

func uniqueKeysValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			key := k.(string)
			if seen[key] {
				return fmt.Errorf("key %q twice in %s", key, path)
			}
			seen[key] = true
			if err := uniqueKeysValue(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := uniqueKeysValue(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}

func TestUniqueKeysChecker(t *testing.T) {
	for _, tt := range []struct {
		line string
		ok   bool
	}{
		{`{"msg":"a","b":{"msg":"c"},"d":[{"x":1},{"x":2}]}`, true},
		{`{"msg":"redis client","msg":"redis: connection pool: ..."}`, false},
		{`{"a":{"b":1,"b":2}}`, false},
		{`{"a":[{"b":1,"b":2}]}`, false},
	} {
		if err := uniqueKeys(tt.line); (err == nil) != tt.ok {
			t.Errorf("uniqueKeys(%s) = %v, want ok %v", tt.line, err, tt.ok)
		}
	}
}

// logWith returns the process logger newLogger makes for --log-format
// format (at debug level) writing into buf.
func logWith(t *testing.T, format string, buf *bytes.Buffer) *slog.Logger {
	t.Helper()
	root := newRootCmd()
	if err := root.ParseFlags([]string{"--log-format", format, "--log-level", "debug"}); err != nil {
		t.Fatal(err)
	}
	log, err := newLogger(root, buf)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// TestLogKeysOnce: a JSON log line has each key once, at every level,
// whatever the calls give: a "msg" attribute, a key given by With and by
// the call, a key twice in a call or in a group, an inline group's keys.
// Durations are milliseconds under a key ending in _ms. Before, the lines
// had such keys twice, and durations were integers of nanoseconds.
func TestLogKeysOnce(t *testing.T) {
	var buf bytes.Buffer
	log := logWith(t, "json", &buf).With("request_id", "a", "status", 0)
	log.Info("request", "request_id", "b", "msg", "inner", "status", 1, "status", 2,
		"duration", 1500*time.Microsecond, "wait_ms", 2*time.Second,
		slog.Group("g", "k", 1, "k", 2, "wait", time.Second, slog.Group("h", "k", 3)),
		slog.Group("", "status", 3), "level", "x", "time", "y")
	log.WithGroup("grp").With("a", 1).Warn("grouped", "a", 2, "took", time.Duration(0))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), buf.String())
	}
	for _, l := range lines {
		if err := uniqueKeys(l); err != nil {
			t.Errorf("log line %s: %v", l, err)
		}
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	delete(first, "time")
	want := map[string]any{
		"level": "INFO", "msg": "request",
		"request_id": "a", "status": 0.0, "request_id_2": "b", "msg_2": "inner", "status_2": 1.0, "status_3": 2.0,
		"duration_ms": 1.5, "wait_ms": 2000.0,
		"g":        map[string]any{"k": 1.0, "k_2": 2.0, "wait_ms": 1000.0, "h": map[string]any{"k": 3.0}},
		"status_4": 3.0, "level_2": "x", "time_2": "y",
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first line (-want +got):\n%s\n%s", diff, lines[0])
	}
	var second map[string]any
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"a": 1.0, "a_2": 2.0, "took_ms": 0.0}, second["grp"]); diff != "" || second["request_id"] != "a" {
		t.Errorf("second line's group (-want +got):\n%s\n%s", diff, lines[1])
	}
}

// TestLogTextDurations: the text format writes durations as the JSON one
// does, in milliseconds under a key ending in _ms.
func TestLogTextDurations(t *testing.T) {
	var buf bytes.Buffer
	logWith(t, "text", &buf).Info("request", "duration", 1500*time.Microsecond, "status", 1, "status", 2)
	line := buf.String()
	if !strings.Contains(line, " duration_ms=1.5 ") || !strings.Contains(line, " status=1 status_2=2") {
		t.Errorf("text line = %q, want duration_ms=1.5 and status=1 status_2=2", line)
	}
}

// TestLogHandlerConformance runs the standard library's handler tests
// (testing/slogtest) on logHandler over the JSON handler: groups, inline
// groups, empty groups, WithAttrs and WithGroup behave as slog requires.
func TestLogHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	results := func(t *testing.T) map[string]any {
		line := buf.Bytes()
		buf.Reset()
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return m
	}
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		return newLogHandler(slog.NewJSONHandler(&buf, nil))
	}, results)
}
