package server

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/quant"
)

// fakePeople is a quant.People over a hand-built directory (the real one,
// internal/people, is tested on its own and end to end by cmd/quant).
type fakePeople struct {
	dir   *quant.Directory
	err   error
	calls atomic.Int64
}

func (f *fakePeople) Directory(context.Context) (*quant.Directory, error) {
	f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return f.dir, nil
}

// The server never reads merged data: the analyses do.
func (f *fakePeople) MergedDataset(context.Context) (*quant.Dataset, error) {
	return nil, errors.New("fakePeople: the server reads no merged dataset")
}

func (f *fakePeople) MergedDisclosures(context.Context) (*quant.Disclosures, error) {
	return nil, errors.New("fakePeople: the server reads no merged disclosures")
}

// idSpec says by hand who an id is: a bioguide id with the person's party
// and state at the id's last trade, or why it resolves to nobody.
type idSpec struct {
	bioguide, party, state string
	reason                 quant.UnresolvedReason
	candidates             []string
}

// handDirectory builds the directory of st's ids as specs assign them
// (every stored id must have one), with the table: counts, trade dates
// and chambers come from the store's Filers, as a resolver's would; an
// unresolved id's state is its latest House record's.
func handDirectory(tb testing.TB, st quant.Store, table *quant.Legislators, specs map[string]idSpec) *quant.Directory {
	tb.Helper()
	fs, err := st.Filers(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	d := &quant.Directory{Version: fs.Version, Legislators: table}
	var lastHouse time.Time // of the id being built
	for _, f := range fs.Filers {
		if n := len(d.IDs); n == 0 || d.IDs[n-1].ID != f.PoliticianID {
			spec, ok := specs[f.PoliticianID]
			if !ok {
				tb.Fatalf("handDirectory: no spec for the stored id %q", f.PoliticianID)
			}
			x := quant.Identity{ID: f.PoliticianID, Bioguide: spec.bioguide, Party: spec.party, State: spec.state}
			if spec.bioguide == "" {
				x.Reason, x.Candidates = spec.reason, spec.candidates
				x.Detail = "test: " + string(spec.reason) + " for " + f.PoliticianID
			} else if m, ok := table.Find(spec.bioguide); ok {
				x.OfficialName = officialName(m)
			}
			d.IDs = append(d.IDs, x)
			lastHouse = time.Time{}
		}
		x := &d.IDs[len(d.IDs)-1]
		if !slices.Contains(x.Chambers, f.Chamber) {
			x.Chambers = append(x.Chambers, f.Chamber)
			slices.Sort(x.Chambers)
		}
		for _, day := range f.Days {
			x.Records += day.Records
			x.Analyzable += day.Analyzable
			if x.FirstTrade.IsZero() || day.Date.Before(x.FirstTrade) {
				x.FirstTrade = day.Date
			}
			x.LastTrade = maxTime(x.LastTrade, day.Date)
			if x.Bioguide == "" && f.Chamber == quant.ChamberHouse && day.Date.After(lastHouse) {
				lastHouse, x.State = day.Date, f.State
			}
		}
	}
	byBioguide := map[string]*quant.Person{}
	last := map[string]time.Time{} // the latest last trade of a person's ids so far
	for _, x := range d.IDs {
		if x.Bioguide == "" {
			continue
		}
		p := byBioguide[x.Bioguide]
		if p == nil {
			p = &quant.Person{Bioguide: x.Bioguide, OfficialName: x.OfficialName}
			if m, ok := table.Find(x.Bioguide); ok {
				p.Legislator = m
			}
			byBioguide[x.Bioguide] = p
		}
		p.IDs = append(p.IDs, x.ID)
		p.Records += x.Records
		p.Analyzable += x.Analyzable
		for _, c := range x.Chambers {
			if !slices.Contains(p.Chambers, c) {
				p.Chambers = append(p.Chambers, c)
			}
		}
		slices.Sort(p.Chambers)
		if p.FirstTrade.IsZero() || x.FirstTrade.Before(p.FirstTrade) {
			p.FirstTrade = x.FirstTrade
		}
		if !x.LastTrade.Before(last[x.Bioguide]) {
			last[x.Bioguide] = x.LastTrade
			p.LastTrade, p.Party, p.State = x.LastTrade, x.Party, x.State
		}
	}
	for _, p := range byBioguide {
		d.People = append(d.People, *p)
	}
	slices.SortFunc(d.People, func(a, b quant.Person) int { return strings.Compare(a.Bioguide, b.Bioguide) })
	return d
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// recordingAnalyzer answers every request with an empty body under its
// key and records the requests it was given, as given.
type recordingAnalyzer struct {
	mu   sync.Mutex
	reqs []quant.Request
}

func (a *recordingAnalyzer) Analyze(_ context.Context, req quant.Query) (*quant.Result, error) {
	a.mu.Lock()
	a.reqs = append(a.reqs, req.Request)
	a.mu.Unlock()
	return &quant.Result{Analysis: req.Analysis, Key: req.Key(), Body: []byte(`{}`), DatasetVersion: 1, ComputedAt: time.Now()}, nil
}

// taken returns the requests recorded since the last call and forgets them.
func (a *recordingAnalyzer) taken() []quant.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := a.reqs
	a.reqs = nil
	return out
}

// term is a term of service for a hand-built table.
func term(chamber quant.Chamber, start, end, state string, district int32, party string, spans ...quant.PartySpan) quant.Term {
	t := quant.Term{Chamber: chamber, Start: civil(start), End: civil(end), State: state, Party: party, Parties: spans}
	if chamber == quant.ChamberHouse {
		t.District = sql.Null[int32]{V: district, Valid: true}
	}
	return t
}

// handTable is a hand-built legislators table: the people of the
// fixtures below, two senators of one last name (Q000001, Q000002), and
// two members no record of identityFixture names (M000001: House, then
// Senate, changing party within the Senate term; S000001, chamberFixture's
// senator).
func handTable() *quant.Legislators {
	return &quant.Legislators{
		Digest:  "0123abcd",
		Sources: []string{"legislators-test.yaml"},
		Members: []quant.Legislator{
			{Bioguide: "C000001", First: "Daniel", Last: "Crane", Nickname: "Dan", Terms: []quant.Term{
				term(quant.ChamberHouse, "2019-01-03", "2025-01-03", "TX", 2, "Republican")}},
			{Bioguide: "M000001", First: "Maria", Middle: "L.", Last: "Member", OfficialFull: "Maria L. Member",
				OtherNames: []quant.LegislatorName{{First: "Maria", Last: "Maiden", End: civil("2010-06-30")}},
				Terms: []quant.Term{
					term(quant.ChamberHouse, "2007-01-04", "2013-01-03", "VT", 0, "Democrat"),
					term(quant.ChamberSenate, "2013-01-03", "2019-01-03", "VT", 0, "Democrat",
						quant.PartySpan{Start: civil("2013-01-03"), End: civil("2015-06-30"), Party: "Democrat"},
						quant.PartySpan{Start: civil("2015-07-01"), End: civil("2019-01-03"), Party: "Independent"}),
				}},
			{Bioguide: "P000197", First: "Nancy", Last: "Pelosi", OfficialFull: "Nancy Pelosi", Terms: []quant.Term{
				term(quant.ChamberHouse, "2023-01-03", "2025-01-03", "CA", 11, "Democrat")}},
			{Bioguide: "Q000001", First: "Pat", Last: "Quinn", Terms: []quant.Term{
				term(quant.ChamberSenate, "2017-01-03", "2023-01-03", "IL", 0, "Democrat")}},
			{Bioguide: "Q000002", First: "Patricia", Last: "Quinn", Terms: []quant.Term{
				term(quant.ChamberSenate, "2019-01-03", "2025-01-03", "NH", 0, "Independent")}},
			{Bioguide: "S000001", First: "Samuel", Last: "Senator", Nickname: "Sam", Terms: []quant.Term{
				term(quant.ChamberSenate, "2019-01-03", "2025-01-03", "ME", 0, "Independent")}},
			{Bioguide: "W000779", First: "Ron", Middle: "L.", Last: "Wyden", OfficialFull: "Ron Wyden", Terms: []quant.Term{
				term(quant.ChamberHouse, "1981-01-05", "1996-02-05", "OR", 3, "Democrat"),
				term(quant.ChamberSenate, "1996-02-06", "2029-01-03", "OR", 0, "Democrat")}},
		},
	}
}

// identityFixture is records of one senator under two spellings (one of
// them with its own bioguide id, as Senate filings carry), two House
// members, a Senate id two senators could be and a House id nobody is.
func identityFixture() []quant.Trade {
	senate := func(format quant.SourceFormat, id, name, date, ticker string, typ quant.TradeType, bioguide string) quant.Trade {
		return quant.Trade{Format: format, PoliticianID: id, PoliticianName: name, TransactionDate: civil(date), Ticker: ticker, Type: typ,
			AmountMin: dollars(1001), AmountMax: dollars(15000), Owner: "Self", OwnerKind: quant.OwnerSelf, Chamber: quant.ChamberSenate,
			Bioguide: bioguide, PTRLink: id + "/" + date, FilingID: "S-" + id + date}
	}
	house := func(id, name, date, ticker string, typ quant.TradeType, state string, district int32) quant.Trade {
		return quant.Trade{Format: quant.FormatHouse, PoliticianID: id, PoliticianName: name, TransactionDate: civil(date), Ticker: ticker, Type: typ,
			AmountMin: dollars(1001), AmountMax: dollars(15000), Owner: "Self", OwnerKind: quant.OwnerSelf, Chamber: quant.ChamberHouse,
			State: state, District: sql.Null[int32]{V: district, Valid: true}, PTRLink: id + "/" + date, FilingID: "H-" + id + date,
			DisclosureDate: civil(date).AddDate(0, 0, 30)}
	}
	return []quant.Trade{
		senate(quant.FormatSenateFilings, "ron-l-wyden", "Ron L Wyden", "2019-03-01", "AAPL", quant.TypePurchase, "W000779"),
		senate(quant.FormatSenateFilings, "ron-l-wyden", "Ron L Wyden", "2020-05-04", "MSFT", quant.TypeSale, "W000779"),
		senate(quant.FormatSenateCSV, "ron-wyden", "Ron Wyden", "2018-06-01", "AAPL", quant.TypePurchase, ""),
		house("nancy-pelosi", "Hon. Nancy Pelosi", "2024-03-01", "NVDA", quant.TypePurchase, "CA", 11),
		house("nancy-pelosi", "Hon. Nancy Pelosi", "2024-02-15", "AAPL", quant.TypeSaleFull, "CA", 11),
		house("nancy-pelosi", "Nancy Pelosi", "2023-12-01", "GOOG", quant.TypePurchase, "CA", 11),
		house("dan-crane", "Dan Crane", "2022-07-01", "XOM", quant.TypePurchase, "TX", 2),
		senate(quant.FormatSenateJSON, "pat-quinn", "Pat Quinn", "2020-01-15", "", quant.TypeUnknown, ""),
		house("lee-x", "Lee X", "2021-09-09", "F", quant.TypeSale, "NY", 3),
		house("lee-x", "Lee X", "2021-10-09", "F", quant.TypePurchase, "NY", 3),
	}
}

// identitySpecs assigns identityFixture's ids by hand.
var identitySpecs = map[string]idSpec{
	"ron-l-wyden":  {bioguide: "W000779", party: "Democrat", state: "OR"},
	"ron-wyden":    {bioguide: "W000779", party: "Democrat", state: "OR"},
	"nancy-pelosi": {bioguide: "P000197", party: "Democrat", state: "CA"},
	"dan-crane":    {bioguide: "C000001", party: "Republican", state: "TX"},
	"pat-quinn":    {reason: quant.UnresolvedAmbiguous, candidates: []string{"Q000001", "Q000002"}},
	"lee-x":        {reason: quant.UnresolvedNoMatch},
}

// identityServer serves identityFixture with the hand-built directory
// over handTable (table false leaves the table out, as a server without
// --legislators has it: only the ids whose records carry their own
// bioguide id resolve), analyses answered by a recordingAnalyzer and jobs
// kept queued (no runner runs them), with people merged when merge is set.
type identityServer struct {
	srv    *Server
	people *fakePeople
	a      *recordingAnalyzer
	store  quant.Store
}

func newIdentityServer(tb testing.TB, table, merge bool) *identityServer {
	tb.Helper()
	st := importedStore(tb, identityFixture())
	var d *quant.Directory
	if table {
		d = handDirectory(tb, st, handTable(), identitySpecs)
	} else {
		d = handDirectory(tb, st, nil, map[string]idSpec{
			"ron-l-wyden":  {bioguide: "W000779"},
			"ron-wyden":    {reason: quant.UnresolvedNoTable},
			"nancy-pelosi": {reason: quant.UnresolvedNoTable},
			"dan-crane":    {reason: quant.UnresolvedNoTable},
			"pat-quinn":    {reason: quant.UnresolvedNoTable},
			"lee-x":        {reason: quant.UnresolvedNoTable},
		})
	}
	fp := &fakePeople{dir: d}
	a := &recordingAnalyzer{}
	runner := jobs.New(jobs.Config{Store: inmem.NewJobs(), Analyzer: a})
	s := New(Config{Store: st, People: fp, MergePeople: merge, Analyzer: a, Jobs: runner})
	return &identityServer{srv: s, people: fp, a: a, store: st}
}

// chamberSpecs assigns chamberFixture's ids by hand (over handTable).
var chamberSpecs = map[string]idSpec{
	"nancy-p": {bioguide: "P000197", party: "Democrat", state: "CA"},
	"dan-c":   {bioguide: "C000001", party: "Republican", state: "TX"},
	"sam-s":   {bioguide: "S000001", party: "Independent", state: "ME"},
	"pat-q":   {reason: quant.UnresolvedNoMatch},
}

// serve answers one request through h; body is JSON or empty.
func serve(tb testing.TB, h http.Handler, method, path, body string) (int, map[string]any) {
	tb.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		tb.Fatalf("%s %s = %d, body is not JSON: %v: %s", method, path, w.Code, err, w.Body)
	}
	return w.Code, out
}

