package postgres_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
	"gopkg.in/yaml.v3"
)

// timeOpts compare times by instant and an empty slice like a nil one.
var timeOpts = []gocmp.Option{gocmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }), cmpopts.EquateEmpty()}

// TestLegislatorsShared: a table set through one Store is what another
// Store on the database reads, at the same version, and what a Store
// opened later reads; the second Store's cached table gives way when the
// first replaces or removes it, and the same digest through either
// changes nothing.
func TestLegislatorsShared(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	a := open(t, u)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := open(t, u)
	if _, err := a.Import(ctx, quant.ImportInfo{Source: "fx", Fingerprint: "fx"}, seq(storetest.Fixture()...)); err != nil {
		t.Fatal(err)
	}
	one := storetest.Legislators("digest-1")
	changed, v1, err := a.SetLegislators(ctx, one)
	if err != nil || !changed {
		t.Fatalf("a.SetLegislators(digest-1) = %v, %d, %v", changed, v1, err)
	}
	read := func(s *postgres.Store, who string, want *quant.Legislators, version int64) *quant.Filers {
		t.Helper()
		f, err := s.Filers(ctx)
		if err != nil {
			t.Fatalf("%s: Filers: %v", who, err)
		}
		if f.Version != version {
			t.Errorf("%s: Filers().Version = %d, want %d", who, f.Version, version)
		}
		if diff := gocmp.Diff(want, f.Legislators, timeOpts...); diff != "" {
			t.Errorf("%s: Filers().Legislators (-want +got):\n%s", who, diff)
		}
		return f
	}
	fa := read(a, "a", one, v1)
	fb := read(b, "b", one, v1)
	if diff := gocmp.Diff(fa.Filers, fb.Filers, timeOpts...); diff != "" || len(fa.Filers) == 0 {
		t.Errorf("the two Stores' signatures differ (-a +b):\n%s", diff)
	}
	// The same digest through the other Store: nothing changes.
	if changed, v, err := b.SetLegislators(ctx, storetest.Legislators("digest-1")); err != nil || changed || v != v1 {
		t.Errorf("b.SetLegislators(digest-1 again) = %v, %d, %v; want unchanged at %d", changed, v, err, v1)
	}
	two := storetest.Legislators("digest-2")
	two.Members = two.Members[1:]
	two.Sources = nil
	changed, v2, err := b.SetLegislators(ctx, two)
	if err != nil || !changed || v2 <= v1 {
		t.Fatalf("b.SetLegislators(digest-2) = %v, %d, %v; want changed above %d", changed, v2, err, v1)
	}
	read(a, "a after b replaced the table", two, v2)
	c := open(t, u)
	read(c, "a Store opened afterwards", two, v2)
	changed, v3, err := c.SetLegislators(ctx, nil)
	if err != nil || !changed || v3 <= v2 {
		t.Fatalf("c.SetLegislators(nil) = %v, %d, %v; want changed above %d", changed, v3, err, v2)
	}
	read(a, "a after c removed the table", nil, v3)
	read(b, "b after c removed the table", nil, v3)
	if changed, v, err := a.SetLegislators(ctx, nil); err != nil || changed || v != v3 {
		t.Errorf("a.SetLegislators(nil) with none stored = %v, %d, %v; want unchanged at %d", changed, v, err, v3)
	}
}

