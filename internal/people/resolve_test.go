package people

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// handTable is a hand-made table for the hard cases: real members (their
// bioguide ids, names and terms as congress-legislators gives them, terms
// shortened to those that matter) and one invented senator, Patricia
// Toomey (X000001), so that two Toomeys serve at once.
const handTable = `
- id: {bioguide: U000039}
  name: {first: Tom, middle: S., last: Udall, official_full: Tom Udall}
  terms:
  - {type: rep, start: '1999-01-06', end: '2009-01-03', state: NM, district: 3, party: Democrat}
  - {type: sen, start: '2009-01-06', end: '2021-01-03', state: NM, party: Democrat}
- id: {bioguide: U000038}
  name: {first: Mark, middle: E., last: Udall, official_full: Mark Udall}
  terms:
  - {type: rep, start: '1999-01-06', end: '2009-01-03', state: CO, district: 2, party: Democrat}
  - {type: sen, start: '2009-01-06', end: '2015-01-03', state: CO, party: Democrat}
- id: {bioguide: S001217}
  name: {first: Rick, last: Scott, official_full: Rick Scott}
  terms:
  - {type: sen, start: '2019-01-08', end: '2031-01-03', state: FL, party: Republican}
- id: {bioguide: S001184}
  name: {first: Tim, last: Scott, official_full: Tim Scott}
  terms:
  - {type: rep, start: '2011-01-05', end: '2013-01-02', state: SC, district: 1, party: Republican}
  - {type: sen, start: '2013-01-03', end: '2029-01-03', state: SC, party: Republican}
- id: {bioguide: T000461}
  name: {first: Patrick, middle: J., last: Toomey, nickname: Pat, official_full: Patrick J. Toomey}
  terms:
  - {type: rep, start: '1999-01-06', end: '2005-01-03', state: PA, district: 15, party: Republican}
  - {type: sen, start: '2011-01-05', end: '2023-01-03', state: PA, party: Republican}
- id: {bioguide: X000001}
  name: {first: Patricia, last: Toomey}
  terms:
  - {type: sen, start: '2013-01-03', end: '2019-01-03', state: OH, party: Democrat}
- id: {bioguide: D000399}
  name: {first: Lloyd, last: Doggett, official_full: Lloyd Doggett}
  terms:
  - {type: rep, start: '2013-01-03', end: '2023-01-03', state: TX, district: 35, party: Democrat}
  - {type: rep, start: '2023-01-03', end: '2027-01-03', state: TX, district: 37, party: Democrat}
- id: {bioguide: J000126}
  name: {first: Eddie Bernice, last: Johnson, official_full: Eddie Bernice Johnson}
  terms:
  - {type: rep, start: '2013-01-03', end: '2023-01-03', state: TX, district: 30, party: Democrat}
- id: {bioguide: J000174}
  name: {first: Sam, last: Johnson, official_full: Sam Johnson}
  terms:
  - {type: rep, start: '2013-01-03', end: '2019-01-03', state: TX, district: 3, party: Republican}
- id: {bioguide: M001218}
  name: {first: Richard, middle: Dean, last: McCormick, nickname: Rich, official_full: Rich McCormick}
  terms:
  - {type: rep, start: '2023-01-03', end: '2025-01-03', state: GA, district: 6, party: Republican}
  - {type: rep, start: '2025-01-03', end: '2027-01-03', state: GA, district: 7, party: Republican}
- id: {bioguide: M001208}
  name: {first: Lucy, last: McBath, official_full: Lucy McBath}
  terms:
  - {type: rep, start: '2023-01-03', end: '2025-01-03', state: GA, district: 7, party: Democrat}
- id: {bioguide: C001127}
  name: {first: Sheila, last: Cherfilus-McCormick, official_full: Sheila Cherfilus-McCormick}
  terms:
  - {type: rep, start: '2022-01-18', end: '2027-01-03', state: FL, district: 20, party: Democrat}
- id: {bioguide: R000572}
  name: {first: Mike, last: Rogers, official_full: Mike Rogers}
  terms:
  - {type: rep, start: '2001-01-03', end: '2015-01-03', state: MI, district: 8, party: Republican}
- id: {bioguide: R000575}
  name: {first: Mike, middle: Dennis, last: Rogers, official_full: Mike Rogers}
  terms:
  - {type: rep, start: '2003-01-07', end: '2027-01-03', state: AL, district: 3, party: Republican}
- id: {bioguide: R000122}
  name: {first: John, middle: F., last: Reed, nickname: Jack, official_full: Jack Reed}
  terms:
  - {type: sen, start: '1997-01-07', end: '2027-01-03', state: RI, party: Democrat}
- id: {bioguide: H001079}
  name: {first: Cindy, last: Hyde-Smith, official_full: Cindy Hyde-Smith}
  terms:
  - {type: sen, start: '2018-04-09', end: '2027-01-03', state: MS, party: Republican}
- id: {bioguide: S001203}
  name: {first: Tina, last: Smith, official_full: Tina Smith}
  terms:
  - {type: sen, start: '2018-01-03', end: '2027-01-03', state: MN, party: Democrat}
- id: {bioguide: L000594}
  name: {first: Kelly, last: Loeffler, official_full: Kelly Loeffler}
  terms:
  - {type: sen, start: '2020-01-06', end: '2021-01-20', state: GA, party: Republican}
- id: {bioguide: K000377}
  name: {first: Mark, last: Kelly, official_full: Mark Kelly}
  terms:
  - {type: sen, start: '2020-12-02', end: '2029-01-03', state: AZ, party: Democrat}
- id: {bioguide: B000575}
  name: {first: Roy, last: Blunt, official_full: Roy Blunt}
  terms:
  - {type: sen, start: '2011-01-05', end: '2023-01-03', state: MO, party: Republican}
- id: {bioguide: B001303}
  name: {first: Lisa, last: Blunt Rochester, official_full: Lisa Blunt Rochester}
  terms:
  - {type: rep, start: '2017-01-03', end: '2025-01-03', state: DE, district: 0, party: Democrat}
  - {type: sen, start: '2025-01-03', end: '2031-01-03', state: DE, party: Democrat}
- id: {bioguide: T000488}
  name: {first: Shri, last: Thanedar, official_full: Shri Thanedar}
  terms:
  - {type: rep, start: '2023-01-03', end: '2027-01-03', state: MI, district: 13, party: Democrat}
- id: {bioguide: A000367}
  name: {first: Justin, last: Amash, official_full: Justin Amash}
  terms:
  - type: rep
    start: '2019-01-03'
    end: '2021-01-03'
    state: MI
    district: 3
    party: Libertarian
    party_affiliations:
    - {start: '2019-01-03', end: '2019-07-03', party: Republican}
    - {start: '2019-07-04', end: '2020-04-30', party: Independent}
    - {start: '2020-05-01', end: '2021-01-03', party: Libertarian}
- id: {bioguide: B001228}
  name: {first: Mary, last: Bono Mack, official_full: Mary Bono Mack}
  other_names:
  - {last: Bono, end: '2007-12-17'}
  terms:
  - {type: rep, start: '1998-04-07', end: '2013-01-03', state: CA, district: 45, party: Republican}
`

