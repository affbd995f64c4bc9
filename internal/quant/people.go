package quant

import (
	"cmp"
	"context"
	"database/sql"
	"iter"
	"slices"
	"strings"
	"time"
)

// Identity. A politician id (ANALYTICS.md section 1) is a spelling of a
// filer's name: "ron-l-wyden", "ron-wyden" and "ronald-l-wyden" are one
// senator. With a congress-legislators table loaded (Legislators), every
// id resolves to at most one person, named by their Biographical
// Directory ("bioguide") id; internal/people loads the table and
// resolves, and the resolution of one dataset version is a Directory.

// Legislators is a congress-legislators table (the project's
// legislators-current / legislators-historical YAML or JSON, or a merge
// of them): every member with their name variants and terms. It is
// immutable once built; a Store keeps one (Store.SetLegislators) so every
// instance on a database agrees.
type Legislators struct {
	// Digest is a hex SHA-256 of the table's content (the Members as
	// loaded, in bioguide order): two tables with one digest are the same.
	Digest string
	// Sources names the files the table was loaded from, for people.
	Sources []string
	// Members is sorted by Bioguide; bioguide ids are unique.
	Members []Legislator
}

// Parties returns the distinct parties of t's terms and party spans,
// sorted.
func (t *Legislators) Parties() []string {
	var out []string
	for i := range t.Members {
		for j := range t.Members[i].Terms {
			term := &t.Members[i].Terms[j]
			if term.Party != "" {
				out = append(out, term.Party)
			}
			for _, span := range term.Parties {
				if span.Party != "" {
					out = append(out, span.Party)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PartyIn returns the spelling parties (a table's Parties) give party,
// matched case-insensitively, and whether one matched.
func PartyIn(parties []string, party string) (string, bool) {
	for _, p := range parties {
		if strings.EqualFold(p, party) {
			return p, true
		}
	}
	return "", false
}

// Legislator is one member of Congress.
type Legislator struct {
	Bioguide     string // e.g. W000779
	First        string
	Middle       string
	Last         string
	Suffix       string // Jr., III
	Nickname     string
	OfficialFull string
	// OtherNames are earlier names (a last name changed on marriage).
	OtherNames []LegislatorName
	Terms      []Term // by Start
}

// LegislatorName is a name a member went by before (congress-legislators
// other_names); End, when known, is the last day it was used.
type LegislatorName struct {
	First, Middle, Last string
	End                 time.Time
}

// Term is one term of service in one chamber.
type Term struct {
	Chamber    Chamber // "sen" -> senate, "rep" -> house
	Start, End time.Time
	State      string
	// District is the House district (0 at large); invalid for senators.
	District sql.Null[int32]
	Party    string // as the table gives it: Democrat, Republican, Independent, ...
	// Parties are the party affiliations within the term when the member
	// changed party during it (congress-legislators party_affiliations),
	// by Start; empty otherwise.
	Parties []PartySpan
}

// PartySpan is one party affiliation within a term.
type PartySpan struct {
	Start, End time.Time
	Party      string
}

// Serving reports whether the term covers day (both ends inclusive).
func (t *Term) Serving(day time.Time) bool {
	return !day.Before(t.Start) && !day.After(t.End)
}

// PartyOn returns the term's party on day: the affiliation covering it
// when the term has several, else Party.
func (t *Term) PartyOn(day time.Time) string {
	for _, p := range t.Parties {
		if !day.Before(p.Start) && !day.After(p.End) {
			return p.Party
		}
	}
	return t.Party
}

// Find returns the member with the bioguide id, or false.
func (l *Legislators) Find(bioguide string) (*Legislator, bool) {
	if l == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(l.Members, bioguide, func(m Legislator, b string) int { return strings.Compare(m.Bioguide, b) })
	if !ok {
		return nil, false
	}
	return &l.Members[i], true
}

// TermOn returns the member's term covering day, or nil.
func (m *Legislator) TermOn(day time.Time) *Term {
	for i := range m.Terms {
		if m.Terms[i].Serving(day) {
			return &m.Terms[i]
		}
	}
	return nil
}

// TermNearest returns the term covering day, else the last term ending
// before it, else the first term; nil when the member has none.
func (m *Legislator) TermNearest(day time.Time) *Term {
	if t := m.TermOn(day); t != nil {
		return t
	}
	var best *Term
	for i := range m.Terms {
		if !m.Terms[i].End.After(day) {
			best = &m.Terms[i]
		}
	}
	if best == nil && len(m.Terms) > 0 {
		best = &m.Terms[0]
	}
	return best
}

// ValidBioguide reports whether id has the form of a Biographical
// Directory id: one upper-case letter and six digits (W000779).
func ValidBioguide(id string) bool {
	if len(id) != 7 || id[0] < 'A' || id[0] > 'Z' {
		return false
	}
	for i := 1; i < 7; i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// Filers is what identity resolution reads of a store, as of one dataset
// version: every distinct filer signature of the stored records, with the
// transaction dates it traded on, and the legislators table stored at that
// version. It is immutable once built; stores build it once per version.
type Filers struct {
	Version     int64
	Legislators *Legislators // nil when no table is stored
	// Filers holds one entry per distinct (PoliticianID, Name, Chamber,
	// State, District, Bioguide) of the stored records, sorted by those
	// fields in that order (District: invalid first, then by number).
	Filers []Filer
}

// Filer is one signature of stored records: who filed, as the records
// say it, and on which transaction dates.
type Filer struct {
	PoliticianID string
	Name         string // Trade.PoliticianName as given
	Chamber      Chamber
	State        string
	District     sql.Null[int32]
	Bioguide     string
	Days         []FilerDay // by Date, ascending, distinct
}

// FilerDay counts a signature's records on one transaction date.
type FilerDay struct {
	Date       time.Time
	Records    int // every record
	Analyzable int // of them, of a known type
}

// UnresolvedReason says why an id resolves to nobody.
type UnresolvedReason string

// The reasons an id stays unresolved.
const (
	// UnresolvedNoTable: no legislators table is loaded and no record of
	// the id carries its own bioguide id.
	UnresolvedNoTable UnresolvedReason = "no_legislators"
	// UnresolvedNoMatch: no member served in the record's chamber (and
	// state) on its dates with a name that agrees.
	UnresolvedNoMatch UnresolvedReason = "no_match"
	// UnresolvedAmbiguous: more than one member could be the filer and the
	// name does not decide between them.
	UnresolvedAmbiguous UnresolvedReason = "ambiguous"
	// UnresolvedConflict: the id's records point at different people.
	UnresolvedConflict UnresolvedReason = "conflict"
)

// Identity is one politician id's resolution.
type Identity struct {
	ID       string
	Bioguide string // "" when unresolved
	// Reason and Detail say why the id is unresolved (Bioguide empty);
	// Candidates lists the bioguide ids in question (ambiguous, conflict),
	// sorted. Detail is a sentence for people naming the records' place
	// in time, chamber, state and names. For a resolved id Detail is
	// empty, or a note on a doubt the resolution settled (records whose
	// own bioguide id the table refutes).
	Reason     UnresolvedReason
	Detail     string
	Candidates []string
	// OfficialName is the person's official name (official_full, else
	// first and last); "" when unresolved.
	OfficialName string
	// Party is the person's party on the id's last trade (the term
	// covering it, else the nearest); "" when unresolved or unknown.
	Party string
	// State is the person's state on the id's last trade; for an
	// unresolved id, the state of its latest House record ("" if none).
	State string
	// Chambers lists the distinct chambers of the id's records, sorted.
	Chambers []Chamber
	// Records and Analyzable count the id's stored records; FirstTrade and
	// LastTrade bound their transaction dates.
	Records, Analyzable   int
	FirstTrade, LastTrade time.Time
}

// Resolved reports whether the id resolved to a person.
func (i *Identity) Resolved() bool { return i.Bioguide != "" }

// Person is one member of Congress with the ids (spellings) their records
// were filed under.
type Person struct {
	Bioguide string
	// Legislator is the member's row in the table; nil when the person is
	// known only from records' own bioguide ids (no table, or a bioguide id
	// the table lacks).
	Legislator   *Legislator
	OfficialName string // "" when Legislator is nil and no record names them
	Party        string // at the person's last trade
	State        string // at the person's last trade
	Chambers     []Chamber
	IDs          []string // sorted
	Records      int
	Analyzable   int
	FirstTrade   time.Time
	LastTrade    time.Time
}

// Directory is the resolution of every stored politician id as of one
// dataset version. It is immutable once built.
type Directory struct {
	Version     int64
	Legislators *Legislators // nil when none is loaded
	IDs         []Identity   // every stored politician id, sorted by ID
	People      []Person     // every person some id resolves to, sorted by Bioguide
}

// Identity returns the resolution of id, or false when no record has it.
func (d *Directory) Identity(id string) (*Identity, bool) {
	if d == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(d.IDs, id, func(x Identity, id string) int { return strings.Compare(x.ID, id) })
	if !ok {
		return nil, false
	}
	return &d.IDs[i], true
}

// Person returns the person with the bioguide id among those some id
// resolves to, or false.
func (d *Directory) Person(bioguide string) (*Person, bool) {
	if d == nil {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(d.People, bioguide, func(p Person, b string) int { return strings.Compare(p.Bioguide, b) })
	if !ok {
		return nil, false
	}
	return &d.People[i], true
}

// PersonID returns the id a merged analysis (Request.MergePeople) knows
// id by: its bioguide id when resolved, else id itself.
func (d *Directory) PersonID(id string) string {
	if x, ok := d.Identity(id); ok && x.Bioguide != "" {
		return x.Bioguide
	}
	return id
}

// PartyOn returns the party of id's person on day (the term covering it,
// else the nearest term); "" when id is unresolved or the table has no
// row for its person.
func (d *Directory) PartyOn(id string, day time.Time) string {
	x, ok := d.Identity(id)
	if !ok || x.Bioguide == "" {
		return ""
	}
	m, ok := d.Legislators.Find(x.Bioguide)
	if !ok {
		return ""
	}
	if t := m.TermNearest(day); t != nil {
		return t.PartyOn(day)
	}
	return ""
}

// Unresolved returns the unresolved identities, by ID.
func (d *Directory) Unresolved() []Identity {
	var out []Identity
	for _, x := range d.IDs {
		if x.Bioguide == "" {
			out = append(out, x)
		}
	}
	return out
}

// People resolves politician ids over a Store. internal/people implements
// it; each result is built once per dataset version.
type People interface {
	// Directory returns the resolution as of the current dataset version.
	Directory(ctx context.Context) (*Directory, error)
	// MergedDataset returns the store's Dataset with every resolved
	// person's ids merged into one Activity whose ID is the bioguide id
	// (weeks summed, tickers united); unresolved ids keep their own.
	MergedDataset(ctx context.Context) (*Dataset, error)
	// MergedDisclosures does the same for the store's Disclosures (each
	// person's records in ID order).
	MergedDisclosures(ctx context.Context) (*Disclosures, error)
}

// NewFilers groups trades into the signatures of Filers, with their
// transaction days, sorted as Filers documents: what a store's Filers
// holds of a store holding exactly trades (stores and tests build it so).
func NewFilers(version int64, t *Legislators, trades iter.Seq[*Trade]) *Filers {
	type key struct {
		id, name, state, bioguide string
		chamber                   Chamber
		district                  sql.Null[int32]
	}
	days := map[key]map[time.Time]*FilerDay{}
	for tr := range trades {
		k := key{tr.PoliticianID, tr.PoliticianName, tr.State, tr.Bioguide, tr.Chamber, tr.District}
		m := days[k]
		if m == nil {
			m = map[time.Time]*FilerDay{}
			days[k] = m
		}
		d := m[tr.TransactionDate]
		if d == nil {
			d = &FilerDay{Date: tr.TransactionDate}
			m[tr.TransactionDate] = d
		}
		d.Records++
		if tr.Analyzable() {
			d.Analyzable++
		}
	}
	f := &Filers{Version: version, Legislators: t, Filers: make([]Filer, 0, len(days))}
	for k, m := range days {
		x := Filer{PoliticianID: k.id, Name: k.name, Chamber: k.chamber, State: k.state, District: k.district, Bioguide: k.bioguide,
			Days: make([]FilerDay, 0, len(m))}
		for _, d := range m {
			x.Days = append(x.Days, *d)
		}
		slices.SortFunc(x.Days, func(a, b FilerDay) int { return a.Date.Compare(b.Date) })
		f.Filers = append(f.Filers, x)
	}
	slices.SortFunc(f.Filers, func(a, b Filer) int { return CompareFilers(&a, &b) })
	return f
}

// CompareFilers orders filer signatures as Filers documents: by
// PoliticianID, Name, Chamber, State, District (none first, then by
// number) and Bioguide, bytewise.
func CompareFilers(a, b *Filer) int {
	if c := cmp.Or(strings.Compare(a.PoliticianID, b.PoliticianID), strings.Compare(a.Name, b.Name),
		cmp.Compare(a.Chamber, b.Chamber), strings.Compare(a.State, b.State)); c != 0 {
		return c
	}
	if a.District.Valid != b.District.Valid {
		if !a.District.Valid {
			return -1
		}
		return 1
	}
	return cmp.Or(cmp.Compare(a.District.V, b.District.V), strings.Compare(a.Bioguide, b.Bioguide))
}
