package people

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quantops/quant/internal/quant"
	"go.yaml.in/yaml/v3"
)

// Errors of the loader.
var (
	// ErrTable: a legislators file is not a valid congress-legislators
	// table; the error is a *TableError listing the problems. It also
	// matches quant.ErrInvalid.
	ErrTable = errors.New("people: invalid legislators table")
	// ErrNoFiles: Load was given no path.
	ErrNoFiles = errors.New("people: no legislators file given")
)

// errNotMember: a list element that is not a mapping (an object).
var errNotMember = errors.New("not a member (a mapping of id, name and terms)")

// MaxProblems is how many problems a TableError lists; Count has them all.
const MaxProblems = 20

// Placeholder is the bioguide id the congress-legislators project writes
// for a member not yet assigned one ("TODO"). Such entries are skipped
// (see the package comment): they name nobody.
const Placeholder = "TODO"

// Problem is one thing wrong in a legislators file.
type Problem struct {
	File     string // the name the file was parsed under
	Member   int    // 1-based position of the member in the file; 0 for the file itself
	Bioguide string // the member's bioguide id as given, "" when missing
	Field    string // e.g. "id.bioguide", "term 3: end"; "" for the whole member or file
	Msg      string
}

// String names the problem for people:
// `legislators-current.yaml: member 12 (W000779): term 3: end: "2020-13-01" is not a date (YYYY-MM-DD)`.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Member > 0 {
		fmt.Fprintf(&b, ": member %d", p.Member)
		if p.Bioguide != "" {
			fmt.Fprintf(&b, " (%s)", p.Bioguide)
		}
	}
	if p.Field != "" {
		b.WriteString(": ")
		b.WriteString(p.Field)
	}
	b.WriteString(": ")
	b.WriteString(p.Msg)
	return b.String()
}

// TableError lists what is wrong with a legislators table: the first
// MaxProblems problems, in file order, and how many there are. A table
// with any problem is refused whole.
type TableError struct {
	Problems []Problem
	Count    int
}

func (e *TableError) Error() string {
	var b strings.Builder
	if e.Count == 1 {
		b.WriteString("people: invalid legislators table: ")
	} else {
		fmt.Fprintf(&b, "people: invalid legislators table, %d problems: ", e.Count)
	}
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	if n := e.Count - len(e.Problems); n > 0 {
		fmt.Fprintf(&b, "; and %d more", n)
	}
	return b.String()
}

// Is makes errors.Is(e, ErrTable) and errors.Is(e, quant.ErrInvalid) true.
func (e *TableError) Is(target error) bool { return target == ErrTable || target == quant.ErrInvalid }

// problems collects Problems, keeping the first MaxProblems.
type problems struct {
	list  []Problem
	count int
}

func (ps *problems) add(p Problem) {
	ps.count++
	if len(ps.list) < MaxProblems {
		ps.list = append(ps.list, p)
	}
}

func (ps *problems) err() error {
	if ps.count == 0 {
		return nil
	}
	return &TableError{Problems: ps.list, Count: ps.count}
}

// Load reads the congress-legislators files at paths (YAML or JSON, told
// by content; see Parse) and merges them into one table (see the package
// comment: one member per bioguide id, terms unioned, names from the file
// holding the member's latest term). Sources are the paths as given. Every
// problem of every file is reported in one *TableError (matching ErrTable);
// a table with any problem is refused whole.
func Load(paths ...string) (*quant.Legislators, error) {
	if len(paths) == 0 {
		return nil, ErrNoFiles
	}
	var ps problems
	var files [][]quant.Legislator
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("people: %w", err)
		}
		members, err := parse(path, f, &ps)
		f.Close()
		if err != nil {
			return nil, err
		}
		files = append(files, members)
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return newTable(paths, merge(files)), nil
}

// Parse reads one congress-legislators file from r; name names it in
// problems and is the table's one Source. The file is JSON (the
// project's legislators-current.json: one array of members) when its
// first non-space byte, after an optional byte order mark, is '[' and it
// parses as JSON; anything else is read as YAML (legislators-*.yaml,
// whose schema the JSON twins share).
func Parse(name string, r io.Reader) (*quant.Legislators, error) {
	var ps problems
	members, err := parse(name, r, &ps)
	if err != nil {
		return nil, err
	}
	if err := ps.err(); err != nil {
		return nil, err
	}
	return newTable([]string{name}, merge([][]quant.Legislator{members})), nil
}

