package ensemble

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.Analyzer = (*Service)(nil)

// Service answers analysis requests over a Store: it reads the store's
// Dataset, runs the analysis and encodes the answer. It keeps only what a
// dataset version determines (the DTW index); caching answers is the cache
// package's job, protecting the service the guard's.
//
// With a quant.People (WithPeople) it also knows identity: a request with
// MergePeople reads People.MergedDataset / MergedDisclosures instead of the
// store's, and the compliance ranking filters by party and state and adds
// its party and chamber figures (see the package doc).
type Service struct {
	store  quant.Store
	people quant.People // nil: no identity
	now    func() time.Time

	mu sync.Mutex // serializes index builds
	// dtw holds the DTW index of the ids' dataset ([0]) and of the merged
	// people's ([1]): the two share a dataset version, so the version
	// alone must not key them.
	dtw [2]atomic.Pointer[versionedIndex]
}

// versionedIndex is the DTW index of one dataset version.
type versionedIndex struct {
	version int64
	idx     *DTWIndex
}

// dtwIndex returns the DTW index of ds, building it once per dataset
// version and mode (merged people or ids; a few milliseconds on the real
// data; see BENCHMARKS.md).
func (s *Service) dtwIndex(ds *quant.Dataset, merged bool) *DTWIndex {
	slot := &s.dtw[0]
	if merged {
		slot = &s.dtw[1]
	}
	if v := slot.Load(); v != nil && v.version == ds.Version {
		return v.idx
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v := slot.Load(); v != nil && v.version == ds.Version {
		return v.idx
	}
	idx := NewDTWIndex(ds)
	slot.Store(&versionedIndex{version: ds.Version, idx: idx})
	return idx
}

// Option configures a Service.
type Option func(*Service)

// WithPeople gives the Service identity: p's Directory for the compliance
// ranking's party and state filters and its party and chamber figures,
// and p's merged Dataset and Disclosures for requests with MergePeople.
// A nil p leaves the Service without identity.
func WithPeople(p quant.People) Option {
	return func(s *Service) { s.people = p }
}

// NewService returns a Service over st. Without WithPeople, a request
// with MergePeople, Party or State is refused with an error wrapping
// quant.ErrUnavailable.
func NewService(st quant.Store, opts ...Option) *Service {
	s := &Service{store: st, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// errNoPeople is the refusal of a request that needs identity from a
// Service that has none.
func errNoPeople(req quant.Request, what string) error {
	return fmt.Errorf("ensemble: %s: %s needs the people directory (a quant.People; serve sets one, with --legislators for parties), and this service has none: %w",
		req.Analysis, what, quant.ErrUnavailable)
}

// Analyze implements quant.Analyzer.
func (s *Service) Analyze(ctx context.Context, q quant.Query) (*quant.Result, error) {
	req := q.Request
	var err error
	if s.people == nil {
		// The server checks these first; a Service is safe on its own.
		switch {
		case req.MergePeople:
			return nil, errNoPeople(req, "merging people (MergePeople)")
		case req.Party != "":
			return nil, errNoPeople(req, "the party filter")
		case req.State != "":
			return nil, errNoPeople(req, "the state filter")
		}
	}
	var (
		version int64
		answer  any
		start   time.Time
	)
	// A few times at most: an import that commits between the dataset
	// read and a politician or directory lookup leaves the snapshot behind
	// the store; each read is of the newer version (both are cached per
	// version), so steady ingest needs a few rounds, not one.
	for range snapshotReads {
		if req.Analysis == quant.AnalysisCompliance {
			// Compliance reads the records' disclosure facts, not the
			// weekly series.
			var d *quant.Disclosures
			if d, err = s.disclosures(ctx, req); err != nil {
				return nil, fmt.Errorf("ensemble: %s: %w", req.Analysis, err)
			}
			if err := expired(ctx); err != nil {
				return nil, fmt.Errorf("ensemble: %s: stopped before computing: %w", req.Analysis, err)
			}
			version, start = d.Version, time.Now()
			answer, err = s.compliance(ctx, d, req)
		} else {
			var ds *quant.Dataset
			if ds, err = s.dataset(ctx, req); err != nil {
				return nil, fmt.Errorf("ensemble: %s: %w", req.Analysis, err)
			}
			if err := expired(ctx); err != nil {
				return nil, fmt.Errorf("ensemble: %s: stopped before computing: %w", req.Analysis, err)
			}
			version, start = ds.Version, time.Now()
			answer, err = s.compute(ctx, ds, req)
		}
		if !errors.Is(err, errSnapshotBehind) {
			break
		}
	}
	if errors.Is(err, errSnapshotBehind) {
		return nil, &quant.UnavailableError{Reason: "the data changed during the request; retry", RetryAfter: time.Second}
	}
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(answer)
	if err != nil {
		return nil, fmt.Errorf("ensemble: %s: encode: %w", req.Analysis, err)
	}
	return &quant.Result{
		Analysis:       req.Analysis,
		Key:            q.Key(),
		Body:           body,
		DatasetVersion: version,
		ComputedAt:     s.now().UTC(),
		ComputeTime:    time.Since(start),
	}, nil
}

// dataset returns the Dataset req reads: the merged people's
// (People.MergedDataset) for MergePeople, else the store's.
func (s *Service) dataset(ctx context.Context, req quant.Request) (*quant.Dataset, error) {
	if req.MergePeople {
		return s.people.MergedDataset(ctx)
	}
	return s.store.Dataset(ctx)
}

// disclosures returns the Disclosures req reads, as dataset does.
func (s *Service) disclosures(ctx context.Context, req quant.Request) (*quant.Disclosures, error) {
	if req.MergePeople {
		return s.people.MergedDisclosures(ctx)
	}
	return s.store.Disclosures(ctx)
}

// seriesWeeks places a politician's series on the calendar.
type seriesWeeks struct {
	FirstWeek      string `json:"first_week"`       // first active week: y_p[0]
	LastWeek       string `json:"last_week"`        // the end of the axis: "now"
	LastActiveWeek string `json:"last_active_week"` // the latest week with a record
}

func weeksOf(act *quant.Activity, axis quant.Axis) seriesWeeks {
	return seriesWeeks{
		FirstWeek:      act.Weeks[0].Week.Format(time.DateOnly),
		LastWeek:       axis.End().Format(time.DateOnly),
		LastActiveWeek: act.Weeks[len(act.Weeks)-1].Week.Format(time.DateOnly),
	}
}

// The answers: the analysis' result with the request's id and the calendar
// of the series, field names as in testdata/analytics.
type (
	fourierAnswer struct {
		ID string `json:"id"`
		FourierResult
		seriesWeeks
	}
	hmmAnswer struct {
		ID string `json:"id"`
		HMMResult
		seriesWeeks
	}
	dtwAnswer struct {
		ID string `json:"id"`
		K  int    `json:"k"`
		DTWResult
	}
	ensembleAnswer struct {
		ID string `json:"id"`
		ForecastResult
		seriesWeeks
	}
)

func (s *Service) compute(ctx context.Context, ds *quant.Dataset, req quant.Request) (any, error) {
	switch req.Analysis {
	case quant.AnalysisCorrelation:
		if len(req.IDs) > 0 {
			var err error
			if ds, err = s.withInactive(ctx, ds, req); err != nil {
				return nil, err
			}
		}
		return Correlation(ctx, ds, req.IDs, req.Top)
	case quant.AnalysisNetwork:
		return Network(ctx, ds, req.MinWeight)
	}

	act, err := s.activity(ctx, ds, req)
	if err != nil {
		return nil, err
	}
	switch req.Analysis {
	case quant.AnalysisDTW:
		res, err := s.dtwIndex(ds, req.MergePeople).Nearest(ctx, req.ID, req.K)
		if err != nil {
			return nil, err
		}
		return dtwAnswer{ID: req.ID, K: req.K, DTWResult: res}, nil
	}
	y, err := Eligible(act, ds.Axis)
	if err != nil {
		return nil, err
	}
	weeks := weeksOf(act, ds.Axis)
	switch req.Analysis {
	case quant.AnalysisFourier:
		// One transform of n weeks (66 µs on the real data): Fourier
		// takes no context, the check before compute suffices.
		return fourierAnswer{ID: req.ID, FourierResult: Fourier(y), seriesWeeks: weeks}, nil
	case quant.AnalysisHMM:
		res, err := HMM(ctx, y)
		if err != nil {
			return nil, err
		}
		return hmmAnswer{ID: req.ID, HMMResult: res, seriesWeeks: weeks}, nil
	case quant.AnalysisEnsemble:
		res, err := Forecast(ctx, y, req.Horizon)
		if err != nil {
			return nil, err
		}
		return ensembleAnswer{ID: req.ID, ForecastResult: res, seriesWeeks: weeks}, nil
	}
	return nil, quant.Invalid("analysis", "unknown analysis %q", req.Analysis)
}

// compliance answers a compliance request over d: one politician's
// (req.ID set) or the ranking.
func (s *Service) compliance(ctx context.Context, d *quant.Disclosures, req quant.Request) (any, error) {
	if req.ID == "" {
		o := RankOptions{Chamber: req.Chamber, Party: req.Party, State: req.State, Merged: req.MergePeople}
		if s.people != nil {
			dir, err := s.people.Directory(ctx)
			if err != nil {
				return nil, fmt.Errorf("ensemble: %s: %w", req.Analysis, err)
			}
			// The directory matters with a filter or a table (the party and
			// chamber figures); it must then describe the records at hand.
			if req.Party != "" || req.State != "" || dir.Legislators != nil {
				if dir.Version != d.Version {
					return nil, errSnapshotBehind
				}
				o.Directory = dir
			}
		}
		return RankComplianceWith(ctx, d, req.MinRecords, req.Sort, req.Limit, o)
	}
	if p, ok := d.Find(req.ID); ok {
		return Compliance(ctx, p)
	}
	// No analyzable record: 404 when the store has no record of the id,
	// else 422 (records = 0, so known = 0).
	records, analyzable, err := s.lookup(ctx, req, d.Version, req.ID)
	if err != nil {
		return nil, err
	}
	if analyzable > 0 {
		return nil, errSnapshotBehind
	}
	return nil, noDisclosureDates("%s has %d records and none is analyzable (all of unknown type)", req.ID, records)
}

// lookup counts the stored records of id, which the dataset or
// disclosures at hand (of version) hold no analyzable record of: the
// store's politician, or with MergePeople the directory's person (id a
// bioguide id) or unresolved id. An id no record has, and in merge mode a
// resolved id (its person answers for it), is an error wrapping
// quant.ErrNotFound; a directory of another version than the data is
// errSnapshotBehind.
func (s *Service) lookup(ctx context.Context, req quant.Request, version int64, id string) (records, analyzable int, err error) {
	if req.MergePeople {
		dir, err := s.people.Directory(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("ensemble: %s: %w", req.Analysis, err)
		}
		if dir.Version != version {
			return 0, 0, errSnapshotBehind
		}
		if p, ok := dir.Person(id); ok {
			return p.Records, p.Analyzable, nil
		}
		if x, ok := dir.Identity(id); ok && x.Resolved() {
			return 0, 0, fmt.Errorf("ensemble: %s: people are merged and %s is one of the ids of %s, who answers for it: %w",
				req.Analysis, id, x.Bioguide, &quant.NotFoundError{What: "politician", ID: id})
		}
		// An unresolved id keeps its own records: the store counts them.
	}
	p, err := s.store.Politician(ctx, id)
	if err != nil {
		return 0, 0, fmt.Errorf("ensemble: %s: %w", req.Analysis, err)
	}
	return p.TradeCount, p.AnalyzableCount, nil
}

// snapshotReads bounds how often Analyze reads the data again when it
// moved during a request (errSnapshotBehind).
const snapshotReads = 4

// errSnapshotBehind: the store knows a politician with analyzable records
// that the dataset snapshot at hand lacks (an import committed after the
// snapshot was read). Analyze reads the dataset again.
var errSnapshotBehind = errors.New("ensemble: the dataset snapshot is behind the store")

// activity returns the politician's activity, or the error a client
// should see: 404 for an unknown id, 422 for a politician whose records
// are all of unknown type (stored, listed, never analyzed).
func (s *Service) activity(ctx context.Context, ds *quant.Dataset, req quant.Request) (*quant.Activity, error) {
	if act, ok := ds.Find(req.ID); ok {
		return act, nil
	}
	records, analyzable, err := s.lookup(ctx, req, ds.Version, req.ID)
	if err != nil {
		return nil, err
	}
	if analyzable > 0 {
		return nil, errSnapshotBehind
	}
	reason := quant.ReasonInsufficientHistory
	if req.Analysis == quant.AnalysisDTW {
		reason = quant.ReasonNotACandidate
	}
	return nil, &quant.NotEligibleError{Reason: reason,
		Detail: fmt.Sprintf("%s has %d records and none is analyzable (all of unknown type)", req.ID, records)}
}

// withInactive returns ds with an empty activity added for each of
// req.IDs that the store (or with MergePeople the directory) knows but
// that has no analyzable record: its series is all zeros, which
// correlation reports as null entries. An id the store does not know is a
// 404.
func (s *Service) withInactive(ctx context.Context, ds *quant.Dataset, req quant.Request) (*quant.Dataset, error) {
	var extra []quant.Activity
	for _, id := range req.IDs {
		if _, ok := ds.Find(id); ok {
			continue
		}
		_, analyzable, err := s.lookup(ctx, req, ds.Version, id)
		if err != nil {
			return nil, err
		}
		if analyzable > 0 {
			return nil, errSnapshotBehind
		}
		extra = append(extra, quant.Activity{ID: id})
	}
	if len(extra) == 0 {
		return ds, nil
	}
	acts := append(slices.Clip(ds.Activities), extra...)
	slices.SortFunc(acts, func(a, b quant.Activity) int { return strings.Compare(a.ID, b.ID) })
	out := *ds
	out.Activities = acts
	return &out, nil
}
