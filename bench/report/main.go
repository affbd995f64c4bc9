// Command report turns the JSON reports of `quant burst --json` written by
// bench/burst.sh (DIR/CONFIG__SCENARIO.json) into the old system's table:
// success rate, average response, throughput and cache hit rate, one column
// per configuration.
//
//	go run ./bench/report DIR config1 config2 ...
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

var scenarios = []struct{ id, name string }{
	{"a", "(a) cold: 10 concurrent ensemble requests, 10 politicians"},
	{"b", "(b) hot: the same again"},
	{"c", "(c) hot: 100 requests at concurrency 10"},
	{"d-cold", "(d) cold: 1,000 requests at concurrency 100, all analyses"},
	{"d-hot", "(d) hot: the same again"},
	{"e-cold", "(e) cold: 10,000 requests at concurrency 1,000, all analyses"},
	{"e-hot", "(e) hot: the same again"},
}

type report struct {
	Requests     int            `json:"requests"`
	Answered     int            `json:"answered"`
	SuccessRate  float64        `json:"success_rate"`
	AnsweredRate float64        `json:"answered_rate"`
	Errors       map[string]int `json:"errors"`
	Latency      struct {
		MeanMS float64 `json:"mean_ms"`
		P99MS  float64 `json:"p99_ms"`
	} `json:"latency"`
	Throughput   float64 `json:"throughput_rps"`
	CacheHitRate float64 `json:"cache_hit_rate"`
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: report DIR CONFIG...")
		os.Exit(2)
	}
	dir, configs := os.Args[1], os.Args[2:]
	fmt.Printf("| scenario | figure | %s |\n|---|---|%s\n", strings.Join(configs, " | "), strings.Repeat("---:|", len(configs)))
	for _, s := range scenarios {
		rows := map[string][]string{}
		order := []string{"success rate", "answered (200, 4xx, 503+Retry-After)", "average response", "p99", "throughput", "cache hit rate", "503 (refused with Retry-After)", "not answered"}
		for _, c := range configs {
			b, err := os.ReadFile(filepath.Join(dir, c+"__"+s.id+".json"))
			var r report
			if err != nil || json.Unmarshal(b, &r) != nil {
				for _, k := range order {
					rows[k] = append(rows[k], "n/a")
				}
				continue
			}
			bad := r.Requests - r.Answered
			rows["success rate"] = append(rows["success rate"], fmt.Sprintf("%.1f%%", 100*r.SuccessRate))
			rows["answered (200, 4xx, 503+Retry-After)"] = append(rows["answered (200, 4xx, 503+Retry-After)"], fmt.Sprintf("%.1f%%", 100*r.AnsweredRate))
			rows["average response"] = append(rows["average response"], fmt.Sprintf("%.2f ms", r.Latency.MeanMS))
			rows["p99"] = append(rows["p99"], fmt.Sprintf("%.1f ms", r.Latency.P99MS))
			rows["throughput"] = append(rows["throughput"], fmt.Sprintf("%.0f req/s", r.Throughput))
			rows["cache hit rate"] = append(rows["cache hit rate"], fmt.Sprintf("%.1f%%", 100*r.CacheHitRate))
			rows["not answered"] = append(rows["not answered"], fmt.Sprint(bad))
			rows["503 (refused with Retry-After)"] = append(rows["503 (refused with Retry-After)"], fmt.Sprint(r.Errors["503"]))
		}
		for i, k := range order {
			name := ""
			if i == 0 {
				name = s.name
			}
			fmt.Printf("| %s | %s | %s |\n", name, k, strings.Join(rows[k], " | "))
		}
	}
}