// parse reads one file's members, in file order, adding what is wrong to
// ps. Only a read error is returned as an error.
func parse(name string, r io.Reader, ps *problems) ([]quant.Legislator, error) {
	data, err := io.ReadAll(bufio.NewReader(r))
	if err != nil {
		return nil, fmt.Errorf("people: read %s: %w", name, err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	fileProblem := func(msg string) { ps.add(Problem{File: name, Msg: msg}) }
	var raws []rawMember
	var decodeErrs []error
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	var jsonErr error
	isJSON := false
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if jsonErr = json.Unmarshal(trimmed, &elems); jsonErr == nil {
			isJSON = true
			raws = make([]rawMember, len(elems))
			decodeErrs = make([]error, len(elems))
			for i, e := range elems {
				if e = bytes.TrimSpace(e); len(e) == 0 || e[0] != '{' {
					decodeErrs[i] = errNotMember
					continue
				}
				decodeErrs[i] = json.Unmarshal(e, &raws[i])
			}
		}
	}
	if !isJSON {
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			if jsonErr != nil {
				fileProblem(fmt.Sprintf("neither JSON (%v) nor YAML (%v)", jsonErr, err))
			} else {
				fileProblem(fmt.Sprintf("not YAML: %v", err))
			}
			return nil, nil
		}
		if doc.Kind == 0 {
			fileProblem("empty: no members")
			return nil, nil
		}
		seq := &doc
		if seq.Kind == yaml.DocumentNode && len(seq.Content) == 1 {
			seq = seq.Content[0]
		}
		if seq.Kind != yaml.SequenceNode {
			fileProblem(fmt.Sprintf("line %d: not a list of members", seq.Line))
			return nil, nil
		}
		raws = make([]rawMember, len(seq.Content))
		decodeErrs = make([]error, len(seq.Content))
		for i, n := range seq.Content {
			if n.Kind != yaml.MappingNode {
				decodeErrs[i] = fmt.Errorf("line %d: %w", n.Line, errNotMember)
				continue
			}
			decodeErrs[i] = n.Decode(&raws[i])
		}
	}
	if len(raws) == 0 {
		fileProblem("empty: no members")
		return nil, nil
	}
	members := make([]quant.Legislator, 0, len(raws))
	seen := make(map[string]int, len(raws))
	for i := range raws {
		if errors.Is(decodeErrs[i], errNotMember) {
			ps.add(Problem{File: name, Member: i + 1, Msg: decodeErrs[i].Error()})
			continue
		}
		m, ok := convert(name, i+1, &raws[i], decodeErrs[i], ps)
		if !ok {
			continue
		}
		if first, dup := seen[m.Bioguide]; dup {
			ps.add(Problem{File: name, Member: i + 1, Bioguide: m.Bioguide, Field: "id.bioguide",
				Msg: fmt.Sprintf("duplicate: member %d has the same bioguide id", first)})
			continue
		}
		seen[m.Bioguide] = i + 1
		members = append(members, m)
	}
	return members, nil
}

// text is a scalar read as its text: a YAML scalar's value (a number or a
// date as written) or a JSON string, number or boolean. Null or missing is
// unset; a mapping or list is recorded in bad, never an error, so every
// problem of a member is reported together.
type text struct {
	v   string
	set bool
	bad string // "a mapping" or "a list" when the value was not a scalar
}

func (t *text) UnmarshalYAML(n *yaml.Node) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		t.v, t.set = n.Value, true
	case yaml.MappingNode:
		t.bad = "a mapping"
	case yaml.SequenceNode:
		t.bad = "a list"
	}
	return nil
}

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
	case b[0] == '"':
		if err := json.Unmarshal(b, &t.v); err != nil {
			return err
		}
		t.set = true
	case b[0] == '{':
		t.bad = "an object"
	case b[0] == '[':
		t.bad = "a list"
	default: // a number or a boolean: its JSON text
		t.v, t.set = string(b), true
	}
	return nil
}

