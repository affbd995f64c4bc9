package ingest

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quantops/quant/internal/quant"
	"golang.org/x/text/unicode/norm"
)

// Reason says why a record was rejected. The reasons are checked in the
// order they are declared; the first failure wins.
type Reason string

// The reject reasons of ANALYTICS.md section 1.
const (
	// ReasonMalformedRow: a CSV row with the wrong field count or broken
	// quoting; a JSON element (or an element of a filing's transactions)
	// that is not an object; a filing whose transactions is not an array;
	// an object or array where a field's text belongs; a key given twice;
	// every transaction of a filing whose own keys are malformed; or a
	// ticker longer than quant.MaxTickerLen (no real one is).
	ReasonMalformedRow Reason = "malformed_row"
	// ReasonBadPolitician: the filer's name gives an empty id, or one
	// longer than quant.MaxPoliticianIDLen (no API path could name it).
	ReasonBadPolitician Reason = "bad_politician"
	// ReasonBadDate: the date is not exactly MM/DD/YYYY or YYYY-MM-DD, or not
	// a real calendar date.
	ReasonBadDate Reason = "bad_date"
	// ReasonDateOutOfRange: the date is before 1990-01-01 or after the import
	// day (UTC) + 1.
	ReasonDateOutOfRange Reason = "date_out_of_range"
)

// Reasons lists every Reason in check order.
var Reasons = []Reason{ReasonMalformedRow, ReasonBadPolitician, ReasonBadDate, ReasonDateOutOfRange}

// NoteKind names something an import noticed about a record it stored.
type NoteKind string

// The note kinds of ANALYTICS.md section 1.
const (
	// NoteBadDisclosureDate: the record's disclosure date is empty,
	// missing, null, not a date or out of range; the record is stored
	// undated (a zero DisclosureDate).
	NoteBadDisclosureDate NoteKind = "bad_disclosure_date"
)

// minDate is the earliest transaction date accepted (inclusive).
var minDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// droppedTokens are the name suffixes PoliticianID removes wherever they stand.
var droppedTokens = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true}

// PoliticianID derives a filer's id from a name: NFKD fold, combining marks
// dropped, lower case, every "(...)" part (innermost first) replaced by a
// separator, split on anything not [a-z0-9] (a letter the fold leaves
// non-ASCII is a separator too), the tokens jr sr ii iii iv dropped, and the
// rest joined with "-". It returns "" when nothing is left.
//
//	PoliticianID("David A Perdue , Jr")       == "david-a-perdue"
//	PoliticianID("Rafael Edward (Ted) Cruz")  == "rafael-edward-cruz"
func PoliticianID(name string) string {
	folded := name
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii { // NFKD leaves ASCII as it is, with no combining marks
		folded = norm.NFKD.String(name)
	}
	var b strings.Builder
	b.Grow(len(folded))
	for _, r := range folded {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	s := removeParens(b.String())
	tokens := strings.FieldsFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	})
	kept := tokens[:0]
	for _, t := range tokens {
		if !droppedTokens[t] {
			kept = append(kept, t)
		}
	}
	return strings.Join(kept, "-")
}

// removeParens replaces every "(...)" part by a space, innermost first, so
// "a (b (c) d) e" becomes "a   e". Unbalanced parentheses stay and act as
// separators: a ')' that closes nothing becomes a space, a '(' never
// closed stays. One pass with a stack of the open '(' positions in the
// output (rebuilding the string at every ')' made a name of many ')'
// quadratic: 100 KB took 10 s).
func removeParens(s string) string {
	if !strings.ContainsAny(s, "()") {
		return s
	}
	out := make([]byte, 0, len(s))
	var open []int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(':
			open = append(open, len(out))
			out = append(out, c)
		case c == ')' && len(open) > 0:
			out = append(out[:open[len(open)-1]], ' ')
			open = open[:len(open)-1]
		case c == ')':
			out = append(out, ' ')
		default:
			out = append(out, c)
		}
	}
	return string(out)
}

