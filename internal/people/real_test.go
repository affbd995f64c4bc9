package people

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// The tests below read the real files of /work/shared/data (skipping
// without them): the merged legislators table and the four disclosure
// files, parsed with internal/ingest as an import would and grouped into
// signatures as a store's Filers does.

// idBioguides returns, per politician id, the distinct bioguide ids its
// records carry.
func idBioguides(trades []quant.Trade) map[string][]string {
	out := map[string][]string{}
	for _, t := range trades {
		if t.Bioguide != "" && !slices.Contains(out[t.PoliticianID], t.Bioguide) {
			out[t.PoliticianID] = append(out[t.PoliticianID], t.Bioguide)
		}
	}
	return out
}

func TestRealFilingsOwnBioguide(t *testing.T) {
	table := realTable(t)
	trades := readTrades(t, senateFilings)
	dir := Resolve(filersOf(1, table, trades))
	checkDirectory(t, dir)
	lacking := 0
	for id, bs := range idBioguides(trades) {
		x, _ := dir.Identity(id)
		if len(bs) != 1 {
			t.Errorf("%s: records carry %v; every filings id carries one bioguide id", id, bs)
			continue
		}
		b := bs[0]
		if _, ok := table.Find(b); ok {
			if x.Bioguide != b {
				t.Errorf("Identity(%s) = %q %s %q, want its records' bioguide %s", id, x.Bioguide, x.Reason, x.Detail, b)
			}
			continue
		}
		// A bioguide id the table lacks, on days the table lists the
		// whole Senate: the name decides, and the identity says so.
		lacking++
		if x.Bioguide == "" || x.Bioguide == b || !strings.Contains(x.Detail, b+", which the table lacks") {
			t.Errorf("Identity(%s) = %+v; its records carry %s, which the table lacks on days it lists every senator", id, x, b)
		}
	}
	for id, want := range map[string]string{"john-f-reed": "R000122", "a-mitchell-mcconnell": "M000355", "thomas-udall": "U000039"} {
		if x, _ := dir.Identity(id); x.Bioguide != want {
			t.Errorf("%s = %+v; want %s by name and date (its records' own bioguide id is wrong)", id, x, want)
		}
	}
	if lacking != 3 {
		t.Errorf("%d filings ids carry a bioguide id the table lacks; the package comment names 3 (M000357, R000120, U000002)", lacking)
	}
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func TestRealSpellings(t *testing.T) {
	table := realTable(t)
	agg := Resolve(filersOf(1, table, readTrades(t, senateCSV)))
	fil := Resolve(filersOf(1, table, readTrades(t, senateFilings)))
	hou := Resolve(filersOf(1, table, readTrades(t, houseJSON)))
	// Every spelling the files hold of these people, read off the files.
	for _, tc := range []struct {
		dir      *quant.Directory
		file     string
		bioguide string
		ids      []string
	}{
		{agg, senateCSV, "W000779", []string{"ron-l-wyden", "ron-wyden", "ronald-l-wyden"}},
		{fil, senateFilings, "W000779", []string{"ron-l-wyden", "ron-wyden"}}, // RONALD L WYDEN's one filing is a paper one: no records
		{agg, senateCSV, "C001098", []string{"rafael-e-cruz", "rafael-edward-cruz"}},
		{agg, senateCSV, "C000127", []string{"maria-cantwell", "maria-e-cantwell"}},
		{agg, senateCSV, "B000575", []string{"roy-blunt", "roy-d-blunt"}},
		{agg, senateCSV, "D000622", []string{"ladda-tammy-duckworth", "tammy-duckworth"}},
		{agg, senateCSV, "U000039", []string{"thomas-udall", "tom-s-udall"}},
		{agg, senateCSV, "R000122", []string{"jack-reed", "john-f-reed"}},
		{agg, senateCSV, "K000383", []string{"angus-s-king"}},
		{agg, senateCSV, "M000355", []string{"a-mitchell-mcconnell"}},
		{agg, senateCSV, "T000461", []string{"patrick-j-toomey"}},
		{hou, houseJSON, "F000472", []string{"c-scott-franklin", "scott-franklin", "scott-mr-franklin", "scott-scott-franklin"}},
		{hou, houseJSON, "G000596", []string{"marjorie-taylor-greene", "marjorie-taylor-mrs-greene"}},
		{hou, houseJSON, "L000597", []string{"laurel-lee", "laurel-mrs-lee"}},
		{hou, houseJSON, "S001201", []string{"thomas-r-suozzi", "thomas-suozzi"}},
		{hou, houseJSON, "M001218", []string{"richard-dean-dr-mccormick"}},
		{hou, houseJSON, "D000399", []string{"lloyd-doggett"}},
	} {
		t.Run(tc.file+"/"+tc.bioguide, func(t *testing.T) {
			for _, id := range tc.ids {
				if x, ok := tc.dir.Identity(id); !ok || x.Bioguide != tc.bioguide {
					t.Errorf("Identity(%s) = %+v, want %s", id, x, tc.bioguide)
				}
			}
			p, ok := tc.dir.Person(tc.bioguide)
			if !ok || !slices.Equal(p.IDs, tc.ids) {
				t.Errorf("Person(%s).IDs = %v, want exactly %v", tc.bioguide, p.IDs, tc.ids)
			}
		})
	}
}

func TestRealAggregateAndFilingsAgree(t *testing.T) {
	table := realTable(t)
	csv := Resolve(filersOf(1, table, readTrades(t, senateCSV)))
	json := Resolve(filersOf(1, table, readTrades(t, senateJSON)))
	if diff := cmp.Diff(csv.IDs, json.IDs); diff != "" {
		t.Errorf("the Senate aggregate's CSV and JSON twins resolve differently (-csv +json):\n%s", diff)
	}
	filings := readTrades(t, senateFilings)
	fil := Resolve(filersOf(1, table, filings))
	own := idBioguides(filings)
	both := 0
	for _, a := range csv.IDs {
		f, ok := fil.Identity(a.ID)
		if !ok {
			continue
		}
		both++
		switch {
		case a.Bioguide != "" && a.Bioguide == f.Bioguide:
		case a.Bioguide != "" && len(own[a.ID]) == 1 && !hasMember(table, own[a.ID][0]) &&
			(f.Bioguide == own[a.ID][0] || f.Reason == quant.UnresolvedConflict && slices.Equal(f.Candidates, sorted(a.Bioguide, own[a.ID][0]))):
			// The filings carry a bioguide id the table lacks: they
			// resolve to it, or, when the name agrees in full with the
			// member the aggregate resolves to, conflict.
			t.Logf("%s: aggregate %s; filings carry %s (not in the table): %q %s", a.ID, a.Bioguide, own[a.ID][0], f.Bioguide, f.Reason)
		default:
			t.Errorf("%s: the aggregate resolves to %q (%s), the filings to %q (%s %s)", a.ID, a.Bioguide, a.Reason, f.Bioguide, f.Reason, f.Detail)
		}
	}
	if both == 0 {
		t.Fatal("the aggregate and the filings share no id")
	}
	t.Logf("%d ids in both files", both)
}

// realCount is one row of the package comment's table.
type realCount struct {
	file                         string
	ids, resolved, people        int
	noMatch, ambiguous, conflict int
}

func TestRealUnresolved(t *testing.T) {
	table := realTable(t)
	all := [][]quant.Trade{readTrades(t, senateCSV), readTrades(t, senateFilings), readTrades(t, houseJSON)}
	// The figures of the package comment.
	want := []realCount{
		{senateCSV, 64, 64, 56, 0, 0, 0},
		{senateFilings, 53, 53, 51, 0, 0, 0},
		{houseJSON, 123, 123, 117, 0, 0, 0},
		{"all three", 189, 189, 175, 0, 0, 0},
	}
	for i, w := range want {
		f := filersOf(1, table, all[min(i, 2)])
		if i == 3 {
			f = filersOf(1, table, all...)
		}
		dir := Resolve(f)
		checkDirectory(t, dir)
		got := realCount{file: w.file, ids: len(dir.IDs), people: len(dir.People)}
		examples := map[quant.UnresolvedReason][]string{}
		for _, x := range dir.IDs {
			switch x.Reason {
			case "":
				got.resolved++
			case quant.UnresolvedNoMatch:
				got.noMatch++
			case quant.UnresolvedAmbiguous:
				got.ambiguous++
			case quant.UnresolvedConflict:
				got.conflict++
			default:
				t.Errorf("%s: %s unresolved with %s", w.file, x.ID, x.Reason)
			}
			if x.Reason != "" {
				examples[x.Reason] = append(examples[x.Reason], fmt.Sprintf("%s (%d records): %s", x.ID, x.Records, x.Detail))
			}
		}
		t.Logf("%s: %d ids, %d resolved to %d people; unresolved: no_match %d, ambiguous %d, conflict %d",
			w.file, got.ids, got.resolved, got.people, got.noMatch, got.ambiguous, got.conflict)
		for _, r := range slices.Sorted(maps.Keys(examples)) {
			for _, e := range examples[r] {
				t.Logf("    %s: %s", r, e)
			}
		}
		if got != w {
			t.Errorf("%s: got %+v, the package comment says %+v", w.file, got, w)
		}
	}
}

// TestRealNoTable: without a table only the Senate filings' ids resolve,
// each to its records' bioguide id.
func TestRealNoTable(t *testing.T) {
	filings := readTrades(t, senateFilings)
	dir := Resolve(filersOf(1, nil, readTrades(t, senateCSV), filings))
	checkDirectory(t, dir)
	own := idBioguides(filings)
	for _, x := range dir.IDs {
		bs, carries := own[x.ID]
		switch {
		case carries && (x.Bioguide != bs[0] || x.Party != "" || x.OfficialName == ""):
			t.Errorf("Identity(%s) = %+v, want %s, no party, a name from the records", x.ID, x, bs[0])
		case !carries && x.Reason != quant.UnresolvedNoTable:
			t.Errorf("Identity(%s) = %+v, want no_legislators", x.ID, x)
		}
	}
	for _, p := range dir.People {
		if p.Legislator != nil {
			t.Errorf("Person(%s) has a Legislator without a table", p.Bioguide)
		}
	}
}

func BenchmarkResolveReal(b *testing.B) {
	table := realTable(b)
	f := filersOf(1, table, readTrades(b, senateCSV), readTrades(b, senateFilings), readTrades(b, houseJSON))
	records := 0
	for _, s := range f.Filers {
		for _, d := range s.Days {
			records += d.Records
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Resolve(f)
	}
	b.ReportMetric(float64(records), "records")
	b.ReportMetric(float64(len(f.Filers)), "signatures")
}

// syntheticFilers makes Filers of n records of ids politicians drawn from
// the table's members who served from 2013 on: each under one spelling
// of their name (first middle-initial last, or with an honorific, or the
// nickname), in the chamber, state and district of their latest term,
// trading on random days of their terms since 2013; about one id in ten
// has a second signature (another spelling's district, a Senate filing
// with its bioguide id).
func syntheticFilers(table *quant.Legislators, ids, n int, seed uint64) *quant.Filers {
	r := rand.New(rand.NewPCG(seed, 7))
	since := date("2013-01-03")
	var pool []*quant.Legislator
	for i := range table.Members {
		m := &table.Members[i]
		if l := latest(*m); l != nil && l.End.After(since) {
			pool = append(pool, m)
		}
	}
	r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	f := &quant.Filers{Version: 1, Legislators: table}
	per := n / ids
	for i := range ids {
		m := pool[i%len(pool)]
		l := latest(*m)
		name := m.First + " " + m.Last
		switch r.IntN(4) {
		case 1:
			if m.Middle != "" {
				name = m.First + " " + m.Middle[:1] + ". " + m.Last
			}
		case 2:
			name = "Hon. " + name
		case 3:
			if m.Nickname != "" {
				name = m.Nickname + " " + m.Last
			}
		}
		s := quant.Filer{PoliticianID: fmt.Sprintf("%s-%d", strings.ToLower(strings.ReplaceAll(m.Last, " ", "-")), i), Name: name, Chamber: l.Chamber}
		if l.Chamber == quant.ChamberHouse {
			s.State, s.District = l.State, l.District
		}
		var spans [][2]int
		for _, t := range m.Terms {
			if t.End.After(since) {
				spans = append(spans, [2]int{int(max(dayNum(t.Start), dayNum(since))), int(dayNum(t.End))})
			}
		}
		days := map[int]*quant.FilerDay{}
		for range per {
			sp := spans[r.IntN(len(spans))]
			d := sp[0] + r.IntN(sp[1]-sp[0]+1)
			x := days[d]
			if x == nil {
				x = &quant.FilerDay{Date: time.Unix(int64(d)*86400, 0).UTC()}
				days[d] = x
			}
			x.Records++
			if r.IntN(20) > 0 {
				x.Analyzable++
			}
		}
		for _, k := range slices.Sorted(maps.Keys(days)) {
			s.Days = append(s.Days, *days[k])
		}
		f.Filers = append(f.Filers, s)
		if i%10 == 0 {
			s2 := s
			s2.Name, s2.Chamber, s2.State, s2.District, s2.Bioguide = m.First+" "+m.Last, quant.ChamberSenate, "", s.District, m.Bioguide
			s2.District.Valid = false
			s2.Days = s.Days[:len(s.Days)/2]
			f.Filers = append(f.Filers, s2)
		}
	}
	slices.SortFunc(f.Filers, func(a, b quant.Filer) int { return quant.CompareFilers(&a, &b) })
	return f
}

func BenchmarkResolveSynthetic1M(b *testing.B) {
	f := syntheticFilers(realTable(b), 300, 1_000_000, 1)
	days := 0
	for _, s := range f.Filers {
		days += len(s.Days)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		Resolve(f)
	}
	b.ReportMetric(float64(days), "days")
}

// TestSynthetic checks the benchmark's input resolves as made: every id
// to the member it was drawn from.
func TestSynthetic(t *testing.T) {
	table := realTable(t)
	f := syntheticFilers(table, 300, 100_000, 2)
	dir := Resolve(f)
	checkDirectory(t, dir)
	resolved := 0
	for _, s := range f.Filers {
		if s.Bioguide == "" {
			continue
		}
		x, _ := dir.Identity(s.PoliticianID)
		if x.Bioguide == s.Bioguide {
			resolved++
		} else {
			t.Logf("%s (%q, %s %s %v): %s %v %s", s.PoliticianID, s.Name, s.Chamber, s.State, s.District, x.Reason, x.Candidates, x.Detail)
		}
	}
	if resolved < 28 {
		t.Errorf("%d of 30 synthetic ids with a filing resolve to it", resolved)
	}
}
