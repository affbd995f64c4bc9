package people

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// Tolerance is how many days a trade may fall outside a member's terms
// and still be theirs, when nobody served on its day (see the package
// comment: members-elect report trades made before they were sworn in).
const Tolerance = 365

// Resolve resolves every politician id of f to at most one member, as the
// package comment says. It is pure and deterministic: the same Filers
// give the same Directory. The Directory shares f.Legislators (and its
// Persons point into it); neither may be modified.
func Resolve(f *quant.Filers) *quant.Directory {
	dir := &quant.Directory{Version: f.Version, Legislators: f.Legislators}
	var ix *index
	if f.Legislators != nil {
		ix = newIndex(f.Legislators)
	}
	filers := make([]*quant.Filer, len(f.Filers))
	for i := range f.Filers {
		filers[i] = &f.Filers[i]
	}
	slices.SortStableFunc(filers, quant.CompareFilers)
	r := &resolver{ix: ix}
	var ids []*idAcc
	for _, fl := range filers {
		if len(ids) == 0 || ids[len(ids)-1].id != fl.PoliticianID {
			ids = append(ids, &idAcc{id: fl.PoliticianID})
		}
		ids[len(ids)-1].add(fl, r.filer(fl))
	}
	dir.IDs = make([]quant.Identity, len(ids))
	persons := map[string]*personAcc{}
	for i, a := range ids {
		dir.IDs[i] = r.identity(a)
		if b := dir.IDs[i].Bioguide; b != "" {
			p := persons[b]
			if p == nil {
				p = &personAcc{bioguide: b}
				persons[b] = p
			}
			p.add(a, i)
		}
	}
	dir.People = make([]quant.Person, 0, len(persons))
	for _, p := range persons {
		dir.People = append(dir.People, r.person(p, dir.IDs))
	}
	slices.SortFunc(dir.People, func(a, b quant.Person) int { return strings.Compare(a.Bioguide, b.Bioguide) })
	return dir
}

// index is a legislators table ready for matching: every member's last
// names and given names as tokens, terms as day numbers, and the members
// by the first token of each of their last names.
type index struct {
	t       *quant.Legislators
	members []member
	byBio   map[string]int32
	byLast  map[string][]int32 // first token of a last name -> members
	// senators[d-senateFrom] counts the table's senators serving on day d
	// (see senateComplete).
	senators   []int16
	senateFrom int32
}

// SenateSeats is the number of seats of the Senate.
const SenateSeats = 100

// senateSlack is how many senators past SenateSeats a day may count and
// still be a real Senate: an appointee and the member they replace on
// one day, terms ending and starting on one day. A day past it (a swap
// day of the 3rd of January, when both classes count; a synthetic table
// of more senators than seats) proves nothing and is never complete.
const senateSlack = 10

// senateComplete reports whether the table lists a full Senate serving on
// day (SenateSeats, up to senateSlack more): then no senator serving
// that day is missing from it.
func (ix *index) senateComplete(day int32) bool {
	i := day - ix.senateFrom
	if i < 0 || int(i) >= len(ix.senators) {
		return false
	}
	n := ix.senators[i]
	return n >= SenateSeats && n <= SenateSeats+senateSlack
}

// countSenators fills ix.senators from the members' Senate terms. A day
// counts a member once, however many of their terms cover it.
func (ix *index) countSenators() {
	first, last := int32(math.MaxInt32), int32(math.MinInt32)
	for i := range ix.members {
		for _, sp := range ix.members[i].spans {
			if sp.chamber == quant.ChamberSenate {
				first, last = min(first, sp.start), max(last, sp.end)
			}
		}
	}
	if first > last {
		return
	}
	diff := make([]int32, last-first+2)
	for i := range ix.members {
		// Merge the member's Senate spans so an overlap (the day one term
		// ends and the next begins) counts once.
		var spans [][2]int32
		for _, sp := range ix.members[i].spans {
			if sp.chamber == quant.ChamberSenate {
				spans = append(spans, [2]int32{sp.start, sp.end})
			}
		}
		slices.SortFunc(spans, func(a, b [2]int32) int { return cmp.Compare(a[0], b[0]) })
		for k := 0; k < len(spans); {
			start, end := spans[k][0], spans[k][1]
			for k++; k < len(spans) && spans[k][0] <= end+1; k++ {
				end = max(end, spans[k][1])
			}
			diff[start-first]++
			diff[end-first+1]--
		}
	}
	ix.senateFrom = first
	ix.senators = make([]int16, last-first+1)
	n := int32(0)
	for d := range ix.senators {
		n += diff[d]
		ix.senators[d] = int16(min(n, math.MaxInt16))
	}
}

