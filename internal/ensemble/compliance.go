package ensemble

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// LateAfterDays is the STOCK Act's deadline (Pub. L. 112-105, section 6):
// a record is late when its lag exceeds it (ANALYTICS.md section 11).
const LateAfterDays = 45

// WorstRecords is the most late records one answer lists.
const WorstRecords = 5

// ComplianceResult is one politician's disclosure-lag answer (ANALYTICS.md
// section 11), with the field names of testdata/formats'
// expected/compliance.json. Every figure is defined: a politician with no
// known lag gets a 422 instead.
type ComplianceResult struct {
	ID string `json:"id"`
	// Records counts the analyzable records: Known + Invalid + Undated.
	Records   int      `json:"records"`
	Known     int      `json:"known"`   // lag >= 0
	Invalid   int      `json:"invalid"` // lag < 0: in no lag figure
	Undated   int      `json:"undated"` // no disclosure date
	Late      int      `json:"late"`    // lag > LateAfterDays
	LateShare float64  `json:"late_share"`
	Lag       LagStats `json:"lag"` // over the known lags
	// Filings and LateFilings count the distinct filing ids (null ones
	// aside) among the known and the late records; FilingIDs and
	// LateFilingIDs list them, sorted.
	Filings       int          `json:"filings"`
	LateFilings   int          `json:"late_filings"`
	Worst         []LateRecord `json:"worst"`   // up to WorstRecords, worst first
	ByYear        []YearLag    `json:"by_year"` // years of transaction_date with a known lag, ascending
	FilingIDs     []string     `json:"filing_ids"`
	LateFilingIDs []string     `json:"late_filing_ids"`
	// Chambers are the sorted distinct chambers of the analyzable records.
	Chambers []quant.Chamber `json:"chambers"`
}

// LagStats summarizes known lags, in days. Min and Max are lags; P50 and
// P90 are numpy's default (linear) quantiles, Mean the arithmetic mean.
type LagStats struct {
	Min  int     `json:"min"`
	P50  float64 `json:"p50"`
	Mean float64 `json:"mean"`
	P90  float64 `json:"p90"`
	Max  int     `json:"max"`
}

// LateRecord is one late record; null ticker and filing id are nil.
type LateRecord struct {
	TransactionDate string          `json:"transaction_date"`
	DisclosureDate  string          `json:"disclosure_date"`
	Lag             int             `json:"lag"`
	Ticker          *string         `json:"ticker"`
	Type            quant.TradeType `json:"type"`
	FilingID        *string         `json:"filing_id"`
}

// YearLag is one calendar year of transaction dates: its known and late
// records and their median lag.
type YearLag struct {
	Year  int     `json:"year"`
	Known int     `json:"known"`
	Late  int     `json:"late"`
	P50   float64 `json:"p50"`
}

// ComplianceRanking is the ranking answer (ANALYTICS.md section 11), with
// the request's parameters echoed; Chamber, Party and State are set only
// when the request restricted the ranking by them.
type ComplianceRanking struct {
	MinRecords int                  `json:"min_records"`
	Sort       quant.ComplianceSort `json:"sort"`
	Limit      int                  `json:"limit"`
	Chamber    quant.Chamber        `json:"chamber,omitempty"`
	Party      string               `json:"party,omitempty"`
	State      string               `json:"state,omitempty"`
	Rows       []ComplianceRow      `json:"rows"` // never null: no qualifying row is []
	Summary    ComplianceSummary    `json:"summary"`
}

// ComplianceRow is one ranked politician.
type ComplianceRow struct {
	ID        string          `json:"id"`
	Chambers  []quant.Chamber `json:"chambers"`
	Known     int             `json:"known"`
	Late      int             `json:"late"`
	LateShare float64         `json:"late_share"`
	P50       float64         `json:"p50"`
	Max       int             `json:"max"`

	twiceP50 int64 // 2*P50, exact: the sum of the two middle lags
}

