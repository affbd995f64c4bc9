package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func newWarmCmd() *cobra.Command {
	var (
		base        string
		top         int
		concurrency int
		timeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "warm",
		Short: "Precompute analyses into a running server's cache",
		Long: `Ask a running server for every analysis of its N most active politicians
(fourier, hmm, dtw, ensemble with default parameters) and for the default
correlation and network, so that their answers are cached before clients
ask. Requests go through the server's normal request path (cache,
coalescing, bulkheads), so warming never overloads it: a 503 is retried
after its Retry-After.`,
		Example: `  quant warm --url http://127.0.0.1:8080 --top 20`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if top < 1 || top > 1000 {
				return fmt.Errorf("--top must be in 1..1000, got %d", top)
			}
			if concurrency < 1 {
				return fmt.Errorf("--concurrency must be >= 1, got %d", concurrency)
			}
			u, err := url.Parse(base)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("--url %q: want http://host:port", base)
			}
			return runWarm(cmd.Context(), cmd, strings.TrimRight(base, "/"), top, concurrency, timeout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "url", "http://127.0.0.1:8080", "base URL of the server's API")
	f.IntVar(&top, "top", 20, "how many of the most active politicians to warm")
	f.IntVar(&concurrency, "concurrency", 4, "requests in flight at once")
	f.DurationVar(&timeout, "timeout", 5*time.Minute, "give up on one request after this long")
	return cmd
}

func runWarm(ctx context.Context, cmd *cobra.Command, base string, top, concurrency int, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get(fmt.Sprintf("%s/api/v1/politicians?sort=trades&limit=%d", base, top))
	if err != nil {
		return err
	}
	var list struct {
		Politicians []struct {
			ID string `json:"id"`
		} `json:"politicians"`
	}
	err = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		return fmt.Errorf("%s/api/v1/politicians: %s %v", base, resp.Status, err)
	}
	paths := []string{"/api/v1/analytics/correlation", "/api/v1/analytics/network"}
	for _, p := range list.Politicians {
		for _, a := range []string{"fourier", "hmm", "dtw", "ensemble"} {
			paths = append(paths, "/api/v1/analytics/"+a+"/"+p.ID)
		}
	}
	var bar *progressbar.ProgressBar
	if isTerminal(cmd.ErrOrStderr()) {
		bar = progressbar.NewOptions(len(paths), progressbar.OptionSetWriter(cmd.ErrOrStderr()),
			progressbar.OptionSetDescription("warming"), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
	}
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		work     = make(chan string)
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for p := range work {
				o := warmOne(ctx, client, base+p)
				mu.Lock()
				outcomes[o]++
				mu.Unlock()
				if bar != nil {
					bar.Add(1)
				}
			}
		})
	}
	for _, p := range paths {
		select {
		case work <- p:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if bar != nil {
		bar.Finish()
	}
	fmt.Fprintf(cmd.OutOrStdout(), "warmed %d analyses of %d politicians in %s:", len(paths), len(list.Politicians), time.Since(start).Round(time.Millisecond))
	for _, k := range []string{"MISS", "COALESCED", "HIT", "STALE", "422", "failed"} {
		if n := outcomes[k]; n > 0 {
			fmt.Fprintf(cmd.OutOrStdout(), " %s %d", k, n)
		}
	}
	fmt.Fprintln(cmd.OutOrStdout())
	if outcomes["failed"] > 0 {
		return &exitError{code: 1}
	}
	return ctx.Err()
}

// warmOne requests one analysis until it is answered, honouring
// Retry-After on 503 (up to 10 tries); it returns the X-Cache status, "422"
// for an ineligible politician, or "failed".
func warmOne(ctx context.Context, client *http.Client, u string) string {
	for try := 0; try < 10; try++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := client.Do(req)
		if err != nil {
			return "failed"
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusOK:
			return resp.Header.Get("X-Cache")
		case http.StatusUnprocessableEntity:
			return "422"
		case http.StatusServiceUnavailable:
			wait, err := time.ParseDuration(resp.Header.Get("Retry-After") + "s")
			if err != nil || wait <= 0 {
				wait = time.Second
			}
			select {
			case <-time.After(min(wait, 30*time.Second)):
			case <-ctx.Done():
				return "failed"
			}
		default:
			return "failed"
		}
	}
	return "failed"
}
