package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// GenFormat is a format Generate writes (ANALYTICS.md section 1.1).
type GenFormat string

// The formats Generate writes. The empty GenFormat is GenSenateCSV.
const (
	// GenSenateCSV is the Senate Stock Watcher CSV: no disclosure dates.
	GenSenateCSV GenFormat = "senate-csv"
	// GenHouseJSON is the House Stock Watcher JSON as its maintained
	// successor writes it: one element per transaction, with
	// representative, district, disclosure_date, filing_id and
	// source_url.
	GenHouseJSON GenFormat = "house-json"
	// GenSenateFilings is the Senate Stock Watcher filings JSON: one
	// element per filing (first_name, last_name, office, ptr_link,
	// date_recieved, bioguide) holding its transactions; scanned paper
	// filings hold none.
	GenSenateFilings GenFormat = "senate-filings"
	// GenLegislators is not a disclosure format: it is a congress-
	// legislators YAML table of the filers the other formats draw for the
	// same seed (see GenerateLegislators).
	GenLegislators GenFormat = "legislators"
)

// GenFormats lists the formats Generate writes, the default first.
var GenFormats = []GenFormat{GenSenateCSV, GenHouseJSON, GenSenateFilings, GenLegislators}

// Chamber returns the chamber whose disclosures the format holds; "" for
// GenLegislators, which holds members of both.
func (f GenFormat) Chamber() quant.Chamber {
	switch f {
	case GenHouseJSON:
		return quant.ChamberHouse
	case GenLegislators:
		return ""
	}
	return quant.ChamberSenate
}

// DefaultSpan returns the transaction dates a GenConfig with a zero Start
// and End gets in format f: 2012-06-01 to 2020-12-31 for the Senate
// formats (the span of the real Senate data), 2021-01-01 to 2025-12-31
// for the House (the real House data starts in 2021). For GenLegislators
// it is the union, 2012-06-01 to 2025-12-31, the dates its terms are
// drawn to cover.
func (f GenFormat) DefaultSpan() (start, end time.Time) {
	switch f {
	case GenHouseJSON:
		return genHouseStart, genHouseEnd
	case GenLegislators:
		return genDefaultStart, genHouseEnd
	}
	return genDefaultStart, genDefaultEnd
}

// GenConfig configures Generate. The zero value is not valid: Politicians
// must be set.
type GenConfig struct {
	// Format is the format written; empty means GenSenateCSV, whose
	// output is the same as before formats existed.
	Format GenFormat
	// Politicians is the number of distinct filers (distinct politician ids
	// under ANALYTICS.md section 1), 1..GenMaxPoliticians. When Trades is
	// at least Politicians every filer has at least one row; otherwise only
	// Trades of them (the most active) appear.
	Politicians int
	// Trades is the exact number of data rows written; 0 writes the header
	// only. GenLegislators does not use it.
	Trades int
	// Seed selects the dataset; 0 is a seed like any other. The same
	// config always gives the same bytes (for one Go release and
	// architecture; see Generate).
	Seed uint64
	// SkipPoliticians skips the first SkipPoliticians filers the seed
	// would draw: the filers of a config are the filers SkipPoliticians
	// .. SkipPoliticians+Politicians-1 of one sequence per seed, the same
	// in every format (same names, districts and bioguide ids). Two parts
	// generated with the same seed, one with Politicians p and the other
	// with SkipPoliticians p, share no politician; with SkipPoliticians
	// p-k they share k. Politicians+SkipPoliticians must not exceed
	// GenMaxPoliticians.
	SkipPoliticians int
	// Start and End bound the transaction dates, both inclusive; only their
	// calendar dates count. In the formats with disclosure dates they
	// bound those too: filings are disclosed on days of Start..End and
	// their transactions lie before (a snapshot taken at End holds the
	// reports filed by then), none before Start. A zero Start or End is
	// the format's DefaultSpan. Start must not be before 1990-01-01 and
	// End not before Start. Generate cannot know the day the output will
	// be imported: an End after that day makes the parser reject the
	// later rows as date_out_of_range. GenLegislators takes no Start or
	// End (GenerateLegislators takes the spans of the files it is for).
	Start, End time.Time
}

// GenMaxPoliticians is the largest GenConfig.Politicians: a quarter of the
// distinct names the embedded name lists can form, so that drawing a fresh
// name for every filer stays fast.
const GenMaxPoliticians = len(genFirstNames) * len(genLastNames) * genMiddleSlots / 4

// ErrGenConfig is matched (errors.Is) by every error Generate returns for
// an invalid GenConfig; the error's text names the field.
var ErrGenConfig = errors.New("ingest: gen: invalid config")

// genConfigError is an invalid-config error naming its field.
type genConfigError string

func (e genConfigError) Error() string        { return "ingest: gen: " + string(e) }
func (e genConfigError) Is(target error) bool { return target == ErrGenConfig }

var (
	genDefaultStart = time.Date(2012, 6, 1, 0, 0, 0, 0, time.UTC)
	genDefaultEnd   = time.Date(2020, 12, 31, 0, 0, 0, 0, time.UTC)
	genHouseStart   = time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	genHouseEnd     = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
)

// genHeader is the Senate Stock Watcher CSV header.
const genHeader = "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"

// genStream is the second PCG seed word; cfg.Seed is the first.
const genStream = 0x7175616e74676e31 // "quantgn1"

// Generate writes cfg.Trades synthetic disclosures in cfg.Format to w,
// or for GenLegislators the congress-legislators table of cfg's filers,
// each in both chambers over the default spans (GenerateLegislators).
// The House and Senate filings formats are described with genHouse and
// genSenateFilings (gen_json.go): filings of several transactions, a
// disclosure date per filing with the lags of the real reports, districts
// or bioguide ids, and for the Senate filings scanned paper filings with
// no transactions (not counted in cfg.Trades). They share the filers,
// filing sizes, activity, spans and tickers described below. In the
// Senate CSV format (the default) Generate writes the header
//
//	transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link
//
// then exactly cfg.Trades rows, quoted as encoding/csv would quote them.
// An invalid cfg gives an error matching ErrGenConfig that names the field;
// nothing is written then.
//
// The output imitates the real Senate data (the figures measured on
// data/senate_all_transactions.csv are given with the tables in gen.go):
// filings of 1 to 30 transactions, dated within days to weeks of each
// other, share a ptr_link; filings come newest first; a few filers make
// most of the trades; each filer has busy and quiet months within an
// active span of years; about 5.5% of rows are "PDF Disclosed Filing" rows
// (N/A owner, ticker and type, Unknown amount, a .../search/view/paper/ID/
// link, as in the real data); about 21% of the other rows have ticker
// "--"; and about 30% of the filers also appear under a second spelling of
// their name (", Jr", " III", a "(nickname)", a double space) that
// ANALYTICS.md section 1 maps to the same politician id. Every row parses
// without a reject as long as cfg.End is not after the import day.
//
// Generate streams: it needs memory for the filers and the embedded tables,
// never for the rows, and writes to w in blocks of about 64 KiB. It is
// deterministic: no clock, no map iteration, and randomness only from a
// PCG seeded with cfg.Seed. The same config gives byte-identical output
// with the same Go release on the same architecture (a few choices go
// through math.Pow, whose last bit may differ between architectures).
func Generate(w io.Writer, cfg GenConfig) error {
	if cfg.Format == GenLegislators {
		return generateLegislators(w, cfg)
	}
	g, err := newGenerator(cfg)
	if err != nil {
		return err
	}
	return g.run(w)
}

// validate checks cfg and returns it with defaults filled in.
func (cfg GenConfig) validate() (GenConfig, error) {
	switch {
	case cfg.Politicians < 1:
		return cfg, genConfigError("politicians must be >= 1")
	case cfg.Politicians > GenMaxPoliticians:
		return cfg, genConfigError("politicians must be <= " + strconv.Itoa(GenMaxPoliticians))
	case cfg.Trades < 0:
		return cfg, genConfigError("trades must be >= 0")
	case cfg.SkipPoliticians < 0:
		return cfg, genConfigError("skip politicians must be >= 0")
	case cfg.SkipPoliticians > GenMaxPoliticians-cfg.Politicians:
		return cfg, genConfigError("politicians + skip politicians must be <= " + strconv.Itoa(GenMaxPoliticians))
	}
	switch cfg.Format {
	case "":
		cfg.Format = GenSenateCSV
	case GenSenateCSV, GenHouseJSON, GenSenateFilings:
	case GenLegislators:
		if !cfg.Start.IsZero() || !cfg.End.IsZero() {
			return cfg, genConfigError("start and end are not used by the legislators format (GenerateLegislators takes the parts' spans)")
		}
		return cfg, nil
	default:
		return cfg, genConfigError(fmt.Sprintf("format %q is not one of %v", cfg.Format, GenFormats))
	}
	start, end := cfg.Format.DefaultSpan()
	if cfg.Start.IsZero() {
		cfg.Start = start
	}
	if cfg.End.IsZero() {
		cfg.End = end
	}
	if genDay(cfg.Start) < genDay(minDate) {
		return cfg, genConfigError("start must not be before 1990-01-01")
	}
	if cfg.End.Year() > 9999 {
		return cfg, genConfigError("end must be before year 10000")
	}
	if genDay(cfg.End) < genDay(cfg.Start) {
		return cfg, genConfigError("end must not be before start")
	}
	return cfg, nil
}