// member is one table row, prepared.
type member struct {
	row   *quant.Legislator
	lasts [][]string // last, then other_names lasts, as tokens; distinct
	given []string   // first, middle, nickname and official_full tokens but the last names'
	spans []span
}

// span is one term in day numbers (days since 1970-01-01).
type span struct {
	chamber    quant.Chamber
	state      string
	district   int32 // -1 when the term has none
	start, end int32
}

func dayNum(t time.Time) int32 { return int32(t.Unix() / 86400) }

func newIndex(t *quant.Legislators) *index {
	ix := &index{t: t, members: make([]member, 0, len(t.Members)), byBio: make(map[string]int32, len(t.Members)),
		byLast: make(map[string][]int32, len(t.Members))}
	for i := range t.Members {
		row := &t.Members[i]
		if !quant.ValidBioguide(row.Bioguide) {
			continue // never an identity (a placeholder from another loader)
		}
		if _, dup := ix.byBio[row.Bioguide]; dup {
			continue // the first row of a bioguide id is the member
		}
		m := member{row: row}
		addLast := func(s string) {
			w := words(tokenize(s))
			if len(w) == 0 {
				return
			}
			for _, l := range m.lasts {
				if slices.Equal(l, w) {
					return
				}
			}
			m.lasts = append(m.lasts, w)
		}
		addLast(row.Last)
		for _, o := range row.OtherNames {
			addLast(o.Last)
		}
		inLast := map[string]bool{}
		for _, l := range m.lasts {
			for _, w := range l {
				inLast[w] = true
			}
		}
		seen := map[string]bool{}
		addGiven := func(s string, skipLast bool) {
			for _, w := range words(tokenize(s)) {
				if !seen[w] && !(skipLast && inLast[w]) {
					seen[w] = true
					m.given = append(m.given, w)
				}
			}
		}
		addGiven(row.First, false)
		addGiven(row.Middle, false)
		addGiven(row.Nickname, false)
		addGiven(row.OfficialFull, true)
		for _, o := range row.OtherNames {
			addGiven(o.First, false)
			addGiven(o.Middle, false)
		}
		for _, tm := range row.Terms {
			sp := span{chamber: tm.Chamber, state: tm.State, district: -1, start: dayNum(tm.Start), end: dayNum(tm.End)}
			if tm.District.Valid {
				sp.district = tm.District.V
			}
			m.spans = append(m.spans, sp)
		}
		n := int32(len(ix.members))
		ix.members = append(ix.members, m)
		ix.byBio[row.Bioguide] = n
		for _, l := range m.lasts {
			if lst := ix.byLast[l[0]]; len(lst) == 0 || lst[len(lst)-1] != n {
				ix.byLast[l[0]] = append(lst, n)
			}
		}
	}
	ix.countSenators()
	return ix
}

// candidate is a member whose name agrees with a record's, and how well
// its given names do (a tier of givenTier).
type candidate struct {
	m    int32
	tier int
}

// candidates returns the members whose names agree with the record's
// tokens (see the package comment: the last name a contiguous run of
// whole words; at the end of the name, or with a given name equal to
// another token), with their best given-name tier.
func (ix *index) candidates(ts []token) []candidate {
	var out []candidate
	for i, t := range ts {
		if t.joined {
			continue
		}
		for _, mi := range ix.byLast[t.s] {
			if slices.ContainsFunc(out, func(c candidate) bool { return c.m == mi }) {
				continue
			}
			if tier, ok := ix.members[mi].agree(ts, i); ok {
				out = append(out, candidate{m: mi, tier: tier})
			}
		}
	}
	return out
}

