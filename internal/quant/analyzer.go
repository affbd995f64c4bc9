package quant

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Analysis names one of the analyses of ANALYTICS.md.
type Analysis string

// The analyses. Each has its own breaker, cache lifetime and pool.
const (
	AnalysisFourier     Analysis = "fourier"
	AnalysisHMM         Analysis = "hmm"
	AnalysisDTW         Analysis = "dtw"
	AnalysisEnsemble    Analysis = "ensemble"
	AnalysisCorrelation Analysis = "correlation"
	AnalysisNetwork     Analysis = "network"
)

// Analyses lists every Analysis in a stable order.
var Analyses = []Analysis{AnalysisFourier, AnalysisHMM, AnalysisDTW, AnalysisEnsemble, AnalysisCorrelation, AnalysisNetwork}

// PerPolitician reports whether the analysis answers for one politician id.
func (a Analysis) PerPolitician() bool {
	return a == AnalysisFourier || a == AnalysisHMM || a == AnalysisDTW || a == AnalysisEnsemble
}

// Valid reports whether a is one of the Analyses.
func (a Analysis) Valid() bool { return slices.Contains(Analyses, a) }

// Parameter bounds and defaults of ANALYTICS.md sections 6-9.
const (
	DefaultK         = 5
	MaxK             = 50
	DefaultHorizon   = 4
	MaxHorizon       = 26
	DefaultTop       = 20
	MinSetSize       = 2
	MaxSetSize       = 100
	DefaultMinWeight = 0.1
)

// Request asks for one analysis. Only the fields of its Analysis count;
// Normalize fills their defaults and checks them.
type Request struct {
	Analysis Analysis
	ID       string // fourier, hmm, dtw, ensemble: the politician
	K        int    // dtw: neighbours, 1..50 (default 5)
	Horizon  int    // ensemble: weeks ahead, 1..26 (default 4)
	// correlation: the set is IDs (2..100 distinct, in order) when given,
	// else the Top (2..100, default 20) politicians by analyzable records.
	IDs       []string
	Top       int
	MinWeight float64 // network: 0 < w <= 1 (default 0.1)
}

// Normalize returns r with the defaults of its analysis filled in and the
// fields other analyses use cleared, or a *ParamError naming the first bad
// parameter.
func (r Request) Normalize() (Request, error) {
	out := Request{Analysis: r.Analysis}
	if r.Analysis.PerPolitician() {
		if r.ID == "" {
			return out, Invalid("id", "is required")
		}
		out.ID = r.ID
	}
	switch r.Analysis {
	case AnalysisFourier, AnalysisHMM:
	case AnalysisDTW:
		out.K = cmpOr(r.K, DefaultK)
		if out.K < 1 || out.K > MaxK {
			return out, Invalid("k", "must be in 1..%d, got %d", MaxK, out.K)
		}
	case AnalysisEnsemble:
		out.Horizon = cmpOr(r.Horizon, DefaultHorizon)
		if out.Horizon < 1 || out.Horizon > MaxHorizon {
			return out, Invalid("horizon", "must be in 1..%d weeks, got %d", MaxHorizon, out.Horizon)
		}
	case AnalysisCorrelation:
		if len(r.IDs) > 0 {
			if r.Top != 0 {
				return out, Invalid("top", "give ids or top, not both")
			}
			if len(r.IDs) < MinSetSize || len(r.IDs) > MaxSetSize {
				return out, Invalid("ids", "must name %d..%d politicians, got %d", MinSetSize, MaxSetSize, len(r.IDs))
			}
			seen := make(map[string]bool, len(r.IDs))
			for _, id := range r.IDs {
				if id == "" {
					return out, Invalid("ids", "holds an empty id")
				}
				if seen[id] {
					return out, Invalid("ids", "names %q twice", id)
				}
				seen[id] = true
			}
			out.IDs = slices.Clone(r.IDs)
			break
		}
		out.Top = cmpOr(r.Top, DefaultTop)
		if out.Top < MinSetSize || out.Top > MaxSetSize {
			return out, Invalid("top", "must be in %d..%d, got %d", MinSetSize, MaxSetSize, out.Top)
		}
	case AnalysisNetwork:
		out.MinWeight = r.MinWeight
		if out.MinWeight == 0 {
			out.MinWeight = DefaultMinWeight
		}
		if !(out.MinWeight > 0 && out.MinWeight <= 1) {
			return out, Invalid("min_weight", "must satisfy 0 < min_weight <= 1, got %v", out.MinWeight)
		}
	default:
		return out, Invalid("analysis", "unknown analysis %q", r.Analysis)
	}
	return out, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Key returns a canonical text for a normalized request: the analysis and
// every parameter that changes its answer. Cache keys add the dataset
// version to it.
func (r Request) Key() string {
	var b strings.Builder
	b.WriteString(string(r.Analysis))
	switch r.Analysis {
	case AnalysisFourier, AnalysisHMM:
		b.WriteString("/" + r.ID)
	case AnalysisDTW:
		fmt.Fprintf(&b, "/%s?k=%d", r.ID, r.K)
	case AnalysisEnsemble:
		fmt.Fprintf(&b, "/%s?horizon=%d", r.ID, r.Horizon)
	case AnalysisCorrelation:
		if len(r.IDs) > 0 {
			b.WriteString("?ids=" + strings.Join(r.IDs, ","))
		} else {
			fmt.Fprintf(&b, "?top=%d", r.Top)
		}
	case AnalysisNetwork:
		b.WriteString("?min_weight=" + strconv.FormatFloat(r.MinWeight, 'g', -1, 64))
	}
	return b.String()
}

// Result is an analysis' answer: its JSON body (an object) and where it
// came from. A Result is immutable once returned; caches share it.
type Result struct {
	Analysis       Analysis
	Key            string // the request's Key
	Body           []byte // the answer as a JSON object
	DatasetVersion int64
	ComputedAt     time.Time
	ComputeTime    time.Duration
	// Status is set by the decorators that serve a Result from elsewhere
	// than a computation for this call; they return a shallow copy, never
	// modify a shared Result.
	Status CacheStatus
}

// WithStatus returns a shallow copy of r with Status set.
func (r *Result) WithStatus(s CacheStatus) *Result {
	c := *r
	c.Status = s
	return &c
}

// Analyzer answers analysis requests. The ensemble package implements it
// over a Store; the guard and the cache wrap one Analyzer in another.
type Analyzer interface {
	// Analyze answers req (which it normalizes first). Errors wrap the
	// kinds of this package: ErrInvalid (a *ParamError), ErrNotFound,
	// ErrNotEligible (a *NotEligibleError), ErrUnavailable, ErrTimeout.
	Analyze(ctx context.Context, req Request) (*Result, error)
}
