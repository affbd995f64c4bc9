package quant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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

// Query is a request ready to answer: normalized (defaults filled in,
// every range checked, the fields other analyses use cleared) with its Key
// computed once. The edge (an HTTP handler, a job submission, a command)
// builds it with NewQuery and everything below takes it as it is: nothing
// normalizes or keys a request twice. The embedded Request is read-only;
// a Query not made by NewQuery (or MustQuery) panics on Key.
type Query struct {
	Request
	key string
}

// NewQuery normalizes r into a Query, or returns a *ParamError naming the
// first bad parameter. Zero fields take their analysis' default; a client
// whose explicit value may be 0 checks it first with the Check function
// of its parameter (CheckK, CheckTop, ...), which words the error the same.
func NewQuery(r Request) (Query, error) {
	n, err := r.normalize()
	if err != nil {
		return Query{}, err
	}
	return Query{Request: n, key: n.key()}, nil
}

// MustQuery is NewQuery for requests known to be valid (tests, built-in
// warm-up lists); it panics on an invalid one.
func MustQuery(r Request) Query {
	q, err := NewQuery(r)
	if err != nil {
		panic(fmt.Sprintf("quant.MustQuery(%+v): %v", r, err))
	}
	return q
}

// Key returns the query's canonical text: the analysis and every
// parameter that changes its answer (cache keys add the dataset version).
func (q Query) Key() string {
	if q.key == "" {
		panic("quant: Query.Key on a Query not made by NewQuery")
	}
	return q.key
}

// Valid reports whether q was made by NewQuery.
func (q Query) Valid() bool { return q.key != "" }

// The Check functions are the one place each parameter's range is checked
// and worded. normalize uses them on the request's fields; a parser of
// client text (query strings, job bodies, flags) calls them on explicit
// values, 0 included, since 0 means "the default" in a Request. Each
// returns a *ParamError naming the parameter, or nil.

// CheckK checks dtw's k.
func CheckK(k int) error { return checkInt("k", k, 1, MaxK, "") }

// CheckHorizon checks ensemble's horizon (weeks).
func CheckHorizon(h int) error { return checkInt("horizon", h, 1, MaxHorizon, " weeks") }

// CheckTop checks correlation's top.
func CheckTop(n int) error { return checkInt("top", n, MinSetSize, MaxSetSize, "") }

// CheckMinRecords checks the compliance ranking's min_records.
func CheckMinRecords(n int) error { return checkInt("min_records", n, 1, MaxMinRecords, "") }

// CheckLimit checks the compliance ranking's limit.
func CheckLimit(n int) error { return checkInt("limit", n, 1, MaxRankLimit, "") }

func checkInt(param string, v, lo, hi int, unit string) error {
	if v < lo || v > hi {
		return Invalid(param, "must be an integer in %d..%d%s, got %d", lo, hi, unit, v)
	}
	return nil
}

// CheckIDs checks correlation's ids: MinSetSize..MaxSetSize non-empty,
// distinct ids (their form is the caller's to check: politician or
// bioguide ids).
func CheckIDs(ids []string) error {
	if len(ids) < MinSetSize || len(ids) > MaxSetSize {
		return Invalid("ids", "must name %d..%d politicians, got %d", MinSetSize, MaxSetSize, len(ids))
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return Invalid("ids", "holds an empty id")
		}
		if seen[id] {
			return Invalid("ids", "names %q twice", id)
		}
		seen[id] = true
	}
	return nil
}

// CheckMinWeight checks network's min_weight: 0 < w <= 1 (NaN is not).
func CheckMinWeight(w float64) error {
	if !(w > 0 && w <= 1) {
		return Invalid("min_weight", "must be a number with 0 < min_weight <= 1, got %v", w)
	}
	return nil
}

// CheckSort checks the compliance ranking's sort.
func CheckSort(s ComplianceSort) error {
	if !s.Valid() {
		return Invalid("sort", "must be late_share, late or p50, got %q", clipText(string(s)))
	}
	return nil
}

// CheckChamber checks a chamber filter (empty: every chamber).
func CheckChamber(c Chamber) error {
	if c != "" && !c.Valid() {
		return Invalid("chamber", "must be house or senate, got %q", clipText(string(c)))
	}
	return nil
}

// CheckState checks a state filter (empty: every state).
func CheckState(s string) error {
	if s != "" && !ValidState(s) {
		return Invalid("state", "must be a two-letter state code such as CA, got %q", clipText(s))
	}
	return nil
}

// CheckParty checks a party filter's form (empty: every party); which
// parties exist is the legislators table's to say.
func CheckParty(p string) error {
	if p != "" && !ValidParty(p) {
		return Invalid("party", "must be a party name such as Democrat, Republican or Independent, got %q", clipText(p))
	}
	return nil
}

