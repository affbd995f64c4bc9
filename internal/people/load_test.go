package people

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// smallYAML is a hand-made table in the congress-legislators YAML schema:
// a senator who was a representative, a party switch within a term
// (party_affiliations), an at-large seat, an unknown district (-1), an
// earlier last name (other_names), an executive term (skipped) and keys
// the loader ignores.
const smallYAML = `
- id:
    bioguide: T000461
    govtrack: 400408
  name:
    first: Patrick
    middle: J.
    last: Toomey
    nickname: Pat
    official_full: Patrick J. Toomey
  bio:
    birthday: '1961-11-17'
  terms:
  - type: sen
    start: '2011-01-05'
    end: '2017-01-03'
    state: PA
    party: Republican
    class: 3
  - type: rep
    start: '1999-01-06'
    end: '2001-01-03'
    state: PA
    district: 15
    party: Republican
- id:
    bioguide: A000367
  name:
    first: Justin
    last: Amash
  terms:
  - type: rep
    start: 2019-01-03
    end: 2021-01-03
    state: MI
    district: 3
    party: Libertarian
    party_affiliations:
    - start: '2020-05-01'
      end: '2021-01-03'
      party: Libertarian
    - start: '2019-01-03'
      end: '2019-07-03'
      party: Republican
    - start: '2019-07-04'
      end: '2020-04-30'
      party: Independent
- id:
    bioguide: B001228
  name:
    first: Mary
    last: Bono Mack
  other_names:
  - last: Bono
    end: '2007-12-17'
  terms:
  - type: rep
    start: '1998-04-07'
    end: '1999-01-03'
    state: CA
    district: 0
  - type: rep
    start: '1789-03-04'
    end: '1791-03-03'
    state: PA
    district: -1
  - type: prez
    start: '2009-01-20'
    end: '2013-01-20'
    party: Democrat
`

// smallJSON is smallYAML as the project's JSON twin writes it.
const smallJSON = `[
 {"id": {"bioguide": "T000461", "govtrack": 400408},
  "name": {"first": "Patrick", "middle": "J.", "last": "Toomey", "nickname": "Pat", "official_full": "Patrick J. Toomey"},
  "bio": {"birthday": "1961-11-17"},
  "terms": [
   {"type": "sen", "start": "2011-01-05", "end": "2017-01-03", "state": "PA", "party": "Republican", "class": 3},
   {"type": "rep", "start": "1999-01-06", "end": "2001-01-03", "state": "PA", "district": 15, "party": "Republican"}]},
 {"id": {"bioguide": "A000367"},
  "name": {"first": "Justin", "last": "Amash"},
  "terms": [
   {"type": "rep", "start": "2019-01-03", "end": "2021-01-03", "state": "MI", "district": 3, "party": "Libertarian",
    "party_affiliations": [
     {"start": "2020-05-01", "end": "2021-01-03", "party": "Libertarian"},
     {"start": "2019-01-03", "end": "2019-07-03", "party": "Republican"},
     {"start": "2019-07-04", "end": "2020-04-30", "party": "Independent"}]}]},
 {"id": {"bioguide": "B001228"},
  "name": {"first": "Mary", "last": "Bono Mack"},
  "other_names": [{"last": "Bono", "end": "2007-12-17"}],
  "terms": [
   {"type": "rep", "start": "1998-04-07", "end": "1999-01-03", "state": "CA", "district": 0},
   {"type": "rep", "start": "1789-03-04", "end": "1791-03-03", "state": "PA", "district": -1},
   {"type": "prez", "start": "2009-01-20", "end": "2013-01-20", "party": "Democrat"}]}
]`

func district(n int32) sql.Null[int32] { return sql.Null[int32]{V: n, Valid: true} }

