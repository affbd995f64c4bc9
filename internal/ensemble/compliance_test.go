package ensemble_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/vectortest"
)

// The tests below are hand-written: each expected number follows from
// ANALYTICS.md section 11 by hand, independently of ../shared.

// rec is one analyzable record: transaction date trans, lag in days (or
// undated when undated is set), chamber house unless told, filing id.
type rec struct {
	id      int64
	trans   string
	lag     int
	undated bool
	filing  string
	ticker  string
	chamber quant.Chamber
}

func day(tb testing.TB, s string) time.Time {
	tb.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// politician builds a politician's disclosures from recs (IDs ascending
// as given, or 1, 2, ... when zero).
func politician(tb testing.TB, id string, recs ...rec) quant.PoliticianDisclosures {
	tb.Helper()
	p := quant.PoliticianDisclosures{ID: id}
	for i, r := range recs {
		d := quant.Disclosure{ID: r.id, TransactionDate: day(tb, r.trans), Ticker: r.ticker, Type: quant.TypePurchase,
			FilingID: r.filing, Chamber: cmpOr(r.chamber, quant.ChamberHouse), Place: quant.Place{Index: i + 1}}
		if d.ID == 0 {
			d.ID = int64(i + 1)
		}
		if !r.undated {
			d.DisclosureDate = d.TransactionDate.AddDate(0, 0, r.lag)
		}
		p.Records = append(p.Records, d)
	}
	slices.SortFunc(p.Records, func(a, b quant.Disclosure) int { return int(a.ID - b.ID) })
	return p
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// lags gives one record per lag, each on its own day of 2024, filing f<i>.
func lags(ls ...int) []rec {
	out := make([]rec, len(ls))
	for i, l := range ls {
		out[i] = rec{trans: time.Date(2024, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly), lag: l, filing: fmt.Sprintf("f%d", i)}
	}
	return out
}

func wantReason(t *testing.T, what string, err error, reason string) {
	t.Helper()
	var ne *quant.NotEligibleError
	if !errors.As(err, &ne) || ne.Reason != reason || !errors.Is(err, quant.ErrNotEligible) {
		t.Errorf("%s = %v, want 422 %s", what, err, reason)
	}
}

func TestComplianceCounts(t *testing.T) {
	p := politician(t, "a",
		rec{trans: "2024-01-10", lag: 45, filing: "F1"},                  // known, on time (45 is not late)
		rec{trans: "2024-01-10", lag: 46, filing: "F2"},                  // late
		rec{trans: "2024-02-01", lag: -1, filing: "F3"},                  // invalid: no filing, no lag figure
		rec{trans: "2024-02-01", undated: true, filing: "F4"},            // undated
		rec{trans: "2025-03-01", lag: 0, filing: "F1"},                   // known, filing repeated
		rec{trans: "2025-03-01", lag: 100},                               // late, null filing
		rec{trans: "2026-01-01", lag: -30, chamber: quant.ChamberSenate}, // invalid, but its chamber counts
	)
	got, err := ensemble.Compliance(t.Context(), &p)
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	want := ensemble.ComplianceResult{
		ID: "a", Records: 7, Known: 4, Invalid: 2, Undated: 1, Late: 2, LateShare: 0.5,
		// sorted known lags 0 45 46 100: p50 (45+46)/2, p90 at 2.7: 100 - 54*0.3
		Lag:     ensemble.LagStats{Min: 0, P50: 45.5, Mean: 191.0 / 4, P90: 83.8, Max: 100},
		Filings: 2, LateFilings: 1,
		FilingIDs: []string{"F1", "F2"}, LateFilingIDs: []string{"F2"},
		Worst: []ensemble.LateRecord{
			{TransactionDate: "2025-03-01", DisclosureDate: "2025-06-09", Lag: 100, Type: quant.TypePurchase},
			{TransactionDate: "2024-01-10", DisclosureDate: "2024-02-25", Lag: 46, Type: quant.TypePurchase, FilingID: str("F2")},
		},
		ByYear:   []ensemble.YearLag{{Year: 2024, Known: 2, Late: 1, P50: 45.5}, {Year: 2025, Known: 2, Late: 1, P50: 50}},
		Chambers: []quant.Chamber{quant.ChamberHouse, quant.ChamberSenate},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 0)); d != "" {
		t.Errorf("Compliance mismatch (-want +got):\n%s", d)
	}
}

// Worst: lag desc, then the earlier transaction date, then the record ID
// (the place in the source), cut at 5.
func TestComplianceWorstTies(t *testing.T) {
	p := politician(t, "w",
		rec{id: 10, trans: "2024-02-01", lag: 100, ticker: "B"},
		rec{id: 4, trans: "2024-02-01", lag: 100, ticker: "A"},
		rec{id: 20, trans: "2024-01-15", lag: 100, ticker: "C"},
		rec{id: 1, trans: "2024-06-01", lag: 46, ticker: "X"},
		rec{id: 2, trans: "2023-06-01", lag: 200, ticker: "D"},
		rec{id: 3, trans: "2024-03-01", lag: 50, ticker: "E"},
		rec{id: 5, trans: "2024-03-01", lag: 47, ticker: "F"},
		rec{id: 6, trans: "2024-03-01", lag: 45, ticker: "G"},
	)
	got, err := ensemble.Compliance(t.Context(), &p)
	if err != nil {
		t.Fatal(err)
	}
	var tickers []string
	for _, w := range got.Worst {
		tickers = append(tickers, *w.Ticker)
	}
	if want := []string{"D", "C", "A", "B", "E"}; !slices.Equal(tickers, want) {
		t.Errorf("worst = %v, want %v", tickers, want)
	}
	if got.Late != 7 {
		t.Errorf("late = %d, want 7", got.Late)
	}

	// No late record: worst is empty, not null.
	p = politician(t, "ontime", lags(0, 45)...)
	got, err = ensemble.Compliance(t.Context(), &p)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); !strings.Contains(string(b), `"worst":[]`) || !strings.Contains(string(b), `"late_filing_ids":[]`) {
		t.Errorf("answer without late records = %s, want empty worst and late_filing_ids", b)
	}
}