func handLegislators(tb testing.TB, extra string) *quant.Legislators {
	tb.Helper()
	t, err := Parse("hand.yaml", strings.NewReader(handTable+extra))
	if err != nil {
		tb.Fatalf("Parse(hand table): %v", err)
	}
	return t
}

// fullSenate is handLegislators with 100 more senators serving
// 2017-01-03..2021-01-03, so the table lists a whole Senate then.
func fullSenate(tb testing.TB) *quant.Legislators { return senators(tb, SenateSeats) }

// senators is handLegislators with n more senators serving
// 2017-01-03..2021-01-03.
func senators(tb testing.TB, n int) *quant.Legislators {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "- id: {bioguide: Z%06d}\n  name: {first: Seat, last: Filler}\n  terms:\n  - {type: sen, start: '2017-01-03', end: '2021-01-03', state: ZZ, party: Independent}\n", i)
	}
	return handLegislators(tb, b.String())
}

// rec is one hand-made record signature on its days.
type rec struct {
	id, name string
	chamber  quant.Chamber
	district string // "NJ07", "" for none
	bioguide string
	days     []string
}

func senate(id, name string, days ...string) rec {
	return rec{id: id, name: name, chamber: quant.ChamberSenate, days: days}
}

func house(id, name, district string, days ...string) rec {
	return rec{id: id, name: name, chamber: quant.ChamberHouse, district: district, days: days}
}

func filing(id, name, bioguide string, days ...string) rec {
	return rec{id: id, name: name, chamber: quant.ChamberSenate, bioguide: bioguide, days: days}
}

