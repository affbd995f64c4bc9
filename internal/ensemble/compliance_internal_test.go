package ensemble

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// The three sorts behind sortByLag give the order of a stable sort by lag
// (ties in record ID order), whatever the lags' range.
func TestSortByLagPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, maxLag int }{{1, 0}, {5, 3}, {50, 40}, {200, 10}, {300, 5000}, {1000, 13500}} {
		recs := make([]quant.Disclosure, tc.n)
		ks := make([]knownLag, tc.n)
		maxLag := 0
		for i := range ks {
			recs[i].ID = int64(i + 1)
			ks[i] = knownLag{rec: &recs[i], lag: r.IntN(tc.maxLag + 1)}
			maxLag = max(maxLag, ks[i].lag)
		}
		want := slices.Clone(ks)
		slices.SortStableFunc(want, func(a, b knownLag) int { return cmp.Compare(a.lag, b.lag) })
		for name, sort := range map[string]func([]knownLag){
			"counting": func(ks []knownLag) { countSortByLag(ks, maxLag) },
			"packed":   packedSortByLag,
			"dispatch": func(ks []knownLag) { sortByLag(ks, maxLag) },
		} {
			got := slices.Clone(ks)
			sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s sort of %d lags in 0..%d differs from a stable sort by lag", name, tc.n, tc.maxLag)
			}
		}
	}
}

// The ranking's party of a record is Directory.PartyOn's, on every day
// around the terms' ends and party switches, before the first term,
// between terms and after the last.
func TestGrouperPartyOnIsDirectoryPartyOn(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	m := quant.Legislator{Bioguide: "S000001", Terms: []quant.Term{
		{Chamber: quant.ChamberHouse, Start: d(2013, 1, 3), End: d(2015, 1, 3), Party: "Republican"},
		// A gap of a year, then a term with a switch inside it.
		{Chamber: quant.ChamberHouse, Start: d(2016, 1, 3), End: d(2019, 1, 3), Party: "Independent", Parties: []quant.PartySpan{
			{Start: d(2016, 1, 3), End: d(2017, 7, 3), Party: "Republican"},
			{Start: d(2017, 7, 4), End: d(2019, 1, 3), Party: "Independent"},
		}},
		// Starts the day the last ended: that day is the earlier term's.
		{Chamber: quant.ChamberSenate, Start: d(2019, 1, 3), End: d(2025, 1, 3), Party: "Libertarian"},
	}}
	dir := &quant.Directory{Legislators: &quant.Legislators{Members: []quant.Legislator{m}},
		IDs: []quant.Identity{{ID: "s", Bioguide: "S000001"}}}
	g := &grouper{party: map[string]int{}}
	g.politician(whoIs(dir, "s", false))
	seen := map[string]bool{}
	for day := d(2011, 1, 1); day.Before(d(2027, 1, 1)); day = day.AddDate(0, 0, 1) {
		want := dir.PartyOn("s", day)
		if got := g.partyOn(day); got != want {
			t.Fatalf("party on %s = %q, Directory.PartyOn %q", day.Format(time.DateOnly), got, want)
		}
		seen[want] = true
	}
	if len(seen) != 3 || !seen["Republican"] || !seen["Independent"] || !seen["Libertarian"] {
		t.Errorf("parties met: %v", seen)
	}
	g.politician(whoIs(dir, "unknown", false))
	if got := g.partyOn(d(2020, 1, 1)); got != "" {
		t.Errorf("an id the directory lacks has party %q", got)
	}
}