// The tables below reproduce data/senate_all_transactions.csv (8,350 rows,
// 2012-06 to 2020-12), measured as shares of all rows. Weights need not sum
// to 100: each table is drawn for the electronic rows only (94.46% of the
// real rows), and the "PDF Disclosed Filing" rows (5.54%) carry N/A,
// Unknown and "" instead.

// genOwners: Joint 39.99%, Spouse 37.57%, Self 15.11%, Child 1.78% (N/A
// 5.54% only on PDF rows).
var genOwners = []genWeighted{{"Joint", 39.99}, {"Spouse", 37.57}, {"Self", 15.11}, {"Child", 1.78}}

// genTypes: Purchase 49.10%, Sale (Full) 23.78%, Sale (Partial) 20.54%,
// Exchange 1.03% (N/A 5.54% only on PDF rows; the Senate data has no bare
// "Sale").
var genTypes = []genWeighted{{"Purchase", 49.10}, {"Sale (Full)", 23.78}, {"Sale (Partial)", 20.54}, {"Exchange", 1.03}}

// genAmounts: the STOCK Act value ranges; Unknown (5.54%) only on PDF rows.
var genAmounts = []genWeighted{
	{"$1,001 - $15,000", 64.56},
	{"$15,001 - $50,000", 17.66},
	{"$50,001 - $100,000", 5.90},
	{"$100,001 - $250,000", 3.50},
	{"$250,001 - $500,000", 1.31},
	{"$500,001 - $1,000,000", 1.13},
	{"$1,000,001 - $5,000,000", 0.26},
	{"$5,000,001 - $25,000,000", 0.10},
	{"$25,000,001 - $50,000,000", 0.02},
	{"Over $50,000,000", 0.01},
}

// genComments: "--" 85.43%, then R 2.14%, sep 1.40%, 555 0.61%, Sep 0.28%,
// r 0.22%, Dividend Reinvestment 0.14%, SEP 0.13%, Child #2 0.07%, Jt
// 0.06%; the real long tail (3.98%, free text such as "Full sale from
// Wells Fargo Acct") is stood for by four made-up sentences, two with
// commas so that quoting is exercised. PDF rows have an empty comment.
var genComments = []genWeighted{
	{"--", 85.43}, {"R", 2.14}, {"sep", 1.40}, {"555", 0.61}, {"Sep", 0.28}, {"r", 0.22},
	{"Dividend Reinvestment", 0.14}, {"SEP", 0.13}, {"Child #2", 0.07}, {"Jt", 0.06},
	{"Full sale from brokerage account", 1.0},
	{"Underlying asset of family limited partnership", 1.0},
	{"Managed account; trade made by adviser, not filer", 1.0},
	{"Sub-asset holding of family trust, no direct control", 0.98},
}

// Asset kinds, with their asset_type text.
const (
	genKindStock = iota
	genKindBlank
	genKindMuni
	genKindOther
	genKindBond
	genKindNonPublic
	genKindOption
)

// genKinds: asset_type Stock 74.17%, "" 7.98% (older filings, described as
// "Company (NYSE)"), Municipal Security 4.24%, Other Securities 3.65%,
// Corporate Bond 2.41%, Non-Public Stock 1.01%, Stock Option 1.01%.
var genKinds = []genWeighted{
	genKindStock:     {"Stock", 74.17},
	genKindBlank:     {"", 7.98},
	genKindMuni:      {"Municipal Security", 4.24},
	genKindOther:     {"Other Securities", 3.65},
	genKindBond:      {"Corporate Bond", 2.41},
	genKindNonPublic: {"Non-Public Stock", 1.01},
	genKindOption:    {"Stock Option", 1.01},
}

// genUnknownTickerP is, per asset kind, the share of real electronic rows
// whose ticker is "--": Stock 688/6193, "" 131/666, Municipal Security
// 354/354, Other Securities 198/305, Corporate Bond 193/201, Non-Public
// Stock 84/84, Stock Option 0/84. Together 1648/7887 = 20.9% of the
// electronic rows.
var genUnknownTickerP = [...]float64{
	genKindStock:     688.0 / 6193,
	genKindBlank:     131.0 / 666,
	genKindMuni:      1,
	genKindOther:     198.0 / 305,
	genKindBond:      193.0 / 201,
	genKindNonPublic: 1,
	genKindOption:    0,
}

// Shape parameters, each with the real figure it imitates.
const (
	// genPDFRowShare: 463 of 8,350 real rows (5.54%) are "PDF Disclosed
	// Filing" rows, each alone under its own /paper/ link.
	genPDFRowShare = 0.0554
	// genPDFDescription is the real text of every PDF row.
	genPDFDescription = "This filing was disclosed via scanned PDF. Use link in ptr_link column to view the PDF."
	// genMaxFiling and genFilingExp: electronic filings hold 1..30 rows
	// with P(k) proportional to k^-1.1, so 29% hold one row, 13% two, and
	// the mean is 6.8 (real: 30%, 16%, mean 8.3 with a few longer ones).
	genMaxFiling = 30
	genFilingExp = 1.1
	// genSameDayP and genMaxWindow: the rows of a filing lie up to
	// genMaxWindow days before its newest date, or all on one day with
	// probability genSameDayP (real spread within a filing: 20% same day,
	// median 10 days, 90th percentile 28 days).
	genSameDayP  = 0.25
	genMaxWindow = 35
	// genActivityExp: the filer of activity rank k gets a share of the
	// trades proportional to k^-1.3 (times a jitter in [0.75, 1.25)). With
	// 66 filers, like the real data, the top one has about 30% of the
	// trades and the second about 12% (real: 31% and 10.5%).
	genActivityExp = 1.3
	// genFullSpanP and genMinSpanDays: a quarter of the filers are active
	// over the whole range; the others over a random 30..100% of it, at
	// least two years (a senator's term is six).
	genFullSpanP   = 0.25
	genMinSpanDays = 730
	// genBlockDays, genBusyP, genBusyRate, genQuietRate: filing dates
	// follow a rate that changes every 30 days; a quarter of the blocks
	// are busy (rate 6) and the rest quiet (rate 0.4), so about 80% of a
	// filer's filings fall in a quarter of its months.
	genBlockDays = 30
	genBusyP     = 0.25
	genBusyRate  = 6.0
	genQuietRate = 0.4
	// genTickerExp: ticker popularity is Zipf-like, rank k weighted k^-0.7
	// over genTickers (ordered by real popularity: AAPL, BAC, DISCA, PFE,
	// NFLX, ...).
	genTickerExp = 0.7
	// genFavouriteP, genMinFavourites, genMaxFavourites: a filer trades
	// its own 5..40 favourite tickers 70% of the time, as real filers buy
	// and later sell the same stocks; this gives the network analysis
	// overlapping portfolios to find.
	genFavouriteP    = 0.7
	genMinFavourites = 5
	genMaxFavourites = 40
	// genOwnerStickP: within a filing a row keeps the filing's owner with
	// this probability (real filings are mostly one owner's account);
	// the marginal owner shares are unchanged.
	genOwnerStickP = 0.6
	// genISODateP: 0.5% of dates are written YYYY-MM-DD (the real data
	// has none) so that parsers meet both accepted forms.
	genISODateP = 0.005
	// genNoMiddleP: 20% of names have no middle initial (real: 14 of 66
	// spellings).
	genNoMiddleP = 0.2
	// genMaleP: the share of filers with a man's first name (the Senate
	// of 2012-2020 was about 75% men); genMaleFirstNames is how many of
	// genFirstNames, at its head, are men's names.
	genMaleP          = 0.75
	genMaleFirstNames = 85
	// genSuffixP, genNicknameP, genDoubleSpaceP: shares of filers that
	// also appear under a second spelling (real: Jr/Iii suffixes on 5 of
	// 66 spellings, "Rafael Edward (Ted) Cruz", "Michael  B Enzi").
	// Suffixes go to men only, so a third of the men (a quarter of all
	// filers) get one.
	genSuffixP      = 0.25 / genMaleP
	genNicknameP    = 0.03
	genDoubleSpaceP = 0.02
	// genMiddleSlots: no middle initial, or A..Z.
	genMiddleSlots = 27
	// genFlushSize: the output is written in blocks of about this size.
	genFlushSize = 64 << 10
)