// handFilers builds Filers from hand-made signatures: two records on each
// day, one of them analyzable.
func handFilers(table *quant.Legislators, recs ...rec) *quant.Filers {
	var trades []quant.Trade
	for _, r := range recs {
		var state string
		var dist sql.Null[int32]
		if r.district != "" {
			state = r.district[:2]
			var n int32
			fmt.Sscanf(r.district[2:], "%d", &n)
			dist = sql.Null[int32]{V: n, Valid: true}
		}
		for _, d := range r.days {
			for _, typ := range []quant.TradeType{quant.TypePurchase, quant.TypeUnknown} {
				trades = append(trades, quant.Trade{PoliticianID: r.id, PoliticianName: r.name, Chamber: r.chamber,
					State: state, District: dist, Bioguide: r.bioguide, TransactionDate: date(d), Type: typ})
			}
		}
	}
	return filersOf(7, table, trades)
}

func TestResolveHardCases(t *testing.T) {
	table := handLegislators(t, "")
	for _, tc := range []struct {
		name       string
		table      *quant.Legislators // nil: handTable; use noTable for none
		recs       []rec
		id         string
		bioguide   string                 // "" when unresolved
		reason     quant.UnresolvedReason // when unresolved
		candidates []string
		detail     string // a substring of Detail
	}{
		// Two senators with one last name at once.
		{name: "two Udalls: Tom by first name", recs: []rec{senate("tom-udall", "Tom Udall", "2012-03-01")}, id: "tom-udall", bioguide: "U000039"},
		{name: "two Udalls: Mark by first name", recs: []rec{senate("mark-e-udall", "Mark E Udall", "2012-03-01")}, id: "mark-e-udall", bioguide: "U000038"},
		{name: "two Udalls: an initial decides", recs: []rec{senate("t-udall", "T. Udall", "2012-03-01")}, id: "t-udall", bioguide: "U000039"},
		{name: "two Udalls: a form of the given name decides", recs: []rec{senate("thomas-udall", "Thomas Udall", "2012-03-01")}, id: "thomas-udall", bioguide: "U000039"},
		{name: "two Udalls: a given name neither has", recs: []rec{senate("morris-udall", "Morris Udall", "2012-03-01")}, id: "morris-udall",
			reason: quant.UnresolvedAmbiguous, candidates: []string{"U000038", "U000039"},
			detail: `Senate 2012-03-01: Mark Udall (U000038) and Tom Udall (U000039) served then with a name agreeing with "Morris Udall", and no given name decides`},
		{name: "one Udall left, a given name he does not have: the last name decides, noted", recs: []rec{senate("morris-udall", "Morris Udall", "2019-03-01")}, id: "morris-udall", bioguide: "U000039",
			detail: `resolved by the last name alone: Tom Udall (U000039) was the only member with it serving there on 2019-03-01, and the given names of "Morris Udall" agree with none of theirs`},
		{name: "one Udall left: the last name decides", recs: []rec{senate("thomas-udall", "Thomas Udall", "2019-03-01")}, id: "thomas-udall", bioguide: "U000039"},
		{name: "two Scotts: Rick", recs: []rec{senate("rick-scott", "Rick Scott", "2020-03-02", "2020-06-01")}, id: "rick-scott", bioguide: "S001217"},
		{name: "two Scotts: Tim", recs: []rec{senate("tim-scott", "Tim Scott", "2020-03-02")}, id: "tim-scott", bioguide: "S001184"},
		{name: "two Scotts: the last name alone", recs: []rec{senate("scott", "Scott", "2020-03-02")}, id: "scott",
			reason: quant.UnresolvedAmbiguous, candidates: []string{"S001184", "S001217"}},
		{name: "one Scott yet: the last name alone", recs: []rec{senate("scott", "Scott", "2017-03-02")}, id: "scott", bioguide: "S001184"},
		// A nickname, with two Toomeys serving.
		{name: "nickname Pat", recs: []rec{senate("pat-toomey", "Pat Toomey", "2015-05-01")}, id: "pat-toomey", bioguide: "T000461"},
		{name: "first name Patrick", recs: []rec{senate("patrick-j-toomey", "Patrick J Toomey", "2015-05-01")}, id: "patrick-j-toomey", bioguide: "T000461"},
		{name: "an initial both share", recs: []rec{senate("p-toomey", "P. Toomey", "2015-05-01")}, id: "p-toomey",
			reason: quant.UnresolvedAmbiguous, candidates: []string{"T000461", "X000001"}},
		// A member who moved from the House to the Senate: one person, both chambers.
		{name: "House then Senate", recs: []rec{house("patrick-j-toomey", "Patrick J. Toomey", "PA15", "2003-02-03"), senate("patrick-j-toomey", "Patrick J Toomey", "2012-02-03")},
			id: "patrick-j-toomey", bioguide: "T000461"},
		// A district renumbered after redistricting: the file says TX-37
		// (Doggett's seat when it was made), the trade is of 2021, when he
		// held TX-35.
		{name: "renumbered district", recs: []rec{house("lloyd-doggett", "Lloyd Doggett", "TX37", "2021-06-01", "2024-06-03")}, id: "lloyd-doggett", bioguide: "D000399"},
		{name: "renumbered district, with an honorific and someone else in the seat then",
			recs: []rec{house("richard-dean-dr-mccormick", "Richard Dean Dr McCormick", "GA07", "2024-03-01", "2025-11-05")}, id: "richard-dean-dr-mccormick", bioguide: "M001218"},
		{name: "the district decides between two of a state", recs: []rec{house("johnson", "Johnson", "TX03", "2016-01-04")}, id: "johnson", bioguide: "J000174"},
		{name: "the state alone does not", recs: []rec{house("johnson", "Johnson", "TX99", "2016-01-04")}, id: "johnson",
			reason: quant.UnresolvedAmbiguous, candidates: []string{"J000126", "J000174"}},
		{name: "a House record without a district", recs: []rec{house("lloyd-doggett", "Lloyd Doggett", "", "2021-06-01")}, id: "lloyd-doggett", bioguide: "D000399"},
		{name: "an earlier last name (other_names)", recs: []rec{house("mary-bono", "Mary Bono", "CA45", "2006-06-01")}, id: "mary-bono", bioguide: "B001228"},
		// Compound and two-word last names.
		{name: "hyphenated last name", recs: []rec{senate("cindy-hyde-smith", "Cindy Hyde-Smith", "2020-01-02")}, id: "cindy-hyde-smith", bioguide: "H001079"},
		{name: "hyphenated last name written with a space", recs: []rec{senate("cindy-hyde-smith", "Cindy Hyde Smith", "2020-01-02")}, id: "cindy-hyde-smith", bioguide: "H001079"},
		{name: "a compound's part is not a last name", recs: []rec{senate("cindy-hyde-smith", "Cindy Hyde-Smith", "2018-03-01")}, id: "cindy-hyde-smith", bioguide: "H001079"},
		{name: "a last name inside a compound", recs: []rec{house("sheila-cherfilus-mccormick", "Sheila Cherfilus-McCormick", "FL20", "2023-05-01")}, id: "sheila-cherfilus-mccormick", bioguide: "C001127"},
		{name: "two-word last name against its first word", recs: []rec{senate("lisa-blunt-rochester", "Lisa Blunt Rochester", "2021-06-01")}, id: "lisa-blunt-rochester",
			reason: quant.UnresolvedNoMatch, detail: `Senate 2021-06-01: no senator served then, or within 365 days, with a name agreeing with "Lisa Blunt Rochester"`},
		{name: "two-word last name", recs: []rec{house("lisa-blunt-rochester", "Lisa Blunt Rochester", "DE00", "2021-06-01")}, id: "lisa-blunt-rochester", bioguide: "B001303"},
		{name: "a first name that is someone's last name", recs: []rec{senate("kelly-loeffler", "Kelly Loeffler", "2021-03-01")}, id: "kelly-loeffler", bioguide: "L000594"},
		// Date tolerance: a member-elect's trades.
		{name: "before the first term, within the tolerance", recs: []rec{house("shri-thanedar", "Shri Thanedar", "MI13", "2022-04-22", "2023-03-01")}, id: "shri-thanedar", bioguide: "T000488"},
		{name: "long before the first term", recs: []rec{house("shri-thanedar", "Shri Thanedar", "MI13", "2021-04-22")}, id: "shri-thanedar",
			reason: quant.UnresolvedNoMatch, detail: `House MI-13 2021-04-22: no representative of MI served then, or within 365 days, with a name agreeing with "Shri Thanedar"`},
		{name: "records nobody matches do not block the others", recs: []rec{house("shri-thanedar", "Shri Thanedar", "MI13", "2015-05-08", "2024-01-02")}, id: "shri-thanedar", bioguide: "T000488"},
		// A record's own bioguide id.
		{name: "own bioguide wins over the name", recs: []rec{filing("tom-udall", "Tom Udall", "U000038", "2012-03-01")}, id: "tom-udall", bioguide: "U000038"},
		{name: "own bioguide the table lacks, no name agreeing", recs: []rec{filing("bernard-sanders", "Bernard Sanders", "S000033", "2015-03-02")}, id: "bernard-sanders", bioguide: "S000033"},
		{name: "own bioguide the table lacks, the name agreeing with a member", recs: []rec{filing("john-f-reed", "John F Reed", "R000120", "2018-07-18", "2019-03-18")}, id: "john-f-reed",
			reason: quant.UnresolvedConflict, candidates: []string{"R000120", "R000122"},
			detail: `records point at R000120 (their own bioguide id, which the table lacks: Senate, "John F Reed", 2018-07-18 to 2019-03-18, 2 days) and R000122 Jack Reed (by name: the same records)`},
		{name: "own bioguide the table lacks, only the last name agreeing", recs: []rec{filing("thomas-udall", "Thomas Udall", "U000002", "2019-03-01")}, id: "thomas-udall", bioguide: "U000002"},
		{name: "own bioguide the table lacks, though it lists the whole Senate: the name decides", table: fullSenate(t),
			recs: []rec{filing("thomas-udall", "Thomas Udall", "U000002", "2019-03-01")}, id: "thomas-udall", bioguide: "U000039",
			detail: "its records carry bioguide id U000002, which the table lacks although it lists every senator serving on 2019-03-01; resolved by name and date to Tom Udall (U000039)"},
		{name: "own bioguide the table lacks, though it lists the whole Senate, no name agreeing", table: fullSenate(t),
			recs: []rec{filing("jane-doe", "Jane Doe", "D999999", "2019-03-01")}, id: "jane-doe", reason: quant.UnresolvedNoMatch,
			detail: "the records' bioguide id D999999 is not in the table, which lists every senator serving then, and no senator served then"},
		{name: "own bioguide the table lacks, more senators than seats: no proof, the id stands", table: senators(t, SenateSeats+senateSlack+1),
			recs: []rec{filing("thomas-udall", "Thomas Udall", "U000002", "2019-03-01")}, id: "thomas-udall", bioguide: "U000002"},
		{name: "own bioguide the table lacks, the whole Senate listed but not on that day", table: fullSenate(t),
			recs: []rec{filing("thomas-udall", "Thomas Udall", "U000002", "2021-03-01")}, id: "thomas-udall", bioguide: "U000002"},
		{name: "own bioguide the table refutes: the name decides",
			table: handLegislators(t, "- id: {bioguide: R000120}\n  name: {first: John, last: Reed, official_full: John Reed Sr.}\n  terms:\n  - {type: rep, start: '1795-12-07', end: '1801-03-03', state: MA, district: 6, party: Federalist}\n"),
			recs:  []rec{filing("john-f-reed", "John F Reed", "R000120", "2018-07-18")}, id: "john-f-reed", bioguide: "R000122",
			detail: "its records carry bioguide id R000120 (John Reed Sr. (R000120), who served nowhere near 2018-07-18); resolved by name and date to Jack Reed (R000122)"},
		{name: "own bioguide the table refutes, no name agreeing",
			table: handLegislators(t, "- id: {bioguide: R000120}\n  name: {first: John, last: Reed, official_full: John Reed Sr.}\n  terms:\n  - {type: rep, start: '1795-12-07', end: '1801-03-03', state: MA, district: 6, party: Federalist}\n"),
			recs:  []rec{filing("jane-doe", "Jane Doe", "R000120", "2018-07-18")}, id: "jane-doe", reason: quant.UnresolvedNoMatch,
			detail: `Senate 2018-07-18: the records' bioguide id R000120 names John Reed Sr. (R000120), who served nowhere near then, and no senator served then`},
		// Conflict: one id, two people.
		{name: "one id, two people", recs: []rec{house("mike-rogers", "Mike Rogers", "MI08", "2012-05-01"), house("mike-rogers", "Mike Rogers", "AL03", "2012-05-02")}, id: "mike-rogers",
			reason: quant.UnresolvedConflict, candidates: []string{"R000572", "R000575"},
			detail: `records point at R000575 Mike Rogers (by name: House AL-03, "Mike Rogers", 2012-05-02) and R000572 Mike Rogers (by name: House MI-08, "Mike Rogers", 2012-05-01)`},
		{name: "an undecided group consistent with the person", recs: []rec{house("mike-rogers", "Mike Rogers", "AL03", "2012-05-02"), house("mike-rogers", "Mike Rogers", "", "2012-05-01")}, id: "mike-rogers", bioguide: "R000575"},
		{name: "an undecided group consistent with the person, in the Senate", recs: []rec{senate("scott", "Scott", "2020-03-02"), senate("scott", "Scott", "2014-03-03")}, id: "scott", bioguide: "S001184"},
		{name: "an undecided group that excludes the person", recs: []rec{house("mike-rogers", "Mike Rogers", "AL03", "2012-05-02"), senate("mike-rogers", "Rick Tim Scott", "2020-03-02")}, id: "mike-rogers",
			reason: quant.UnresolvedConflict, candidates: []string{"R000575", "S001184", "S001217"}},
		// Nobody.
		{name: "nobody", recs: []rec{senate("jane-doe", "Jane Doe", "2019-03-18")}, id: "jane-doe", reason: quant.UnresolvedNoMatch,
			detail: `Senate 2019-03-18: no senator served then, or within 365 days, with a name agreeing with "Jane Doe"`},
		{name: "no senator by that name, a representative", recs: []rec{senate("lloyd-doggett", "Lloyd Doggett", "2019-03-18")}, id: "lloyd-doggett", reason: quant.UnresolvedNoMatch},
		// No table.
		{name: "no table", table: noTable, recs: []rec{senate("tom-udall", "Tom Udall", "2012-03-01")}, id: "tom-udall", reason: quant.UnresolvedNoTable,
			detail: "no legislators table is loaded and no record of the id carries a bioguide id"},
		{name: "no table, own bioguide", table: noTable, recs: []rec{filing("tom-udall", "Tom Udall", "U000039", "2012-03-01"), senate("tom-udall", "Tom Udall", "2013-03-01")}, id: "tom-udall", bioguide: "U000039"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tab := table
			if tc.table == noTable {
				tab = nil
			} else if tc.table != nil {
				tab = tc.table
			}
			dir := Resolve(handFilers(tab, tc.recs...))
			x, ok := dir.Identity(tc.id)
			if !ok {
				t.Fatalf("Identity(%q) missing", tc.id)
			}
			if x.Bioguide != tc.bioguide || (tc.bioguide == "" && x.Reason != tc.reason) {
				t.Fatalf("Identity(%q) = %s %s %v %q, want %q %q", tc.id, x.Bioguide, x.Reason, x.Candidates, x.Detail, tc.bioguide, tc.reason)
			}
			if tc.bioguide != "" && (x.Reason != "" || x.Candidates != nil || (x.Detail != "") != (tc.detail != "")) {
				t.Errorf("resolved Identity(%q) carries a reason or an unexpected note: %q %q %v", tc.id, x.Reason, x.Detail, x.Candidates)
			}
			if tc.candidates != nil && !slices.Equal(x.Candidates, tc.candidates) {
				t.Errorf("Identity(%q).Candidates = %v, want %v", tc.id, x.Candidates, tc.candidates)
			}
			if tc.bioguide == "" && x.Detail == "" {
				t.Errorf("unresolved Identity(%q) has no Detail", tc.id)
			}
			if !strings.Contains(x.Detail, tc.detail) {
				t.Errorf("Identity(%q).Detail =\n%s\nwant it to hold\n%s", tc.id, x.Detail, tc.detail)
			}
			checkDirectory(t, dir)
		})
	}
}