// ComplianceSummary covers every record the ranking reads, whatever its
// sort and limit: Politicians counts those with a known lag, Ranked the
// rows before the limit; P50 is the median of every known lag.
type ComplianceSummary struct {
	Politicians int     `json:"politicians"`
	Ranked      int     `json:"ranked"`
	Records     int     `json:"records"`
	Known       int     `json:"known"`
	Invalid     int     `json:"invalid"`
	Undated     int     `json:"undated"`
	Late        int     `json:"late"`
	LateShare   float64 `json:"late_share"`
	P50         float64 `json:"p50"`
	// ComplianceGroups adds by_chamber and by_party when a legislators
	// table is loaded; nil (no such fields) otherwise, which keeps the
	// answer section 11 defines, and the summary comparable with ==.
	*ComplianceGroups
}

// ComplianceGroups are the summary's figures per chamber and per party
// over the records the summary reads, each group ordered by records desc,
// then name (a null party after every named one).
type ComplianceGroups struct {
	ByChamber []ChamberFigures `json:"by_chamber"`
	ByParty   []PartyFigures   `json:"by_party"`
}

// ChamberFigures are the summary's figures over one chamber's records.
type ChamberFigures struct {
	Chamber quant.Chamber `json:"chamber"`
	GroupFigures
}

// PartyFigures are the summary's figures over the records of one party:
// each record's person's party on its transaction date. Party is nil for
// the records whose party is unknown (an unresolved id, or a person the
// legislators table has no row for).
type PartyFigures struct {
	Party *string `json:"party"`
	GroupFigures
}

// GroupFigures are section 11's summary figures over one group of the
// records: Records = known + invalid + undated, LateShare = Late / Known
// and P50 the median of the group's known lags, both nil (null) when the
// group has no known lag (a Senate aggregate's undated records).
type GroupFigures struct {
	Records   int      `json:"records"`
	Known     int      `json:"known"`
	Late      int      `json:"late"`
	LateShare *float64 `json:"late_share"`
	P50       *float64 `json:"p50"`
}

// lagOf classifies one record: its lag in calendar days, and whether it
// has one (both dates known).
func lagOf(r *quant.Disclosure) (lag int, dated bool) {
	if r.DisclosureDate.IsZero() {
		return 0, false
	}
	return int(civilDay(r.DisclosureDate) - civilDay(r.TransactionDate)), true
}

// civilDay numbers the calendar date of t (in t's location) in days since
// 1970-01-01, whatever t's clock time, so lags count calendar days.
func civilDay(t time.Time) int64 {
	s := t.Unix()
	if t.Location() != time.UTC { // stores hold UTC dates: skip the zone lookup
		_, off := t.Zone()
		s += int64(off)
	}
	d := s / 86400
	if s%86400 < 0 {
		d-- // floor division before 1970
	}
	return d
}

// noDisclosureDates is the 422 of section 11.
func noDisclosureDates(format string, args ...any) error {
	return &quant.NotEligibleError{Reason: quant.ReasonNoDisclosureDates, Detail: fmt.Sprintf(format, args...)}
}