// agree reports whether one of m's last names is the run of ts starting
// at from (whole words) with the rest agreeing as the package comment
// says, and the best given-name tier of such a run.
func (m *member) agree(ts []token, from int) (tier int, ok bool) {
	tier = tierClash + 1
	for _, l := range m.lasts {
		end := from + len(l)
		if end > len(ts) || (end < len(ts) && ts[end].joined) {
			continue
		}
		match := true
		for k, w := range l {
			if ts[from+k].s != w {
				match = false
				break
			}
		}
		if !match {
			continue
		}
		rest := make([]string, 0, len(ts)-len(l))
		for k := range ts {
			if k < from || k >= end {
				rest = append(rest, ts[k].s)
			}
		}
		t := givenTier(rest, m.given)
		if end == len(ts) || t <= tierVariant {
			ok = true
			tier = min(tier, t)
		}
	}
	return tier, ok
}

// serving reports whether m has a term in chamber (state and district
// when given: "" and -1 are any) covering day, or within tol days of it.
func (m *member) serving(chamber quant.Chamber, state string, district int32, day, tol int32) bool {
	for i := range m.spans {
		s := &m.spans[i]
		if s.chamber == chamber && (state == "" || s.state == state) && (district < 0 || s.district == district) &&
			day >= s.start-tol && day <= s.end+tol {
			return true
		}
	}
	return false
}

// servingAny reports whether m has a term in either chamber covering day,
// or within tol days of it.
func (m *member) servingAny(day, tol int32) bool {
	for i := range m.spans {
		if s := &m.spans[i]; day >= s.start-tol && day <= s.end+tol {
			return true
		}
	}
	return false
}

// kind is what one record group points at.
type kind uint8

const (
	kPerson       kind = iota // one member (who)
	kAmbiguous                // one of several (who: sorted, comma-separated)
	kContradicted             // the record's own bioguide id, which the table lacks, and who the name says (who: all, sorted)
	kNobody                   // no member
	kNoTable                  // no table, no own bioguide id
)

// ownStatus is what the table says of a record's own bioguide id.
type ownStatus uint8

const (
	ownNone       ownStatus = iota // the record carries none
	ownVerified                    // the table's member served on the day (or within Tolerance), or no table
	ownAbsent                      // the table lacks it
	ownRefuted                     // the table's member served nowhere near the day
	ownImpossible                  // the table lacks it and lists the whole Senate on the day
)

// outcome is the resolution of one record on one day; comparable, so
// days of one signature with one outcome make one group.
type outcome struct {
	kind     kind
	who      string // bioguide ids, comma-separated
	where    string // "own", "district", "state", "house", "senate": how the name was matched
	tolerant bool   // only within Tolerance days of a term
	own      ownStatus
	// lastOnly: the one member there and then whose last name agrees,
	// though every given name of the record disagrees with theirs (the
	// issue's rule takes the last name alone; the note says so).
	lastOnly bool
}

// group is the days of one signature with one outcome.
type group struct {
	outcome
	f                         *quant.Filer
	first, last               time.Time
	days, records, analyzable int
}

// resolver resolves signatures; it holds scratch space, so one resolver
// serves one goroutine.
type resolver struct {
	ix  *index
	sel []candidate
}

// filer resolves one signature, day by day, into groups (in order of
// their first day).
func (r *resolver) filer(f *quant.Filer) []group {
	var cands []candidate
	own := int32(-1)
	if r.ix != nil {
		cands = r.ix.candidates(tokenize(f.Name))
		if f.Bioguide != "" {
			if i, ok := r.ix.byBio[f.Bioguide]; ok {
				own = i
			}
		}
	}
	var gs []group
	for _, d := range f.Days {
		o := r.day(f, cands, own, dayNum(d.Date))
		k := slices.IndexFunc(gs, func(g group) bool { return g.outcome == o })
		if k < 0 {
			gs = append(gs, group{outcome: o, f: f, first: d.Date})
			k = len(gs) - 1
		}
		g := &gs[k]
		g.last = d.Date
		g.days++
		g.records += d.Records
		g.analyzable += d.Analyzable
	}
	return gs
}

