package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// The fixtures are answers written by hand from ANALYTICS.md section 11.
//
// complianceOneFixture: avery-a-sample, House, six analyzable records:
// lags 10 (2023, filing F1), 30 (2024, F1), 46 (2024, F2), 100 (2023,
// F3), one of -3 (invalid) and one undated. known 4, late 2 (46 and 100),
// late_share 2/4; lag min 10, p50 (30+46)/2 = 38, mean 186/4 = 46.5, p90
// at rank 0.9*3 = 2.7: 46 + 0.7*(100-46) = 83.8, max 100; filings F1, F2,
// F3 among the known, F2 and F3 among the late; worst 100 then 46; by
// year 2023 {10, 100}: p50 55, 2024 {30, 46}: p50 38. The 46-day record
// has no ticker. The server's meta member is in, as GET sends it.
const complianceOneFixture = `{"id":"avery-a-sample","records":6,"known":4,"invalid":1,"undated":1,"late":2,"late_share":0.5,
"lag":{"min":10,"p50":38,"mean":46.5,"p90":83.8,"max":100},"filings":3,"late_filings":2,
"worst":[{"transaction_date":"2023-05-01","disclosure_date":"2023-08-09","lag":100,"ticker":"KO","type":"sale_full","filing_id":"F3"},
{"transaction_date":"2024-02-01","disclosure_date":"2024-03-18","lag":46,"ticker":null,"type":"purchase","filing_id":"F2"}],
"by_year":[{"year":2023,"known":2,"late":1,"p50":55},{"year":2024,"known":2,"late":1,"p50":38}],
"filing_ids":["F1","F2","F3"],"late_filing_ids":["F2","F3"],"chambers":["house"],
"meta":{"analysis":"compliance","key":"compliance/avery-a-sample","cached":false,"computed_at":"2026-12-01T00:00:00Z","compute_ms":0.1,"dataset_version":"3"}}`

// complianceRankingFixture: min_records 2, sort late_share, limit 3 over
// four politicians with known >= 2 and one with a single known lag:
// blake 3/4 late, casey 1/2 (both chambers), avery 2/4 (ties casey's 1/2:
// late desc puts avery first), drew 0/3 (ranked 4th, cut by the limit),
// emery (known 1, not ranked). Summary: 5 politicians, 4 ranked; records
// 20 = known 14 + invalid 2 + undated 4; late 6, late_share 6/14; p50 of
// the 14 known lags 40.5.
const complianceRankingFixture = `{"min_records":2,"sort":"late_share","limit":3,
"rows":[{"id":"blake-b-example","chambers":["senate"],"known":4,"late":3,"late_share":0.75,"p50":61,"max":120},
{"id":"avery-a-sample","chambers":["house"],"known":4,"late":2,"late_share":0.5,"p50":38,"max":100},
{"id":"casey-c-both-chambers","chambers":["house","senate"],"known":2,"late":1,"late_share":0.5,"p50":34.5,"max":47}],
"summary":{"politicians":5,"ranked":4,"records":20,"known":14,"invalid":2,"undated":4,"late":6,"late_share":0.42857142857142855,"p50":40.5},
"meta":{"analysis":"compliance","key":"compliance?min_records=2&sort=late_share&limit=3","cached":true,"computed_at":"2026-12-01T00:00:00Z","compute_ms":0.2,"dataset_version":"3"}}`

// complianceOneText is complianceOneFixture as the table prints it.
const complianceOneText = `avery-a-sample (house): STOCK Act disclosure lags
(lag: days from trade to disclosure; late: over 45 days)

records  6: 4 known, 1 undated, 1 invalid (filed before the trade)
late     2 of 4 known (50.0%), in 2 of 3 filings
lag      min 10, median 38.0, mean 46.5, p90 83.8, max 100 days

year  known  late  late %  median
2023      2     1   50.0%    55.0
2024      2     1   50.0%    38.0

worst late records (2 of 2):
traded      disclosed   lag  ticker  type       filing
2023-05-01  2023-08-09  100  KO      sale_full  F3
2024-02-01  2024-03-18   46  -       purchase   F2
`

