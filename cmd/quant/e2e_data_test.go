package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantops/quant/internal/client"
)

// The refresh scenarios of issue 12, through the real binary: a filing is
// stored once, so a cumulative file imported again, its JSON twin, or
// tomorrow's file with one more record never doubles a trade, and an
// import that changes nothing leaves the dataset version where it was.

const realSenateJSON = "../../../shared/data/senate_all_transactions.json"

// refreshFiles returns three files for the scenarios: base, its twin (the
// same filings in another format or order, so every filing is replaced)
// and next (base plus one record of a new filing), with base's record
// count. With the real Senate files beside the repository they are the
// CSV, its JSON twin and the CSV plus one row; without them a generated
// House file, the same elements in reverse order, and the file plus one
// element.
func refreshFiles(t *testing.T) (base, twin, next string, records int) {
	t.Helper()
	dir := t.TempDir()
	next = filepath.Join(dir, "next")
	if _, err := os.Stat(realCSV); err == nil {
		if _, err := os.Stat(realSenateJSON); err != nil {
			t.Fatalf("%s is there but %s is not", realCSV, realSenateJSON)
		}
		b, err := os.ReadFile(realCSV)
		if err != nil {
			t.Fatal(err)
		}
		row := "11/30/2020,Self,AAPL,Apple Inc.,Stock,Purchase,\"$1,001 - $15,000\",--,Ron L Wyden," +
			"https://efdsearch.senate.gov/search/view/ptr/00000000-1111-4222-8333-444444444444/\n"
		next += ".csv"
		if err := os.WriteFile(next, append(bytes.Clone(b), row...), 0o644); err != nil {
			t.Fatal(err)
		}
		return realCSV, realSenateJSON, next, 8350
	}
	base = filepath.Join(dir, "house.json")
	if _, stderr, code := run(t, nil, "gen", "--format", "house-json", "--politicians", "30", "--trades", "2000", "--seed", "5", "-o", base); code != 0 {
		t.Fatalf("quant gen: exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(b, &elems); err != nil {
		t.Fatalf("generated House file: %v", err)
	}
	// The twin holds the same elements in reverse order: the same filings
	// and records, at other places.
	rev := make([]json.RawMessage, len(elems))
	for i, e := range elems {
		rev[len(elems)-1-i] = e
	}
	twin = filepath.Join(dir, "twin.json")
	writeJSONFile(t, twin, rev)
	extra := json.RawMessage(`{"transaction_date":"01/05/2024","disclosure_date":"01/20/2024","ticker":"AAPL",` +
		`"asset_description":"Apple Inc.","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000",` +
		`"representative":"Added Member","district":"NJ07","owner":"Self","filing_id":"99999999",` +
		`"source_url":"https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/2024/99999999.pdf"}`)
	next += ".json"
	writeJSONFile(t, next, append(elems, extra))
	return base, twin, next, len(elems)
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// storedJSON is the store's part of quant import --json for one file.
type storedJSON struct {
	Files []struct {
		Skipped bool `json:"skipped"`
		Store   *struct {
			Records         int        `json:"records"`
			Replaced        int        `json:"replaced"`
			Unchanged       int        `json:"unchanged"`
			FilingsAdded    int        `json:"filings_added"`
			FilingsReplaced int        `json:"filings_replaced"`
			Changed         bool       `json:"changed"`
			DatasetVersion  e2eVersion `json:"dataset_version"`
		} `json:"store"`
	} `json:"files"`
}

func importStored(t *testing.T, env []string, args ...string) storedJSON {
	t.Helper()
	stdout, stderr, code := run(t, env, append([]string{"import", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("quant import %v: exit %d\n%s", args, code, stderr)
	}
	var out storedJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("quant import --json: %v\n%s", err, stdout)
	}
	return out
}

// storedRecords sums trade_count over every politician a server lists.
func storedRecords(t *testing.T, base string) int {
	t.Helper()
	n := 0
	for p, err := range newClient(base).AllPoliticians(context.Background(), client.PoliticianFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		n += p.TradeCount
	}
	return n
}

// readyVersion reads the dataset version /readyz reports; it must be a
// JSON string (client.Ready decodes nothing else).
func readyVersion(t *testing.T, base string) e2eVersion {
	t.Helper()
	r, err := newClient(base).Ready(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return e2eVersion(r.DatasetVersion)
}

// TestE2ERefreshPostgres: quant import into PostgreSQL, file after file.
func TestE2ERefreshPostgres(t *testing.T) {
	dbURL := testDatabase(t)
	env := []string{"QUANT_DATABASE_URL=" + dbURL}
	base, twin, next, n := refreshFiles(t)

	first := importStored(t, env, base).Files[0].Store
	if first == nil || first.Records != n || !first.Changed || first.DatasetVersion <= 0 {
		t.Fatalf("first import: %+v, want %d records stored, changed, a positive version", first, n)
	}
	tw := importStored(t, env, twin).Files[0].Store
	if tw == nil || tw.Replaced != n || tw.FilingsAdded != 0 || !tw.Changed || tw.DatasetVersion <= first.DatasetVersion {
		t.Fatalf("twin: %+v, want all %d records replaced, no filing added, a larger version than %d", tw, n, first.DatasetVersion)
	}
	nx := importStored(t, env, next).Files[0].Store
	if nx == nil || nx.Records != n+1 || nx.FilingsAdded != 1 || nx.DatasetVersion <= tw.DatasetVersion {
		t.Fatalf("next day's file: %+v, want %d records, 1 filing added, a larger version", nx, n+1)
	}
	again := importStored(t, env, next).Files[0]
	if !again.Skipped {
		t.Errorf("the same file twice was not skipped: %+v", again)
	}
	forced := importStored(t, env, "--force", next).Files[0].Store
	if forced == nil || forced.Changed || forced.Unchanged != n+1 || forced.DatasetVersion != nx.DatasetVersion {
		t.Errorf("--force of the same file: %+v, want nothing changed, %d unchanged, version %d", forced, n+1, nx.DatasetVersion)
	}

	srv := startServer(t, env)
	if got := storedRecords(t, srv); got != n+1 {
		t.Errorf("PostgreSQL holds %d records, want %d", got, n+1)
	}
	if v := readyVersion(t, srv); v != nx.DatasetVersion {
		t.Errorf("/readyz version %d, want the last import's %d", v, nx.DatasetVersion)
	}
}

// TestE2ERefreshIngest: the same scenarios through POST /api/v1/trades on
// an in-memory server.
func TestE2ERefreshIngest(t *testing.T) {
	base, twin, next, n := refreshFiles(t)
	srv := startServer(t, nil, "--ingest-token", "s3cret")
	post := func(path, query string) (int, map[string]json.RawMessage) {
		t.Helper()
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ct := "application/json"
		if strings.HasSuffix(path, ".csv") {
			ct = "text/csv"
		}
		req, _ := http.NewRequest(http.MethodPost, srv+"/api/v1/trades"+query, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var out map[string]json.RawMessage
		json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	version := func(out map[string]json.RawMessage) string { return string(out["dataset_version"]) }
	// The server starts on its embedded synthetic dataset, whose filings
	// the files do not share.
	before := storedRecords(t, srv)
	steps := []struct {
		file, query string
		status      int
		records     int
	}{
		{base, "", 201, n},
		{twin, "", 201, n},
		{next, "", 201, n + 1},
		{next, "", 409, n + 1},
	}
	var last string
	for i, s := range steps {
		status, out := post(s.file, s.query)
		if status != s.status {
			t.Fatalf("step %d: POST %s = %d, want %d: %v", i, filepath.Base(s.file), status, s.status, out)
		}
		if got := storedRecords(t, srv) - before; got != s.records {
			t.Fatalf("step %d: %d records stored besides the embedded ones, want %d", i, got, s.records)
		}
		if status == 201 {
			v := version(out)
			if !strings.HasPrefix(v, `"`) {
				t.Errorf("step %d: dataset_version %s, want a JSON string", i, v)
			}
			if last != "" && v <= last && len(v) == len(last) {
				t.Errorf("step %d: version %s did not grow past %s", i, v, last)
			}
			last = v
		}
	}
	status, out := post(next, "?force=true")
	if status != 201 {
		t.Fatalf("force: %d %v", status, out)
	}
	if v := version(out); v != last {
		t.Errorf("force of an unchanged file moved the version from %s to %s", last, v)
	}
	if got := fmt.Sprint(readyVersion(t, srv)); `"`+got+`"` != last {
		t.Errorf("/readyz version %s, want %s", got, last)
	}
}