// day resolves one signature on one day.
func (r *resolver) day(f *quant.Filer, cands []candidate, own int32, day int32) outcome {
	if f.Bioguide != "" {
		switch {
		case r.ix == nil:
			return outcome{kind: kPerson, who: f.Bioguide, where: "own", own: ownVerified}
		case own >= 0:
			m := &r.ix.members[own]
			if m.servingAny(day, 0) {
				return outcome{kind: kPerson, who: f.Bioguide, where: "own", own: ownVerified}
			}
			if m.servingAny(day, Tolerance) {
				return outcome{kind: kPerson, who: f.Bioguide, where: "own", tolerant: true, own: ownVerified}
			}
			o := r.byName(f, cands, day)
			o.own = ownRefuted
			return o
		}
		// A table listing the whole Senate on the day leaves no seat for
		// a senator it lacks: the id is wrong, and the record resolves by
		// its name as one without an id does.
		if f.Chamber == quant.ChamberSenate && r.ix.senateComplete(day) {
			o := r.byName(f, cands, day)
			o.own = ownImpossible
			return o
		}
		// Else only a member whose given name agrees too contradicts the
		// record's own id: the table may not cover this filer, so a last
		// name alone is no evidence against it.
		o := r.byName(f, r.exact(cands), day)
		if o.kind == kNobody {
			return outcome{kind: kPerson, who: f.Bioguide, where: "own", own: ownAbsent}
		}
		o.kind, o.own = kContradicted, ownAbsent
		o.who = joinSorted(append(strings.Split(o.who, ","), f.Bioguide))
		return o
	}
	if r.ix == nil {
		return outcome{kind: kNoTable}
	}
	return r.byName(f, cands, day)
}

// exact returns the candidates whose given names agree exactly (a
// filtered copy).
func (r *resolver) exact(cands []candidate) []candidate {
	var out []candidate
	for _, c := range cands {
		if c.tier == tierExact {
			out = append(out, c)
		}
	}
	return out
}

// byName resolves a record by its chamber, place, day and name: strictly
// first, then within Tolerance days.
func (r *resolver) byName(f *quant.Filer, cands []candidate, day int32) outcome {
	if len(cands) > 0 {
		for _, tol := range [2]int32{0, Tolerance} {
			if o, ok := r.stage(f, cands, day, tol); ok {
				o.tolerant = tol > 0
				return o
			}
		}
	}
	return outcome{kind: kNobody}
}

// stage tries the steps of the package comment with one tolerance; ok is
// false when no step finds anyone.
func (r *resolver) stage(f *quant.Filer, cands []candidate, day, tol int32) (outcome, bool) {
	try := func(chamber quant.Chamber, state string, district int32, where string) (outcome, bool) {
		r.sel = r.sel[:0]
		for _, c := range cands {
			if r.ix.members[c.m].serving(chamber, state, district, day, tol) {
				r.sel = append(r.sel, c)
			}
		}
		if len(r.sel) == 0 {
			return outcome{}, false
		}
		return r.decide(where), true
	}
	switch f.Chamber {
	case quant.ChamberHouse:
		if f.State == "" {
			return try(quant.ChamberHouse, "", -1, "house")
		}
		if f.District.Valid && f.District.V >= 0 {
			if o, ok := try(quant.ChamberHouse, f.State, f.District.V, "district"); ok {
				return o, true
			}
		}
		return try(quant.ChamberHouse, f.State, -1, "state")
	case quant.ChamberSenate:
		return try(quant.ChamberSenate, "", -1, "senate")
	}
	return outcome{}, false
}

// decide picks among r.sel: one candidate is the person; of several, the
// one whose given names agree best (exact before initial), when exactly
// one does; else they are ambiguous (the best-agreeing ones, or all).
func (r *resolver) decide(where string) outcome {
	sel := r.sel
	if len(sel) > 1 {
		for _, tier := range [3]int{tierExact, tierVariant, tierInitial} {
			n := 0
			for _, c := range sel {
				if c.tier == tier {
					sel[n] = c
					n++
				}
			}
			if n > 0 {
				sel = sel[:n]
				break
			}
		}
	}
	if len(sel) == 1 {
		return outcome{kind: kPerson, who: r.ix.members[sel[0].m].row.Bioguide, where: where, lastOnly: sel[0].tier == tierClash}
	}
	bs := make([]string, len(sel))
	for i, c := range sel {
		bs[i] = r.ix.members[c.m].row.Bioguide
	}
	return outcome{kind: kAmbiguous, who: joinSorted(bs), where: where}
}

// joinSorted sorts and deduplicates bs and joins them with commas.
func joinSorted(bs []string) string {
	slices.Sort(bs)
	return strings.Join(slices.Compact(bs), ",")
}

func split(who string) []string {
	if who == "" {
		return nil
	}
	return strings.Split(who, ",")
}