func TestComplianceQuantiles(t *testing.T) {
	tests := []struct {
		lags          []int
		p50, p90, avg float64
	}{
		{[]int{7}, 7, 7, 7},
		{[]int{1, 2}, 1.5, 1.9, 1.5},
		{[]int{4, 3, 2, 1}, 2.5, 3.7, 2.5},
		{[]int{0, 0, 0, 10}, 0, 7, 2.5},
		{[]int{10, 20, 30, 40, 50}, 30, 46, 30},
	}
	for _, tt := range tests {
		p := politician(t, "q", lags(tt.lags...)...)
		got, err := ensemble.Compliance(t.Context(), &p)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Lag.P50-tt.p50) > 1e-12*max(1, tt.p50) || math.Abs(got.Lag.P90-tt.p90) > 1e-12*max(1, tt.p90) || got.Lag.Mean != tt.avg {
			t.Errorf("Compliance(%v).Lag = %+v, want p50 %v p90 %v mean %v", tt.lags, got.Lag, tt.p50, tt.p90, tt.avg)
		}
	}
}

// The 422 of section 11: no known lag (undated, invalid or both).
func TestComplianceNoKnown(t *testing.T) {
	for name, recs := range map[string][]rec{
		"undated": {{trans: "2024-01-01", undated: true}, {trans: "2024-01-02", undated: true}},
		"invalid": {{trans: "2024-01-01", lag: -1}, {trans: "2024-01-02", lag: -365}},
		"both":    {{trans: "2024-01-01", undated: true}, {trans: "2024-01-02", lag: -3}},
	} {
		p := politician(t, name, recs...)
		res, err := ensemble.Compliance(t.Context(), &p)
		wantReason(t, "Compliance("+name+")", err, quant.ReasonNoDisclosureDates)
		if res.Known != 0 || res.Known+res.Invalid+res.Undated != res.Records || res.Records != len(recs) {
			t.Errorf("Compliance(%s) counts = %+v", name, res)
		}
		d := &quant.Disclosures{Version: 1, Politicians: []quant.PoliticianDisclosures{p}}
		_, err = ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 20, "")
		wantReason(t, "RankCompliance("+name+")", err, quant.ReasonNoDisclosureDates)
	}
}

// rankIDs returns the ids of the ranking's rows.
func rankIDs(r *ensemble.ComplianceRanking) []string {
	var ids []string
	for _, row := range r.Rows {
		ids = append(ids, row.ID)
	}
	return ids
}

