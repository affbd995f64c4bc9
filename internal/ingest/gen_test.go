package ingest

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
		{GenConfig{Politicians: 1, Format: GenHouseJSON, Start: day(2026, 1, 1)}, "ingest: gen: end must not be before start"},
		{GenConfig{Politicians: 1, Format: "xml"}, `ingest: gen: format "xml" is not one of [senate-csv house-json senate-filings legislators]`},
		{GenConfig{Politicians: 1, SkipPoliticians: -1}, "ingest: gen: skip politicians must be >= 0"},
		{GenConfig{Politicians: 2, SkipPoliticians: GenMaxPoliticians - 1}, fmt.Sprintf("ingest: gen: politicians + skip politicians must be <= %d", GenMaxPoliticians)},
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

// genJSONGolden pins the JSON formats' output as genGoldenSHA256 pins the
// CSV's: a change to any table, draw or layout changes the hash.
var genJSONGolden = []struct {
	cfg GenConfig
	sum string
}{
	{GenConfig{Format: GenHouseJSON, Politicians: 12, Trades: 2000, Seed: 42}, "9cfbabf5668c95f5ffc950ad9d2ed90cf6af723ed9a77b1643602f5ec44c148f"},
	{GenConfig{Format: GenSenateFilings, Politicians: 12, Trades: 2000, Seed: 42}, "41ad95cba3e38fdbfddf7e0258fd47b035a04274cc6571b10e4c480c7b0c6abc"},
}

func TestGenerateJSONDeterministic(t *testing.T) {
	for _, tt := range genJSONGolden {
		t.Run(string(tt.cfg.Format), func(t *testing.T) {
			a := generate(t, tt.cfg)
			if b := generate(t, tt.cfg); !bytes.Equal(a, b) {
				t.Fatal("two runs with the same config differ")
			}
			sum := sha256.Sum256(a)
			if got := hex.EncodeToString(sum[:]); got != tt.sum {
				t.Errorf("sha256(Generate(%+v)) = %s, want %s", tt.cfg, got, tt.sum)
			}
			cfg := tt.cfg
			cfg.Seed++
			if bytes.Equal(a, generate(t, cfg)) {
				t.Errorf("seeds %d and %d give the same output", tt.cfg.Seed, cfg.Seed)
			}
		})
	}
}

// The empty format is the Senate CSV, byte for byte.
func TestGenerateDefaultFormatIsSenateCSV(t *testing.T) {
	cfg := genGoldenConfig
	cfg.Format = GenSenateCSV
	if !bytes.Equal(generate(t, cfg), generate(t, genGoldenConfig)) {
		t.Error("Format senate-csv and the empty Format differ")
	}
}

// genHouseKeys are the keys of a real House element, in its order.
var genHouseKeys = []string{"transaction_date", "disclosure_date", "ticker", "asset_description", "asset_type",
	"type", "amount", "representative", "district", "owner", "filing_id", "source_url"}

// genDecode decodes a generated JSON file, checking that it is one array
// and that every element's keys are exactly want (in any order) and hold
// strings, except a filing's transactions.
func genDecode(tb testing.TB, b []byte, want []string) []map[string]any {
	tb.Helper()
	var elems []map[string]any
	if err := json.Unmarshal(b, &elems); err != nil {
		tb.Fatalf("json: %v", err)
	}
	for i, e := range elems {
		keys := slices.Sorted(maps.Keys(e))
		if w := slices.Sorted(slices.Values(want)); !slices.Equal(keys, w) {
			tb.Fatalf("element %d keys = %q, want %q", i+1, keys, w)
		}
		for k, v := range e {
			if _, ok := v.(string); !ok && k != "transactions" {
				tb.Fatalf("element %d: %s = %#v, want a string", i+1, k, v)
			}
		}
	}
	return elems
}

// genLagStats checks the lags (disclosure - transaction, days) of a
// generated file against the model of gen_json.go, with loose bounds.
func genLagStats(tb testing.TB, lags []int) {
	tb.Helper()
	slices.Sort(lags)
	n := len(lags)
	var late, veryLate, invalid int
	for _, l := range lags {
		switch {
		case l < 0:
			invalid++
		case l > 180:
			veryLate++
			late++
		case l > 45:
			late++
		}
	}
	median := lags[n/2]
	share := float64(late) / float64(n)
	if median < 7 || median > 35 {
		tb.Errorf("median lag = %d days, want 7..35 (most reports within days to a few weeks)", median)
	}
	if share < 0.05 || share > 0.2 {
		tb.Errorf("late share = %.3f, want 0.05..0.2 (a tail past 45 days)", share)
	}
	if veryLate == 0 || float64(veryLate)/float64(n) > 0.03 {
		tb.Errorf("%d of %d lags over 180 days, want a few", veryLate, n)
	}
	if invalid == 0 || float64(invalid)/float64(n) > 0.01 {
		tb.Errorf("%d of %d reports dated before a trade, want a few", invalid, n)
	}
}