// genSuffixes are name suffixes ANALYTICS.md section 1 drops, spelled as
// in the real data ("David A Perdue , Jr", "Angus S King, Jr.", "Joseph
// Manchin, Iii").
var genSuffixes = []string{", Jr", ", Jr.", " , Jr", " III", ", Sr.", ", Iii"}

// genMunis are municipal issuers, styled as in the real data.
var genMunis = []string{
	"NASSAU CNTY N Y SWR &amp; STORM WTR FIN AUT REV BDS",
	"Kingsport Tenn Go Bond",
	"HONOLULU HAWAII CITY &amp; CNTY GO BDS",
	"Maricopa County Ariz INDL DEV",
	"Greater Orlando Aviation Authority Revenue Bond",
	"NEW YORK ST DORM AUTH REVS",
	"Massachusetts St Go Bds",
	"CALIFORNIA ST VAR PURP GO BDS",
	"Texas Transn Commn St Hwy Fd Rev",
	"Chicago Ill O Hare Intl Arpt Rev",
	"Denver Colo City &amp; Cnty Arpt Rev",
	"Wake County N C Ltd Oblig",
	"Fairfax Cnty Va Pub Impt Bds",
	"Ohio St Higher Edl Fac Commn Rev",
	"Seattle Wash Mun Lt &amp; Pwr Rev",
	"Pennsylvania St Tpk Commn Rev",
}

// genBondIssuers are corporate bond issuers and structured notes, styled
// as in the real data.
var genBondIssuers = []string{
	"OWENS &amp; MINOR",
	"GOLDMAN SACHS GROUP INC",
	"Barclays Contingent Autocall on Apple",
	"MS Contingent Autocall Marathon Petroleum",
	"UBS Contingent Autocall on SLB",
	"JPMORGAN CHASE &amp; CO",
	"VERIZON COMMUNICATIONS",
	"GENERAL ELECTRIC CAP CORP",
	"BANK OF AMERICA CORP",
	"WELLS FARGO &amp; CO MTN",
	"CITIGROUP INC",
	"FORD MTR CR CO LLC",
	"AT&amp;T INC",
	"COMCAST CORP NEW",
}

// genFunds are "Other Securities": funds with a ticker first, then funds
// that real filings list without one.
var genFunds = []struct{ ticker, name string }{
	{"EEM", "iShares MSCI Emerging Markets ETF"},
	{"SPY", "SPDR S&amp;P 500 ETF"},
	{"XBI", "SPDR S&amp;P Biotech ETF"},
	{"XSD", "SPDR S&amp;P Semiconductor ETF"},
	{"IYT", "iShares Transportation Average"},
	{"CEF", "Sprott Physical Gold and Silver Trust"},
	{"BSTZ", "BlackRock Science and Technology Trust II"},
	{"ETY", "Eaton Vance Tax-Managed Diversified Equity Income"},
	{"VTI", "Vanguard Total Stock Market ETF"},
	{"IVV", "iShares Core S&amp;P 500 ETF"},
	{"QQQ", "Invesco QQQ Trust"},
	{"MCHI", "iShares MSCI China ETF"},
	{"", "ACAP STRATEGIC INTERVAL"},
	{"", "Ishares Ibonds Dec 2018 term"},
	{"", "Ishares MSCI India Sm Cap"},
	{"", "Fidelity Government Money Market Fund"},
	{"", "Vanguard Wellington Fund Admiral Shares"},
	{"", "American Funds Growth Fund of America Class A"},
	{"", "PIMCO Total Return Fund Institutional"},
}

// genPrivate are made-up private companies for "Non-Public Stock" rows.
var genPrivate = []struct{ name, place, what string }{
	{"Blue Heron Timber Partners LLC", "Bend, OR", "Timberland investment partnership"},
	{"Harbor Point Ventures, L.P.", "Baltimore, MD", "Early-stage venture capital fund"},
	{"Cedar Ridge Farms, Inc.", "Des Moines, IA", "Family farming corporation"},
	{"Summit Lane Software, Inc.", "Austin, TX", "Developer of logistics software for small carriers"},
	{"Riverbend Medical Devices, Inc.", "Minneapolis, MN", "Maker of surgical instruments"},
	{"Granite State Brewing Co.", "Manchester, NH", "Regional craft brewery"},
	{"Prairie Wind Energy LLC", "Wichita, KS", "Wind farm developer"},
	{"Old Dominion Storage Partners", "Richmond, VA", "Self-storage real estate"},
}

// genWeighted is an outcome of a table and its weight.
type genWeighted struct {
	s string
	w float64
}

// genDist draws an index from a categorical distribution by inverse
// transform on normalized cumulative weights.
type genDist struct {
	cum []float64 // increasing; the last is exactly 1
}

func newGenDist(weights []float64) genDist {
	cum := make([]float64, len(weights))
	var s float64
	for i, w := range weights {
		s += w
		cum[i] = s
	}
	for i := range cum {
		cum[i] /= s
	}
	cum[len(cum)-1] = 1
	return genDist{cum: cum}
}

func newGenTable(t []genWeighted) (genDist, []string) {
	w := make([]float64, len(t))
	enc := make([]string, len(t))
	for i, e := range t {
		w[i] = e.w
		enc[i] = string(appendCSVField(nil, e.s))
	}
	return newGenDist(w), enc
}

// at returns the index whose cumulative interval holds u in [0, 1).
func (d genDist) at(u float64) int {
	if len(d.cum) <= 16 {
		for i, c := range d.cum {
			if u < c {
				return i
			}
		}
		return len(d.cum) - 1
	}
	i := sort.Search(len(d.cum), func(i int) bool { return d.cum[i] > u })
	return min(i, len(d.cum)-1)
}

func (d genDist) pick(r *genRand) int { return d.at(r.float()) }

// mean returns the mean of index+1 under d.
func (d genDist) mean() float64 {
	var m, prev float64
	for i, c := range d.cum {
		m += float64(i+1) * (c - prev)
		prev = c
	}
	return m
}

// genRand derives the few kinds of draws Generate needs from a PCG's
// 64-bit outputs, by fixed formulas, so the output depends on PCG alone.
type genRand struct{ src *rand.PCG }

func (r *genRand) u64() uint64 { return r.src.Uint64() }

// float returns a uniform float64 in [0, 1).
func (r *genRand) float() float64 { return float64(r.src.Uint64()>>11) * 0x1p-53 }

// intn returns a uniform int in [0, n), n > 0 (Lemire's method).
func (r *genRand) intn(n int) int {
	un := uint64(n)
	hi, lo := bits.Mul64(r.src.Uint64(), un)
	if lo < un {
		thresh := -un % un
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), un)
		}
	}
	return int(hi)
}

// genMix is the SplitMix64 finalizer; genHash keys per-filer features
// (busy months, favourite tickers) that are looked up rather than stored.
func genMix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func genHash(a, b uint64) uint64 { return genMix(a ^ genMix(b+0x9e3779b97f4a7c15)) }

func genUnit(h uint64) float64 { return float64(h>>11) * 0x1p-53 }

// genFiler is one politician and where its stream of filings stands.
// Filings are produced newest first: sigma walks from 0 (the newest day of
// the span) to total (the oldest) in activity-weighted days, each step the
// nearest of the filings still expected, so the filing dates are the order
// statistics of uniform points under the busy/quiet rate.
type genFiler struct {
	name, alias   string        // CSV-encoded spellings; alias is "" when there is none
	nick, suffix  string        // the nickname or suffix (as spelled) alias adds; "" when it adds none
	given, family string        // the given and family names, as given
	mid           byte          // the middle initial, 0 when none
	index         int           // index in the seed's sequence of filers (SkipPoliticians counted)
	json          *genFilerJSON // the JSON formats' texts; nil in the Senate CSV
	aliasP        float64       // probability that a filing uses alias
	key           uint64        // genHash key of the filer's looked-up features
	first, last   int64         // active span in days since 1970-01-01, inclusive
	left          int           // rows still to write
	sigma         float64       // weighted distance of the current filing from last
	total         float64       // weighted length of the span
	blk           int           // 30-day block (counted back from last) holding sigma
	blkSigma      float64       // weighted distance of block blk's newest day
	day           int64         // day of the current filing
	favs          int           // number of favourite tickers
}

// blockRate is the filing rate of the filer's block b.
func (f *genFiler) blockRate(b int) float64 {
	if genUnit(genHash(f.key, uint64(b))) < genBusyP {
		return genBusyRate
	}
	return genQuietRate
}

// weightedSpan returns the weighted length of the active span.
func (f *genFiler) weightedSpan() float64 {
	span := f.last - f.first + 1
	var s float64
	for b := 0; int64(b)*genBlockDays < span; b++ {
		lo := int64(b) * genBlockDays
		s += f.blockRate(b) * float64(min(genBlockDays, span-lo))
	}
	return s
}

