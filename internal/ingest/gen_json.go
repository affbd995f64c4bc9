package ingest

import (
	"math"
	"strconv"
	"strings"
)

// The JSON formats of Generate (GenHouseJSON, GenSenateFilings).
//
// Both write one JSON array, one element per line. A filing is one
// filer's report on one day: its disclosure date is the day its place in
// the filer's stream of filings gives (the same walk, newest first, as the
// Senate CSV's filing dates), and its transactions lie before it by the
// filing's lag plus each transaction's spread within the filing.
//
// The lags imitate the real reports (measured on data/house_all_
// transactions.json and data/senate_all_filings.json, the lag of a
// record being disclosure date - transaction date in days): a filing's
// lag, from its newest transaction to its disclosure, is 0..30 days with
// probability 0.86 (more of them short: 31*u^1.5 for a uniform u), 31..45
// with 0.09 (filed just before the STOCK Act's 45 days), 46..180 with 0.04
// and 181..720 (very late) with 0.01. With the spread of the transactions
// within a filing (the Senate CSV's: a quarter on one day, the others over
// up to 35 days) a record's lag has a median of about 21 days, a 90th
// percentile of about 46, and about 10.6% of the records are late (over
// 45 days); real House: 15, 50 and 10.6%, real Senate filings: 20, 36 and
// 5.8%. A few reports are dated before one of their trades, as real ones
// are (the parser keeps them; the compliance analysis counts them
// invalid): in 1% of the House filings and 0.5% of the Senate ones the
// newest transaction is dated 1..3 days after the disclosure (never after
// GenConfig.End). No transaction is dated before GenConfig.Start: the
// lags of the first filings are cut there.
//
// House JSON elements hold, in the real file's key order,
// transaction_date, disclosure_date (MM/DD/YYYY), ticker,
// asset_description ("Company - Common Stock"), asset_type ("Stock"), type
// (Purchase, Sale, Exchange), amount (the House's bands, most with a line
// break after the dash as the scraper reads them from the PDFs, a few cut
// after the dash, a few exact amounts such as "$805.35"), representative
// ("Thomas H. Kean": given name, middle initial with a dot, family name),
// district (NJ07; 00 for an at-large seat), owner (Self, Spouse, Joint,
// Dependent Child), filing_id (8 digits) and source_url (the Clerk's PDF,
// .../ptr-pdfs/YEAR/FILING_ID.pdf). A filer keeps one district.
//
// Senate filings elements hold first_name ("Susan M"), last_name, office
// ("Collins, Susan M. (Senator)"), ptr_link (.../search/view/ptr/UUID/,
// the UUID being the filing id), date_recieved (sic), transactions and
// bioguide (a letter and six digits, one per filer). Their transactions
// hold the Senate CSV's fields (transaction_date, owner, ticker,
// asset_description with its HTML, asset_type, type, amount, comment),
// drawn from the same tables, the known tickers as the Senate's anchors
// (<a href="https://finance.yahoo.com/q?s=AAPL" target="_blank">AAPL</a>).
// A share of the filings, as many as the Senate CSV's PDF rows would make,
// are scanned paper reports (.../search/view/paper/UUID/, office
// "Senator", the name in capitals with a trailing space as in the real
// file) with an empty transactions list; they are not counted in
// GenConfig.Trades.

// Lag model parameters (see above).
const (
	genLagShortP    = 0.86
	genLagDeadlineP = 0.95
	genLagLateP     = 0.99
	genHouseBadP    = 0.01
	genSenateBadP   = 0.005
	// genHouseIDSpace: House filing ids are 20000000 + a permutation of
	// 0..genHouseIDSpace-1 (seq*genHouseIDStep + offset, modulo), distinct
	// within a file of fewer filings than that, offset by the seed.
	genHouseIDSpace = 10_000_000
	genHouseIDStep  = 7_654_321 // coprime with genHouseIDSpace
)

// genHouseOwners: Self 52.06%, Spouse 24.32%, Joint 20.60%, Dependent
// Child 3.01% of the real House records.
var genHouseOwners = []genWeighted{{"Self", 52.06}, {"Spouse", 24.32}, {"Joint", 20.60}, {"Dependent Child", 3.01}}

