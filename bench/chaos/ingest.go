package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files of the ingest check.
const (
	fileIngest = "ingest.jsonl" // one ingestRun per ingest during a crash
	fileCount  = "count.txt"    // the store's trade count as last checked
)

// Outcomes of a POST /api/v1/trades (the other outcomes are the GETs').
const (
	out201 = "201_stored"
	out409 = "409_already_stored"
)

// ingestRun is one line of ingest.jsonl: an ingest answered while
// PostgreSQL crashed, then repeated once it was back, and the store's trade
// count before and after.
type ingestRun struct {
	N       int    `json:"n"`
	Body    string `json:"body"`
	Bytes   int    `json:"bytes"`
	Records int    `json:"records"` // the body's records, from a dry run of quant import
	// Before is the trade count before the first POST; Expected the count
	// the previous checks left (warm's, or the previous ingest's After),
	// -1 when none did.
	Before   int `json:"before"`
	Expected int `json:"expected_before"`
	After    int `json:"after"`
	// First is the answer during the crash; Retries the answers of the same
	// POST repeated until it was not a 503/504 (or the connection closed),
	// the last one the final answer.
	First   result   `json:"first"`
	Retries []result `json:"retries"`
	// Stored is the final answer's store report (a 201's).
	Stored   *storeReport `json:"stored,omitempty"`
	Problems []string     `json:"problems"`
	OK       bool         `json:"ok"`
}

// storeReport is the part of a 201's answer the check reads.
type storeReport struct {
	Records  int `json:"records"`
	Replaced int `json:"replaced"`
}

// classifyIngest maps the answer to a POST /api/v1/trades to its outcome:
// 201, 409 (this exact file is already stored), a 503/504 with (or
// without) Retry-After, or a violation.
func classifyIngest(status int, retryAfter string) string {
	switch {
	case status == http.StatusCreated:
		return out201
	case status == http.StatusConflict:
		return out409
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
			return outNoRA
		}
		if status == http.StatusServiceUnavailable {
			return out503RA
		}
		return out504RA
	case status >= 400 && status < 500:
		return outUnearned4xx
	case status >= 500:
		return out5xx
	}
	return outOther
}

// post sends the body to POST /api/v1/trades and classifies the answer;
// the store report of a 201 is decoded into stored.
func post(ctx context.Context, c *http.Client, api, token string, body []byte, stored **storeReport) result {
	r := result{At: time.Now(), Kind: "ingest", URL: "/api/v1/trades"}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, api+r.URL, bytes.NewReader(body))
	if err != nil {
		r.Outcome, r.Err = outOther, err.Error()
		return r
	}
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	var b []byte
	if err == nil {
		b, err = io.ReadAll(io.LimitReader(resp.Body, 8<<20))
		resp.Body.Close()
	}
	r.LatencyMS = float64(time.Since(r.At).Microseconds()) / 1000
	if err != nil {
		r.Err = err.Error()
		var ne net.Error
		if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
			r.Outcome = outTimeout
		} else {
			r.Outcome = outConnErr
		}
		return r
	}
	r.Status, r.RetryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	r.Outcome = classifyIngest(resp.StatusCode, r.RetryAfter)
	if r.Outcome == out201 {
		var v struct {
			Store *storeReport `json:"store"`
		}
		json.Unmarshal(b, &v)
		*stored = v.Store
	} else {
		r.Body = string(b[:min(len(b), 400)])
	}
	return r
}

// storeTrades sums trade_count over GET /api/v1/politicians: the store's
// trade count as the API reads it, from PostgreSQL.
func storeTrades(ctx context.Context, c *http.Client, api string) (int, error) {
	n := 0
	for offset := 0; ; {
		var page struct {
			Politicians []struct {
				TradeCount int `json:"trade_count"`
			} `json:"politicians"`
			Total int `json:"total"`
		}
		if err := getJSON(ctx, c, api+fmt.Sprintf("/api/v1/politicians?sort=name&limit=1000&offset=%d", offset), &page); err != nil {
			return 0, err
		}
		for _, p := range page.Politicians {
			n += p.TradeCount
		}
		offset += len(page.Politicians)
		if len(page.Politicians) == 0 || offset >= page.Total {
			return n, nil
		}
	}
}