// dayAt converts a weighted distance (not less than the previous one) to a
// day, moving the block cursor forward.
func (f *genFiler) dayAt(sigma float64) int64 {
	span := f.last - f.first + 1
	for {
		lo := int64(f.blk) * genBlockDays
		w := min(genBlockDays, span-lo)
		rate := f.blockRate(f.blk)
		next := f.blkSigma + rate*float64(w)
		if sigma < next || lo+w >= span {
			o := lo + int64((sigma-f.blkSigma)/rate)
			o = max(lo, min(o, lo+w-1))
			return f.last - o
		}
		f.blkSigma = next
		f.blk++
	}
}

// generator holds one run of Generate.
type generator struct {
	rng        genRand
	start, end int64 // cfg's dates in days since 1970-01-01
	filers     []genFiler
	heap       []int32 // filers with rows left, newest next filing first

	owners, types, amounts, comments, kinds, sizes, tickers genDist
	ownerEnc, typeEnc, amountEnc, commentEnc, kindEnc       []string
	tickerEnc, nameEnc, lowerEnc, exchEnc, upperName        []string // per genTickers entry
	lowerRaw, exchRaw                                       []string // lowerEnc and exchEnc as given
	raw                                                     string   // the ready description asset last drew

	pdfP          float64 // probability that a filing is a PDF filing
	rowsPerFiling float64 // mean rows of a filing, PDF ones included
	scratch       []byte

	format GenFormat
	json   genJSON // the JSON formats' state
	days   []int64 // filingDates' result
}

func newGenerator(cfg GenConfig) (*generator, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	g := &generator{
		rng:    genRand{src: rand.NewPCG(cfg.Seed, genStream)},
		start:  genDay(cfg.Start),
		end:    genDay(cfg.End),
		format: cfg.Format,
	}
	g.owners, g.ownerEnc = newGenTable(genOwners)
	g.types, g.typeEnc = newGenTable(genTypes)
	g.amounts, g.amountEnc = newGenTable(genAmounts)
	g.comments, g.commentEnc = newGenTable(genComments)
	g.kinds, g.kindEnc = newGenTable(genKinds)

	sizes := make([]float64, genMaxFiling)
	for k := range sizes {
		sizes[k] = math.Pow(float64(k+1), -genFilingExp)
	}
	g.sizes = newGenDist(sizes)
	// A filing is a PDF filing with probability q such that PDF rows make
	// genPDFRowShare of all rows: q / (q + (1-q)*m) = s.
	m, s := g.sizes.mean(), genPDFRowShare
	g.pdfP = s * m / (1 - s + s*m)
	g.rowsPerFiling = g.pdfP + (1-g.pdfP)*m

	tw := make([]float64, len(genTickers))
	g.tickerEnc = make([]string, len(genTickers))
	g.nameEnc = make([]string, len(genTickers))
	g.lowerEnc = make([]string, len(genTickers))
	g.exchEnc = make([]string, len(genTickers))
	g.upperName = make([]string, len(genTickers))
	for i, t := range genTickers {
		tw[i] = math.Pow(float64(i+1), -genTickerExp)
		g.tickerEnc[i] = string(appendCSVField(nil, t.ticker))
		g.nameEnc[i] = string(appendCSVField(nil, t.name))
		g.lowerRaw = append(g.lowerRaw, strings.ToLower(t.ticker))
		g.exchRaw = append(g.exchRaw, t.name+" ("+t.exchange+")")
		g.lowerEnc[i] = string(appendCSVField(nil, g.lowerRaw[i]))
		g.exchEnc[i] = string(appendCSVField(nil, g.exchRaw[i]))
		g.upperName[i] = strings.ReplaceAll(strings.ToUpper(t.name), "&AMP;", "&amp;")
	}
	g.tickers = newGenDist(tw)

	g.filers = make([]genFiler, cfg.SkipPoliticians+cfg.Politicians)
	g.makeNames(cfg.Seed)
	g.filers = g.filers[cfg.SkipPoliticians:]
	if g.format != GenSenateCSV {
		g.initJSON(cfg.Seed, cfg.Trades)
	}
	g.allocate(cfg.Trades)
	g.makeSpans(cfg.Seed)

	g.heap = make([]int32, 0, len(g.filers))
	for i := range g.filers {
		if f := &g.filers[i]; f.left > 0 {
			g.advance(f)
			g.heap = append(g.heap, int32(i))
		}
	}
	for i := len(g.heap)/2 - 1; i >= 0; i-- {
		g.down(i)
	}
	return g, nil
}

// makeNames gives every filer a distinct name (distinct politician id) and,
// for some, a second spelling with the same id.
func (g *generator) makeNames(seed uint64) {
	r := &g.rng
	nf, nl := len(genFirstNames), len(genLastNames)
	capacity := uint32(nf * nl * genMiddleSlots)
	used := make(map[uint32]struct{}, len(g.filers)) // membership only, never iterated
	var b strings.Builder
	for i := range g.filers {
		var key uint32
		for try := 0; ; try++ {
			if try < 32 {
				fi := genMaleFirstNames + r.intn(nf-genMaleFirstNames)
				if r.float() < genMaleP {
					fi = r.intn(genMaleFirstNames)
				}
				li, mid := r.intn(nl), 0
				if r.float() >= genNoMiddleP {
					mid = 1 + r.intn(genMiddleSlots-1)
				}
				key = uint32((fi*nl+li)*genMiddleSlots + mid)
			} else {
				key = (key + 1) % capacity // at most a quarter is used: ends soon
			}
			if _, ok := used[key]; !ok {
				break
			}
		}
		used[key] = struct{}{}
		mid := int(key % genMiddleSlots)
		li := int(key / genMiddleSlots % uint32(nl))
		fi := int(key / genMiddleSlots / uint32(nl))
		first, last := genFirstNames[fi], genLastNames[li]
		rest := last // what follows the first name
		if mid > 0 {
			rest = string(rune('A'+mid-1)) + " " + last
		}
		f := &g.filers[i]
		f.name = string(appendCSVField(nil, first.name+" "+rest))
		f.given, f.family, f.index = first.name, last, i
		if mid > 0 {
			f.mid = byte('A' + mid - 1)
		}
		alias := ""
		switch u := r.float(); {
		case u < genSuffixP:
			if fi < genMaleFirstNames {
				f.suffix = genSuffixes[r.intn(len(genSuffixes))]
				alias = first.name + " " + rest + f.suffix
			}
		case u < genSuffixP+genNicknameP && first.nick != "":
			b.Reset()
			b.WriteString(first.name)
			if mid > 0 {
				b.WriteString(" " + string(rune('A'+mid-1)))
			}
			b.WriteString(" (" + first.nick + ") " + last)
			alias = b.String()
			f.nick = first.nick
		case u < genSuffixP+genNicknameP+genDoubleSpaceP:
			alias = first.name + "  " + rest
		}
		if alias != "" {
			f.alias = string(appendCSVField(nil, alias))
			f.aliasP = 0.2 + 0.6*r.float()
		}
		f.key = genHash(seed, uint64(i))
		f.favs = genMinFavourites + int(f.key%(genMaxFavourites-genMinFavourites+1))
	}
}

// allocate shares the trades out by a Zipf law over a random activity
// ranking: every filer gets one trade first when there are enough.
func (g *generator) allocate(trades int) {
	r := &g.rng
	n := len(g.filers)
	rank := make([]int32, n)
	for i := range rank {
		rank[i] = int32(i + 1)
	}
	for i := n - 1; i > 0; i-- {
		j := r.intn(i + 1)
		rank[i], rank[j] = rank[j], rank[i]
	}
	cum := make([]float64, n)
	var total float64
	for i := range cum {
		total += math.Pow(float64(rank[i]), -genActivityExp) * (0.75 + 0.5*r.float())
		cum[i] = total
	}
	base, extra := 0, trades
	if trades >= n {
		base, extra = 1, trades-n
	}
	assigned, prev := 0, 0.0
	for i := range g.filers {
		k := int(float64(extra) * (cum[i] - prev) / total)
		prev = cum[i]
		k = min(k, extra-assigned)
		g.filers[i].left = base + k
		assigned += k
	}
	for range extra - assigned {
		u := r.float() * total
		i := sort.Search(n, func(i int) bool { return cum[i] > u })
		g.filers[min(i, n-1)].left++
	}
}

// makeSpans picks each filer's active span.
func (g *generator) makeSpans(seed uint64) {
	r := &g.rng
	days := g.end - g.start + 1
	for i := range g.filers {
		f := &g.filers[i]
		f.first, f.last = g.start, g.end
		if days > genMinSpanDays && r.float() >= genFullSpanP {
			span := max(genMinSpanDays, int64(float64(days)*(0.3+0.7*r.float())))
			span = min(span, days)
			f.first = g.start + int64(r.intn(int(days-span+1)))
			f.last = f.first + span - 1
		}
		f.total = f.weightedSpan()
	}
}

