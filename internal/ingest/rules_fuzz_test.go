package ingest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// choices reads a fuzzer's bytes as a stream of small choices (0 once
// they run out).
type choices struct{ b []byte }

func (c *choices) pick(n int) int {
	if len(c.b) == 0 {
		return 0
	}
	v := int(c.b[0]) % n
	c.b = c.b[1:]
	return v
}

// A value variant for a key some format reads, and whether it makes the
// record malformed (ANALYTICS.md 1.2).
var ruleValues = []struct {
	json      string // "" leaves the key out
	malformed bool
}{
	{`"text"`, false}, {`""`, false}, {`12.5`, false}, {`-3e2`, false}, {`true`, false}, {`false`, false}, {`null`, false}, {"", false},
	{`{"a": 1}`, true}, {`[]`, true}, {`["AAPL"]`, true}, {`{"b": [{"c": {}}]}`, true}, {`[[[[["deep"]]]]]`, true}, {`{}`, true},
}

// ignoredValues may stand in any key a format does not name.
var ignoredValues = []string{`{"a": [1, {"b": null}]}`, `[false]`, `"x"`, `7`, `null`, `[[[]]]`}

// genObject writes one object: the keys of must (always given, a valid
// text) and of vary (each given a generated value), an ignored key now
// and then, and sometimes one key twice. It returns whether the object
// is malformed by 1.2's rules.
func genObject(c *choices, w *strings.Builder, must [][2]string, vary []string, extra string) bool {
	type kv struct{ k, v string }
	var kvs []kv
	malformed := false
	for _, m := range must {
		kvs = append(kvs, kv{m[0], m[1]})
	}
	for _, k := range vary {
		v := ruleValues[c.pick(len(ruleValues))]
		if v.json != "" {
			kvs = append(kvs, kv{k, v.json})
		}
		malformed = malformed || v.malformed
	}
	if c.pick(3) == 0 {
		kvs = append(kvs, kv{"office", ignoredValues[c.pick(len(ignoredValues))]})
	}
	if c.pick(5) == 0 && len(kvs) > 0 {
		d := kvs[c.pick(len(kvs))]
		kvs = append(kvs, kv{d.k, d.v}) // the same key twice, even with the same value
		malformed = true
	}
	// Shuffle by the choices, so a duplicate or a bad value may come first.
	for i := len(kvs) - 1; i > 0; i-- {
		j := c.pick(i + 1)
		kvs[i], kvs[j] = kvs[j], kvs[i]
	}
	w.WriteString("{")
	for i, e := range kvs {
		if i > 0 {
			w.WriteString(", ")
		}
		fmt.Fprintf(w, "%q: %s", e.k, e.v)
	}
	if extra != "" {
		if len(kvs) > 0 {
			w.WriteString(", ")
		}
		w.WriteString(extra)
	}
	w.WriteString("}")
	return malformed
}

// The keys each generated record varies: every text a format reads but
// the name and the transaction date, which stay valid so that a record
// not malformed is stored.
var (
	recordVary = []string{"ticker", "owner", "amount", "comment", "asset_type", "asset_description", "type", "ptr_link"}
	houseVary  = append(append([]string(nil), recordVary...), "district", "filing_id", "source_url", "disclosure_date")
	filingVary = []string{"bioguide", "ptr_link", "date_recieved"}
	// A transaction's own ptr_link is not a key of its format: ignored.
	txVary = []string{"ticker", "owner", "amount", "comment", "asset_type", "asset_description", "type"}
)

// trailers follow the array; all but the white space refuse the file.
var trailers = []struct {
	text   string
	refuse bool
}{
	{"", false}, {" \n\t\r\n", false},
	{`[{"senator": "Zed Zee", "transaction_date": "01/06/2020"}]`, true}, // a second export
	{"\n[]", true}, {",", true}, {" x", true}, {`{"a": 1}`, true}, {"]", true}, {"\x00", true}, {"\xef\xbb\xbf", true},
}