func genMustDate(tb testing.TB, s string) time.Time {
	tb.Helper()
	if len(s) != 10 || s[2] != '/' || s[5] != '/' {
		tb.Fatalf("date %q is not MM/DD/YYYY", s)
	}
	d, err := time.Parse("01/02/2006", s)
	if err != nil {
		tb.Fatalf("date %q: %v", s, err)
	}
	return d
}

var (
	genDistrictRE = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}$`)
	genFilingIDRE = regexp.MustCompile(`^[0-9]{8}$`)
	genUUIDRE     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	genBioguideRE = regexp.MustCompile(`^[A-Z][0-9]{6}$`)
	genExactRE    = regexp.MustCompile(`^\$[0-9]{1,3}(,[0-9]{3})?\.[0-9]{2}$`)
)

func TestGenerateHouseShape(t *testing.T) {
	cfg := GenConfig{Format: GenHouseJSON, Politicians: 60, Trades: 30_000, Seed: 9}
	elems := genDecode(t, generate(t, cfg), genHouseKeys)
	if len(elems) != cfg.Trades {
		t.Fatalf("%d elements, want %d", len(elems), cfg.Trades)
	}
	start, end := GenHouseJSON.DefaultSpan()
	type filing struct{ name, disclosed, district string }
	filings := map[string]filing{}
	districts := map[string]string{}
	counts := map[string]int{}
	var lags []int
	var lineBreaks, exact, cut int
	for i, e := range elems {
		s := func(k string) string { return e[k].(string) }
		td, dd := genMustDate(t, s("transaction_date")), genMustDate(t, s("disclosure_date"))
		if td.Before(start) || td.After(end) || dd.Before(start) || dd.After(end) {
			t.Fatalf("element %d: dates %s, %s outside %s..%s", i+1, s("transaction_date"), s("disclosure_date"), start, end)
		}
		lags = append(lags, int(dd.Sub(td).Hours()/24))
		id := s("filing_id")
		if !genFilingIDRE.MatchString(id) {
			t.Fatalf("element %d: filing_id %q, want 8 digits", i+1, id)
		}
		wantURL := "https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/" + strconv.Itoa(dd.Year()) + "/" + id + ".pdf"
		if s("source_url") != wantURL {
			t.Fatalf("element %d: source_url %q, want %q", i+1, s("source_url"), wantURL)
		}
		if !genDistrictRE.MatchString(s("district")) || s("district")[2:] > "53" {
			t.Fatalf("element %d: district %q, want like NJ07", i+1, s("district"))
		}
		f := filing{s("representative"), s("disclosure_date"), s("district")}
		if old, ok := filings[id]; ok && old != f {
			t.Fatalf("filing %s holds %+v and %+v, want one filer, day and district", id, old, f)
		}
		filings[id] = f
		if d, ok := districts[f.name]; ok && d != f.district {
			t.Fatalf("%s in %s and %s, want one district", f.name, d, f.district)
		}
		districts[f.name] = f.district
		if !slices.Contains([]string{"Purchase", "Sale", "Exchange"}, s("type")) {
			t.Fatalf("element %d: type %q", i+1, s("type"))
		}
		if s("asset_type") != "Stock" || s("ticker") == "" {
			t.Fatalf("element %d: asset_type %q, ticker %q", i+1, s("asset_type"), s("ticker"))
		}
		switch a := s("amount"); {
		case strings.Contains(a, " -\n$"):
			lineBreaks++
		case genExactRE.MatchString(a):
			exact++
		case strings.HasSuffix(a, " -"):
			cut++
		}
		counts[id]++
	}
	if lineBreaks < cfg.Trades/10 || exact == 0 || cut == 0 {
		t.Errorf("amounts: %d with a line break, %d exact, %d cut; want many, some, some", lineBreaks, exact, cut)
	}
	if len(districts) != cfg.Politicians {
		t.Errorf("%d representatives, want %d", len(districts), cfg.Politicians)
	}
	several := 0
	for _, n := range counts {
		if n > 1 {
			several++
		}
	}
	if several < len(counts)/3 {
		t.Errorf("%d of %d filings hold several trades, want a good share", several, len(counts))
	}
	genLagStats(t, lags)
}

// genFilingKeys and genTransactionKeys are the keys of a real Senate
// filing and of its transactions.
var (
	genFilingKeys      = []string{"first_name", "last_name", "office", "ptr_link", "date_recieved", "transactions", "bioguide"}
	genTransactionKeys = []string{"transaction_date", "owner", "ticker", "asset_description", "asset_type", "type", "amount", "comment"}
)

func TestGenerateSenateFilingsShape(t *testing.T) {
	cfg := GenConfig{Format: GenSenateFilings, Politicians: 40, Trades: 20_000, Seed: 9}
	elems := genDecode(t, generate(t, cfg), genFilingKeys)
	start, end := GenSenateFilings.DefaultSpan()
	var lags []int
	var paper, records, anchors int
	ids := map[string]bool{}
	bioguides := map[string]string{} // last name + first name -> bioguide
	for i, e := range elems {
		s := func(k string) string { return e[k].(string) }
		link := s("ptr_link")
		kind, id, ok := strings.Cut(strings.TrimPrefix(link, "https://efdsearch.senate.gov/search/view/"), "/")
		if !ok || !strings.HasSuffix(id, "/") || !genUUIDRE.MatchString(strings.TrimSuffix(id, "/")) {
			t.Fatalf("filing %d: ptr_link %q, want .../search/view/ptr/UUID/", i+1, link)
		}
		if ids[id] {
			t.Fatalf("filing %d: ptr_link %q twice", i+1, link)
		}
		ids[id] = true
		dd := genMustDate(t, s("date_recieved"))
		if dd.Before(start) || dd.After(end) {
			t.Fatalf("filing %d: date_recieved %s outside the span", i+1, s("date_recieved"))
		}
		if !genBioguideRE.MatchString(s("bioguide")) {
			t.Fatalf("filing %d: bioguide %q", i+1, s("bioguide"))
		}
		key := strings.ToUpper(strings.TrimSpace(s("first_name")) + "|" + s("last_name"))
		if b, ok := bioguides[key]; ok && b != s("bioguide") {
			t.Fatalf("%s has bioguides %s and %s", key, b, s("bioguide"))
		}
		bioguides[key] = s("bioguide")
		txs, ok := e["transactions"].([]any)
		if !ok {
			t.Fatalf("filing %d: transactions %#v, want an array", i+1, e["transactions"])
		}
		if kind == "paper" {
			paper++
			if len(txs) != 0 || s("office") != "Senator" {
				t.Fatalf("paper filing %d: %d transactions, office %q; want none, Senator", i+1, len(txs), s("office"))
			}
			continue
		}
		if kind != "ptr" || len(txs) == 0 {
			t.Fatalf("filing %d: %s link with %d transactions", i+1, kind, len(txs))
		}
		wantOffice := s("last_name") + ", " + s("first_name")
		if p := strings.LastIndexByte(wantOffice, ' '); len(wantOffice)-p == 2 {
			wantOffice += "." // the middle initial
		}
		if s("office") != wantOffice+" (Senator)" {
			t.Fatalf("filing %d: office %q, want %q", i+1, s("office"), wantOffice+" (Senator)")
		}
		for k, tx := range txs {
			m, ok := tx.(map[string]any)
			if !ok {
				t.Fatalf("filing %d transaction %d: %#v", i+1, k+1, tx)
			}
			if keys, w := slices.Sorted(maps.Keys(m)), slices.Sorted(slices.Values(genTransactionKeys)); !slices.Equal(keys, w) {
				t.Fatalf("filing %d transaction %d keys = %q, want %q", i+1, k+1, keys, w)
			}
			td := genMustDate(t, m["transaction_date"].(string))
			if td.Before(start) {
				t.Fatalf("filing %d transaction %d dated %s, before the span", i+1, k+1, td)
			}
			lags = append(lags, int(dd.Sub(td).Hours()/24))
			if strings.HasPrefix(m["ticker"].(string), `<a href="https://finance.yahoo.com/q?s=`) {
				anchors++
			}
			records++
		}
	}
	if records != cfg.Trades {
		t.Errorf("%d transactions, want %d", records, cfg.Trades)
	}
	if share := float64(paper) / float64(len(elems)); share < 0.2 || share > 0.4 {
		t.Errorf("paper filings = %.3f of %d, want about 0.3 (real: 463 of 1,442)", share, len(elems))
	}
	if anchors < records/2 {
		t.Errorf("%d of %d tickers are anchors, want most", anchors, records)
	}
	if len(bioguides) < cfg.Politicians {
		t.Errorf("%d names, want at least %d", len(bioguides), cfg.Politicians)
	}
	genLagStats(t, lags)
}

