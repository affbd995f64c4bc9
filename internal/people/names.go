package people

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// droppedTokens are the name suffixes section 1's politician id drops.
var droppedTokens = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true}

// honorifics are the titles and credentials filers put in their names
// ("Richard Dean Dr McCormick", "Laurel Mrs Lee", "Neal Patrick MD, Facs
// Dunn", "Hon. ..."): dropped like the suffixes, so that they neither
// split a last name nor count as a given name.
var honorifics = map[string]bool{
	"hon": true, "honorable": true, "dr": true, "mr": true, "mrs": true, "ms": true, "miss": true, "mx": true,
	"rep": true, "representative": true, "sen": true, "senator": true,
	"congressman": true, "congresswoman": true, "md": true, "facs": true, "phd": true, "esq": true,
}

// token is one word part of a name.
type token struct {
	s string
	// joined: the token continues a compound word, its separator from the
	// token before being only hyphens or apostrophes ("Smith" in
	// "Hyde-Smith", "Esposito" in "D'Esposito"). A last name never starts
	// or ends inside a compound.
	joined bool
}

// joiner reports whether r joins the parts of one compound word.
func joiner(r rune) bool {
	switch r {
	case '-', '\'', '\u2019', '\u2018', '\u02bc', '\u2010', '\u2011':
		return true
	}
	return false
}

// tokenize splits a name as section 1's politician id does (Unicode NFKD
// fold, combining marks dropped, lower case, split on anything not
// [a-z0-9], the tokens jr sr ii iii iv dropped), except that the text in
// parentheses or quotes is kept (a nickname: "Rafael Edward (Ted) Cruz",
// `Robert C. "Bobby" Scott`), and also drops the honorifics.
func tokenize(name string) []token {
	if !isASCII(name) {
		name = norm.NFKD.String(name)
	}
	var out []token
	var cur []byte
	// Between two tokens: whether any separator was seen and whether all
	// of them were joiners.
	sep, joinOnly := false, true
	flush := func() {
		if len(cur) == 0 {
			return
		}
		s := string(cur)
		cur = cur[:0]
		if droppedTokens[s] || honorifics[s] {
			joinOnly = false // a dropped word separates words
			return
		}
		out = append(out, token{s: s, joined: len(out) > 0 && sep && joinOnly})
		sep, joinOnly = false, true
	}
	for _, r := range name {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if 'a' <= r && r <= 'z' || '0' <= r && r <= '9' {
			cur = append(cur, byte(r))
			continue
		}
		flush()
		sep = true
		if !joiner(r) {
			joinOnly = false
		}
	}
	flush()
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// words returns the tokens' texts.
func words(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.s
	}
	return out
}

// givenTier says how well a record's remaining tokens (its name without
// the last name) agree with a member's given names: tierExact when one of
// at least two letters equals one, tierVariant when one is a common
// variant of one (givenVariants: William and Bill), tierInitial when a
// one-letter token is the initial of one (or a one-letter given name the
// initial of a token); else tierClash when the record gives a name of two
// letters or more (its given names disagree with the member's), and
// tierNone when it gives none. Lower is better.
func givenTier(rest []string, given []string) int {
	best := tierNone
	for _, r := range rest {
		if len(r) >= 2 && best == tierNone {
			best = tierClash
		}
		for _, g := range given {
			switch {
			case len(r) >= 2 && r == g:
				return tierExact
			case len(r) >= 2 && len(g) >= 2 && variants(r, g):
				best = min(best, tierVariant)
			case (len(r) == 1 || len(g) == 1) && r[0] == g[0]:
				best = min(best, tierInitial)
			}
		}
	}
	return best
}

// The tiers of givenTier.
const (
	tierExact   = 1
	tierVariant = 2
	tierInitial = 3
	tierNone    = 4
	tierClash   = 5
)

// variants reports whether two given names (tokens) are forms of one
// name by givenVariants.
func variants(a, b string) bool {
	for _, g := range givenVariantGroups[a] {
		if slices.Contains(givenVariants[g], b) {
			return true
		}
	}
	return false
}

// givenVariants are the common English forms of given names members go
// by (the table's first and nickname fields hold one form, a filing
// often another: William Cassidy is Bill Cassidy, Thomas Tillis is Thom
// Tillis). Each group is one name; a pair of tokens in one group are
// variants. Only forms in use for members of Congress, and only
// unambiguous ones, are listed: a token in no group agrees only exactly.
var givenVariants = [][]string{
	{"albert", "al", "bert"}, {"alexander", "alex", "sandy"}, {"alfred", "al", "fred"},
	{"andrew", "andy", "drew"}, {"anthony", "tony"}, {"arthur", "art"},
	{"benjamin", "ben"}, {"bernard", "bernie"}, {"bradley", "brad"}, {"bruce"},
	{"catherine", "cathy", "kate", "katie"}, {"katherine", "kathy", "kate", "katie", "kathryn"},
	{"charles", "chuck", "charlie", "chip"}, {"christopher", "chris"}, {"christine", "chris"},
	{"clifford", "cliff"}, {"cynthia", "cindy"}, {"daniel", "dan", "danny"}, {"david", "dave"}, {"deborah", "debbie", "deb"},
	{"donald", "don"}, {"douglas", "doug"}, {"edward", "ed", "ted", "eddie"}, {"elizabeth", "liz", "beth", "betty", "liza"},
	{"eugene", "gene"}, {"frederick", "fred", "rick"}, {"gerald", "jerry"}, {"gregory", "greg"},
	{"harold", "hal"}, {"henry", "hank"}, {"herbert", "herb"}, {"james", "jim", "jimmy", "jamie"},
	{"jeffrey", "jeff"}, {"jennifer", "jenny", "jen"}, {"john", "jack", "johnny"}, {"jonathan", "jon"},
	{"joseph", "joe", "joey"}, {"joshua", "josh"}, {"judith", "judy"}, {"kenneth", "ken", "kenny"},
	{"lawrence", "larry"}, {"leonard", "len", "leo"}, {"margaret", "maggie", "peggy", "meg"},
	{"matthew", "matt"}, {"michael", "mike", "mikey"}, {"mitchell", "mitch"}, {"nicholas", "nick"},
	{"patricia", "pat", "patty", "trish"}, {"patrick", "pat"}, {"peter", "pete"}, {"philip", "phil"}, {"phillip", "phil"},
	{"raymond", "ray"}, {"rebecca", "becky"}, {"richard", "rick", "dick", "rich", "richie"},
	{"robert", "bob", "bobby", "rob", "bert"}, {"ronald", "ron"}, {"russell", "russ"},
	{"samuel", "sam"}, {"stephen", "steve"}, {"steven", "steve"}, {"susan", "sue", "susie"},
	{"theodore", "ted", "teddy"}, {"thomas", "tom", "thom", "tommy"}, {"timothy", "tim"},
	{"victoria", "vicky"}, {"walter", "walt"}, {"william", "bill", "will", "billy", "willie"},
	{"zachary", "zach"},
}

// givenVariantGroups indexes givenVariants: a token -> its groups.
var givenVariantGroups = func() map[string][]int {
	m := map[string][]int{}
	for i, g := range givenVariants {
		for _, w := range g {
			m[w] = append(m[w], i)
		}
	}
	return m
}()
