package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/quantops/quant/internal/burst"
	"github.com/quantops/quant/internal/quant"
)

// Source is what the console reads and steers: a server's snapshot, its
// operator actions, and bursts against its API. LocalSource serves it in
// process, RemoteSource through the admin API.
type Source interface {
	// Snapshot returns the server's figures now.
	Snapshot(ctx context.Context) (*quant.Snapshot, error)
	// FlushCache empties the answer cache.
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

// runBurst lists the top politicians of the API at apiURL and fires spec
// at their analyses (or at the one URL of correlation and network; for
// compliance, at each politician's and at the ranking).
func runBurst(ctx context.Context, client *http.Client, apiURL string, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	if apiURL == "" {
		return nil, errors.New("monitor: no API URL to burst")
	}
	spec = spec.withDefaults()
	base := strings.TrimRight(apiURL, "/") + "/api/v1"
	var targets []string
	switch spec.Analysis {
	case string(quant.AnalysisCorrelation), string(quant.AnalysisNetwork):
		targets = []string{base + "/analytics/" + spec.Analysis}
	default:
		var list struct {
			Politicians []struct {
				ID              string `json:"id"`
				AnalyzableCount int    `json:"analyzable_count"`
			} `json:"politicians"`
		}
		if err := getJSON(ctx, client, base+"/politicians?sort=trades&limit="+fmt.Sprint(burstTargets), "", &list); err != nil {
			return nil, fmt.Errorf("monitor: list politicians for a burst: %w", err)
		}
		for _, p := range list.Politicians {
			if p.AnalyzableCount > 0 {
				targets = append(targets, base+"/analytics/"+url.PathEscape(spec.Analysis)+"/"+url.PathEscape(p.ID))
			}
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("monitor: no politician with analyzable trades to burst: %w", quant.ErrNotFound)
		}
		if spec.Analysis == string(quant.AnalysisCompliance) {
			targets = append(targets, base+"/analytics/"+spec.Analysis)
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

// FlushCache implements Source.
func (s *LocalSource) FlushCache(ctx context.Context) error { return s.Local.FlushCache(ctx) }

// SetBreaker implements Source.
func (s *LocalSource) SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error {
	return s.Local.SetBreaker(ctx, name, action, reason, until)
}

// Burst implements Source.
func (s *LocalSource) Burst(ctx context.Context, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	return runBurst(ctx, clientOr(s.Client), s.APIURL, spec, progress)
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
// actions through its admin API, bursts at its public API.
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

func (s *RemoteSource) admin(path string) string {
	return strings.TrimRight(s.AdminURL, "/") + "/admin/v1" + path
}

// Snapshot implements Source.
func (s *RemoteSource) Snapshot(ctx context.Context) (*quant.Snapshot, error) {
	var snap quant.Snapshot
	if err := getJSON(ctx, clientOr(s.Client), s.admin("/snapshot"), s.Token, &snap); err != nil {
		return nil, err
	}
	return &snap, nil
}

// FlushCache implements Source.
func (s *RemoteSource) FlushCache(ctx context.Context) error {
	return post(ctx, clientOr(s.Client), s.admin("/cache/flush"), s.Token)
}

// SetBreaker implements Source.
func (s *RemoteSource) SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error {
	q := url.Values{}
	if reason != "" {
		q.Set("reason", reason)
	}
	if !until.IsZero() {
		q.Set("until", until.UTC().Format(time.RFC3339))
	}
	u := s.admin("/breakers/" + url.PathEscape(name) + "/" + url.PathEscape(action))
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return post(ctx, clientOr(s.Client), u, s.Token)
}

// Burst implements Source.
func (s *RemoteSource) Burst(ctx context.Context, spec BurstSpec, progress func(burst.Result)) (*burst.Report, error) {
	return runBurst(ctx, clientOr(s.Client), s.APIURL, spec, progress)
}

// Name implements Source.
func (s *RemoteSource) Name() string { return "attached " + s.AdminURL }

// BurstTarget is the API a burst from the console goes to: the attached
// server's public API, which the console's prompt names.
func (s *RemoteSource) BurstTarget() string { return s.APIURL }

func getJSON(ctx context.Context, c *http.Client, u, token string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	resp, err := do(c, req, token)
	if err != nil {
		return err
	}
	defer func() {
		// Read the rest (the encoder's newline) so that the connection is
		// kept for the next poll instead of a new one each second.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
	}()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(v); err != nil {
		return fmt.Errorf("monitor: decode %s: %w", req.URL.Path, err)
	}
	return nil
}

func post(ctx context.Context, c *http.Client, u, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	resp, err := do(c, req, token)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.Body.Close()
}

// do sends req and turns an answer other than 2xx into an error that
// carries the problem's detail and, where one fits, a quant error kind.
func do(c *http.Client, req *http.Request, token string) (*http.Response, error) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("monitor: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&p)
	msg := p.Detail
	if msg == "" {
		msg = p.Title
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	err = fmt.Errorf("monitor: %s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, msg)
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fmt.Errorf("%w: %w", err, ErrUnauthorized)
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%w: %w", err, quant.ErrNotFound)
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnprocessableEntity:
		return nil, fmt.Errorf("%w: %w", err, quant.ErrInvalid)
	case resp.StatusCode == http.StatusServiceUnavailable:
		return nil, fmt.Errorf("%w: %w", err, quant.ErrUnavailable)
	}
	return nil, err
}

// ErrUnauthorized reports that the admin API refused the token.
var ErrUnauthorized = errors.New("monitor: unauthorized (check the admin token)")