// listed returns the values of key of the items of list in body.
func listed(tb testing.TB, body map[string]any, list, key string) []string {
	tb.Helper()
	items, ok := body[list].([]any)
	if !ok {
		tb.Fatalf("answer has no list %q: %v", list, body)
	}
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)[key].(string))
	}
	return out
}

// problemCheck checks a 400 names param and says each of says.
func problemCheck(tb testing.TB, what string, status int, body map[string]any, param string, says ...string) {
	tb.Helper()
	if status != http.StatusBadRequest || body["param"] != param {
		tb.Errorf("%s = %d param %v (%v), want 400 naming %q", what, status, body["param"], body["detail"], param)
		return
	}
	for _, s := range says {
		if d, _ := body["detail"].(string); !strings.Contains(d, s) {
			tb.Errorf("%s: detail %q does not say %q", what, d, s)
		}
	}
}

func TestPoliticianIdentityFilters(t *testing.T) {
	withTable := newIdentityServer(t, true, false).srv.Handler()
	noTable := newIdentityServer(t, false, false).srv.Handler()
	noPeople := New(Config{Store: importedStore(t, identityFixture())}).Handler()
	tests := []struct {
		name  string
		h     http.Handler
		query string
		want  []string // the ids listed; nil: a 400 naming param
		total int
		param string
		says  []string
	}{
		{"every id", withTable, "", []string{"nancy-pelosi", "lee-x", "ron-l-wyden", "dan-crane", "pat-quinn", "ron-wyden"}, 6, "", nil},
		{"party any case", withTable, "party=democrat", []string{"nancy-pelosi", "ron-l-wyden", "ron-wyden"}, 3, "", nil},
		{"party paged", withTable, "party=DEMOCRAT&limit=1&offset=1", []string{"ron-l-wyden"}, 3, "", nil},
		{"party past the end", withTable, "party=Democrat&offset=5", []string{}, 3, "", nil},
		{"party sorted by name", withTable, "party=Democrat&sort=name", []string{"nancy-pelosi", "ron-l-wyden", "ron-wyden"}, 3, "", nil},
		{"other party", withTable, "party=republican", []string{"dan-crane"}, 1, "", nil},
		{"a party of the table no id has", withTable, "party=independent", []string{}, 0, "", nil},
		{"state of senators", withTable, "state=or", []string{"ron-l-wyden", "ron-wyden"}, 2, "", nil},
		{"state of an unresolved House id", withTable, "state=NY", []string{"lee-x"}, 1, "", nil},
		{"chamber", withTable, "chamber=Senate", []string{"ron-l-wyden", "pat-quinn", "ron-wyden"}, 3, "", nil},
		{"chamber and state", withTable, "chamber=house&state=CA", []string{"nancy-pelosi"}, 1, "", nil},
		{"party and chamber", withTable, "party=Democrat&chamber=senate", []string{"ron-l-wyden", "ron-wyden"}, 2, "", nil},
		{"nothing matches", withTable, "party=Republican&state=CA", []string{}, 0, "", nil},
		{"unknown party", withTable, "party=Green", nil, 0, "party", []string{`"Green"`, "Democrat, Independent, Republican"}},
		{"not a party", withTable, "party=dem0crat", nil, 0, "party", nil},
		{"party twice", withTable, "party=Democrat&party=Republican", nil, 0, "party", nil},
		{"bad state", withTable, "state=C1", nil, 0, "state", nil},
		{"bad chamber", withTable, "chamber=congress", nil, 0, "chamber", nil},
		{"party without a table", noTable, "party=Democrat", nil, 0, "party", []string{"quant serve --legislators FILE"}},
		{"state without a table", noTable, "state=CA", []string{"nancy-pelosi"}, 1, "", nil},
		{"chamber without a table", noTable, "chamber=senate", []string{"ron-l-wyden", "pat-quinn", "ron-wyden"}, 3, "", nil},
		{"party without people", noPeople, "party=Democrat", nil, 0, "party", []string{"--legislators"}},
		{"state without people", noPeople, "state=CA", nil, 0, "state", []string{"does not resolve"}},
		{"chamber without people", noPeople, "chamber=house", nil, 0, "chamber", []string{"does not resolve"}},
		{"no filter without people", noPeople, "sort=name&limit=2", []string{"dan-crane", "lee-x"}, 6, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/politicians?" + tt.query
			status, body := serve(t, tt.h, "GET", path, "")
			if tt.want == nil {
				problemCheck(t, "GET "+path, status, body, tt.param, tt.says...)
				return
			}
			if status != 200 {
				t.Fatalf("GET %s = %d %v", path, status, body)
			}
			if got := listed(t, body, "politicians", "id"); !slices.Equal(got, tt.want) || body["total"] != float64(tt.total) {
				t.Errorf("GET %s = %v total %v, want %v total %d", path, got, body["total"], tt.want, tt.total)
			}
		})
	}
}