// The congress-legislators schema, as far as a table reads it; other keys
// are ignored.
type rawMember struct {
	ID struct {
		Bioguide text `yaml:"bioguide" json:"bioguide"`
	} `yaml:"id" json:"id"`
	Name       rawName    `yaml:"name" json:"name"`
	OtherNames []rawOther `yaml:"other_names" json:"other_names"`
	Terms      []rawTerm  `yaml:"terms" json:"terms"`
}

type rawName struct {
	First        text `yaml:"first" json:"first"`
	Middle       text `yaml:"middle" json:"middle"`
	Last         text `yaml:"last" json:"last"`
	Suffix       text `yaml:"suffix" json:"suffix"`
	Nickname     text `yaml:"nickname" json:"nickname"`
	OfficialFull text `yaml:"official_full" json:"official_full"`
}

type rawOther struct {
	First  text `yaml:"first" json:"first"`
	Middle text `yaml:"middle" json:"middle"`
	Last   text `yaml:"last" json:"last"`
	End    text `yaml:"end" json:"end"`
}

type rawTerm struct {
	Type     text      `yaml:"type" json:"type"`
	Start    text      `yaml:"start" json:"start"`
	End      text      `yaml:"end" json:"end"`
	State    text      `yaml:"state" json:"state"`
	District text      `yaml:"district" json:"district"`
	Party    text      `yaml:"party" json:"party"`
	Parties  []rawSpan `yaml:"party_affiliations" json:"party_affiliations"`
}

type rawSpan struct {
	Start text `yaml:"start" json:"start"`
	End   text `yaml:"end" json:"end"`
	Party text `yaml:"party" json:"party"`
}

// convert checks one member and builds its Legislator; ok is false when
// anything is wrong (every problem is added to ps).
func convert(file string, pos int, r *rawMember, decodeErr error, ps *problems) (m quant.Legislator, ok bool) {
	bio := strings.TrimSpace(r.ID.Bioguide.v)
	before := ps.count
	add := func(field, msg string) {
		ps.add(Problem{File: file, Member: pos, Bioguide: bio, Field: field, Msg: msg})
	}
	if decodeErr != nil {
		add("", decodeMessage(decodeErr))
	}
	str := func(field string, t text) string {
		if t.bad != "" {
			add(field, "is "+t.bad+", not a text")
		}
		return strings.TrimSpace(t.v)
	}
	str("id.bioguide", r.ID.Bioguide)
	switch {
	case r.ID.Bioguide.bad != "":
	case bio == "":
		add("id.bioguide", "missing")
	case bio == Placeholder:
		return m, false // skipped, not a problem: see Placeholder
	case !quant.ValidBioguide(bio):
		add("id.bioguide", fmt.Sprintf("%q is not a bioguide id (one capital letter and six digits)", bio))
	}
	m = quant.Legislator{
		Bioguide:     bio,
		First:        str("name.first", r.Name.First),
		Middle:       str("name.middle", r.Name.Middle),
		Last:         str("name.last", r.Name.Last),
		Suffix:       str("name.suffix", r.Name.Suffix),
		Nickname:     str("name.nickname", r.Name.Nickname),
		OfficialFull: str("name.official_full", r.Name.OfficialFull),
	}
	if m.Last == "" && r.Name.Last.bad == "" {
		add("name.last", "missing")
	}
	for i, o := range r.OtherNames {
		f := fmt.Sprintf("other_names %d", i+1)
		n := quant.LegislatorName{First: str(f+": first", o.First), Middle: str(f+": middle", o.Middle), Last: str(f+": last", o.Last)}
		if e := str(f+": end", o.End); e != "" {
			d, ok := parseDay(e)
			if !ok {
				add(f+": end", fmt.Sprintf("%q is not a date (YYYY-MM-DD)", e))
			}
			n.End = d
		}
		if n.First == "" && n.Middle == "" && n.Last == "" {
			add(f, "names nothing (no first, middle or last)")
		}
		m.OtherNames = append(m.OtherNames, n)
	}
	if len(r.Terms) == 0 {
		add("terms", "missing: a member has at least one term")
	}
	for i := range r.Terms {
		t, keep := convertTerm(fmt.Sprintf("term %d", i+1), &r.Terms[i], str, add)
		if keep {
			m.Terms = append(m.Terms, t)
		}
	}
	if ps.count > before {
		return m, false
	}
	slices.SortStableFunc(m.Terms, compareTerms)
	return m, true
}