// tiesDisclosures: late shares 1/3 = 2/6 = 3/9 (c, b, a), 1/2 (d, e: 2/4
// and 3/6), and 0/4 (z); equal late counts with different shares; p50 ties.
func tiesDisclosures(t *testing.T) *quant.Disclosures {
	return &quant.Disclosures{Version: 1, Politicians: []quant.PoliticianDisclosures{
		politician(t, "a", lags(50, 50, 50, 1, 1, 1, 1, 1, 1)...), // 3/9, p50 1
		politician(t, "b", lags(50, 50, 1, 1, 1, 1)...),           // 2/6, p50 1
		politician(t, "c", lags(50, 1, 1)...),                     // 1/3, p50 1
		politician(t, "d", lags(60, 60, 10, 10)...),               // 2/4, p50 35
		politician(t, "e", lags(60, 60, 60, 10, 10, 11)...),       // 3/6, p50 35.5
		politician(t, "f", lags(40, 30, 35, 35)...),               // 0/4, p50 35
		politician(t, "g", lags(-1, -2)...),                       // invalid only: no row, not a politician of the summary
		politician(t, "h", rec{trans: "2024-01-01", undated: true}),
	}}
}

func TestRankComplianceOrders(t *testing.T) {
	d := tiesDisclosures(t)
	tests := []struct {
		order quant.ComplianceSort
		min   int
		want  []string
	}{
		// late share desc (exact), then late desc, then id
		{quant.SortLateShare, 1, []string{"e", "d", "a", "b", "c", "f"}},
		// late desc, then late share desc, then id
		{quant.SortLate, 1, []string{"e", "a", "d", "b", "c", "f"}},
		// p50 desc, then id
		{quant.SortP50, 1, []string{"e", "d", "f", "a", "b", "c"}},
		// min_records is inclusive: 6 keeps a (9), b and e (6)
		{quant.SortLateShare, 6, []string{"e", "a", "b"}},
		{quant.SortLateShare, 9, []string{"a"}},
		{quant.SortLateShare, 10, nil},
	}
	for _, tt := range tests {
		got, err := ensemble.RankCompliance(t.Context(), d, tt.min, tt.order, 500, "")
		if err != nil {
			t.Fatal(err)
		}
		if ids := rankIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("RankCompliance(min %d, %s) = %v, want %v", tt.min, tt.order, ids, tt.want)
		}
		if got.Rows == nil || got.Summary.Ranked != len(tt.want) {
			t.Errorf("RankCompliance(min %d, %s): rows %v, ranked %d", tt.min, tt.order, got.Rows, got.Summary.Ranked)
		}
		// The summary ignores sort, limit and min_records.
		want := ensemble.ComplianceSummary{Politicians: 6, Ranked: len(tt.want), Records: 35, Known: 32, Invalid: 2, Undated: 1,
			Late: 11, LateShare: 11.0 / 32, P50: 10.5}
		if got.Summary != want {
			t.Errorf("RankCompliance(min %d, %s).Summary = %+v, want %+v", tt.min, tt.order, got.Summary, want)
		}
	}

	// The limit cuts after ranking; ranked counts the rows before it.
	got, err := ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if ids := rankIDs(got); !slices.Equal(ids, []string{"e", "d"}) || got.Summary.Ranked != 6 || got.Limit != 2 {
		t.Errorf("RankCompliance(limit 2) = %v ranked %d", ids, got.Summary.Ranked)
	}
	row := got.Rows[0]
	if row.ID != "e" || !slices.Equal(row.Chambers, []quant.Chamber{quant.ChamberHouse}) || row.Known != 6 || row.Late != 3 || row.LateShare != 0.5 || row.P50 != 35.5 || row.Max != 60 {
		t.Errorf("row = %+v, want e: house, 6 known, 3 late, share 0.5, p50 35.5, max 60", row)
	}
}