// smallMembers is what smallYAML and smallJSON hold, by bioguide id.
var smallMembers = []quant.Legislator{
	{Bioguide: "A000367", First: "Justin", Last: "Amash", Terms: []quant.Term{
		{Chamber: quant.ChamberHouse, Start: date("2019-01-03"), End: date("2021-01-03"), State: "MI", District: district(3), Party: "Libertarian",
			Parties: []quant.PartySpan{
				{Start: date("2019-01-03"), End: date("2019-07-03"), Party: "Republican"},
				{Start: date("2019-07-04"), End: date("2020-04-30"), Party: "Independent"},
				{Start: date("2020-05-01"), End: date("2021-01-03"), Party: "Libertarian"},
			}},
	}},
	{Bioguide: "B001228", First: "Mary", Last: "Bono Mack",
		OtherNames: []quant.LegislatorName{{Last: "Bono", End: date("2007-12-17")}},
		Terms: []quant.Term{
			{Chamber: quant.ChamberHouse, Start: date("1789-03-04"), End: date("1791-03-03"), State: "PA"},
			{Chamber: quant.ChamberHouse, Start: date("1998-04-07"), End: date("1999-01-03"), State: "CA", District: district(0)},
		}},
	{Bioguide: "T000461", First: "Patrick", Middle: "J.", Last: "Toomey", Nickname: "Pat", OfficialFull: "Patrick J. Toomey", Terms: []quant.Term{
		{Chamber: quant.ChamberHouse, Start: date("1999-01-06"), End: date("2001-01-03"), State: "PA", District: district(15), Party: "Republican"},
		{Chamber: quant.ChamberSenate, Start: date("2011-01-05"), End: date("2017-01-03"), State: "PA", Party: "Republican"},
	}},
}

func TestParseSmall(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"yaml", smallYAML},
		{"json", smallJSON},
		{"json with BOM and leading space", "\xef\xbb\xbf \n" + smallJSON},
		{"yaml flow list starting with [", yamlFlow},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			want := smallMembers
			if tc.name == "yaml flow list starting with [" {
				want = smallMembers[2:]
			}
			got, err := Parse("small."+tc.name, strings.NewReader(in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(want, got.Members); diff != "" {
				t.Errorf("Parse members (-want +got):\n%s", diff)
			}
			if got.Digest != Digest(want) {
				t.Errorf("Digest = %s, want Digest(Members) %s", got.Digest, Digest(want))
			}
			if !slices.Equal(got.Sources, []string{"small." + tc.name}) {
				t.Errorf("Sources = %q", got.Sources)
			}
		})
	}
	y, _ := Parse("a.yaml", strings.NewReader(smallYAML))
	j, _ := Parse("b.json", strings.NewReader(smallJSON))
	if y.Digest != j.Digest {
		t.Errorf("the YAML and JSON twins digest differently: %s vs %s", y.Digest, j.Digest)
	}
}

// yamlFlow starts with '[' but is YAML, not JSON (unquoted keys): read
// as YAML.
const yamlFlow = `[{id: {bioguide: T000461}, name: {first: Patrick, middle: J., last: Toomey, nickname: Pat, official_full: Patrick J. Toomey},
  terms: [{type: sen, start: 2011-01-05, end: 2017-01-03, state: PA, party: Republican},
          {type: rep, start: 1999-01-06, end: 2001-01-03, state: PA, district: 15, party: Republican}]}]`

func TestParsePlaceholder(t *testing.T) {
	in := smallYAML + `
- id:
    bioguide: TODO
  name:
    first: Mike
    last: Rounds
  terms:
  - type: sen
    start: '2015-01-03'
    end: '2021-01-03'
    state: SD
`
	got, err := Parse("p.yaml", strings.NewReader(in))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if diff := cmp.Diff(smallMembers, got.Members); diff != "" {
		t.Errorf("a placeholder member is not skipped (-want +got):\n%s", diff)
	}
}