// Compliance computes one politician's disclosure-lag answer over its
// analyzable records (p.Records, ordered by record ID: import order, then
// place in the source). It returns a *quant.NotEligibleError with reason
// quant.ReasonNoDisclosureDates when no record has a known lag (with the
// counts filled in).
//
// Worst lists the late records by lag, largest first, ties by the earlier
// transaction date, then by record ID. It runs in O(n log n) for n
// records: one sort of the known lags; the years and the worst records
// come from linear passes over it.
//
// Compliance checks ctx every checkEvery records it reads and once
// after the sort; once ctx is done it returns an error wrapping
// ctx.Err().
func Compliance(ctx context.Context, p *quant.PoliticianDisclosures) (ComplianceResult, error) {
	res := ComplianceResult{ID: p.ID, Records: len(p.Records)}
	ks := make([]knownLag, 0, len(p.Records))
	var filings, lateFilings []string
	maxLag := 0
	check := newStepCheck(ctx)
	for i := range p.Records {
		if err := check.step(); err != nil {
			return ComplianceResult{}, fmt.Errorf("ensemble: compliance: stopped at record %d of %d: %w", i+1, len(p.Records), err)
		}
		r := &p.Records[i]
		res.Chambers = addChamber(res.Chambers, r.Chamber)
		lag, dated := lagOf(r)
		switch {
		case !dated:
			res.Undated++
		case lag < 0:
			res.Invalid++
		default:
			ks = append(ks, knownLag{rec: r, lag: lag, year: r.TransactionDate.Year()})
			maxLag = max(maxLag, lag)
			// Records of one filing stand together (one import, in source
			// order): skip the repeats next to each other before sorting.
			if f := r.FilingID; f != "" {
				if len(filings) == 0 || filings[len(filings)-1] != f {
					filings = append(filings, f)
				}
				if lag > LateAfterDays && (len(lateFilings) == 0 || lateFilings[len(lateFilings)-1] != f) {
					lateFilings = append(lateFilings, f)
				}
			}
		}
	}
	slices.Sort(res.Chambers)
	res.Known = len(ks)
	if res.Known == 0 {
		return res, noDisclosureDates("%s has %d analyzable records and none with a disclosure date on or after its transaction date (%d undated, %d invalid)",
			p.ID, res.Records, res.Undated, res.Invalid)
	}
	res.FilingIDs = distinctSorted(filings)
	res.Filings = len(res.FilingIDs)

	// By lag, ties by record ID: the late records are the tail.
	sortByLag(ks, maxLag)
	if err := expired(ctx); err != nil {
		return ComplianceResult{}, fmt.Errorf("ensemble: compliance: stopped at the %d lags, sorted: %w", len(ks), err)
	}
	lags := make([]int, len(ks))
	var sum int64
	for i, k := range ks {
		lags[i] = k.lag
		sum += int64(k.lag)
	}
	firstLate, _ := slices.BinarySearch(lags, LateAfterDays+1)
	late := ks[firstLate:]
	res.Late = len(late)
	res.LateShare = float64(res.Late) / float64(res.Known)
	res.Lag = LagStats{
		Min:  lags[0],
		P50:  quantileInts(lags, 0.5),
		Mean: float64(sum) / float64(len(lags)),
		P90:  quantileInts(lags, 0.9),
		Max:  lags[len(lags)-1],
	}
	res.LateFilingIDs = distinctSorted(lateFilings)
	res.LateFilings = len(res.LateFilingIDs)

	res.Worst = make([]LateRecord, 0, min(len(late), WorstRecords))
	for _, k := range worstOf(late) {
		res.Worst = append(res.Worst, LateRecord{
			TransactionDate: k.rec.TransactionDate.Format(time.DateOnly),
			DisclosureDate:  k.rec.DisclosureDate.Format(time.DateOnly),
			Lag:             k.lag,
			Ticker:          nullString(k.rec.Ticker),
			Type:            k.rec.Type,
			FilingID:        nullString(k.rec.FilingID),
		})
	}
	res.ByYear = byYear(ks, lags)
	return res, nil
}

// knownLag is a record with a known lag (>= 0) and the year of its
// transaction date (read once, in record order: after the sort by lag,
// reading it through rec would be a cache miss per record).
type knownLag struct {
	rec  *quant.Disclosure
	lag  int
	year int
}

// sortByLag sorts ks, in record ID order, by lag, ties keeping their
// order (so by record ID). When the lags' range is at most a few times
// their count (a busy politician: lags of dates between 1990 and today
// span at most about 13,500 days) it is a stable counting sort, linear;
// else lags below 2^31 sort as packed integer keys (lag, then position),
// several times faster than comparing structs; larger ones by comparison.
// The three give the same order.
func sortByLag(ks []knownLag, maxLag int) {
	switch {
	case maxLag <= 2*len(ks)+64:
		countSortByLag(ks, maxLag)
	case int64(maxLag) < 1<<31 && uint64(len(ks)) < 1<<32:
		packedSortByLag(ks)
	default:
		slices.SortStableFunc(ks, func(a, b knownLag) int { return cmp.Compare(a.lag, b.lag) })
	}
}

