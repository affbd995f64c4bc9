package ensemble_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/quant"
)

// syntheticDirectory resolves every id of d to a person of its own with
// a House member's terms, two-year ones from 2013 to 2027 (as many as
// the 2013-2026 table holds for one member), the party alternating each
// term, so every record's party is looked up on its date (a synthetic
// table: the cost of the figures, not of the resolution, is measured).
func syntheticDirectory(d *quant.Disclosures) *quant.Directory {
	dir := &quant.Directory{Version: d.Version, Legislators: &quant.Legislators{Digest: "bench"}}
	for i, p := range d.Politicians {
		b := fmt.Sprintf("B%06d", i)
		m := quant.Legislator{Bioguide: b}
		for y := 2013; y < 2027; y += 2 {
			party := "Democrat"
			if (y/2+i)%2 == 0 {
				party = "Republican"
			}
			m.Terms = append(m.Terms, quant.Term{Chamber: quant.ChamberHouse, Start: date(y, 1, 3), End: date(y+2, 1, 3), Party: party})
		}
		dir.Legislators.Members = append(dir.Legislators.Members, m)
		dir.IDs = append(dir.IDs, quant.Identity{ID: p.ID, Bioguide: b, Party: m.Terms[len(m.Terms)-1].Party})
	}
	return dir
}

// BenchmarkRankComplianceFigures: the ranking of 100,000 generated House
// records without identity, and with a table (by_chamber and by_party,
// a party looked up per record).
func BenchmarkRankComplianceFigures(b *testing.B) {
	d, err := generatedStore(b, 100_000).Disclosures(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	dir := syntheticDirectory(d)
	for name, o := range map[string]ensemble.RankOptions{
		"plain":   {},
		"figures": {Directory: dir},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ensemble.RankComplianceWith(b.Context(), d, quant.DefaultMinRecords, quant.SortLateShare, quant.DefaultRankLimit, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