// complianceOneHouse is the House JSON file behind complianceOneFixture
// (its records as the fixture's comment lists them).
const complianceOneHouse = `[
{"transaction_date":"01/10/2023","disclosure_date":"01/20/2023","ticker":"AAPL","type":"purchase","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F1"},
{"transaction_date":"01/01/2024","disclosure_date":"01/31/2024","ticker":"MSFT","type":"purchase","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F1"},
{"transaction_date":"02/01/2024","disclosure_date":"03/18/2024","ticker":"","type":"purchase","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F2"},
{"transaction_date":"05/01/2023","disclosure_date":"08/09/2023","ticker":"KO","type":"sale_full","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F3"},
{"transaction_date":"06/10/2024","disclosure_date":"06/07/2024","ticker":"AAPL","type":"purchase","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F4"},
{"transaction_date":"07/01/2024","disclosure_date":"","ticker":"AAPL","type":"purchase","asset_description":"Holdings","asset_type":"Stock","amount":"$1,001 - $15,000","representative":"Avery A. Sample","district":"NJ07","owner":"Self","filing_id":"F5"}
]`

func decodeFixture[T any](tb testing.TB, s string) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		tb.Fatalf("fixture: %v", err)
	}
	return v
}

// checkWidth fails when a line of out is wider than 80 columns.
func checkWidth(tb testing.TB, out string) {
	tb.Helper()
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		if n := utf8.RuneCountInString(line); n > 80 {
			tb.Errorf("line of %d columns, want at most 80: %q", n, line)
		}
		if strings.HasSuffix(line, " ") {
			tb.Errorf("trailing space: %q", line)
		}
	}
}

