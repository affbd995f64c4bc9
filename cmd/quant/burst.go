package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/quant"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// burstFlags are the settings of `quant burst`.
type burstFlags struct {
	url, analysis, adminURL, adminToken, urlsFile string
	ids                                           []string
	top, n, c                                     int
	cold, jsonOut                                 bool
	rate                                          float64
	duration, timeout                             time.Duration
}

func newBurstCmd() *cobra.Command {
	var f burstFlags
	cmd := &cobra.Command{
		Use:   "burst",
		Short: "Fire concurrent requests at a server and report what came back",
		Long: `Fire concurrent requests at a running server (like hey or vegeta) and
report the old system's table (success rate, average response, throughput,
cache hit rate) with status codes, errors by kind, latency percentiles,
X-Cache counts and a latency histogram.

Closed loop: -n requests from -c workers, each sending its next request
when the last is answered. Open loop: --rate requests per second for
--duration, whatever the answers take. Targets: one analysis (or "all") over
the given --ids or the --top most active politicians, or the URLs of
--urls-file. --cold flushes the server's cache through its admin API first.`,
		Example: `  quant burst -n 10 -c 10 --cold                 # the old system's test: 10 concurrent ensemble requests
  quant burst -n 10000 -c 1000 --analysis all --top 0
  quant burst --rate 200 --duration 30s --analysis hmm
  quant burst -n 200 -c 20 --analysis compliance --top 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runBurst(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "http://127.0.0.1:8080", "base URL of the server's API")
	fl.IntVarP(&f.n, "requests", "n", 100, "requests to send (closed loop)")
	fl.IntVarP(&f.c, "concurrency", "c", 10, "workers (closed loop) or most requests in flight (open loop)")
	fl.StringVar(&f.analysis, "analysis", "ensemble", "fourier, hmm, dtw, ensemble, correlation, network, compliance (each politician's and the ranking), or all")
	fl.StringSliceVar(&f.ids, "ids", nil, "politicians to target (default: the --top most active)")
	fl.IntVar(&f.top, "top", 10, "with no --ids, target this many of the most active politicians (0: all)")
	fl.StringVar(&f.urlsFile, "urls-file", "", "request these URLs (one per line) instead of an analysis")
	fl.BoolVar(&f.cold, "cold", false, "flush the server's cache through its admin API first")
	fl.StringVar(&f.adminURL, "admin-url", "", "the server's admin API (for --cold; default: --url's host, port 9090)")
	fl.StringVar(&f.adminToken, "admin-token", "", "bearer token of the admin API (QUANT_ADMIN_TOKEN)")
	fl.Float64Var(&f.rate, "rate", 0, "requests per second (open loop; needs --duration)")
	fl.DurationVar(&f.duration, "duration", 0, "how long an open loop runs")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "give up on one request after this long")
	fl.BoolVar(&f.jsonOut, "json", false, "print the report as one JSON object")
	return cmd
}

func runBurst(cmd *cobra.Command, f *burstFlags) error {
	ctx := cmd.Context()
	base := strings.TrimRight(f.url, "/")
	if u, err := url.Parse(base); err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port", f.url)
	}
	// The settings are checked before the server is asked for anything.
	cfg := burst.Config{Targets: []string{base}, Requests: f.n, Concurrency: f.c, Rate: f.rate, Duration: f.duration, Timeout: f.timeout}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("-n %d -c %d --rate %v --duration %v: %w", f.n, f.c, f.rate, f.duration, err)
	}
	// The calls before the burst (listing politicians, flushing the cache)
	// give up after --timeout like the burst's requests: a hung server
	// must not hang the command before it has sent anything.
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	admin := f.adminURL
	if admin == "" {
		admin = burstAdminURL(base)
	}
	api := client.New(base, client.WithTimeout(timeout), client.WithAdmin(admin, f.adminToken), client.WithUserAgent("quant-burst"))
	targets, err := burstTargets(ctx, api, f)
	if err != nil {
		return err
	}
	cfg.Targets = targets
	if f.cold {
		var ns *quant.NotSharedError
		switch err := api.FlushCache(ctx); {
		case errors.As(err, &ns):
			// Flushed on the instance this burst targets; the others keep
			// theirs, which this burst does not reach.
			fmt.Fprintf(cmd.ErrOrStderr(), "quant burst: warning: --cold: %s\n", ns.What)
		case err != nil:
			return fmt.Errorf("--cold: %w", err)
		}
	}
	var bar *progressbar.ProgressBar
	if isTerminal(cmd.ErrOrStderr()) {
		total := int64(f.n)
		if f.rate > 0 {
			total = int64(math.Ceil(f.rate * f.duration.Seconds()))
		}
		bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(cmd.ErrOrStderr()), progressbar.OptionShowCount(),
			progressbar.OptionSetDescription("burst"), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	rep, err := burst.Run(ctx, cfg, func(burst.Result) {
		if bar != nil {
			bar.Add(1)
		}
	})
	if bar != nil {
		bar.Finish()
	}
	if rep == nil {
		return err
	}
	if m := rep.Shortfall(); m != "" && f.jsonOut {
		// The text report carries the warning; JSON goes to a file or a
		// pipe, where a person would not see it.
		fmt.Fprintf(cmd.ErrOrStderr(), "quant burst: warning: %s\n", m)
	}
	if f.jsonOut {
		enc := json.NewEncoder(cmd.OutOrStdout())
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "target        %s (%d URLs)\n", describeTargets(f), len(targets))
		rep.WriteText(cmd.OutOrStdout())
	}
	return err
}

func describeTargets(f *burstFlags) string {
	if f.urlsFile != "" {
		return f.urlsFile
	}
	return f.analysis
}

// burstTargets builds the URLs of a burst.
func burstTargets(ctx context.Context, api *client.Client, f *burstFlags) ([]string, error) {
	if f.urlsFile != "" {
		file, err := os.Open(f.urlsFile)
		if err != nil {
			return nil, fmt.Errorf("--urls-file: %w", err)
		}
		defer file.Close()
		var out []string
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("--urls-file %s: no URLs", f.urlsFile)
		}
		return out, sc.Err()
	}
	var analyses []quant.Analysis
	if f.analysis == "all" {
		analyses = quant.Analyses
	} else if a := quant.Analysis(f.analysis); a.Valid() {
		analyses = []quant.Analysis{a}
	} else {
		return nil, fmt.Errorf("--analysis %q: want one of %v or all", f.analysis, quant.Analyses)
	}
	ids := f.ids
	needIDs := false
	for _, a := range analyses {
		needIDs = needIDs || forEachPolitician(a)
	}
	if needIDs && len(ids) == 0 {
		var err error
		if ids, err = mostActive(ctx, api, f.top); err != nil {
			return nil, err
		}
	}
	var out []string
	for _, id := range ids {
		for _, a := range analyses {
			if forEachPolitician(a) {
				out = append(out, api.AnalysisURL(quant.Request{Analysis: a, ID: id}))
			}
		}
	}
	for _, a := range analyses {
		if !a.PerPolitician() {
			out = append(out, api.AnalysisURL(quant.Request{Analysis: a}))
		}
	}
	return out, nil
}

// forEachPolitician reports whether a burst or a warm-up of a asks for
// each target politician's answer: the per-politician analyses, and
// compliance, which answers for one politician as well as for everyone
// (its ranking, asked once like correlation and network).
func forEachPolitician(a quant.Analysis) bool {
	return a.PerPolitician() || a == quant.AnalysisCompliance
}

// mostActive asks the server for its top politicians by trades (0: all).
func mostActive(ctx context.Context, api *client.Client, top int) ([]string, error) {
	if top < 0 {
		return nil, fmt.Errorf("--top must be >= 0, got %d", top)
	}
	f := client.PoliticianFilter{Sort: quant.SortTrades}
	if top > 0 {
		f.Limit = min(1000, top)
	}
	var ids []string
	for p, err := range api.AllPoliticians(ctx, f) {
		if err != nil {
			return nil, fmt.Errorf("list politicians: %w", err)
		}
		ids = append(ids, p.ID)
		if top > 0 && len(ids) >= top {
			break
		}
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("the server at %s lists no politicians", api.BaseURL())
	}
	return ids, nil
}

// burstAdminURL is where --cold looks for the admin API when --admin-url
// is not given: --url's host, port 9090, as `quant console --attach` does.
// A fixed 127.0.0.1:9090 flushed a local server's cache whatever --url
// named.
func burstAdminURL(api string) string {
	u, err := url.Parse(api)
	if err != nil || u.Host == "" {
		return "http://127.0.0.1:9090"
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "9090")
}