// idAcc gathers one politician id's signatures and groups.
type idAcc struct {
	id                  string
	groups              []group
	chambers            []quant.Chamber
	records, analyzable int
	first, last         time.Time
	houseDay            time.Time // latest day of a House record with a state
	houseState          string
	nameDay             time.Time // latest day of any record, and the name it was filed under
	name                string
}

func (a *idAcc) add(f *quant.Filer, gs []group) {
	a.groups = append(a.groups, gs...)
	if f.Chamber != "" && !slices.Contains(a.chambers, f.Chamber) {
		a.chambers = append(a.chambers, f.Chamber)
		slices.Sort(a.chambers)
	}
	if len(f.Days) == 0 {
		return
	}
	first, last := f.Days[0].Date, f.Days[len(f.Days)-1].Date
	for _, d := range f.Days {
		a.records += d.Records
		a.analyzable += d.Analyzable
	}
	if a.first.IsZero() || first.Before(a.first) {
		a.first = first
	}
	if last.After(a.last) {
		a.last = last
	}
	if f.Chamber == quant.ChamberHouse && f.State != "" && !last.Before(a.houseDay) {
		if last.After(a.houseDay) || f.State < a.houseState {
			a.houseDay, a.houseState = last, f.State
		}
	}
	if !last.Before(a.nameDay) {
		if last.After(a.nameDay) || f.Name < a.name {
			a.nameDay, a.name = last, f.Name
		}
	}
}

// identity resolves one id from its groups (see the package comment).
func (r *resolver) identity(a *idAcc) quant.Identity {
	x := quant.Identity{ID: a.id, Chambers: a.chambers, Records: a.records, Analyzable: a.analyzable,
		FirstTrade: a.first, LastTrade: a.last}
	var definite []string
	var amb []*group
	noTable := false
	for i := range a.groups {
		g := &a.groups[i]
		switch g.kind {
		case kPerson, kContradicted:
			for _, b := range split(g.who) {
				if !slices.Contains(definite, b) {
					definite = append(definite, b)
				}
			}
		case kAmbiguous:
			amb = append(amb, g)
		case kNoTable:
			noTable = true
		}
	}
	slices.Sort(definite)
	if len(definite) == 1 {
		p := definite[0]
		consistent := true
		for _, g := range amb {
			if !slices.Contains(split(g.who), p) {
				consistent = false
			}
		}
		if consistent {
			x.Bioguide = p
			x.Detail = r.correctedNote(a.groups, p)
			if m, ok := r.row(p); ok {
				if t := m.TermNearest(a.last); t != nil {
					x.Party, x.State = t.PartyOn(a.last), t.State
				}
			} else {
				x.State = a.houseState
			}
			return x
		}
	}
	x.State = a.houseState
	switch {
	case len(definite) >= 1:
		x.Reason = quant.UnresolvedConflict
		cands := definite
		for _, g := range amb {
			cands = append(cands, split(g.who)...)
		}
		x.Candidates = split(joinSorted(cands))
		x.Detail = r.conflictDetail(a.groups)
	case len(amb) > 0:
		x.Reason = quant.UnresolvedAmbiguous
		var cands []string
		for _, g := range amb {
			cands = append(cands, split(g.who)...)
		}
		x.Candidates = split(joinSorted(cands))
		x.Detail = r.listDetail(amb, r.ambiguousSentence)
	case noTable:
		x.Reason = quant.UnresolvedNoTable
		x.Detail = "no legislators table is loaded and no record of the id carries a bioguide id"
	default:
		x.Reason = quant.UnresolvedNoMatch
		var none []*group
		for i := range a.groups {
			none = append(none, &a.groups[i])
		}
		x.Detail = r.listDetail(none, r.nobodySentence)
	}
	return x
}