// storeTradesPatiently is storeTrades retried every half second until it
// answers or the deadline passes (PostgreSQL may still be starting).
func storeTradesPatiently(ctx context.Context, c *http.Client, api string, until time.Time) (int, error) {
	for {
		n, err := storeTrades(ctx, c, api)
		if err == nil || time.Now().After(until) {
			return n, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// readCount returns the trade count of DIR/count.txt, -1 when there is none.
func readCount(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, fileCount))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

func writeCount(dir string, n int) error {
	return os.WriteFile(filepath.Join(dir, fileCount), []byte(strconv.Itoa(n)+"\n"), 0o644)
}

// judge decides whether an ingest during a crash kept the store right: the
// answer during the crash a 503/504 with Retry-After or the connection
// closed (or a 201 when the import committed before the crash), never
// another 5xx; the repeated POST a 201 storing every record once (none
// replaced: the crashed attempt stored nothing), or a 409 when the crashed
// attempt had committed after all; and the trade count grown by the body's records
// exactly, from the count the earlier checks left.
func (run *ingestRun) judge() {
	run.Problems = nil
	bad := func(format string, args ...any) { run.Problems = append(run.Problems, fmt.Sprintf(format, args...)) }
	switch run.First.Outcome {
	case out503RA, out504RA, outConnErr, out201:
	default:
		bad("the answer during the crash is %s (status %d %s), not a 503/504 with Retry-After or a closed connection", run.First.Outcome, run.First.Status, oneLine(run.First.Body))
	}
	for _, r := range run.Retries[:max(len(run.Retries)-1, 0)] {
		if r.Outcome != out503RA && r.Outcome != out504RA && r.Outcome != outConnErr {
			bad("a retry answered %s (status %d %s)", r.Outcome, r.Status, oneLine(r.Body))
		}
	}
	final := run.First
	if len(run.Retries) > 0 {
		final = run.Retries[len(run.Retries)-1]
	}
	switch {
	case len(run.Retries) == 0:
		bad("the POST was not repeated after the crash")
	case final.Outcome == out201 && run.First.Outcome == out201:
		bad("the repeated POST stored the file again (201) after a first 201: doubled")
	case final.Outcome == out201:
		if run.Stored == nil {
			bad("the 201 carries no store report")
		} else if run.Stored.Records != run.Records || run.Stored.Replaced != 0 {
			bad("the repeated POST stored %d records and replaced %d, want %d and 0 (the crashed attempt left records behind?)", run.Stored.Records, run.Stored.Replaced, run.Records)
		}
	case final.Outcome == out409:
		// The crashed attempt had committed (its answer lost or refused
		// afterwards): stored once, which the count below checks.
	default:
		bad("after PostgreSQL was back the POST answered %s (status %d %s), want 201 or 409", final.Outcome, final.Status, oneLine(final.Body))
	}
	if run.Expected >= 0 && run.Before != run.Expected {
		bad("before the POST the store held %d trades, the earlier checks left %d: %+d", run.Before, run.Expected, run.Before-run.Expected)
	}
	if run.After != run.Before+run.Records {
		bad("after the POST the store holds %d trades, want %d + %d = %d: %+d", run.After, run.Before, run.Records, run.Before+run.Records, run.After-run.Before-run.Records)
	}
	run.OK = len(run.Problems) == 0
}

// ingestCmd is the client side of the fault "an ingest during a PostgreSQL
// crash" (the script crashes PostgreSQL while this POST is being imported,
// then starts it): it reads the trade count, POSTs -body, and once the
// answer is in repeats the same POST, after each 503/504's Retry-After (or
// a second after a closed connection), until it is neither, for at most
// -retry-for; then it reads the count again, judges the run (see judge)
// and appends it to DIR/ingest.jsonl. A failed check is the summary's to
// report; the command fails only when it cannot run the check.
func ingestCmd(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	api := fs.String("api", "", "quant API base URL")
	dir := fs.String("dir", "", "working directory")
	bodyFile := fs.String("body", "", "the disclosure file to POST (Senate CSV)")
	records := fs.Int("records", 0, "records the body holds (from a dry run of quant import)")
	token := fs.String("token", "", "quant's --ingest-token")
	n := fs.Int("n", 0, "number of this ingest in the run")
	timeout := fs.Duration("timeout", 2*time.Minute, "client timeout per POST")
	retryFor := fs.Duration("retry-for", 90*time.Second, "longest time to repeat the POST after the crash")
	fs.Parse(args)
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	if *records <= 0 {
		return fmt.Errorf("ingest: -records must be the body's record count, got %d", *records)
	}
	ctx := context.Background()
	c := newClient(2, *timeout)
	run := ingestRun{N: *n, Body: filepath.Base(*bodyFile), Bytes: len(body), Records: *records, Expected: readCount(*dir)}
	if run.Before, err = storeTradesPatiently(ctx, c, *api, time.Now().Add(60*time.Second)); err != nil {
		return fmt.Errorf("ingest: the trade count before the POST: %w", err)
	}
	logf("ingest %d: store holds %d trades; POST %d records (%d bytes)", *n, run.Before, *records, len(body))
	run.First = post(ctx, c, *api, *token, body, &run.Stored)
	logf("ingest %d: during the crash: %s %d (Retry-After %q) after %.0f ms %s", *n, run.First.Outcome, run.First.Status, run.First.RetryAfter, run.First.LatencyMS, run.First.Err)
	until := time.Now().Add(*retryFor)
	for {
		wait := time.Second
		if len(run.Retries) > 0 {
			last := run.Retries[len(run.Retries)-1]
			if last.Outcome != out503RA && last.Outcome != out504RA && last.Outcome != outConnErr || time.Now().After(until) {
				break
			}
			if s, err := strconv.Atoi(last.RetryAfter); err == nil {
				wait = time.Duration(min(max(s, 1), 5)) * time.Second
			}
		}
		time.Sleep(wait)
		run.Stored = nil
		run.Retries = append(run.Retries, post(ctx, c, *api, *token, body, &run.Stored))
	}
	last := run.Retries[len(run.Retries)-1]
	if run.After, err = storeTradesPatiently(ctx, c, *api, time.Now().Add(60*time.Second)); err != nil {
		return fmt.Errorf("ingest: the trade count after the POST: %w", err)
	}
	run.judge()
	logf("ingest %d: repeated %d times, last %s %d; store holds %d trades (before %d + %d records); %s", *n, len(run.Retries), last.Outcome, last.Status,
		run.After, run.Before, run.Records, okOr(run.OK, strings.Join(run.Problems, "; ")))
	if err := writeCount(*dir, run.After); err != nil {
		return err
	}
	return appendJSONLine(*dir, fileIngest, run)
}

func okOr(ok bool, problems string) string {
	if ok {
		return "ok"
	}
	return "FAILED: " + problems
}

func appendJSONLine(dir, name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readIngestRuns(dir string) ([]ingestRun, error) {
	f, err := os.Open(filepath.Join(dir, fileIngest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []ingestRun
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r ingestRun
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", fileIngest, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}