// ParseDate reads a date, trimmed of Unicode white space: exactly
// MM/DD/YYYY or YYYY-MM-DD in ASCII digits, and a real calendar date.
func ParseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	var y, m, d string
	switch {
	case len(s) == 10 && s[2] == '/' && s[5] == '/':
		m, d, y = s[0:2], s[3:5], s[6:10]
	case len(s) == 10 && s[4] == '-' && s[7] == '-':
		y, m, d = s[0:4], s[5:7], s[8:10]
	default:
		return time.Time{}, false
	}
	yy, ok1 := digits(y)
	mm, ok2 := digits(m)
	dd, ok3 := digits(d)
	if !ok1 || !ok2 || !ok3 || mm < 1 || mm > 12 || dd < 1 {
		return time.Time{}, false
	}
	t := time.Date(yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
	if t.Day() != dd { // time.Date normalizes 02/30 to 03/01
		return time.Time{}, false
	}
	return t, true
}

// inRange reports whether d lies in 1990-01-01 .. today+1, both inclusive.
func inRange(d, today time.Time) bool {
	return !d.Before(minDate) && !d.After(today.AddDate(0, 0, 1))
}

// digits parses an all-ASCII-digit string.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// NormalizeTicker reads a ticker: a ticker holding an HTML anchor
// (`<a href=...>AAPL</a>`) reads as its first anchor's text, as written;
// then trimmed and upper-cased; "--", "N/A" and "" mean unknown and give "".
func NormalizeTicker(s string) string {
	if text, ok := firstAnchorText(s); ok {
		s = text
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "--" || s == "N/A" {
		return ""
	}
	return s
}

// firstAnchorText returns the text between the first "<a ...>" (or "<a>")
// of s and the "</a>" after it; tag names match in any case. ok is false
// when s holds no complete anchor.
func firstAnchorText(s string) (string, bool) {
	for from := 0; ; {
		i := indexFold(s[from:], "<a")
		if i < 0 {
			return "", false
		}
		i += from + 2
		if i < len(s) && (s[i] == '>' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == '\f') {
			gt := strings.IndexByte(s[i:], '>')
			if gt < 0 {
				return "", false
			}
			start := i + gt + 1
			end := indexFold(s[start:], "</a")
			if end < 0 {
				return "", false
			}
			if rest := s[start+end+3:]; rest != "" && (rest[0] == '>' || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r') {
				return s[start : start+end], true
			}
			return "", false
		}
		from = i
	}
}

// indexFold is strings.Index for an ASCII lower-case needle, matching
// ASCII letters of s in either case.
func indexFold(s, needle string) int {
	n := len(needle)
	for i := 0; i+n <= len(s); i++ {
		if s[i] == '<' && strings.EqualFold(s[i:i+n], needle) {
			return i
		}
	}
	return -1
}

// typeTable is the one type table of ANALYTICS.md section 1, for every
// format: trimmed, exact match.
var typeTable = map[string]quant.TradeType{
	"Purchase": quant.TypePurchase, "purchase": quant.TypePurchase,
	"Sale (Full)": quant.TypeSaleFull, "sale_full": quant.TypeSaleFull,
	"Sale (Partial)": quant.TypeSalePartial, "sale_partial": quant.TypeSalePartial,
	"Sale": quant.TypeSale, "sale": quant.TypeSale,
	"Exchange": quant.TypeExchange, "exchange": quant.TypeExchange,
}

// NormalizeType maps a type string (trimmed, exact match) by the one
// table of every format; anything it does not name is unknown.
func NormalizeType(s string) quant.TradeType {
	if t, ok := typeTable[strings.TrimSpace(s)]; ok {
		return t
	}
	return quant.TypeUnknown
}

// NormalizeOwnerKind classifies an owner, trimmed and case-insensitive:
// self; spouse or sp; joint or jt; child, dependent, dependent child or
// dc; anything else is unknown.
func NormalizeOwnerKind(owner string) quant.OwnerKind {
	switch strings.ToLower(strings.TrimSpace(owner)) {
	case "self":
		return quant.OwnerSelf
	case "spouse", "sp":
		return quant.OwnerSpouse
	case "joint", "jt":
		return quant.OwnerJoint
	case "child", "dependent", "dependent child", "dc":
		return quant.OwnerDependent
	}
	return quant.OwnerUnknown
}

// ParseDistrict reads a House district: trimmed, upper-cased, exactly two
// letters A-Z and two digits. "NJ07" gives NJ and 7, "MT00" (an at-large
// seat) MT and 0; anything else gives "" and an invalid district.
func ParseDistrict(s string) (state string, district sql.Null[int32]) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 4 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' || s[1] > 'Z' {
		return "", sql.Null[int32]{}
	}
	n, ok := digits(s[2:])
	if !ok {
		return "", sql.Null[int32]{}
	}
	return s[:2], sql.Null[int32]{V: int32(n), Valid: true}
}