// A Chamber restricts the ranking, rows and summary, to its records.
func TestRankComplianceChamber(t *testing.T) {
	both := politician(t, "both",
		rec{trans: "2024-01-01", lag: 100, chamber: quant.ChamberSenate},
		rec{trans: "2024-01-02", lag: 10, chamber: quant.ChamberHouse},
		rec{trans: "2024-01-03", lag: 20, chamber: quant.ChamberHouse},
		rec{trans: "2024-01-04", undated: true, chamber: quant.ChamberSenate},
	)
	senator := politician(t, "sen", rec{trans: "2024-01-01", undated: true, chamber: quant.ChamberSenate})
	d := &quant.Disclosures{Version: 1, Politicians: []quant.PoliticianDisclosures{both, senator}}

	all, err := ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 20, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) != 1 || !slices.Equal(all.Rows[0].Chambers, []quant.Chamber{quant.ChamberHouse, quant.ChamberSenate}) || all.Rows[0].Known != 3 || all.Summary.Records != 5 {
		t.Errorf("ranking over both chambers = %+v", all)
	}
	house, err := ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 20, quant.ChamberHouse)
	if err != nil {
		t.Fatal(err)
	}
	wantSum := ensemble.ComplianceSummary{Politicians: 1, Ranked: 1, Records: 2, Known: 2, P50: 15}
	if len(house.Rows) != 1 || !slices.Equal(house.Rows[0].Chambers, []quant.Chamber{quant.ChamberHouse}) || house.Rows[0].Late != 0 || house.Summary != wantSum || house.Chamber != quant.ChamberHouse {
		t.Errorf("house ranking = %+v, summary want %+v", house, wantSum)
	}
	senate, err := ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 20, quant.ChamberSenate)
	if err != nil {
		t.Fatal(err)
	}
	wantSum = ensemble.ComplianceSummary{Politicians: 1, Ranked: 1, Records: 3, Known: 1, Undated: 2, Late: 1, LateShare: 1, P50: 100}
	if len(senate.Rows) != 1 || senate.Rows[0].P50 != 100 || senate.Summary != wantSum {
		t.Errorf("senate ranking = %+v, summary want %+v", senate, wantSum)
	}
	// A chamber with no known lag is a 422, even when the other has some.
	d.Politicians = d.Politicians[1:]
	d.Politicians = append(d.Politicians, politician(t, "rep", lags(5)...))
	_, err = ensemble.RankCompliance(t.Context(), d, 1, quant.SortLateShare, 20, quant.ChamberSenate)
	wantReason(t, "RankCompliance(senate, none known)", err, quant.ReasonNoDisclosureDates)
}

