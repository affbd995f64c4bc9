package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// fault is one injected fault, from faults.tsv (epoch ms, type, phase,
// detail; the script writes a begin and an end line per fault, and an error
// line when an injection step failed).
type fault struct {
	Type       string
	Begin, End time.Time
}

var faultTitle = map[string]string{
	"redis-kill":   "Redis kill -9, restarted after a few seconds",
	"pg-restart":   "PostgreSQL stopped and started (fast or immediate)",
	"breaker":      "a breaker forced open, then closed, then auto",
	"cache-flush":  "cache flush (admin API)",
	"redis+pg":     "Redis kill -9 and PostgreSQL stop together",
	"pg-hang":      "PostgreSQL frozen (SIGSTOP, every process), then SIGCONT",
	"redis-hang":   "Redis frozen (SIGSTOP), then SIGCONT",
	"lock":         "LOCK TABLE trades IN ACCESS EXCLUSIVE MODE, held, then released",
	"ingest-crash": "an ingest POST, PostgreSQL crashed (stop -m immediate) during its import, started, the POST repeated",
	"(no fault)":   "outside every fault window",
}

var faultOrder = []string{"redis-kill", "pg-restart", "breaker", "cache-flush", "redis+pg", "pg-hang", "redis-hang", "lock", "ingest-crash"}

func readFaults(dir string) (faults []fault, errs []string, err error) {
	lines, err := readLines(dir, fileFaults)
	if err != nil {
		return nil, nil, err
	}
	open := map[string]int{}
	for _, l := range lines {
		f := strings.SplitN(l, "\t", 4)
		if len(f) < 3 {
			continue
		}
		ms, _ := strconv.ParseInt(f[0], 10, 64)
		at := time.UnixMilli(ms)
		switch f[2] {
		case "begin":
			open[f[1]] = len(faults)
			faults = append(faults, fault{Type: f[1], Begin: at, End: at})
		case "end":
			if i, ok := open[f[1]]; ok {
				faults[i].End = at
				delete(open, f[1])
			}
		case "error":
			detail := ""
			if len(f) == 4 {
				detail = f[3]
			}
			errs = append(errs, at.Format("15:04:05.000")+" "+f[1]+": "+detail)
		}
	}
	return faults, errs, nil
}

// readRSS returns the samples of rss.tsv (epoch ms, VmRSS in kB).
func readRSS(dir string) (at []time.Time, kb []int, err error) {
	lines, err := readLines(dir, fileRSS)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 2 {
			continue
		}
		ms, err1 := strconv.ParseInt(f[0], 10, 64)
		v, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil {
			continue
		}
		at, kb = append(at, time.UnixMilli(ms)), append(kb, v)
	}
	return at, kb, nil
}

