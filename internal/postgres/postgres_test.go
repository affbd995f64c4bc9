package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/storetest"
)

// baseURL returns the scratch database's URL or skips tb.
func baseURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("QUANT_TEST_DATABASE_URL")
	if u == "" {
		tb.Skip("QUANT_TEST_DATABASE_URL is not set: run `make test` (it starts a private PostgreSQL), " +
			"or set it to a scratch database, e.g. postgres://postgres@127.0.0.1:5432/quant_test?sslmode=disable")
	}
	return u
}

// newSchema creates an empty schema, dropped at cleanup, and returns a URL
// whose connections use it: each test gets its own tables in the shared
// scratch database, so tests are isolated and need no CREATE DATABASE.
func newSchema(tb testing.TB) string {
	tb.Helper()
	base := baseURL(tb)
	ctx := context.Background()
	name := "test_" + strings.ToLower(rand.Text())
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(`CREATE SCHEMA ` + name); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		if err := exec(`DROP SCHEMA ` + name + ` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("QUANT_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// open opens a Store on u, closed at cleanup.
func open(tb testing.TB, u string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), u)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// newStore returns a migrated Store on a fresh schema.
func newStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	s := open(tb, newSchema(tb))
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	baseURL(t)
	var urls sync.Map // *postgres.Store -> the URL of its schema
	storetest.Run(t, func(t *testing.T) quant.Store {
		u := newSchema(t)
		s := open(t, u)
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		urls.Store(s, u)
		return s
	}, storetest.WithReopen(func(t *testing.T, s quant.Store) quant.Store {
		u, ok := urls.Load(s)
		if !ok {
			t.Fatalf("reopen: %T %p is not a Store of this test", s, s)
		}
		s2, err := postgres.Open(context.Background(), u.(string))
		if err != nil {
			t.Fatalf("reopen: Open: %v", err)
		}
		return s2
	}))
}

func TestJobs(t *testing.T) {
	baseURL(t)
	storetest.RunJobs(t, func(t *testing.T) quant.JobStore { return newStore(t) })
}

func TestMigrateIdempotent(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	// Several instances starting together: the advisory lock lets one apply
	// the migrations and the others find them applied.
	stores := []*postgres.Store{open(t, u), open(t, u), open(t, u)}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Go(func() { errs[i] = s.Migrate(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate #%d: %v", i, err)
		}
	}
	v1, err := stores[0].DatasetVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if v2, err := stores[0].DatasetVersion(ctx); err != nil || v2 != v1 {
		t.Errorf("DatasetVersion after a second Migrate = %d, %v; want %d unchanged", v2, err, v1)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir("migrations")
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows, want %d (one per migration)", n, len(files))
	}
}

func TestDatasetCachedByVersion(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "a", Fingerprint: "a"}, synthetic(1000, 10)); err != nil {
		t.Fatal(err)
	}
	d1, err := s.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d2, err := s.Dataset(ctx); err != nil || d2 != d1 {
		t.Errorf("second Dataset() = %p, %v; want the cached %p", d2, err, d1)
	}
	res, err := s.Import(ctx, quant.ImportInfo{Source: "b", Fingerprint: "b"}, syntheticFrom(1000, 10, 10))
	if err != nil {
		t.Fatal(err)
	}
	d3, err := s.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d3 == d1 || d3.Version != res.DatasetVersion {
		t.Errorf("Dataset() after an import has version %d, want %d", d3.Version, res.DatasetVersion)
	}
	total := 0
	for _, a := range d3.Activities {
		total += a.Analyzable
	}
	if st := s.Stats(); st.Trades != 1010 || st.MaxConns != postgres.DefaultMaxConns || st.Backend != "postgres" {
		t.Errorf("Stats() = %+v, want 1010 trades, %d max conns", st, postgres.DefaultMaxConns)
	}
	if total == 0 || total > 1010 {
		t.Errorf("Dataset() counts %d analyzable records of 1010", total)
	}
}

func TestTradesInvalid(t *testing.T) {
	s := newStore(t)
	for _, q := range []quant.TradeQuery{{PoliticianID: "x"}, {PoliticianID: "x", Limit: 1, Type: "bogus"}} {
		if _, err := s.Trades(context.Background(), q); !errors.Is(err, quant.ErrInvalid) {
			t.Errorf("Trades(%+v) error = %v, want ErrInvalid", q, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, "postgres://quant:s3cret@127.0.0.1:1/quant?sslmode=disable&connect_timeout=2")
	if err == nil {
		t.Fatal("Open(port 1) succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open error reveals the password: %v", err)
	}
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("Open error = %v, want ErrUnavailable", err)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://quant:s3cret@db:5432/quant?sslmode=disable", "postgres://quant:xxxxx@db:5432/quant?sslmode=disable"},
		{"postgres://quant@db/quant", "postgres://quant@db/quant"},
		{"postgres://db/quant?password=s3cret&user=q", "postgres://db/quant?password=xxxxx&user=q"},
		{"host=db user=quant password=s3cret dbname=quant", "host=db user=quant password=xxxxx dbname=quant"},
		{"host=db password='s3 cret' dbname=quant", "host=db password=xxxxx dbname=quant"},
		{"postgres://quant:s3%cret@db/quant", "postgres://quant:xxxxx@db/quant"},
	}
	for _, tt := range tests {
		if got := postgres.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// synthetic yields n generated records over politicians filers, without
// holding them in memory. Records come in filings of four, each of one
// politician; politicians with an odd number file with the House (state,
// district, a PDF source URL), the others with the Senate (a bioguide).
// Every fifth record has an open amount band; every 97th filing has no
// filing id.
func synthetic(n, politicians int) iter.Seq2[quant.Trade, error] {
	return syntheticFrom(0, n, politicians)
}

// syntheticFrom yields records first..first+n-1 of the synthetic sequence
// (see synthetic): a later part of the same cumulative file.
func syntheticFrom(first, n, politicians int) iter.Seq2[quant.Trade, error] {
	tickers := []string{"AAPL", "MSFT", "XOM", "KO", "NVDA", "TSLA", "JPM", "BRK.B", "", "GOOGL", "AMZN", "META"}
	owners := []string{"Self", "Spouse", "Joint", "Child", "--"}
	kinds := []quant.OwnerKind{quant.OwnerSelf, quant.OwnerSpouse, quant.OwnerJoint, quant.OwnerDependent, quant.OwnerUnknown}
	states := []string{"NY", "CA", "TX", "MT"}
	start := time.Date(2012, 1, 2, 0, 0, 0, 0, time.UTC)
	return func(yield func(quant.Trade, error) bool) {
		for i := first; i < first+n; i++ {
			f := i / 4
			p := (f * 7919) % politicians
			date := start.AddDate(0, 0, (i*31)%4400)
			tr := quant.Trade{
				Place:           quant.Place{Line: i + 2},
				Format:          quant.FormatSenateCSV,
				PoliticianID:    fmt.Sprintf("politician-%04d", p),
				PoliticianName:  fmt.Sprintf("Politician %04d", p),
				TransactionDate: date,
				Ticker:          tickers[i%len(tickers)],
				Type:            quant.TradeTypes[i%len(quant.TradeTypes)],
				AmountMin:       sql.Null[int64]{V: 1001, Valid: true},

				Owner:            owners[i%len(owners)],
				OwnerKind:        kinds[i%len(kinds)],
				AssetType:        "Stock",
				AssetDescription: "Synthetic Holdings Inc.",
				Chamber:          quant.ChamberSenate,
				DisclosureDate:   date.AddDate(0, 0, 3+i%60),
			}
			if i%5 != 0 {
				tr.AmountMax = sql.Null[int64]{V: 15000, Valid: true}
			}
			if f%97 != 0 {
				tr.FilingID = fmt.Sprintf("filing-%07d", f)
			}
			if p%2 == 1 {
				tr.Format, tr.Place = quant.FormatHouse, quant.Place{Index: i + 1}
				tr.Chamber = quant.ChamberHouse
				tr.State = states[p%len(states)]
				tr.District = sql.Null[int32]{V: int32(p % 40), Valid: true}
				tr.SourceURL = "https://example.invalid/ptr-pdfs/" + tr.FilingID + ".pdf"
			} else {
				tr.Bioguide = fmt.Sprintf("S%06d", p)
				tr.PTRLink = "https://example.invalid/search/view/ptr/" + tr.FilingID + "/"
			}
			if !yield(tr, nil) {
				return
			}
		}
	}
}

func BenchmarkImport(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := newStore(b)
				b.StartTimer()
				res, err := s.Import(ctx, quant.ImportInfo{Source: "bench", Fingerprint: "bench"}, synthetic(n, 500))
				if err != nil || res.Records != n {
					b.Fatalf("Import = %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func BenchmarkDataset(b *testing.B) {
	ctx := context.Background()
	s := newStore(b)
	if _, err := s.Import(ctx, quant.ImportInfo{Source: "bench", Fingerprint: "bench"}, synthetic(100_000, 500)); err != nil {
		b.Fatal(err)
	}
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Dataset(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			s.ForgetDataset()
			if _, err := s.Dataset(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSeries loads storetest.BenchFile (the real Senate data by
// default) and times building the Dataset from the weekly aggregates plus
// every politician's weekly series.
func BenchmarkSeries(b *testing.B) {
	s := newStore(b)
	storetest.LoadFile(b, s, storetest.BenchFile())
	storetest.BenchmarkSeries(b, s, s.ForgetDataset)
}

// TestImportBadBytes: a file whose text fields hold invalid UTF-8 and NUL
// bytes (which PostgreSQL refuses in text) is stored, the bytes replaced,
// as the in-memory store stores it; nothing fails the whole import.
func TestImportBadBytes(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	csv := "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n" +
		"01/02/2020,Se\x00lf,AA\xffPL,Beyond\xffMeat,Stock,Purchase,\"$1,001 - $15,000\",a\x00b,Ann Bee,x\n"
	p := &ingest.Parser{}
	var trades []quant.Trade
	for tr, err := range p.Records(strings.NewReader(csv), nil) {
		if err != nil {
			t.Fatal(err)
		}
		trades = append(trades, tr)
	}
	_, err := s.Import(ctx, quant.ImportInfo{Source: "bad-bytes", Fingerprint: "bad-bytes"}, func(yield func(quant.Trade, error) bool) {
		for _, tr := range trades {
			if !yield(tr, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	page, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "ann-bee", Limit: 10})
	if err != nil || len(page.Trades) != 1 {
		t.Fatalf("Trades = %v, %v", page.Trades, err)
	}
	if got := page.Trades[0]; got.AssetDescription != "Beyond\uFFFDMeat" || got.Owner != "Se\uFFFDlf" || got.Comment != "a\uFFFDb" {
		t.Errorf("stored %q %q %q; want the bad bytes replaced by U+FFFD", got.AssetDescription, got.Owner, got.Comment)
	}
}

// BenchmarkImportRefresh times the daily refresh of a cumulative file: n
// records stored, then the same filings brought again under a new
// fingerprint (every filing unchanged) and with one in a hundred records
// changed (those filings replaced).
func BenchmarkImportRefresh(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		for _, changed := range []bool{false, true} {
			b.Run(fmt.Sprintf("%d/changed=%v", n, changed), func(b *testing.B) {
				ctx := context.Background()
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					s := newStore(b)
					if _, err := s.Import(ctx, quant.ImportInfo{Source: "day1", Fingerprint: "day1"}, synthetic(n, 500)); err != nil {
						b.Fatal(err)
					}
					next := func(yield func(quant.Trade, error) bool) {
						k := 0
						for tr := range synthetic(n, 500) {
							if tr.FilingID == "" {
								continue // records without a filing id would be added again
							}
							if changed && k%100 == 0 {
								tr.Comment = "amended"
							}
							k++
							if !yield(tr, nil) {
								return
							}
						}
					}
					b.StartTimer()
					res, err := s.Import(ctx, quant.ImportInfo{Source: "day2", Fingerprint: "day2"}, next)
					if err != nil || res.Changed != changed {
						b.Fatalf("Import = %+v, %v", res, err)
					}
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
