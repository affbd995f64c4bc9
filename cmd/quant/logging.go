package main

import (
	"context"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"time"
)

// The log's conventions, whatever the format (text or JSON), kept by
// logHandler in front of the format's handler:
//
//   - Every key appears once in a line (in each group, once in it): slog
//     writes attributes as given, so a record's "msg" attribute or a key
//     given twice (by With and by the call) made JSON with a key twice,
//     which JSON decoders read as the last one alone and some log
//     pipelines reject. A key already taken at its level is written with
//     a suffix: the second "status" is "status_2", a "msg" attribute is
//     "msg_2" (the record's message keeps "msg"; likewise "time", "level"
//     and "source").
//   - A duration is a number of milliseconds, its key ending in "_ms":
//     "duration" = 1.5 ms is written "duration_ms":1.5 (JSON's handler
//     wrote time.Duration as integer nanoseconds, the text handler as
//     "1.5ms": two units, neither stated by the key). Milliseconds are the
//     unit of the admin snapshot and of the API's meta.compute_ms.
//     A key that already ends in "_ms" keeps its name.
//
// Durations inside a value logged as a whole (a struct, a slice) are the
// value's own JSON: log durations as attributes of their own.

// logHandler keeps the log's conventions (above) in front of h.
type logHandler struct {
	h slog.Handler
	// taken are the keys already given at the current level, the top
	// level or the last group opened; shared by the handlers made from
	// this one, so never written once made.
	taken map[string]bool
}

// builtinKeys are the keys the handlers write themselves at the top level.
var builtinKeys = map[string]bool{slog.TimeKey: true, slog.LevelKey: true, slog.MessageKey: true, slog.SourceKey: true}

// newLogHandler returns h behind the log's conventions.
func newLogHandler(h slog.Handler) *logHandler {
	return &logHandler{h: h, taken: builtinKeys}
}

// Enabled implements slog.Handler.
func (l *logHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.h.Enabled(ctx, level)
}

// Handle implements slog.Handler: r's attributes, renamed where their
// key is taken and converted where they are durations.
func (l *logHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.NumAttrs() == 0 {
		return l.h.Handle(ctx, r)
	}
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	taken := maps.Clone(l.taken)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = appendAttr(attrs, taken, a)
		return true
	})
	out.AddAttrs(attrs...)
	return l.h.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (l *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	taken := maps.Clone(l.taken)
	var attrs []slog.Attr
	for _, a := range as {
		attrs = appendAttr(attrs, taken, a)
	}
	return &logHandler{h: l.h.WithAttrs(attrs), taken: taken}
}

// WithGroup implements slog.Handler: the group's name is a key of the
// current level, and its attributes a new level.
func (l *logHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return l
	}
	taken := maps.Clone(l.taken)
	return &logHandler{h: l.h.WithGroup(unique(taken, name)), taken: map[string]bool{}}
}

// appendAttr appends a to attrs as the conventions write it at a level
// whose keys are taken (which it adds to): a duration in milliseconds, a
// taken key with a suffix, a group's attributes at a level of their own
// (an inline group's, a group with no key, at this one).
func appendAttr(attrs []slog.Attr, taken map[string]bool, a slog.Attr) []slog.Attr {
	a.Value = a.Value.Resolve()
	switch a.Value.Kind() {
	case slog.KindGroup:
		group := a.Value.Group()
		if len(group) == 0 {
			return attrs // handlers write nothing for an empty group
		}
		if a.Key == "" {
			for _, g := range group {
				attrs = appendAttr(attrs, taken, g)
			}
			return attrs
		}
		inner := map[string]bool{}
		var members []slog.Attr
		for _, g := range group {
			members = appendAttr(members, inner, g)
		}
		return append(attrs, slog.Attr{Key: unique(taken, a.Key), Value: slog.GroupValue(members...)})
	case slog.KindDuration:
		a = msAttr(a.Key, a.Value.Duration())
	}
	if a.Key == "" {
		return attrs // handlers drop an attribute without a key
	}
	a.Key = unique(taken, a.Key)
	return append(attrs, a)
}

// msAttr is duration d under key as a number of milliseconds, its key
// ending in "_ms".
func msAttr(key string, d time.Duration) slog.Attr {
	if key != "" && !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, float64(d)/float64(time.Millisecond))
}

// unique returns key, or key with the first suffix _2, _3, ... that is
// not taken, and marks it taken.
func unique(taken map[string]bool, key string) string {
	k := key
	for n := 2; taken[k]; n++ {
		k = key + "_" + strconv.Itoa(n)
	}
	taken[k] = true
	return k
}
