package ingest

import (
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// The legislators format (GenLegislators, GenerateLegislators) is a
// congress-legislators YAML table, in the schema of the project's
// legislators-current.yaml (ANALYTICS.md section 1.1): a list of members,
// each with id.bioguide, name (first, middle, last, suffix, nickname,
// official_full) and terms (type sen or rep, start and end as quoted
// YYYY-MM-DD, state, district for a representative, party, class for a
// senator, party_affiliations when the party changed within the term). It
// holds the filers of data files generated with one seed, by the same
// sequence of filers (GenConfig.SkipPoliticians), so that identity
// resolution over synthetic data has a table to resolve against:
//
//   - Names. A filer's row has its bioguide id (the one its Senate filings
//     carry), first name (as given, accents kept), middle initial with a
//     dot ("H."; none when the filer has no middle initial) and last
//     name; the suffix (Jr., Sr. or III) when the generator gives the
//     filer a suffix spelling (", Jr", " III", ...); the nickname when it
//     gives a "(Bill)" spelling. official_full is "Given M. Family", with
//     ", Jr." when there is a suffix, and "Nick Family" for a nickname
//     filer (as the real table writes "Ted Cruz").
//
//   - Chambers and spans. A filer has terms in each chamber it files in
//     among the parts (the Senate formats: Senate; the House JSON: House),
//     covering the part's transaction dates (its Start..End, or its
//     format's DefaultSpan), so every synthetic trade date lies inside a
//     term of the filer in the trade's chamber. Terms follow the
//     congressional calendar: they begin and end on January 3 of odd
//     years (consecutive terms share that day, as in the real table), two
//     years in the House, six in the Senate, where the filer's class (1, 2
//     or 3, from its key) staggers them as the real classes are (class 1
//     terms begin in 2013 and 2019, class 2 in 2015, class 3 in 2017); the
//     first term is the one serving on the part's first day, the last the
//     one serving on its last day. A filer in both chambers whose spans do
//     not overlap (the default spans: Senate to 2020-12-31, House from
//     2021-01-01) leaves the earlier chamber the day before the later
//     one's span begins (its last term is cut short), and its first term
//     in the later chamber begins the day after (2021-01-01), running to
//     the next regular end of at least a year later; whose spans overlap
//     (custom spans) serves in both at once.
//
//   - Places. House terms carry the filer's district as the House JSON
//     writes it (NJ07 -> state NJ, district 7; 00 -> district 0, at
//     large); Senate terms carry the district's state.
//
//   - Parties, from the filer's key: Democrat 48%, Republican 48%,
//     Independent 4%, one party for all its terms.
//
// A small deterministic share of the filers (each drawn from the filer's
// key, so a filer is hard the same way in every table of its seed) is
// made hard on purpose, for the resolver's tests:
//
//   - Absent, 2%: the filer has no row. Its House and Senate CSV ids must
//     stay unresolved (no_match); its Senate filings still resolve by the
//     records' own bioguide id, to a person the table lacks.
//   - Redistricted, 3% of the filers with House terms and a term beginning
//     on or after 2023-01-03, in states of two or more seats: their terms
//     beginning before 2023-01-03 (the post-2020-census maps took effect
//     then) carry another district of the same state, while the House file
//     writes the current one for every record, as the real scraper does;
//     the state and the name must decide for the older records.
//   - Namesake, 2%: the table also holds a member who never files: same
//     last name, another first name (whose initial, and its nickname's,
//     is neither the filer's first name's nor its nickname's, and no
//     filer of the table has that first and last name), in
//     the same chambers and state over the same years (the Senate in
//     another class, the House in another district of the state; none
//     where the state has one seat), with a bioguide id no filer of any
//     table of the seed has. Last names alone are ambiguous then; the
//     first name decides. Absent filers can have one too: a resolver that
//     matched on the last name alone, when only one member serving has
//     it, or on the last name and first initial, would wrongly take the
//     namesake.
//     Redistricted filers have none.
//   - Party switch, 1%: the filer's last term changes party at its middle
//     (a Democrat or Republican becomes Independent, an Independent a
//     Democrat); the term's party is the later one and party_affiliations
//     gives both, as the real table writes a switch.
//
// Every other filer resolves by the rules: its Senate records by
// bioguide id or by the senator serving on the date whose last and first
// name (or nickname) agree, its House records by state, district, date
// and name. The generator's names can collide only when two filers share
// a first and last name with different middle initials (distinct
// politician ids); the table then lists both, each with its middle
// initial, and a record naming one without a middle initial, or naming
// the one whose row has none, agrees with both. Measured with the tests'
// reference resolver on 10,000 politicians of seed 1 in both chambers:
// 5.4% of the Senate CSV's ids are such (every senator serves at once
// and the CSV has no state), 0.02% of the House's (the district decides
// first); in the built-in layout none of the House's.
//
// The rows come in filer order, a namesake right after its filer; the
// same parts always give the same bytes. The table needs memory for the
// filers' names only, and is written in blocks of about 64 KiB.

// Shares and draws of the legislators format (see above).
const (
	genLegAbsentP     = 0.02
	genLegRedistrictP = 0.03
	genLegNamesakeP   = 0.02
	genLegSwitchP     = 0.01
	genLegDemocratP   = 0.48
	genLegRepublicanP = 0.48 // the rest, 4%, Independent

	// genHash tags of the per-filer draws.
	genTagParty      = 0x7061727479 // "party"
	genTagClass      = 0x636c617373 // "class"
	genTagAbsent     = 0x616273656e // "absen"
	genTagRedistrict = 0x7265646973 // "redis"
	genTagNamesake   = 0x6e616d6573 // "names"
	genTagSwitch     = 0x7377697463 // "switc"
	genTagDecoy      = 0x6465636f79 // "decoy"
	genTagDecoyParty = 0x6465636f70 // "decop"
	genTagDecoyMid   = 0x6465636f6d // "decom"
	genBioguideSpace = 1_000_000    // six digits
	genBioguideStep  = 7919         // coprime with genBioguideSpace
	genMinTermDays   = 365          // a term cut to begin or end early keeps at least this
	genLegYAMLHeader = "# A synthetic congress-legislators table (quant gen --format legislators), seed "
)

// genRedistricting is the day the post-2020-census House maps took effect.
var genRedistricting = genDay(time.Date(2023, 1, 3, 0, 0, 0, 0, time.UTC))

// The namesakes' bioguide numbers are the filers' sequence continued past
// GenMaxPoliticians, so they are distinct from every filer's of any table.
var _ [genBioguideSpace - 2*GenMaxPoliticians]struct{}

// The parties a table holds, as the real table spells them.
const (
	genDemocrat    = "Democrat"
	genRepublican  = "Republican"
	genIndependent = "Independent"
)

// genSuffixTable maps the generator's suffix spellings to the table's.
var genSuffixTable = map[string]string{", Jr": "Jr.", ", Jr.": "Jr.", " , Jr": "Jr.", " III": "III", ", Sr.": "Sr.", ", Iii": "III"}

// genNickOf maps a genFirstNames name to its nickname ("" when none).
var genNickOf = func() map[string]string {
	m := make(map[string]string, len(genFirstNames))
	for _, f := range genFirstNames {
		m[f.name] = f.nick
	}
	return m
}()

// genStateSeatsOf maps a state to its House seats.
var genStateSeatsOf = func() map[string]int {
	m := make(map[string]int, len(genStateSeats))
	for _, s := range genStateSeats {
		m[s.state] = s.seats
	}
	return m
}()

// generateLegislators is Generate for GenLegislators: the table of the
// config's filers, each in both chambers over the default spans (Senate
// 2012-06-01..2020-12-31, House 2021-01-01..2025-12-31), so that it
// resolves a file of those filers in any format with the default span.
func generateLegislators(w io.Writer, cfg GenConfig) error {
	cfg, err := cfg.validate()
	if err != nil {
		return err
	}
	part := GenConfig{Politicians: cfg.Politicians, SkipPoliticians: cfg.SkipPoliticians, Seed: cfg.Seed}
	senate, house := part, part
	senate.Format, house.Format = GenSenateFilings, GenHouseJSON
	return GenerateLegislators(w, senate, house)
}

// GenerateLegislators writes the congress-legislators YAML table (see
// GenLegislators) of the filers of parts: the data files (Senate CSV,
// House JSON, Senate filings) it is to resolve, generated with one seed.
// Each part contributes its filers (SkipPoliticians ..
// SkipPoliticians+Politicians-1), its chamber and its span (Start..End,
// or its format's DefaultSpan); Trades is not used. The filers of the
// built-in dataset are those of its parts, e.g. a Senate filings part and
// a House part that share a few. At least one part is needed, every part
// must be valid for Generate and not itself GenLegislators, and all must
// have one seed; an invalid part gives an error matching ErrGenConfig and
// nothing is written.
func GenerateLegislators(w io.Writer, parts ...GenConfig) error {
	if len(parts) == 0 {
		return genConfigError("legislators: no parts")
	}
	parts = slices.Clone(parts) // filled in below; the caller's may be theirs
	n := 0
	for i := range parts {
		if parts[i].Format == GenLegislators {
			return genConfigError("legislators: a part must be a disclosure format, not legislators")
		}
		p, err := parts[i].validate()
		if err != nil {
			return err
		}
		if p.Seed != parts[0].Seed {
			return genConfigError("legislators: parts must have one seed")
		}
		parts[i] = p
		n = max(n, p.SkipPoliticians+p.Politicians)
	}
	seed := parts[0].Seed
	g := &generator{rng: genRand{src: rand.NewPCG(seed, genStream)}}
	g.filers = make([]genFiler, n)
	g.makeNames(seed)
	l := &genLeg{g: g, taken: make(map[[2]string]struct{}, n)}
	l.spans = make([][2]genSpan, n)
	for _, p := range parts {
		c := 0
		if p.Format == GenHouseJSON {
			c = 1
		}
		s, e := genDay(p.Start), genDay(p.End)
		for i := p.SkipPoliticians; i < p.SkipPoliticians+p.Politicians; i++ {
			sp := &l.spans[i][c]
			if !sp.ok {
				*sp = genSpan{start: s, end: e, ok: true}
			} else {
				sp.start, sp.end = min(sp.start, s), max(sp.end, e)
			}
		}
	}
	for i := range g.filers {
		if l.spans[i][0].ok || l.spans[i][1].ok {
			f := &g.filers[i]
			l.taken[[2]string{f.given, f.family}] = struct{}{}
		}
	}
	return l.write(w, seed)
}

// genSpan is a filer's transaction dates in one chamber, in days.
type genSpan struct {
	start, end int64
	ok         bool
}

// genLeg is one run of GenerateLegislators.
type genLeg struct {
	g     *generator
	spans [][2]genSpan           // per filer: Senate, House
	taken map[[2]string]struct{} // the table's filers' (given, family); membership only
	m     genMember              // the member being written
}

// genMember is one row of the table.
type genMember struct {
	bioguide, first, middle, last, suffix, nickname, official string
	terms                                                     []genTerm
}

// genTerm is one term of a genMember.
type genTerm struct {
	senate     bool
	start, end int64 // days, both inclusive
	state      string
	district   int // House only
	class      int // Senate only
	party      string
	// switchDay > 0: the party was party0 from start to switchDay-1 and
	// party from switchDay to end.
	switchDay int64
	party0    string
}

// write writes the table.
func (l *genLeg) write(w io.Writer, seed uint64) error {
	buf := make([]byte, 0, genFlushSize+8<<10)
	buf = append(buf, genLegYAMLHeader...)
	buf = strconv.AppendUint(buf, seed, 10)
	buf = append(buf, ".\n"...)
	members := 0
	for i := range l.g.filers {
		sp := l.spans[i]
		if !sp[0].ok && !sp[1].ok {
			continue
		}
		f := &l.g.filers[i]
		redistricted := false
		if genUnit(genHash(f.key, genTagAbsent)) >= genLegAbsentP {
			redistricted = l.filer(f, sp)
			buf = appendGenMember(buf, &l.m)
			members++
		}
		if !redistricted && genUnit(genHash(f.key, genTagNamesake)) < genLegNamesakeP && l.namesake(f, sp) {
			buf = appendGenMember(buf, &l.m)
			members++
		}
		if len(buf) >= genFlushSize {
			if _, err := w.Write(buf); err != nil {
				return genWriteError(err)
			}
			buf = buf[:0]
		}
	}
	if members == 0 {
		buf = append(buf, "[]\n"...)
	}
	if _, err := w.Write(buf); err != nil {
		return genWriteError(err)
	}
	return nil
}

// genParty draws a party from h: Democrat 48%, Republican 48%,
// Independent 4%.
func genParty(h uint64) string {
	switch u := genUnit(h); {
	case u < genLegDemocratP:
		return genDemocrat
	case u < genLegDemocratP+genLegRepublicanP:
		return genRepublican
	}
	return genIndependent
}

// filer fills l.m with f's row and reports whether f is redistricted.
func (l *genLeg) filer(f *genFiler, sp [2]genSpan) (redistricted bool) {
	m := &l.m
	*m = genMember{bioguide: f.bioguide(), first: f.given, last: f.family, terms: m.terms[:0]}
	official := f.given
	if f.mid != 0 {
		m.middle = string([]byte{f.mid, '.'})
		official += " " + m.middle
	}
	official += " " + f.family
	if f.suffix != "" {
		m.suffix = genSuffixTable[f.suffix]
		official += ", " + m.suffix
	}
	if f.nick != "" {
		m.nickname = f.nick
		official = f.nick + " " + f.family
	}
	m.official = official
	district := f.district()
	state, num := district[:2], int(district[2]-'0')*10+int(district[3]-'0')
	class := 1 + int(genHash(f.key, genTagClass)%3)
	m.terms = appendGenTerms(m.terms, sp, class, state, num, genParty(genHash(f.key, genTagParty)))
	seats := genStateSeatsOf[state]
	if seats >= 2 && genUnit(genHash(f.key, genTagRedistrict)) < genLegRedistrictP {
		var before, after bool
		for _, t := range m.terms {
			if !t.senate {
				before = before || t.start < genRedistricting
				after = after || t.start >= genRedistricting
			}
		}
		if before && after {
			redistricted = true
			for i := range m.terms {
				if t := &m.terms[i]; !t.senate && t.start < genRedistricting {
					t.district = num%seats + 1
				}
			}
		}
	}
	if genUnit(genHash(f.key, genTagSwitch)) < genLegSwitchP && len(m.terms) > 0 {
		t := &m.terms[len(m.terms)-1]
		if t.end-t.start >= 2 {
			t.party0 = t.party
			t.party = genIndependent
			if t.party0 == genIndependent {
				t.party = genDemocrat
			}
			t.switchDay = t.start + (t.end-t.start)/2 + 1
		}
	}
	return redistricted
}

// namesake fills l.m with the row of f's namesake (see GenLegislators);
// false when it would have no term (a House-only filer of a one-seat
// state) or no first name is left for it.
func (l *genLeg) namesake(f *genFiler, sp [2]genSpan) bool {
	district := f.district()
	state, num := district[:2], int(district[2]-'0')*10+int(district[3]-'0')
	seats := genStateSeatsOf[state]
	if seats < 2 {
		if !sp[0].ok {
			return false
		}
		sp[1].ok = false
	}
	nick := genNickOf[f.given]
	var first string
	for j := range uint64(4 * len(genFirstNames)) {
		c := genFirstNames[genHash(f.key, genTagDecoy+j)%uint64(len(genFirstNames))]
		_, taken := l.taken[[2]string{c.name, f.family}]
		if taken || genInitial(c.name) == genInitial(f.given) || nick != "" && genInitial(c.name) == genInitial(nick) ||
			c.nick != "" && (genInitial(c.nick) == genInitial(f.given) || nick != "" && genInitial(c.nick) == genInitial(nick)) {
			continue
		}
		first = c.name
		break
	}
	if first == "" {
		return false // nearly every first name of the family is a filer's
	}
	m := &l.m
	*m = genMember{first: first, last: f.family, terms: m.terms[:0]}
	nf := genFiler{family: f.family, index: GenMaxPoliticians + f.index}
	m.bioguide = nf.bioguide()
	m.official = first + " " + f.family
	if h := genHash(f.key, genTagDecoyMid); h%5 != 0 { // 80% have a middle initial
		m.middle = string([]byte{byte('A' + h/5%26), '.'})
		m.official = first + " " + m.middle + " " + f.family
	}
	class := 1 + int(genHash(f.key, genTagClass)%3)
	class = class%3 + 1 // the next class
	m.terms = appendGenTerms(m.terms, sp, class, state, num%max(seats, 1)+1, genParty(genHash(f.key, genTagDecoyParty)))
	return len(m.terms) > 0
}

// genInitial is the first letter of a name, accents dropped, upper case.
func genInitial(name string) byte {
	c := foldASCII(name)[0]
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	return c
}

// appendGenTerms appends the terms of a member with the chamber spans sp
// (Senate, House), Senate class, state, House district and party, by
// start.
func appendGenTerms(terms []genTerm, sp [2]genSpan, class int, state string, district int, party string) []genTerm {
	var lower, upper [2]int64 // per chamber, 0 when not cut
	sen, house := sp[0], sp[1]
	if sen.ok && house.ok {
		switch {
		case sen.end < house.start:
			upper[0] = house.start - 1
		case house.end < sen.start:
			upper[1] = sen.start - 1
		}
	}
	// The earlier chamber first: the later one begins the day after it
	// ends.
	order := [2]int{0, 1}
	if sen.ok && house.ok && house.start < sen.start {
		order = [2]int{1, 0}
	}
	var prevEnd int64
	for k, c := range order {
		s := sp[c]
		if !s.ok {
			continue
		}
		period, base := 2, 2013
		if c == 0 {
			period, base = 6, 2013+2*(class-1)
		}
		if k == 1 && upper[order[0]] != 0 {
			lower[c] = prevEnd + 1
		}
		bs := genTermBounds(s.start, s.end, period, base, lower[c], upper[c])
		for i := 0; i+1 < len(bs); i++ {
			t := genTerm{senate: c == 0, start: bs[i], end: bs[i+1], state: state, party: party}
			if c == 0 {
				t.class = class
			} else {
				t.district = district
			}
			terms = append(terms, t)
		}
		prevEnd = bs[len(bs)-1]
	}
	return terms
}

// genJan3 returns January 3 of year y in days.
func genJan3(y int) int64 { return genDay(time.Date(y, 1, 3, 0, 0, 0, 0, time.UTC)) }

// genTermBounds returns the bounds of the terms covering days s..e: the
// January 3 of the years base + k*period from the last on or before s to
// the first on or after e, at least two. A lower (upper) cut, when not
// zero, replaces the first (last) bound, merging a term it would leave
// shorter than genMinTermDays into its neighbour; lower <= s and upper >=
// e.
func genTermBounds(s, e int64, period, base int, lower, upper int64) []int64 {
	y := time.Unix(s*86400, 0).UTC().Year()
	y -= ((y-base)%period + period) % period
	if genJan3(y) > s {
		y -= period
	}
	bs := []int64{genJan3(y)}
	for len(bs) < 2 || bs[len(bs)-1] < e {
		y += period
		bs = append(bs, genJan3(y))
	}
	if lower != 0 && lower > bs[0] {
		for len(bs) > 2 && bs[1] < lower+genMinTermDays {
			bs = slices.Delete(bs, 1, 2)
		}
		bs[0] = lower
	}
	if last := len(bs) - 1; upper != 0 && upper < bs[last] {
		for len(bs) > 2 && bs[len(bs)-2] > upper-genMinTermDays {
			bs = slices.Delete(bs, len(bs)-2, len(bs)-1)
		}
		bs[len(bs)-1] = upper
	}
	return bs
}

// appendGenMember appends m as one element of the YAML list.
func appendGenMember(b []byte, m *genMember) []byte {
	b = append(b, "- id:\n    bioguide: "...)
	b = append(b, m.bioguide...)
	b = append(b, "\n  name:\n    first: "...)
	b = appendYAMLString(b, m.first)
	if m.middle != "" {
		b = append(b, "\n    middle: "...)
		b = appendYAMLString(b, m.middle)
	}
	b = append(b, "\n    last: "...)
	b = appendYAMLString(b, m.last)
	if m.suffix != "" {
		b = append(b, "\n    suffix: "...)
		b = appendYAMLString(b, m.suffix)
	}
	if m.nickname != "" {
		b = append(b, "\n    nickname: "...)
		b = appendYAMLString(b, m.nickname)
	}
	b = append(b, "\n    official_full: "...)
	b = appendYAMLString(b, m.official)
	b = append(b, "\n  terms:\n"...)
	for i := range m.terms {
		t := &m.terms[i]
		if t.senate {
			b = append(b, "  - type: sen\n    start: '"...)
		} else {
			b = append(b, "  - type: rep\n    start: '"...)
		}
		b = appendGenDate(b, t.start, true)
		b = append(b, "'\n    end: '"...)
		b = appendGenDate(b, t.end, true)
		b = append(b, "'\n    state: "...)
		b = append(b, t.state...)
		if t.senate {
			b = append(b, "\n    class: "...)
			b = strconv.AppendInt(b, int64(t.class), 10)
		} else {
			b = append(b, "\n    district: "...)
			b = strconv.AppendInt(b, int64(t.district), 10)
		}
		b = append(b, "\n    party: "...)
		b = append(b, t.party...)
		b = append(b, '\n')
		if t.switchDay > 0 {
			b = append(b, "    party_affiliations:\n    - start: '"...)
			b = appendGenDate(b, t.start, true)
			b = append(b, "'\n      end: '"...)
			b = appendGenDate(b, t.switchDay-1, true)
			b = append(b, "'\n      party: "...)
			b = append(b, t.party0...)
			b = append(b, "\n    - start: '"...)
			b = appendGenDate(b, t.switchDay, true)
			b = append(b, "'\n      end: '"...)
			b = appendGenDate(b, t.end, true)
			b = append(b, "'\n      party: "...)
			b = append(b, t.party...)
			b = append(b, '\n')
		}
	}
	return b
}

// appendYAMLString appends s as a YAML scalar: plain when it is letters,
// spaces, dots, commas, apostrophes and hyphens, begins with a letter,
// ends with a letter or dot and is no word YAML reads as something else
// (yes, no, on, off, true, false, null and their like); single-quoted
// otherwise.
func appendYAMLString(b []byte, s string) []byte {
	plain := s != "" && !genYAMLWords[genLowerASCII(s)]
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
		case i > 0 && (r == ' ' || r == '.' || r == ',' || r == '\'' || r == '-'):
		default:
			plain = false
		}
	}
	if plain {
		r, _ := utf8.DecodeLastRuneInString(s)
		plain = unicode.IsLetter(r) || r == '.'
	}
	if plain {
		return append(b, s...)
	}
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			b = append(b, '\'')
		}
		b = append(b, s[i])
	}
	return append(b, '\'')
}

// genYAMLWords are the plain scalars YAML 1.1 or 1.2 reads as booleans or
// null, lower-cased.
var genYAMLWords = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true,
}

// genLowerASCII lower-cases the ASCII letters of s.
func genLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
