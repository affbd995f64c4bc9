package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// genGoldenConfig and genGoldenSHA256 pin the generator's output: a change
// to any table, draw or format changes the hash. If the change is
// intended, update the hash (and say so in the commit).
var genGoldenConfig = GenConfig{Politicians: 12, Trades: 2000, Seed: 42}

const genGoldenSHA256 = "e09443029ea151f4b50e4b523059e360c3bdeec70e97bac1d568e500c33e9a4c"

// genImportDay is the import day the generated data is parsed on.
var genImportDay = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// generate runs Generate into memory.
func generate(tb testing.TB, cfg GenConfig) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, cfg); err != nil {
		tb.Fatalf("Generate(%+v) = %v", cfg, err)
	}
	return buf.Bytes()
}

// genReadCSV reads generated output with encoding/csv, checking the header
// and that every record has 10 fields.
func genReadCSV(tb testing.TB, b []byte) [][]string {
	tb.Helper()
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = 10
	recs, err := cr.ReadAll()
	if err != nil {
		tb.Fatalf("csv: %v", err)
	}
	if len(recs) == 0 {
		tb.Fatal("no header")
	}
	want := strings.Split(strings.TrimSuffix(genHeader, "\n"), ",")
	if !slices.Equal(recs[0], want) {
		tb.Fatalf("header = %q, want %q", recs[0], want)
	}
	return recs[1:]
}

func TestGenerateDeterministic(t *testing.T) {
	a := generate(t, genGoldenConfig)
	b := generate(t, genGoldenConfig)
	if !bytes.Equal(a, b) {
		t.Fatal("two runs with the same config differ")
	}
	sum := sha256.Sum256(a)
	if got := hex.EncodeToString(sum[:]); got != genGoldenSHA256 {
		t.Errorf("sha256(Generate(%+v)) = %s, want %s", genGoldenConfig, got, genGoldenSHA256)
	}
}

func TestGenerateSeedsDiffer(t *testing.T) {
	cfg := genGoldenConfig
	a := generate(t, cfg)
	cfg.Seed++
	b := generate(t, cfg)
	if bytes.Equal(a, b) {
		t.Fatalf("seeds %d and %d give the same output", cfg.Seed-1, cfg.Seed)
	}
}

func TestGenerateRows(t *testing.T) {
	tests := []struct {
		name string
		cfg  GenConfig
	}{
		{"header only", GenConfig{Politicians: 1, Trades: 0}},
		{"one row", GenConfig{Politicians: 1, Trades: 1, Seed: 3}},
		{"fewer trades than politicians", GenConfig{Politicians: 50, Trades: 7, Seed: 4}},
		{"like the real data", GenConfig{Politicians: 66, Trades: 8350, Seed: 5}},
		{"many politicians", GenConfig{Politicians: 3000, Trades: 20000, Seed: 6}},
		{"ten days", GenConfig{Politicians: 5, Trades: 500, Seed: 7,
			Start: time.Date(2020, 2, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)}},
		{"one day, not UTC", GenConfig{Politicians: 3, Trades: 50, Seed: 8,
			Start: time.Date(1990, 1, 1, 23, 0, 0, 0, time.FixedZone("X", -5*3600)),
			End:   time.Date(1990, 1, 1, 1, 0, 0, 0, time.FixedZone("Y", 9*3600))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := generate(t, tt.cfg)
			recs := genReadCSV(t, out)
			if len(recs) != tt.cfg.Trades {
				t.Fatalf("Generate(%+v) wrote %d rows, want %d", tt.cfg, len(recs), tt.cfg.Trades)
			}

			// Every row passes ANALYTICS.md section 1.
			p := Parser{Format: FormatCSV, Now: func() time.Time { return genImportDay }}
			var rejects []Reject
			var trades []quant.Trade
			for tr, err := range p.Records(bytes.NewReader(out), RejectFunc(func(r Reject) { rejects = append(rejects, r) })) {
				if err != nil {
					t.Fatalf("Records: %v", err)
				}
				trades = append(trades, tr)
			}
			if len(rejects) > 0 {
				t.Fatalf("%d rejects, first %+v", len(rejects), rejects[0])
			}
			if len(trades) != tt.cfg.Trades {
				t.Fatalf("parsed %d records, want %d", len(trades), tt.cfg.Trades)
			}

			cfg, _ := tt.cfg.validate()
			lo, hi := genDay(cfg.Start), genDay(cfg.End)
			ids := map[string]bool{}
			for i, rec := range recs {
				d, ok := ParseDate(rec[0])
				if !ok {
					t.Fatalf("row %d: bad date %q", i+2, rec[0])
				}
				if day := d.Unix() / 86400; day < lo || day > hi {
					t.Fatalf("row %d: date %s outside %s..%s", i+2, rec[0], cfg.Start, cfg.End)
				}
				ids[PoliticianID(rec[8])] = true
			}
			wantIDs := min(tt.cfg.Politicians, tt.cfg.Trades)
			if tt.cfg.Trades < tt.cfg.Politicians {
				// Only some filers appear; there cannot be more ids than rows.
				if len(ids) > wantIDs {
					t.Errorf("%d politician ids, want at most %d", len(ids), wantIDs)
				}
			} else if len(ids) != wantIDs {
				t.Errorf("%d politician ids, want %d", len(ids), wantIDs)
			}
		})
	}
}

