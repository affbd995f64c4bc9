package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// passingRun writes the files of a run that passes every assertion: no
// violating answer, settled, recovered with 10 trades, one fault and the
// given ingest runs.
func passingRun(t *testing.T, trades, expected int, ingests ...ingestRun) string {
	t.Helper()
	dir := t.TempDir()
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(writeJSONFile(dir, fileLoad, loadReport{Start: now, End: now.Add(time.Minute),
		Counts: map[string]map[string]int{kindHot: {out200: 10}}}))
	must(writeJSONFile(dir, fileSettle, settleReport{OK: true}))
	must(writeJSONFile(dir, fileVerify, verifyReport{OK: true, Flush: "200 OK", Trades: trades, ExpectedTrades: expected}))
	ms := now.UnixMilli()
	must(os.WriteFile(filepath.Join(dir, fileFaults), fmt.Appendf(nil, "%d\tingest-crash\tbegin\t\n%d\tingest-crash\tend\t\n", ms, ms+1000), 0o644))
	must(os.WriteFile(filepath.Join(dir, fileRSS), fmt.Appendf(nil, "%d\t20000\n", ms), 0o644))
	for _, in := range ingests {
		must(appendJSONLine(dir, fileIngest, in))
	}
	return dir
}

func TestSummaryIngestAndCount(t *testing.T) {
	ok := ingestRun{Records: 5, Before: 5, Expected: 5, After: 10, First: result{Outcome: out503RA, Status: 503, RetryAfter: "1"},
		Retries: []result{{Outcome: out201, Status: 201}}, Stored: &storeReport{Records: 5}}
	ok.judge()
	failed := ok
	failed.First = result{Outcome: out5xx, Status: 500}
	failed.judge()
	for _, c := range []struct {
		name    string
		dir     string
		failure string // "" for a passing run
	}{
		{"passing", passingRun(t, 10, 10, ok), ""},
		{"an ingest that answered 500", passingRun(t, 10, 10, ok, failed), "1 of 11 assertions failed"},
		{"trades lost after the last check", passingRun(t, 9, 10, ok), "assertions failed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := summaryCmd([]string{"-dir", c.dir})
			switch {
			case c.failure == "" && err != nil:
				t.Errorf("summary failed: %v", err)
			case c.failure != "" && (err == nil || !strings.Contains(err.Error(), c.failure)):
				t.Errorf("summary: %v, want %q", err, c.failure)
			}
		})
	}
}