// advance moves f to its next (older) filing: the nearest of the filings
// f is still expected to make, spread uniformly over the weighted rest of
// its span.
func (g *generator) advance(f *genFiler) {
	k := math.Ceil(float64(f.left) / g.rowsPerFiling)
	f.sigma += (f.total - f.sigma) * (1 - math.Pow(g.rng.float(), 1/k))
	f.day = f.dayAt(f.sigma)
}

// less orders the heap: newer filing first, then the lower filer index.
func (g *generator) less(a, b int32) bool {
	da, db := g.filers[a].day, g.filers[b].day
	return da > db || da == db && a < b
}

func (g *generator) down(i int) {
	h := g.heap
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && g.less(h[r], h[l]) {
			c = r
		}
		if !g.less(h[c], h[i]) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// run writes the header and every filing, newest first.
func (g *generator) run(w io.Writer) error {
	buf := make([]byte, 0, genFlushSize+32<<10)
	if g.format == GenSenateCSV {
		buf = append(buf, genHeader...)
	} else {
		buf = append(buf, '[')
	}
	for len(g.heap) > 0 {
		f := &g.filers[g.heap[0]]
		switch g.format {
		case GenHouseJSON:
			buf = g.appendHouseFiling(buf, f)
		case GenSenateFilings:
			buf = g.appendSenateFiling(buf, f)
		default:
			buf = g.appendFiling(buf, f)
		}
		if f.left == 0 {
			last := len(g.heap) - 1
			g.heap[0] = g.heap[last]
			g.heap = g.heap[:last]
		} else {
			g.advance(f)
		}
		g.down(0)
		if len(buf) >= genFlushSize {
			if _, err := w.Write(buf); err != nil {
				return genWriteError(err)
			}
			buf = buf[:0]
		}
	}
	if g.format != GenSenateCSV {
		if g.json.elements > 0 {
			buf = append(buf, '\n')
		}
		buf = append(buf, "]\n"...)
	}
	if _, err := w.Write(buf); err != nil {
		return genWriteError(err)
	}
	return nil
}

func genWriteError(err error) error { return fmt.Errorf("ingest: gen: write: %w", err) }

// appendFiling appends f's current filing and counts its rows off f.left.
func (g *generator) appendFiling(b []byte, f *genFiler) []byte {
	r := &g.rng
	name := f.name
	if f.alias != "" && r.float() < f.aliasP {
		name = f.alias
	}
	hi, lo := r.u64(), r.u64()
	if r.float() < g.pdfP {
		f.left--
		b = appendGenDate(b, f.day, r.float() < genISODateP)
		b = append(b, ",N/A,N/A,"+genPDFDescription+",PDF Disclosed Filing,N/A,Unknown,,"...)
		b = append(b, name...)
		b = append(b, ",https://efdsearch.senate.gov/search/view/paper/"...)
		b = appendUUID(b, hi, lo)
		return append(b, "/\n"...)
	}
	n := min(g.sizes.pick(r)+1, f.left)
	f.left -= n
	owner := g.owners.pick(r)
	window := 0
	if r.float() >= genSameDayP {
		window = 1 + r.intn(genMaxWindow)
	}
	for range n {
		day := max(f.day-int64(r.intn(window+1)), g.start)
		b = appendGenDate(b, day, r.float() < genISODateP)
		b = append(b, ',')
		o := owner
		if r.float() >= genOwnerStickP {
			o = g.owners.pick(r)
		}
		b = append(b, g.ownerEnc[o]...)
		b = append(b, ',')
		b = g.appendAsset(b, f, day)
		b = append(b, ',')
		b = append(b, g.typeEnc[g.types.pick(r)]...)
		b = append(b, ',')
		b = append(b, g.amountEnc[g.amounts.pick(r)]...)
		b = append(b, ',')
		b = append(b, g.commentEnc[g.comments.pick(r)]...)
		b = append(b, ',')
		b = append(b, name...)
		b = append(b, ",https://efdsearch.senate.gov/search/view/ptr/"...)
		b = appendUUID(b, hi, lo)
		b = append(b, "/\n"...)
	}
	return b
}

// pickTicker returns a genTickers index: one of f's favourites, or one
// drawn from the Zipf law over all.
func (g *generator) pickTicker(f *genFiler) int {
	r := &g.rng
	if r.float() < genFavouriteP {
		j := r.intn(f.favs)
		return g.tickers.at(genUnit(genHash(f.key, uint64(j)|1<<63)))
	}
	return g.tickers.pick(r)
}

// appendAsset appends the ticker, asset_description and asset_type fields
// of an electronic row dated day.
func (g *generator) appendAsset(b []byte, f *genFiler, day int64) []byte {
	ticker, enc, desc, kind := g.asset(f, day)
	b = append(b, ticker...)
	b = append(b, ',')
	if enc != "" {
		b = append(b, enc...)
	} else {
		b = appendCSVField(b, desc)
	}
	b = append(b, ',')
	return append(b, g.kindEnc[kind]...)
}

// asset draws the asset of an electronic row dated day: its ticker ("--"
// when unknown; no ticker needs CSV quoting), its description and its
// kind (a genKinds index). The description is either a ready string, enc
// CSV-encoded and g.raw as given, or built in desc (g.scratch), not
// encoded; enc is "" then.
func (g *generator) asset(f *genFiler, day int64) (ticker, enc string, desc []byte, kind int) {
	r := &g.rng
	kind = g.kinds.pick(r)
	unknown := r.float() < genUnknownTickerP[kind]
	ticker = "--"
	s := g.scratch[:0] // the description when it is not a ready string
	switch kind {
	case genKindStock:
		t := g.pickTicker(f)
		if !unknown {
			ticker, enc, g.raw = g.tickerEnc[t], g.nameEnc[t], genTickers[t].name
			break
		}
		// Real "--" stock rows name the stock by a lower-case ticker
		// ("msft"), by the company alone, or as "Company (TICKER)".
		switch v := r.intn(10); {
		case v < 4:
			enc, g.raw = g.lowerEnc[t], g.lowerRaw[t]
		case v < 8:
			enc, g.raw = g.nameEnc[t], genTickers[t].name
		default:
			s = append(s, genTickers[t].name...)
			s = append(s, " ("...)
			s = append(s, genTickers[t].ticker...)
			s = append(s, ')')
		}
	case genKindBlank:
		t := g.pickTicker(f)
		if !unknown {
			ticker, enc, g.raw = g.tickerEnc[t], g.exchEnc[t], g.exchRaw[t]
		} else if r.intn(2) == 0 {
			s = append(s, genTickers[t].ticker...)
			s = append(s, " (stock option)"...)
		} else {
			enc, g.raw = g.nameEnc[t], genTickers[t].name
		}
	case genKindMuni:
		s = append(s, genMunis[r.intn(len(genMunis))]...)
		s = g.appendCoupon(s, day)
	case genKindOther:
		var fund int
		if unknown {
			fund = r.intn(len(genFunds))
		} else {
			fund = r.intn(genFundsWithTicker)
			ticker = genFunds[fund].ticker
		}
		s = append(s, genFunds[fund].name...)
	case genKindBond:
		if unknown {
			s = append(s, genBondIssuers[r.intn(len(genBondIssuers))]...)
		} else {
			t := g.pickTicker(f)
			ticker = g.tickerEnc[t]
			s = append(s, g.upperName[t]...)
		}
		s = g.appendCoupon(s, day)
	case genKindNonPublic:
		p := genPrivate[r.intn(len(genPrivate))]
		s = append(s, p.name...)
		s = append(s, ` <div class="text-muted"> <em>Company:</em> `...)
		s = append(s, p.name...)
		s = append(s, ` &nbsp;(`...)
		s = append(s, p.place...)
		s = append(s, `) </div> <div class="text-muted"><em>Description:</em>&nbsp;`...)
		s = append(s, p.what...)
		s = append(s, `</div>`...)
	case genKindOption:
		t := g.pickTicker(f)
		ticker = g.tickerEnc[t]
		s = append(s, genTickers[t].name...)
		s = append(s, ` <div class="text-muted">Option Type: `...)
		if r.intn(2) == 0 {
			s = append(s, "Call"...)
		} else {
			s = append(s, "Put"...)
		}
		s = append(s, ` <br><em>Strike price:</em> $`...)
		s = strconv.AppendInt(s, int64(5*(2+r.intn(60))), 10)
		s = append(s, `.00 <br> <em>Expires:</em> `...)
		s = appendGenDate(s, day+int64(30+r.intn(336)), false)
		s = append(s, " </div>"...)
	}
	g.scratch = s
	return ticker, enc, s, kind
}

// appendCoupon appends a bond's coupon (2.00% to 5.00%) and maturity (1 to
// 25 years after day) in the real data's markup.
func (g *generator) appendCoupon(s []byte, day int64) []byte {
	r := &g.rng
	c := 200 + 25*r.intn(13)
	s = append(s, ` <div class="text-muted"><em>Rate/Coupon:</em> `...)
	s = strconv.AppendInt(s, int64(c/100), 10)
	s = append(s, '.', byte('0'+c/10%10), byte('0'+c%10), '%')
	s = append(s, `<br> <em>Matures:</em> `...)
	s = appendGenDate(s, day+int64(365+r.intn(24*365)), false)
	return append(s, "</div>"...)
}

// genFundsWithTicker is how many leading genFunds have a ticker.
const genFundsWithTicker = 12

// appendCSVField appends s as one CSV field, quoted as encoding/csv's
// Writer would: when it holds a comma, quote, CR or LF, or starts with a
// space or tab.
func appendCSVField[S string | []byte](b []byte, s S) []byte {
	quote := len(s) > 0 && (s[0] == ' ' || s[0] == '\t')
	for i := 0; i < len(s) && !quote; i++ {
		switch s[i] {
		case ',', '"', '\r', '\n':
			quote = true
		}
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendUUID appends hi and lo as a version-4 UUID (8-4-4-4-12 lower-case
// hex), the form of the real ptr_link ids.
func appendUUID(b []byte, hi, lo uint64) []byte {
	const hex = "0123456789abcdef"
	hi = hi&^(0xf<<12) | 4<<12
	lo = lo&^(3<<62) | 2<<62
	for i := 60; i >= 0; i -= 4 {
		if i == 28 || i == 12 {
			b = append(b, '-')
		}
		b = append(b, hex[hi>>uint(i)&0xf])
	}
	for i := 60; i >= 0; i -= 4 {
		if i == 60 || i == 44 {
			b = append(b, '-')
		}
		b = append(b, hex[lo>>uint(i)&0xf])
	}
	return b
}

// genDay returns t's calendar date as days since 1970-01-01.
func genDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// appendGenDate appends day (days since 1970-01-01, year 0..9999) as
// MM/DD/YYYY, or YYYY-MM-DD when iso. The civil-from-days conversion is
// Howard Hinnant's.
//
// References:
//   - H. Hinnant, "chrono-Compatible Low-Level Date Algorithms",
//     https://howardhinnant.github.io/date_algorithms.html
func appendGenDate(b []byte, day int64, iso bool) []byte {
	z := day + 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	two := func(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }
	four := func(b []byte, v int64) []byte { return append(two(b, v/100), byte('0'+v/10%10), byte('0'+v%10)) }
	if iso {
		b = four(b, y)
		b = append(b, '-')
		b = two(b, m)
		b = append(b, '-')
		return two(b, d)
	}
	b = two(b, m)
	b = append(b, '/')
	b = two(b, d)
	b = append(b, '/')
	return four(b, y)
}

// genTickers are the 200 tickers real Senate filers traded most, most
// traded first, with the company names and exchanges of the real rows
// (their "&amp;" included).
var genTickers = [...]struct{ ticker, name, exchange string }{
	{"AAPL", "Apple Inc.", "NASDAQ"},
	{"BAC", "Bank of America Corporation", "NYSE"},
	{"DISCA", "Discovery, Inc.", "NASDAQ"},
	{"PFE", "Pfizer Inc.", "NYSE"},
	{"NFLX", "Netflix, Inc.", "NASDAQ"},
	{"DIS", "The Walt Disney Company", "NYSE"},
	{"FDC", "First Data Corporation", "NYSE"},
	{"MSFT", "Microsoft Corporation", "NASDAQ"},
	{"URBN", "Urban Outfitters, Inc.", "NASDAQ"},
	{"FEYE", "FireEye, Inc.", "NASDAQ"},
	{"T", "AT&amp;T Inc.", "NYSE"},
	{"CZR", "Caesars Entertainment Corporation", "NASDAQ"},
	{"AMZN", "Amazon.com, Inc.", "NASDAQ"},
	{"NVDA", "NVIDIA Corporation", "NASDAQ"},
	{"WPX", "WPX Energy, Inc.", "NYSE"},
	{"GE", "General Electric Company", "NYSE"},
	{"HBI", "Hanesbrands Inc.", "NYSE"},
	{"FB", "Facebook, Inc.", "NASDAQ"},
	{"WMT", "Walmart Inc.", "NYSE"},
	{"FDX", "FedEx Corporation", "NYSE"},
	{"MRK", "Merck &amp; Co., Inc.", "NYSE"},
	{"XOM", "Exxon Mobil Corporation", "NYSE"},
	{"WFC", "Wells Fargo &amp; Company", "NYSE"},
	{"GPK", "Graphic Packaging Holding Company", "NYSE"},
	{"GM", "General Motors Company", "NYSE"},
	{"PG", "The Procter &amp; Gamble Company", "NYSE"},
	{"BWXT", "BWX Technologies, Inc.", "NYSE"},
	{"GLW", "Corning Incorporated", "NYSE"},
	{"LYV", "Live Nation Entertainment, Inc.", "NYSE"},
	{"ENTG", "Entegris, Inc.", "NASDAQ"},
	{"MOS", "The Mosaic Company", "NYSE"},
	{"DD", "DuPont de Nemours, Inc.", "NYSE"},
	{"LGF-B", "Lions Gate Entertainment Corp.", "NYSE"},
	{"CSCO", "Cisco Systems, Inc.", "NASDAQ"},
	{"CVS", "CVS Health Corporation", "NYSE"},
	{"GILD", "Gilead Sciences Inc.", "NASDAQ"},
	{"RF", "Regions Financial Corporation", "NYSE"},
	{"KR", "The Kroger Co.", "NYSE"},
	{"SBUX", "Starbucks Corporation", "NASDAQ"},
	{"BA", "The Boeing Company", "NYSE"},
	{"QCOM", "QUALCOMM Incorporated", "NASDAQ"},
	{"CVX", "Chevron Corporation", "NYSE"},
	{"KN", "Knowles Corporation", "NASDAQ"},
	{"DVN", "Devon Energy Corporation", "NYSE"},
	{"JPM", "JPMorgan Chase &amp; Co.", "NYSE"},
	{"BAX", "Baxter International Inc.", "NYSE"},
	{"FOXA", "Twenty-First Century Fox, Inc.", "NASDAQ"},
	{"COST", "Costco Wholesale Corporation", "NASDAQ"},
	{"AXTA", "Axalta Coating Systems Ltd.", "NYSE"},
	{"CBS", "CBS Corporation", "NYSE"},
	{"PEP", "PepsiCo, Inc.", "NASDAQ"},
	{"WMB", "The Williams Companies, Inc.", "NYSE"},
	{"IBM", "International Business Machines Corporation", "NYSE"},
	{"C", "Citigroup Inc.", "NYSE"},
	{"BMY", "Bristol-Myers Squibb Company", "NYSE"},
	{"SLB", "Schlumberger Limited", "NYSE"},
	{"WLK", "Westlake Chemical Corporation", "NYSE"},
	{"JNJ", "Johnson &amp; Johnson", "NYSE"},
	{"AMGN", "Amgen Inc.", "NASDAQ"},
	{"VSM", "Versum Materials, Inc.", "NASDAQ"},
	{"WFM", "Whole Foods Market, Inc.", "NASDAQ"},
	{"VZ", "Verizon Communications Inc.", "NYSE"},
	{"BRK-B", "Berkshire Hathaway Inc.", "NYSE"},
	{"HYH", "Halyard Health, Inc.", "NYSE"},
	{"UPS", "United Parcel Service, Inc.", "NYSE"},
	{"INTC", "Intel Corporation", "NASDAQ"},
	{"TRP", "TransCanada Corporation", "NYSE"},
	{"CELG", "Celgene Corporation", "NASDAQ"},
	{"PYPL", "PayPal Holdings, Inc.", "NASDAQ"},
	{"ENB", "Enbridge Inc.", "NYSE"},
	{"KO", "The Coca-Cola Company", "NYSE"},
	{"DHR", "Danaher Corporation", "NYSE"},
	{"AAN", "Aaron's, Inc.", "NYSE"},
	{"V", "Visa Inc.", "NYSE"},
	{"USB", "U.S. Bancorp", "NYSE"},
	{"NOC", "Northrop Grumman Corporation", "NYSE"},
	{"CAT", "Caterpillar Inc.", "NYSE"},
	{"GOOG", "Alphabet Inc.", "NASDAQ"},
	{"KMI", "Kinder Morgan, Inc.", "NYSE"},
	{"PAA", "Plains All American Pipeline, L.P.", "NYSE"},
	{"USG", "USG Corporation", "NYSE"},
	{"PFS", "Provident Financial Services, Inc.", "NYSE"},
	{"ABBV", "AbbVie Inc.", "NYSE"},
	{"ORCL", "Oracle Corporation", "NYSE"},
	{"PRU", "Prudential Financial, Inc.", "NYSE"},
	{"EMR", "Emerson Electric Co.", "NYSE"},
	{"TRGP", "Targa Resources Corp.", "NASDAQ"},
	{"GS", "The Goldman Sachs Group, Inc.", "NYSE"},
	{"BIIB", "Biogen Inc.", "NASDAQ"},
	{"WPZ", "Williams Partners L.P.", "NYSE"},
	{"DOW", "Dow Inc.", "NYSE"},
	{"TSLA", "Tesla, Inc.", "NASDAQ"},
	{"CMCSA", "Comcast Corporation", "NASDAQ"},
	{"COP", "ConocoPhillips", "NYSE"},
	{"F", "Ford Motor Company", "NYSE"},
	{"ALB", "Albemarle Corporation", "NYSE"},
	{"SYY", "Sysco Corporation", "NYSE"},
	{"OKE", "ONEOK, Inc.", "NYSE"},
	{"TJX", "The TJX Companies, Inc.", "NYSE"},
	{"DAL", "Delta Air Lines, Inc.", "NYSE"},
	{"TMO", "Thermo Fisher Scientific Inc.", "NASDAQ"},
	{"TGT", "Target Corporation", "NYSE"},
	{"MU", "Micron Technology, Inc.", "NASDAQ"},
	{"ABT", "Abbott Laboratories", "NYSE"},
	{"MDT", "Medtronic plc", "NYSE"},
	{"ADI", "Analog Devices, Inc.", "NASDAQ"},
	{"DWDP", "DowDuPont Inc.", "NYSE"},
	{"AXLL", "Axiall Corporation", "NYSE"},
	{"CB", "Chubb Limited", "NYSE"},
	{"MCD", "McDonald's Corporation", "NYSE"},
	{"RTN", "Raytheon Company", "NYSE"},
	{"STT", "State Street Corporation", "NYSE"},
	{"VFC", "V.F. Corporation", "NYSE"},
	{"CIT", "CIT Group Inc.", "NYSE"},
	{"ICE", "Intercontinental Exchange, Inc.", "NYSE"},
	{"MA", "Mastercard Incorporated", "NYSE"},
	{"NKE", "NIKE, Inc.", "NYSE"},
	{"FOX", "Twenty-First Century Fox, Inc.", "NASDAQ"},
	{"ET", "Energy Transfer LP", "NYSE"},
	{"GIS", "General Mills, Inc.", "NYSE"},
	{"TAP", "Molson Coors Brewing Company", "NYSE"},
	{"PKI", "PerkinElmer, Inc.", "NYSE"},
	{"ADT", "The ADT Corporation", "NYSE"},
	{"CLX", "The Clorox Company", "NYSE"},
	{"LOW", "Lowe's Companies, Inc.", "NYSE"},
	{"BABA", "Alibaba Group Holding Limited", "NYSE"},
	{"CTSH", "Cognizant Technology Solutions Corporation", "NASDAQ"},
	{"KHC", "The Kraft Heinz Company", "NASDAQ"},
	{"UTX", "United Technologies Corporation", "NYSE"},
	{"AGN", "Allergan plc", "NASDAQ"},
	{"WTW", "Weight Watchers International, Inc.", "NASDAQ"},
	{"CLR", "Continental Resources, Inc.", "NYSE"},
	{"NWL", "Newell Brands Inc.", "NYSE"},
	{"CVC", "Cablevision Systems Corporation", "NASDAQ"},
	{"RDS-B", "Royal Dutch Shell plc", "NYSE"},
	{"RPM", "RPM International Inc.", "NYSE"},
	{"BK", "The Bank of New York Mellon Corporation", "NYSE"},
	{"EXR", "Extra Space Storage Inc.", "NYSE"},
	{"SYK", "Stryker Corporation", "NYSE"},
	{"MDLZ", "Mondelez International, Inc.", "NASDAQ"},
	{"M", "Macy's, Inc.", "NYSE"},
	{"EPD", "Enterprise Products Partners L.P.", "NYSE"},
	{"MPLX", "MPLX LP", "NYSE"},
	{"CME", "CME Group Inc.", "NASDAQ"},
	{"BLK", "BlackRock, Inc.", "NYSE"},
	{"AM", "Antero Midstream Partners LP", "NYSE"},
	{"BPL", "Buckeye Partners, L.P.", "NYSE"},
	{"MYL", "Mylan N.V.", "NASDAQ"},
	{"AXP", "American Express Company", "NYSE"},
	{"CRMT", "America's Car-Mart, Inc.", "NASDAQ"},
	{"PSA", "Public Storage", "NYSE"},
	{"VIAC", "ViacomCBS Inc.", "NYSE"},
	{"NWSA", "News Corporation", "NASDAQ"},
	{"ACA", "Arcosa, Inc.", "NYSE"},
	{"UHAL", "AMERCO", "NASDAQ"},
	{"SU", "Suncor Energy Inc.", "NYSE"},
	{"PAGP", "Plains GP Holdings, L.P.", "NYSE"},
	{"LNG", "Cheniere Energy, Inc.", "NYSE"},
	{"SHLX", "Shell Midstream Partners, L.P.", "NYSE"},
	{"SO", "The Southern Company", "NYSE"},
	{"JCI", "Johnson Controls International plc", "NYSE"},
	{"ETP", "Energy Transfer Partners, L.P.", "NYSE"},
	{"NVS", "Novartis AG", "NYSE"},
	{"AVP", "Avon Products, Inc.", "NYSE"},
	{"BUD", "Anheuser-Busch InBev SA/NV", "NYSE"},
	{"ETN", "Eaton Corporation plc", "NYSE"},
	{"LRCX", "Lam Research Corporation", "NASDAQ"},
	{"WBA", "Walgreens Boots Alliance, Inc.", "NASDAQ"},
	{"DISH", "DISH Network Corporation", "NASDAQ"},
	{"BYND", "Beyond Meat, Inc.", "NASDAQ"},
	{"HAL", "Halliburton Company", "NYSE"},
	{"OXY", "Occidental Petroleum Corporation", "NYSE"},
	{"MPC", "Marathon Petroleum Corporation", "NYSE"},
	{"AMAT", "Applied Materials, Inc.", "NASDAQ"},
	{"MMM", "3M Company", "NYSE"},
	{"AMT", "American Tower Corporation", "NYSE"},
	{"GOOGL", "Alphabet Inc.", "NASDAQ"},
	{"HON", "Honeywell International Inc.", "NYSE"},
	{"BKNG", "Booking Holdings Inc.", "NASDAQ"},
	{"SUN", "Sunoco LP", "NYSE"},
	{"NSC", "Norfolk Southern Corporation", "NYSE"},
	{"MET", "MetLife, Inc.", "NYSE"},
	{"AIG", "American International Group, Inc.", "NYSE"},
	{"ADP", "Automatic Data Processing, Inc.", "NASDAQ"},
	{"GEL", "Genesis Energy LP", "NYSE"},
	{"WES", "Western Midstream Partners, LP", "NYSE"},
	{"IVZ", "Invesco Ltd.", "NYSE"},
	{"UNH", "UnitedHealth Group Incorporated", "NYSE"},
	{"ISRG", "Intuitive Surgical, Inc.", "NASDAQ"},
	{"COF", "Capital One Financial Corporation", "NYSE"},
	{"VLP", "Valero Energy Partners LP", "NYSE"},
	{"PX", "Praxair Inc.", "NYSE"},
	{"BIDU", "Baidu, Inc.", "NASDAQ"},
	{"ESRX", "Express Scripts Holding Company", "NASDAQ"},
	{"UA", "Under Armour, Inc.", "NYSE"},
	{"SE", "Spectra Energy Corp.", "NYSE"},
	{"CAB", "Cabela's Incorporated", "NASDAQ"},
	{"SWKS", "Skyworks Solutions, Inc.", "NASDAQ"},
	{"ARNA", "Arena Pharmaceuticals, Inc.", "NASDAQ"},
	{"KLAC", "KLA Corporation", "NASDAQ"},
}

// genFirstNames are given names and a nickname ("" when none) for the
// "William J (Bill) Smith" spelling. Folded as ANALYTICS.md section 1 says,
// each is one token of two or more letters, distinct from the others and
// from the dropped suffixes, so that distinct name choices give distinct
// politician ids. A few carry accents to exercise the folding.
var genFirstNames = [...]struct{ name, nick string }{
	{"James", "Jim"}, {"John", "Jack"}, {"Robert", "Bob"}, {"Michael", "Mike"}, {"William", "Bill"},
	{"David", "Dave"}, {"Richard", "Dick"}, {"Joseph", "Joe"}, {"Thomas", "Tom"},
	{"Charles", "Chuck"}, {"Christopher", "Chris"}, {"Daniel", "Dan"}, {"Matthew", "Matt"},
	{"Anthony", "Tony"}, {"Mark", ""}, {"Donald", "Don"}, {"Steven", "Steve"}, {"Paul", ""},
	{"Andrew", "Andy"}, {"Joshua", "Josh"}, {"Kenneth", "Ken"}, {"Kevin", ""}, {"Brian", ""},
	{"George", ""}, {"Timothy", "Tim"}, {"Ronald", "Ron"}, {"Edward", "Ted"}, {"Jason", ""},
	{"Jeffrey", "Jeff"}, {"Ryan", ""}, {"Jacob", "Jake"}, {"Gary", ""}, {"Nicholas", "Nick"},
	{"Eric", ""}, {"Jonathan", "Jon"}, {"Stephen", "Steve"}, {"Larry", ""}, {"Justin", ""},
	{"Scott", ""}, {"Brandon", ""}, {"Benjamin", "Ben"}, {"Samuel", "Sam"}, {"Gregory", "Greg"},
	{"Frank", ""}, {"Alexander", "Alex"}, {"Raymond", "Ray"}, {"Patrick", "Pat"}, {"Dennis", ""},
	{"Tyler", ""}, {"Aaron", ""}, {"Henry", "Hank"}, {"Douglas", "Doug"}, {"Peter", "Pete"},
	{"Adam", ""}, {"Nathan", "Nate"}, {"Walter", "Walt"}, {"Harold", "Hal"}, {"Kyle", ""},
	{"Carl", ""}, {"Arthur", "Art"}, {"Gerald", "Jerry"}, {"Roger", ""}, {"Keith", ""},
	{"Jeremy", ""}, {"Lawrence", "Larry"}, {"Terry", ""}, {"Sean", ""}, {"Albert", "Al"},
	{"Ethan", ""}, {"Austin", ""}, {"Jesse", ""}, {"Bruce", ""}, {"Jordan", ""}, {"Ralph", ""},
	{"Roy", ""}, {"Eugene", "Gene"}, {"Wayne", ""}, {"Alan", ""}, {"Louis", "Lou"},
	{"Russell", "Russ"}, {"Gabriel", "Gabe"}, {"Randy", ""}, {"Philip", "Phil"}, {"Vincent", "Vince"},
	{"Mitchell", "Mitch"}, {"Mary", ""}, {"Patricia", "Patty"}, {"Jennifer", "Jen"}, {"Linda", ""},
	{"Elizabeth", "Liz"}, {"Barbara", "Barb"}, {"Susan", "Sue"}, {"Jessica", ""}, {"Sarah", ""},
	{"Karen", ""}, {"Nancy", ""}, {"Lisa", ""}, {"Margaret", "Peggy"}, {"Sandra", "Sandy"},
	{"Dorothy", "Dot"}, {"Kimberly", "Kim"}, {"Emily", ""}, {"Donna", ""}, {"Michelle", ""},
	{"Carol", ""}, {"Amanda", "Mandy"}, {"Melissa", ""}, {"Deborah", "Debbie"}, {"Stephanie", ""},
	{"Rebecca", "Becky"}, {"Laura", ""}, {"Sharon", ""}, {"Cynthia", "Cindy"}, {"Kathleen", "Kathy"},
	{"Amy", ""}, {"Angela", "Angie"}, {"Helen", ""}, {"Anna", ""}, {"Brenda", ""}, {"Pamela", "Pam"},
	{"Nicole", ""}, {"Katherine", "Kate"}, {"Christine", "Chris"}, {"Rachel", ""},
	{"Catherine", "Cathy"}, {"Carolyn", ""}, {"Janet", ""}, {"Ruth", ""}, {"Maria", ""},
	{"Heather", ""}, {"Diane", ""}, {"Virginia", "Ginny"}, {"Julie", ""}, {"Joyce", ""},
	{"Victoria", "Vicky"}, {"Kelly", ""}, {"Christina", "Tina"}, {"Joan", ""}, {"Evelyn", ""},
	{"Lauren", ""}, {"Judith", "Judy"}, {"Frances", "Fran"}, {"Martha", ""}, {"Cheryl", ""},
	{"Megan", ""}, {"Andrea", ""}, {"Jacqueline", "Jackie"}, {"Jean", ""}, {"Alice", ""},
	{"Gloria", ""}, {"Teresa", "Terri"}, {"Janice", ""}, {"Julia", ""}, {"Marie", ""}, {"Grace", ""},
	{"Theresa", ""}, {"Beverly", "Bev"}, {"Denise", ""}, {"Marilyn", ""}, {"Abigail", "Abby"},
	{"Rose", ""}, {"Diana", ""}, {"Natalie", ""}, {"Jane", ""}, {"Tammy", ""}, {"Shelley", ""},
	{"Jeanne", ""}, {"Jacklyn", ""}, {"José", ""}, {"Renée", ""}, {"Zoë", ""}, {"Ramón", ""},
}

// genLastNames are family names, one token each, distinct after folding.
var genLastNames = [...]string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
	"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore",
	"Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez",
	"Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen",
	"Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell",
	"Carter", "Roberts", "Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards",
	"Collins", "Reyes", "Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez",
	"Ortiz", "Morgan", "Cooper", "Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim",
	"Cox", "Ward", "Richardson", "Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray",
	"Mendoza", "Ruiz", "Hughes", "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long",
	"Ross", "Foster", "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell",
	"Coleman", "Butler", "Henderson", "Barnes", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
	"Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno",
	"West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina", "Aguilar",
	"Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison", "Fernandez", "McDonald",
	"Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen", "Freeman", "Webb", "Tucker",
	"Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter", "Gordon", "Mendez",
	"Silva", "Shaw", "Snyder", "Mason", "Dixon", "Muñoz", "Hunt", "Hicks", "Holmes", "Palmer",
	"Wagner", "Black", "Robertson", "Boyd", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer",
	"Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver",
	"Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold", "Pierce", "Hansen",
	"Peters", "Santos", "Hart", "Bradley", "Knight", "Elliott", "Cunningham", "Duncan", "Armstrong",
	"Hudson", "Carroll", "Lane", "Riley", "Andrews", "Alvarado", "Berry", "Perkins", "Hoffman",
	"Johnston", "Matthews", "Richards", "Willis", "Carpenter", "Lawrence", "Chapman", "Ortega",
	"Watkins", "Greene", "Wheeler", "Harper", "Burke", "Larson", "Morrison", "Franklin", "Carlson",
	"Lawson", "Jacobs", "Lynch", "Singh", "Bishop", "Montgomery", "Oliver", "Jensen", "Harvey",
	"Williamson", "Gilbert", "Howell", "Wong", "Reid", "Hanson", "McCoy", "Garrett", "Burton",
	"Fuller", "Weber", "Welch", "Lucas", "Fields", "Park", "Banks", "Walsh", "Schultz", "Fowler",
	"Davidson", "Brewer", "Holland", "Newman", "Pearson", "Curtis", "Douglas", "Schneider", "Barrett",
	"Keller", "Stanley", "Hopkins", "Chambers", "Caldwell", "Lambert", "Craig", "Lowe", "Powers",
	"Neal", "Leonard", "Fleming", "Rhodes", "Shelton", "Jennings", "Walters", "Cohen", "Moran",
	"Steele", "Vaughn", "Becker", "Barker", "Benson", "Haynes", "Horton", "Lyons", "Thornton",
	"Wolfe", "Warner", "McKinney", "Zimmerman", "Dawson", "Fletcher", "Baldwin", "Hardy", "Higgins",
	"Cummings", "Chandler", "Barber", "Bowen", "Ramsey", "Griffith", "Blair", "Quinn", "Swanson",
	"Fitzgerald", "Manning", "Doyle", "Newton", "Walton", "Blake", "Brady", "Goodman", "Webster",
	"Goodwin", "Fischer", "Sherman", "Hubbard", "Saunders", "Gallagher", "Hammond", "Townsend",
	"Ingram", "Maxwell", "Buchanan", "Casey", "Patton", "Bauer", "Lloyd", "Kramer", "McBride",
	"Norton", "Sparks", "Flynn", "Hogan", "Marsh", "Lang", "Drake", "Burnett", "Shepherd", "Cochran",
	"Morton", "Nash", "Briggs", "Nicholson", "Hoover", "Underwood", "Carson", "Whitaker", "Larsen",
	"Conley", "Davenport", "Copeland", "Massey", "Cameron", "Randall", "Kirk", "Bradford", "Boone",
	"Wilkinson", "Abbott", "Gates", "Sweeney", "Farrell", "Wyatt", "Dalton", "Foley", "Hensley",
	"Shields", "Hancock", "Callahan", "Booth", "Brennan", "Baxter", "Sawyer", "Tanner", "Hutchinson",
	"Wiley", "Gilmore",
}