// TestGenerateDistribution checks 100,000 rows against the real shares
// (measured on data/senate_all_transactions.csv), with loose bounds.
func TestGenerateDistribution(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows")
	}
	const n = 100_000
	recs := genReadCSV(t, generate(t, GenConfig{Politicians: 100, Trades: n, Seed: 2024}))
	if len(recs) != n {
		t.Fatalf("%d rows, want %d", len(recs), n)
	}
	count := func(field int, value string) float64 {
		c := 0
		for _, r := range recs {
			if r[field] == value {
				c++
			}
		}
		return float64(c) / n
	}
	shares := []struct {
		what    string
		field   int
		value   string
		lo, hi  float64
		realPct float64
	}{
		{"purchase", 5, "Purchase", 0.45, 0.53, 49.10},
		{"sale (full)", 5, "Sale (Full)", 0.20, 0.28, 23.78},
		{"sale (partial)", 5, "Sale (Partial)", 0.17, 0.24, 20.54},
		{"exchange", 5, "Exchange", 0.005, 0.02, 1.03},
		{"pdf", 4, "PDF Disclosed Filing", 0.04, 0.07, 5.54},
		{"stock", 4, "Stock", 0.70, 0.78, 74.17},
		{"joint", 1, "Joint", 0.36, 0.44, 39.99},
		{"spouse", 1, "Spouse", 0.34, 0.42, 37.57},
		{"self", 1, "Self", 0.12, 0.18, 15.11},
		{"smallest amount", 6, "$1,001 - $15,000", 0.60, 0.69, 64.56},
		{"comment --", 7, "--", 0.80, 0.90, 85.43},
	}
	for _, s := range shares {
		if got := count(s.field, s.value); got < s.lo || got > s.hi {
			t.Errorf("share of %s = %.4f, want in [%.3f, %.3f] (real %.2f%%)", s.what, got, s.lo, s.hi, s.realPct)
		}
	}

	// PDF rows carry N/A everywhere and sit alone under a /paper/ link.
	var electronic, unknownTicker, iso int
	perPolitician := map[string]int{}
	spellings := map[string]map[string]bool{}
	rowsPerLink := map[string]int{}
	linkOwner := map[string]string{}
	var links []string
	for i, r := range recs {
		id := PoliticianID(r[8])
		perPolitician[id]++
		if spellings[id] == nil {
			spellings[id] = map[string]bool{}
		}
		spellings[id][r[8]] = true
		if strings.Contains(r[0], "-") {
			iso++
		}
		if rowsPerLink[r[9]] == 0 {
			links = append(links, r[9])
			linkOwner[r[9]] = id
		} else if links[len(links)-1] != r[9] {
			t.Fatalf("row %d: filing %s is not contiguous", i+2, r[9])
		} else if linkOwner[r[9]] != id {
			t.Fatalf("row %d: filing %s has two filers", i+2, r[9])
		}
		rowsPerLink[r[9]]++
		if r[4] == "PDF Disclosed Filing" {
			want := []string{"N/A", "N/A", genPDFDescription, "PDF Disclosed Filing", "N/A", "Unknown", ""}
			if !slices.Equal(r[1:8], want) || !strings.Contains(r[9], "/view/paper/") {
				t.Fatalf("row %d: PDF row %q", i+2, r)
			}
			continue
		}
		if !strings.HasPrefix(r[9], "https://efdsearch.senate.gov/search/view/ptr/") {
			t.Fatalf("row %d: ptr_link %q", i+2, r[9])
		}
		electronic++
		if r[2] == "--" {
			unknownTicker++
		}
	}
	if got := float64(unknownTicker) / float64(electronic); got < 0.17 || got > 0.25 {
		t.Errorf("share of '--' tickers among electronic rows = %.4f, want in [0.17, 0.25] (real 20.9%%)", got)
	}
	if got := float64(iso) / n; got < 0.002 || got > 0.01 {
		t.Errorf("share of YYYY-MM-DD dates = %.4f, want about 0.005", got)
	}
	top := 0
	for _, c := range perPolitician {
		top = max(top, c)
	}
	if got := float64(top) / n; got <= 0.10 {
		t.Errorf("top politician's share = %.3f, want > 0.10 (real 31%%)", got)
	}
	if len(perPolitician) != 100 {
		t.Errorf("%d politicians, want 100", len(perPolitician))
	}
	aliased := 0
	for _, s := range spellings {
		if len(s) > 1 {
			aliased++
		}
	}
	if aliased < 15 || aliased > 45 {
		t.Errorf("%d of 100 politicians have two spellings, want about 30", aliased)
	}
	for link, c := range rowsPerLink {
		if c > genMaxFiling {
			t.Errorf("filing %s has %d rows, want at most %d", link, c, genMaxFiling)
		}
	}
	if mean := float64(n) / float64(len(links)); mean < 3 || mean > 9 {
		t.Errorf("mean rows per filing = %.2f, want in [3, 9] (real 5.9)", mean)
	}
}