// noTable marks a hard case resolved without a table.
var noTable = &quant.Legislators{Digest: "none"}

// checkDirectory checks what every Directory must hold: ids and people
// sorted, each resolved id in its person's IDs and nowhere else, counts
// summed.
func checkDirectory(tb testing.TB, d *quant.Directory) {
	tb.Helper()
	if !slices.IsSortedFunc(d.IDs, func(a, b quant.Identity) int { return strings.Compare(a.ID, b.ID) }) {
		tb.Error("IDs are not sorted")
	}
	if !slices.IsSortedFunc(d.People, func(a, b quant.Person) int { return strings.Compare(a.Bioguide, b.Bioguide) }) {
		tb.Error("People are not sorted")
	}
	owner := map[string]string{}
	for _, p := range d.People {
		if !slices.IsSorted(p.IDs) || len(p.IDs) == 0 {
			tb.Errorf("person %s: IDs %v not sorted or empty", p.Bioguide, p.IDs)
		}
		recs := 0
		for _, id := range p.IDs {
			if o, dup := owner[id]; dup {
				tb.Errorf("id %s belongs to %s and %s", id, o, p.Bioguide)
			}
			owner[id] = p.Bioguide
			x, ok := d.Identity(id)
			if !ok || x.Bioguide != p.Bioguide {
				tb.Errorf("person %s lists %s, which resolves to %+v", p.Bioguide, id, x)
				continue
			}
			recs += x.Records
			if x.OfficialName != p.OfficialName {
				tb.Errorf("id %s: OfficialName %q, person's %q", id, x.OfficialName, p.OfficialName)
			}
		}
		if recs != p.Records {
			tb.Errorf("person %s: Records %d, its ids sum %d", p.Bioguide, p.Records, recs)
		}
		if (p.Legislator == nil) != (d.Legislators == nil || !hasMember(d.Legislators, p.Bioguide)) {
			tb.Errorf("person %s: Legislator %v with the table holding it %v", p.Bioguide, p.Legislator != nil, hasMember(d.Legislators, p.Bioguide))
		}
	}
	for _, x := range d.IDs {
		if x.Resolved() != (owner[x.ID] != "") {
			tb.Errorf("id %s resolved %v but in a person's IDs %v", x.ID, x.Resolved(), owner[x.ID] != "")
		}
		if !x.Resolved() && (x.Reason == "" || x.Detail == "") {
			tb.Errorf("unresolved id %s lacks a reason or detail", x.ID)
		}
		if (x.Reason == quant.UnresolvedAmbiguous || x.Reason == quant.UnresolvedConflict) && (len(x.Candidates) < 2 || !slices.IsSorted(x.Candidates)) {
			tb.Errorf("id %s: %s with candidates %v", x.ID, x.Reason, x.Candidates)
		}
	}
}