// countSortByLag is sortByLag's counting sort: O(len(ks) + maxLag).
func countSortByLag(ks []knownLag, maxLag int) {
	start := make([]int32, maxLag+2) // start[l]: where lag l's records begin
	for _, k := range ks {
		start[k.lag+1]++
	}
	for l := 1; l < len(start); l++ {
		start[l] += start[l-1]
	}
	sorted := make([]knownLag, len(ks))
	for _, k := range ks {
		sorted[start[k.lag]] = k
		start[k.lag]++
	}
	copy(ks, sorted)
}

// packedSortByLag is sortByLag's sort of packed keys lag<<32 | position,
// for lags below 2^31 and fewer than 2^32 records.
func packedSortByLag(ks []knownLag) {
	keys := make([]uint64, len(ks))
	for i, k := range ks {
		keys[i] = uint64(k.lag)<<32 | uint64(i)
	}
	slices.Sort(keys)
	orig := slices.Clone(ks)
	for i, key := range keys {
		ks[i] = orig[uint32(key)]
	}
}

// worseLag orders late records for worst: lag desc, then the earlier
// transaction date, then the record ID (the place in the source).
func worseLag(a, b knownLag) int {
	if a.lag != b.lag {
		return cmp.Compare(b.lag, a.lag)
	}
	return cmp.Or(a.rec.TransactionDate.Compare(b.rec.TransactionDate), cmp.Compare(a.rec.ID, b.rec.ID))
}

// worstOf returns the WorstRecords worst of late (sorted by lag
// ascending), worst first: the records of the largest lags, from the end,
// down to the lag the last place takes, ties included, then sorted.
func worstOf(late []knownLag) []knownLag {
	if len(late) == 0 {
		return nil
	}
	i := max(len(late)-WorstRecords, 0)
	for i > 0 && late[i-1].lag == late[i].lag {
		i--
	}
	top := slices.Clone(late[i:])
	slices.SortFunc(top, worseLag)
	return top[:min(len(top), WorstRecords)]
}

// byYear groups ks (sorted by lag, lags its lags) by transaction year,
// ascending, with each year's median lag: a counting pass over the years,
// which keeps each year's lags sorted. lags is reused as scratch.
func byYear(ks []knownLag, lags []int) []YearLag {
	lo, hi := ks[0].year, ks[0].year
	for _, k := range ks {
		lo, hi = min(lo, k.year), max(hi, k.year)
	}
	start := make([]int, hi-lo+2) // start[y-lo]: where year y's lags begin
	for _, k := range ks {
		start[k.year-lo+1]++
	}
	var out []YearLag
	for y := range hi - lo + 1 {
		if start[y+1] > 0 {
			out = append(out, YearLag{Year: lo + y, Known: start[y+1]})
		}
		start[y+1] += start[y]
	}
	next := slices.Clone(start)
	for _, k := range ks {
		lags[next[k.year-lo]] = k.lag
		next[k.year-lo]++
	}
	for i := range out {
		y := &out[i]
		ls := lags[start[y.Year-lo] : start[y.Year-lo]+y.Known]
		first, _ := slices.BinarySearch(ls, LateAfterDays+1)
		y.Late = len(ls) - first
		y.P50 = quantileInts(ls, 0.5)
	}
	return out
}

