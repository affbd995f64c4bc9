// Command chaos is the load driver and judge of bench/chaos.sh. The script
// starts PostgreSQL, Redis and quant, and injects the faults; this program
// sends the requests, classifies every answer, and decides whether the run
// passed.
//
//	chaos warm    -api URL -dir DIR                 pick the hot set, warm it (DIR/hot.txt, DIR/ids.txt)
//	chaos load    -api URL -dir DIR -duration 5m    the mixed open-loop load (DIR/load.json, DIR/events.jsonl)
//	chaos settle  -api URL -admin URL -dir DIR      wait, bounded, until quant says it recovered (DIR/settle.json)
//	chaos ingest  -api URL -dir DIR -body FILE ...  POST a file while the script crashes PostgreSQL (DIR/ingest.jsonl)
//	chaos verify  -api URL -admin URL -dir DIR      one warming pass, then N hot requests, the trade count (DIR/verify.json)
//	chaos summary -dir DIR -rss-limit-mb 1024       the report; exits 1 when an assertion fails
//
// Every answer falls in one outcome. The acceptable ones are 200 with a JSON
// body, the 4xx a request earned (404 for the unknown ids it sends on
// purpose, 422 "not eligible" for a politician's analysis, 400 for the
// invalid parameters it sends on purpose) and 503/504 with a Retry-After of
// at least one second. Everything else (another 4xx or 5xx, a 503 without
// Retry-After, a connection error, no answer within the client timeout) is
// a violation. An ingest during a PostgreSQL crash (chaos ingest) is judged
// apart: its answers, and the store's trade count, which must grow by the
// file's records exactly once; the count must also be the same at the end
// as after the last check (nothing lost). Standard library only, so that it builds whatever the rest of
// the module is doing.
package main

import (
	"context"
	"encoding/json"
	"errors"
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

// Request kinds: which part of the load a request belongs to, and so which
// 4xx it may earn.
const (
	kindHot     = "hot"     // a warmed analysis URL: only 200 or 503/504 with Retry-After
	kindCold    = "cold"    // a distinct analysis: may earn 422 (not eligible)
	kindListing = "listing" // a store read (politician, trades, tickers)
	kindUnknown = "unknown" // an id that does not exist: earns 404
	kindInvalid = "invalid" // a parameter out of range: earns 400
)

var kinds = []string{kindHot, kindCold, kindListing, kindUnknown, kindInvalid}

var kindTitle = map[string]string{
	kindHot:     "hot",
	kindCold:    "cold analysis",
	kindListing: "listing",
	kindUnknown: "unknown id",
	kindInvalid: "invalid param",
}

// Outcomes, in the order the summary prints them.
const (
	out200         = "200"
	outBad200      = "200_bad_body"
	out422         = "422_earned"
	out404         = "404_earned"
	out400         = "400_earned"
	out503RA       = "503_retry_after"
	out504RA       = "504_retry_after"
	outNoRA        = "503_504_no_retry_after"
	outUnearned4xx = "4xx_unearned"
	out5xx         = "5xx_other"
	outOther       = "other_status"
	outConnErr     = "connection_error"
	outTimeout     = "timeout"
	outDropped     = "not_sent_driver_saturated"
)

var outcomes = []string{out200, out422, out404, out400, out503RA, out504RA,
	outBad200, outNoRA, outUnearned4xx, out5xx, outOther, outConnErr, outTimeout, outDropped}

var outcomeTitle = map[string]string{
	out200:         "200",
	outBad200:      "200 whose body is not JSON (violation)",
	out422:         "422 not eligible (earned)",
	out404:         "404 unknown id (earned)",
	out400:         "400 invalid parameter (earned)",
	out503RA:       "503 with Retry-After",
	out504RA:       "504 with Retry-After",
	outNoRA:        "503/504 without Retry-After (violation)",
	outUnearned4xx: "4xx not earned (violation)",
	out5xx:         "500 or other 5xx (violation)",
	outOther:       "other status (violation)",
	outConnErr:     "connection error (violation)",
	outTimeout:     "timeout, no answer in time (violation)",
	outDropped:     "not sent: driver at its in-flight cap (violation)",
}

// violation reports whether an outcome fails the run.
func violation(o string) bool {
	switch o {
	case out200, out422, out404, out400, out503RA, out504RA:
		return false
	}
	return true
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: chaos warm|load|settle|ingest|verify|summary [flags]")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "warm":
		err = warmCmd(args)
	case "load":
		err = loadCmd(args)
	case "settle":
		err = settleCmd(args)
	case "ingest":
		err = ingestCmd(args)
	case "verify":
		err = verifyCmd(args)
	case "summary":
		err = summaryCmd(args)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
}

// newClient returns an HTTP client for up to conns concurrent requests,
// each bounded by timeout.
func newClient(conns int, timeout time.Duration) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     60 * time.Second,
		},
	}
}