// randomDisclosures draws n politicians' records: lags in -5..200, some
// undated, two chambers, a few filings each.
func randomDisclosures(t *testing.T, r *rand.Rand, n int) *quant.Disclosures {
	d := &quant.Disclosures{Version: 1}
	var id int64
	for i := range n {
		var recs []rec
		for range 1 + r.IntN(40) {
			id++
			rc := rec{id: id, trans: time.Date(2018+r.IntN(6), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
				lag: r.IntN(206) - 5, undated: r.IntN(10) == 0, filing: fmt.Sprintf("F%d", r.IntN(8)), chamber: quant.ChamberHouse}
			if r.IntN(5) == 0 {
				rc.chamber = quant.ChamberSenate
			}
			if r.IntN(6) == 0 {
				rc.filing = ""
			}
			recs = append(recs, rc)
		}
		d.Politicians = append(d.Politicians, politician(t, fmt.Sprintf("p%03d", i), recs...))
	}
	return d
}

// Invariants over random data, and the two code paths (one politician's
// answer, the ranking's row) agreeing.
func TestComplianceInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	d := randomDisclosures(t, r, 150)
	var sum ensemble.ComplianceSummary
	var all []int
	rows := map[string]ensemble.ComplianceResult{}
	for i := range d.Politicians {
		p := &d.Politicians[i]
		res, err := ensemble.Compliance(t.Context(), p)
		if res.Known+res.Invalid+res.Undated != res.Records || res.Records != len(p.Records) {
			t.Errorf("%s: known %d + invalid %d + undated %d != records %d", p.ID, res.Known, res.Invalid, res.Undated, res.Records)
		}
		sum.Records += res.Records
		sum.Invalid += res.Invalid
		sum.Undated += res.Undated
		if err != nil {
			wantReason(t, p.ID, err, quant.ReasonNoDisclosureDates)
			continue
		}
		sum.Politicians++
		sum.Known += res.Known
		sum.Late += res.Late
		rows[p.ID] = res
		l := res.Lag
		if !(float64(l.Min) <= l.P50 && l.P50 <= l.P90 && l.P90 <= float64(l.Max) && float64(l.Min) <= l.Mean && l.Mean <= float64(l.Max)) || l.Min < 0 {
			t.Errorf("%s: lag %+v out of order", p.ID, l)
		}
		if res.Late > res.Known || res.LateShare != float64(res.Late)/float64(res.Known) || len(res.Worst) != min(res.Late, 5) {
			t.Errorf("%s: late %d of %d, share %v, %d worst", p.ID, res.Late, res.Known, res.LateShare, len(res.Worst))
		}
		for i, w := range res.Worst {
			if w.Lag <= ensemble.LateAfterDays || (i > 0 && (w.Lag > res.Worst[i-1].Lag || w.Lag == res.Worst[i-1].Lag && w.TransactionDate < res.Worst[i-1].TransactionDate)) {
				t.Errorf("%s: worst[%d] = %+v out of order", p.ID, i, w)
			}
		}
		if res.Filings != len(res.FilingIDs) || res.LateFilings > res.Filings || !slices.IsSorted(res.FilingIDs) {
			t.Errorf("%s: filings %d %v, late %d", p.ID, res.Filings, res.FilingIDs, res.LateFilings)
		}
		known, late := 0, 0
		for i, y := range res.ByYear {
			known += y.Known
			late += y.Late
			if y.Known == 0 || (i > 0 && y.Year <= res.ByYear[i-1].Year) {
				t.Errorf("%s: by_year %+v", p.ID, res.ByYear)
			}
		}
		if known != res.Known || late != res.Late {
			t.Errorf("%s: by_year sums %d, %d; want %d, %d", p.ID, known, late, res.Known, res.Late)
		}
		for j := range p.Records {
			if p.Records[j].DisclosureDate.IsZero() {
				continue
			}
			if lag := int(p.Records[j].DisclosureDate.Sub(p.Records[j].TransactionDate).Hours() / 24); lag >= 0 {
				all = append(all, lag)
			}
		}
	}
	slices.Sort(all)
	sum.LateShare = float64(sum.Late) / float64(sum.Known)
	sum.P50 = float64(all[(len(all)-1)/2]+all[len(all)/2]) / 2

	for _, order := range []quant.ComplianceSort{quant.SortLateShare, quant.SortLate, quant.SortP50} {
		rk, err := ensemble.RankCompliance(t.Context(), d, 5, order, 500, "")
		if err != nil {
			t.Fatal(err)
		}
		want := sum
		want.Ranked = 0
		for _, res := range rows {
			if res.Known >= 5 {
				want.Ranked++
			}
		}
		if rk.Summary != want {
			t.Errorf("%s: summary %+v, want the sums of the answers %+v", order, rk.Summary, want)
		}
		for i, row := range rk.Rows {
			res := rows[row.ID]
			if row.Known != res.Known || row.Late != res.Late || row.LateShare != res.LateShare || row.P50 != res.Lag.P50 || row.Max != res.Lag.Max || !slices.Equal(row.Chambers, res.Chambers) {
				t.Errorf("%s: row %+v disagrees with the answer %+v", order, row, res)
			}
			if i == 0 {
				continue
			}
			prev := rk.Rows[i-1]
			var before bool
			switch order {
			case quant.SortLateShare:
				before = prev.Late*row.Known > row.Late*prev.Known || prev.Late*row.Known == row.Late*prev.Known && (prev.Late > row.Late || prev.Late == row.Late && prev.ID < row.ID)
			case quant.SortLate:
				before = prev.Late > row.Late || prev.Late == row.Late && (prev.Late*row.Known > row.Late*prev.Known || prev.Late*row.Known == row.Late*prev.Known && prev.ID < row.ID)
			case quant.SortP50:
				before = prev.P50 > row.P50 || prev.P50 == row.P50 && prev.ID < row.ID
			}
			if !before {
				t.Errorf("%s: row %d %+v before %+v", order, i, prev, row)
			}
		}
	}
}