// RankCompliance ranks the politicians of d by their disclosure lags
// (ANALYTICS.md section 11): the rows of those with at least minRecords
// known lags, ordered by order, the first limit of them, and the summary
// over every analyzable record. With a chamber set, only that chamber's
// records count, in the rows and the summary alike (an extension of
// section 11; "" reads every record). It is RankComplianceWith with only
// a chamber; see there for errors and costs.
func RankCompliance(ctx context.Context, d *quant.Disclosures, minRecords int, order quant.ComplianceSort, limit int, chamber quant.Chamber) (*ComplianceRanking, error) {
	return RankComplianceWith(ctx, d, minRecords, order, limit, RankOptions{Chamber: chamber})
}

// RankOptions restricts the compliance ranking and gives it identity.
type RankOptions struct {
	// Chamber, when set, keeps only that chamber's records.
	Chamber quant.Chamber
	// Party and State, when set, keep only the politicians whose identity
	// has that party (compared case-insensitively) or state: for an id,
	// Directory.Identity(id); for a person's bioguide id (Merged),
	// Directory.Person(id). Both need Directory, Party its legislators
	// table.
	Party, State string
	// Directory is the resolution of d's ids; with a legislators table
	// (Directory.Legislators) the summary adds by_chamber and by_party.
	// nil: no identity.
	Directory *quant.Directory
	// Merged says d is the merged people's (quant.People.MergedDisclosures):
	// its ids are bioguide ids for resolved people, ids for the rest.
	Merged bool
}

// RankComplianceWith is RankCompliance with o's restrictions: the rows
// and the summary read only the records of o.Chamber (when set) of the
// politicians with o.Party and o.State (when set). With a legislators
// table in o.Directory the summary adds ComplianceGroups: section 11's
// records, known, late, late_share and p50 over each chamber's records
// and over each party's (a record's party is its person's party on its
// transaction date, Directory.PartyOn; for a merged person, their term
// covering it, else the nearest; unknown ones form the null party).
//
// It returns a *quant.NotEligibleError with reason
// quant.ReasonNoDisclosureDates when no record it reads has a known lag;
// a Party or State without a Directory is an error wrapping
// quant.ErrUnavailable, a Party without a legislators table a
// *quant.ParamError for "party". The other parameters are taken as given
// (quant.Request.Normalize checks them); a limit < 1 keeps every row.
//
// It runs in O(n log m) for n records and at most m records per politician
// (a sort per politician, a counting pass for the store's median, one per
// group) and allocates O(n) scratch once (twice more with the groups).
// It checks ctx every checkEvery records it reads and after each
// politician's sort; once ctx is done it returns an error wrapping
// ctx.Err().
func RankComplianceWith(ctx context.Context, d *quant.Disclosures, minRecords int, order quant.ComplianceSort, limit int, o RankOptions) (*ComplianceRanking, error) {
	dir := o.Directory
	if (o.Party != "" || o.State != "") && dir == nil {
		return nil, fmt.Errorf("ensemble: compliance: the party and state filters need the people directory: %w", quant.ErrUnavailable)
	}
	if o.Party != "" && dir.Legislators == nil {
		return nil, quant.Invalid("party", "needs a legislators table (--legislators); none is loaded")
	}
	out := &ComplianceRanking{MinRecords: minRecords, Sort: order, Limit: limit, Chamber: o.Chamber, Party: o.Party, State: o.State, Rows: []ComplianceRow{}}
	sum := &out.Summary
	n := 0
	for i := range d.Politicians {
		n += len(d.Politicians[i].Records)
	}
	var g *grouper
	if dir != nil && dir.Legislators != nil {
		g = &grouper{party: map[string]int{}}
	}
	all := make([]int, 0, n) // every known lag, politician after politician
	maxLag := 0
	var chamberBuf [2]quant.Chamber // a politician's chambers, copied only for a row
	check := newStepCheck(ctx)
	for pi := range d.Politicians {
		p := &d.Politicians[pi]
		var who identityOf
		if dir != nil {
			who = whoIs(dir, p.ID, o.Merged)
			if o.Party != "" && !strings.EqualFold(who.party, o.Party) || o.State != "" && who.state != o.State {
				continue
			}
		}
		if g != nil {
			g.politician(who)
		}
		start, late := len(all), 0
		chambers := chamberBuf[:0]
		for i := range p.Records {
			if err := check.step(); err != nil {
				return nil, fmt.Errorf("ensemble: compliance: stopped at politician %d of %d (%s), record %d of %d: %w",
					pi+1, len(d.Politicians), p.ID, i+1, len(p.Records), err)
			}
			r := &p.Records[i]
			if o.Chamber != "" && r.Chamber != o.Chamber {
				continue
			}
			sum.Records++
			chambers = addChamber(chambers, r.Chamber)
			lag, dated := lagOf(r)
			known := dated && lag >= 0
			switch {
			case !dated:
				sum.Undated++
			case lag < 0:
				sum.Invalid++
			default:
				all = append(all, lag)
				maxLag = max(maxLag, lag)
				if lag > LateAfterDays {
					late++
				}
			}
			if g != nil {
				g.add(r, lag, known)
			}
		}
		known := len(all) - start
		if known == 0 {
			continue
		}
		sum.Politicians++
		sum.Late += late
		if known < minRecords {
			continue
		}
		lags := all[start:]
		slices.Sort(lags)
		if err := expired(ctx); err != nil {
			return nil, fmt.Errorf("ensemble: compliance: stopped at politician %d of %d (%s), its lags sorted: %w",
				pi+1, len(d.Politicians), p.ID, err)
		}
		chambers = slices.Clone(chambers)
		slices.Sort(chambers)
		twice := int64(lags[(known-1)/2]) + int64(lags[known/2])
		out.Rows = append(out.Rows, ComplianceRow{
			ID: p.ID, Chambers: chambers, Known: known, Late: late,
			LateShare: float64(late) / float64(known),
			P50:       float64(twice) / 2,
			Max:       lags[known-1],
			twiceP50:  twice,
		})
	}
	sum.Known = len(all)
	if sum.Known == 0 {
		return nil, noDisclosureDates("no record of %s has a disclosure date on or after its transaction date (%d analyzable records: %d undated, %d invalid)",
			rankScope(o), sum.Records, sum.Undated, sum.Invalid)
	}
	sum.LateShare = float64(sum.Late) / float64(sum.Known)
	sum.P50 = median(all, maxLag)
	if g != nil {
		sum.ComplianceGroups = g.figures()
	}

	slices.SortFunc(out.Rows, rowOrder(order))
	sum.Ranked = len(out.Rows)
	if limit >= 1 && len(out.Rows) > limit {
		out.Rows = out.Rows[:limit]
	}
	return out, nil
}