// TestGenerateNewestFirst checks that filings come newest first: a
// filing's newest row is at most the filing window newer than the newest
// row of the filing before it.
func TestGenerateNewestFirst(t *testing.T) {
	recs := genReadCSV(t, generate(t, GenConfig{Politicians: 40, Trades: 20000, Seed: 9}))
	var prevLink string
	var prevNewest, newest int64 = 1 << 62, 0
	check := func(row int) {
		if newest > prevNewest+genMaxWindow {
			t.Fatalf("row %d: filing newest day %d after previous filing's %d", row, newest, prevNewest)
		}
	}
	for i, r := range recs {
		d, _ := ParseDate(r[0])
		day := d.Unix() / 86400
		if r[9] != prevLink {
			if prevLink != "" {
				check(i + 1)
				prevNewest = newest
			}
			prevLink, newest = r[9], day
		}
		newest = max(newest, day)
	}
	check(len(recs) + 1)
}

// TestGenNames checks what makes generated politician ids distinct: each
// listed name folds to one token of two or more letters, distinct within
// its list and not a dropped suffix; and every spelling variant maps to
// the id of the plain name.
func TestGenNames(t *testing.T) {
	lists := map[string][]string{"first": nil, "last": genLastNames[:]}
	for _, f := range genFirstNames {
		lists["first"] = append(lists["first"], f.name)
	}
	for _, list := range []string{"first", "last"} {
		seen := map[string]string{}
		for _, name := range lists[list] {
			id := PoliticianID(name)
			if len(id) < 2 || strings.Contains(id, "-") || droppedTokens[id] {
				t.Errorf("%s name %q folds to %q, want one token of 2+ letters", list, name, id)
			}
			if prev, ok := seen[id]; ok {
				t.Errorf("%s names %q and %q both fold to %q", list, prev, name, id)
			}
			seen[id] = name
		}
	}
	for _, f := range genFirstNames[:genMaleFirstNames] {
		if f.name == "Mary" {
			t.Errorf("genMaleFirstNames = %d counts women's names", genMaleFirstNames)
		}
	}
	if genFirstNames[genMaleFirstNames].name != "Mary" {
		t.Errorf("genFirstNames[genMaleFirstNames] = %q, want the first woman's name, Mary", genFirstNames[genMaleFirstNames].name)
	}
	base := "Rafael E Cruz"
	variants := []string{"Rafael E (Ted) Cruz", "Rafael  E Cruz"}
	for _, s := range genSuffixes {
		variants = append(variants, base+s)
	}
	for _, v := range variants {
		if got, want := PoliticianID(v), PoliticianID(base); got != want {
			t.Errorf("PoliticianID(%q) = %q, want %q", v, got, want)
		}
	}
}