func TestParseProblems(t *testing.T) {
	member := func(bio, terms string) string {
		return fmt.Sprintf("- id:\n    bioguide: %s\n  name:\n    first: A\n    last: B\n  terms:\n%s", bio, terms)
	}
	term := "  - type: rep\n    start: '2019-01-03'\n    end: '2021-01-03'\n    state: MI\n    district: 3\n"
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the error, in order
		count    int
	}{
		{"missing bioguide", "- id:\n    govtrack: 1\n  name:\n    last: B\n  terms:\n" + term,
			[]string{"f.yaml: member 1: id.bioguide: missing"}, 1},
		{"not a bioguide", member("W00779", term), []string{`member 1 (W00779): id.bioguide: "W00779" is not a bioguide id`}, 1},
		{"missing last name", "- id:\n    bioguide: A000001\n  name:\n    first: A\n  terms:\n" + term,
			[]string{"member 1 (A000001): name.last: missing"}, 1},
		{"bad date", member("A000001", strings.Replace(term, "2021-01-03", "2021-02-30", 1)),
			[]string{`member 1 (A000001): term 1: end: "2021-02-30" is not a date (YYYY-MM-DD)`}, 1},
		{"date with a time", member("A000001", strings.Replace(term, "'2021-01-03'", "2021-01-03T10:00:00Z", 1)),
			[]string{`term 1: end: "2021-01-03T10:00:00Z" is not a date`}, 1},
		{"unknown term type", member("A000001", strings.Replace(term, "rep", "gov", 1)),
			[]string{`member 1 (A000001): term 1: type: "gov" is not a term type (sen or rep)`}, 1},
		{"end before start", member("A000001", strings.Replace(term, "2021-01-03", "2018-01-03", 1)),
			[]string{"member 1 (A000001): term 1: end: 2018-01-03 is before the start, 2019-01-03"}, 1},
		{"missing start", member("A000001", strings.Replace(term, "    start: '2019-01-03'\n", "", 1)),
			[]string{"term 1: start: missing"}, 1},
		{"bad state", member("A000001", strings.Replace(term, "MI", "Michigan", 1)),
			[]string{`term 1: state: "Michigan" is not a state`}, 1},
		{"bad district", member("A000001", strings.Replace(term, "district: 3", "district: -2", 1)),
			[]string{`term 1: district: "-2" is not a district`}, 1},
		{"no terms", "- id:\n    bioguide: A000001\n  name:\n    last: B\n", []string{"member 1 (A000001): terms: missing"}, 1},
		{"a list where a text belongs", member("A000001", strings.Replace(term, "MI", "[MI, OH]", 1)),
			[]string{"term 1: state: is a list, not a text"}, 1},
		{"a text where the terms belong", "- id:\n    bioguide: A000001\n  name:\n    last: B\n  terms: yes\n",
			[]string{"member 1 (A000001): line 5: cannot unmarshal"}, 2},
		{"bad party span", member("A000001", term+"    party_affiliations:\n    - start: '2019-01-03'\n      end: '2018-07-03'\n"),
			[]string{"term 1: party_affiliations 1: party: missing", "term 1: party_affiliations 1: end: 2018-07-03 is before the start"}, 2},
		{"duplicate bioguide", member("A000001", term) + member("A000001", term),
			[]string{"member 2 (A000001): id.bioguide: duplicate: member 1 has the same bioguide id"}, 1},
		{"every problem of a file", member("A000001", strings.Replace(term, "rep", "gov", 1)) + member("A000002", strings.Replace(term, "MI", "", 1)),
			[]string{"2 problems", "member 1 (A000001): term 1: type", "member 2 (A000002): term 1: state: missing"}, 2},
		{"not a list", "id: {bioguide: A000001}\n", []string{"f.yaml: line 1: not a list of members"}, 1},
		{"empty", " \n", []string{"f.yaml: empty: no members"}, 1},
		{"broken yaml", "- id: [\n", []string{"f.yaml: not YAML"}, 1},
		{"broken json", `[{"id": {"bioguide": "A000001"}`, []string{"f.yaml: neither JSON"}, 1},
		{"json type error", `[{"id": {"bioguide": "A000001"}, "name": {"last": "B"}, "terms": 5}]`,
			[]string{"member 1 (A000001): terms: a JSON number where a list belongs", "terms: missing"}, 2},
		{"json member not an object", `[{"id": {"bioguide": "A000001"}, "name": {"last": "B"}, "terms": [{"type": "rep", "start": "2019-01-03", "end": "2021-01-03", "state": "MI"}]}, 7]`,
			[]string{"member 2: not a member"}, 1},
		{"yaml member not a mapping", "- 7\n", []string{"f.yaml: member 1: line 1: not a member"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("f.yaml", strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("Parse = %d members, want an error", len(got.Members))
			}
			if !errors.Is(err, ErrTable) || !errors.Is(err, quant.ErrInvalid) {
				t.Errorf("Parse error %v does not match ErrTable and quant.ErrInvalid", err)
			}
			var te *TableError
			if !errors.As(err, &te) {
				t.Fatalf("Parse error %T is not a *TableError", err)
			}
			if te.Count != tc.count {
				t.Errorf("Count = %d, want %d: %v", te.Count, tc.count, err)
			}
			msg, at := err.Error(), 0
			for _, w := range tc.want {
				i := strings.Index(msg[at:], w)
				if i < 0 {
					t.Fatalf("Parse error\n%s\nlacks (in order) %q", msg, w)
				}
				at += i + len(w)
			}
		})
	}
}