// URLLastSegment returns the last non-empty segment of the path of a URL
// (trimmed; its scheme, host, query and fragment are not part of the
// path), or "" when the path has none. It reads the text as written: no
// percent-decoding.
func URLLastSegment(u string) string {
	u = strings.TrimSpace(u)
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	if i := schemeEnd(u); i > 0 {
		u = u[i:]
	}
	if rest, ok := strings.CutPrefix(u, "//"); ok { // the authority: up to the path
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			u = rest[i:]
		} else {
			u = ""
		}
	}
	u = strings.TrimRight(u, "/")
	return u[strings.LastIndexByte(u, '/')+1:]
}

// schemeEnd returns the length of u's "scheme:" prefix (RFC 3986: a letter
// then letters, digits, "+", "-", "."), or 0 when u has none.
func schemeEnd(u string) int {
	for i := 0; i < len(u); i++ {
		c := u[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i + 1
		default:
			return 0
		}
	}
	return 0
}

// URLFileStem returns the file name of a URL's path without its
// extension (the text from its last '.', unless that is its first
// character): ".../2020/20016500.pdf" gives "20016500".
func URLFileStem(u string) string {
	name := URLLastSegment(u)
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	return name
}

// bandBounds are the lower bounds of the disclosure bands; bandTops their
// upper bounds, in the same order.
var (
	bandBounds = []int64{1001, 15001, 50001, 100001, 250001, 500001, 1000001, 5000001, 25000001}
	bandTops   = []int64{15000, 50000, 100000, 250000, 500000, 1000000, 5000000, 25000000, 50000000}
)

// maxFigure bounds a dollar figure; a larger one does not read as one
// (no disclosure band comes near it, and X+1 cannot overflow).
const maxFigure = 1 << 62

// figure is one dollar figure: its whole dollars and whether it had
// non-zero cents.
type figure struct {
	dollars int64
	cents   bool
}