func TestTradeIdentityFilters(t *testing.T) {
	h := newIdentityServer(t, true, false).srv.Handler()
	wyden := []string{"ron-l-wyden", "ron-l-wyden", "ron-wyden"}
	tests := []struct {
		path  string
		want  []string // politician_id of each trade, newest first; nil: a 400 naming param
		param string
	}{
		{"/api/v1/trades?party=democrat", []string{"nancy-pelosi", "nancy-pelosi", "nancy-pelosi", "ron-l-wyden", "ron-l-wyden", "ron-wyden"}, ""},
		// state is the politician's: senators' records carry none.
		{"/api/v1/trades?state=or", wyden, ""},
		{"/api/v1/trades?state=NY", []string{"lee-x", "lee-x"}, ""},
		// chamber stays the record's.
		{"/api/v1/trades?party=Democrat&chamber=senate", wyden, ""},
		{"/api/v1/trades?party=Democrat&chamber=house&ticker=aapl", []string{"nancy-pelosi"}, ""},
		{"/api/v1/trades?party=Republican&state=TX", []string{"dan-crane"}, ""},
		{"/api/v1/trades?party=Independent", []string{}, ""},
		{"/api/v1/trades?party=Democrat&limit=4", []string{"nancy-pelosi", "nancy-pelosi", "nancy-pelosi", "ron-l-wyden"}, ""},
		{"/api/v1/politicians/nancy-pelosi/trades?party=democrat&from=2024-01-01", []string{"nancy-pelosi", "nancy-pelosi"}, ""},
		{"/api/v1/politicians/nancy-pelosi/trades?party=Republican", []string{}, ""},
		{"/api/v1/politicians/ron-wyden/trades?state=OR", []string{"ron-wyden"}, ""},
		{"/api/v1/trades?party=Green", nil, "party"},
		{"/api/v1/politicians/ron-wyden/trades?party=Whig", nil, "party"},
		{"/api/v1/trades?state=OR&state=CA", nil, "state"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := serve(t, h, "GET", tt.path, "")
			if tt.want == nil {
				problemCheck(t, "GET "+tt.path, status, body, tt.param)
				return
			}
			if got := listed(t, body, "trades", "politician_id"); status != 200 || !slices.Equal(got, tt.want) {
				t.Errorf("GET %s = %d %v, want %v", tt.path, status, got, tt.want)
			}
		})
	}
	t.Run("csv", func(t *testing.T) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/trades?state=OR", nil)
		r.Header.Set("Accept", "text/csv")
		h.ServeHTTP(w, r)
		rows, err := csv.NewReader(w.Body).ReadAll()
		if err != nil || w.Code != 200 || len(rows) != 1+len(wyden) {
			t.Errorf("CSV export with state=OR = %d, %d rows (%v), want the header and %d", w.Code, len(rows), err, len(wyden))
		}
	})
}