// PrefixParam returns err with prefix prepended to the parameter a
// *ParamError names ("params." for a job body's fields, "--" for flags);
// other errors are returned as they are.
func PrefixParam(prefix string, err error) error {
	var pe *ParamError
	if prefix == "" || !errors.As(err, &pe) {
		return err
	}
	return &ParamError{Param: prefix + pe.Param, Reason: pe.Reason}
}

// clipText shortens client text quoted in an error to 64 bytes.
func clipText(s string) string {
	if len(s) <= 64 {
		return s
	}
	return s[:61] + "..."
}

// normalize returns r with the defaults of its analysis filled in and the
// fields other analyses use cleared, or a *ParamError naming the first bad
// parameter.
func (r Request) normalize() (Request, error) {
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
		return out, CheckK(out.K)
	case AnalysisEnsemble:
		out.Horizon = cmpOr(r.Horizon, DefaultHorizon)
		return out, CheckHorizon(out.Horizon)
	case AnalysisCorrelation:
		if len(r.IDs) > 0 {
			if r.Top != 0 {
				return out, Invalid("top", "give ids or top, not both")
			}
			out.IDs = slices.Clone(r.IDs)
			return out, CheckIDs(out.IDs)
		}
		out.Top = cmpOr(r.Top, DefaultTop)
		return out, CheckTop(out.Top)
	case AnalysisNetwork:
		out.MinWeight = r.MinWeight
		if out.MinWeight == 0 {
			out.MinWeight = DefaultMinWeight
		}
		return out, CheckMinWeight(out.MinWeight)
	case AnalysisCompliance:
		if r.ID != "" {
			if r.MinRecords != 0 || r.Sort != "" || r.Limit != 0 || r.Chamber != "" || r.Party != "" || r.State != "" {
				return out, Invalid("id", "one politician's compliance takes no ranking parameter (min_records, sort, limit, chamber, party, state)")
			}
			out.ID = r.ID
			break
		}
		out.MinRecords = cmpOr(r.MinRecords, DefaultMinRecords)
		out.Sort = cmp.Or(r.Sort, SortLateShare)
		out.Limit = cmpOr(r.Limit, DefaultRankLimit)
		out.Chamber, out.State, out.Party = r.Chamber, r.State, r.Party
		return out, firstErr(CheckMinRecords(out.MinRecords), CheckSort(out.Sort), CheckLimit(out.Limit),
			CheckChamber(out.Chamber), CheckState(out.State), CheckParty(out.Party))
	default:
		return out, Invalid("analysis", "unknown analysis %q", clipText(string(r.Analysis)))
	}
	return out, nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
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

// key returns the canonical text of a normalized request (Query.Key).
func (r Request) key() string {
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
	// FreshUntil, RevalidateUntil and StaleUntil are the answer's lifetime
	// in the cache that serves it, for the transport to tell its own
	// clients (HTTP's Cache-Control): fresh until FreshUntil, then served
	// stale while it is recomputed until RevalidateUntil, and served stale
	// when recomputing fails until StaleUntil. All zero when no cache
	// keeps the answer.
	FreshUntil, RevalidateUntil, StaleUntil time.Time
	// Rendered, when set, is where a transport keeps what it derives from
	// this Result (its encoded answer, compressed copies, a validator),
	// so that serving it again derives nothing again: the cache gives the
	// one Result that all HITs of an entry share its own. nil: derive on
	// every call.
	Rendered *Rendered
}

// WithStatus returns a shallow copy of r with Status set. The copy has no
// Rendered: what a transport derived may depend on the status.
func (r *Result) WithStatus(s CacheStatus) *Result {
	c := *r
	c.Status = s
	c.Rendered = nil
	return &c
}

// Rendered keeps one value a transport derives from a Result, built once
// for every time the Result is served. Copies of a Result that share its
// Rendered differ at most in Status, CacheHit or CacheStale (the cache
// serves an entry's STALE answers with its HITs' Rendered). The zero
// Rendered holds nothing; it is safe for concurrent use.
type Rendered struct {
	v atomic.Value
}

// Load returns the value kept, or nil.
func (m *Rendered) Load() any { return m.v.Load() }

// Keep keeps v unless a value is kept already, and returns the value
// kept: of two concurrent callers, both get the first one's.
func (m *Rendered) Keep(v any) any {
	if m.v.CompareAndSwap(nil, v) {
		return v
	}
	return m.v.Load()
}

// Analyzer answers analysis requests. The ensemble package implements it
// over a Store; the guard and the cache wrap one Analyzer in another.
type Analyzer interface {
	// Analyze answers q. Errors wrap the kinds of this package:
	// ErrInvalid (a *ParamError), ErrNotFound, ErrNotEligible (a
	// *NotEligibleError), ErrUnavailable, ErrTimeout; a computation past
	// its context's deadline returns an error wrapping the context's.
	Analyze(ctx context.Context, q Query) (*Result, error)
}