// correctedNote says, for an id resolved to p, whose records' own
// bioguide id the table refuted: "" when none did.
func (r *resolver) correctedNote(gs []group, p string) string {
	for i := range gs {
		g := &gs[i]
		if g.kind != kPerson || g.who != p || g.f.Bioguide == "" || g.f.Bioguide == p {
			continue
		}
		switch g.own {
		case ownRefuted:
			return fmt.Sprintf("its records carry bioguide id %s (%s, who served nowhere near %s); resolved by name and date to %s",
				g.f.Bioguide, r.who(g.f.Bioguide), day(g.first), r.who(p))
		case ownImpossible:
			return fmt.Sprintf("its records carry bioguide id %s, which the table lacks although it lists every senator serving on %s; resolved by name and date to %s",
				g.f.Bioguide, day(g.first), r.who(p))
		}
	}
	for i := range gs {
		if g := &gs[i]; g.kind == kPerson && g.who == p && g.lastOnly {
			return fmt.Sprintf("resolved by the last name alone: %s was the only member with it serving there on %s, and the given names of %q agree with none of theirs (a form of the name the table does not give)",
				r.who(p), day(g.first), g.f.Name)
		}
	}
	return ""
}

// row returns the table's member with bioguide id b.
func (r *resolver) row(b string) (*quant.Legislator, bool) {
	if r.ix == nil {
		return nil, false
	}
	i, ok := r.ix.byBio[b]
	if !ok {
		return nil, false
	}
	return r.ix.members[i].row, true
}

// maxDetailParts bounds the groups a Detail names.
const maxDetailParts = 3

// listDetail joins the sentences of the first groups, naming how many
// more there are.
func (r *resolver) listDetail(gs []*group, sentence func(*group) string) string {
	var parts []string
	for i, g := range gs {
		if i == maxDetailParts {
			parts = append(parts, fmt.Sprintf("and %d more record groups alike", len(gs)-i))
			break
		}
		parts = append(parts, sentence(g))
	}
	return strings.Join(parts, "; ")
}

// place names a signature's chamber and district: "Senate", "House
// NJ-07", "House NJ", "House (no district)".
func place(f *quant.Filer) string {
	switch f.Chamber {
	case quant.ChamberSenate:
		return "Senate"
	case quant.ChamberHouse:
		switch {
		case f.State == "":
			return "House (no district)"
		case f.District.Valid:
			return fmt.Sprintf("House %s-%02d", f.State, f.District.V)
		}
		return "House " + f.State
	}
	return fmt.Sprintf("chamber %q", f.Chamber)
}

// when names a group's days: "2023-04-03" or "2023-04-03 to 2023-05-01
// (3 days)".
func when(g *group) string {
	if g.days == 1 {
		return day(g.first)
	}
	return fmt.Sprintf("%s to %s (%d days)", day(g.first), day(g.last), g.days)
}

// who names members for people: "Tom Udall (U000039)".
func (r *resolver) who(b string) string {
	if m, ok := r.row(b); ok {
		return officialName(m) + " (" + b + ")"
	}
	return b
}

func (r *resolver) names(bs []string) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = r.who(b)
	}
	return andList(parts)
}

