package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func newWarmCmd() *cobra.Command {
	var (
		base    string
		top     int
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "warm",
		Short: "Precompute analyses into a running server's cache, through its jobs API",
		Long: `Submit a job (POST /api/v1/jobs) for every analysis of the server's N most
active politicians (fourier, hmm, dtw, ensemble and compliance with default
parameters) and for the default correlation, network and compliance
ranking, then follow the jobs until all are finished, with a progress bar
on a terminal.

Any instance sharing the server's store may run the jobs; they go through
the normal request path (cache, coalescing, bulkheads, breakers), so
warming never overloads the servers, and an answer already cached costs
nothing. The summary counts the answers by origin (MISS: computed now,
HIT: already cached) and the jobs that failed: 422 for a politician the
analysis does not apply to (not an error: compliance answers it for every
politician of data without disclosure dates, such as the Senate CSV),
anything else makes the exit status 1.`,
		Example: `  quant warm --url http://127.0.0.1:8080 --top 20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if top < 1 || top > 1000 {
				return fmt.Errorf("--top must be in 1..1000, got %d", top)
			}
			if timeout <= 0 {
				return fmt.Errorf("--timeout must be positive, got %v", timeout)
			}
			u, err := url.Parse(base)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("--url %q: want http://host:port", base)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			return runWarm(ctx, cmd, strings.TrimRight(base, "/"), top)
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "url", "http://127.0.0.1:8080", "base URL of the server's API")
	f.IntVar(&top, "top", 20, "how many of the most active politicians to warm")
	f.DurationVar(&timeout, "timeout", 30*time.Minute, "give up on the whole warm-up after this long")
	return cmd
}

// warmJob is the part of a job the warm-up reads.
type warmJob struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Cache  string `json:"cache"`
	Error  *struct {
		Status int    `json:"status"`
		Detail string `json:"detail"`
	} `json:"error"`
}

func runWarm(ctx context.Context, cmd *cobra.Command, base string, top int) error {
	client := &http.Client{Timeout: time.Minute}
	var list struct {
		Politicians []struct {
			ID string `json:"id"`
		} `json:"politicians"`
	}
	if err := warmCall(ctx, client, http.MethodGet, fmt.Sprintf("%s/api/v1/politicians?sort=trades&limit=%d", base, top), nil, &list); err != nil {
		return err
	}
	// Every analysis with its defaults: those answering without an id
	// once (correlation, network, the compliance ranking), then those
	// answering for one politician (compliance too) for each of them.
	var bodies []string
	for _, a := range quant.Analyses {
		if !a.PerPolitician() {
			bodies = append(bodies, fmt.Sprintf(`{"analysis":%q}`, a))
		}
	}
	for _, p := range list.Politicians {
		for _, a := range quant.Analyses {
			if forEachPolitician(a) {
				bodies = append(bodies, fmt.Sprintf(`{"analysis":%q,"id":%q}`, a, p.ID))
			}
		}
	}
	start := time.Now()
	var bar *progressbar.ProgressBar
	if isTerminal(cmd.ErrOrStderr()) {
		bar = progressbar.NewOptions(len(bodies), progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionSetDescription("warming"), progressbar.OptionShowCount(),
			progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
	}
	pending := make([]string, 0, len(bodies))
	for _, b := range bodies {
		var j warmJob
		if err := warmCall(ctx, client, http.MethodPost, base+"/api/v1/jobs", []byte(b), &j); err != nil {
			return fmt.Errorf("submit %s: %w", b, err)
		}
		pending = append(pending, j.ID)
	}
	outcomes := map[string]int{}
	var failures []string
	for wait := 100 * time.Millisecond; len(pending) > 0; wait = min(2*wait, time.Second) {
		left := pending[:0]
		for _, id := range pending {
			var j warmJob
			if err := warmCall(ctx, client, http.MethodGet, base+"/api/v1/jobs/"+id, nil, &j); err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
			switch {
			case j.Status == "done":
				outcomes[j.Cache]++
			case j.Status == "failed" && j.Error != nil && j.Error.Status == http.StatusUnprocessableEntity:
				outcomes["422"]++
			case j.Status == "failed":
				outcomes["failed"]++
				if j.Error != nil {
					failures = append(failures, fmt.Sprintf("job %s: %d %s", id, j.Error.Status, j.Error.Detail))
				}
			default:
				left = append(left, id)
				continue
			}
			if bar != nil {
				bar.Add(1)
			}
		}
		pending = left
		if len(pending) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d jobs unfinished: %w", len(pending), len(bodies), ctx.Err())
		case <-time.After(wait):
		}
	}
	if bar != nil {
		bar.Finish()
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "warmed %d analyses of %d politicians in %s:", len(bodies), len(list.Politicians), time.Since(start).Round(time.Millisecond))
	for _, k := range []string{"MISS", "COALESCED", "HIT", "STALE", "422", "failed"} {
		if n := outcomes[k]; n > 0 {
			fmt.Fprintf(out, " %s %d", k, n)
		}
	}
	fmt.Fprintln(out)
	for _, f := range failures {
		fmt.Fprintln(cmd.ErrOrStderr(), f)
	}
	if outcomes["failed"] > 0 {
		return &exitError{code: 1}
	}
	return nil
}

// warmCall sends one request and decodes its JSON answer into v, waiting
// out 503s (Retry-After, up to 10 tries).
func warmCall(ctx context.Context, client *http.Client, method, u string, body []byte, v any) error {
	for try := 0; ; try++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
			// A new job, not a recently done one: the point is to fill the
			// cache, which may have been flushed since that job ran.
			req.Header.Set("Cache-Control", "no-cache")
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return err
		}
		switch {
		case resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusAccepted:
			return json.Unmarshal(b, v)
		case resp.StatusCode == http.StatusServiceUnavailable && try < 10:
			wait, err := time.ParseDuration(resp.Header.Get("Retry-After") + "s")
			if err != nil || wait <= 0 {
				wait = time.Second
			}
			select {
			case <-time.After(min(wait, 30*time.Second)):
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, bytes.TrimSpace(b))
		}
	}
}
