package ensemble_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/quant"
)

// The tests below check the Service's identity (merge mode, the
// compliance ranking's party and state filters and its party and chamber
// figures) over a hand-built store and directory; every expected figure
// follows from ANALYTICS.md section 11 by hand.

const peopleVersion = 7

// idStore is a quant.Store over a hand-built Dataset and Disclosures; the
// methods the Service does not call panic (the embedded nil Store).
type idStore struct {
	quant.Store
	ds   *quant.Dataset
	disc *quant.Disclosures
	pols map[string]quant.Politician
}

func (s *idStore) Dataset(context.Context) (*quant.Dataset, error)         { return s.ds, nil }
func (s *idStore) Disclosures(context.Context) (*quant.Disclosures, error) { return s.disc, nil }
func (s *idStore) DatasetVersion(context.Context) (int64, error)           { return s.ds.Version, nil }
func (s *idStore) Politician(_ context.Context, id string) (quant.Politician, error) {
	if p, ok := s.pols[id]; ok {
		return p, nil
	}
	return quant.Politician{}, &quant.NotFoundError{What: "politician", ID: id}
}

// fakePeople is a quant.People over a hand-built directory and merged
// dataset and disclosures; calls counts MergedDataset calls.
type fakePeople struct {
	dir   *quant.Directory
	ds    *quant.Dataset
	disc  *quant.Disclosures
	calls int
}

