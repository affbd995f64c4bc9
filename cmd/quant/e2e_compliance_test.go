package main

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/client"
)

const (
	realHouse         = "../../../shared/data/house_all_transactions.json"
	realSenateFilings = "../../../shared/data/senate_all_filings.json"
)

// genHouse writes, with `quant gen`, a House JSON file (every record with
// a disclosure date and a realistic lag) into the test's directory.
func genHouse(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "house.json")
	if _, stderr, code := run(t, nil, "gen", "--format", "house-json", "--politicians", "40", "--trades", "4000", "--seed", "7", "-o", path); code != 0 {
		t.Fatalf("quant gen --format house-json: exit %d: %s", code, stderr)
	}
	return path
}

// compliance runs `quant compliance` and fails the test unless it exits 0.
func compliance(t *testing.T, args ...string) string {
	t.Helper()
	out, stderr, code := run(t, nil, append([]string{"compliance"}, args...)...)
	if code != 0 {
		t.Fatalf("quant compliance %q: exit %d: %s", args, code, stderr)
	}
	return out
}

// sameFromBothSources runs each query with --data files and with --url
// against a server of the same files, and fails on any difference: the
// first query in every output format, the others with --json (each run
// with --data loads the files again). It returns the first query's
// answer, decoded as a ranking.
func sameFromBothSources(t *testing.T, base string, files []string, queries [][]string) client.ComplianceRanking {
	t.Helper()
	var data []string
	for _, f := range files {
		data = append(data, "--data", f)
	}
	var first client.ComplianceRanking
	for i, q := range queries {
		formats := [][]string{{"--json"}}
		if i == 0 {
			formats = append(formats, []string{"--csv"}, nil)
		}
		for _, format := range formats {
			args := append(append([]string{}, q...), format...)
			local := compliance(t, append(append([]string{}, data...), args...)...)
			remote := compliance(t, append([]string{"--url", base}, args...)...)
			if diff := cmp.Diff(local, remote); diff != "" {
				t.Errorf("quant compliance %q: --data and --url differ (-data +url):\n%s", args, diff)
			}
			if i == 0 && len(format) == 1 && format[0] == "--json" {
				if err := json.Unmarshal([]byte(local), &first); err != nil {
					t.Fatalf("quant compliance %q: %v\n%s", args, err, local)
				}
			}
		}
	}
	return first
}

// checkRanking checks the invariants of section 11 on a ranking answer.
func checkRanking(t *testing.T, r client.ComplianceRanking) {
	t.Helper()
	s := r.Summary
	if s.Records != s.Known+s.Invalid+s.Undated {
		t.Errorf("summary records %d, want known+invalid+undated = %d", s.Records, s.Known+s.Invalid+s.Undated)
	}
	if len(r.Rows) != min(r.Limit, s.Ranked) || s.Ranked > s.Politicians {
		t.Errorf("%d rows, ranked %d, politicians %d, limit %d: want rows = min(limit, ranked) and ranked <= politicians", len(r.Rows), s.Ranked, s.Politicians, r.Limit)
	}
	for i, row := range r.Rows {
		if row.Known < r.MinRecords || row.Late > row.Known || row.LateShare == nil || *row.LateShare != float64(row.Late)/float64(row.Known) {
			t.Errorf("row %d %+v: want known >= %d, late <= known, late_share = late/known", i, row, r.MinRecords)
		}
		if i > 0 && r.Sort == "late_share" {
			p := r.Rows[i-1]
			if p.Late*row.Known < row.Late*p.Known {
				t.Errorf("rows %d and %d out of late_share order: %d/%d before %d/%d", i-1, i, p.Late, p.Known, row.Late, row.Known)
			}
		}
	}
}