// TestLegislatorsConcurrent: tables set at once through two Stores, with
// imports between them, are applied one at a time: every call that
// changed the table got its own version, and the stored table is the one
// of the highest.
func TestLegislatorsConcurrent(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	a := open(t, u)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	b := open(t, u)
	const n = 8
	versions := make([]int64, n)
	errs := make([]error, n+2)
	var wg sync.WaitGroup
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			var changed bool
			changed, versions[i], errs[i] = s.SetLegislators(ctx, storetest.Legislators(fmt.Sprint("digest-", i)))
			if errs[i] == nil && !changed {
				errs[i] = fmt.Errorf("table %d: changed false", i)
			}
		})
	}
	for i := range 2 {
		wg.Go(func() {
			_, errs[n+i] = b.Import(ctx, quant.ImportInfo{Source: fmt.Sprint(i), Fingerprint: quant.Fingerprint(fmt.Sprint("fp", i))}, syntheticFrom(i*100, 100, 5))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	last := slices.Index(versions, slices.Max(versions))
	if sorted := slices.Sorted(slices.Values(versions)); len(slices.Compact(sorted)) != n {
		t.Errorf("versions of the table changes = %v; want %d distinct", versions, n)
	}
	f, err := a.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Legislators == nil || f.Legislators.Digest != fmt.Sprint("digest-", last) || f.Version < versions[last] {
		t.Errorf("after the concurrent calls Filers() has table %v at version %d; want digest-%d at %d or later", f.Legislators, f.Version, last, versions[last])
	}
	if st := a.Stats(); st.Trades != 200 {
		t.Errorf("%d trades stored after the concurrent imports, want 200", st.Trades)
	}
}

// TestLegislatorsDecodedOnce: the stored table is decoded once per row:
// the Filers of a later version (an import) share it; a new digest is
// decoded anew, and so is a row stored again with the same digest (only
// the row tells: another Store removed the table and stored one under
// the same digest).
func TestLegislatorsDecodedOnce(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SetLegislators(ctx, storetest.Legislators("d1")); err != nil {
		t.Fatal(err)
	}
	f1, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := s.Filers(ctx); err != nil || f != f1 {
		t.Errorf("Filers() again at version %d = %p, %v; want the one built, %p", f1.Version, f, err, f1)
	}
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "x", Fingerprint: "x"}, synthetic(100, 5)); err != nil {
		t.Fatal(err)
	}
	f2, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f2.Version == f1.Version || len(f2.Filers) != 5 || f2.Legislators != f1.Legislators {
		t.Errorf("Filers() after an import: version %d (was %d), %d signatures, table %p (was %p); want a new version, 5 signatures, the same table",
			f2.Version, f1.Version, len(f2.Filers), f2.Legislators, f1.Legislators)
	}
	if _, _, err := s.SetLegislators(ctx, storetest.Legislators("d2")); err != nil {
		t.Fatal(err)
	}
	f3, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f3.Legislators == f1.Legislators || f3.Legislators.Digest != "d2" {
		t.Errorf("Filers() after a new table reads table %s (%p), want d2 decoded anew", f3.Legislators.Digest, f3.Legislators)
	}
	other := open(t, u)
	if _, _, err := other.SetLegislators(ctx, nil); err != nil {
		t.Fatal(err)
	}
	again := storetest.Legislators("d2")
	again.Members = again.Members[:1]
	if _, _, err := other.SetLegislators(ctx, again); err != nil {
		t.Fatal(err)
	}
	f4, err := s.Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := gocmp.Diff(again, f4.Legislators, timeOpts...); diff != "" {
		t.Errorf("Filers() after d2 was stored again by another Store (-stored +read):\n%s", diff)
	}
}

