package monitor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/quant"
)

// Source is what the console reads and steers: a server's snapshot, its
// operator actions, and bursts against its API. LocalSource serves it in
// process, RemoteSource through the admin API.
type Source interface {
	// Snapshot returns the server's figures now.
	Snapshot(ctx context.Context) (*quant.Snapshot, error)
	// FlushCache empties the answer cache, every analysis of it (the
	// console's flush key), with ConsoleFlushReason as its reason.
	FlushCache(ctx context.Context) error
	// SetBreaker forces the named breaker ("open", "close") or returns it
	// to automatic operation ("auto"), with a reason and an optional expiry
	// (zero: none).
	SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error
	// Burst fires a closed-loop burst at the server's API and calls
	// progress (if not nil) for each result as it arrives, from one
	// goroutine.
	Burst(ctx context.Context, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error)
	// Name describes the source for a person ("local :8080", "admin at http://...").
	Name() string
}

var (
	_ Source = (*LocalSource)(nil)
	_ Source = (*RemoteSource)(nil)
)

// BurstSpec is a console burst: Requests requests with Concurrency workers
// against one analysis of the top politicians.
type BurstSpec struct {
	// Requests and Concurrency default to 10 (the old system's test).
	Requests    int
	Concurrency int
	// Analysis defaults to ensemble.
	Analysis string
}

// DefaultBurst is the old system's test: 10 ensemble requests at once.
var DefaultBurst = BurstSpec{Requests: 10, Concurrency: 10, Analysis: string(quant.AnalysisEnsemble)}

func (b BurstSpec) withDefaults() BurstSpec {
	if b.Requests <= 0 {
		b.Requests = DefaultBurst.Requests
	}
	if b.Concurrency <= 0 {
		b.Concurrency = DefaultBurst.Concurrency
	}
	if b.Analysis == "" {
		b.Analysis = DefaultBurst.Analysis
	}
	return b
}

// burstTargets is how many of the top politicians a burst spreads over.
const burstTargets = 10

// runBurst lists the top politicians of api's server and fires spec at
// their analyses (or at the one URL of correlation and network; for
// compliance, at each politician's and at the ranking).
func runBurst(ctx context.Context, api *client.Client, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	if api.BaseURL() == "" {
		return nil, errors.New("monitor: no API URL to burst")
	}
	spec = spec.withDefaults()
	a := quant.Analysis(spec.Analysis)
	var targets []string
	switch a {
	case quant.AnalysisCorrelation, quant.AnalysisNetwork:
		targets = []string{api.AnalysisURL(quant.Request{Analysis: a})}
	default:
		list, err := api.Politicians(ctx, client.PoliticianFilter{Sort: quant.SortTrades, Limit: burstTargets})
		if err != nil {
			return nil, fmt.Errorf("monitor: list politicians for a burst: %w", err)
		}
		for _, p := range list.Politicians {
			if p.AnalyzableCount > 0 {
				targets = append(targets, api.AnalysisURL(quant.Request{Analysis: a, ID: p.ID}))
			}
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("monitor: no politician with analyzable trades to burst: %w", quant.ErrNotFound)
		}
		if a == quant.AnalysisCompliance {
			targets = append(targets, api.AnalysisURL(quant.Request{Analysis: a}))
		}
	}
	return burst.Run(ctx, burst.Config{Targets: targets, Requests: spec.Requests, Concurrency: spec.Concurrency}, progress)
}

// LocalSource is the console's Source in process: figures and actions go
// to a Local, bursts to the API this process serves, over loopback HTTP.
type LocalSource struct {
	Local *Local
	// APIURL is where this process serves its API ("http://127.0.0.1:8080").
	APIURL string
	// Client lists the politicians before a burst (nil: a client with a 10 s timeout).
	Client *http.Client
}

// Snapshot implements Source.
func (s *LocalSource) Snapshot(ctx context.Context) (*quant.Snapshot, error) {
	return s.Local.Snapshot(ctx)
}

