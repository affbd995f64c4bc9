package server

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// People API: GET /api/v1/people, GET /api/v1/people/{bioguide}. Both
// read the directory of the current dataset version (Config.People) and
// the store's politicians for the ids' spellings and counts.
//
// Decisions where issue 14 is silent:
//
//   - sort=name orders people by official name (case-insensitive; people
//     without one last), unresolved ids by id; sort=trades by records,
//     sort=last_trade by the last transaction date, both descending. Every
//     order ends its ties with the bioguide id (unresolved ids: the id).
//   - With unresolved=true the answer lists the unresolved ids under
//     "ids" instead of people under "people" (their items differ).
//   - A member of the table no stored record resolves to answers 200 with
//     ids [], zero counts and null trade dates; party and state are those
//     of the member's last term then (the person has no last trade).
//   - chambers are the chambers of the person's records (as on the
//     politicians), not of their terms: the terms carry their own.

func (s *Server) peopleRoutes() {
	s.router.HandleFunc("/api/v1/people", s.listPeople).Methods(http.MethodGet, http.MethodHead)
	s.router.HandleFunc("/api/v1/people/{bioguide}", s.getPerson).Methods(http.MethodGet, http.MethodHead)
}

// legislatorsJSON names the loaded legislators table.
type legislatorsJSON struct {
	Sources []string `json:"sources"`
	Digest  string   `json:"digest"`
	Members int      `json:"members"`
}

func toLegislatorsJSON(t *quant.Legislators) *legislatorsJSON {
	if t == nil {
		return nil
	}
	return &legislatorsJSON{Sources: orEmpty(t.Sources), Digest: t.Digest, Members: len(t.Members)}
}