func (p *fakePeople) Directory(context.Context) (*quant.Directory, error) { return p.dir, nil }
func (p *fakePeople) MergedDataset(context.Context) (*quant.Dataset, error) {
	p.calls++
	return p.ds, nil
}
func (p *fakePeople) MergedDisclosures(context.Context) (*quant.Disclosures, error) {
	return p.disc, nil
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// legislators: Wyden (senate, OR, Democrat); S000001, a House member from
// MI who left the Republicans on 2020-07-01 within his first term and sat
// as an Independent in his second; T000003 (senate, TX, Republican).
func legislators() *quant.Legislators {
	return &quant.Legislators{Digest: "test", Members: []quant.Legislator{
		{Bioguide: "S000001", First: "Sam", Last: "Switch", Terms: []quant.Term{
			{Chamber: quant.ChamberHouse, Start: date(2019, 1, 3), End: date(2021, 1, 3), State: "MI", District: sql.Null[int32]{V: 3, Valid: true},
				Party: "Independent", Parties: []quant.PartySpan{
					{Start: date(2019, 1, 3), End: date(2020, 6, 30), Party: "Republican"},
					{Start: date(2020, 7, 1), End: date(2021, 1, 3), Party: "Independent"},
				}},
			{Chamber: quant.ChamberHouse, Start: date(2021, 1, 3), End: date(2023, 1, 3), State: "MI", District: sql.Null[int32]{V: 3, Valid: true}, Party: "Independent"},
		}},
		{Bioguide: "T000003", First: "Tex", Last: "One", Terms: []quant.Term{
			{Chamber: quant.ChamberSenate, Start: date(2019, 1, 3), End: date(2025, 1, 3), State: "TX", Party: "Republican"},
		}},
		{Bioguide: "W000779", First: "Ron", Last: "Wyden", OfficialFull: "Ron Wyden", Terms: []quant.Term{
			{Chamber: quant.ChamberSenate, Start: date(2017, 1, 3), End: date(2023, 1, 3), State: "OR", Party: "Democrat"},
			{Chamber: quant.ChamberSenate, Start: date(2023, 1, 3), End: date(2029, 1, 3), State: "OR", Party: "Democrat"},
		}},
	}}
}

// directory resolves the ids of the hand-built data: Wyden's two
// spellings; sam-switch, tex-one; bio-only by its records' own bioguide
// (a person the table lacks); pat-paper (records all of unknown type) to
// P000004, also outside the table; una-known unresolved (its House
// records say CA). With table nil it is the directory without a table
// (parties unknown).
func directory(table *quant.Legislators, version int64) *quant.Directory {
	h, s := []quant.Chamber{quant.ChamberHouse}, []quant.Chamber{quant.ChamberSenate}
	party := func(p string) string {
		if table == nil {
			return ""
		}
		return p
	}
	d := &quant.Directory{Version: version, Legislators: table, IDs: []quant.Identity{
		{ID: "bio-only", Bioguide: "B000009", OfficialName: "Bea Only", State: "NV", Chambers: s, Records: 3, Analyzable: 3},
		{ID: "pat-paper", Bioguide: "P000004", OfficialName: "Pat Paper", State: "NY", Chambers: h, Records: 2},
		{ID: "ron-l-wyden", Bioguide: "W000779", OfficialName: "Ron Wyden", Party: party("Democrat"), State: "OR", Chambers: s, Records: 30, Analyzable: 30},
		{ID: "ron-wyden", Bioguide: "W000779", OfficialName: "Ron Wyden", Party: party("Democrat"), State: "OR", Chambers: s, Records: 20, Analyzable: 20},
		{ID: "sam-switch", Bioguide: "S000001", OfficialName: "Sam Switch", Party: party("Independent"), State: "MI", Chambers: h, Records: 33, Analyzable: 33},
		{ID: "tex-one", Bioguide: "T000003", OfficialName: "Tex One", Party: party("Republican"), State: "TX", Chambers: s, Records: 32, Analyzable: 32},
		{ID: "una-known", Reason: quant.UnresolvedNoMatch, Detail: "no member", State: "CA", Chambers: h, Records: 26, Analyzable: 26},
	}}
	for _, x := range d.IDs {
		if !x.Resolved() {
			continue
		}
		i := slices.IndexFunc(d.People, func(p quant.Person) bool { return p.Bioguide == x.Bioguide })
		if i < 0 {
			m, _ := table.Find(x.Bioguide)
			d.People = append(d.People, quant.Person{Bioguide: x.Bioguide, Legislator: m, OfficialName: x.OfficialName, Party: x.Party, State: x.State, Chambers: x.Chambers})
			i = len(d.People) - 1
		}
		p := &d.People[i]
		p.IDs = append(p.IDs, x.ID)
		p.Records += x.Records
		p.Analyzable += x.Analyzable
	}
	slices.SortFunc(d.People, func(a, b quant.Person) int { return strings.Compare(a.Bioguide, b.Bioguide) })
	return d
}

// activity places counts on weeks (axis positions from 2020-01-06).
func activity(id string, weeks map[int]int, tickers ...string) quant.Activity {
	a := quant.Activity{ID: id, Tickers: tickers}
	for _, w := range slices.Sorted(func(yield func(int) bool) {
		for w := range weeks {
			if !yield(w) {
				return
			}
		}
	}) {
		a.Weeks = append(a.Weeks, quant.WeekCount{Week: date(2020, 1, 6).AddDate(0, 0, 7*w), Count: weeks[w]})
		a.Analyzable += weeks[w]
	}
	return a
}

func weeksOf(from, to, step int, count func(i int) int) map[int]int {
	m := map[int]int{}
	for i := from; i <= to; i += step {
		m[i] = count(i)
	}
	return m
}

// idDataset is the ids' weekly activity (pat-paper has none analyzable).
func idDataset() *quant.Dataset {
	return quant.NewDataset(peopleVersion, []quant.Activity{
		activity("bio-only", map[int]int{5: 1, 6: 2}, "XOM"),
		activity("ron-l-wyden", weeksOf(3, 81, 2, func(i int) int { return 1 + i%3 }), "AAPL", "NVDA"),
		activity("ron-wyden", weeksOf(0, 19, 1, func(i int) int { return 1 + i%2 }), "AAPL", "MSFT"),
		activity("sam-switch", weeksOf(0, 40, 4, func(i int) int { return 3 }), "F"),
		activity("tex-one", weeksOf(10, 30, 1, func(i int) int { return 1 + i%2 }), "XOM"),
		activity("una-known", weeksOf(2, 40, 3, func(i int) int { return 2 }), "GM"),
	})
}

// rec builds one disclosure: its record ID, chamber, transaction date,
// lag in days (undated: no disclosure date).
func disclosure(id int64, ch quant.Chamber, trans time.Time, lag int, undated bool) quant.Disclosure {
	d := quant.Disclosure{ID: id, TransactionDate: trans, Type: quant.TypePurchase, Chamber: ch}
	if !undated {
		d.DisclosureDate = trans.AddDate(0, 0, lag)
	}
	return d
}

// idDisclosures: the records of the figures worked out by hand in
// TestRankCompliancePartyChamberFigures.
func idDisclosures() *quant.Disclosures {
	H, S := quant.ChamberHouse, quant.ChamberSenate
	return &quant.Disclosures{Version: peopleVersion, Politicians: []quant.PoliticianDisclosures{
		{ID: "bio-only", Records: []quant.Disclosure{disclosure(15, S, date(2022, 1, 1), 12, false)}},
		{ID: "ron-l-wyden", Records: []quant.Disclosure{
			disclosure(4, S, date(2023, 6, 1), 30, false),
			disclosure(5, S, date(2023, 7, 1), 100, false),
		}},
		{ID: "ron-wyden", Records: []quant.Disclosure{
			disclosure(1, S, date(2022, 3, 1), 10, false),
			disclosure(2, S, date(2022, 5, 1), 50, false),
			disclosure(3, S, date(2023, 2, 1), 0, true),
		}},
		{ID: "sam-switch", Records: []quant.Disclosure{
			disclosure(6, H, date(2020, 3, 1), 20, false),  // Republican
			disclosure(7, H, date(2020, 6, 30), 60, false), // Republican, its last day
			disclosure(8, H, date(2020, 7, 1), 5, false),   // Independent from this day
			disclosure(9, H, date(2021, 6, 1), -3, false),  // invalid, Independent
			disclosure(10, H, date(2024, 2, 1), 47, false), // after his last term: its party
		}},
		{ID: "tex-one", Records: []quant.Disclosure{
			disclosure(11, S, date(2021, 1, 1), 45, false),
			disclosure(12, S, date(2021, 1, 2), 0, true),
		}},
		{ID: "una-known", Records: []quant.Disclosure{
			disclosure(13, H, date(2022, 1, 1), 80, false),
			disclosure(14, H, date(2022, 1, 2), 2, false),
		}},
	}}
}

// mergeDataset merges ds's activities by person (dir.PersonID): weeks
// summed, tickers united, as quant.People.MergedDataset documents.
func mergeDataset(ds *quant.Dataset, dir *quant.Directory) *quant.Dataset {
	byID := map[string]*quant.Activity{}
	for _, a := range ds.Activities {
		pid := dir.PersonID(a.ID)
		m := byID[pid]
		if m == nil {
			m = &quant.Activity{ID: pid}
			byID[pid] = m
		}
		m.Analyzable += a.Analyzable
		m.Tickers = append(m.Tickers, a.Tickers...)
		for _, w := range a.Weeks {
			i, ok := slices.BinarySearchFunc(m.Weeks, w.Week, func(x quant.WeekCount, t time.Time) int { return x.Week.Compare(t) })
			if ok {
				m.Weeks[i].Count += w.Count
			} else {
				m.Weeks = slices.Insert(m.Weeks, i, w)
			}
		}
	}
	var acts []quant.Activity
	for _, m := range byID {
		slices.Sort(m.Tickers)
		m.Tickers = slices.Compact(m.Tickers)
		acts = append(acts, *m)
	}
	slices.SortFunc(acts, func(a, b quant.Activity) int { return strings.Compare(a.ID, b.ID) })
	return quant.NewDataset(ds.Version, acts)
}

// mergeDisclosures merges d's politicians by person, records by ID.
func mergeDisclosures(d *quant.Disclosures, dir *quant.Directory) *quant.Disclosures {
	byID := map[string][]quant.Disclosure{}
	for _, p := range d.Politicians {
		pid := dir.PersonID(p.ID)
		byID[pid] = append(byID[pid], p.Records...)
	}
	out := &quant.Disclosures{Version: d.Version}
	for id, recs := range byID {
		slices.SortFunc(recs, func(a, b quant.Disclosure) int { return int(a.ID - b.ID) })
		out.Politicians = append(out.Politicians, quant.PoliticianDisclosures{ID: id, Records: recs})
	}
	slices.SortFunc(out.Politicians, func(a, b quant.PoliticianDisclosures) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// world is the hand-built store and its people, with or without a table.
func world(table *quant.Legislators) (*idStore, *fakePeople) {
	st := &idStore{ds: idDataset(), disc: idDisclosures(), pols: map[string]quant.Politician{}}
	dir := directory(table, peopleVersion)
	for _, x := range dir.IDs {
		st.pols[x.ID] = quant.Politician{ID: x.ID, TradeCount: x.Records, AnalyzableCount: x.Analyzable}
	}
	return st, &fakePeople{dir: dir, ds: mergeDataset(st.ds, dir), disc: mergeDisclosures(st.disc, dir)}
}

func analyze(t *testing.T, svc *ensemble.Service, req quant.Request) map[string]any {
	t.Helper()
	res, err := svc.Analyze(context.Background(), quant.MustQuery(req))
	if err != nil {
		t.Fatalf("%+v: %v", req, err)
	}
	var got map[string]any
	if err := json.Unmarshal(res.Body, &got); err != nil {
		t.Fatal(err)
	}
	if res.DatasetVersion != peopleVersion || strings.HasPrefix(res.Key, "people:") != req.MergePeople {
		t.Errorf("%+v: result meta %+v", req, res)
	}
	return got
}

// asMap is v through JSON, as the answers are compared.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkFields reports every key of want that got lacks or holds otherwise.
func checkFields(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if d := cmp.Diff(w, got[k]); d != "" {
			t.Errorf("%s: %s differs (-want +got):\n%s", what, k, d)
		}
	}
}

// summed is y of the sum of ids' series on ds's axis: s_a + s_b from the
// first week either is active.
func summed(t *testing.T, ds *quant.Dataset, ids ...string) []float64 {
	t.Helper()
	sum := make([]float64, ds.Axis.T)
	first := ds.Axis.T
	for _, id := range ids {
		a, ok := ds.Find(id)
		if !ok {
			t.Fatalf("no %s", id)
		}
		s, f := a.Series(nil, ds.Axis)
		for i, v := range s {
			sum[i] += v
		}
		first = min(first, f)
	}
	return sum[first:]
}

// With MergePeople a person answers for their ids: the analysis of the
// summed series, under the bioguide id; an unresolved id keeps its own
// answer; a resolved id is then unknown, and a bioguide id is unknown
// without merging.
func TestServiceMergePeople(t *testing.T) {
	st, people := world(legislators())
	svc := ensemble.NewService(st, ensemble.WithPeople(people))
	ids := st.ds
	y := summed(t, ids, "ron-wyden", "ron-l-wyden")

	fourier := analyze(t, svc, quant.Request{Analysis: quant.AnalysisFourier, ID: "W000779", MergePeople: true})
	got := fourier
	checkFields(t, "fourier/W000779", got, asMap(t, ensemble.Fourier(y)))
	if got["id"] != "W000779" || got["first_week"] != "2020-01-06" || got["last_week"] != ids.Axis.End().Format(time.DateOnly) || got["last_active_week"] != date(2020, 1, 6).AddDate(0, 0, 7*81).Format(time.DateOnly) {
		t.Errorf("fourier/W000779 calendar = %v %v %v %v", got["id"], got["first_week"], got["last_week"], got["last_active_week"])
	}
	if n := len(y); got["n"] != float64(n) || n != ids.Axis.T {
		t.Errorf("merged n = %v, want %d", got["n"], n)
	}
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisHMM, ID: "W000779", MergePeople: true})
	hmm, err := ensemble.HMM(t.Context(), y)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "hmm/W000779", got, asMap(t, hmm))
	fc, err := ensemble.Forecast(t.Context(), y, 4)
	if err != nil {
		t.Fatal(err)
	}
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisEnsemble, ID: "W000779", MergePeople: true})
	checkFields(t, "ensemble/W000779", got, asMap(t, fc))

	// The merged series is not either spelling's.
	one := analyze(t, svc, quant.Request{Analysis: quant.AnalysisFourier, ID: "ron-wyden"})
	checkFields(t, "fourier/ron-wyden", one, asMap(t, ensemble.Fourier(summed(t, ids, "ron-wyden"))))
	if one["total_power"] == fourier["total_power"] {
		t.Errorf("ron-wyden alone answers like the merged person: %v", one)
	}

	// An unresolved id answers the same merged or not, under its own id.
	for _, a := range []quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM} {
		own := analyze(t, svc, quant.Request{Analysis: a, ID: "una-known"})
		merged := analyze(t, svc, quant.Request{Analysis: a, ID: "una-known", MergePeople: true})
		if d := cmp.Diff(own, merged); d != "" || own["id"] != "una-known" {
			t.Errorf("%s/una-known merged differs (-own +merged):\n%s", a, d)
		}
	}

	// Correlation and the network read the merged dataset: its ids.
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisCorrelation, Top: 100, MergePeople: true})
	var wantIDs []any
	for _, a := range people.ds.Activities {
		wantIDs = append(wantIDs, a.ID)
	}
	if gotIDs, _ := got["ids"].([]any); !slices.Contains(gotIDs, any("W000779")) || slices.Contains(gotIDs, any("ron-wyden")) || len(gotIDs) != len(wantIDs) {
		t.Errorf("merged correlation ids = %v, want those of %v", got["ids"], wantIDs)
	}
	want, err := ensemble.Correlation(t.Context(), people.ds, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, "correlation", got, asMap(t, want))
	// A person with no analyzable record is a zero series, like an id.
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"W000779", "P000004", "una-known"}, MergePeople: true})
	if m := got["matrix"].([]any); m[1].([]any)[1] != nil || m[0].([]any)[2] == nil {
		t.Errorf("correlation with a person with nothing analyzable = %v", got)
	}
	net, err := ensemble.Network(t.Context(), people.ds, quant.DefaultMinWeight)
	if err != nil {
		t.Fatal(err)
	}
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisNetwork, MergePeople: true})
	checkFields(t, "network", got, asMap(t, net))

	// Compliance: the person's records together, by record ID.
	wy := quant.PoliticianDisclosures{ID: "W000779"}
	for _, id := range []string{"ron-wyden", "ron-l-wyden"} {
		p, _ := st.disc.Find(id)
		wy.Records = append(wy.Records, p.Records...)
	}
	slices.SortFunc(wy.Records, func(a, b quant.Disclosure) int { return int(a.ID - b.ID) })
	cres, err := ensemble.Compliance(t.Context(), &wy)
	if err != nil {
		t.Fatal(err)
	}
	got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisCompliance, ID: "W000779", MergePeople: true})
	if d := cmp.Diff(asMap(t, cres), got); d != "" || got["records"] != float64(5) {
		t.Errorf("compliance/W000779 (-want +got):\n%s", d)
	}

	ctx := context.Background()
	for _, tt := range []struct {
		req  quant.Request
		want error
	}{
		// Merged, a resolved id is its person's; not a politician of its own.
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "ron-wyden", MergePeople: true}, quant.ErrNotFound},
		{quant.Request{Analysis: quant.AnalysisCompliance, ID: "ron-wyden", MergePeople: true}, quant.ErrNotFound},
		{quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"W000779", "ron-wyden"}, MergePeople: true}, quant.ErrNotFound},
		// Unmerged, a bioguide id is nobody's.
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "W000779"}, quant.ErrNotFound},
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "nobody", MergePeople: true}, quant.ErrNotFound},
		// A person whose records are all of unknown type: 422, as an id.
		{quant.Request{Analysis: quant.AnalysisHMM, ID: "P000004", MergePeople: true}, quant.ErrNotEligible},
		{quant.Request{Analysis: quant.AnalysisCompliance, ID: "P000004", MergePeople: true}, quant.ErrNotEligible},
		{quant.Request{Analysis: quant.AnalysisDTW, ID: "P000004", MergePeople: true}, quant.ErrNotEligible},
		// Too little history, merged like unmerged.
		{quant.Request{Analysis: quant.AnalysisFourier, ID: "B000009", MergePeople: true}, quant.ErrNotEligible},
	} {
		if _, err := svc.Analyze(ctx, quant.MustQuery(tt.req)); !errors.Is(err, tt.want) {
			t.Errorf("%+v = %v, want %v", tt.req, err, tt.want)
		}
	}
	_, err = svc.Analyze(ctx, quant.MustQuery(quant.Request{Analysis: quant.AnalysisFourier, ID: "ron-wyden", MergePeople: true}))
	if err == nil || !strings.Contains(err.Error(), "W000779") {
		t.Errorf("a resolved id merged = %v, want a 404 naming its person", err)
	}
}