func summaryCmd(args []string) error {
	fs := flag.NewFlagSet("summary", flag.ExitOnError)
	dir := fs.String("dir", "", "working directory")
	rssLimitMB := fs.Int("rss-limit-mb", 1024, "peak RSS bound of quant, MiB")
	grace := fs.Duration("grace", 10*time.Second, "how long after a fault ends its effects are counted with it")
	fs.Parse(args)

	var ld loadReport
	var st settleReport
	var vr verifyReport
	if err := readJSONFile(*dir, fileLoad, &ld); err != nil {
		return fmt.Errorf("no load report: %w", err)
	}
	settleErr := readJSONFile(*dir, fileSettle, &st)
	verifyErr := readJSONFile(*dir, fileVerify, &vr)
	ingests, err := readIngestRuns(*dir)
	if err != nil {
		return err
	}
	faults, faultErrs, err := readFaults(*dir)
	if err != nil {
		return err
	}
	rssAt, rssKB, err := readRSS(*dir)
	if err != nil {
		return err
	}

	// Requests by outcome and kind.
	total := map[string]int{}
	totalAll := 0
	fmt.Printf("Load: %s, %.0f hot requests/s over %d warmed URLs and %.0f cold requests/s (%d distinct analyses, store listings, unknown ids, invalid parameters); client timeout %.0f s.\n\n",
		ld.End.Sub(ld.Start).Round(time.Second), ld.HotRate, ld.HotURLs, ld.ColdRate, ld.ColdURLs, ld.TimeoutS)
	fmt.Print("| outcome |")
	for _, k := range kinds {
		fmt.Printf(" %s |", kindTitle[k])
	}
	fmt.Println(" total |")
	fmt.Println("|---|" + strings.Repeat("---:|", len(kinds)+1))
	for _, o := range outcomes {
		fmt.Printf("| %s |", outcomeTitle[o])
		for _, k := range kinds {
			n := ld.Counts[k][o]
			total[o] += n
			totalAll += n
			fmt.Printf(" %d |", n)
		}
		fmt.Printf(" %d |\n", total[o])
	}
	fmt.Print("| **all requests** |")
	for _, k := range kinds {
		n := 0
		for _, c := range ld.Counts[k] {
			n += c
		}
		fmt.Printf(" %d |", n)
	}
	fmt.Printf(" %d |\n", totalAll)
	fmt.Print("| latency p50 / p99 / max, ms |")
	for _, k := range kinds {
		l := ld.Latency[k]
		fmt.Printf(" %.1f / %.0f / %.0f |", l.P50MS, l.P99MS, l.MaxMS)
	}
	fmt.Println(" |")
	fmt.Print("| X-Cache of the 200s |")
	for _, k := range kinds {
		var parts []string
		for _, x := range []string{"HIT", "MISS", "STALE", "COALESCED", "(none)"} {
			if n := ld.XCache[k][x]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", x, n))
			}
		}
		fmt.Printf(" %s |", strings.Join(parts, ", "))
	}
	fmt.Println(" |")

	// Faults, and the non-200 answers in each one's window.
	events, err := readEvents(*dir)
	if err != nil {
		return err
	}
	byFault := map[string]map[string]int{}
	count := map[string]int{}
	down := map[string]time.Duration{}
	for _, f := range faults {
		count[f.Type]++
		down[f.Type] += f.End.Sub(f.Begin)
	}
	for _, e := range events {
		// The latest fault begun before the answer, if the answer came
		// before its end plus the grace.
		t := "(no fault)"
		for i := len(faults) - 1; i >= 0; i-- {
			if f := faults[i]; !e.At.Before(f.Begin) {
				if e.At.Before(f.End.Add(*grace)) {
					t = f.Type
				}
				break
			}
		}
		if byFault[t] == nil {
			byFault[t] = map[string]int{}
		}
		byFault[t][e.Outcome]++
	}
	fmt.Printf("\n| fault | injected | mean duration | non-200 answers from its start to %v after its end (or the next fault) |\n|---|---:|---:|---|\n", *grace)
	for _, t := range append(slices.Clone(faultOrder), "(no fault)") {
		var parts []string
		for _, o := range outcomes {
			if n := byFault[t][o]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s: %d", outcomeTitle[o], n))
			}
		}
		if len(parts) == 0 {
			parts = []string{"none"}
		}
		if t == "(no fault)" {
			fmt.Printf("| %s | | | %s |\n", faultTitle[t], strings.Join(parts, "; "))
			continue
		}
		mean := ""
		if count[t] > 0 {
			mean = fmt.Sprintf("%.1f s", (down[t] / time.Duration(count[t])).Seconds())
		}
		fmt.Printf("| %s | %d | %s | %s |\n", faultTitle[t], count[t], mean, strings.Join(parts, "; "))
	}

	// Why quant refused: the problem details of the 503s and 504s.
	reasons := map[string]int{}
	for _, e := range events {
		if e.Outcome == out503RA || e.Outcome == out504RA || e.Outcome == outNoRA {
			var p problem
			json.Unmarshal([]byte(e.Body), &p)
			d := p.Detail
			if d == "" {
				d = "(no detail)"
			}
			reasons[fmt.Sprintf("%d %s", e.Status, d)]++
		}
	}
	if len(reasons) > 0 {
		type kv struct {
			k string
			n int
		}
		var rs []kv
		for k, n := range reasons {
			rs = append(rs, kv{k, n})
		}
		slices.SortFunc(rs, func(a, b kv) int { return b.n - a.n })
		fmt.Println("\n| 503/504 answers by the problem's detail | answers |\n|---|---:|")
		for _, r := range rs {
			fmt.Printf("| %s | %d |\n", r.k, r.n)
		}
	}

	// Memory.
	peak, peakAt := 0, time.Time{}
	for i, v := range rssKB {
		if v > peak {
			peak, peakAt = v, rssAt[i]
		}
	}
	fmt.Println()
	if len(rssKB) > 0 {
		fmt.Printf("quant's RSS (VmRSS, %d samples, one a second): first %.0f MiB, peak %.0f MiB at +%.0f s of the load, last %.0f MiB; bound %d MiB.\n",
			len(rssKB), float64(rssKB[0])/1024, float64(peak)/1024, peakAt.Sub(ld.Start).Seconds(), float64(rssKB[len(rssKB)-1])/1024, *rssLimitMB)
	}

	// Recovery.
	if settleErr == nil {
		fmt.Printf("Settle after the last fault: %v in %.1f s (%s).\n", okWord(st.OK), st.WaitedS, strings.Join(append(st.Health.Breakers, st.Health.Pending...), " "))
	}
	if verifyErr == nil {
		fmt.Printf("Recovery check, same quant process: cache flush %s; warming pass %d/%d hot URLs 200 (%d requests); then %d/%d hot requests 200, %d X-Cache HIT (%s), slowest %.1f ms; afterwards %s.\n",
			vr.Flush, vr.WarmOK, vr.WarmURLs, vr.WarmRequests, vr.OK200, vr.N, vr.Hits, mapString(vr.XCache), vr.MaxMS,
			strings.Join(append(vr.Final.Breakers, vr.Final.Pending...), " "))
	}
	for _, e := range faultErrs {
		fmt.Printf("Fault injection error: %s\n", e)
	}

	// The ingests during a crash.
	ingestsOK := 0
	if len(ingests) > 0 {
		fmt.Println("\n| ingest during a crash | records | answer during the crash | repeated POST (answers) | trades before, after | result |\n|---|---:|---|---|---|---|")
		for _, in := range ingests {
			if in.OK {
				ingestsOK++
			}
			var answers []string
			for _, r := range in.Retries {
				answers = append(answers, ingestAnswer(r))
			}
			result := "stored once"
			if !in.OK {
				result = "**FAIL**: " + strings.Join(in.Problems, "; ")
			}
			fmt.Printf("| %d (%s, %.1f MB) | %d | %s after %.1f s | %s | %d, %d | %s |\n", in.N, in.Body, float64(in.Bytes)/1e6, in.Records,
				ingestAnswer(in.First), in.First.LatencyMS/1000, strings.Join(answers, ", "), in.Before, in.After, result)
		}
	}
	if verifyErr == nil {
		// A blank line first: a line right under a table would be read as one of its rows.
		fmt.Printf("\nTrades stored at the end: %d (after the last check: %d).\n", vr.Trades, vr.ExpectedTrades)
	}

	// Assertions.
	sumOf := func(os ...string) int {
		n := 0
		for _, o := range os {
			n += total[o]
		}
		return n
	}
	checks := []struct {
		name string
		ok   bool
		got  string
	}{
		{"no connection error", total[outConnErr] == 0, strconv.Itoa(total[outConnErr])},
		{"no hang: every request answered within the client timeout, none held back", total[outTimeout]+total[outDropped] == 0,
			strconv.Itoa(total[outTimeout] + total[outDropped])},
		{"every 503/504 carries Retry-After", total[outNoRA] == 0, strconv.Itoa(total[outNoRA])},
		{"no 5xx other than 503/504", total[out5xx] == 0, strconv.Itoa(total[out5xx])},
		{"every other non-200 is a 4xx the request earned", sumOf(outUnearned4xx, outOther, outBad200) == 0,
			strconv.Itoa(sumOf(outUnearned4xx, outOther, outBad200))},
		{"eligibility consistent (no URL answered both 200 and 422)", len(ld.Inconsistent) == 0, strconv.Itoa(len(ld.Inconsistent))},
		{fmt.Sprintf("peak RSS under %d MiB", *rssLimitMB), len(rssKB) > 0 && peak < *rssLimitMB*1024, fmt.Sprintf("%.0f MiB", float64(peak)/1024)},
		{"recovered: settled, warming pass and every hot request 200 from the cache, breakers closed",
			settleErr == nil && verifyErr == nil && st.OK && vr.OK, fmt.Sprintf("%d/%d", vr.Hits, vr.N)},
		{"ingest during a PostgreSQL crash: 503 with Retry-After or closed, never 500; repeated, stored exactly once",
			ingestsOK == len(ingests), fmt.Sprintf("%d/%d", ingestsOK, len(ingests))},
		{"nothing lost: the trade count at the end is the one the last check left", verifyErr == nil && vr.Trades == vr.ExpectedTrades,
			fmt.Sprintf("%d of %d", vr.Trades, vr.ExpectedTrades)},
		{"every fault injected (admin calls, signals, crashes and restarts succeeded)", len(faultErrs) == 0 && len(faults) > 0,
			fmt.Sprintf("%d faults, %d errors", len(faults), len(faultErrs))},
	}
	fmt.Println("\n| assertion | result | measured |\n|---|---|---:|")
	failed := 0
	for _, c := range checks {
		if !c.ok {
			failed++
		}
		fmt.Printf("| %s | %s | %s |\n", c.name, passWord(c.ok), c.got)
	}
	if len(ld.Violations) > 0 {
		fmt.Printf("\nViolating answers (first %d of %d):\n", min(15, len(ld.Violations)), sumViolations(total))
		for _, v := range ld.Violations[:min(15, len(ld.Violations))] {
			fmt.Printf("  %s %-7s %s -> %d %s (Retry-After %q, %.0f ms) %s %s\n", v.At.Format("15:04:05.000"), v.Kind, v.URL,
				v.Status, v.Outcome, v.RetryAfter, v.LatencyMS, v.Err, oneLine(v.Body))
		}
	}
	for _, u := range ld.Inconsistent[:min(10, len(ld.Inconsistent))] {
		fmt.Printf("  answered both 200 and 422: %s\n", u)
	}
	for _, v := range append(vr.WarmFailures, vr.Failures...) {
		fmt.Printf("  recovery: %s -> %d %s X-Cache %q (Retry-After %q) %s %s\n", v.URL, v.Status, v.Outcome, v.XCache, v.RetryAfter, v.Err, oneLine(v.Body))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d assertions failed", failed, len(checks))
	}
	return nil
}

// ingestAnswer is a POST's answer in a few words: "503 (Retry-After 1)",
// "connection closed", "201".
func ingestAnswer(r result) string {
	switch r.Outcome {
	case outConnErr:
		return "connection closed"
	case outTimeout:
		return "no answer in time"
	case out503RA, out504RA, outNoRA:
		return fmt.Sprintf("%d (Retry-After %q)", r.Status, r.RetryAfter)
	}
	return strconv.Itoa(r.Status)
}

func readEvents(dir string) ([]result, error) {
	f, err := os.Open(filepath.Join(dir, fileEvents))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r result
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

func sumViolations(total map[string]int) int {
	n := 0
	for o, c := range total {
		if violation(o) {
			n += c
		}
	}
	return n
}

func mapString(m map[string]int) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s %d", k, v))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func okWord(ok bool) string {
	if ok {
		return "recovered"
	}
	return "NOT recovered"
}

func passWord(ok bool) string {
	if ok {
		return "pass"
	}
	return "**FAIL**"
}