// personJSON is a person of GET /api/v1/people.
type personJSON struct {
	Bioguide        string          `json:"bioguide"`
	Name            *string         `json:"name"` // the official name
	Party           *string         `json:"party"`
	State           *string         `json:"state"`
	Chambers        []quant.Chamber `json:"chambers"`
	IDs             []string        `json:"ids"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
}

// unresolvedIDJSON is an unresolved id of GET /api/v1/people?unresolved=true.
type unresolvedIDJSON struct {
	ID              string                 `json:"id"`
	Names           []string               `json:"names"`
	Reason          quant.UnresolvedReason `json:"reason"`
	Detail          string                 `json:"detail"`
	Candidates      []string               `json:"candidates"`
	Chambers        []quant.Chamber        `json:"chambers"`
	State           *string                `json:"state"`
	TradeCount      int                    `json:"trade_count"`
	AnalyzableCount int                    `json:"analyzable_count"`
	FirstTrade      string                 `json:"first_trade"`
	LastTrade       string                 `json:"last_trade"`
}

// peoplePageJSON is a page of GET /api/v1/people on the wire.
type peoplePageJSON struct {
	People      []personJSON     `json:"people"`
	Total       int              `json:"total"`
	Limit       int              `json:"limit"`
	Offset      int              `json:"offset"`
	Legislators *legislatorsJSON `json:"legislators"`
}

// unresolvedPageJSON is a page of GET /api/v1/people?unresolved=true on
// the wire.
type unresolvedPageJSON struct {
	IDs         []unresolvedIDJSON `json:"ids"`
	Total       int                `json:"total"`
	Limit       int                `json:"limit"`
	Offset      int                `json:"offset"`
	Legislators *legislatorsJSON   `json:"legislators"`
}

// peopleParams are the query parameters of GET /api/v1/people.
var peopleParams = []string{"party", "state", "chamber", "sort", "limit", "offset", "unresolved"}

// listPeople answers GET /api/v1/people: the people some stored id
// resolves to (or, with unresolved=true, the ids that resolve to nobody),
// filtered by party, state and chamber, sorted and paged; total counts
// the matches before paging.
func (s *Server) listPeople(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only(peopleParams...)
	sort := quant.PoliticianSort(cmp.Or(q.single("sort"), string(quant.SortTrades)))
	if !sort.Valid() {
		q.fail("sort", "must be trades, name or last_trade, got %q", clip(string(sort)))
	}
	limit := q.int("limit", defaultLimit, 1, maxLimit)
	offset := q.int("offset", 0, 0, 1<<30)
	unresolved := false
	switch v := q.single("unresolved"); v {
	case "", "false":
	case "true":
		unresolved = true
	default:
		q.fail("unresolved", "must be true or false, got %q", clip(v))
	}
	f := q.who()
	if q.err == nil && unresolved && f.Party != "" {
		q.fail("party", "unresolved ids have no party; leave out party or unresolved=true")
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	ctx := r.Context()
	d, err := s.directory(ctx)
	if err == nil && f.Party != "" {
		f.Party, err = s.resolveParty(d, "party", f.Party)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	page := func(n int) (lo, hi int) { return min(offset, n), min(offset+limit, n) }
	if unresolved {
		var ids []*quant.Identity
		for i := range d.IDs {
			if x := &d.IDs[i]; !x.Resolved() && f.match(x) {
				ids = append(ids, x)
			}
		}
		slices.SortFunc(ids, func(a, b *quant.Identity) int {
			return byActivity(sort, a.Records, b.Records, a.LastTrade, b.LastTrade, a.ID, b.ID)
		})
		lo, hi := page(len(ids))
		shown := ids[lo:hi]
		want := make([]string, len(shown))
		for i, x := range shown {
			want[i] = x.ID
		}
		ps, err := s.politiciansByID(r, want)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		out := unresolvedPageJSON{IDs: make([]unresolvedIDJSON, 0, len(shown)), Total: len(ids), Limit: limit, Offset: offset, Legislators: toLegislatorsJSON(d.Legislators)}
		for _, x := range shown {
			out.IDs = append(out.IDs, unresolvedIDJSON{
				ID: x.ID, Names: orEmpty(ps[x.ID].Names), Reason: x.Reason, Detail: x.Detail, Candidates: orEmpty(x.Candidates),
				Chambers: orEmpty(x.Chambers), State: stringOrNull(x.State),
				TradeCount: x.Records, AnalyzableCount: x.Analyzable,
				FirstTrade: x.FirstTrade.Format(time.DateOnly), LastTrade: x.LastTrade.Format(time.DateOnly),
			})
		}
		s.writeListing(w, r, out)
		return
	}
	var people []*quant.Person
	for i := range d.People {
		if p := &d.People[i]; f.matchPerson(p) {
			people = append(people, p)
		}
	}
	if sort == quant.SortName {
		slices.SortFunc(people, func(a, b *quant.Person) int {
			if c := byName(a.OfficialName, b.OfficialName); c != 0 {
				return c
			}
			return strings.Compare(a.Bioguide, b.Bioguide)
		})
	} else {
		slices.SortFunc(people, func(a, b *quant.Person) int {
			return byActivity(sort, a.Records, b.Records, a.LastTrade, b.LastTrade, a.Bioguide, b.Bioguide)
		})
	}
	lo, hi := page(len(people))
	out := peoplePageJSON{People: make([]personJSON, 0, hi-lo), Total: len(people), Limit: limit, Offset: offset, Legislators: toLegislatorsJSON(d.Legislators)}
	for _, p := range people[lo:hi] {
		out.People = append(out.People, personJSON{
			Bioguide: p.Bioguide, Name: stringOrNull(p.OfficialName), Party: stringOrNull(p.Party), State: stringOrNull(p.State),
			Chambers: orEmpty(p.Chambers), IDs: orEmpty(p.IDs), TradeCount: p.Records, AnalyzableCount: p.Analyzable,
			FirstTrade: p.FirstTrade.Format(time.DateOnly), LastTrade: p.LastTrade.Format(time.DateOnly),
		})
	}
	s.writeListing(w, r, out)
}

// byActivity orders by sort (trades: records desc; last_trade: last
// trade desc; name: neither), then by key ascending.
func byActivity(sort quant.PoliticianSort, ra, rb int, la, lb time.Time, ka, kb string) int {
	switch sort {
	case quant.SortTrades:
		if c := cmp.Compare(rb, ra); c != 0 {
			return c
		}
	case quant.SortLastTrade:
		if c := lb.Compare(la); c != 0 {
			return c
		}
	}
	return strings.Compare(ka, kb)
}

// byName orders names case-insensitively (then bytewise), the empty name
// last.
func byName(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
}

// politiciansByID returns the store's politicians of ids, by id (an id
// the store no longer holds is absent).
func (s *Server) politiciansByID(r *http.Request, ids []string) (map[string]quant.Politician, error) {
	out := make(map[string]quant.Politician, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ps, _, err := s.cfg.Store.Politicians(r.Context(), quant.PoliticianQuery{IDs: ids, Sort: quant.SortName})
	for _, p := range ps {
		out[p.ID] = p
	}
	return out, err
}

// personDetailJSON is GET /api/v1/people/{bioguide} on the wire.
type personDetailJSON struct {
	Bioguide        string          `json:"bioguide"`
	Name            *string         `json:"name"` // the official name
	NameParts       *namePartsJSON  `json:"name_parts"`
	Party           *string         `json:"party"`
	State           *string         `json:"state"`
	Chambers        []quant.Chamber `json:"chambers"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      *string         `json:"first_trade"`
	LastTrade       *string         `json:"last_trade"`
	IDs             []personIDJSON  `json:"ids"`
	Terms           []termJSON      `json:"terms"`
}

// namePartsJSON is a member's name as the legislators table gives it;
// absent parts are null.
type namePartsJSON struct {
	First        *string         `json:"first"`
	Middle       *string         `json:"middle"`
	Last         *string         `json:"last"`
	Suffix       *string         `json:"suffix"`
	Nickname     *string         `json:"nickname"`
	OfficialFull *string         `json:"official_full"`
	OtherNames   []otherNameJSON `json:"other_names"`
}

// otherNameJSON is a name the member went by before.
type otherNameJSON struct {
	First  *string `json:"first"`
	Middle *string `json:"middle"`
	Last   *string `json:"last"`
	End    *string `json:"end"`
}