// The DTW index of the merged people and that of the ids share a dataset
// version but not their candidates: each mode gets its own, built once.
func TestServiceMergePeopleDTWIndex(t *testing.T) {
	st, people := world(legislators())
	svc := ensemble.NewService(st, ensemble.WithPeople(people))
	ids := func(got map[string]any) []string {
		var out []string
		for _, n := range got["neighbors"].([]any) {
			out = append(out, n.(map[string]any)["id"].(string))
		}
		slices.Sort(out)
		return out
	}
	for range 2 { // alternate: neither mode may serve the other's index
		got := analyze(t, svc, quant.Request{Analysis: quant.AnalysisDTW, ID: "sam-switch", K: 50})
		if want := []string{"ron-l-wyden", "ron-wyden", "tex-one", "una-known"}; !slices.Equal(ids(got), want) || got["candidates"] != float64(5) {
			t.Errorf("dtw/sam-switch neighbours %v (%v candidates), want %v of 5", ids(got), got["candidates"], want)
		}
		got = analyze(t, svc, quant.Request{Analysis: quant.AnalysisDTW, ID: "S000001", K: 50, MergePeople: true})
		if want := []string{"T000003", "W000779", "una-known"}; !slices.Equal(ids(got), want) || got["candidates"] != float64(4) {
			t.Errorf("dtw/S000001 neighbours %v (%v candidates), want %v of 4", ids(got), got["candidates"], want)
		}
		want, err := ensemble.DTW(t.Context(), people.ds, "S000001", 50)
		if err != nil {
			t.Fatal(err)
		}
		checkFields(t, "dtw/S000001", got, asMap(t, want))
	}
}