// TestLegislatorsUnknownFormat: a table encoded in a format this binary
// does not know (a newer one stored it) is an error, not a guess.
func TestLegislatorsUnknownFormat(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	a := open(t, u)
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.SetLegislators(ctx, storetest.Legislators("d1")); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE legislators SET format = 'cbor'`); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, u).Filers(ctx); err == nil || !strings.Contains(err.Error(), `"cbor"`) {
		t.Errorf("Filers() of a table in format cbor: %v; want an error naming the format", err)
	}
}

// TestMigrate0006: a database at 0005 holding records migrates to 0006
// with every record, aggregate and the version as they were, no table
// stored, and the records' signatures readable.
func TestMigrate0006(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.MigrateTo(ctx, 5); err != nil {
		t.Fatalf("MigrateTo(5): %v", err)
	}
	trades := append(storetest.Fixture(), collect(synthetic(2000, 30))...)
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "a", Fingerprint: "a"}, seq(trades...)); err != nil {
		t.Fatalf("Import at 0005: %v", err)
	}
	before := dump(t, s)
	if _, err := s.Filers(ctx); err == nil {
		t.Errorf("Filers() at 0005 succeeded; want an error (no legislators table yet)")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate (0006 on a populated 0005 schema): %v", err)
	}
	after := dump(t, s)
	if diff := gocmp.Diff(before, after, timeOpts...); diff != "" {
		t.Errorf("the store after 0006 (-before +after):\n%s", diff)
	}
	f, err := open(t, u).Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if f.Legislators != nil || f.Version != before.Version {
		t.Errorf("Filers() after 0006 = version %d, table %v; want version %d, no table", f.Version, f.Legislators, before.Version)
	}
	if diff := gocmp.Diff(wantFilers(trades), f.Filers, timeOpts...); diff != "" {
		t.Errorf("Filers() after 0006 (-want +got):\n%s", diff)
	}
	if changed, v, err := s.SetLegislators(ctx, storetest.Legislators("d1")); err != nil || !changed || v <= before.Version {
		t.Errorf("SetLegislators after 0006 = %v, %d, %v; want changed above %d", changed, v, err, before.Version)
	}
}

// storeDump is what a store answers: its version, politicians and every
// record.
type storeDump struct {
	Version     int64
	Politicians []quant.Politician
	Trades      []quant.Trade
}

func dump(t *testing.T, s quant.Store) storeDump {
	t.Helper()
	ctx := context.Background()
	var d storeDump
	var err error
	if d.Version, err = s.DatasetVersion(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Politicians, _, err = s.Politicians(ctx, quant.PoliticianQuery{Sort: quant.SortName}); err != nil {
		t.Fatal(err)
	}
	q := quant.TradeQuery{Limit: 1000}
	for {
		page, err := s.Trades(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		d.Trades = append(d.Trades, page.Trades...)
		if page.Next == nil {
			return d
		}
		q.After = page.Next
	}
}

func collect(records func(func(quant.Trade, error) bool)) []quant.Trade {
	var out []quant.Trade
	for tr := range records {
		out = append(out, tr)
	}
	return out
}

// wantFilers groups trades by signature and day in Go, sorted as
// quant.Filers documents: what Filers must read of a store holding them.
func wantFilers(trades []quant.Trade) []quant.Filer {
	return quant.NewFilers(0, nil, func(yield func(*quant.Trade) bool) {
		for i := range trades {
			if !yield(&trades[i]) {
				return
			}
		}
	}).Filers
}

// TestFilersRealFiles: over the real House file and Senate CSV (no
// filing in common, so every record is stored), the signatures the
// database groups and orders are those Go computes from the parsed
// records, bytewise order included; and the real legislators table
// comes back from another Store exactly as stored.
func TestFilersRealFiles(t *testing.T) {
	ctx := context.Background()
	house := realFile(t, "house_all_transactions.json")
	senate := realFile(t, "senate_all_transactions.csv")
	table := realLegislators(t)
	u := newSchema(t)
	s := open(t, u)
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for name, trades := range map[string][]quant.Trade{"house": house, "senate": senate} {
		if _, err := s.Import(ctx, quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name)}, seq(trades...)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.SetLegislators(ctx, table); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	f, err := open(t, u).Filers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Filers() of %d records and a table of %d members, built by another Store in %v: %d signatures",
		len(house)+len(senate), len(table.Members), time.Since(start).Round(time.Millisecond), len(f.Filers))
	want := wantFilers(append(slices.Clip(house), senate...))
	if diff := gocmp.Diff(want, f.Filers, timeOpts...); diff != "" {
		t.Errorf("Filers() of the real files (-go +postgres):\n%s", diff)
	}
	if diff := gocmp.Diff(table, f.Legislators, timeOpts...); diff != "" {
		t.Errorf("the real legislators table as read back (-stored +read):\n%s", diff)
	}
}

// realLegislators reads ../shared/data/legislators-2013-2026.yaml into a
// quant.Legislators (or skips): the fields quant keeps, members sorted by
// bioguide, the digest a SHA-256 of their JSON. A reader for the tests of
// storage only; internal/people is the loader.
func realLegislators(tb testing.TB) *quant.Legislators {
	tb.Helper()
	const name = "legislators-2013-2026.yaml"
	b, err := os.ReadFile("../../../shared/data/" + name)
	if errors.Is(err, os.ErrNotExist) {
		tb.Skipf("needs ../shared/data/%s (the real files of ../shared/data/README.md); absent in this clone", name)
	}
	if err != nil {
		tb.Fatal(err)
	}
	type span struct {
		Start, End, Party string
	}
	var raw []struct {
		ID   struct{ Bioguide string }
		Name struct {
			First, Middle, Last, Suffix, Nickname string
			OfficialFull                          string `yaml:"official_full"`
		}
		OtherNames []struct{ First, Middle, Last, End string } `yaml:"other_names"`
		Terms      []struct {
			Type, Start, End, State, Party string
			District                       *int32
			Parties                        []span `yaml:"party_affiliations"`
		}
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	date := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		return d
	}
	t := &quant.Legislators{Sources: []string{name}}
	for _, r := range raw {
		m := quant.Legislator{Bioguide: r.ID.Bioguide, First: r.Name.First, Middle: r.Name.Middle, Last: r.Name.Last,
			Suffix: r.Name.Suffix, Nickname: r.Name.Nickname, OfficialFull: r.Name.OfficialFull}
		for _, o := range r.OtherNames {
			m.OtherNames = append(m.OtherNames, quant.LegislatorName{First: o.First, Middle: o.Middle, Last: o.Last, End: date(o.End)})
		}
		for _, x := range r.Terms {
			term := quant.Term{Chamber: quant.ChamberSenate, Start: date(x.Start), End: date(x.End), State: x.State, Party: x.Party}
			if x.Type == "rep" {
				term.Chamber = quant.ChamberHouse
				if x.District != nil {
					term.District = sql.Null[int32]{V: *x.District, Valid: true}
				}
			}
			for _, p := range x.Parties {
				term.Parties = append(term.Parties, quant.PartySpan{Start: date(p.Start), End: date(p.End), Party: p.Party})
			}
			m.Terms = append(m.Terms, term)
		}
		slices.SortStableFunc(m.Terms, func(a, b quant.Term) int { return a.Start.Compare(b.Start) })
		t.Members = append(t.Members, m)
	}
	slices.SortFunc(t.Members, func(a, b quant.Legislator) int { return strings.Compare(a.Bioguide, b.Bioguide) })
	enc, err := json.Marshal(t.Members)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(enc)
	t.Digest = hex.EncodeToString(sum[:])
	return t
}

// hardFilers are records whose signatures sort differently bytewise than
// in a linguistic collation (case, accents, punctuation in ids) and by
// the district rule (none first, then by number, 3 before 12), with
// states and bioguide ids missing and given, unknown types and repeats.
func hardFilers() []quant.Trade {
	r := func(id, name string, chamber quant.Chamber, state string, district int32, bioguide string, day int, typ quant.TradeType) quant.Trade {
		tr := rec(id, "", day, "AAPL")
		tr.PoliticianName, tr.Chamber, tr.State, tr.Bioguide, tr.Type = name, chamber, state, bioguide, typ
		if district >= 0 {
			tr.District = sql.Null[int32]{V: district, Valid: true}
		}
		if chamber == quant.ChamberHouse {
			tr.Format = quant.FormatHouse
		}
		return tr
	}
	const h, s, p, u = quant.ChamberHouse, quant.ChamberSenate, quant.TypePurchase, quant.TypeUnknown
	return lines(
		r("ann-bee", "Ann bee", s, "", -1, "", 3, p),
		r("ann-bee", "Ann Bée", s, "", -1, "", 3, p),
		r("ann-bee", "ANN BEE", s, "", -1, "", 4, p),
		r("ann-bee", "Ann Bee", s, "", -1, "B000001", 4, u),
		r("ann-bee", "Ann Bee", s, "", -1, "", 5, p),
		r("ann-bee", "Ann Bee", s, "", -1, "", 5, u),
		r("ann-bee", "Ann Bee", s, "", -1, "", 2, p),
		r("ann-bee", "Ann Bee", h, "CA", 12, "", 6, p),
		r("ann-bee", "Ann Bee", h, "CA", 3, "", 6, p),
		r("ann-bee", "Ann Bee", h, "CA", -1, "", 7, p),
		r("ann-bee", "Ann Bee", h, "CA", 0, "", 7, p),
		r("ann-bee", "Ann Bee", h, "", -1, "", 8, p),
		r("ann-bee", "Ann Bee", h, "ak", 1, "", 8, p),
		r("ann_bee", "Ann Bee", s, "", -1, "", 1, p),
		r("annbee", "Ann Bee", s, "", -1, "", 1, p),
		r("ann-bee-c", "Ann Bee C", s, "", -1, "", 1, p),
		r("Ann-bee", "Ann Bee", s, "", -1, "", 1, p),
		r("ann-bee", "Ann Bee", s, "", -1, "", 2, p), // a repeat
	)
}

// TestFilersBytewise: the hard cases' signatures come back in the order
// Go computes, in the test database and in one whose default collation
// is ICU en-US (where "ANN BEE" sorts after "Ann bee"): every column the
// query orders by is compared bytewise, whatever the locale.
func TestFilersBytewise(t *testing.T) {
	ctx := context.Background()
	want := wantFilers(hardFilers())
	check := func(t *testing.T, s *postgres.Store) {
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, quant.ImportInfo{Source: "hard", Fingerprint: "hard"}, seq(hardFilers()...)); err != nil {
			t.Fatal(err)
		}
		f, err := s.Filers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, f.Filers, timeOpts...); diff != "" {
			t.Errorf("Filers() of the hard cases (-go +postgres):\n%s", diff)
		}
	}
	t.Run("test database", func(t *testing.T) { check(t, newStore(t)) })
	t.Run("icu en-US", func(t *testing.T) {
		base := baseURL(t)
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		name := "quant_icu_" + strings.ToLower(rand.Text())
		if _, err := conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.utf8'`); err != nil {
			t.Skipf("cannot create a database with an ICU collation (PostgreSQL 15+ built with ICU): %v", err)
		}
		t.Cleanup(func() {
			conn, err := pgx.Connect(ctx, base)
			if err == nil {
				defer conn.Close(ctx)
				_, err = conn.Exec(ctx, `DROP DATABASE `+name+` WITH (FORCE)`)
			}
			if err != nil {
				t.Errorf("drop database %s: %v", name, err)
			}
		})
		var first string
		if err := conn.QueryRow(ctx, `SELECT x FROM (VALUES ('ANN BEE'), ('Ann bee')) v(x) ORDER BY x COLLATE "en-US-x-icu" LIMIT 1`).Scan(&first); err != nil || first != "Ann bee" {
			t.Fatalf("ICU en-US sorts %q first (%v); the test expects a linguistic order", first, err)
		}
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/" + name
		s, err := postgres.Open(ctx, u.String())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		check(t, s)
	})
}