func TestComplianceIdentityParams(t *testing.T) {
	s := newIdentityServer(t, true, false)
	noTable := newIdentityServer(t, false, false)
	const def = "compliance?min_records=10&sort=late_share&limit=20"
	tests := []struct {
		name   string
		srv    *identityServer
		method string
		path   string
		body   string
		want   quant.Request // the request the analyzer gets (200, 202)
		key    string
		param  string // else a 400 naming it
		says   string
	}{
		{name: "party and state", srv: s, method: "GET", path: "/api/v1/analytics/compliance?party=democrat&state=ca",
			want: quant.Request{Analysis: quant.AnalysisCompliance, Party: "Democrat", State: "CA"}, key: def + "&party=Democrat&state=CA"},
		{name: "with the other parameters", srv: s, method: "GET", path: "/api/v1/analytics/compliance?party=REPUBLICAN&chamber=house&min_records=2",
			want: quant.Request{Analysis: quant.AnalysisCompliance, Party: "Republican", Chamber: quant.ChamberHouse, MinRecords: 2},
			key:  "compliance?min_records=2&sort=late_share&limit=20&chamber=house&party=Republican"},
		{name: "state without a table", srv: noTable, method: "GET", path: "/api/v1/analytics/compliance?state=NY",
			want: quant.Request{Analysis: quant.AnalysisCompliance, State: "NY"}, key: def + "&state=NY"},
		{name: "unknown party", srv: s, method: "GET", path: "/api/v1/analytics/compliance?party=Green", param: "party", says: "Democrat, Independent, Republican"},
		{name: "party without a table", srv: noTable, method: "GET", path: "/api/v1/analytics/compliance?party=Democrat", param: "party", says: "--legislators"},
		{name: "bad state", srv: s, method: "GET", path: "/api/v1/analytics/compliance?state=California", param: "state"},
		{name: "one politician's takes no party", srv: s, method: "GET", path: "/api/v1/analytics/compliance/nancy-pelosi?party=Democrat", param: "party"},
		{name: "job", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","params":{"party":"democrat","state":"ca"}}`,
			want: quant.Request{Analysis: quant.AnalysisCompliance, Party: "Democrat", State: "CA"}, key: def + "&party=Democrat&state=CA"},
		{name: "job, unknown party", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","params":{"party":"Whig"}}`, param: "params.party", says: "Democrat, Independent, Republican"},
		{name: "job, party without a table", srv: noTable, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","params":{"party":"Democrat"}}`, param: "params.party", says: "--legislators"},
		{name: "job, not a party", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","params":{"party":"1"}}`, param: "params.party"},
		{name: "job, bad state", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","params":{"state":"C"}}`, param: "params.state"},
		{name: "job, one politician's", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","id":"lee-x","params":{"state":"NY"}}`, param: "params.state"},
		{name: "job, another analysis", srv: s, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"network","params":{"party":"Democrat"}}`, param: "params.party"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.a.taken()
			status, body := serve(t, tt.srv.srv.Handler(), tt.method, tt.path, tt.body)
			if tt.param != "" {
				problemCheck(t, tt.method+" "+tt.path, status, body, tt.param, tt.says)
				return
			}
			want, err := quant.NewQuery(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			var got quant.Request
			var key any
			switch tt.method {
			case "GET":
				reqs := tt.srv.a.taken()
				if status != 200 || len(reqs) != 1 {
					t.Fatalf("GET %s = %d %v, %d requests analysed", tt.path, status, body, len(reqs))
				}
				got, key = reqs[0], body["meta"].(map[string]any)["key"]
			default:
				if status != http.StatusAccepted {
					t.Fatalf("POST %s = %d %v", tt.body, status, body)
				}
				job, err := tt.srv.srv.cfg.Jobs.Job(context.Background(), body["id"].(string))
				if err != nil {
					t.Fatal(err)
				}
				got, key = job.Request, body["key"]
				if p := body["request"].(map[string]any)["params"].(map[string]any); p["party"] != nilIfEmpty(want.Party) || p["state"] != nilIfEmpty(want.State) {
					t.Errorf("job params = %v, want party %q state %q", p, want.Party, want.State)
				}
			}
			if diff := cmp.Diff(want.Request, got); diff != "" || key != tt.key {
				t.Errorf("%s %s: analysed (-want +got):\n%s key %v, want %s", tt.method, tt.path, diff, key, tt.key)
			}
		})
	}
}

// nilIfEmpty is s as a decoded JSON value of an omitempty field.
func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TestMergeMode checks that with people merged every analysis request
// carries MergePeople, and each id reaches the analyzer as its person's
// bioguide id (a bioguide id and an unresolved or unknown id as given),
// for GET requests and jobs; and that without merging, ids are as given
// and bioguide ids are refused.
func TestMergeMode(t *testing.T) {
	merged := newIdentityServer(t, true, true)
	plain := newIdentityServer(t, true, false)
	type call struct {
		name   string
		srv    *identityServer
		method string
		path   string
		body   string
		want   quant.Request // before Normalize; MergePeople as the server sets it
		key    string
		param  string // else a 400 naming it
		says   []string
	}
	per := func(a quant.Analysis, id string) quant.Request {
		return quant.Request{Analysis: a, ID: id, MergePeople: true}
	}
	tests := []call{
		{name: "slug", srv: merged, method: "GET", path: "/api/v1/analytics/fourier/ron-wyden", want: per(quant.AnalysisFourier, "W000779"), key: "people:fourier/W000779"},
		{name: "other slug of the person", srv: merged, method: "GET", path: "/api/v1/analytics/fourier/ron-l-wyden", want: per(quant.AnalysisFourier, "W000779"), key: "people:fourier/W000779"},
		{name: "bioguide id", srv: merged, method: "GET", path: "/api/v1/analytics/fourier/W000779", want: per(quant.AnalysisFourier, "W000779"), key: "people:fourier/W000779"},
		{name: "unresolved id", srv: merged, method: "GET", path: "/api/v1/analytics/hmm/lee-x", want: per(quant.AnalysisHMM, "lee-x"), key: "people:hmm/lee-x"},
		{name: "unknown id", srv: merged, method: "GET", path: "/api/v1/analytics/hmm/nobody", want: per(quant.AnalysisHMM, "nobody"), key: "people:hmm/nobody"},
		{name: "dtw", srv: merged, method: "GET", path: "/api/v1/analytics/dtw/nancy-pelosi?k=3",
			want: quant.Request{Analysis: quant.AnalysisDTW, ID: "P000197", K: 3, MergePeople: true}, key: "people:dtw/P000197?k=3"},
		{name: "ensemble", srv: merged, method: "GET", path: "/api/v1/analytics/ensemble/dan-crane",
			want: quant.Request{Analysis: quant.AnalysisEnsemble, ID: "C000001", Horizon: 4, MergePeople: true}, key: "people:ensemble/C000001?horizon=4"},
		{name: "compliance of one", srv: merged, method: "GET", path: "/api/v1/analytics/compliance/ron-wyden", want: per(quant.AnalysisCompliance, "W000779"), key: "people:compliance/W000779"},
		{name: "compliance ranking", srv: merged, method: "GET", path: "/api/v1/analytics/compliance?party=democrat",
			want: quant.Request{Analysis: quant.AnalysisCompliance, Party: "Democrat", MergePeople: true}, key: "people:compliance?min_records=10&sort=late_share&limit=20&party=Democrat"},
		{name: "correlation ids", srv: merged, method: "GET", path: "/api/v1/analytics/correlation?ids=ron-wyden,nancy-pelosi,lee-x",
			want: quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"W000779", "P000197", "lee-x"}, MergePeople: true}, key: "people:correlation?ids=W000779,P000197,lee-x"},
		{name: "correlation top", srv: merged, method: "GET", path: "/api/v1/analytics/correlation?top=5",
			want: quant.Request{Analysis: quant.AnalysisCorrelation, Top: 5, MergePeople: true}, key: "people:correlation?top=5"},
		{name: "network", srv: merged, method: "GET", path: "/api/v1/analytics/network",
			want: quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1, MergePeople: true}, key: "people:network?min_weight=0.1"},
		{name: "two ids of one person", srv: merged, method: "GET", path: "/api/v1/analytics/correlation?ids=ron-wyden,nancy-pelosi,ron-l-wyden",
			param: "ids", says: []string{`"ron-wyden"`, `"ron-l-wyden"`, "W000779"}},
		{name: "a slug and its bioguide id", srv: merged, method: "GET", path: "/api/v1/analytics/correlation?ids=W000779,ron-wyden",
			param: "ids", says: []string{`"W000779"`, `"ron-wyden"`, "one person"}},
		{name: "an id twice", srv: merged, method: "GET", path: "/api/v1/analytics/correlation?ids=lee-x,lee-x", param: "ids", says: []string{"twice"}},
		{name: "neither kind of id", srv: merged, method: "GET", path: "/api/v1/analytics/fourier/W00077", param: "id", says: []string{"bioguide id"}},
		{name: "job", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"fourier","id":"ron-wyden"}`, want: per(quant.AnalysisFourier, "W000779"), key: "people:fourier/W000779"},
		{name: "job by bioguide id", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"compliance","id":"P000197"}`, want: per(quant.AnalysisCompliance, "P000197"), key: "people:compliance/P000197"},
		{name: "job, correlation", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"correlation","params":{"ids":["dan-crane","W000779"]}}`,
			want: quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"C000001", "W000779"}, MergePeople: true}, key: "people:correlation?ids=C000001,W000779"},
		{name: "job, network", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"network"}`,
			want: quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1, MergePeople: true}, key: "people:network?min_weight=0.1"},
		{name: "job, two ids of one person", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"correlation","params":{"ids":["ron-l-wyden","ron-wyden"]}}`,
			param: "params.ids", says: []string{`"ron-l-wyden"`, `"ron-wyden"`, "W000779"}},
		{name: "job, neither kind of id", srv: merged, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"hmm","id":"Wyden"}`, param: "id", says: []string{"bioguide id"}},

		{name: "not merged: slug", srv: plain, method: "GET", path: "/api/v1/analytics/fourier/ron-wyden", want: quant.Request{Analysis: quant.AnalysisFourier, ID: "ron-wyden"}, key: "fourier/ron-wyden"},
		{name: "not merged: two ids of one person", srv: plain, method: "GET", path: "/api/v1/analytics/correlation?ids=ron-wyden,ron-l-wyden",
			want: quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"ron-wyden", "ron-l-wyden"}}, key: "correlation?ids=ron-wyden,ron-l-wyden"},
		{name: "not merged: network", srv: plain, method: "GET", path: "/api/v1/analytics/network",
			want: quant.Request{Analysis: quant.AnalysisNetwork, MinWeight: 0.1}, key: "network?min_weight=0.1"},
		{name: "not merged: bioguide id", srv: plain, method: "GET", path: "/api/v1/analytics/fourier/W000779", param: "id", says: []string{"--merge-people", "/api/v1/people/W000779"}},
		{name: "not merged: bioguide id in a set", srv: plain, method: "GET", path: "/api/v1/analytics/correlation?ids=W000779,lee-x", param: "ids", says: []string{"--merge-people"}},
		{name: "not merged: job by bioguide id", srv: plain, method: "POST", path: "/api/v1/jobs", body: `{"analysis":"fourier","id":"W000779"}`, param: "id"},
		{name: "not merged: politician by bioguide id", srv: plain, method: "GET", path: "/api/v1/politicians/W000779", param: "id", says: []string{"/api/v1/people/W000779"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.srv.a.taken()
			status, body := serve(t, tt.srv.srv.Handler(), tt.method, tt.path, tt.body)
			if tt.param != "" {
				problemCheck(t, tt.method+" "+tt.path+" "+tt.body, status, body, tt.param, tt.says...)
				if reqs := tt.srv.a.taken(); len(reqs) != 0 {
					t.Errorf("a refused request was analysed: %+v", reqs)
				}
				return
			}
			var got quant.Request
			var key any
			if tt.method == "GET" {
				reqs := tt.srv.a.taken()
				if status != 200 || len(reqs) != 1 {
					t.Fatalf("GET %s = %d %v, %d requests analysed", tt.path, status, body, len(reqs))
				}
				got, key = reqs[0], body["meta"].(map[string]any)["key"]
			} else {
				if status != http.StatusAccepted {
					t.Fatalf("POST %s = %d %v", tt.body, status, body)
				}
				job, err := tt.srv.srv.cfg.Jobs.Job(context.Background(), body["id"].(string))
				if err != nil {
					t.Fatal(err)
				}
				got, key = job.Request, body["key"]
				if id := body["request"].(map[string]any)["id"]; tt.want.ID != "" && id != tt.want.ID {
					t.Errorf("job request id = %v, want %s", id, tt.want.ID)
				}
			}
			want, err := quant.NewQuery(tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Request, got); diff != "" || key != tt.key {
				t.Errorf("%s %s %s: analysed (-want +got):\n%s key %v, want %s", tt.method, tt.path, tt.body, diff, key, tt.key)
			}
		})
	}
}

func TestMergePeopleNeedsPeople(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New with MergePeople and no People did not panic")
		}
	}()
	New(Config{Store: inmem.New(), MergePeople: true})
}

// TestRankingFiltersNeedPeople: without a people directory the ranking's
// party and state filters are the client's 400 naming the parameter (not
// a 503 to retry), and nothing reaches the analysis.
func TestRankingFiltersNeedPeople(t *testing.T) {
	a := &recordingAnalyzer{}
	h := New(Config{Store: inmem.New(), Analyzer: a}).Handler()
	for _, tt := range []struct{ query, param string }{
		{"state=CA", "state"},
		{"party=democrat", "party"},
	} {
		t.Run(tt.param, func(t *testing.T) {
			status, body := serve(t, h, "GET", "/api/v1/analytics/compliance?"+tt.query, "")
			problemCheck(t, tt.query, status, body, tt.param)
		})
	}
	if got := a.taken(); len(got) != 0 {
		t.Errorf("the analysis got %v, want nothing", got)
	}
}
