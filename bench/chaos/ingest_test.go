package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestClassifyIngest(t *testing.T) {
	for _, c := range []struct {
		status int
		ra     string
		want   string
	}{
		{201, "", out201},
		{409, "", out409},
		{503, "1", out503RA},
		{504, "3", out504RA},
		{503, "", outNoRA},
		{503, "0", outNoRA},
		{500, "", out5xx},
		{502, "1", out5xx},
		{400, "", outUnearned4xx},
		{200, "", outOther},
	} {
		if got := classifyIngest(c.status, c.ra); got != c.want {
			t.Errorf("classifyIngest(%d, %q) = %s, want %s", c.status, c.ra, got, c.want)
		}
	}
}

func TestJudge(t *testing.T) {
	ans := func(outcome string, status int) result { return result{Outcome: outcome, Status: status} }
	stored := func(records, replaced int) *storeReport { return &storeReport{Records: records, Replaced: replaced} }
	for _, c := range []struct {
		name    string
		run     ingestRun
		problem string // a part of the problem found; "" for a passing run
	}{
		{"503 then 201", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(out503RA, 503), Retries: []result{ans(out503RA, 503), ans(out201, 201)}, Stored: stored(100, 0)}, ""},
		{"closed then 409", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(outConnErr, 0), Retries: []result{ans(out409, 409)}}, ""},
		{"201 then 409", ingestRun{Records: 100, Before: 10, Expected: -1, After: 110,
			First: ans(out201, 201), Retries: []result{ans(out409, 409)}}, ""},
		{"500 during the crash", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(out5xx, 500), Retries: []result{ans(out201, 201)}, Stored: stored(100, 0)}, "not a 503/504"},
		{"503 without Retry-After", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(outNoRA, 503), Retries: []result{ans(out201, 201)}, Stored: stored(100, 0)}, "not a 503/504"},
		{"a 500 among the retries", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(out503RA, 503), Retries: []result{ans(out5xx, 500), ans(out201, 201)}, Stored: stored(100, 0)}, "a retry answered"},
		{"still refused at the end", ingestRun{Records: 100, Before: 10, Expected: 10, After: 10,
			First: ans(out503RA, 503), Retries: []result{ans(out503RA, 503)}}, "want 201 or 409"},
		{"not repeated", ingestRun{Records: 100, Before: 10, Expected: 10, After: 10,
			First: ans(out503RA, 503)}, "not repeated"},
		{"doubled", ingestRun{Records: 100, Before: 10, Expected: 10, After: 210,
			First: ans(out201, 201), Retries: []result{ans(out201, 201)}, Stored: stored(100, 0)}, "doubled"},
		{"the crashed attempt left records", ingestRun{Records: 100, Before: 10, Expected: 10, After: 110,
			First: ans(out503RA, 503), Retries: []result{ans(out201, 201)}, Stored: stored(100, 40)}, "replaced 40"},
		{"records lost", ingestRun{Records: 100, Before: 10, Expected: 10, After: 60,
			First: ans(out503RA, 503), Retries: []result{ans(out201, 201)}, Stored: stored(100, 0)}, "want 10 + 100 = 110: -50"},
		{"lost before the POST", ingestRun{Records: 100, Before: 8, Expected: 10, After: 108,
			First: ans(out503RA, 503), Retries: []result{ans(out201, 201)}, Stored: stored(100, 0)}, "earlier checks left 10: -2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			run := c.run
			run.judge()
			got := strings.Join(run.Problems, "; ")
			switch {
			case c.problem == "" && !run.OK:
				t.Errorf("judged failed: %s", got)
			case c.problem != "" && run.OK:
				t.Errorf("judged ok, want a problem with %q", c.problem)
			case c.problem != "" && !strings.Contains(got, c.problem):
				t.Errorf("problems %q, want one with %q", got, c.problem)
			}
		})
	}
}

// fakeIngest is a quant that answers the first POST with first (the crash),
// then stores the body's records once: a 201 the first time, 409 after.
type fakeIngest struct {
	mu     sync.Mutex
	trades int // spread over two politicians, as the listing pages them
	first  int
	posts  int
	stored bool
	add    int // records a 201 adds (the body's, unless a test says otherwise)
}

func (f *fakeIngest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/politicians":
		// Two pages of one politician each: the count is their sum.
		if r.URL.Query().Get("offset") == "0" {
			fmt.Fprintf(w, `{"politicians":[{"trade_count":%d}],"total":2}`, f.trades/2)
		} else {
			fmt.Fprintf(w, `{"politicians":[{"trade_count":%d}],"total":2}`, f.trades-f.trades/2)
		}
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/trades":
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.posts++
		switch {
		case f.posts == 1:
			if f.first == http.StatusServiceUnavailable {
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(f.first)
		case f.stored:
			w.WriteHeader(http.StatusConflict)
		default:
			f.stored = true
			f.trades += f.add
			w.WriteHeader(http.StatusCreated)
			fmt.Fprintf(w, `{"records":%d,"store":{"records":%d,"replaced":0}}`, f.add, f.add)
		}
	default:
		http.NotFound(w, r)
	}
}

func runIngest(t *testing.T, f *fakeIngest, records int) ingestRun {
	t.Helper()
	srv := httptest.NewServer(f)
	defer srv.Close()
	dir := t.TempDir()
	body := filepath.Join(dir, "body.csv")
	os.WriteFile(body, []byte("header\nrow\n"), 0o644)
	if err := writeCount(dir, f.trades); err != nil {
		t.Fatal(err)
	}
	if err := ingestCmd([]string{"-api", srv.URL, "-dir", dir, "-body", body, "-records", fmt.Sprint(records), "-token", "tok",
		"-retry-for", "10s", "-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	runs, err := readIngestRuns(dir)
	if err != nil || len(runs) != 1 {
		t.Fatalf("ingest.jsonl: %d runs, %v", len(runs), err)
	}
	if n := readCount(dir); n != runs[0].After {
		t.Errorf("count.txt holds %d, the run ended at %d", n, runs[0].After)
	}
	return runs[0]
}

func TestIngestCmd(t *testing.T) {
	start := time.Now()
	run := runIngest(t, &fakeIngest{trades: 11, first: http.StatusServiceUnavailable, add: 5}, 5)
	if !run.OK || run.Before != 11 || run.After != 16 || run.First.Outcome != out503RA || len(run.Retries) != 1 || run.Retries[0].Outcome != out201 {
		t.Errorf("run %+v, want ok: 503, then 201, 11 -> 16 trades", run)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("repeated after %v, before the Retry-After of 1 s", d)
	}
}

func TestIngestCmdFindsA500(t *testing.T) {
	run := runIngest(t, &fakeIngest{trades: 11, first: http.StatusInternalServerError, add: 5}, 5)
	if run.OK || run.First.Outcome != out5xx {
		t.Errorf("run %+v, want failed on the 500", run)
	}
}

func TestIngestCmdFindsLostRecords(t *testing.T) {
	// The 201 stores 3 of the body's 5 records.
	run := runIngest(t, &fakeIngest{trades: 11, first: http.StatusServiceUnavailable, add: 3}, 5)
	if run.OK || !strings.Contains(strings.Join(run.Problems, ";"), "want 11 + 5 = 16: -2") {
		t.Errorf("run %+v, want failed on the 2 records lost", run)
	}
}