// Merging, and the party and state filters, need a People.
func TestServiceWithoutPeople(t *testing.T) {
	st, _ := world(legislators())
	svc := ensemble.NewService(st)
	for _, req := range []quant.Request{
		{Analysis: quant.AnalysisFourier, ID: "W000779", MergePeople: true},
		{Analysis: quant.AnalysisCompliance, MergePeople: true},
		{Analysis: quant.AnalysisCompliance, Party: "Democrat"},
		{Analysis: quant.AnalysisCompliance, State: "OR"},
	} {
		_, err := svc.Analyze(context.Background(), quant.MustQuery(req))
		if !errors.Is(err, quant.ErrUnavailable) || !strings.Contains(err.Error(), "people") {
			t.Errorf("%+v without People = %v, want ErrUnavailable naming what is missing", req, err)
		}
	}
	_, err := ensemble.RankComplianceWith(t.Context(), st.disc, 1, quant.SortLateShare, 20, ensemble.RankOptions{State: "OR"})
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("RankComplianceWith(state, no directory) = %v, want ErrUnavailable", err)
	}
	_, err = ensemble.RankComplianceWith(t.Context(), st.disc, 1, quant.SortLateShare, 20, ensemble.RankOptions{Party: "Democrat", Directory: directory(nil, peopleVersion)})
	var pe *quant.ParamError
	if !errors.As(err, &pe) || pe.Param != "party" {
		t.Errorf("RankComplianceWith(party, no table) = %v, want a ParamError for party", err)
	}
}