// TestTradesPoliticianIDs: the listing of a set of politicians agrees
// with the whole listing filtered, page by page, for sets of every size
// around fewPoliticians (the union of per-politician listings up to 8
// distinct ids, the plain filter above), with repeats, unknown ids and
// other filters.
func TestTradesPoliticianIDs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "g", Fingerprint: "g"}, synthetic(3000, 30)); err != nil {
		t.Fatal(err)
	}
	all := stored(t, s)
	id := func(i int) string { return fmt.Sprintf("politician-%04d", i) }
	for _, n := range []int{0, 1, 3, 7, 8, 20, 30} { // with "nobody": 0, 2, 4, 8 (the most the union takes), 9, 21, 31 distinct
		ids := []string{} // empty, not nil: nothing matches
		for i := range n {
			ids = append(ids, id((i*7)%30))
		}
		if n > 0 {
			ids = append(ids, ids[0], "nobody") // a repeat, an unknown id
		}
		for _, q := range []quant.TradeQuery{
			{PoliticianIDs: ids},
			{PoliticianIDs: ids, Ticker: "KO"},
			{PoliticianIDs: ids, Chamber: quant.ChamberHouse, From: time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)},
		} {
			want := []int64{}
			for _, tr := range all {
				if slices.Contains(ids, tr.PoliticianID) && (q.Ticker == "" || tr.Ticker == q.Ticker) &&
					(q.Chamber == "" || tr.Chamber == q.Chamber) && !tr.TransactionDate.Before(q.From) {
					want = append(want, tr.ID)
				}
			}
			for _, size := range []int{7, 1000} {
				got := []int64{}
				q.Limit, q.After = size, nil
				for {
					page, err := s.Trades(ctx, q)
					if err != nil {
						t.Fatal(err)
					}
					for _, tr := range page.Trades {
						got = append(got, tr.ID)
					}
					if page.Next == nil {
						break
					}
					q.After = page.Next
				}
				if !slices.Equal(got, want) {
					t.Errorf("Trades(%d ids, ticker %q, chamber %q) in pages of %d: %d trades, want %d (first %v, want %v)",
						n, q.Ticker, q.Chamber, size, len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
				}
			}
		}
	}
}