// convertTerm checks one term; keep is false for the executive terms
// (prez, viceprez), which are skipped, and for a term with problems.
func convertTerm(f string, r *rawTerm, str func(string, text) string, add func(field, msg string)) (t quant.Term, keep bool) {
	ok := true
	bad := func(field, msg string) { add(field, msg); ok = false }
	switch typ := str(f+": type", r.Type); typ {
	case "sen":
		t.Chamber = quant.ChamberSenate
	case "rep":
		t.Chamber = quant.ChamberHouse
	case "prez", "viceprez":
		return t, false
	case "":
		if r.Type.bad == "" {
			bad(f+": type", "missing (sen or rep)")
		}
	default:
		bad(f+": type", fmt.Sprintf("%q is not a term type (sen or rep)", typ))
	}
	date := func(field string, v text) time.Time {
		s := str(f+": "+field, v)
		if s == "" {
			if v.bad == "" {
				bad(f+": "+field, "missing")
			}
			return time.Time{}
		}
		d, dok := parseDay(s)
		if !dok {
			bad(f+": "+field, fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s))
		}
		return d
	}
	t.Start = date("start", r.Start)
	t.End = date("end", r.End)
	if !t.Start.IsZero() && !t.End.IsZero() && t.End.Before(t.Start) {
		bad(f+": end", fmt.Sprintf("%s is before the start, %s", day(t.End), day(t.Start)))
	}
	t.State = str(f+": state", r.State)
	switch {
	case t.State == "" && r.State.bad == "":
		bad(f+": state", "missing")
	case t.State != "" && !validState(t.State):
		bad(f+": state", fmt.Sprintf("%q is not a state (two capital letters)", t.State))
	}
	if d := str(f+": district", r.District); d != "" && t.Chamber == quant.ChamberHouse {
		n, err := strconv.ParseInt(d, 10, 32)
		switch {
		case err != nil || n < -1:
			bad(f+": district", fmt.Sprintf("%q is not a district (0 at large, -1 unknown, or a number)", d))
		case n >= 0:
			t.District = sql.Null[int32]{V: int32(n), Valid: true}
		}
	}
	t.Party = str(f+": party", r.Party)
	for i, p := range r.Parties {
		g := fmt.Sprintf("%s: party_affiliations %d", f, i+1)
		s := quant.PartySpan{Party: str(g+": party", p.Party)}
		if s.Party == "" && p.Party.bad == "" {
			bad(g+": party", "missing")
		}
		s.Start = date(fmt.Sprintf("party_affiliations %d: start", i+1), p.Start)
		s.End = date(fmt.Sprintf("party_affiliations %d: end", i+1), p.End)
		if !s.Start.IsZero() && !s.End.IsZero() && s.End.Before(s.Start) {
			bad(g+": end", fmt.Sprintf("%s is before the start, %s", day(s.End), day(s.Start)))
		}
		t.Parties = append(t.Parties, s)
	}
	slices.SortStableFunc(t.Parties, func(a, b quant.PartySpan) int { return a.Start.Compare(b.Start) })
	return t, ok
}

// decodeMessage shortens a decoder's error for a Problem.
func decodeMessage(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return strings.Join(te.Errors, "; ")
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field != "" {
			return fmt.Sprintf("%s: a JSON %s where %s belongs", ute.Field, ute.Value, jsonKind(ute.Type.Kind().String()))
		}
		return fmt.Sprintf("a JSON %s where a member (an object) belongs", ute.Value)
	}
	return err.Error()
}

func jsonKind(k string) string {
	switch k {
	case "struct":
		return "an object"
	case "slice":
		return "a list"
	}
	return k
}

// compareTerms orders terms by Start, then chamber, then End.
func compareTerms(a, b quant.Term) int {
	return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Chamber, b.Chamber), a.End.Compare(b.End))
}

// parseDay reads exactly YYYY-MM-DD, a real calendar date, as midnight UTC.
func parseDay(s string) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, false
	}
	return d, true
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

func validState(s string) bool {
	return len(s) == 2 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z'
}