// TestE2ECompliance: over a generated House file, the ranking and one
// politician's answer, from the file (--data) and from a server of it
// (--url), agree byte for byte in every format; the JSON is the server's
// answer without meta; CSV parses back to the JSON's rows.
func TestE2ECompliance(t *testing.T) {
	file := genHouse(t)
	base := startServer(t, nil, "--data", file)
	r := sameFromBothSources(t, base, []string{file}, [][]string{
		{"--min-records", "1", "--top", "500"},
		{},
		{"--sort", "late", "--top", "5", "--chamber", "house"},
		{"--sort", "p50", "--min-records", "50"},
	})
	checkRanking(t, r)
	if len(r.Rows) < 10 || r.Summary.Late == 0 {
		t.Fatalf("generated House file: %d rows, %d late; want 10 or more rows and late records", len(r.Rows), r.Summary.Late)
	}
	// One politician: the most late, and the last ranked.
	sameFromBothSources(t, base, []string{file}, [][]string{{r.Rows[0].ID}, {r.Rows[len(r.Rows)-1].ID}})

	t.Run("json is the API's answer", func(t *testing.T) {
		for _, q := range []struct{ path, id string }{
			{"/api/v1/analytics/compliance?min_records=1&limit=500", ""},
			{"/api/v1/analytics/compliance/" + r.Rows[0].ID, r.Rows[0].ID},
		} {
			var api map[string]any
			getJSON(t, base+q.path, &api)
			delete(api, "meta")
			args := []string{"--url", base, "--json"}
			if q.id != "" {
				args = append(args, q.id)
			} else {
				args = append(args, "--min-records", "1", "--top", "500")
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(compliance(t, args...)), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(api, got); diff != "" {
				t.Errorf("quant compliance %q differs from GET %s without meta (-api +cli):\n%s", args, q.path, diff)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		out := compliance(t, "--data", file, "--min-records", "1", "--top", "500", "--csv")
		recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("--csv output: %v\n%s", err, out)
		}
		if len(recs) != len(r.Rows)+1 || strings.Join(recs[0], ",") != "rank,id,chambers,known,late,late_share,p50,max" {
			t.Fatalf("--csv: %d records, header %q; want %d rows after rank,id,chambers,known,late,late_share,p50,max", len(recs), recs[0], len(r.Rows))
		}
		for i, row := range r.Rows {
			rec := recs[i+1]
			share, _ := strconv.ParseFloat(rec[5], 64)
			if rec[0] != strconv.Itoa(i+1) || rec[1] != row.ID || rec[3] != strconv.Itoa(row.Known) || rec[4] != strconv.Itoa(row.Late) || share != *row.LateShare {
				t.Errorf("--csv row %d = %q, want rank %d of the JSON's %+v", i+1, rec, i+1, row)
			}
		}
	})

	t.Run("table", func(t *testing.T) {
		out := compliance(t, "--url", base)
		if !strings.Contains(out, "rank  id") || !strings.Contains(out, "summary: ") || !strings.Contains(out, "\n   1  "+r.Rows[0].ID+" ") {
			t.Errorf("quant compliance (table) =\n%s\nwant the header, rank 1 %s and the summary", out, r.Rows[0].ID)
		}
		checkWidth(t, out)
		checkWidth(t, compliance(t, "--url", base, r.Rows[0].ID))
	})

	t.Run("bad flags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--data", file, "--top", "0"}, "--top must be an integer in 1..500, got 0"},
			{[]string{"--url", base, "--sort", "lag"}, `--sort must be late_share, late or p50, got "lag"`},
			{[]string{"--url", base, "--chamber", "both"}, `--chamber must be house or senate`},
			{[]string{"--url", base, "--data", file}, "--url and --data given: give exactly one source"},
			{[]string{"--url", base, "--min-records", "2", r.Rows[0].ID}, "--min-records shapes the ranking"},
		} {
			out, stderr, code := run(t, nil, append([]string{"compliance"}, tc.args...)...)
			if code != 1 || out != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("quant compliance %q: exit %d, stdout %q, stderr %q; want exit 1, nothing printed, an error containing %q", tc.args, code, out, stderr, tc.want)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		senate, _ := genData(t) // the Senate CSV has no disclosure dates
		sbase := startServer(t, nil, "--data", senate)
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--data", file, "nobody-at-all"}, `no politician "nobody-at-all"`},
			{[]string{"--url", base, "nobody-at-all"}, `404 Not Found`},
			{[]string{"--data", senate}, "no_disclosure_dates"},
			{[]string{"--url", sbase}, "422 Unprocessable Entity (no_disclosure_dates)"},
		} {
			out, stderr, code := run(t, nil, append([]string{"compliance"}, tc.args...)...)
			if code != 1 || out != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("quant compliance %q: exit %d, stdout %q, stderr %q; want exit 1 and an error containing %q", tc.args, code, out, stderr, tc.want)
			}
		}
	})
}

// TestE2EComplianceReal: the real House file and Senate filings file,
// loaded together, give the same answers from the files and from a
// server of them, for the ranking of each chamber and of both, and for
// the ranking's first politicians.
func TestE2EComplianceReal(t *testing.T) {
	needFile(t, realHouse)
	needFile(t, realSenateFilings)
	files := []string{realHouse, realSenateFilings}
	base := startServer(t, nil, "--data", realHouse, "--data", realSenateFilings)
	r := sameFromBothSources(t, base, files, [][]string{
		{"--min-records", "1", "--top", "500"},
		{"--chamber", "senate", "--sort", "late"},
		{"--chamber", "house", "--sort", "p50"},
	})
	checkRanking(t, r)
	chambers := map[string]bool{}
	for _, row := range r.Rows {
		for _, c := range row.Chambers {
			chambers[string(c)] = true
		}
	}
	if !chambers["house"] || !chambers["senate"] {
		t.Errorf("the real ranking's rows hold chambers %v, want both", chambers)
	}
	sameFromBothSources(t, base, files, [][]string{{r.Rows[0].ID}, {r.Rows[1].ID}, {r.Rows[len(r.Rows)-1].ID}})
	resp, err := http.Get(base + "/api/v1/analytics/compliance/" + r.Rows[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET compliance/%s = %s, want 200", r.Rows[0].ID, resp.Status)
	}
}

// TestE2EComplianceDatabase: a House file imported into PostgreSQL with
// `quant import` gives, through --database-url, the answers --data gives
// for the file itself. It skips without QUANT_TEST_DATABASE_URL.
func TestE2EComplianceDatabase(t *testing.T) {
	dbURL := testDatabase(t)
	file := genHouse(t)
	importFiles(t, nil, "--database-url", dbURL, file)
	for _, args := range [][]string{{"--json", "--min-records", "1", "--top", "500"}, {"--sort", "late", "--chamber", "house"}} {
		local := compliance(t, append([]string{"--data", file}, args...)...)
		db := compliance(t, append([]string{"--database-url", dbURL}, args...)...)
		if diff := cmp.Diff(local, db); diff != "" {
			t.Errorf("quant compliance %q: --data and --database-url differ (-data +db):\n%s", args, diff)
		}
	}
}