// rankScope names the records a ranking reads, for its 422.
func rankScope(o RankOptions) string {
	what := "the store"
	if o.Chamber != "" {
		what = "the " + string(o.Chamber) + "'s records"
	}
	var who []string
	if o.Party != "" {
		who = append(who, "party "+o.Party)
	}
	if o.State != "" {
		who = append(who, "state "+o.State)
	}
	if len(who) > 0 {
		what += " of the politicians of " + strings.Join(who, " and ")
	}
	return what
}

// identityOf is what the ranking reads of one politician's identity: the
// party and state it filters by, and the member whose terms give each
// record's party (nil: unresolved, or a person the table lacks).
type identityOf struct {
	party, state string
	member       *quant.Legislator
}

// whoIs returns the identity of the ranking's politician id: a person's
// (merged and id a person's bioguide id), else the id's; an id dir does
// not know has none.
func whoIs(dir *quant.Directory, id string, merged bool) identityOf {
	if merged {
		if p, ok := dir.Person(id); ok {
			m := p.Legislator
			if m == nil {
				m, _ = dir.Legislators.Find(p.Bioguide)
			}
			return identityOf{party: p.Party, state: p.State, member: m}
		}
	}
	x, ok := dir.Identity(id)
	if !ok {
		return identityOf{}
	}
	who := identityOf{party: x.Party, state: x.State}
	if x.Resolved() {
		who.member, _ = dir.Legislators.Find(x.Bioguide)
	}
	return who
}