// houseJSON renders House JSON elements: name, transaction date, disclosure
// date ("" for none), type, filing id.
func houseJSON(rows ...[5]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"representative":%q,"transaction_date":%q,"disclosure_date":%q,"ticker":"AAPL","type":%q,"amount":"$1,001 - $15,000","owner":"self","district":"NJ07","filing_id":%q}`,
			r[0], r[1], r[2], r[3], r[4])
	}
	b.WriteString("]")
	return b.String()
}

func importString(tb testing.TB, st *inmem.Store, name, content string) {
	tb.Helper()
	p := &ingest.Parser{Now: func() time.Time { return vectortest.FormatsDay }}
	if _, err := st.Import(context.Background(), quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name)}, p.Records(strings.NewReader(content), nil)); err != nil {
		tb.Fatal(err)
	}
}

// Through the Service: 404 for an id no record has, 422 for a politician
// whose records are all of unknown type (records = 0) or have no known
// lag, 422 for a ranking with nothing known, and the answer's JSON shape.
func TestServiceCompliance(t *testing.T) {
	st := inmem.New()
	importString(t, st, "a", houseJSON(
		[5]string{"Ann Late", "2024-01-01", "2024-03-01", "purchase", "A1"},
		[5]string{"Ann Late", "2024-01-02", "2024-01-05", "sale", "A2"},
		[5]string{"Pat Paper", "2024-01-01", "2024-01-05", "N/A", "P1"},
		[5]string{"Una Dated", "2024-01-01", "", "purchase", "U1"},
	))
	svc := ensemble.NewService(st)
	ctx := context.Background()
	_, err := svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: "nobody"}))
	if !errors.Is(err, quant.ErrNotFound) {
		t.Errorf("compliance/nobody = %v, want 404", err)
	}
	for _, id := range []string{"pat-paper", "una-dated"} {
		_, err := svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: id}))
		wantReason(t, "compliance/"+id, err, quant.ReasonNoDisclosureDates)
	}
	_, err = svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, Chamber: quant.ChamberSenate}))
	wantReason(t, "compliance?chamber=senate", err, quant.ReasonNoDisclosureDates)
	_, err = quant.NewQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: "ann-late", Limit: 3})
	if !errors.Is(err, quant.ErrInvalid) {
		t.Errorf("one politician's compliance with a limit = %v, want 400", err)
	}

	res, err := svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: "ann-late"}))
	if err != nil {
		t.Fatal(err)
	}
	// p90 is numpy's lerp from the top, 60 - 57*(1-0.9), in float64.
	const wantOne = `{"id":"ann-late","records":2,"known":2,"invalid":0,"undated":0,"late":1,"late_share":0.5,` +
		`"lag":{"min":3,"p50":31.5,"mean":31.5,"p90":54.300000000000004,"max":60},"filings":2,"late_filings":1,` +
		`"worst":[{"transaction_date":"2024-01-01","disclosure_date":"2024-03-01","lag":60,"ticker":"AAPL","type":"purchase","filing_id":"A1"}],` +
		`"by_year":[{"year":2024,"known":2,"late":1,"p50":31.5}],"filing_ids":["A1","A2"],"late_filing_ids":["A1"],"chambers":["house"]}`
	if string(res.Body) != wantOne {
		t.Errorf("compliance/ann-late body\n got %s\nwant %s", res.Body, wantOne)
	}
	if v, _ := st.DatasetVersion(ctx); res.DatasetVersion != v || res.Key != "compliance/ann-late" {
		t.Errorf("result meta %+v, want version %d", res, v)
	}

	res, err = svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1, Chamber: quant.ChamberHouse}))
	if err != nil {
		t.Fatal(err)
	}
	const wantRank = `{"min_records":1,"sort":"late_share","limit":20,"chamber":"house",` +
		`"rows":[{"id":"ann-late","chambers":["house"],"known":2,"late":1,"late_share":0.5,"p50":31.5,"max":60}],` +
		`"summary":{"politicians":1,"ranked":1,"records":3,"known":2,"invalid":0,"undated":1,"late":1,"late_share":0.5,"p50":31.5}}`
	if string(res.Body) != wantRank {
		t.Errorf("compliance ranking body\n got %s\nwant %s", res.Body, wantRank)
	}
	res, err = svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance}))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(res.Body), `"rows":[]`) || strings.Contains(string(res.Body), `"chamber"`) {
		t.Errorf("default ranking (nobody has 10 known) = %s, want empty rows and no chamber", res.Body)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := svc.Analyze(cctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, ID: "ann-late"})); !errors.Is(err, context.Canceled) {
		t.Errorf("compliance with a cancelled context = %v, want context.Canceled", err)
	}
}

// laggingDisclosures serves a Disclosures taken before an import for its
// first stale reads.
type laggingDisclosures struct {
	quant.Store
	old   *quant.Disclosures
	stale int
}

func (l *laggingDisclosures) Disclosures(ctx context.Context) (*quant.Disclosures, error) {
	if l.stale > 0 {
		l.stale--
		return l.old, nil
	}
	return l.Store.Disclosures(ctx)
}

// A politician whose records arrived after the request's Disclosures was
// read gets an answer over the new data, not a 422.
func TestServiceComplianceSnapshotBehind(t *testing.T) {
	st := inmem.New()
	importString(t, st, "a", houseJSON([5]string{"Ann Late", "2024-01-01", "2024-03-01", "purchase", "A1"}))
	old, err := st.Disclosures(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	importString(t, st, "b", houseJSON([5]string{"Bo Busy", "2024-01-01", "2024-01-09", "purchase", "B1"}))
	req := quant.Request{Analysis: quant.AnalysisCompliance, ID: "bo-busy"}
	res, err := ensemble.NewService(&laggingDisclosures{Store: st, old: old, stale: 1}).Analyze(context.Background(), quant.MustQuery(req))
	if err != nil || !strings.Contains(string(res.Body), `"known":1`) {
		t.Errorf("compliance after an import the snapshot missed: %v %v", res, err)
	}
	res, err = ensemble.NewService(&laggingDisclosures{Store: st, old: old, stale: 3}).Analyze(context.Background(), quant.MustQuery(req))
	if err != nil || !strings.Contains(string(res.Body), `"known":1`) {
		t.Errorf("compliance with the snapshot behind three times: %v %v", res, err)
	}
	_, err = ensemble.NewService(&laggingDisclosures{Store: st, old: old, stale: 4}).Analyze(context.Background(), quant.MustQuery(req))
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("compliance with the snapshot behind four times: %v; want 503", err)
	}
}

// The summary's median counts lags when their range is small and sorts a
// copy when it is not (a lag of decades among few records); both give the
// median of every known lag.
func TestRankComplianceSummaryMedian(t *testing.T) {
	for _, tt := range []struct {
		lags []int
		want float64
	}{
		{[]int{5}, 5},
		{[]int{0, 0}, 0},
		{[]int{3, 1, 2}, 2},
		{[]int{0, 100000, 5}, 5},     // sorted: the range is far above the count
		{[]int{0, 100000, 7, 5}, 6},  // sorted, even count
		{[]int{40, 10, 20, 30}, 25},  // counted, even count
		{[]int{9, 9, 9, 1, 1, 1}, 5}, // counted, ties at the middle
	} {
		d := &quant.Disclosures{Version: 1, Politicians: []quant.PoliticianDisclosures{politician(t, "m", lags(tt.lags...)...)}}
		got, err := ensemble.RankCompliance(t.Context(), d, 1, quant.SortP50, 20, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Summary.P50 != tt.want || got.Rows[0].P50 != tt.want {
			t.Errorf("RankCompliance(%v): summary p50 %v, row p50 %v, want %v", tt.lags, got.Summary.P50, got.Rows[0].P50, tt.want)
		}
	}
}

// Lags count calendar days of the dates as stored, whatever their clock
// time or zone.
func TestComplianceCalendarDays(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	p := quant.PoliticianDisclosures{ID: "z", Records: []quant.Disclosure{
		{ID: 1, TransactionDate: time.Date(2024, 2, 28, 0, 0, 0, 0, est), DisclosureDate: time.Date(2024, 3, 1, 23, 0, 0, 0, est), Type: quant.TypeSale, Chamber: quant.ChamberHouse},
		{ID: 2, TransactionDate: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), DisclosureDate: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), Type: quant.TypeSale, Chamber: quant.ChamberHouse},
	}}
	got, err := ensemble.Compliance(t.Context(), &p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lag.Min != 2 || got.Lag.Max != 13484 {
		t.Errorf("lags %d..%d, want 2 (2024-02-28 to 03-01, a leap year) .. 13484", got.Lag.Min, got.Lag.Max)
	}
}