// genHouseTypes: Purchase 56.36%, Sale 43.12%, Exchange 0.52%.
var genHouseTypes = []genWeighted{{"Purchase", 56.36}, {"Sale", 43.12}, {"Exchange", 0.52}}

// genHouseAmounts: counts among the 6,542 real House records; the ""
// entry is an exact amount (18 real ones, "$15.00" to "$4,450.50"). The
// two largest bands have no real record and are given one each.
var genHouseAmounts = []genWeighted{
	{"$1,001 - $15,000", 5185},
	{"$1,001 -\n$15,000", 24},
	{"$15,001 -\n$50,000", 908},
	{"$15,001 - $50,000", 25},
	{"$50,001 -\n$100,000", 209},
	{"$100,001 -\n$250,000", 122},
	{"$250,001 -\n$500,000", 24},
	{"$500,001 -\n$1,000,000", 11},
	{"$1,000,001 -\n$5,000,000", 7},
	{"$5,000,001 -\n$25,000,000", 1},
	{"$25,000,001 -\n$50,000,000", 1},
	{"$15,001 -", 5},
	{"$50,001 -", 2},
	{"$100,001 -", 2},
	{"", 18},
}

// genStateSeats are the states and their House seats (the 2010
// apportionment, 435 seats); one seat is an at-large district, 00.
var genStateSeats = []struct {
	state string
	seats int
}{
	{"AL", 7}, {"AK", 1}, {"AZ", 9}, {"AR", 4}, {"CA", 53}, {"CO", 7}, {"CT", 5}, {"DE", 1},
	{"FL", 27}, {"GA", 14}, {"HI", 2}, {"ID", 2}, {"IL", 18}, {"IN", 9}, {"IA", 4}, {"KS", 4},
	{"KY", 6}, {"LA", 6}, {"ME", 2}, {"MD", 8}, {"MA", 9}, {"MI", 14}, {"MN", 8}, {"MS", 4},
	{"MO", 8}, {"MT", 1}, {"NE", 3}, {"NV", 4}, {"NH", 2}, {"NJ", 12}, {"NM", 3}, {"NY", 27},
	{"NC", 13}, {"ND", 1}, {"OH", 16}, {"OK", 5}, {"OR", 5}, {"PA", 18}, {"RI", 2}, {"SC", 7},
	{"SD", 1}, {"TN", 9}, {"TX", 36}, {"UT", 4}, {"VT", 1}, {"VA", 11}, {"WA", 10}, {"WV", 3},
	{"WI", 8}, {"WY", 1},
}

// genJSON is the state of the JSON formats.
type genJSON struct {
	elements int    // array elements written
	seq      uint64 // filings written
	idOffset uint64 // House filing ids' offset, from the seed

	houseOwners, houseTypes, houseAmounts genDist
	houseOwnerJ, houseTypeJ, houseAmountJ []string // JSON-encoded
	houseDesc                             []string // per genTickers entry, JSON-encoded
	ownerJ, typeJ, amountJ, commentJ      []string // the Senate tables, JSON-encoded
	kindJ                                 []string // genKinds' asset types, JSON-encoded
	anchor                                []string // per genTickers entry: the Senate's anchor, JSON-encoded
	fundAnchor                            []string // the same per genFunds entry with a ticker
	date                                  [10]byte // a filing's disclosure date, MM/DD/YYYY
	id                                    []byte   // a House filing's id
}

// genFilerJSON holds a filer's texts in the JSON formats, JSON-encoded
// where they are strings.
type genFilerJSON struct {
	houseName, district, bioguide                  string
	given, family, office, paperGiven, paperFamily string
}

