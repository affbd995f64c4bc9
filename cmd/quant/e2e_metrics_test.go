package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/quantops/quant/internal/quant"
)

// TestE2EMetricsAndLogs drives the real binary: its /metrics has the
// compute time per analysis, the cache lookups by analysis and result, the
// requests by route, method and exact code and the dataset version in
// full; and every line of its JSON log, at debug level (the access log
// included), has each key once and its durations in milliseconds.
func TestE2EMetricsAndLogs(t *testing.T) {
	needFile(t, realCSV)
	adminAddr := freeAddr(t)
	api, _, logs := launchServer(t, nil, "--data", realCSV, "--admin-addr", adminAddr, "--log-format", "json", "--log-level", "debug")
	admin := "http://" + adminAddr
	ctx := context.Background()
	c := newClient(api)
	req := quant.Request{Analysis: quant.AnalysisEnsemble, ID: "david-a-perdue", Horizon: 4}
	for i, want := range []quant.CacheStatus{quant.CacheMiss, quant.CacheHit} {
		if a, err := c.Analysis(ctx, req); err != nil || a.Cache != want {
			t.Fatalf("request %d: %+v, %v; want 200 %s", i, a, err, want)
		}
	}
	if resp, _ := request(t, "GET", api+"/api/v1/analytics/ensemble/nobody-at-all", ""); resp.StatusCode != 404 {
		t.Fatalf("unknown politician = %d, want 404", resp.StatusCode)
	}
	snap, err := adminClient(admin, "").Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := request(t, "GET", admin+"/metrics", "")
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics = %d", resp.StatusCode)
	}
	for _, want := range []string{
		`quant_compute_seconds_count{analysis="ensemble",outcome="ok"} 1`,
		`quant_compute_seconds_bucket{analysis="ensemble",outcome="ok",le="60"} 1`,
		`quant_cache_lookups_total{analysis="ensemble",result="hit"} 1`,
		`quant_cache_lookups_total{analysis="ensemble",result="miss"} 2`, // the 404 is a miss that failed
		`quant_compute_seconds_count{analysis="ensemble",outcome="error"} 1`,
		`quant_cache_lookups_total{analysis="hmm",result="hit"} 0`,
		`quant_http_requests_total{code="200",method="GET",route="/api/v1/analytics/ensemble/{id}"} 2`,
		`quant_http_requests_total{code="404",method="GET",route="/api/v1/analytics/ensemble/{id}"} 1`,
		`quant_dataset_info{version="` + strconv.FormatInt(snap.DatasetVersion, 10) + `"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q; it has:\n%s", want, grepMetrics(body, want[:strings.IndexByte(want, '{')]))
		}
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	requests := 0
	for _, l := range lines {
		if err := uniqueKeys(l); err != nil {
			t.Errorf("log line %s: %v", l, err)
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("log line %s: %v", l, err)
			continue
		}
		if _, ok := rec["duration"]; ok {
			t.Errorf("log line has a duration without its unit: %s", l)
		}
		if rec["msg"] == "request" {
			requests++
			if ms, ok := rec["duration_ms"].(float64); !ok || ms <= 0 || ms > 60_000 {
				t.Errorf("request log line's duration_ms = %v, want milliseconds: %s", rec["duration_ms"], l)
			}
		}
	}
	if requests < 3 {
		t.Errorf("%d request lines in the debug log, want the 3 API requests at least:\n%s", requests, logs.String())
	}
}

// grepMetrics returns body's lines that start with name.
func grepMetrics(body, name string) string {
	var out strings.Builder
	for l := range strings.Lines(body) {
		if strings.HasPrefix(l, name) {
			out.WriteString(l)
		}
	}
	return out.String()
}