// Every filer's district is a real seat: 01..seats, or 00 where the state
// has one seat.
func TestGenDistricts(t *testing.T) {
	seats := map[string]int{}
	for _, s := range genStateSeats {
		seats[s.state] = s.seats
	}
	seen := map[string]bool{}
	for i := range 20_000 {
		f := genFiler{key: genHash(1, uint64(i))}
		d := f.district()
		n, err := strconv.Atoi(d[2:])
		max, ok := seats[d[:2]]
		if !genDistrictRE.MatchString(d) || err != nil || !ok || (max == 1) != (n == 0) || n > max {
			t.Fatalf("district() = %q for key %d, want a seat of the 435", d, f.key)
		}
		seen[d] = true
	}
	if len(seen) < 430 || !seen["MT00"] || !seen["NJ07"] {
		t.Errorf("%d distinct districts of 20,000 filers (MT00 %v, NJ07 %v), want nearly all 435", len(seen), seen["MT00"], seen["NJ07"])
	}
}

// genSink collects what a parse reports.
type genSink struct {
	rejects []Reject
	notes   []Note
	filings int
}

func (s *genSink) Content(Format)      {}
func (s *genSink) Element(ElementKind) {}
func (s *genSink) Filing(int)          { s.filings++ }
func (s *genSink) Reject(r Reject)     { s.rejects = append(s.rejects, r) }
func (s *genSink) Note(n Note)         { s.notes = append(s.notes, n) }