// initJSON prepares the JSON formats' tables. It draws nothing from g.rng.
func (g *generator) initJSON(seed uint64, trades int) {
	j := &g.json
	j.idOffset = genHash(seed, 0x686f757365) % genHouseIDSpace
	enc := func(t []genWeighted) (genDist, []string) {
		d, _ := newGenTable(t)
		out := make([]string, len(t))
		for i, e := range t {
			out[i] = string(appendJSONString(nil, e.s))
		}
		return d, out
	}
	j.houseOwners, j.houseOwnerJ = enc(genHouseOwners)
	j.houseTypes, j.houseTypeJ = enc(genHouseTypes)
	j.houseAmounts, j.houseAmountJ = enc(genHouseAmounts)
	_, j.ownerJ = enc(genOwners)
	_, j.typeJ = enc(genTypes)
	_, j.amountJ = enc(genAmounts)
	_, j.commentJ = enc(genComments)
	_, j.kindJ = enc(genKinds)
	for _, t := range genTickers {
		name := strings.ReplaceAll(t.name, "&amp;", "&")
		j.houseDesc = append(j.houseDesc, string(appendJSONString(nil, name+" - Common Stock")))
		j.anchor = append(j.anchor, string(appendJSONString(nil,
			`<a href="https://finance.yahoo.com/q?s=`+t.ticker+`" target="_blank">`+t.ticker+`</a>`)))
	}
	for i := range g.filers {
		f := &g.filers[i]
		given := f.given
		if f.mid != 0 {
			given += " " + string(f.mid)
		}
		office := f.family + ", " + given
		if f.mid != 0 {
			office += "."
		}
		f.json = &genFilerJSON{
			houseName:   string(appendJSONString(nil, f.houseName())),
			district:    f.district(),
			bioguide:    f.bioguide(),
			given:       string(appendJSONString(nil, given)),
			family:      string(appendJSONString(nil, f.family)),
			office:      string(appendJSONString(nil, office+" (Senator)")),
			paperGiven:  string(appendJSONString(nil, strings.ToUpper(given)+" ")),
			paperFamily: string(appendJSONString(nil, strings.ToUpper(f.family))),
		}
	}
	for _, fund := range genFunds[:genFundsWithTicker] {
		j.fundAnchor = append(j.fundAnchor, string(appendJSONString(nil,
			`<a href="https://finance.yahoo.com/q?s=`+fund.ticker+`" target="_blank">`+fund.ticker+`</a>`)))
	}
	// Mean transactions of a filing: the House has no paper filings; the
	// Senate's hold none.
	m := g.sizes.mean()
	g.rowsPerFiling = m
	if g.format == GenSenateFilings {
		g.rowsPerFiling = (1 - g.pdfP) * m
	}
}

// element starts the next array element.
func (g *generator) element(b []byte) []byte {
	if g.json.elements > 0 {
		b = append(b, ',')
	}
	g.json.elements++
	return append(b, '\n')
}

// filingLag draws a filing's lag in days (see the model above).
func (g *generator) filingLag() int64 {
	r := &g.rng
	switch u := r.float(); {
	case u < genLagShortP:
		v := r.float()
		return int64(31 * v * math.Sqrt(v))
	case u < genLagDeadlineP:
		return 31 + int64(r.intn(15))
	case u < genLagLateP:
		return 46 + int64(r.intn(135))
	default:
		return 181 + int64(r.intn(540))
	}
}

// filingDates draws the transaction dates of a filing disclosed on day
// disc holding n transactions, into g.days: the filing's lag, then each
// transaction's spread; with probability badP the first is dated 1..3
// days after disc instead.
func (g *generator) filingDates(disc int64, n int, badP float64) []int64 {
	r := &g.rng
	lag := g.filingLag()
	window := 0
	if r.float() >= genSameDayP {
		window = 1 + r.intn(genMaxWindow)
	}
	bad := r.float() < badP
	days := g.days[:0]
	for i := range n {
		day := max(disc-lag-int64(r.intn(window+1)), g.start)
		if bad && i == 0 {
			day = min(disc+1+int64(r.intn(3)), g.end)
		}
		days = append(days, day)
	}
	g.days = days
	return days
}

// district returns the filer's House district, as the House writes it
// (NJ07, MT00), from its key: a seat drawn uniformly among the 435.
func (f *genFiler) district() string {
	seat := int(genHash(f.key, 0x64697374) % 435)
	for _, s := range genStateSeats {
		if seat < s.seats {
			n := seat + 1
			if s.seats == 1 {
				n = 0
			}
			return s.state + string([]byte{byte('0' + n/10), byte('0' + n%10)})
		}
		seat -= s.seats
	}
	panic("ingest: gen: the seats do not add up to 435")
}