func TestComplianceRankingText(t *testing.T) {
	r := decodeFixture[client.ComplianceRanking](t, complianceRankingFixture)
	var b bytes.Buffer
	if err := writeRankingText(&b, r); err != nil {
		t.Fatal(err)
	}
	want := `Late filers (STOCK Act) by late share: top 3 with 2+ known lags
(lag: days from trade to disclosure; late: over 45 days)

rank  id                     chambers  known  late  late %  median  max
   1  blake-b-example        senate        4     3   75.0%    61.0  120
   2  avery-a-sample         house         4     2   50.0%    38.0  100
   3  casey-c-both-chambers  both          2     1   50.0%    34.5   47

summary: 5 politicians (4 ranked, 3 shown), 20 records:
         14 known, 4 undated, 2 invalid (filed before the trade)
         6 late (42.9% of known), median lag 40.5 days
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeRankingText(fixture) differs (-want +got):\n%s", diff)
	}
	checkWidth(t, b.String())

	t.Run("wide", func(t *testing.T) {
		// The widest real figures: a 26-letter House id, 4-digit counts
		// and lags, the largest limit and minimum, a million records.
		share, p50, mx, big := 1.0, 1234.5, 9999.0, 1e6
		r := client.ComplianceRanking{MinRecords: 1000, Sort: "late", Limit: 500, Chamber: "senate",
			Summary: client.ComplianceSummary{Politicians: 99999, Ranked: 500, Records: 999999, Known: 999999, Invalid: 999999, Undated: 999999, Late: 999999, LateShare: &share, P50: &big}}
		for range 500 {
			r.Rows = append(r.Rows, client.ComplianceRow{ID: "marjorie-taylor-mrs-greene", Chambers: []quant.Chamber{"house", "senate"}, Known: 9999, Late: 9999, LateShare: &share, P50: &p50, Max: &mx})
		}
		var b bytes.Buffer
		if err := writeRankingText(&b, r); err != nil {
			t.Fatal(err)
		}
		checkWidth(t, b.String())
	})
	t.Run("chamber and no rows", func(t *testing.T) {
		r := r
		r.Chamber, r.Rows, r.MinRecords, r.Sort = "house", []client.ComplianceRow{}, 50, "p50"
		var b bytes.Buffer
		if err := writeRankingText(&b, r); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{
			"Late filers (STOCK Act) by median lag, house: top 3 with 50+ known lags\n",
			"no politician has 50 or more known lags (lower --min-records)\n",
			"summary: 5 politicians (4 ranked, 0 shown), 20 house records:\n",
		} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("writeRankingText(house, no rows) = \n%s\nwant it to contain %q", b.String(), s)
			}
		}
		checkWidth(t, b.String())
	})
}

func TestComplianceText(t *testing.T) {
	a := decodeFixture[client.ComplianceAnswer](t, complianceOneFixture)
	var b bytes.Buffer
	if err := writeComplianceText(&b, a); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(complianceOneText, b.String()); diff != "" {
		t.Errorf("writeComplianceText(fixture) differs (-want +got):\n%s", diff)
	}
	checkWidth(t, b.String())
}

// readCSV parses out as RFC 4180 CSV.
func readCSV(tb testing.TB, out string) [][]string {
	tb.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		tb.Fatalf("CSV output %q: %v", out, err)
	}
	return recs
}

func TestComplianceCSV(t *testing.T) {
	t.Run("ranking", func(t *testing.T) {
		var b bytes.Buffer
		if err := writeRankingCSV(&b, decodeFixture[client.ComplianceRanking](t, complianceRankingFixture)); err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"rank", "id", "chambers", "known", "late", "late_share", "p50", "max"},
			{"1", "blake-b-example", "senate", "4", "3", "0.75", "61", "120"},
			{"2", "avery-a-sample", "house", "4", "2", "0.5", "38", "100"},
			{"3", "casey-c-both-chambers", "house;senate", "2", "1", "0.5", "34.5", "47"},
		}
		if diff := cmp.Diff(want, readCSV(t, b.String())); diff != "" {
			t.Errorf("writeRankingCSV(fixture) differs (-want +got):\n%s", diff)
		}
	})
	t.Run("one politician", func(t *testing.T) {
		var b bytes.Buffer
		if err := writeComplianceCSV(&b, decodeFixture[client.ComplianceAnswer](t, complianceOneFixture)); err != nil {
			t.Fatal(err)
		}
		want := [][]string{
			{"id", "chambers", "records", "known", "invalid", "undated", "late", "late_share", "lag_min", "lag_p50", "lag_mean", "lag_p90", "lag_max", "filings", "late_filings"},
			{"avery-a-sample", "house", "6", "4", "1", "1", "2", "0.5", "10", "38", "46.5", "83.8", "100", "3", "2"},
		}
		if diff := cmp.Diff(want, readCSV(t, b.String())); diff != "" {
			t.Errorf("writeComplianceCSV(fixture) differs (-want +got):\n%s", diff)
		}
	})
	t.Run("quoting", func(t *testing.T) {
		r := client.ComplianceRanking{Rows: []client.ComplianceRow{{ID: `odd,"id"`, Chambers: []quant.Chamber{quant.ChamberHouse}, Known: 1}}}
		var b bytes.Buffer
		if err := writeRankingCSV(&b, r); err != nil {
			t.Fatal(err)
		}
		if got := readCSV(t, b.String())[1]; got[1] != `odd,"id"` || got[5] != "" {
			t.Errorf("writeRankingCSV(odd id, null late_share) row = %q, want the id whole and an empty late_share", got)
		}
	})
}

// TestComplianceJSON: --json prints the answer the fixture holds, every
// member and null kept, without the server's meta.
func TestComplianceJSON(t *testing.T) {
	for _, tc := range []struct {
		name, fixture string
		decode        func([]byte) (any, error)
	}{
		{"one", complianceOneFixture, func(b []byte) (any, error) {
			var a client.ComplianceAnswer
			err := json.Unmarshal(b, &a)
			return a, err
		}},
		{"ranking", complianceRankingFixture, func(b []byte) (any, error) {
			var r client.ComplianceRanking
			err := json.Unmarshal(b, &r)
			return r, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := tc.decode([]byte(tc.fixture))
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := writeIndentedJSON(&b, v); err != nil {
				t.Fatal(err)
			}
			var got, want map[string]any
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("--json output %s: %v", b.String(), err)
			}
			json.Unmarshal([]byte(tc.fixture), &want)
			delete(want, "meta")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("--json of the fixture differs from it without meta (-want +got):\n%s", diff)
			}
		})
	}
}

// runQuant runs the root command in this process with args and returns
// its output and error.
func runQuant(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestComplianceFlags: every bad value is refused, naming the flag,
// before any request or file is read.
func TestComplianceFlags(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "house.json")
	os.WriteFile(file, []byte("[]"), 0o644)
	table := filepath.Join(t.TempDir(), "legislators.yaml")
	os.WriteFile(table, []byte(`- id: {bioguide: A000001}
  name: {first: Ann, last: Late}
  terms:
  - {type: rep, start: "2023-01-03", end: "2025-01-03", state: CA, district: 1, party: Democrat}
`), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"top 0", []string{"--url", srv.URL, "--top", "0"}, "--top must be an integer in 1..500, got 0"},
		{"top 501", []string{"--url", srv.URL, "--top", "501"}, "--top must be an integer in 1..500, got 501"},
		{"top text", []string{"--url", srv.URL, "--top", "ten"}, `invalid argument "ten" for "--top"`},
		{"min-records 0", []string{"--url", srv.URL, "--min-records", "0"}, "--min-records must be an integer in 1..1000, got 0"},
		{"min-records 1001", []string{"--url", srv.URL, "--min-records", "1001"}, "--min-records must be an integer in 1..1000, got 1001"},
		{"sort", []string{"--url", srv.URL, "--sort", "lag"}, `--sort must be late_share, late or p50, got "lag"`},
		{"chamber", []string{"--url", srv.URL, "--chamber", "House"}, `--chamber must be house or senate, got "House"`},
		{"json and csv", []string{"--url", srv.URL, "--json", "--csv"}, "--json and --csv: choose one"},
		{"timeout", []string{"--url", srv.URL, "--timeout", "0s"}, "--timeout must be positive"},
		{"ranking flag with an id", []string{"--url", srv.URL, "--sort", "late", "avery-a-sample"}, "--sort shapes the ranking; it does not apply to one politician"},
		{"bad id", []string{"--url", srv.URL, "Avery"}, `politician id "Avery": want a-z, 0-9 and '-'`},
		{"two ids", []string{"--url", srv.URL, "a", "b"}, "accepts at most 1 arg(s)"},
		{"no source", []string{}, "no source: give --url"},
		{"two sources", []string{"--url", srv.URL, "--data", file}, "--url and --data given: give exactly one source"},
		{"three sources", []string{"--url", srv.URL, "--data", file, "--database-url", "postgres://x/y"}, "--url and --data and --database-url given"},
		{"bad url", []string{"--url", "127.0.0.1:8080"}, `--url "127.0.0.1:8080": want http://host:port`},
		{"missing file", []string{"--data", file, "--data", file + ".missing"}, "--data: stat " + file + ".missing"},
		{"directory", []string{"--data", filepath.Dir(file)}, "is a directory"},
		{"legislators with a database", []string{"--database-url", "postgres://x/y", "--legislators", table}, "--legislators with --database-url would replace the table every server"},
		{"legislators with a server", []string{"--url", srv.URL, "--legislators", table}, "--legislators is for --data"},
		{"party without a table", []string{"--data", file, "--party", "democrat"}, "--party needs a legislators table"},
		{"party the table lacks", []string{"--data", file, "--legislators", table, "--party", "whig"}, `--party "whig": no member of the legislators table has it; it has Democrat`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("QUANT_DATABASE_URL", "")
			os.Unsetenv("QUANT_DATABASE_URL")
			_, err := runQuant(t, append([]string{"compliance"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("quant compliance %q: error %v, want one containing %q", tc.args, err, tc.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests from bad flags, want 0", n)
	}
}

// TestComplianceSourceEnv: a source given on the command line wins over
// the environment's; the environment's counts when none is given.
func TestComplianceSourceEnv(t *testing.T) {
	file := filepath.Join(t.TempDir(), "house.json")
	os.WriteFile(file, []byte("[]"), 0o644)
	t.Setenv("QUANT_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
	for _, tc := range []struct {
		name string
		args []string
		want complianceSource
	}{
		{"flag over env", []string{"--data", file}, complianceSource{data: []string{file}}},
		{"env alone", nil, complianceSource{databaseURL: "postgres://nobody@127.0.0.1:1/none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := newRootCmd()
			cmd, _, err := root.Find([]string{"compliance"})
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := applyEnv(cmd.Flags()); err != nil {
				t.Fatal(err)
			}
			// The command's RunE holds the flags; read them back the same
			// way it does.
			cf := complianceFlags{}
			cf.url, _ = cmd.Flags().GetString("url")
			cf.data, _ = cmd.Flags().GetStringArray("data")
			cf.databaseURL, _ = cmd.Flags().GetString("database-url")
			got, err := cf.source(cmd.Flags())
			if err != nil {
				t.Fatalf("source(%q) with QUANT_DATABASE_URL: %v", tc.args, err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(complianceSource{})); diff != "" {
				t.Errorf("source(%q) differs (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// fakeComplianceServer answers the compliance routes with the fixtures
// and records the queries it got.
func fakeComplianceServer(t *testing.T, queries *[]string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*queries = append(*queries, r.URL.RequestURI())
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/v1/analytics/compliance":
			w.Write([]byte(complianceRankingFixture))
		case "/api/v1/analytics/compliance/avery-a-sample":
			w.Write([]byte(complianceOneFixture))
		case "/api/v1/analytics/compliance/sam-s-senate":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			w.Write([]byte(`{"type":"x","title":"Not eligible","status":422,"reason":"no_disclosure_dates","detail":"no record of sam-s-senate has a disclosure date"}`))
		default:
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"type":"x","title":"Not Found","status":404,"detail":"no politician \"nobody\""}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestComplianceURL drives the command against a fake server: the query
// it sends, each output, and the server's refusals as errors.
func TestComplianceURL(t *testing.T) {
	var queries []string
	srv := fakeComplianceServer(t, &queries)
	for _, tc := range []struct {
		name      string
		args      []string
		wantQuery string
		want      string // in the output, or in the error when wantErr
		wantErr   bool
	}{
		{"defaults", nil, "/api/v1/analytics/compliance?limit=20&min_records=10&sort=late_share", "   3  casey-c-both-chambers  both", false},
		{"every ranking flag", []string{"--top", "3", "--sort", "p50", "--min-records", "2", "--chamber", "senate", "--csv"},
			"/api/v1/analytics/compliance?chamber=senate&limit=3&min_records=2&sort=p50", "3,casey-c-both-chambers,house;senate,2,1,0.5,34.5,47\n", false},
		{"json", []string{"--json"}, "/api/v1/analytics/compliance?limit=20&min_records=10&sort=late_share", `"late_share": 0.42857142857142855`, false},
		{"one", []string{"avery-a-sample"}, "/api/v1/analytics/compliance/avery-a-sample", "2024-02-01  2024-03-18   46  -       purchase   F2\n", false},
		{"422", []string{"sam-s-senate"}, "/api/v1/analytics/compliance/sam-s-senate", `compliance of "sam-s-senate": GET ` + srv.URL + `/api/v1/analytics/compliance/sam-s-senate: 422 Unprocessable Entity (no_disclosure_dates): no record of sam-s-senate has a disclosure date`, true},
		{"404", []string{"nobody"}, "/api/v1/analytics/compliance/nobody", `404 Not Found: no politician "nobody"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			queries = nil
			out, err := runQuant(t, append([]string{"compliance", "--url", srv.URL + "/"}, tc.args...)...)
			if tc.wantErr {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("quant compliance %q: error %v, want one containing %q", tc.args, err, tc.want)
				}
			} else if err != nil || !strings.Contains(out, tc.want) {
				t.Errorf("quant compliance %q = %q, %v; want output containing %q", tc.args, out, err, tc.want)
			}
			if len(queries) != 1 || queries[0] != tc.wantQuery {
				t.Errorf("quant compliance %q sent %q, want one GET %s", tc.args, queries, tc.wantQuery)
			}
			if strings.Contains(out, "meta") {
				t.Errorf("quant compliance %q printed the server's meta:\n%s", tc.args, out)
			}
		})
	}
}

// TestComplianceRetry: a 503 is waited out and retried; after
// complianceTries of them the command gives up with the server's reason.
func TestComplianceRetry(t *testing.T) {
	var calls atomic.Int64
	fail := int64(2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= fail {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"status":503,"title":"Service Unavailable","detail":"pool ml is full"}`))
			return
		}
		w.Write([]byte(complianceRankingFixture))
	}))
	t.Cleanup(srv.Close)
	c := newComplianceClient(srv.URL, time.Millisecond)
	req, _ := quant.NewQuery(quant.Request{Analysis: quant.AnalysisCompliance})
	a, err := c.Analysis(context.Background(), req.Request)
	if err != nil || calls.Load() != 3 || !bytes.Contains(a.Body, []byte(`"rows"`)) {
		t.Fatalf("Analysis after two 503s = %+v, %v after %d calls; want the answer after 3", a, err, calls.Load())
	}
	calls.Store(0)
	fail = 100
	_, err = c.Analysis(context.Background(), req.Request)
	if err == nil || !strings.Contains(err.Error(), "503 Service Unavailable: pool ml is full") || calls.Load() != complianceTries {
		t.Errorf("Analysis against a server always 503 = %v after %d calls; want the 503's detail after %d", err, calls.Load(), complianceTries)
	}
}

// TestComplianceURLBuild checks the query every ranking request sends
// reads back as the request.
func TestComplianceURLBuild(t *testing.T) {
	req, err := quant.NewQuery(quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 5, Sort: quant.SortLate, Limit: 7, Chamber: quant.ChamberHouse})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(client.New("http://h:1").AnalysisURL(req.Request))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{"min_records": {"5"}, "sort": {"late"}, "limit": {"7"}, "chamber": {"house"}}
	if diff := cmp.Diff(want, u.Query()); diff != "" || u.Path != "/api/v1/analytics/compliance" {
		t.Errorf("AnalysisURL(%+v) = %s (-want +got query):\n%s", req, u, diff)
	}
	if got := client.New("http://h:1").AnalysisURL(quant.Request{Analysis: quant.AnalysisCompliance, ID: "a-b"}); got != "http://h:1/api/v1/analytics/compliance/a-b" {
		t.Errorf("AnalysisURL(one) = %s", got)
	}
	var perr *quant.ParamError
	if _, err := quant.NewQuery(quant.Request{Analysis: quant.AnalysisCompliance, Limit: 501}); !errors.As(err, &perr) {
		t.Errorf("Normalize(limit 501) = %v, want a ParamError (the CLI's checks mirror it)", err)
	}
}

// TestComplianceData computes over complianceOneHouse in this process
// (--data): the analysis gives the answer worked out by hand for the
// fixture, and the same table.
func TestComplianceData(t *testing.T) {
	file := filepath.Join(t.TempDir(), "house.json")
	if err := os.WriteFile(file, []byte(complianceOneHouse), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("table", func(t *testing.T) {
		out, err := runQuant(t, "compliance", "--data", file, "avery-a-sample")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(complianceOneText, out); diff != "" {
			t.Errorf("quant compliance --data house.json avery-a-sample differs from the hand-worked table (-want +got):\n%s", diff)
		}
	})
	t.Run("json", func(t *testing.T) {
		out, err := runQuant(t, "compliance", "--data", file, "avery-a-sample", "--json")
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("--json: %v\n%s", err, out)
		}
		json.Unmarshal([]byte(complianceOneFixture), &want)
		delete(want, "meta")
		const tol = 1e-12 // ANALYTICS.md 11: quantiles within 1e-12 relative
		if diff := cmp.Diff(want, got, cmpopts.EquateApprox(tol, 0)); diff != "" {
			t.Errorf("--json differs from the hand-worked answer (-want +got):\n%s", diff)
		}
	})
	t.Run("ranking", func(t *testing.T) {
		out, err := runQuant(t, "compliance", "--data", file, "--min-records", "4", "--csv")
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"rank", "id", "chambers", "known", "late", "late_share", "p50", "max"}, {"1", "avery-a-sample", "house", "4", "2", "0.5", "38", "100"}}
		if diff := cmp.Diff(want, readCSV(t, out)); diff != "" {
			t.Errorf("quant compliance --data house.json --min-records 4 --csv differs (-want +got):\n%s", diff)
		}
		out, err = runQuant(t, "compliance", "--data", file, "--min-records", "5")
		if err != nil || !strings.Contains(out, "no politician has 5 or more known lags") {
			t.Errorf("quant compliance --min-records 5 = %q, %v; want no rows", out, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct{ args, want string }{
			{"nobody", `compliance of "nobody": no politician "nobody"`},
			{"--chamber senate", "compliance ranking: not eligible (no_disclosure_dates)"},
		} {
			_, err := runQuant(t, append([]string{"compliance", "--data", file}, strings.Fields(tc.args)...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("quant compliance --data house.json %s: error %v, want one containing %q", tc.args, err, tc.want)
			}
		}
	})
}

// TestComplianceShape: the CLI's structs hold every member of the
// analysis' answers (decoding them strictly), so --json drops nothing.
func TestComplianceShape(t *testing.T) {
	st := inmem.New()
	ctx := context.Background()
	if _, _, err := importReader(ctx, st, strings.NewReader(complianceOneHouse), quant.ImportInfo{Source: "house.json", Fingerprint: "f", AsOf: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}, loadOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := ensemble.NewService(st)
	for _, tc := range []struct {
		req quant.Request
		v   any
	}{
		{quant.Request{Analysis: quant.AnalysisCompliance, ID: "avery-a-sample"}, &client.ComplianceAnswer{}},
		{quant.Request{Analysis: quant.AnalysisCompliance, MinRecords: 1, Chamber: quant.ChamberHouse}, &client.ComplianceRanking{}},
	} {
		res, err := svc.Analyze(ctx, quant.MustQuery(tc.req))
		if err != nil {
			t.Fatalf("Analyze(%+v): %v", tc.req, err)
		}
		dec := json.NewDecoder(bytes.NewReader(res.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(tc.v); err != nil {
			t.Errorf("Analyze(%+v)'s answer does not decode strictly into %T: %v", tc.req, tc.v, err)
			continue
		}
		var b bytes.Buffer
		writeIndentedJSON(&b, reflect.ValueOf(tc.v).Elem().Interface())
		var got, want any
		json.Unmarshal(b.Bytes(), &got)
		json.Unmarshal(res.Body, &want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("--json of Analyze(%+v) differs from its answer (-answer +printed):\n%s", tc.req, diff)
		}
	}
}
