package server

import (
	"context"
	"slices"
	"strings"

	"github.com/quantops/quant/internal/quant"
)

// Identity on the API. The server reads identity only through
// Config.People (a *quant.Directory per dataset version); it decides
// here:
//
//   - The politician-level filters party, state and chamber select ids
//     by their Identity: Party and State at the id's last trade (for an
//     unresolved id, State is its latest House record's), Chambers the
//     chambers of any of its records. On the listings they become
//     PoliticianQuery.IDs or TradeQuery.PoliticianIDs, so totals and
//     cursors count only the matches. On the trade listings chamber stays
//     the record's own (as before identity), and party and state name
//     the politician's, not the record's: a state filter now also finds
//     senators, whose records carry no state.
//   - party matches case-insensitively and is answered, and passed to
//     analyses, in the table's spelling; a party no term of the loaded
//     table has is a 400 naming the parties it has; without a table
//     (or without People) it is a 400 saying it needs --legislators.
//   - state and chamber without People are a 400 too: nothing here knows
//     an id's state or chambers then.

// noTableDetail is the 400 of a party filter without a legislators table.
const noTableDetail = "filters by the party of the legislators table, and none is loaded: start the server with `quant serve --legislators FILE`"

// directory returns the current resolution, or nil without People.
func (s *Server) directory(ctx context.Context) (*quant.Directory, error) {
	if s.cfg.People == nil {
		return nil, nil
	}
	d, err := s.cfg.People.Directory(ctx)
	if d == nil && err == nil {
		d = &quant.Directory{} // nothing resolved (People returns none only in error)
	}
	return d, err
}

// who is a politician-level filter: every field set must hold.
type who struct {
	Party   string // the table's spelling once resolved
	State   string // two upper-case letters
	Chamber quant.Chamber
}

func (f who) set() bool { return f != who{} }

// match reports whether the id's identity passes the filter.
func (f who) match(x *quant.Identity) bool {
	return (f.Party == "" || strings.EqualFold(x.Party, f.Party)) &&
		(f.State == "" || x.State == f.State) &&
		(f.Chamber == "" || slices.Contains(x.Chambers, f.Chamber))
}

// matchPerson reports whether the person passes the filter.
func (f who) matchPerson(p *quant.Person) bool {
	return (f.Party == "" || strings.EqualFold(p.Party, f.Party)) &&
		(f.State == "" || p.State == f.State) &&
		(f.Chamber == "" || slices.Contains(p.Chambers, f.Chamber))
}

// ids returns the ids of d whose identity passes the filter, never nil
// (an empty list matches nothing).
func (f who) ids(d *quant.Directory) []string {
	out := []string{}
	for i := range d.IDs {
		if f.match(&d.IDs[i]) {
			out = append(out, d.IDs[i].ID)
		}
	}
	return out
}

// party reads a party filter's form (its case does not matter); the
// directory decides whether the table has it (Server.resolveParty).
func (q *query) party(param string) string {
	p := strings.TrimSpace(q.single(param))
	if p != "" && !validPartyForm(p) {
		q.fail(param, "must be a party name such as Democrat, Republican or Independent, got %q", clip(p))
	}
	return p
}

// validPartyForm is quant.ValidParty whatever the case of the first
// letter.
func validPartyForm(p string) bool {
	if p == "" || p[0] >= 0x80 {
		return false
	}
	return quant.ValidParty(strings.ToUpper(p[:1]) + p[1:])
}

// state reads a politician-level state filter, upper case.
func (q *query) state(param string) string {
	st := strings.ToUpper(strings.TrimSpace(q.single(param)))
	if st != "" && !quant.ValidState(st) {
		q.fail(param, "must be a two-letter state code such as CA, got %q", clip(st))
	}
	return st
}

// chamber reads a chamber filter, lower case.
func (q *query) chamber(param string) quant.Chamber {
	c := quant.Chamber(strings.ToLower(strings.TrimSpace(q.single(param))))
	if c != "" && !c.Valid() {
		q.fail(param, "must be senate or house, got %q", clip(string(c)))
	}
	return c
}

// who reads the politician-level filters party, state and chamber of a
// listing (state of a trade listing is read by tradeQuery: it names the
// same parameter).
func (q *query) who() who {
	return who{Party: q.party("party"), State: q.state("state"), Chamber: q.chamber("chamber")}
}

// partyIndex is the distinct parties of one legislators table, sorted.
type partyIndex struct {
	table   *quant.Legislators
	parties []string
}

// parties returns the distinct parties of t's terms and party spans,
// sorted; one table's list is computed once (the last table's is kept).
func (s *Server) parties(t *quant.Legislators) []string {
	if ix := s.partyIx.Load(); ix != nil && ix.table == t {
		return ix.parties
	}
	out := t.Parties()
	s.partyIx.Store(&partyIndex{table: t, parties: out})
	return out
}

// resolveParty returns the table's spelling of party (matched
// case-insensitively), or a 400 naming param: without a table it says it
// needs --legislators, for a party the table lacks it names those it has.
func (s *Server) resolveParty(d *quant.Directory, param, party string) (string, error) {
	if d == nil || d.Legislators == nil {
		return "", quant.Invalid(param, noTableDetail)
	}
	known := s.parties(d.Legislators)
	if p, ok := quant.PartyIn(known, party); ok {
		return p, nil
	}
	return "", quant.Invalid(param, "no member of the legislators table has the party %q; it has %s", clip(party), strings.Join(known, ", "))
}

// resolveWho resolves f against the current directory (which it loads
// only when f is set): the party in the table's spelling. It returns the
// directory (nil when f is not set). Without People, any filter is a 400.
func (s *Server) resolveWho(ctx context.Context, f *who) (*quant.Directory, error) {
	if !f.set() {
		return nil, nil
	}
	if s.cfg.People == nil {
		switch {
		case f.Party != "":
			return nil, quant.Invalid("party", noTableDetail)
		case f.State != "":
			return nil, quant.Invalid("state", "filters by the politician's state, which this server does not resolve (it has no people directory)")
		default:
			return nil, quant.Invalid("chamber", "filters by the politician's chambers, which this server does not resolve (it has no people directory)")
		}
	}
	d, err := s.directory(ctx)
	if err != nil {
		return nil, err
	}
	if f.Party != "" {
		if f.Party, err = s.resolveParty(d, "party", f.Party); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// officialName is a member's official name: official_full, else first
// and last (as quant.Identity.OfficialName is made).
func officialName(m *quant.Legislator) string {
	if m.OfficialFull != "" {
		return m.OfficialFull
	}
	return strings.TrimSpace(m.First + " " + m.Last)
}