// merge unions the members of several files (each file's members
// distinct by bioguide id): one member per bioguide id, its terms the
// union of the files' terms (one per chamber and start: a term two files
// hold is taken from the file that wins the names, and of two terms one
// file gives the same chamber and start, the later listed), and its names
// (first, middle, last, suffix, nickname, official_full, other_names)
// from the file holding its latest term (latest start, then latest end);
// when two files hold that term, the later file in argument order.
func merge(files [][]quant.Legislator) []quant.Legislator {
	type entry struct {
		m    quant.Legislator // the winning file's row
		rows []quant.Legislator
	}
	by := map[string]*entry{}
	for _, members := range files {
		for _, m := range members {
			e := by[m.Bioguide]
			if e == nil {
				by[m.Bioguide] = &entry{m: m, rows: []quant.Legislator{m}}
				continue
			}
			e.rows = append(e.rows, m)
			if !laterTerm(latest(m), latest(e.m)) { // m's latest term is as late or later
				e.m = m
			}
		}
	}
	out := make([]quant.Legislator, 0, len(by))
	for _, e := range by {
		m := e.m
		type key struct {
			c quant.Chamber
			s time.Time
		}
		terms := map[key]quant.Term{}
		for _, r := range e.rows {
			for _, t := range r.Terms {
				terms[key{t.Chamber, t.Start}] = t
			}
		}
		for _, t := range e.m.Terms { // the winner's own terms win
			terms[key{t.Chamber, t.Start}] = t
		}
		m.Terms = make([]quant.Term, 0, len(terms))
		for _, t := range terms {
			m.Terms = append(m.Terms, t)
		}
		slices.SortFunc(m.Terms, compareTerms)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b quant.Legislator) int { return strings.Compare(a.Bioguide, b.Bioguide) })
	return out
}

// latest returns the member's latest term (by start, then end), or nil.
func latest(m quant.Legislator) *quant.Term {
	var best *quant.Term
	for i := range m.Terms {
		if t := &m.Terms[i]; best == nil || laterTerm(best, t) {
			best = t
		}
	}
	return best
}

// laterTerm reports whether b is strictly later than a (start, then end);
// nil is earliest.
func laterTerm(a, b *quant.Term) bool {
	switch {
	case b == nil:
		return false
	case a == nil:
		return true
	}
	return cmp.Or(b.Start.Compare(a.Start), b.End.Compare(a.End)) > 0
}

// newTable wraps merged members in a table with its digest.
func newTable(sources []string, members []quant.Legislator) *quant.Legislators {
	return &quant.Legislators{Digest: Digest(members), Sources: slices.Clone(sources), Members: members}
}

// Digest returns the hex SHA-256 of a canonical encoding of members (as
// given; a table's Members are sorted by bioguide id): every field of
// every member, term and party span, each string length-prefixed and each
// list count-prefixed, dates as days since 1970, so two tables have one
// digest exactly when their Members are equal.
func Digest(members []quant.Legislator) string {
	h := sha256.New()
	var b []byte
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	num := func(v int64) { b = binary.AppendVarint(b, v) }
	date := func(t time.Time) {
		if t.IsZero() {
			b = append(b, 0)
			return
		}
		b = append(b, 1)
		num(t.Unix() / 86400)
	}
	h.Write(binary.AppendUvarint(nil, uint64(len(members))))
	for i := range members {
		m := &members[i]
		b = b[:0]
		str(m.Bioguide)
		str(m.First)
		str(m.Middle)
		str(m.Last)
		str(m.Suffix)
		str(m.Nickname)
		str(m.OfficialFull)
		num(int64(len(m.OtherNames)))
		for _, o := range m.OtherNames {
			str(o.First)
			str(o.Middle)
			str(o.Last)
			date(o.End)
		}
		num(int64(len(m.Terms)))
		for _, t := range m.Terms {
			str(string(t.Chamber))
			date(t.Start)
			date(t.End)
			str(t.State)
			if t.District.Valid {
				b = append(b, 1)
				num(int64(t.District.V))
			} else {
				b = append(b, 0)
			}
			str(t.Party)
			num(int64(len(t.Parties)))
			for _, p := range t.Parties {
				date(p.Start)
				date(p.End)
				str(p.Party)
			}
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}