// genParse parses generated output as an import on genImportDay would.
func genParse(tb testing.TB, b []byte) ([]quant.Trade, *genSink) {
	tb.Helper()
	p := Parser{Now: func() time.Time { return genImportDay }}
	sink := &genSink{}
	var trades []quant.Trade
	for tr, err := range p.Records(bytes.NewReader(b), sink) {
		if err != nil {
			tb.Fatalf("Records: %v", err)
		}
		trades = append(trades, tr)
	}
	return trades, sink
}

// genWantTypes and genWantOwners are ANALYTICS.md section 1's tables for
// the values the generator writes.
var (
	genWantTypes = map[string]quant.TradeType{
		"Purchase": quant.TypePurchase, "Sale": quant.TypeSale, "Exchange": quant.TypeExchange,
		"Sale (Full)": quant.TypeSaleFull, "Sale (Partial)": quant.TypeSalePartial,
	}
	genWantOwners = map[string]quant.OwnerKind{
		"Self": quant.OwnerSelf, "Spouse": quant.OwnerSpouse, "Joint": quant.OwnerJoint,
		"Child": quant.OwnerDependent, "Dependent Child": quant.OwnerDependent,
	}
	// genWantBands: a band's lower bound -> its upper bound.
	genWantBands = map[int64]int64{1001: 15000, 15001: 50000, 50001: 100000, 100001: 250000, 250001: 500000,
		500001: 1000000, 1000001: 5000000, 5000001: 25000000, 25000001: 50000000}
)

// genDollars reads "$1,118.07" as 1118.
func genDollars(tb testing.TB, s string) int64 {
	tb.Helper()
	s, _, _ = strings.Cut(strings.TrimPrefix(strings.TrimSpace(s), "$"), ".")
	n, err := strconv.ParseInt(strings.ReplaceAll(s, ",", ""), 10, 64)
	if err != nil {
		tb.Fatalf("amount figure %q: %v", s, err)
	}
	return n
}