func andList(parts []string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func (r *resolver) nobodySentence(g *group) string {
	f := g.f
	var s strings.Builder
	fmt.Fprintf(&s, "%s %s: ", place(f), when(g))
	switch g.own {
	case ownRefuted:
		fmt.Fprintf(&s, "the records' bioguide id %s names %s, who served nowhere near then, and ", f.Bioguide, r.who(f.Bioguide))
	case ownImpossible:
		fmt.Fprintf(&s, "the records' bioguide id %s is not in the table, which lists every senator serving then, and ", f.Bioguide)
	}
	tol := fmt.Sprintf("then, or within %d days,", Tolerance)
	switch {
	case f.Chamber == quant.ChamberSenate:
		fmt.Fprintf(&s, "no senator served %s", tol)
	case f.Chamber == quant.ChamberHouse && f.State != "":
		fmt.Fprintf(&s, "no representative of %s served %s", f.State, tol)
	case f.Chamber == quant.ChamberHouse:
		fmt.Fprintf(&s, "no representative served %s", tol)
	default:
		return s.String() + "the chamber is unknown"
	}
	fmt.Fprintf(&s, " with a name agreeing with %q", f.Name)
	return s.String()
}

func (r *resolver) ambiguousSentence(g *group) string {
	scope := "then"
	if g.tolerant {
		scope = fmt.Sprintf("within %d days", Tolerance)
	}
	return fmt.Sprintf("%s %s: %s served %s with a name agreeing with %q, and no given name decides",
		place(g.f), when(g), r.names(split(g.who)), scope, g.f.Name)
}

// conflictDetail names every person the id's groups point at, each with
// the first group pointing there.
func (r *resolver) conflictDetail(gs []group) string {
	type pointer struct {
		to, how string
		g       *group
	}
	var ps []pointer
	seen := map[string]bool{}
	add := func(to, how string, g *group) {
		if !seen[to] {
			seen[to] = true
			ps = append(ps, pointer{to, how, g})
		}
	}
	for i := range gs {
		g := &gs[i]
		byName := "by name"
		if g.tolerant {
			byName = fmt.Sprintf("by name, within %d days of a term", Tolerance)
		}
		switch g.kind {
		case kPerson:
			switch {
			case g.where == "own" && g.own == ownAbsent:
				add(g.who, "their own bioguide id, which the table lacks", g)
			case g.where == "own":
				add(g.who, "their own bioguide id", g)
			default:
				add(g.who, byName, g)
			}
		case kContradicted:
			for _, b := range split(g.who) {
				if b == g.f.Bioguide {
					add(b, "their own bioguide id, which the table lacks", g)
				} else {
					add(b, byName, g)
				}
			}
		case kAmbiguous:
			add("one of "+r.names(split(g.who)), byName+", undecided", g)
		}
	}
	parts := make([]string, 0, len(ps))
	for i, p := range ps {
		if i == maxDetailParts+1 {
			parts = append(parts, fmt.Sprintf("%d more", len(ps)-i))
			break
		}
		to := p.to
		if !strings.HasPrefix(to, "one of ") {
			if m, ok := r.row(to); ok {
				to += " " + officialName(m)
			}
		}
		if i > 0 && ps[i-1].g == p.g {
			parts = append(parts, fmt.Sprintf("%s (%s: the same records)", to, p.how))
			continue
		}
		days := day(p.g.first)
		if p.g.days > 1 {
			days = fmt.Sprintf("%s to %s, %d days", day(p.g.first), day(p.g.last), p.g.days)
		}
		parts = append(parts, fmt.Sprintf("%s (%s: %s, %q, %s)", to, p.how, place(p.g.f), p.g.f.Name, days))
	}
	return "records point at " + andList(parts)
}

// officialName is a member's official_full, else first and last.
func officialName(m *quant.Legislator) string {
	if m.OfficialFull != "" {
		return m.OfficialFull
	}
	return strings.TrimSpace(m.First + " " + m.Last)
}

// personAcc gathers the ids resolved to one person.
type personAcc struct {
	bioguide string
	ids      []int // into Directory.IDs
	name     string
	nameDay  time.Time
	houseDay time.Time
	state    string
}

func (p *personAcc) add(a *idAcc, i int) {
	p.ids = append(p.ids, i)
	if !a.nameDay.Before(p.nameDay) && (a.nameDay.After(p.nameDay) || a.name < p.name) {
		p.nameDay, p.name = a.nameDay, a.name
	}
	if a.houseState != "" && !a.houseDay.Before(p.houseDay) && (a.houseDay.After(p.houseDay) || a.houseState < p.state) {
		p.houseDay, p.state = a.houseDay, a.houseState
	}
}

// person builds one Person and fills its ids' OfficialName.
func (r *resolver) person(p *personAcc, ids []quant.Identity) quant.Person {
	out := quant.Person{Bioguide: p.bioguide}
	for _, i := range p.ids {
		x := &ids[i]
		out.IDs = append(out.IDs, x.ID)
		for _, c := range x.Chambers {
			if !slices.Contains(out.Chambers, c) {
				out.Chambers = append(out.Chambers, c)
			}
		}
		out.Records += x.Records
		out.Analyzable += x.Analyzable
		if out.FirstTrade.IsZero() || x.FirstTrade.Before(out.FirstTrade) {
			out.FirstTrade = x.FirstTrade
		}
		if x.LastTrade.After(out.LastTrade) {
			out.LastTrade = x.LastTrade
		}
	}
	slices.Sort(out.IDs)
	slices.Sort(out.Chambers)
	if m, ok := r.row(p.bioguide); ok {
		out.Legislator = m
		out.OfficialName = officialName(m)
		if t := m.TermNearest(out.LastTrade); t != nil {
			out.Party, out.State = t.PartyOn(out.LastTrade), t.State
		}
	} else {
		out.OfficialName = p.name
		out.State = p.state
	}
	for _, i := range p.ids {
		ids[i].OfficialName = out.OfficialName
	}
	return out
}