// BenchmarkFilers times Filers built from the records (cached table),
// built with the table decoded again, and cached, over the real House
// file and Senate CSV with the real legislators table, and over
// 1,000,000 generated records (500 politicians) with the same table.
func BenchmarkFilers(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s *postgres.Store) {
		f, err := s.Filers(ctx)
		if err != nil {
			b.Fatal(err)
		}
		days := 0
		for _, x := range f.Filers {
			days += len(x.Days)
		}
		b.Logf("%d signatures, %d signature days, %d members", len(f.Filers), days, len(f.Legislators.Members))
		for _, c := range []struct {
			name          string
			forget, table bool
		}{{"build", true, false}, {"build+decode", true, true}, {"cached", false, false}} {
			b.Run(c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if c.forget {
						s.ForgetFilers(c.table)
					}
					if _, err := s.Filers(ctx); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run("real", func(b *testing.B) {
		house := realFile(b, "house_all_transactions.json")
		senate := realFile(b, "senate_all_transactions.csv")
		table := realLegislators(b)
		s := newStore(b)
		for name, trades := range map[string][]quant.Trade{"house": house, "senate": senate} {
			if _, err := s.Import(ctx, quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name)}, seq(trades...)); err != nil {
				b.Fatal(err)
			}
		}
		if _, _, err := s.SetLegislators(ctx, table); err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
	b.Run("1000000", func(b *testing.B) {
		table := realLegislators(b)
		s := newStore(b)
		if _, err := s.Import(ctx, quant.ImportInfo{Source: "bench", Fingerprint: "bench"}, synthetic(1_000_000, 500)); err != nil {
			b.Fatal(err)
		}
		if _, _, err := s.SetLegislators(ctx, table); err != nil {
			b.Fatal(err)
		}
		run(b, s)
	})
}

// BenchmarkSetLegislators times storing the real legislators table (two
// digests in turn, so every call replaces the row and moves the version)
// and a call with the stored digest (nothing changes).
func BenchmarkSetLegislators(b *testing.B) {
	ctx := context.Background()
	table := realLegislators(b)
	other := *table
	other.Digest = "other"
	s := newStore(b)
	b.Run("replace", func(b *testing.B) {
		i := 0
		for b.Loop() {
			t := table
			if i%2 == 1 {
				t = &other
			}
			i++
			if changed, _, err := s.SetLegislators(ctx, t); err != nil || !changed {
				b.Fatalf("SetLegislators = %v, %v", changed, err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		if _, _, err := s.SetLegislators(ctx, table); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if changed, _, err := s.SetLegislators(ctx, table); err != nil || changed {
				b.Fatalf("SetLegislators = %v, %v", changed, err)
			}
		}
	})
}