// genWantAmount sets the amount fields ANALYTICS.md section 1 gives the
// generator's amount texts (bands, with or without a line break, cut
// bands, Over $X and exact amounts).
func genWantAmount(tb testing.TB, tr *quant.Trade, a string) {
	tb.Helper()
	null := sql.Null[int64]{}
	some := func(v int64) sql.Null[int64] { return sql.Null[int64]{V: v, Valid: true} }
	switch lo, hi, band := strings.Cut(a, "-"); {
	case strings.HasPrefix(a, "Over $"):
		tr.AmountMin, tr.AmountMax = some(genDollars(tb, strings.TrimPrefix(a, "Over "))+1), null
	case band && strings.TrimSpace(hi) == "":
		l := genDollars(tb, lo)
		tr.AmountMin, tr.AmountMax = some(l), some(genWantBands[l])
		if genWantBands[l] == 0 {
			tb.Fatalf("cut band %q does not start at a band's lower bound", a)
		}
	case band:
		tr.AmountMin, tr.AmountMax = some(genDollars(tb, lo)), some(genDollars(tb, hi))
	default:
		v := genDollars(tb, a)
		if genWantBands[v] != 0 {
			tb.Fatalf("exact amount %q is a band's lower bound", a)
		}
		tr.AmountMin, tr.AmountMax, tr.AmountExact = some(v), some(v), true
	}
}

// genWantTicker is the ticker rule: anchors read as their text, "--" as
// null.
func genWantTicker(s string) string {
	if rest, ok := strings.CutPrefix(s, "<a href="); ok {
		_, rest, _ = strings.Cut(rest, ">")
		s, _, _ = strings.Cut(rest, "<")
	}
	if s == "--" {
		return ""
	}
	return s
}

// genWantTrades derives, from the generated JSON itself, the records
// ANALYTICS.md section 1 reads from it, in source order.
func genWantTrades(tb testing.TB, format GenFormat, b []byte) (want []quant.Trade, filings int) {
	tb.Helper()
	var elems []map[string]any
	if err := json.Unmarshal(b, &elems); err != nil {
		tb.Fatal(err)
	}
	date := func(v any) time.Time { return genMustDate(tb, v.(string)) }
	for i, e := range elems {
		str := func(k string) string { return e[k].(string) }
		if format == GenHouseJSON {
			tr := quant.Trade{
				Place: quant.Place{Index: i + 1}, Format: quant.FormatHouse, Chamber: quant.ChamberHouse,
				PoliticianID: PoliticianID(str("representative")), PoliticianName: str("representative"),
				TransactionDate: date(e["transaction_date"]), DisclosureDate: date(e["disclosure_date"]),
				Ticker: str("ticker"), Type: genWantTypes[str("type")],
				Owner: str("owner"), OwnerKind: genWantOwners[str("owner")],
				AssetType: str("asset_type"), AssetDescription: str("asset_description"),
				SourceURL: str("source_url"), FilingID: str("filing_id"), State: str("district")[:2],
			}
			n, _ := strconv.Atoi(str("district")[2:])
			tr.District = sql.Null[int32]{V: int32(n), Valid: true}
			genWantAmount(tb, &tr, str("amount"))
			want = append(want, tr)
			continue
		}
		filings++
		name := str("first_name") + " " + str("last_name")
		link := str("ptr_link")
		id := link[strings.LastIndexByte(strings.TrimSuffix(link, "/"), '/')+1 : len(link)-1]
		for k, tx := range e["transactions"].([]any) {
			m := tx.(map[string]any)
			s := func(k string) string { return m[k].(string) }
			comment := s("comment")
			if comment == "--" {
				comment = ""
			}
			tr := quant.Trade{
				Place: quant.Place{Index: i + 1, Transaction: k + 1}, Format: quant.FormatSenateFilings, Chamber: quant.ChamberSenate,
				PoliticianID: PoliticianID(name), PoliticianName: name,
				TransactionDate: date(m["transaction_date"]), DisclosureDate: date(e["date_recieved"]),
				Ticker: genWantTicker(s("ticker")), Type: genWantTypes[s("type")],
				Owner: s("owner"), OwnerKind: genWantOwners[s("owner")],
				AssetType: s("asset_type"), AssetDescription: s("asset_description"), Comment: comment,
				PTRLink: link, FilingID: id, Bioguide: str("bioguide"),
			}
			genWantAmount(tb, &tr, s("amount"))
			want = append(want, tr)
		}
	}
	return want, filings
}