// ConsoleFlushReason is the reason the console's flush gives, which the
// servers log.
const ConsoleFlushReason = "console flush key"

// FlushCache implements Source.
func (s *LocalSource) FlushCache(ctx context.Context) error {
	_, err := s.Local.FlushCache(ctx, quant.CacheSelection{}, ConsoleFlushReason)
	return err
}

// SetBreaker implements Source.
func (s *LocalSource) SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error {
	return s.Local.SetBreaker(ctx, name, action, reason, until)
}

// Burst implements Source.
func (s *LocalSource) Burst(ctx context.Context, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	return runBurst(ctx, client.New(s.APIURL, client.WithHTTPClient(clientOr(s.Client))), spec, progress)
}

// Name implements Source.
func (s *LocalSource) Name() string {
	if s.APIURL == "" {
		return "local"
	}
	return "local " + s.APIURL
}

func clientOr(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// RemoteSource is the console's Source for a server elsewhere: figures and
// actions through its admin API, bursts at its public API, both by way of
// internal/client.
type RemoteSource struct {
	// AdminURL is the admin API's base ("http://host:9090").
	AdminURL string
	// APIURL is the public API's base ("http://host:8080"); bursts need it.
	APIURL string
	// Token is the admin bearer token (QUANT_ADMIN_TOKEN; "" sends none).
	Token string
	// Client sends the admin requests (nil: a client with a 10 s timeout).
	Client *http.Client
}

// NewRemoteSource returns a RemoteSource with an http.Client that gives up
// on a request after timeout (default 10 s).
func NewRemoteSource(adminURL, apiURL, token string, timeout time.Duration) *RemoteSource {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = timeout
	tr.MaxIdleConnsPerHost = 4
	return &RemoteSource{AdminURL: adminURL, APIURL: apiURL, Token: token, Client: &http.Client{Timeout: timeout, Transport: tr}}
}

// api is the client of the server's admin and public APIs.
func (s *RemoteSource) api() *client.Client {
	return client.New(s.APIURL, client.WithHTTPClient(clientOr(s.Client)), client.WithAdmin(s.AdminURL, s.Token), client.WithUserAgent("quant-console"))
}

// remoteError puts the package's prefix on a client error and, when the
// server refused the token, says what to check.
func remoteError(err error) error {
	if errors.Is(err, ErrUnauthorized) {
		return fmt.Errorf("monitor: %w (check the admin token)", err)
	}
	return fmt.Errorf("monitor: %w", err)
}

// Snapshot implements Source.
func (s *RemoteSource) Snapshot(ctx context.Context) (*quant.Snapshot, error) {
	snap, err := s.api().Snapshot(ctx)
	if err != nil {
		return nil, remoteError(err)
	}
	return snap, nil
}

// FlushCache implements Source.
func (s *RemoteSource) FlushCache(ctx context.Context) error {
	if _, err := s.api().Flush(ctx, client.FlushOptions{Reason: ConsoleFlushReason}); err != nil {
		return remoteError(err)
	}
	return nil
}

// SetBreaker implements Source.
func (s *RemoteSource) SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error {
	if err := s.api().SetBreaker(ctx, name, client.BreakerAction(action), reason, until); err != nil {
		return remoteError(err)
	}
	return nil
}

// Burst implements Source.
func (s *RemoteSource) Burst(ctx context.Context, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	return runBurst(ctx, s.api(), spec, progress)
}

// Name implements Source.
func (s *RemoteSource) Name() string { return "attached " + s.AdminURL }

// BurstTarget is the API a burst from the console goes to: the attached
// server's public API, which the console's prompt names.
func (s *RemoteSource) BurstTarget() string { return s.APIURL }

// ErrUnauthorized reports that the admin API refused the token; it is
// client.ErrUnauthorized, which a 401 or 403 unwraps to.
var ErrUnauthorized = client.ErrUnauthorized
