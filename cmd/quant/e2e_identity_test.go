package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/quant"
)

const realLegislators = "../../../shared/data/legislators-2013-2026.yaml"

// noErr fails the test on err.
func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// getStatus GETs u and returns the status and body.
func getStatus(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// genIdentityFiles writes, with quant gen, a Senate filings file, a House
// file and the legislators table of their politicians (seed 3), and a
// second table of other politicians (seed 4) for the reload.
func genIdentityFiles(t *testing.T) (filings, house, table, other string) {
	t.Helper()
	dir := t.TempDir()
	filings, house = filepath.Join(dir, "filings.json"), filepath.Join(dir, "house.json")
	table, other = filepath.Join(dir, "legislators.yaml"), filepath.Join(dir, "other.yaml")
	for _, g := range [][]string{
		{"--format", "senate-filings", "--politicians", "60", "--trades", "4000", "--seed", "3", "-o", filings},
		{"--format", "house-json", "--politicians", "60", "--trades", "4000", "--seed", "3", "-o", house},
		{"--format", "legislators", "--politicians", "60", "--seed", "3", "-o", table},
		{"--format", "legislators", "--politicians", "60", "--seed", "4", "-o", other},
	} {
		if _, stderr, code := run(t, nil, append([]string{"gen"}, g...)...); code != 0 {
			t.Fatalf("quant gen %q: exit %d: %s", g, code, stderr)
		}
	}
	return filings, house, table, other
}

// TestE2EIdentity serves generated files of both chambers with the
// legislators table quant gen makes for them: ids resolve to people, the
// people routes and filters answer, a SIGHUP reloads another table, and
// --merge-people analyses a person as one politician.
func TestE2EIdentity(t *testing.T) {
	filings, house, table, other := genIdentityFiles(t)
	live := filepath.Join(t.TempDir(), "live.yaml")
	copyFile(t, table, live)
	base, proc, log := launchServer(t, nil, "--data", filings, "--data", house, "--legislators", live)
	ctx := context.Background()
	c := newClient(base)

	ppl, err := c.People(ctx, client.PeopleFilter{Limit: 1000})
	noErr(t, err)
	if ppl.Legislators == nil || ppl.Legislators.Members < 60 {
		t.Fatalf("GET /people: legislators %+v, want the generated table (60 members or more)", ppl.Legislators)
	}
	var both *client.Person
	for i, p := range ppl.People {
		if slices.Contains(p.Chambers, "house") && slices.Contains(p.Chambers, "senate") {
			both = &ppl.People[i]
			break
		}
	}
	if both == nil {
		t.Fatalf("GET /people: no person files in both chambers among %d", len(ppl.People))
	}
	one, err := c.Person(ctx, both.Bioguide)
	noErr(t, err)
	ids := one.IDs
	if len(ids) < 1 || len(one.Terms) < 2 {
		t.Errorf("GET /people/%s: ids %+v, terms %+v; want its ids and its terms in both chambers", both.Bioguide, ids, one.Terms)
	}
	sum := 0
	for _, id := range ids {
		p, err := c.Politician(ctx, id.ID)
		noErr(t, err)
		if p.Bioguide == nil || *p.Bioguide != both.Bioguide {
			t.Errorf("GET /politicians/%s: bioguide %v, want %s", id.ID, p.Bioguide, both.Bioguide)
		}
		sum += id.AnalyzableCount
	}
	if sum != one.AnalyzableCount {
		t.Errorf("GET /people/%s: analyzable_count %d, but its ids sum to %d", both.Bioguide, one.AnalyzableCount, sum)
	}

	// Unresolved ids say why: the generator leaves about 2% of its
	// politicians out of the table.
	un, err := c.UnresolvedIDs(ctx, client.PeopleFilter{Limit: 1000})
	noErr(t, err)
	for _, u := range un.IDs {
		if !slices.Contains([]string{"no_match", "ambiguous", "conflict"}, string(u.Reason)) || u.Detail == "" {
			t.Errorf("unresolved %s: reason %q detail %q", u.ID, u.Reason, u.Detail)
		}
	}
	all, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 1})
	noErr(t, err)
	if un.Total*10 > all.Total {
		t.Errorf("%d of %d ids unresolved; want under 10%%: %+v", un.Total, all.Total, un.IDs)
	}

	// Filters.
	party := *both.Party
	pols, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 1000, Party: strings.ToLower(party)})
	noErr(t, err)
	if pols.Total == 0 || pols.Total >= all.Total {
		t.Errorf("GET /politicians?party=%s: total %d of %d", party, pols.Total, all.Total)
	}
	for _, p := range pols.Politicians {
		if p.Party == nil || *p.Party != party {
			t.Errorf("GET /politicians?party=%s lists %s of party %v", party, p.ID, p.Party)
		}
	}
	if code, body := getStatus(t, base+"/api/v1/politicians?party=Whig"); code != 400 || !strings.Contains(body, "Democrat") {
		t.Errorf("GET /politicians?party=Whig = %d %s; want 400 naming the known parties", code, body)
	}
	trades, err := c.Trades(ctx, "", client.TradeFilter{Limit: 200, State: *both.State})
	noErr(t, err)
	if len(trades.Trades) == 0 {
		t.Errorf("GET /trades?state=%s: no trades", *both.State)
	}
	ranking, err := c.ComplianceRanking(ctx, quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1})
	noErr(t, err)
	if len(ranking.Summary.ByParty) < 2 || len(ranking.Summary.ByChamber) != 2 {
		t.Errorf("compliance ranking: by_party %+v, by_chamber %+v; want parties and both chambers", ranking.Summary.ByParty, ranking.Summary.ByChamber)
	}
	n := 0
	for _, g := range ranking.Summary.ByParty {
		n += g.Records
	}
	if n != ranking.Summary.Records {
		t.Errorf("compliance ranking: by_party records sum to %d, summary records %d", n, ranking.Summary.Records)
	}

	// SIGHUP: another table, of other politicians, replaces it: the ids
	// stay resolved by their filings' own bioguide ids, but the table has
	// no row, no terms and no party for those people any more.
	copyFile(t, other, live)
	if err := proc.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		after, err := c.People(ctx, client.PeopleFilter{Limit: 1})
		noErr(t, err)
		if after.Legislators != nil && after.Legislators.Digest != ppl.Legislators.Digest {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table did not change within 20 s of SIGHUP\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	again, err := c.Person(ctx, both.Bioguide)
	noErr(t, err)
	if len(again.Terms) != 0 || again.Party != nil {
		t.Errorf("after reloading another table: %s has terms %+v, party %v; want none (the new table lacks them)", both.Bioguide, again.Terms, again.Party)
	}
	// A table that does not load keeps the one stored.
	if err := os.WriteFile(live, []byte("- id: {bioguide: NOPE}\n  terms: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	proc.Signal(syscall.SIGHUP)
	waitFor(t, 20*time.Second, func() bool { return strings.Contains(log.String(), "legislators not reloaded") }, "a log of the refused reload")
	if code, _ := getStatus(t, base+"/api/v1/people/"+both.Bioguide); code != 200 && code != 404 {
		t.Errorf("after a refused reload GET /people/%s = %d", both.Bioguide, code)
	}

	// --merge-people: a person is one politician for every analysis.
	mbase := startServer(t, nil, "--data", filings, "--data", house, "--legislators", table, "--merge-people")
	mc, err := newClient(mbase).Compliance(ctx, both.Bioguide)
	noErr(t, err)
	if mc.ID != both.Bioguide || mc.Records != one.AnalyzableCount {
		t.Errorf("merged compliance of %s: id %q records %d; want the person's %d analyzable records", both.Bioguide, mc.ID, mc.Records, one.AnalyzableCount)
	}
	var f1, f2 struct {
		ID string `json:"id"`
	}
	getJSON(t, mbase+"/api/v1/analytics/fourier/"+both.Bioguide, &f1)
	getJSON(t, mbase+"/api/v1/analytics/fourier/"+ids[0].ID, &f2)
	if f1.ID != both.Bioguide || f2.ID != both.Bioguide {
		t.Errorf("merged fourier by bioguide and by the slug %s answer ids %q and %q; want %s", ids[0].ID, f1.ID, f2.ID, both.Bioguide)
	}
	// Without --merge-people a bioguide id is no analysis id.
	if code, body := getStatus(t, base+"/api/v1/analytics/fourier/"+both.Bioguide); code != 400 || !strings.Contains(body, "merge-people") {
		t.Errorf("fourier of a bioguide id without --merge-people = %d %s; want 400 naming --merge-people", code, body)
	}
}

// TestE2EIdentityImport: quant import --legislators into PostgreSQL stores
// the table and reports the unresolved ids; servers on the database
// without the flag read it, and agree.
func TestE2EIdentityImport(t *testing.T) {
	filings, house, table, _ := genIdentityFiles(t)
	db := testDatabase(t)
	env := []string{"QUANT_DATABASE_URL=" + db}
	out, stderr, code := run(t, env, "import", "--legislators", table, filings, house)
	if code != 0 {
		t.Fatalf("quant import --legislators: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "identity: ") || !strings.Contains(out, "resolved to") {
		t.Errorf("quant import --legislators: no identity summary:\n%s", out)
	}
	jout, stderr, code := run(t, env, "import", "--json", "--legislators", table)
	if code != 0 {
		t.Fatalf("quant import --json --legislators: exit %d: %s", code, stderr)
	}
	var j struct {
		Identity *struct {
			IDs        int `json:"ids"`
			Resolved   int `json:"resolved"`
			Unresolved int `json:"unresolved"`
			List       []struct {
				ID     string `json:"id"`
				Reason string `json:"reason"`
			} `json:"unresolved_ids"`
		} `json:"identity"`
	}
	if err := json.Unmarshal([]byte(jout), &j); err != nil || j.Identity == nil {
		t.Fatalf("quant import --json: %v\n%s", err, jout)
	}
	if id := j.Identity; id.Resolved+id.Unresolved != id.IDs || len(id.List) != id.Unresolved || id.Resolved == 0 {
		t.Errorf("identity summary %+v: counts do not add up", id)
	}
	b1 := startServer(t, env)
	b2 := startServer(t, env)
	ctx := context.Background()
	p1, err := newClient(b1).People(ctx, client.PeopleFilter{Limit: 5})
	noErr(t, err)
	p2, err := newClient(b2).People(ctx, client.PeopleFilter{Limit: 5})
	noErr(t, err)
	if p1.Legislators == nil || p2.Legislators == nil || p1.Legislators.Digest != p2.Legislators.Digest || p1.Total != p2.Total || p1.Total == 0 {
		t.Errorf("two servers on one database: %+v / %+v; want the stored table and the same people", p1, p2)
	}
	if un, err := newClient(b1).UnresolvedIDs(ctx, client.PeopleFilter{}); err != nil || un.Total != j.Identity.Unresolved {
		t.Errorf("GET /people?unresolved=true = %+v, %v; want the %d the import reported", un, err, j.Identity.Unresolved)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, d time.Duration, ok func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2EIdentityReal serves the real files of both chambers with the
// real legislators table: every spelling of a person is one person, the
// filters find a senator by party and state, and --merge-people analyses
// Wyden's three spellings as one series.
func TestE2EIdentityReal(t *testing.T) {
	for _, f := range []string{realHouse, realSenateFilings, realCSV, realLegislators} {
		needFile(t, f)
	}
	args := []string{"--data", realCSV, "--data", realSenateFilings, "--data", realHouse, "--legislators", realLegislators}
	base := startServer(t, nil, args...)
	ctx := context.Background()
	c := newClient(base)
	people := map[string][]string{
		"W000779": {"ron-l-wyden", "ron-wyden", "ronald-l-wyden"},
		"F000472": {"c-scott-franklin", "scott-franklin", "scott-mr-franklin", "scott-scott-franklin"},
		"P000595": {"gary-c-peters"},
	}
	for b, want := range people {
		p, err := c.Person(ctx, b)
		noErr(t, err)
		var got []string
		for _, id := range p.IDs {
			got = append(got, id.ID)
		}
		for _, id := range want {
			if !slices.Contains(got, id) {
				t.Errorf("GET /people/%s: ids %q, want %s among them", b, got, id)
			}
		}
	}
	// The filings give Jack Reed's records another member's bioguide id;
	// the table, which lists every senator then, sets it aside and says so.
	reed, err := c.Politician(ctx, "john-f-reed")
	noErr(t, err)
	if reed.Bioguide == nil || *reed.Bioguide != "R000122" || reed.IdentityNote == nil || !strings.Contains(*reed.IdentityNote, "R000120") {
		t.Errorf("GET /politicians/john-f-reed: bioguide %v, note %v; want R000122 with a note naming R000120", reed.Bioguide, reed.IdentityNote)
	}
	un, err := c.UnresolvedIDs(ctx, client.PeopleFilter{})
	noErr(t, err)
	if un.Total != 0 {
		t.Errorf("real files: %d unresolved ids, want 0: %+v", un.Total, un.IDs)
	}
	pols, err := c.Politicians(ctx, client.PoliticianFilter{Party: "democrat", State: "OR", Limit: 100})
	noErr(t, err)
	var got []string
	for _, p := range pols.Politicians {
		got = append(got, p.ID)
	}
	if !slices.Contains(got, "ron-l-wyden") {
		t.Errorf("GET /politicians?party=democrat&state=OR = %q; want ron-l-wyden", got)
	}

	mbase := startServer(t, nil, append(args, "--merge-people")...)
	mc, err := newClient(mbase).Compliance(ctx, "W000779")
	noErr(t, err)
	total := 0
	for _, id := range people["W000779"] {
		p, err := c.Politician(ctx, id)
		noErr(t, err)
		total += p.AnalyzableCount
	}
	if mc.Records != total {
		t.Errorf("merged compliance of W000779: %d records, want the three spellings' %d", mc.Records, total)
	}
}
