package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// importFilings is a Senate filings file: filing 1 with two transactions
// and a bad receipt date (a note each), filing 2 a paper filing, filing 3
// one transaction with a bad date (a reject).
const importFilings = `[
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/ptr/F-ONE/","date_recieved":"2021-13-01","bioguide":"S990001",
 "transactions":[
  {"transaction_date":"01/24/2021","owner":"Self","ticker":"AAPL","asset_description":"Apple","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000","comment":"--"},
  {"transaction_date":"01/25/2021","owner":"Spouse","ticker":"KO","asset_description":"Coca-Cola","asset_type":"Stock","type":"Sale (Full)","amount":"$15,001 - $50,000","comment":"--"}]},
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/paper/F-TWO/","date_recieved":"04/01/2021","bioguide":"S990001","transactions":[]},
{"first_name":"Avery A","last_name":"Sample","ptr_link":"https://efd.example.invalid/search/view/ptr/F-THREE/","date_recieved":"05/01/2021","bioguide":"S990001",
 "transactions":[{"transaction_date":"02/30/2021","owner":"Self","ticker":"MSFT","asset_description":"Microsoft","asset_type":"Stock","type":"Purchase","amount":"$1,001 - $15,000","comment":"--"}]}
]`

// importTwice imports importFilings into a fresh in-memory store, then
// the same filings in other bytes, and returns both results.
func importTwice(t *testing.T) (first, again loadResult) {
	t.Helper()
	st := inmem.New()
	ctx := context.Background()
	load := func(body, fp string) loadResult {
		sum, res, err := importReader(ctx, st, strings.NewReader(body), quant.ImportInfo{Source: "filings.json", Fingerprint: quant.Fingerprint(fp)}, loadOptions{})
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		return loadResult{Path: "filings.json", Summary: sum, Result: res, Duration: 3 * time.Millisecond}
	}
	return load(importFilings, "one"), load(importFilings+"\n", "two")
}

func TestImportSummaryText(t *testing.T) {
	first, again := importTwice(t)
	var b bytes.Buffer
	printSummary(&b, first, "memory")
	out := b.String()
	for _, want := range []string{
		"filings.json: 2 records stored, 1 rejected, of 3 rows (3ms, memory store, dataset version " + strconv.FormatInt(first.Result.DatasetVersion, 10) + ")",
		"  store: 0 records replaced, 0 unchanged; 1 filings: 1 added, 0 replaced, 0 unchanged",
		"  file: json, 3 elements (senate_filings 3)",
		"  senate filings: 3 (1 with no transaction: paper filings)",
		"  chambers: senate 2; with a disclosure date: 0",
		"  rejects: bad_date 1",
		"    index 3, transaction 1: bad_date: ",
		"  notes (records stored, a value unusable): bad_disclosure_date 2",
		"    index 1, transaction 1: bad_disclosure_date: ",
		"    index 1, transaction 2: bad_disclosure_date: ",
	} {
		if !strings.Contains(out, want+"\n") && !strings.Contains(out, "\n"+want) {
			t.Errorf("printSummary lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "rejects:") > strings.Index(out, "notes (") {
		t.Errorf("printSummary lists the notes before the rejects:\n%s", out)
	}
	b.Reset()
	printSummary(&b, again, "memory")
	if want := "  store: nothing changed (1 filings already stored as brought); the dataset version stays\n"; !strings.Contains(b.String(), want) {
		t.Errorf("printSummary of the same filings again lacks %q:\n%s", want, b.String())
	}
}

func TestImportSummaryJSON(t *testing.T) {
	first, again := importTwice(t)
	var b bytes.Buffer
	if err := printJSON(&b, []importOutcome{{res: first}, {res: again}, {res: loadResult{Path: "x.csv", Skipped: true}}}, "memory", nil); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Files []map[string]any `json:"files"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatalf("printJSON wrote no JSON: %v\n%s", err, b.String())
	}
	v := strconv.FormatInt(first.Result.DatasetVersion, 10)
	store := func(f map[string]any) any { return f["store"] }
	wantStores := []any{
		map[string]any{"records": 2.0, "replaced": 0.0, "unchanged": 0.0, "filings": 1.0, "filings_added": 1.0,
			"filings_replaced": 0.0, "filings_unchanged": 0.0, "changed": true, "dataset_version": v},
		map[string]any{"records": 2.0, "replaced": 0.0, "unchanged": 2.0, "filings": 1.0, "filings_added": 0.0,
			"filings_replaced": 0.0, "filings_unchanged": 1.0, "changed": false, "dataset_version": v},
		nil, // skipped: the store did nothing
	}
	for i, f := range out.Files {
		if diff := cmp.Diff(wantStores[i], store(f)); diff != "" {
			t.Errorf("file %d store (-want +got):\n%s", i, diff)
		}
	}
	if got := out.Files[0]["dataset_version"]; got != v {
		t.Errorf("dataset_version = %#v, want the string %q", got, v)
	}
	sum := out.Files[0]["summary"].(map[string]any)
	if sum["filings"] != 3.0 || sum["empty_filings"] != 1.0 || cmp.Diff(map[string]any{"bad_disclosure_date": 2.0}, sum["notes_by_kind"]) != "" {
		t.Errorf("summary filings %v, empty %v, notes %v; want 3, 1 and 2 bad_disclosure_date", sum["filings"], sum["empty_filings"], sum["notes_by_kind"])
	}
	notes := sum["notes"].([]any)
	if n := notes[0].(map[string]any); len(notes) != 2 || n["index"] != 1.0 || n["transaction"] != 1.0 || n["value"] != "2021-13-01" {
		t.Errorf("summary notes = %v, want two at index 1 with the value as read", notes)
	}
}
