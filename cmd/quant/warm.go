package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quantops/quant/internal/client"
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

func runWarm(ctx context.Context, cmd *cobra.Command, base string, top int) error {
	// A 503 (a full job queue, a store not ready) is waited out: up to
	// ten more tries, as long as Retry-After says (at most 30 s).
	api := client.New(base, client.WithTimeout(time.Minute), client.WithRetry(11, 30*time.Second), client.WithUserAgent("quant-warm"))
	list, err := api.Politicians(ctx, client.PoliticianFilter{Sort: quant.SortTrades, Limit: top})
	if err != nil {
		return err
	}
	// Every analysis with its defaults: those answering without an id
	// once (correlation, network, the compliance ranking), then those
	// answering for one politician (compliance too) for each of them.
	var reqs []quant.Request
	for _, a := range quant.Analyses {
		if !a.PerPolitician() {
			reqs = append(reqs, quant.Request{Analysis: a})
		}
	}
	for _, p := range list.Politicians {
		for _, a := range quant.Analyses {
			if forEachPolitician(a) {
				reqs = append(reqs, quant.Request{Analysis: a, ID: p.ID})
			}
		}
	}
	start := time.Now()
	var bar *progressbar.ProgressBar
	if isTerminal(cmd.ErrOrStderr()) {
		bar = progressbar.NewOptions(len(reqs), progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionSetDescription("warming"), progressbar.OptionShowCount(),
			progressbar.OptionShowElapsedTimeOnFinish(), progressbar.OptionClearOnFinish())
	}
	pending := make([]string, 0, len(reqs))
	for _, r := range reqs {
		// A new job, not a recently done one: the point is to fill the
		// cache, which may have been flushed since that job ran.
		j, err := api.SubmitJob(ctx, r, client.SubmitOptions{Fresh: true})
		if err != nil {
			body, _ := json.Marshal(client.NewJobRequest(r))
			return fmt.Errorf("submit %s: %w", body, err)
		}
		pending = append(pending, j.ID)
	}
	outcomes := map[string]int{}
	var failures []string
	for wait := 100 * time.Millisecond; len(pending) > 0; wait = min(2*wait, time.Second) {
		left := pending[:0]
		for _, id := range pending {
			j, err := api.Job(ctx, id)
			if err != nil {
				return fmt.Errorf("job %s: %w", id, err)
			}
			switch {
			case j.Status == quant.JobDone:
				outcomes[string(j.Cache)]++
			case j.Status == quant.JobFailed && j.Error != nil && j.Error.Status == http.StatusUnprocessableEntity:
				outcomes["422"]++
			case j.Status == quant.JobFailed:
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
			return fmt.Errorf("%d of %d jobs unfinished: %w", len(pending), len(reqs), ctx.Err())
		case <-time.After(wait):
		}
	}
	if bar != nil {
		bar.Finish()
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "warmed %d analyses of %d politicians in %s:", len(reqs), len(list.Politicians), time.Since(start).Round(time.Millisecond))
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
