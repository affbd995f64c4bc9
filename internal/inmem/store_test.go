package inmem_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
)

// fixtureFile is one import of the storetest fixture with every filing id
// suffixed, so that each file adds records.
type fixtureFile struct {
	fp     string
	suffix string
	asOf   time.Time
	force  bool
	filed  bool // only the records with a filing id
}

func (f fixtureFile) trades() []quant.Trade {
	var trades []quant.Trade
	for _, tr := range storetest.Fixture() {
		if tr.FilingID != "" {
			tr.FilingID += f.suffix
		} else if f.filed {
			continue
		}
		trades = append(trades, tr)
	}
	return trades
}

func importFixture(t *testing.T, s quant.Store, f fixtureFile) quant.ImportResult {
	t.Helper()
	trades := f.trades()
	res, err := s.Import(context.Background(), quant.ImportInfo{Source: f.fp, Fingerprint: quant.Fingerprint(f.fp), AsOf: f.asOf, Force: f.force}, func(yield func(quant.Trade, error) bool) {
		for _, tr := range trades {
			if !yield(tr, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Fatalf("Import(%s): %v", f.fp, err)
	}
	return res
}

// unit is the time part of a version: 2^24 microseconds since 1970.
func unit(t time.Time) int64 { return t.UnixMicro() >> 24 }

// TestVersionsAgree: two stores that import the same files with the same
// AsOf and Force in the same order hold the same versions; their time
// part (above the low 24 bits) is the AsOf's unit of 2^24 microseconds, or
// one more than the version before's when that is not larger. An import
// that changes nothing does not move them.
func TestVersionsAgree(t *testing.T) {
	jan := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	files := []struct {
		file fixtureFile
		want int64 // the time part; 0: the version before
	}{
		{fixtureFile{fp: "a", suffix: "-a", asOf: jan}, unit(jan)},
		{fixtureFile{fp: "b", suffix: "-b", asOf: jan.Add(time.Hour)}, unit(jan.Add(time.Hour))},
		{fixtureFile{fp: "c", suffix: "-c", asOf: jan.Add(-time.Hour)}, unit(jan.Add(time.Hour)) + 1},
		{fixtureFile{fp: "b", suffix: "-b", asOf: jan.Add(2 * time.Hour), force: true}, 0}, // identical content
		{fixtureFile{fp: "d", suffix: "-a", asOf: jan.Add(2 * time.Hour), filed: true}, 0}, // every filing as stored
		{fixtureFile{fp: "e", suffix: "-e", asOf: jan.Add(time.Hour + time.Second)}, unit(jan.Add(time.Hour)) + 2},
		{fixtureFile{fp: "f", suffix: "-f", asOf: jan.Add(24 * time.Hour)}, unit(jan.Add(24 * time.Hour))},
	}
	one, two := inmem.New(), inmem.New()
	prev := int64(0)
	for _, f := range files {
		r1, r2 := importFixture(t, one, f.file), importFixture(t, two, f.file)
		if r1.DatasetVersion != r2.DatasetVersion {
			t.Errorf("import %s: versions %d and %d, want one version", f.file.fp, r1.DatasetVersion, r2.DatasetVersion)
		}
		switch {
		case f.want == 0 && r1.DatasetVersion != prev:
			t.Errorf("import %s: version %d, want %d (unchanged)", f.file.fp, r1.DatasetVersion, prev)
		case f.want != 0 && r1.DatasetVersion>>24 != f.want:
			t.Errorf("import %s: version %d has time part %d, want %d", f.file.fp, r1.DatasetVersion, r1.DatasetVersion>>24, f.want)
		}
		if r1.Changed != (f.want != 0) {
			t.Errorf("import %s: Changed = %v, want %v", f.file.fp, r1.Changed, f.want != 0)
		}
		prev = r1.DatasetVersion
	}
	// A zero AsOf is the time of the import.
	before := unit(time.Now())
	res := importFixture(t, one, fixtureFile{fp: "now", suffix: "-now"})
	if after := unit(time.Now()); res.DatasetVersion>>24 < before || res.DatasetVersion>>24 > after {
		t.Errorf("import with zero AsOf: version %d, want the import's time unit in [%d, %d]", res.DatasetVersion>>24, before, after)
	}
}

// TestVersionsTellHistories: stores whose import histories differ hold
// different versions, even when their time parts agree: A (January) then
// B (June), or B alone, both end in B's unit; the same files with another
// Force flag, or the same fingerprint with other content, differ too.
func TestVersionsTellHistories(t *testing.T) {
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	jun := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	a := fixtureFile{fp: "a", suffix: "-a", asOf: jan}
	b := fixtureFile{fp: "b", suffix: "-b", asOf: jun}
	histories := map[string][]fixtureFile{
		"A then B":           {a, b},
		"B":                  {b},
		"B forced":           {{fp: "b", suffix: "-b", asOf: jun, force: true}},
		"B with other files": {{fp: "b", suffix: "-other", asOf: jun}},
		"B under another fp": {{fp: "b2", suffix: "-b", asOf: jun}},
		"A' then B":          {{fp: "a", suffix: "-a", asOf: jan, filed: true}, b},
	}
	seen := map[int64]string{}
	for name, files := range histories {
		s := inmem.New()
		var v int64
		for _, f := range files {
			v = importFixture(t, s, f).DatasetVersion
		}
		if v>>24 != unit(jun) {
			t.Errorf("%s: time part %d, want B's %d", name, v>>24, unit(jun))
		}
		if other, ok := seen[v]; ok {
			t.Errorf("%s and %s end at the same version %d", name, other, v)
		}
		seen[v] = name
		// The same history again gives the same version.
		s2 := inmem.New()
		var v2 int64
		for _, f := range files {
			v2 = importFixture(t, s2, f).DatasetVersion
		}
		if v2 != v {
			t.Errorf("%s twice: versions %d and %d, want one", name, v, v2)
		}
	}
}

// TestVersionsIncrease: over many imports, with AsOf going forwards,
// backwards, staying, zero or far ahead, every import that changes the
// data gives a larger version, and versions stay below 2^53.
func TestVersionsIncrease(t *testing.T) {
	s := inmem.New()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := int64(0)
	for i := range 300 {
		var at time.Time
		switch i % 6 {
		case 0:
			at = base.Add(time.Duration(i) * time.Hour)
		case 1:
			at = base.Add(-time.Duration(i) * time.Hour) // backwards
		case 2:
			at = base // the same instant again
		case 3:
			at = base.Add(time.Duration(i) * time.Millisecond)
		case 4:
			at = time.Time{} // now
		case 5:
			at = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) // before 1970
		}
		res := importFixture(t, s, fixtureFile{fp: fmt.Sprint("f", i), suffix: fmt.Sprint("-", i), asOf: at})
		if !res.Changed || res.DatasetVersion <= prev {
			t.Fatalf("import %d (AsOf %v): version %d after %d (changed %v), want larger", i, at, res.DatasetVersion, prev, res.Changed)
		}
		if res.DatasetVersion >= 1<<53 {
			t.Fatalf("import %d: version %d, want below 2^53", i, res.DatasetVersion)
		}
		if v, _ := s.DatasetVersion(context.Background()); v != res.DatasetVersion {
			t.Fatalf("import %d: DatasetVersion() = %d, want the import's %d", i, v, res.DatasetVersion)
		}
		prev = res.DatasetVersion
		// A forced import of the same file that replaces its records
		// without a filing id also moves it.
		if i%50 == 0 {
			res := importFixture(t, s, fixtureFile{fp: fmt.Sprint("f", i), suffix: fmt.Sprint("-", i), asOf: at, force: true, filed: true})
			if !res.Changed || res.DatasetVersion <= prev {
				t.Fatalf("forced import %d: version %d after %d (changed %v), want larger", i, res.DatasetVersion, prev, res.Changed)
			}
			prev = res.DatasetVersion
		}
	}
}

// TestIndexesAfterReplacement: after imports that add, replace and
// remove records in many filings, every listing (everyone, per
// politician, per ticker) holds exactly the stored records in (date
// desc, ID desc) order.
func TestIndexesAfterReplacement(t *testing.T) {
	s := inmem.New()
	ctx := context.Background()
	mk := func(n, gen int) []quant.Trade {
		var out []quant.Trade
		for i := range n {
			tr := storetest.Fixture()[i%8]
			tr.Place = quant.Place{Line: i + 2}
			tr.FilingID = fmt.Sprintf("f%d", i%97)
			tr.Ticker = fmt.Sprintf("T%d", (i*gen)%13)
			tr.TransactionDate = time.Date(2020, 1, 1+(i*gen)%400, 0, 0, 0, 0, time.UTC)
			if i%50 == 0 {
				tr.FilingID = ""
			}
			out = append(out, tr)
		}
		return out
	}
	imports := []struct {
		fp    string
		n     int
		gen   int
		force bool
	}{{"a", 3000, 1, false}, {"b", 1500, 2, false}, {"c", 4000, 3, false}, {"a", 500, 4, true}}
	for _, im := range imports {
		trades := mk(im.n, im.gen)
		_, err := s.Import(ctx, quant.ImportInfo{Source: im.fp, Fingerprint: quant.Fingerprint(im.fp), Force: im.force}, func(yield func(quant.Trade, error) bool) {
			for _, tr := range trades {
				if !yield(tr, nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := listAll(t, s, quant.TradeQuery{})
	if int64(len(all)) != s.Stats().Trades {
		t.Fatalf("listing of everyone holds %d trades, Stats %d", len(all), s.Stats().Trades)
	}
	// The last import brought every filing (f0..f96) again, replacing
	// them, and forced away the first "a"'s records without filing: what
	// is left is the last import's 500 records, plus the records without
	// filing of "b" and "c" (one in 50).
	if want := 500 + 1500/50 + 4000/50; len(all) != want {
		t.Errorf("stored %d trades, want %d", len(all), want)
	}
	checkOrder(t, "everyone", all)
	byPol, byTicker := map[string]int{}, map[string]int{}
	for _, tr := range all {
		byPol[tr.PoliticianID]++
		byTicker[tr.Ticker]++
	}
	for id, n := range byPol {
		got := listAll(t, s, quant.TradeQuery{PoliticianID: id})
		checkOrder(t, id, got)
		if len(got) != n {
			t.Errorf("politician %s: %d trades listed, want %d", id, len(got), n)
		}
	}
	for ticker, n := range byTicker {
		if ticker == "" {
			continue
		}
		got := listAll(t, s, quant.TradeQuery{Ticker: ticker})
		checkOrder(t, ticker, got)
		d, err := s.Ticker(ctx, ticker)
		if len(got) != n || err != nil || d.Trades != n {
			t.Errorf("ticker %s: %d trades listed, detail %d (%v); want %d", ticker, len(got), d.Trades, err, n)
		}
	}
}

func listAll(t *testing.T, s quant.Store, q quant.TradeQuery) []quant.Trade {
	t.Helper()
	q.Limit = 100
	var out []quant.Trade
	for {
		page, err := s.Trades(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Trades...)
		if page.Next == nil {
			return out
		}
		q.After = page.Next
	}
}

func checkOrder(t *testing.T, name string, ts []quant.Trade) {
	t.Helper()
	for i := 1; i < len(ts); i++ {
		a, b := ts[i-1], ts[i]
		if c := a.TransactionDate.Compare(b.TransactionDate); c < 0 || c == 0 && a.ID <= b.ID {
			t.Fatalf("%s: trade %d (%v, ID %d) before (%v, ID %d); want (date desc, ID desc)", name, i, a.TransactionDate, a.ID, b.TransactionDate, b.ID)
		}
	}
}

// realData is the shared data directory of ../shared/data/README.md.
const realData = "../../../shared/data"

func realFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realData, name))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("needs ../shared/data/%s (the real files of ../shared/data/README.md); absent in this clone", name)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func importBytes(t *testing.T, s quant.Store, fp string, b []byte) (quant.ImportResult, error) {
	t.Helper()
	return s.Import(context.Background(), quant.ImportInfo{Source: fp, Fingerprint: quant.Fingerprint(fp)}, (&ingest.Parser{}).Records(bytes.NewReader(b), nil))
}

func mustImportBytes(t *testing.T, s quant.Store, fp string, b []byte) quant.ImportResult {
	t.Helper()
	res, err := importBytes(t, s, fp, b)
	if err != nil {
		t.Fatalf("Import(%s): %v", fp, err)
	}
	return res
}

// TestRealFilings imports the real Senate files through the parser: the
// JSON twin of the CSV replaces its filings (8,350 records, not 16,700),
// the CSV with one new row appended (tomorrow's cumulative file) adds one
// record, and the same file twice (or the House file under another
// name) changes nothing.
func TestRealFilings(t *testing.T) {
	csv := realFile(t, "senate_all_transactions.csv")
	json := realFile(t, "senate_all_transactions.json")
	trades := func(s quant.Store) int64 { return s.Stats().Trades }

	t.Run("csv then json", func(t *testing.T) {
		s := inmem.New()
		first := mustImportBytes(t, s, "csv", csv)
		if n := trades(s); n != 8350 {
			t.Fatalf("after the CSV: %d trades, want 8350", n)
		}
		if first.Filings == 0 {
			t.Fatalf("the CSV brought no filing ids (%+v): the parser does not set FilingID", first)
		}
		res := mustImportBytes(t, s, "json", json)
		if n := trades(s); n != 8350 {
			t.Errorf("after the CSV and its JSON twin: %d trades, want 8350 (%+v)", n, res)
		}
		if res.Replaced != 8350 || res.FilingsReplaced != first.Filings || res.FilingsAdded != 0 {
			t.Errorf("JSON twin import = %+v; want every one of the CSV's %d filings replaced, 8350 records", res, first.Filings)
		}
	})

	t.Run("cumulative refresh", func(t *testing.T) {
		s := inmem.New()
		first := mustImportBytes(t, s, "day1", csv)
		next := bytes.TrimRight(csv, "\r\n")
		next = append(next, "\n11/17/2020,Self,AAPL,Apple Inc.,Stock,Purchase,\"$1,001 - $15,000\",--,Ron L Wyden,https://efdsearch.senate.gov/search/view/ptr/00000000-0000-4000-8000-00000000beef/\n"...)
		res := mustImportBytes(t, s, "day2", next)
		if n := trades(s); n != 8351 {
			t.Errorf("after the CSV and the CSV plus one row: %d trades, want 8351 (%+v)", n, res)
		}
		if res.FilingsAdded != 1 || res.FilingsUnchanged != first.Filings || res.Replaced != 0 || res.Unchanged != 8350 || !res.Changed {
			t.Errorf("refresh import = %+v; want 1 filing added, the %d others unchanged", res, first.Filings)
		}
		if res.DatasetVersion <= first.DatasetVersion {
			t.Errorf("version after the refresh = %d, want > %d", res.DatasetVersion, first.DatasetVersion)
		}
	})

	t.Run("house file under two names", func(t *testing.T) {
		house := realFile(t, "house_all_transactions.json")
		s := inmem.New()
		first := mustImportBytes(t, s, "house", house)
		again := mustImportBytes(t, s, "house-copy", house)
		if again.Changed || again.Unchanged != first.Records || again.FilingsUnchanged != first.Filings || trades(s) != int64(first.Records) {
			t.Errorf("the House file again = %+v after %+v; want every filing unchanged, %d trades", again, first, first.Records)
		}
	})

	t.Run("same file twice", func(t *testing.T) {
		s := inmem.New()
		first := mustImportBytes(t, s, "csv", csv)
		if _, err := importBytes(t, s, "csv", csv); !errors.Is(err, quant.ErrAlreadyImported) {
			t.Errorf("the same file again: %v, want ErrAlreadyImported", err)
		}
		again := mustImportBytes(t, s, "csv-copy", csv) // the same content under another name
		if again.Changed || again.Unchanged != 8350 || again.DatasetVersion != first.DatasetVersion {
			t.Errorf("the same content again = %+v; want unchanged at version %d", again, first.DatasetVersion)
		}
		if v, _ := s.DatasetVersion(context.Background()); v != first.DatasetVersion || trades(s) != 8350 {
			t.Errorf("after the same file twice: version %d, %d trades; want %d, 8350", v, trades(s), first.DatasetVersion)
		}
	})
}

// BenchmarkTradesEveryone pages through the newest trades of everyone,
// filtered by chamber, in a store of 200,000 records.
func BenchmarkTradesEveryone(b *testing.B) {
	s := inmem.New()
	loadSynthetic(b, s, "bench", 200000, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := s.Trades(ctx, quant.TradeQuery{Chamber: quant.ChamberHouse, Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImportReplace imports 200,000 records in 20,000 filings over a
// store holding the same filings with other records: every filing is
// replaced in one pass.
func BenchmarkImportReplace(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		s := inmem.New()
		loadSynthetic(b, s, "first", 200000, 0)
		b.StartTimer()
		loadSynthetic(b, s, "second", 200000, 1)
	}
}

func loadSynthetic(tb testing.TB, s quant.Store, fp string, n, gen int) {
	tb.Helper()
	fix := storetest.Fixture()
	_, err := s.Import(context.Background(), quant.ImportInfo{Source: fp, Fingerprint: quant.Fingerprint(fp)}, func(yield func(quant.Trade, error) bool) {
		for i := range n {
			tr := fix[i%len(fix)]
			tr.PoliticianID = fmt.Sprintf("p%d", i%500)
			tr.Place = quant.Place{Line: i + 2 + gen}
			tr.FilingID = fmt.Sprintf("f%d", i%(n/10))
			tr.TransactionDate = time.Date(2015, 1, 1+i%3000, 0, 0, 0, 0, time.UTC)
			if !yield(tr, nil) {
				return
			}
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
}
