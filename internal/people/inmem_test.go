package people

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/quant"
)

// TestServiceInmem drives the Service over a real in-memory store holding
// the three real files, with and without the table.
func TestServiceInmem(t *testing.T) {
	ctx := context.Background()
	table := realTable(t)
	st := inmem.New()
	for _, name := range []string{senateCSV, senateFilings, houseJSON} {
		ts := readTrades(t, name)
		_, err := st.Import(ctx, quant.ImportInfo{Source: name, Fingerprint: quant.Fingerprint(name)}, func(yield func(quant.Trade, error) bool) {
			for _, tr := range ts {
				if !yield(tr, nil) {
					return
				}
			}
		})
		if err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
	if _, _, err := st.SetLegislators(ctx, table); err != nil {
		t.Fatal(err)
	}
	s := New(st)
	dir, err := s.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkDirectory(t, dir)
	if len(dir.IDs) != 189 || len(dir.People) != 175 || len(dir.Unresolved()) != 0 {
		t.Errorf("store of the three files: %d ids, %d people, %d unresolved; the package comment says 189, 175, 0",
			len(dir.IDs), len(dir.People), len(dir.Unresolved()))
	}
	orig, err := st.Dataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := s.MergedDataset(ctx)
	if err != nil {
		t.Fatalf("MergedDataset: %v", err)
	}
	if ds.Version != dir.Version || ds.Axis != orig.Axis {
		t.Errorf("merged dataset version %d axis %+v; directory %d, store axis %+v", ds.Version, ds.Axis, dir.Version, orig.Axis)
	}
	total := func(d *quant.Dataset) (n int) {
		for _, a := range d.Activities {
			n += a.Analyzable
		}
		return n
	}
	if total(ds) != total(orig) {
		t.Errorf("merged dataset holds %d analyzable records, the store %d", total(ds), total(orig))
	}
	for _, a := range ds.Activities {
		if quant.ValidBioguide(a.ID) {
			p, ok := dir.Person(a.ID)
			want := 0
			for _, id := range p.IDs {
				if x, ok := orig.Find(id); ok {
					want += x.Analyzable
				}
			}
			if !ok || a.Analyzable != want {
				t.Errorf("merged %s: %d analyzable, its ids %d", a.ID, a.Analyzable, want)
			}
		} else if x, _ := dir.Identity(a.ID); x.Resolved() {
			t.Errorf("resolved id %s kept its own activity", a.ID)
		}
	}
	dd, err := s.MergedDisclosures(ctx)
	if err != nil {
		t.Fatalf("MergedDisclosures: %v", err)
	}
	w, ok := dd.Find("W000779")
	if !ok || !slices.IsSortedFunc(w.Records, func(a, b quant.Disclosure) int { return int(a.ID - b.ID) }) {
		t.Errorf("merged disclosures of W000779: %v, sorted by ID?", ok)
	}

	// The table removed: the version moves, the directory is rebuilt and
	// only the filings' ids resolve.
	if _, _, err := st.SetLegislators(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dir2, err := s.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dir2.Version == dir.Version || dir2.Legislators != nil {
		t.Errorf("directory after removing the table: version %d (was %d), table %v", dir2.Version, dir.Version, dir2.Legislators != nil)
	}
	if x, _ := dir2.Identity("ron-l-wyden"); x.Bioguide != "W000779" {
		t.Errorf("ron-l-wyden without a table = %+v; the filings carry W000779", x)
	}
	if ds2, err := s.MergedDataset(ctx); err != nil || ds2.Version != dir2.Version {
		t.Errorf("MergedDataset after removing the table: %v, %v", ds2, err)
	}
}

// TestResolveGenerated resolves the generator's files against its table
// (ingest.GenerateLegislators, also written on main): every filer the
// table holds resolves to its row or, when the generator draws two names
// alike, stays ambiguous; never to someone else. The generator's absent
// filers (no row) with a namesake in the table (another first name, same
// last name, chamber and state) resolve to the namesake in the Senate CSV
// and the House file: the rule takes a lone member serving with
// the last name, which the real files need (William Cassidy is Bill,
// Thomas R Tillis is Thom); they are counted, not failed.
func TestResolveGenerated(t *testing.T) {
	const n, seed = 2000, 9
	gen := func(cfg ingest.GenConfig) []quant.Trade {
		var b bytes.Buffer
		if err := ingest.Generate(&b, cfg); err != nil {
			t.Fatal(err)
		}
		p := &ingest.Parser{Now: func() time.Time { return importDay }}
		var out []quant.Trade
		for tr, err := range p.Records(&b, nil) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tr)
		}
		return out
	}
	var tb bytes.Buffer
	if err := ingest.Generate(&tb, ingest.GenConfig{Format: ingest.GenLegislators, Politicians: n, Seed: seed}); err != nil {
		t.Fatal(err)
	}
	table, err := Parse("generated.yaml", &tb)
	if err != nil {
		t.Fatal(err)
	}
	filings := gen(ingest.GenConfig{Format: ingest.GenSenateFilings, Politicians: n, Trades: 30 * n, Seed: seed})
	truth := idBioguides(filings)
	for _, format := range []ingest.GenFormat{ingest.GenSenateFilings, ingest.GenSenateCSV, ingest.GenHouseJSON} {
		trades := filings
		if format != ingest.GenSenateFilings {
			trades = gen(ingest.GenConfig{Format: format, Politicians: n, Trades: 30 * n, Seed: seed})
		}
		dir := Resolve(filersOf(1, table, trades))
		checkDirectory(t, dir)
		var right, ambiguous, absentOwn, absentNone, absentNamesake int
		for _, x := range dir.IDs {
			b := truth[x.ID]
			if len(b) != 1 {
				t.Fatalf("%s: %s has no bioguide id in the filings", format, x.ID)
			}
			absent := !hasMember(table, b[0])
			switch {
			case absent && x.Bioguide == b[0]:
				absentOwn++
			case absent && x.Bioguide == "":
				absentNone++
			case absent:
				absentNamesake++
			case x.Bioguide == b[0]:
				right++
			case x.Reason == quant.UnresolvedAmbiguous && slices.Contains(x.Candidates, b[0]):
				ambiguous++
			default:
				t.Errorf("%s: %s (filer %s) = %q %s %v %s", format, x.ID, b[0], x.Bioguide, x.Reason, x.Candidates, x.Detail)
			}
		}
		t.Logf("%s: %d ids: %d resolved to their filer, %d ambiguous (names alike); absent filers: %d to their own id, %d unresolved, %d to a namesake",
			format, len(dir.IDs), right, ambiguous, absentOwn, absentNone, absentNamesake)
	}
}