// grouper accumulates the summary's chamber and party figures.
type grouper struct {
	chambers []groupAcc // in order of first appearance
	parties  []groupAcc // the same; name "" is the null party
	party    map[string]int

	// The politician whose records are being added, and the party group
	// of its previous record's day (records of one filing share dates):
	// a party is looked up once per run of one day.
	who     identityOf
	prevDay time.Time
	prevPI  int
	terms   []dayRange // who.member's terms in calendar days
}

// dayRange is a term's first and last calendar day (civilDay).
type dayRange struct{ start, end int64 }

// groupAcc is one group's counts and known lags.
type groupAcc struct {
	name          string
	records, late int
	lags          []int
	maxLag        int
}

// politician starts the records of the politician who.
func (g *grouper) politician(who identityOf) {
	g.who, g.prevDay, g.prevPI = who, time.Time{}, -1
	g.terms = g.terms[:0]
	if who.member != nil {
		for i := range who.member.Terms {
			t := &who.member.Terms[i]
			g.terms = append(g.terms, dayRange{civilDay(t.Start), civilDay(t.End)})
		}
	}
}

// partyOn is the current politician's party on day, by Directory.PartyOn's
// rule (Legislator.TermNearest: the first term covering day, else the
// last one ended by then, else the first; then Term.PartyOn) with the
// terms' dates compared as calendar days, which the table's dates are:
// integers, several times faster than comparing times. "" when unknown.
func (g *grouper) partyOn(day time.Time) string {
	m := g.who.member
	if m == nil || len(m.Terms) == 0 {
		return ""
	}
	d := civilDay(day)
	i := slices.IndexFunc(g.terms, func(t dayRange) bool { return t.start <= d && d <= t.end })
	if i < 0 {
		i = 0
		for j, t := range g.terms {
			if t.end <= d {
				i = j
			}
		}
	}
	return m.Terms[i].PartyOn(day)
}

// add counts record r of the current politician, with its lag (known:
// lag >= 0 with both dates known).
func (g *grouper) add(r *quant.Disclosure, lag int, known bool) {
	ci := slices.IndexFunc(g.chambers, func(a groupAcc) bool { return a.name == string(r.Chamber) })
	if ci < 0 {
		ci = len(g.chambers)
		g.chambers = append(g.chambers, groupAcc{name: string(r.Chamber)})
	}
	pi := g.prevPI
	if pi < 0 || !r.TransactionDate.Equal(g.prevDay) {
		party := g.partyOn(r.TransactionDate)
		var ok bool
		if pi, ok = g.party[party]; !ok {
			pi = len(g.parties)
			g.party[party] = pi
			g.parties = append(g.parties, groupAcc{name: party})
		}
		g.prevDay, g.prevPI = r.TransactionDate, pi
	}
	g.chambers[ci].add(lag, known)
	g.parties[pi].add(lag, known)
}

// add counts one record.
func (a *groupAcc) add(lag int, known bool) {
	a.records++
	if known {
		a.lags = append(a.lags, lag)
		a.maxLag = max(a.maxLag, lag)
		if lag > LateAfterDays {
			a.late++
		}
	}
}

// figures returns the groups' figures, each list by records desc, then
// name (the null party after every named one on a tie).
func (g *grouper) figures() *ComplianceGroups {
	fig := func(a *groupAcc) GroupFigures {
		f := GroupFigures{Records: a.records, Known: len(a.lags), Late: a.late}
		if f.Known > 0 {
			share, p50 := float64(a.late)/float64(f.Known), median(a.lags, a.maxLag)
			f.LateShare, f.P50 = &share, &p50
		}
		return f
	}
	order := func(a, b groupAcc) int {
		if a.records != b.records {
			return cmp.Compare(b.records, a.records)
		}
		if (a.name == "") != (b.name == "") {
			if a.name == "" {
				return 1
			}
			return -1
		}
		return strings.Compare(a.name, b.name)
	}
	slices.SortFunc(g.chambers, order)
	slices.SortFunc(g.parties, order)
	out := &ComplianceGroups{ByChamber: []ChamberFigures{}, ByParty: []PartyFigures{}}
	for i := range g.chambers {
		out.ByChamber = append(out.ByChamber, ChamberFigures{Chamber: quant.Chamber(g.chambers[i].name), GroupFigures: fig(&g.chambers[i])})
	}
	for i := range g.parties {
		out.ByParty = append(out.ByParty, PartyFigures{Party: nullString(g.parties[i].name), GroupFigures: fig(&g.parties[i])})
	}
	return out
}