// The parser reads every generated record back with the intended fields:
// no reject, no note, and each field as ANALYTICS.md section 1 reads the
// text the generator wrote.
func TestGenerateRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  GenConfig
	}{
		{"house", GenConfig{Format: GenHouseJSON, Politicians: 60, Trades: 20_000, Seed: 11}},
		{"senate filings", GenConfig{Format: GenSenateFilings, Politicians: 40, Trades: 20_000, Seed: 11}},
		{"house, one trade", GenConfig{Format: GenHouseJSON, Politicians: 1, Trades: 1, Seed: 12}},
		{"senate filings, no trades", GenConfig{Format: GenSenateFilings, Politicians: 3, Trades: 0, Seed: 12}},
		{"house, skipped filers", GenConfig{Format: GenHouseJSON, Politicians: 20, SkipPoliticians: 30, Trades: 3000, Seed: 13}},
		{"house from 1990-01-01", GenConfig{Format: GenHouseJSON, Politicians: 5, Trades: 2000, Seed: 14,
			Start: time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(1990, 3, 1, 0, 0, 0, 0, time.UTC)}},
		{"senate filings, ten days", GenConfig{Format: GenSenateFilings, Politicians: 5, Trades: 500, Seed: 15,
			Start: time.Date(2020, 2, 20, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := generate(t, tt.cfg)
			got, sink := genParse(t, out)
			if len(sink.rejects) > 0 {
				t.Fatalf("%d rejects, first %+v", len(sink.rejects), sink.rejects[0])
			}
			if len(sink.notes) > 0 {
				t.Fatalf("%d notes, first %+v", len(sink.notes), sink.notes[0])
			}
			want, filings := genWantTrades(t, tt.cfg.Format, out)
			if len(got) != tt.cfg.Trades || len(want) != tt.cfg.Trades {
				t.Fatalf("parsed %d records, derived %d, want %d", len(got), len(want), tt.cfg.Trades)
			}
			if sink.filings != filings {
				t.Errorf("parser counted %d filings, want %d", sink.filings, filings)
			}
			for i := range got {
				if diff := cmp.Diff(want[i], got[i]); diff != "" {
					t.Fatalf("record %d (%s) differs (-want +got):\n%s", i+1, want[i].Place, diff)
				}
			}
			ids := map[string]bool{}
			for _, tr := range got {
				ids[tr.PoliticianID] = true
			}
			if tt.cfg.Trades >= tt.cfg.Politicians && len(ids) != tt.cfg.Politicians {
				t.Errorf("%d politician ids, want %d", len(ids), tt.cfg.Politicians)
			}
		})
	}
}

// Parts generated with the same seed share exactly the filers their
// SkipPoliticians make them share, in every format.
func TestGenSkipPoliticians(t *testing.T) {
	ids := func(cfg GenConfig) map[string]bool {
		t.Helper()
		trades, sink := genParse(t, generate(t, cfg))
		if len(sink.rejects) > 0 {
			t.Fatalf("%+v: %d rejects", cfg, len(sink.rejects))
		}
		m := map[string]bool{}
		for _, tr := range trades {
			m[tr.PoliticianID] = true
		}
		return m
	}
	senate := ids(GenConfig{Format: GenSenateFilings, Politicians: 30, Trades: 3000, Seed: 5})
	for _, tt := range []struct {
		skip, shared int
	}{{30, 0}, {28, 2}, {0, 30}, {10, 20}} {
		house := ids(GenConfig{Format: GenHouseJSON, Politicians: 30, SkipPoliticians: tt.skip, Trades: 3000, Seed: 5})
		shared := 0
		for id := range house {
			if senate[id] {
				shared++
			}
		}
		if len(house) != 30 || shared != tt.shared {
			t.Errorf("House part skipping %d: %d ids, %d shared with the Senate part; want 30, %d", tt.skip, len(house), shared, tt.shared)
		}
	}
}

// TestGenerateJSONStreams checks that the JSON formats' memory does not
// grow with the number of records either.
func TestGenerateJSONStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 550,000 records")
	}
	for _, f := range []GenFormat{GenHouseJSON, GenSenateFilings} {
		alloc := func(trades int) uint64 {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if err := Generate(io.Discard, GenConfig{Format: f, Politicians: 200, Trades: trades, Seed: 1}); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			return after.TotalAlloc - before.TotalAlloc
		}
		small, large := alloc(50_000), alloc(500_000)
		if large > small+(1<<20) {
			t.Errorf("%s: Generate allocated %d bytes for 50,000 records and %d for 500,000, want about the same", f, small, large)
		}
	}
}

func BenchmarkGenerateHouse1M(b *testing.B) {
	cfg := GenConfig{Format: GenHouseJSON, Politicians: 100, Trades: 1_000_000, Seed: 1}
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
