package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/quantops/quant/internal/guard"
)

// TestLogTransition: each breaker transition is one structured log record
// with the counts that caused it, and the operator's action when there is
// one; an opening is a warning.
func TestLogTransition(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logTransition(log, guard.Transition{Breaker: "hmm", From: guard.StateClosed, To: guard.StateOpen, At: at,
		Reason: "5 consecutive failures", Counts: guard.Counts{Calls: 8, Failures: 6, Slow: 1, ConsecutiveFailures: 5}})
	logTransition(log, guard.Transition{Breaker: "network", From: guard.StateClosed, To: guard.StateOpen, At: at,
		Reason: "operator: forced_open: drill", Override: &guard.Override{Mode: guard.ModeForcedOpen, Reason: "drill", Since: at, Until: at.Add(time.Hour)}})
	logTransition(log, guard.Transition{Breaker: "hmm", From: guard.StateHalfOpen, To: guard.StateClosed, At: at, Counts: guard.Counts{Calls: 1}})

	var recs []map[string]any
	for dec := json.NewDecoder(&buf); dec.More(); {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3: %v", len(recs), recs)
	}
	want := map[string]any{"level": "WARN", "msg": "breaker transition", "breaker": "hmm", "from": "closed", "to": "open",
		"reason": "5 consecutive failures", "calls": 8.0, "failures": 6.0, "successes": 2.0, "slow": 1.0,
		"consecutive_failures": 5.0, "failure_rate": 0.75, "at": "2026-01-01T00:00:00Z"}
	for k, v := range want {
		if recs[0][k] != v {
			t.Errorf("opening record %s = %v, want %v (record %v)", k, recs[0][k], v, recs[0])
		}
	}
	if _, ok := recs[0]["operator_reason"]; ok {
		t.Errorf("an automatic transition names an operator: %v", recs[0])
	}
	if r := recs[1]; r["operator_mode"] != "forced_open" || r["operator_reason"] != "drill" || r["operator_until"] != "2026-01-01T01:00:00Z" {
		t.Errorf("forced record = %v, want the operator's mode, reason and expiry", r)
	}
	if r := recs[2]; r["level"] != "INFO" || r["to"] != "closed" || r["successes"] != 1.0 {
		t.Errorf("closing record = %v, want INFO with the probe's success", r)
	}
}