// bioguide returns the filer's Biographical Directory id: the first letter
// of its family name (folded) and six digits, distinct between filers of
// one seed's sequence.
func (f *genFiler) bioguide() string {
	letter := byte('X')
	for _, c := range strings.ToUpper(foldASCII(f.family)) {
		if c >= 'A' && c <= 'Z' {
			letter = byte(c)
			break
		}
	}
	n := uint64(f.index) * 7919 % 1_000_000 // 7919 is coprime with 10^6
	b := []byte{letter}
	s := strconv.FormatUint(n, 10)
	for range 6 - len(s) {
		b = append(b, '0')
	}
	return string(append(b, s...))
}

// foldASCII drops the accents of the embedded names (José -> Jose).
func foldASCII(s string) string { return genFold.Replace(s) }

var genFold = strings.NewReplacer("á", "a", "é", "e", "í", "i", "ó", "o", "ú", "u", "ñ", "n", "ë", "e", "ö", "o", "ü", "u")

// houseName is the filer's name as the House writes it: "Thomas H. Kean".
func (f *genFiler) houseName() string {
	if f.mid == 0 {
		return f.given + " " + f.family
	}
	return f.given + " " + string(f.mid) + ". " + f.family
}

// appendHouseFiling appends f's current filing as House JSON elements and
// counts its transactions off f.left.
func (g *generator) appendHouseFiling(b []byte, f *genFiler) []byte {
	r := &g.rng
	j := &g.json
	n := min(g.sizes.pick(r)+1, f.left)
	f.left -= n
	id := 20_000_000 + (j.seq*genHouseIDStep+j.idOffset)%genHouseIDSpace
	j.seq++
	j.id = strconv.AppendUint(j.id[:0], id, 10)
	idText := j.id
	disc := appendGenDate(j.date[:0], f.day, false)
	year := disc[6:10]
	name, district := f.json.houseName, f.json.district
	owner := j.houseOwners.pick(r)
	for _, day := range g.filingDates(f.day, n, genHouseBadP) {
		b = g.element(b)
		b = append(b, `{"transaction_date": "`...)
		b = appendGenDate(b, day, false)
		b = append(b, `", "disclosure_date": "`...)
		b = append(b, disc...)
		t := g.pickTicker(f)
		b = append(b, `", "ticker": "`...)
		b = append(b, genTickers[t].ticker...)
		b = append(b, `", "asset_description": `...)
		b = append(b, j.houseDesc[t]...)
		b = append(b, `, "asset_type": "Stock", "type": `...)
		b = append(b, j.houseTypeJ[j.houseTypes.pick(r)]...)
		b = append(b, `, "amount": `...)
		if a := j.houseAmounts.pick(r); genHouseAmounts[a].s != "" {
			b = append(b, j.houseAmountJ[a]...)
		} else {
			b = g.appendExactAmount(b)
		}
		b = append(b, `, "representative": `...)
		b = append(b, name...)
		b = append(b, `, "district": "`...)
		b = append(b, district...)
		b = append(b, `", "owner": `...)
		o := owner
		if r.float() >= genOwnerStickP {
			o = j.houseOwners.pick(r)
		}
		b = append(b, j.houseOwnerJ[o]...)
		b = append(b, `, "filing_id": "`...)
		b = append(b, idText...)
		b = append(b, `", "source_url": "https://disclosures-clerk.house.gov/public_disc/ptr-pdfs/`...)
		b = append(b, year...)
		b = append(b, '/')
		b = append(b, idText...)
		b = append(b, `.pdf"}`...)
	}
	return b
}

// genBandLows are the lower bounds of the STOCK Act bands: an exact
// amount of one of them would read as the whole band.
var genBandLows = [...]int{1001, 15001, 50001, 100001, 250001, 500001, 1000001, 5000001, 25000001}