func TestGenConfigErrors(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		cfg  GenConfig
		want string
	}{
		{GenConfig{}, "ingest: gen: politicians must be >= 1"},
		{GenConfig{Politicians: -3, Trades: 10}, "ingest: gen: politicians must be >= 1"},
		{GenConfig{Politicians: GenMaxPoliticians + 1}, fmt.Sprintf("ingest: gen: politicians must be <= %d", GenMaxPoliticians)},
		{GenConfig{Politicians: 1, Trades: -1}, "ingest: gen: trades must be >= 0"},
		{GenConfig{Politicians: 1, Start: day(1989, 12, 31)}, "ingest: gen: start must not be before 1990-01-01"},
		{GenConfig{Politicians: 1, End: day(10000, 1, 1)}, "ingest: gen: end must be before year 10000"},
		{GenConfig{Politicians: 1, Start: day(2020, 1, 2), End: day(2020, 1, 1)}, "ingest: gen: end must not be before start"},
		{GenConfig{Politicians: 1, Start: day(2021, 1, 1)}, "ingest: gen: end must not be before start"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := Generate(&buf, tt.cfg)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Generate(%+v) = %v, want %q", tt.cfg, err, tt.want)
			continue
		}
		if !errors.Is(err, ErrGenConfig) {
			t.Errorf("Generate(%+v) = %v, want an error matching ErrGenConfig", tt.cfg, err)
		}
		if buf.Len() != 0 {
			t.Errorf("Generate(%+v) wrote %d bytes with an invalid config", tt.cfg, buf.Len())
		}
	}
	if err := Generate(io.Discard, GenConfig{Politicians: 1, Start: day(1990, 1, 1), End: day(1990, 1, 1)}); err != nil {
		t.Errorf("Generate over 1990-01-01 alone = %v, want nil", err)
	}
}

// genFailWriter fails after n bytes.
type genFailWriter struct{ n int }

var errGenWrite = errors.New("disk full")

func (w *genFailWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return w.n, errGenWrite
	}
	w.n -= len(p)
	return len(p), nil
}

func TestGenerateWriteError(t *testing.T) {
	for _, n := range []int{0, 100_000} {
		err := Generate(&genFailWriter{n: n}, GenConfig{Politicians: 10, Trades: 10_000})
		if !errors.Is(err, errGenWrite) || !strings.HasPrefix(err.Error(), "ingest: gen: write: ") {
			t.Errorf("Generate to a writer failing after %d bytes = %v, want ingest: gen: write: %v", n, err, errGenWrite)
		}
	}
}

// TestGenerateStreams checks that memory does not grow with the number of
// rows: ten times the rows may not allocate much more.
func TestGenerateStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 550,000 rows")
	}
	alloc := func(trades int) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if err := Generate(io.Discard, GenConfig{Politicians: 200, Trades: trades, Seed: 1}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(50_000), alloc(500_000)
	if large > small+(1<<20) {
		t.Errorf("Generate allocated %d bytes for 50,000 rows and %d for 500,000, want about the same", small, large)
	}
}

func BenchmarkGenerate1M(b *testing.B) {
	cfg := GenConfig{Politicians: 100, Trades: 1_000_000, Seed: 1}
	var cw genCountWriter
	if err := Generate(&cw, cfg); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := Generate(io.Discard, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// genCountWriter counts the bytes written to it.
type genCountWriter struct{ n int64 }

func (w *genCountWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

func ExampleGenerate() {
	var buf bytes.Buffer
	err := Generate(&buf, GenConfig{Politicians: 3, Trades: 5, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	recs, _ := csv.NewReader(&buf).ReadAll()
	for _, r := range recs {
		// transaction_date, ticker, type, senator
		fmt.Printf("%s | %s | %s | %s\n", r[0], r[2], r[5], r[8])
	}
	// Output:
	// transaction_date | ticker | type | senator
	// 06/04/2020 | AAPL | Exchange | Mark Caldwell
	// 04/09/2015 | HBI | Sale (Full) | Walter Reed
	// 08/06/2013 | N/A | N/A | Russell T Baker
	// 12/31/2012 | N/A | N/A | Walter Reed
	// 11/17/2012 | NVDA | Purchase | Walter Reed
}
