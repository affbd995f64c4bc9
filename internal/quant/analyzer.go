package quant

import (
	"context"
	"fmt"
	"net/url"
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
	// AnalysisCompliance is the STOCK Act disclosure lag of ANALYTICS.md
	// section 11: one politician's (Request.ID set) or the ranking of
	// every politician (ID empty; MinRecords, Sort, Limit, Chamber).
	AnalysisCompliance Analysis = "compliance"
)

// Analyses lists every Analysis in a stable order.
var Analyses = []Analysis{AnalysisFourier, AnalysisHMM, AnalysisDTW, AnalysisEnsemble, AnalysisCorrelation, AnalysisNetwork, AnalysisCompliance}

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

	// The compliance ranking's bounds (ANALYTICS.md section 11).
	DefaultMinRecords = 10
	MaxMinRecords     = 1000
	DefaultRankLimit  = 20
	MaxRankLimit      = 500
)

// ComplianceSort orders the compliance ranking (ANALYTICS.md section 11).
type ComplianceSort string

// The ranking orders; every one ends its ties with the id.
const (
	SortLateShare ComplianceSort = "late_share" // late/known desc, then late desc (the default)
	SortLate      ComplianceSort = "late"       // late desc, then late/known desc
	SortP50       ComplianceSort = "p50"        // median lag desc
)

// Valid reports whether s is one of the ranking orders.
func (s ComplianceSort) Valid() bool { return s == SortLateShare || s == SortLate || s == SortP50 }

// Request asks for one analysis. Only the fields of its Analysis count;
// Normalize fills their defaults and checks them.
type Request struct {
	Analysis Analysis
	ID       string // fourier, hmm, dtw, ensemble: the politician; compliance: one politician (empty: the ranking)
	K        int    // dtw: neighbours, 1..50 (default 5)
	Horizon  int    // ensemble: weeks ahead, 1..26 (default 4)
	// correlation: the set is IDs (2..100 distinct, in order) when given,
	// else the Top (2..100, default 20) politicians by analyzable records.
	IDs       []string
	Top       int
	MinWeight float64 // network: 0 < w <= 1 (default 0.1)
	// compliance ranking (ID empty): rows with at least MinRecords known
	// lags (1..1000, default 10), ordered by Sort (default late_share),
	// the first Limit (1..500, default 20). A Chamber restricts the
	// ranking, rows and summary, to that chamber's records (an extension
	// of section 11; empty means every record, as section 11 defines it).
	MinRecords int
	Sort       ComplianceSort
	Limit      int
	Chamber    Chamber
	// Party and State restrict the compliance ranking to the politicians
	// whose identity (Directory) has that party or state at their last
	// trade; Party needs a legislators table. Empty: every politician.
	Party string
	State string
	// MergePeople analyses people, not ids: every id that resolves to a
	// person is merged into one politician whose id is the bioguide id
	// (quant.People). ID and IDs then name people by bioguide id (or an
	// unresolved id). Every analysis reads it.
	MergePeople bool
}

// Normalize returns r with the defaults of its analysis filled in and the
// fields other analyses use cleared, or a *ParamError naming the first bad
// parameter.
func (r Request) Normalize() (Request, error) {
	out := Request{Analysis: r.Analysis, MergePeople: r.MergePeople}
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
	case AnalysisCompliance:
		if r.ID != "" {
			if r.MinRecords != 0 || r.Sort != "" || r.Limit != 0 || r.Chamber != "" || r.Party != "" || r.State != "" {
				return out, Invalid("id", "one politician's compliance takes no ranking parameter (min_records, sort, limit, chamber, party, state)")
			}
			out.ID = r.ID
			break
		}
		out.MinRecords = cmpOr(r.MinRecords, DefaultMinRecords)
		if out.MinRecords < 1 || out.MinRecords > MaxMinRecords {
			return out, Invalid("min_records", "must be in 1..%d, got %d", MaxMinRecords, out.MinRecords)
		}
		out.Sort = r.Sort
		if out.Sort == "" {
			out.Sort = SortLateShare
		}
		if !out.Sort.Valid() {
			return out, Invalid("sort", "must be late_share, late or p50, got %q", out.Sort)
		}
		out.Limit = cmpOr(r.Limit, DefaultRankLimit)
		if out.Limit < 1 || out.Limit > MaxRankLimit {
			return out, Invalid("limit", "must be in 1..%d, got %d", MaxRankLimit, out.Limit)
		}
		if r.Chamber != "" && !r.Chamber.Valid() {
			return out, Invalid("chamber", "must be house or senate, got %q", r.Chamber)
		}
		out.Chamber = r.Chamber
		if r.State != "" && !ValidState(r.State) {
			return out, Invalid("state", "must be a two-letter state code such as CA, got %q", r.State)
		}
		out.State = r.State
		if r.Party != "" && !ValidParty(r.Party) {
			return out, Invalid("party", "must be a party name such as Democrat, Republican or Independent, got %q", r.Party)
		}
		out.Party = r.Party
	default:
		return out, Invalid("analysis", "unknown analysis %q", r.Analysis)
	}
	return out, nil
}

// ValidState reports whether s is two upper-case ASCII letters (a state
// or territory code such as CA or DC; the table decides which exist).
func ValidState(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// ValidParty reports whether s can name a party of the legislators
// table: 1..40 bytes of ASCII letters, spaces, '-' and '.', starting with
// a letter ("Democrat", "Republican", "Independent", "Libertarian",
// "Democratic-Farmer-Labor"); parties match whatever their case.
func ValidParty(s string) bool {
	if s == "" || len(s) > 40 || !('a' <= s[0] && s[0] <= 'z' || 'A' <= s[0] && s[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == ' ' || c == '-' || c == '.') {
			return false
		}
	}
	return true
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
	case AnalysisCompliance:
		if r.ID != "" {
			b.WriteString("/" + r.ID)
			break
		}
		fmt.Fprintf(&b, "?min_records=%d&sort=%s&limit=%d", r.MinRecords, r.Sort, r.Limit)
		if r.Chamber != "" {
			b.WriteString("&chamber=" + string(r.Chamber))
		}
		if r.Party != "" {
			b.WriteString("&party=" + url.QueryEscape(r.Party))
		}
		if r.State != "" {
			b.WriteString("&state=" + r.State)
		}
	}
	if r.MergePeople {
		// A separate query string would be ambiguous after the ones above;
		// a prefix is not.
		return "people:" + b.String()
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