// personIDJSON is one politician id (spelling) of a person.
type personIDJSON struct {
	ID              string          `json:"id"`
	Names           []string        `json:"names"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstTrade      string          `json:"first_trade"`
	LastTrade       string          `json:"last_trade"`
	Chambers        []quant.Chamber `json:"chambers"`
}

// termJSON is one term of service.
type termJSON struct {
	Chamber  quant.Chamber   `json:"chamber"`
	Start    string          `json:"start"`
	End      string          `json:"end"`
	State    string          `json:"state"`
	District *int32          `json:"district"`
	Party    *string         `json:"party"`
	Parties  []partySpanJSON `json:"parties"`
}

// partySpanJSON is one party affiliation within a term.
type partySpanJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Party string `json:"party"`
}

// getPerson answers GET /api/v1/people/{bioguide}: the person, their ids
// with the store's figures for each, and their terms from the table.
func (s *Server) getPerson(w http.ResponseWriter, r *http.Request) {
	bioguide := mux.Vars(r)["bioguide"]
	q := &query{v: r.URL.Query()}
	q.only()
	if q.err == nil && !quant.ValidBioguide(bioguide) {
		q.fail("bioguide", "must be a bioguide id: one upper-case letter and six digits (W000779), got %q", clip(bioguide))
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	d, err := s.directory(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	p, known := d.Person(bioguide)
	m, inTable := d.Legislators.Find(bioguide)
	if !known && !inTable {
		detail := "no stored record resolves to %s, and the legislators table has no such member"
		if d.Legislators == nil {
			detail = "no stored record resolves to %s (no legislators table is loaded: `quant serve --legislators FILE`)"
		}
		s.writeError(w, r, problem.WithDetail(&quant.NotFoundError{What: "person", ID: bioguide}, detail, bioguide))
		return
	}
	if !inTable && p.Legislator != nil {
		m, inTable = p.Legislator, true
	}
	out := personDetailJSON{Bioguide: bioguide, Chambers: []quant.Chamber{}, IDs: []personIDJSON{}, Terms: []termJSON{}}
	if known {
		out.Name, out.Party, out.State = stringOrNull(p.OfficialName), stringOrNull(p.Party), stringOrNull(p.State)
		out.Chambers = orEmpty(p.Chambers)
		out.TradeCount, out.AnalyzableCount = p.Records, p.Analyzable
		out.FirstTrade, out.LastTrade = dateOrNull(p.FirstTrade), dateOrNull(p.LastTrade)
		ps, err := s.politiciansByID(r, p.IDs)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		for _, id := range p.IDs {
			pol, ok := ps[id]
			if !ok {
				continue // gone since the directory was built
			}
			out.IDs = append(out.IDs, personIDJSON{
				ID: id, Names: orEmpty(pol.Names), TradeCount: pol.TradeCount, AnalyzableCount: pol.AnalyzableCount,
				FirstTrade: pol.FirstTrade.Format(time.DateOnly), LastTrade: pol.LastTrade.Format(time.DateOnly),
				Chambers: orEmpty(pol.Chambers),
			})
		}
	}
	if inTable {
		out.NameParts = toNamePartsJSON(m)
		for i := range m.Terms {
			out.Terms = append(out.Terms, toTermJSON(&m.Terms[i]))
		}
		if !known { // no record: as of the member's last term
			out.Name = stringOrNull(officialName(m))
			if n := len(m.Terms); n > 0 {
				last := &m.Terms[n-1]
				out.Party, out.State = stringOrNull(last.PartyOn(last.End)), stringOrNull(last.State)
			}
		}
	}
	s.writeListing(w, r, out)
}

func toNamePartsJSON(m *quant.Legislator) *namePartsJSON {
	n := &namePartsJSON{
		First: stringOrNull(m.First), Middle: stringOrNull(m.Middle), Last: stringOrNull(m.Last),
		Suffix: stringOrNull(m.Suffix), Nickname: stringOrNull(m.Nickname), OfficialFull: stringOrNull(m.OfficialFull),
		OtherNames: make([]otherNameJSON, 0, len(m.OtherNames)),
	}
	for _, o := range m.OtherNames {
		n.OtherNames = append(n.OtherNames, otherNameJSON{
			First: stringOrNull(o.First), Middle: stringOrNull(o.Middle), Last: stringOrNull(o.Last), End: dateOrNull(o.End),
		})
	}
	return n
}

func toTermJSON(t *quant.Term) termJSON {
	j := termJSON{
		Chamber: t.Chamber, Start: t.Start.Format(time.DateOnly), End: t.End.Format(time.DateOnly),
		State: t.State, District: nullable(t.District), Party: stringOrNull(t.Party),
		Parties: make([]partySpanJSON, 0, len(t.Parties)),
	}
	for _, p := range t.Parties {
		j.Parties = append(j.Parties, partySpanJSON{Start: p.Start.Format(time.DateOnly), End: p.End.Format(time.DateOnly), Party: p.Party})
	}
	return j
}