func TestParseProblemsBounded(t *testing.T) {
	var b strings.Builder
	for i := range 25 {
		fmt.Fprintf(&b, "- id:\n    bioguide: A%06d\n  name:\n    last: B\n  terms:\n  - type: gov\n    start: '2019-01-03'\n    end: '2021-01-03'\n    state: MI\n", i+1)
	}
	_, err := Parse("many.yaml", strings.NewReader(b.String()))
	var te *TableError
	if !errors.As(err, &te) {
		t.Fatalf("Parse error = %v, want a *TableError", err)
	}
	if te.Count != 25 || len(te.Problems) != MaxProblems {
		t.Errorf("Count = %d, Problems = %d, want 25 and %d", te.Count, len(te.Problems), MaxProblems)
	}
	if p := te.Problems[MaxProblems-1]; p.Member != MaxProblems || p.Bioguide != "A000020" || p.Field != "term 1: type" {
		t.Errorf("last problem listed = %+v, want member 20 (A000020), term 1: type", p)
	}
	if !strings.HasSuffix(err.Error(), "; and 5 more") {
		t.Errorf("error %q does not end with the count of the problems not listed", err)
	}
}

func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestLoadMerge(t *testing.T) {
	// historical holds Toomey's House term and an older spelling of his
	// names; current holds both terms (the Senate one, his latest, with a
	// later end) and the names to keep.
	historical := writeFile(t, "legislators-historical.yaml", `
- id: {bioguide: T000461}
  name: {first: Patrick, last: Toomey, official_full: Pat Toomey}
  terms:
  - {type: rep, start: '1999-01-06', end: '2001-01-03', state: PA, district: 15, party: Republican}
  - {type: sen, start: '2011-01-05', end: '2016-12-31', state: PA, party: Republican}
- id: {bioguide: A000001}
  name: {first: Old, last: Member}
  terms:
  - {type: rep, start: '1901-03-04', end: '1903-03-03', state: PA, district: 1}
`)
	current := writeFile(t, "legislators-current.json", `[
 {"id": {"bioguide": "T000461"},
  "name": {"first": "Patrick", "middle": "J.", "last": "Toomey", "nickname": "Pat", "official_full": "Patrick J. Toomey"},
  "terms": [
   {"type": "sen", "start": "2011-01-05", "end": "2017-01-03", "state": "PA", "party": "Republican"},
   {"type": "sen", "start": "2017-01-03", "end": "2023-01-03", "state": "PA", "party": "Republican"}]}]`)
	want := []quant.Legislator{
		{Bioguide: "A000001", First: "Old", Last: "Member", Terms: []quant.Term{
			{Chamber: quant.ChamberHouse, Start: date("1901-03-04"), End: date("1903-03-03"), State: "PA", District: district(1)}}},
		{Bioguide: "T000461", First: "Patrick", Middle: "J.", Last: "Toomey", Nickname: "Pat", OfficialFull: "Patrick J. Toomey", Terms: []quant.Term{
			{Chamber: quant.ChamberHouse, Start: date("1999-01-06"), End: date("2001-01-03"), State: "PA", District: district(15), Party: "Republican"},
			{Chamber: quant.ChamberSenate, Start: date("2011-01-05"), End: date("2017-01-03"), State: "PA", Party: "Republican"},
			{Chamber: quant.ChamberSenate, Start: date("2017-01-03"), End: date("2023-01-03"), State: "PA", Party: "Republican"},
		}},
	}
	for _, order := range [][]string{{historical, current}, {current, historical}} {
		got, err := Load(order...)
		if err != nil {
			t.Fatalf("Load(%q): %v", order, err)
		}
		if diff := cmp.Diff(want, got.Members); diff != "" {
			t.Errorf("Load(%q) members (-want +got):\n%s", order, diff)
		}
		if !slices.Equal(got.Sources, order) {
			t.Errorf("Sources = %q, want %q", got.Sources, order)
		}
		if got.Digest != Digest(want) {
			t.Errorf("Load(%q) digest %s, want %s", order, got.Digest, Digest(want))
		}
	}

	// Two files holding the same latest term: the later file's names win.
	a := writeFile(t, "a.yaml", "- id: {bioguide: A000002}\n  name: {first: Ann, last: One}\n  terms:\n  - {type: rep, start: '2019-01-03', end: '2021-01-03', state: MI, district: 3}\n")
	b := writeFile(t, "b.yaml", "- id: {bioguide: A000002}\n  name: {first: Anne, last: One}\n  terms:\n  - {type: rep, start: '2019-01-03', end: '2021-01-03', state: MI, district: 3}\n")
	for _, tc := range []struct {
		paths []string
		first string
	}{{[]string{a, b}, "Anne"}, {[]string{b, a}, "Ann"}} {
		got, err := Load(tc.paths...)
		if err != nil {
			t.Fatal(err)
		}
		if m := got.Members[0]; m.First != tc.first || len(m.Terms) != 1 {
			t.Errorf("Load(%q) = first %q with %d terms, want %q with 1", tc.paths, m.First, len(m.Terms), tc.first)
		}
	}

	// A file loaded twice is itself.
	one, _ := Load(current)
	twice, _ := Load(current, current)
	if one.Digest != twice.Digest {
		t.Errorf("Load(f, f) digest %s != Load(f) %s", twice.Digest, one.Digest)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(); !errors.Is(err, ErrNoFiles) {
		t.Errorf("Load() = %v, want ErrNoFiles", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(absent) = %v, want fs.ErrNotExist", err)
	}
	// Problems of every file are reported together, each naming its file.
	bad1 := writeFile(t, "one.yaml", "- id: {bioguide: A000001}\n  name: {last: B}\n  terms:\n  - {type: gov, start: '2019-01-03', end: '2021-01-03', state: MI}\n")
	bad2 := writeFile(t, "two.json", `[{"id": {"bioguide": ""}, "name": {"last": "B"}, "terms": [{"type": "rep", "start": "2019-01-03", "end": "2021-01-03", "state": "MI"}]}]`)
	_, err := Load(bad1, bad2)
	var te *TableError
	if !errors.As(err, &te) || te.Count != 2 {
		t.Fatalf("Load(two bad files) = %v, want a *TableError with 2 problems", err)
	}
	if te.Problems[0].File != bad1 || te.Problems[1].File != bad2 || te.Problems[1].Field != "id.bioguide" {
		t.Errorf("problems = %+v, want one per file", te.Problems)
	}
}

func TestDigest(t *testing.T) {
	base := func() []quant.Legislator {
		t, err := Parse("small.yaml", strings.NewReader(smallYAML))
		if err != nil {
			panic(err)
		}
		return t.Members
	}
	d0 := Digest(base())
	for _, tc := range []struct {
		name   string
		change func(ms []quant.Legislator)
	}{
		{"bioguide", func(ms []quant.Legislator) { ms[0].Bioguide = "A000368" }},
		{"first", func(ms []quant.Legislator) { ms[0].First = "J." }},
		{"middle", func(ms []quant.Legislator) { ms[2].Middle = "" }},
		{"last", func(ms []quant.Legislator) { ms[0].Last = "Amas" }},
		{"suffix", func(ms []quant.Legislator) { ms[0].Suffix = "Jr." }},
		{"nickname", func(ms []quant.Legislator) { ms[2].Nickname = "" }},
		{"official_full", func(ms []quant.Legislator) { ms[2].OfficialFull = "Pat Toomey" }},
		{"other name", func(ms []quant.Legislator) { ms[1].OtherNames[0].Last = "Mack" }},
		{"other name end", func(ms []quant.Legislator) { ms[1].OtherNames[0].End = ms[1].OtherNames[0].End.AddDate(0, 0, 1) }},
		{"chamber", func(ms []quant.Legislator) { ms[2].Terms[0].Chamber = quant.ChamberSenate }},
		{"start", func(ms []quant.Legislator) { ms[2].Terms[0].Start = ms[2].Terms[0].Start.AddDate(0, 0, 1) }},
		{"end", func(ms []quant.Legislator) { ms[2].Terms[0].End = ms[2].Terms[0].End.AddDate(0, 0, -1) }},
		{"state", func(ms []quant.Legislator) { ms[2].Terms[0].State = "NJ" }},
		{"district", func(ms []quant.Legislator) { ms[2].Terms[0].District.V = 14 }},
		{"district unknown", func(ms []quant.Legislator) { ms[2].Terms[0].District.Valid = false }},
		{"party", func(ms []quant.Legislator) { ms[2].Terms[0].Party = "Democrat" }},
		{"party span", func(ms []quant.Legislator) { ms[0].Terms[0].Parties[1].Party = "Republican" }},
		{"a term less", func(ms []quant.Legislator) { ms[2].Terms = ms[2].Terms[:1] }},
		{"a field moved", func(ms []quant.Legislator) { ms[0].First, ms[0].Middle = "", ms[0].First }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := base()
			tc.change(ms)
			if Digest(ms) == d0 {
				t.Errorf("Digest did not change with the %s", tc.name)
			}
		})
	}
	if Digest(base()) != d0 {
		t.Errorf("Digest of equal members differs")
	}
}

func TestLoadReal(t *testing.T) {
	path := realPath(t, legislatorsFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file's entries, counted on its text: every member starts a line
	// with "- id:"; placeholders carry "bioguide: TODO".
	entries := bytes.Count(raw, []byte("\n- id:")) + btoi(bytes.HasPrefix(raw, []byte("- id:")))
	placeholders := bytes.Count(raw, []byte("bioguide: "+Placeholder+"\n"))
	if entries != 1139 || placeholders != 1 {
		t.Fatalf("%s holds %d entries with %d placeholders; the data README says 1,139 members (one a placeholder)", path, entries, placeholders)
	}
	tab, err := Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(tab.Members) != entries-placeholders {
		t.Errorf("Load = %d members, want %d (the file's entries less its placeholders)", len(tab.Members), entries-placeholders)
	}
	if !slices.IsSortedFunc(tab.Members, func(a, b quant.Legislator) int { return strings.Compare(a.Bioguide, b.Bioguide) }) {
		t.Error("Members are not sorted by bioguide id")
	}
	terms := 0
	for i, m := range tab.Members {
		if i > 0 && tab.Members[i-1].Bioguide == m.Bioguide {
			t.Errorf("bioguide %s twice", m.Bioguide)
		}
		if !quant.ValidBioguide(m.Bioguide) || m.Last == "" || len(m.Terms) == 0 {
			t.Errorf("member %+v lacks a bioguide id, a last name or a term", m)
		}
		terms += len(m.Terms)
	}
	// The file's congressional terms, counted on its text (the one
	// executive term, Obama's, is skipped).
	wantTerms := bytes.Count(raw, []byte("- type: sen\n")) + bytes.Count(raw, []byte("- type: rep\n"))
	placeholderTerms := 4 // the placeholder's: rep AS twice, sen SD twice
	if terms != wantTerms-placeholderTerms {
		t.Errorf("Load = %d terms, want %d", terms, wantTerms-placeholderTerms)
	}
	if !slices.Equal(tab.Sources, []string{path}) {
		t.Errorf("Sources = %q", tab.Sources)
	}
	if tab.Digest != Digest(tab.Members) || len(tab.Digest) != 64 {
		t.Errorf("Digest = %q, want Digest(Members)", tab.Digest)
	}
	wyden, ok := tab.Find("W000779")
	if !ok || wyden.Last != "Wyden" || wyden.TermOn(date("2020-11-10")) == nil || wyden.TermOn(date("2020-11-10")).Chamber != quant.ChamberSenate {
		t.Errorf("W000779 = %+v, want Ron Wyden, a senator in 2020", wyden)
	}
	amash, _ := tab.Find("A000367")
	for _, tc := range []struct{ day, party string }{{"2019-03-01", "Republican"}, {"2019-12-01", "Independent"}, {"2020-06-01", "Libertarian"}} {
		if tm := amash.TermOn(date(tc.day)); tm == nil || tm.PartyOn(date(tc.day)) != tc.party {
			t.Errorf("Amash's party on %s = %v, want %s", tc.day, tm, tc.party)
		}
	}
	again, err := Load(path, path)
	if err != nil || again.Digest != tab.Digest {
		t.Errorf("Load(f, f) = %v, digest %s, want %s", err, again.Digest, tab.Digest)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func BenchmarkLoadReal(b *testing.B) {
	path := realPath(b, legislatorsFile)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