// rowOrder returns the ranking's comparison for order: every comparison is
// exact (late shares as fractions, medians doubled as integers) and ends
// with the id, so the order is total.
func rowOrder(order quant.ComplianceSort) func(a, b ComplianceRow) int {
	// byShare compares late/known desc by cross-multiplying.
	byShare := func(a, b ComplianceRow) int {
		return cmp.Compare(int64(b.Late)*int64(a.Known), int64(a.Late)*int64(b.Known))
	}
	byLate := func(a, b ComplianceRow) int { return cmp.Compare(b.Late, a.Late) }
	byID := func(a, b ComplianceRow) int { return strings.Compare(a.ID, b.ID) }
	switch order {
	case quant.SortLate:
		return func(a, b ComplianceRow) int { return cmp.Or(byLate(a, b), byShare(a, b), byID(a, b)) }
	case quant.SortP50:
		return func(a, b ComplianceRow) int { return cmp.Or(cmp.Compare(b.twiceP50, a.twiceP50), byID(a, b)) }
	default:
		return func(a, b ComplianceRow) int { return cmp.Or(byShare(a, b), byLate(a, b), byID(a, b)) }
	}
}

// median returns the median of the non-negative xs, all at most maxLag,
// without sorting them: a counting pass when the range is at most a few
// times len(xs) (always, for lags of dates between 1990 and today), else a
// sort of a copy. xs is not modified.
func median(xs []int, maxLag int) float64 {
	n := len(xs)
	lo, hi := (n-1)/2, n/2 // the order statistics to average
	if maxLag > 4*n+1<<16 {
		s := slices.Clone(xs)
		slices.Sort(s)
		return float64(int64(s[lo])+int64(s[hi])) / 2
	}
	counts := make([]int32, maxLag+1)
	for _, x := range xs {
		counts[x]++
	}
	var a, b, seen int
	found := false
	for v, c := range counts {
		if c == 0 {
			continue
		}
		seen += int(c)
		if !found && seen > lo {
			a, found = v, true
		}
		if seen > hi {
			b = v
			break
		}
	}
	return float64(int64(a)+int64(b)) / 2
}

// quantileInts is quantile over sorted, non-empty integer lags: numpy's
// linear method with its lerp formula, so the bits agree with numpy's
// (p90 of 13 lags can be 180.00000000000006).
func quantileInts(s []int, q float64) float64 {
	pos := float64(len(s)-1) * q
	i := int(pos)
	j := min(i+1, len(s)-1)
	g := pos - float64(i)
	a, b := float64(s[i]), float64(s[j])
	if g >= 0.5 {
		return b - (b-a)*(1-g)
	}
	return a + (b-a)*g
}

// addChamber adds c to the small set cs (a politician has one or two).
func addChamber(cs []quant.Chamber, c quant.Chamber) []quant.Chamber {
	if slices.Contains(cs, c) {
		return cs
	}
	return append(cs, c)
}

// distinctSorted sorts ss and drops repeats; it never returns nil.
func distinctSorted(ss []string) []string {
	if !slices.IsSorted(ss) { // filing ids often come in order
		slices.Sort(ss)
	}
	return append([]string{}, slices.Compact(ss)...)
}

// nullString is nil for "" (a null ticker or filing id), else &s.
func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