// genRulesFile builds a JSON file from c: elements of every format whose
// fields are strings, numbers, booleans, null, missing, objects, arrays
// or nested values, with duplicate keys and ignored keys, then a
// trailer. It returns the file, the outcome each place must have
// ("index 2 stored", "index 3, transaction 1 malformed_row"), rejects
// then stored records, each in source order, and whether the file must
// be refused.
func genRulesFile(c *choices) (file []byte, want []string, refuse bool) {
	var w strings.Builder
	var rejects, stored []string
	add := func(place quant.Place, malformed bool) {
		if malformed {
			rejects = append(rejects, place.String()+" malformed_row")
		} else {
			stored = append(stored, place.String()+" stored")
		}
	}
	nameValue := func(valid string) (string, bool) {
		switch c.pick(6) {
		case 0:
			return `{"a": 1}`, true // the politician named {"a":1}
		case 1:
			return `["Ann", "Able"]`, true
		}
		return valid, false
	}
	w.WriteString("[")
	n := c.pick(6)
	for i := range n {
		if i > 0 {
			w.WriteString(",\n ")
		}
		place := quant.Place{Index: i + 1}
		switch c.pick(4) {
		case 0: // Senate JSON
			name, bad := nameValue(`"Ann Able"`)
			m := genObject(c, &w, [][2]string{{"senator", name}, {"transaction_date", `"01/06/2020"`}}, recordVary, "")
			add(place, bad || m)
		case 1: // House JSON
			name, bad := nameValue(`"Bo Bee"`)
			m := genObject(c, &w, [][2]string{{"representative", name}, {"transaction_date", `"2024-01-02"`}}, houseVary, "")
			add(place, bad || m)
		case 2: // a Senate filing
			var txs strings.Builder
			var txBad []bool
			txs.WriteString(`"transactions": [`)
			for t := range c.pick(4) {
				if t > 0 {
					txs.WriteString(", ")
				}
				if c.pick(6) == 0 {
					txs.WriteString(`"not an object"`)
					txBad = append(txBad, true)
					continue
				}
				txBad = append(txBad, genObject(c, &txs, [][2]string{{"transaction_date", `"01/06/2020"`}}, txVary, ""))
			}
			txs.WriteString("]")
			name, bad := nameValue(`"Cy"`)
			own := genObject(c, &w, [][2]string{{"first_name", name}, {"last_name", `"Dee"`}}, filingVary, txs.String())
			// own counts a duplicate of first_name or last_name, never
			// of transactions (it is written apart): each transaction
			// is rejected.
			for t, b := range txBad {
				add(quant.Place{Index: i + 1, Transaction: t + 1}, bad || own || b)
			}
		default: // not an object
			w.WriteString([]string{`"text"`, `17`, `null`, `[{"senator": "Ann Able"}]`, `true`}[c.pick(5)])
			add(place, true)
		}
	}
	w.WriteString("]")
	tr := trailers[c.pick(len(trailers))]
	w.WriteString(tr.text)
	return []byte(w.String()), append(rejects, stored...), tr.refuse
}

// FuzzJSONRules generates JSON files that hold ANALYTICS.md 1.2's cases
// (text after the array, fields of every JSON type, duplicate keys,
// nesting, in Senate JSON, House JSON and Senate filings) and checks
// each outcome against the rules: every element stored or rejected at
// its place with a reason and a detail, exactly as the generator
// expects; a file with anything after its array refused with nothing
// stored (an in-memory store keeps its records and version).
func FuzzJSONRules(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{5, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 2})                 // a politician named {"a": 1}
	f.Add([]byte{2, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 4, 0, 2}) // a second array after the first
	f.Add(bytes.Repeat([]byte{1, 2, 3, 13, 9, 0, 4, 7}, 20))
	f.Add(bytes.Repeat([]byte{2, 2, 5, 1}, 40))
	f.Fuzz(func(t *testing.T, seed []byte) {
		in, want, refuse := genRulesFile(&choices{seed})
		p := &Parser{Now: fuzzNow}
		sum := NewSummary("rules", formatsDay)
		var recs []quant.Trade
		var err error
		for tr, e := range p.Records(bytes.NewReader(in), sum) {
			if e != nil {
				err = e
				break
			}
			recs = append(recs, tr)
		}
		if refuse {
			if err == nil || !strings.Contains(err.Error(), "text after the array at line") {
				t.Fatalf("Records(%q) error = %v, want the text after the array refused with its place", in, err)
			}
		} else {
			if err != nil {
				t.Fatalf("Records(%q): %v", in, err)
			}
			var got []string // outcomes without the notes, which the generator does not foresee
			for _, r := range sum.Rejects {
				got = append(got, r.Position()+" "+string(r.Reason))
			}
			for _, r := range recs {
				got = append(got, r.Place.String()+" stored")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Records(%q) outcomes (-want +got):\n%s", in, diff)
			}
			for _, r := range sum.Rejects {
				if r.Detail == "" || r.Index == 0 {
					t.Fatalf("Records(%q): reject %+v without its place or detail", in, r)
				}
			}
		}
		st := inmem.New()
		base := []byte(`[{"senator": "Base Line", "transaction_date": "01/06/2020", "type": "Purchase"}]`)
		if _, err := st.Import(context.Background(), quant.ImportInfo{Source: "base", Fingerprint: quant.Fingerprint("base")}, p.Records(bytes.NewReader(base), nil)); err != nil {
			t.Fatal(err)
		}
		v0, _ := st.DatasetVersion(context.Background())
		_, err = st.Import(context.Background(), quant.ImportInfo{Source: "rules", Fingerprint: quant.Fingerprint("rules")}, p.Records(bytes.NewReader(in), nil))
		v1, _ := st.DatasetVersion(context.Background())
		if refuse && (err == nil || v1 != v0 || st.Stats().Trades != 1) {
			t.Fatalf("import of a refused file: error %v, version %d -> %d, %d records stored, want an error and the base record only", err, v0, v1, st.Stats().Trades)
		}
		if !refuse && (err != nil && len(recs) > 0 || err == nil && st.Stats().Trades != int64(1+len(recs))) {
			t.Fatalf("import: error %v, %d records stored, want %d", err, st.Stats().Trades, 1+len(recs))
		}
	})
}