// result is one request and how it ended.
type result struct {
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	URL        string    `json:"url"`
	Status     int       `json:"status,omitempty"`
	Outcome    string    `json:"outcome"`
	RetryAfter string    `json:"retry_after,omitempty"`
	XCache     string    `json:"x_cache,omitempty"`
	LatencyMS  float64   `json:"latency_ms"`
	Err        string    `json:"err,omitempty"`
	Body       string    `json:"body,omitempty"` // the start of a non-200 body
}

// problem is the part of an RFC 9457 answer the classification reads.
type problem struct {
	Type      string `json:"type"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
}

// get sends one GET and classifies the answer.
func get(ctx context.Context, c *http.Client, base, path, kind string) result {
	r := result{At: time.Now(), Kind: kind, URL: path}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		r.Outcome, r.Err = outOther, err.Error()
		return r
	}
	resp, err := c.Do(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, 64<<20))
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
		if resp != nil {
			r.Status = resp.StatusCode
		}
		return r
	}
	r.Status = resp.StatusCode
	r.RetryAfter = resp.Header.Get("Retry-After")
	r.XCache = resp.Header.Get("X-Cache")
	r.Outcome = classify(kind, path, resp.StatusCode, r.RetryAfter, body)
	if r.Outcome != out200 {
		r.Body = string(body[:min(len(body), 400)])
	}
	return r
}

// classify maps an answer to its outcome (see the package comment).
func classify(kind, path string, status int, retryAfter string, body []byte) string {
	var p problem
	if status != http.StatusOK {
		json.Unmarshal(body, &p)
	}
	slug := p.Type[strings.LastIndexByte(p.Type, '#')+1:]
	perPolitician := strings.HasPrefix(path, "/api/v1/analytics/") &&
		!strings.HasPrefix(path, "/api/v1/analytics/correlation") && !strings.HasPrefix(path, "/api/v1/analytics/network")
	switch {
	case status == http.StatusOK:
		var v map[string]json.RawMessage
		if json.Unmarshal(body, &v) != nil {
			return outBad200
		}
		if strings.HasPrefix(path, "/api/v1/analytics/") && v["meta"] == nil {
			return outBad200
		}
		return out200
	case status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout:
		if n, err := strconv.Atoi(retryAfter); err != nil || n < 1 {
			return outNoRA
		}
		if status == http.StatusServiceUnavailable {
			return out503RA
		}
		return out504RA
	case status == http.StatusUnprocessableEntity && kind == kindCold && perPolitician && slug == "not-eligible":
		return out422
	case status == http.StatusNotFound && kind == kindUnknown && slug == "not-found":
		return out404
	case status == http.StatusBadRequest && kind == kindInvalid && slug == "invalid-parameter":
		return out400
	case status >= 400 && status < 500:
		return outUnearned4xx
	case status >= 500:
		return out5xx
	}
	return outOther
}

// Files in the working directory the commands share.
const (
	fileHot    = "hot.txt"
	fileIDs    = "ids.txt"
	fileLoad   = "load.json"
	fileEvents = "events.jsonl"
	fileSettle = "settle.json"
	fileVerify = "verify.json"
	fileFaults = "faults.tsv"
	fileRSS    = "rss.tsv"
)

func readLines(dir, name string) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out, nil
}

func writeJSONFile(dir, name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), append(b, '\n'), 0o644)
}

func readJSONFile(dir, name string, v any) error {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// logf prints a progress line with the wall-clock time.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s chaos: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}