func hasMember(t *quant.Legislators, b string) bool { _, ok := t.Find(b); return ok }

func TestResolveDirectory(t *testing.T) {
	table := handLegislators(t, "")
	f := handFilers(table,
		house("patrick-j-toomey", "Patrick J. Toomey", "PA15", "2003-02-03"),
		senate("patrick-j-toomey", "Patrick J Toomey", "2012-02-03", "2012-02-10"),
		senate("pat-toomey", "Pat Toomey", "2016-05-02"),
		house("justin-amash", "Justin Amash", "MI03", "2019-02-01", "2019-12-02"),
		filing("bernard-sanders", "Bernard Sanders", "S000033", "2015-03-02"),
		senate("jane-doe", "Jane Doe", "2019-03-18"),
	)
	dir := Resolve(f)
	checkDirectory(t, dir)
	if dir.Version != 7 || dir.Legislators != table {
		t.Errorf("Directory version %d, table %p; want 7 and the Filers' table", dir.Version, dir.Legislators)
	}
	toomey, _ := table.Find("T000461")
	amash, _ := table.Find("A000367")
	wantIDs := []quant.Identity{
		{ID: "bernard-sanders", Bioguide: "S000033", OfficialName: "Bernard Sanders", Chambers: []quant.Chamber{quant.ChamberSenate},
			Records: 2, Analyzable: 1, FirstTrade: date("2015-03-02"), LastTrade: date("2015-03-02")},
		{ID: "jane-doe", Reason: quant.UnresolvedNoMatch, Chambers: []quant.Chamber{quant.ChamberSenate},
			Detail:  `Senate 2019-03-18: no senator served then, or within 365 days, with a name agreeing with "Jane Doe"`,
			Records: 2, Analyzable: 1, FirstTrade: date("2019-03-18"), LastTrade: date("2019-03-18")},
		{ID: "justin-amash", Bioguide: "A000367", OfficialName: "Justin Amash", Party: "Independent", State: "MI", Chambers: []quant.Chamber{quant.ChamberHouse},
			Records: 4, Analyzable: 2, FirstTrade: date("2019-02-01"), LastTrade: date("2019-12-02")},
		{ID: "pat-toomey", Bioguide: "T000461", OfficialName: "Patrick J. Toomey", Party: "Republican", State: "PA", Chambers: []quant.Chamber{quant.ChamberSenate},
			Records: 2, Analyzable: 1, FirstTrade: date("2016-05-02"), LastTrade: date("2016-05-02")},
		{ID: "patrick-j-toomey", Bioguide: "T000461", OfficialName: "Patrick J. Toomey", Party: "Republican", State: "PA",
			Chambers: []quant.Chamber{quant.ChamberHouse, quant.ChamberSenate},
			Records:  6, Analyzable: 3, FirstTrade: date("2003-02-03"), LastTrade: date("2012-02-10")},
	}
	if diff := cmp.Diff(wantIDs, dir.IDs); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	wantPeople := []quant.Person{
		{Bioguide: "A000367", Legislator: amash, OfficialName: "Justin Amash", Party: "Independent", State: "MI", Chambers: []quant.Chamber{quant.ChamberHouse},
			IDs: []string{"justin-amash"}, Records: 4, Analyzable: 2, FirstTrade: date("2019-02-01"), LastTrade: date("2019-12-02")},
		{Bioguide: "S000033", OfficialName: "Bernard Sanders", Chambers: []quant.Chamber{quant.ChamberSenate},
			IDs: []string{"bernard-sanders"}, Records: 2, Analyzable: 1, FirstTrade: date("2015-03-02"), LastTrade: date("2015-03-02")},
		{Bioguide: "T000461", Legislator: toomey, OfficialName: "Patrick J. Toomey", Party: "Republican", State: "PA",
			Chambers: []quant.Chamber{quant.ChamberHouse, quant.ChamberSenate}, IDs: []string{"pat-toomey", "patrick-j-toomey"},
			Records: 8, Analyzable: 4, FirstTrade: date("2003-02-03"), LastTrade: date("2016-05-02")},
	}
	if diff := cmp.Diff(wantPeople, dir.People); diff != "" {
		t.Errorf("People (-want +got):\n%s", diff)
	}
	if p, _ := dir.Person("T000461"); p.Legislator != toomey {
		t.Error("a Person's Legislator does not point into the table")
	}
	// A party switch within a term (party_affiliations).
	for _, tc := range []struct{ day, party string }{{"2019-02-01", "Republican"}, {"2019-07-04", "Independent"}, {"2020-06-01", "Libertarian"}, {"2030-01-01", "Libertarian"}} {
		if got := dir.PartyOn("justin-amash", date(tc.day)); got != tc.party {
			t.Errorf("PartyOn(justin-amash, %s) = %q, want %q", tc.day, got, tc.party)
		}
	}
	if got := dir.PartyOn("bernard-sanders", date("2015-03-02")); got != "" {
		t.Errorf("PartyOn of a person the table lacks = %q, want \"\"", got)
	}
	if got := dir.PersonID("pat-toomey"); got != "T000461" {
		t.Errorf("PersonID(pat-toomey) = %q", got)
	}

	// Deterministic whatever the order of the signatures.
	r := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		g := *f
		g.Filers = slices.Clone(f.Filers)
		r.Shuffle(len(g.Filers), func(i, j int) { g.Filers[i], g.Filers[j] = g.Filers[j], g.Filers[i] })
		if diff := cmp.Diff(dir, Resolve(&g)); diff != "" {
			t.Fatalf("Resolve of shuffled signatures differs (-first +shuffled):\n%s", diff)
		}
	}

	// Empty.
	empty := Resolve(&quant.Filers{Version: 3})
	if empty.Version != 3 || len(empty.IDs) != 0 || len(empty.People) != 0 {
		t.Errorf("Resolve(empty) = %+v", empty)
	}
}

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // tokens joined by spaces; a joined token is prefixed by "~"
	}{
		{"Richard Dean Dr McCormick", "richard dean mccormick"},
		{"Neal Patrick MD, Facs Dunn", "neal patrick dunn"},
		{"Hon. Nydia M. Velázquez", "nydia m velazquez"},
		{"David A Perdue , Jr", "david a perdue"},
		{"Rafael Edward (Ted) Cruz", "rafael edward ted cruz"},
		{`Robert C. "Bobby" Scott`, "robert c bobby scott"},
		{"Cindy Hyde-Smith", "cindy hyde ~smith"},
		{"Anthony D’Esposito", "anthony d ~esposito"},
		{"Joseph Manchin, III", "joseph manchin"},
		{"Smith-Jr-Jones", "smith jones"},
	} {
		var parts []string
		for _, tk := range tokenize(tc.in) {
			if tk.joined {
				parts = append(parts, "~"+tk.s)
			} else {
				parts = append(parts, tk.s)
			}
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