func fptr(v float64) *float64 { return &v }
func sptr(v string) *string   { return &v }

// The summary's party and chamber figures, by hand (idDisclosures):
//
//	senate: records 1-5, 11, 12, 15: 8, known lags 10 50 30 100 45 12 (6),
//	        late 50 100 (2), share 1/3, p50 (30+45)/2 = 37.5
//	house:  records 6-10, 13, 14: 7, known 20 60 5 47 80 2 (6; 9 invalid),
//	        late 60 47 80 (3), share 1/2, p50 (20+47)/2 = 33.5
//	Democrat (Wyden): 1-5: 5, known 10 50 30 100, late 2, p50 40
//	Republican: sam 6, 7 (to 2020-06-30) and tex 11, 12: 4, known
//	        20 60 45, late 1, p50 45
//	Independent: sam 8 (from 2020-07-01), 9, 10 (after his last term:
//	        its party): 3, known 5 47, late 1, p50 26
//	null: una-known 13, 14 (unresolved), bio-only 15 (no row in the
//	        table): 3, known 80 2 12, late 1, p50 12 (after Independent:
//	        a tie on records puts the null party last)
func TestRankCompliancePartyChamberFigures(t *testing.T) {
	st, people := world(legislators())
	wantGroups := &ensemble.ComplianceGroups{
		ByChamber: []ensemble.ChamberFigures{
			{Chamber: quant.ChamberSenate, GroupFigures: ensemble.GroupFigures{Records: 8, Known: 6, Late: 2, LateShare: fptr(1.0 / 3), P50: fptr(37.5)}},
			{Chamber: quant.ChamberHouse, GroupFigures: ensemble.GroupFigures{Records: 7, Known: 6, Late: 3, LateShare: fptr(0.5), P50: fptr(33.5)}},
		},
		ByParty: []ensemble.PartyFigures{
			{Party: sptr("Democrat"), GroupFigures: ensemble.GroupFigures{Records: 5, Known: 4, Late: 2, LateShare: fptr(0.5), P50: fptr(40)}},
			{Party: sptr("Republican"), GroupFigures: ensemble.GroupFigures{Records: 4, Known: 3, Late: 1, LateShare: fptr(1.0 / 3), P50: fptr(45)}},
			{Party: sptr("Independent"), GroupFigures: ensemble.GroupFigures{Records: 3, Known: 2, Late: 1, LateShare: fptr(0.5), P50: fptr(26)}},
			{Party: nil, GroupFigures: ensemble.GroupFigures{Records: 3, Known: 3, Late: 1, LateShare: fptr(1.0 / 3), P50: fptr(12)}},
		},
	}
	// all lags: 2 5 10 12 20 30 45 47 50 60 80 100: p50 37.5
	wantSum := ensemble.ComplianceSummary{Politicians: 6, Ranked: 6, Records: 15, Known: 12, Invalid: 1, Undated: 2, Late: 5, LateShare: 5.0 / 12, P50: 37.5, ComplianceGroups: wantGroups}
	for _, merged := range []bool{false, true} {
		d, ranked := st.disc, 6
		if merged {
			d, ranked = people.disc, 5 // Wyden's two ids are one row
		}
		wantSum.Politicians, wantSum.Ranked = ranked, ranked
		got, err := ensemble.RankComplianceWith(t.Context(), d, 1, quant.SortLateShare, 20, ensemble.RankOptions{Directory: people.dir, Merged: merged})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantSum, got.Summary); diff != "" {
			t.Errorf("merged %v: summary (-want +got):\n%s", merged, diff)
		}
	}

	// Through the Service, the JSON: by_chamber then by_party in the
	// summary, null figures for a group with no known lag.
	st.disc.Politicians = append(st.disc.Politicians, quant.PoliticianDisclosures{ID: "zz-undated",
		Records: []quant.Disclosure{disclosure(16, quant.ChamberSenate, date(2022, 1, 1), 0, true)}})
	people.dir.IDs = append(people.dir.IDs, quant.Identity{ID: "zz-undated", Bioguide: "Z000010", Chambers: []quant.Chamber{quant.ChamberSenate}, Records: 1, Analyzable: 1})
	svc := ensemble.NewService(st, ensemble.WithPeople(people))
	res, err := svc.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1, Limit: 1, Chamber: quant.ChamberSenate, State: "TX"}))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"min_records":1,"sort":"late_share","limit":1,"chamber":"senate","state":"TX",` +
		`"rows":[{"id":"tex-one","chambers":["senate"],"known":1,"late":0,"late_share":0,"p50":45,"max":45}],` +
		`"summary":{"politicians":1,"ranked":1,"records":2,"known":1,"invalid":0,"undated":1,"late":0,"late_share":0,"p50":45,` +
		`"by_chamber":[{"chamber":"senate","records":2,"known":1,"late":0,"late_share":0,"p50":45}],` +
		`"by_party":[{"party":"Republican","records":2,"known":1,"late":0,"late_share":0,"p50":45}]}}`
	if string(res.Body) != want {
		t.Errorf("ranking body\n got %s\nwant %s", res.Body, want)
	}
	res, err = svc.Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1, Chamber: quant.ChamberSenate}))
	if err != nil {
		t.Fatal(err)
	}
	// zz-undated resolves to a person without a row: the null party,
	// which then has 2 records (bio-only's and its), 1 known.
	for _, part := range []string{
		`"by_chamber":[{"chamber":"senate","records":9,"known":6,"late":2,"late_share":0.3333333333333333,"p50":37.5}]`,
		`{"party":null,"records":2,"known":1,"late":0,"late_share":0,"p50":12}`,
	} {
		if !strings.Contains(string(res.Body), part) {
			t.Errorf("senate ranking %s lacks %s", res.Body, part)
		}
	}
	got, err := ensemble.RankComplianceWith(t.Context(), &quant.Disclosures{Version: 1, Politicians: []quant.PoliticianDisclosures{
		{ID: "tex-one", Records: []quant.Disclosure{disclosure(1, quant.ChamberSenate, date(2021, 1, 1), 5, false)}},
		{ID: "zz-undated", Records: []quant.Disclosure{disclosure(2, quant.ChamberHouse, date(2021, 1, 1), 0, true)}},
	}}, 1, quant.SortLateShare, 20, ensemble.RankOptions{Directory: people.dir})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got.Summary.ByChamber); string(b) != `[{"chamber":"house","records":1,"known":0,"late":0,"late_share":null,"p50":null},{"chamber":"senate","records":1,"known":1,"late":0,"late_share":0,"p50":5}]` {
		t.Errorf("by_chamber with an undated group = %s, want null share and p50, ties by name", b)
	}
}

// Party and State keep the politicians whose identity has them (the
// party at the last trade, the id's state; a person's when merged); the
// rows and the summary, its figures included, read only their records.
func TestRankCompliancePartyState(t *testing.T) {
	st, people := world(legislators())
	svc := ensemble.NewService(st, ensemble.WithPeople(people))
	rank := func(req quant.Request) (*ensemble.ComplianceRanking, error) {
		req.Analysis, req.MinRecords, req.Limit = quant.AnalysisCompliance, 1, 500
		res, err := svc.Analyze(context.Background(), quant.MustQuery(req))
		if err != nil {
			return nil, err
		}
		var out ensemble.ComplianceRanking
		if err := json.Unmarshal(res.Body, &out); err != nil {
			t.Fatal(err)
		}
		return &out, nil
	}
	for _, tt := range []struct {
		req     quant.Request
		rows    []string
		records int
		parties []string // by_party's names, "-" for null
	}{
		{quant.Request{State: "OR"}, []string{"ron-l-wyden", "ron-wyden"}, 5, []string{"Democrat"}},
		{quant.Request{State: "OR", MergePeople: true}, []string{"W000779"}, 5, []string{"Democrat"}},
		// An unresolved id has its House records' state, and no party.
		{quant.Request{State: "CA"}, []string{"una-known"}, 2, []string{"-"}},
		{quant.Request{State: "CA", MergePeople: true}, []string{"una-known"}, 2, []string{"-"}},
		// sam-switch is an Independent at his last trade: he is one, with
		// his Republican records counted under Republican.
		{quant.Request{Party: "Independent"}, []string{"sam-switch"}, 5, []string{"Independent", "Republican"}},
		{quant.Request{Party: "INDEPENDENT", MergePeople: true}, []string{"S000001"}, 5, []string{"Independent", "Republican"}},
		{quant.Request{Party: "Republican"}, []string{"tex-one"}, 2, []string{"Republican"}},
		{quant.Request{Party: "Republican", State: "TX"}, []string{"tex-one"}, 2, []string{"Republican"}},
		{quant.Request{Party: "Democrat", Chamber: quant.ChamberSenate}, []string{"ron-l-wyden", "ron-wyden"}, 5, []string{"Democrat"}},
	} {
		got, err := rank(tt.req)
		if err != nil {
			t.Errorf("%+v: %v", tt.req, err)
			continue
		}
		var parties []string
		for _, p := range got.Summary.ByParty {
			parties = append(parties, *cmpOr(p.Party, sptr("-")))
		}
		if ids := rankIDs(got); !slices.Equal(ids, tt.rows) || got.Summary.Records != tt.records || !slices.Equal(parties, tt.parties) {
			t.Errorf("%+v: rows %v, %d records, parties %v; want %v, %d, %v", tt.req, ids, got.Summary.Records, parties, tt.rows, tt.records, tt.parties)
		}
		if got.Party != tt.req.Party || got.State != tt.req.State {
			t.Errorf("%+v: echoes party %q state %q", tt.req, got.Party, got.State)
		}
	}
	// Independent: sam's records 6-10 (Republican 20, 60; Independent 5,
	// -3, 47): known 4, late 60 47, p50 (20+47)/2.
	got, err := rank(quant.Request{Party: "Independent"})
	if err != nil {
		t.Fatal(err)
	}
	wantParty := []ensemble.PartyFigures{
		{Party: sptr("Independent"), GroupFigures: ensemble.GroupFigures{Records: 3, Known: 2, Late: 1, LateShare: fptr(0.5), P50: fptr(26)}},
		{Party: sptr("Republican"), GroupFigures: ensemble.GroupFigures{Records: 2, Known: 2, Late: 1, LateShare: fptr(0.5), P50: fptr(40)}},
	}
	if d := cmp.Diff(wantParty, got.Summary.ByParty); d != "" || got.Summary.Known != 4 || got.Summary.Late != 2 || got.Summary.P50 != 33.5 {
		t.Errorf("party Independent: summary %+v, by_party (-want +got):\n%s", got.Summary, d)
	}

	// Nobody matches: the 422, naming the filter.
	for _, req := range []quant.Request{{Party: "Libertarian"}, {State: "AK"}, {State: "TX", Chamber: quant.ChamberHouse}} {
		_, err := rank(req)
		wantReason(t, "compliance ranking", err, quant.ReasonNoDisclosureDates)
		if err != nil && !strings.Contains(err.Error(), "politicians of") {
			t.Errorf("%+v: %v does not name the filter", req, err)
		}
	}
}

// Without a table the answer is section 11's (no by_chamber, no by_party:
// the vectors' shape), with People or without; a directory of another
// version than the records is a snapshot behind (read again, then 503).
func TestServiceComplianceWithoutTable(t *testing.T) {
	st, people := world(nil)
	req := quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1}
	plain, err := ensemble.NewService(st).Analyze(context.Background(), quant.MustQuery(req))
	if err != nil {
		t.Fatal(err)
	}
	with, err := ensemble.NewService(st, ensemble.WithPeople(people)).Analyze(context.Background(), quant.MustQuery(req))
	if err != nil {
		t.Fatal(err)
	}
	if string(plain.Body) != string(with.Body) || strings.Contains(string(with.Body), "by_") {
		t.Errorf("ranking without a table\n with People %s\n without %s", with.Body, plain.Body)
	}
	// State needs no table.
	res, err := ensemble.NewService(st, ensemble.WithPeople(people)).Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1, State: "OR"}))
	if err != nil || strings.Contains(string(res.Body), "by_") || !strings.Contains(string(res.Body), `"records":5,`) {
		t.Errorf("state OR without a table = %s, %v", res.Body, err)
	}

	_, people = world(legislators())
	people.dir.Version = peopleVersion - 1
	_, err = ensemble.NewService(st, ensemble.WithPeople(people)).Analyze(context.Background(), quant.MustQuery(req))
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("a directory behind the records = %v, want 503", err)
	}
	_, err = ensemble.NewService(st, ensemble.WithPeople(people)).Analyze(context.Background(), quant.MustQuery(quant.Request{Analysis: quant.AnalysisFourier, ID: "P000004", MergePeople: true}))
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("a merged lookup in a directory behind the data = %v, want 503", err)
	}
}