// appendExactAmount appends a JSON string holding an exact amount as the
// House writes it, "$805.35" or "$1,118.07": 10 to about 5,000 dollars,
// log-uniform, never a band's lower bound.
func (g *generator) appendExactAmount(b []byte) []byte {
	r := &g.rng
	d := int(10 * math.Exp(r.float()*math.Log(500)))
	for _, lo := range genBandLows {
		if d == lo {
			d++
		}
	}
	cents := r.intn(100)
	b = append(b, `"$`...)
	if d >= 1000 {
		b = strconv.AppendInt(b, int64(d/1000), 10)
		b = append(b, ',', byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	} else {
		b = strconv.AppendInt(b, int64(d), 10)
	}
	return append(b, '.', byte('0'+cents/10), byte('0'+cents%10), '"')
}

// appendSenateFiling appends f's current filing as one Senate filings
// element and counts its transactions off f.left; a paper filing counts
// none.
func (g *generator) appendSenateFiling(b []byte, f *genFiler) []byte {
	r := &g.rng
	j := &g.json
	hi, lo := r.u64(), r.u64()
	b = g.element(b)
	fj := f.json
	if r.float() < g.pdfP {
		b = append(b, `{"first_name": `...)
		b = append(b, fj.paperGiven...)
		b = append(b, `, "last_name": `...)
		b = append(b, fj.paperFamily...)
		b = append(b, `, "office": "Senator", "ptr_link": "https://efdsearch.senate.gov/search/view/paper/`...)
		b = appendUUID(b, hi, lo)
		b = append(b, `/", "date_recieved": "`...)
		b = appendGenDate(b, f.day, false)
		b = append(b, `", "transactions": [], "bioguide": "`...)
		b = append(b, fj.bioguide...)
		return append(b, `"}`...)
	}
	n := min(g.sizes.pick(r)+1, f.left)
	f.left -= n
	b = append(b, `{"first_name": `...)
	b = append(b, fj.given...)
	b = append(b, `, "last_name": `...)
	b = append(b, fj.family...)
	b = append(b, `, "office": `...)
	b = append(b, fj.office...)
	b = append(b, `, "ptr_link": "https://efdsearch.senate.gov/search/view/ptr/`...)
	b = appendUUID(b, hi, lo)
	b = append(b, `/", "date_recieved": "`...)
	b = appendGenDate(b, f.day, false)
	b = append(b, `", "transactions": [`...)
	owner := g.owners.pick(r)
	for i, day := range g.filingDates(f.day, n, genSenateBadP) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, `{"transaction_date": "`...)
		b = appendGenDate(b, day, false)
		b = append(b, `", "owner": `...)
		o := owner
		if r.float() >= genOwnerStickP {
			o = g.owners.pick(r)
		}
		b = append(b, j.ownerJ[o]...)
		ticker, enc, desc, kind := g.asset(f, day)
		b = append(b, `, "ticker": `...)
		if ticker == "--" {
			b = append(b, `"--"`...)
		} else if t, ok := genTickerIndex[ticker]; ok {
			b = append(b, j.anchor[t]...)
		} else {
			b = append(b, j.fundAnchor[genFundIndex[ticker]]...)
		}
		b = append(b, `, "asset_description": `...)
		if enc != "" {
			b = appendJSONString(b, g.raw)
		} else {
			b = appendJSONString(b, desc)
		}
		b = append(b, `, "asset_type": `...)
		b = append(b, j.kindJ[kind]...)
		b = append(b, `, "type": `...)
		b = append(b, j.typeJ[g.types.pick(r)]...)
		b = append(b, `, "amount": `...)
		b = append(b, j.amountJ[g.amounts.pick(r)]...)
		b = append(b, `, "comment": `...)
		b = append(b, j.commentJ[g.comments.pick(r)]...)
		b = append(b, '}')
	}
	b = append(b, `], "bioguide": "`...)
	b = append(b, fj.bioguide...)
	return append(b, `"}`...)
}

// genTickerIndex maps a genTickers ticker to its index.
var genTickerIndex = func() map[string]int {
	m := make(map[string]int, len(genTickers))
	for i, t := range genTickers {
		m[t.ticker] = i
	}
	return m
}()

// genFundIndex maps a genFunds ticker to its index.
var genFundIndex = func() map[string]int {
	m := make(map[string]int, genFundsWithTicker)
	for i, f := range genFunds[:genFundsWithTicker] {
		m[f.ticker] = i
	}
	return m
}()

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped (a line break as \n), everything else, UTF-8
// and HTML included, as given, as Python's json.dumps(ensure_ascii=False)
// writes it.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
