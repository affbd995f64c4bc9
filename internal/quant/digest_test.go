package quant

import (
	"database/sql"
	"testing"
	"time"
)

func TestFilingDigest(t *testing.T) {
	base := Trade{
		Place: Place{Index: 3, Transaction: 1}, Format: FormatSenateFilings,
		PoliticianID: "avery-a-sample", PoliticianName: "Avery A Sample",
		TransactionDate: time.Date(2021, 1, 24, 0, 0, 0, 0, time.UTC), Ticker: "AAPL", Type: TypePurchase,
		AmountMin: sql.Null[int64]{V: 1001, Valid: true}, AmountMax: sql.Null[int64]{V: 15000, Valid: true},
		Owner: "Self", OwnerKind: OwnerSelf, Chamber: ChamberSenate, FilingID: "f1",
		DisclosureDate: time.Date(2021, 3, 10, 0, 0, 0, 0, time.UTC),
	}
	sum := func(ts ...Trade) string {
		d := NewFilingDigest()
		for i := range ts {
			d.Add(&ts[i])
		}
		return d.Sum()
	}
	other := base
	other.Place.Transaction = 2
	withID := base
	withID.ID = 99
	if sum(base) != sum(withID) {
		t.Errorf("digest depends on ID")
	}
	if sum(base, other) == sum(other, base) {
		t.Errorf("digest ignores order")
	}
	if sum(base) == sum(base, base) {
		t.Errorf("digest ignores a repeated record")
	}
	changes := map[string]func(*Trade){
		"place":      func(t *Trade) { t.Place.Index++ },
		"ticker":     func(t *Trade) { t.Ticker = "MSFT" },
		"amount max": func(t *Trade) { t.AmountMax = sql.Null[int64]{} },
		"exact":      func(t *Trade) { t.AmountExact = true },
		"disclosure": func(t *Trade) { t.DisclosureDate = time.Time{} },
		"district":   func(t *Trade) { t.District = sql.Null[int32]{V: 0, Valid: true} },
		"bioguide":   func(t *Trade) { t.Bioguide = "S000001" },
		"name/id":    func(t *Trade) { t.PoliticianName, t.PoliticianID = "Avery A Sampl", "eavery-a-sampl" },
	}
	for name, change := range changes {
		c := base
		change(&c)
		if sum(c) == sum(base) {
			t.Errorf("digest ignores a change of %s", name)
		}
	}
}