// scanFigure reads a dollar figure at the start of s: "$", then [0-9]+ or
// [0-9]{1,3}(,[0-9]{3})+, then optional ".dd". It returns the figure and
// the rest of s.
func scanFigure(s string) (figure, string, bool) {
	if s == "" || s[0] != '$' {
		return figure{}, "", false
	}
	i, groups, groupLen, commas := 1, 0, 0, false
	var v int64
	for ; i < len(s); i++ {
		c := s[i]
		if c == ',' {
			if groupLen == 0 || (groups == 0 && groupLen > 3) || (groups > 0 && groupLen != 3) {
				return figure{}, "", false
			}
			commas, groups, groupLen = true, groups+1, 0
			continue
		}
		if c < '0' || c > '9' {
			break
		}
		if v > (maxFigure-9)/10 {
			return figure{}, "", false
		}
		v = v*10 + int64(c-'0')
		groupLen++
	}
	if groupLen == 0 || (commas && groupLen != 3) {
		return figure{}, "", false
	}
	f := figure{dollars: v}
	rest := s[i:]
	if len(rest) >= 3 && rest[0] == '.' && isDigit(rest[1]) && isDigit(rest[2]) {
		f.cents = rest[1] != '0' || rest[2] != '0'
		rest = rest[3:]
	}
	return f, rest, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// band returns the upper bound of the band whose lower bound is exactly
// f (cents included: "$1,001.50" is no lower bound).
func (f figure) band() (int64, bool) {
	if f.cents {
		return 0, false
	}
	for i, b := range bandBounds {
		if f.dollars == b {
			return bandTops[i], true
		}
	}
	return 0, false
}

// ParseAmount reads an amount, trimmed, by ANALYTICS.md sections 1 and
// 1.2; every figure counts as its whole dollars (floor):
//
//	"Over $X"                        min X+1, max null
//	"$A - $B" (any white space or none around "-")   min A, max B
//	"$A" or "$A -", A a band's lower bound           that whole band
//	"$A -", any other A              min A, max null
//	"$X", any other X                min = max = X, exact
//	anything else                    null, null
func ParseAmount(s string) (lo, hi sql.Null[int64], exact bool) {
	s = strings.TrimSpace(s)
	val := func(v int64) sql.Null[int64] { return sql.Null[int64]{V: v, Valid: true} }
	if rest, ok := strings.CutPrefix(s, "Over "); ok {
		if f, tail, ok := scanFigure(rest); ok && tail == "" {
			return val(f.dollars + 1), sql.Null[int64]{}, false
		}
		return
	}
	a, rest, ok := scanFigure(s)
	if !ok {
		return
	}
	if rest == "" {
		if top, ok := a.band(); ok {
			return val(a.dollars), val(top), false
		}
		return val(a.dollars), val(a.dollars), true
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	rest, ok = strings.CutPrefix(rest, "-")
	if !ok {
		return
	}
	rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
	if rest == "" {
		if top, ok := a.band(); ok {
			return val(a.dollars), val(top), false
		}
		return val(a.dollars), sql.Null[int64]{}, false
	}
	b, tail, ok := scanFigure(rest)
	if !ok || tail != "" {
		return
	}
	return val(a.dollars), val(b.dollars), false
}

// rawRecord is a source record before normalization: every field as text.
type rawRecord struct {
	format                                                quant.SourceFormat
	date, owner, ticker, assetDescription, assetType, typ string
	amount, comment, name, ptrLink                        string
	sourceURL, filingID, district, bioguide, disclosure   string
	hasDisclosure                                         bool // the format gives a disclosure date
}

// normalize applies the rules of ANALYTICS.md section 1 to raw. today is
// the import day (UTC midnight). A rejected record gives its reason and
// a detail; a stored one may give a note (note.Kind != "").
func normalize(raw *rawRecord, place quant.Place, today time.Time) (tr quant.Trade, reason Reason, detail string, note Note) {
	ticker := cleanText(NormalizeTicker(raw.ticker))
	if len(ticker) > quant.MaxTickerLen {
		return tr, ReasonMalformedRow, fmt.Sprintf("ticker %s has %d bytes (at most %d)", quoteShort(ticker), len(ticker), quant.MaxTickerLen), note
	}
	filing := filingID(raw)
	if len(filing) > quant.MaxFilingIDLen {
		return tr, ReasonMalformedRow, fmt.Sprintf("filing id %s has %d bytes (at most %d)", quoteShort(filing), len(filing), quant.MaxFilingIDLen), note
	}
	id := PoliticianID(raw.name)
	if id == "" {
		return tr, ReasonBadPolitician, "name " + quoteShort(raw.name) + " gives an empty id", note
	}
	if len(id) > quant.MaxPoliticianIDLen {
		return tr, ReasonBadPolitician, fmt.Sprintf("name %s gives an id of %d bytes (at most %d)", quoteShort(raw.name), len(id), quant.MaxPoliticianIDLen), note
	}
	d, ok := ParseDate(raw.date)
	if !ok {
		return tr, ReasonBadDate, "date " + quoteShort(raw.date) + " is not MM/DD/YYYY or YYYY-MM-DD", note
	}
	if !inRange(d, today) {
		return tr, ReasonDateOutOfRange, "date " + d.Format(time.DateOnly) + " is outside 1990-01-01.." + today.AddDate(0, 0, 1).Format(time.DateOnly), note
	}
	lo, hi, exact := ParseAmount(raw.amount)
	comment := raw.comment
	if comment == "--" {
		comment = ""
	}
	tr = quant.Trade{
		Place:            place,
		Format:           raw.format,
		PoliticianID:     id,
		PoliticianName:   cleanText(raw.name),
		TransactionDate:  d,
		Ticker:           ticker,
		Type:             NormalizeType(raw.typ),
		AmountMin:        lo,
		AmountMax:        hi,
		AmountExact:      exact,
		Owner:            cleanText(raw.owner),
		OwnerKind:        NormalizeOwnerKind(raw.owner),
		AssetType:        cleanText(raw.assetType),
		AssetDescription: cleanText(raw.assetDescription),
		Comment:          cleanText(comment),
		PTRLink:          cleanText(raw.ptrLink),
		Chamber:          quant.ChamberSenate,
	}
	tr.FilingID = filing
	if raw.format == quant.FormatHouse {
		tr.Chamber = quant.ChamberHouse
		tr.SourceURL = cleanText(raw.sourceURL)
		tr.State, tr.District = ParseDistrict(raw.district)
	}
	if raw.format == quant.FormatSenateFilings {
		tr.Bioguide = cleanText(strings.TrimSpace(raw.bioguide))
	}
	if raw.hasDisclosure {
		dd, ok := ParseDate(raw.disclosure)
		switch {
		case !ok:
			note = Note{Place: place, Kind: NoteBadDisclosureDate, Value: cleanText(raw.disclosure), Detail: "disclosure date " + quoteShort(raw.disclosure) + " is not MM/DD/YYYY or YYYY-MM-DD: the record is undated"}
		case !inRange(dd, today):
			note = Note{Place: place, Kind: NoteBadDisclosureDate, Value: cleanText(raw.disclosure), Detail: "disclosure date " + dd.Format(time.DateOnly) + " is outside 1990-01-01.." + today.AddDate(0, 0, 1).Format(time.DateOnly) + ": the record is undated"}
		default:
			tr.DisclosureDate = dd
		}
	}
	return tr, "", "", note
}

// filingID derives a record's filing id from its format (ANALYTICS.md
// 1.1, 1.2): House, the trimmed filing_id, else the file stem of ptr_link,
// then of source_url; the Senate formats, the last non-empty segment of
// ptr_link's path. "" is null.
func filingID(raw *rawRecord) string {
	if raw.format != quant.FormatHouse {
		return cleanText(URLLastSegment(raw.ptrLink))
	}
	id := strings.TrimSpace(raw.filingID)
	if id == "" {
		id = URLFileStem(raw.ptrLink)
	}
	if id == "" {
		id = URLFileStem(raw.sourceURL)
	}
	return cleanText(id)
}

// cleanText makes a stored text field valid UTF-8 without NUL bytes: every
// invalid byte sequence and every NUL becomes U+FFFD (which PoliticianID
// reads as a separator, as it reads the raw bytes, so a name's id does not
// change). Both stores
// then keep the same text (PostgreSQL refuses the raw bytes, which would
// fail the whole import over one field no analysis reads).
func cleanText(s string) string {
	if utf8.ValidString(s) && !strings.ContainsRune(s, 0) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
}

// quoteShort quotes s for a reject detail, cut to 40 bytes on a rune boundary.
func quoteShort(s string) string {
	if len(s) > 40 {
		cut := 40
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return strconv.Quote(s)
}
