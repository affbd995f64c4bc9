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
	// quoting, a JSON element that is not an object, or a ticker longer
	// than quant.MaxTickerLen (no real one is).
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
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range norm.NFKD.String(name) {
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

// ParseDate reads a trimmed transaction date, exactly MM/DD/YYYY or
// YYYY-MM-DD and a real calendar date.
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

// NormalizeTicker trims and upper-cases a ticker; "--", "N/A" and "" mean
// unknown and give "".
func NormalizeTicker(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "--" || s == "N/A" {
		return ""
	}
	return s
}

// senateTypes maps the Senate type strings (trimmed, exact match).
var senateTypes = map[string]quant.TradeType{
	"Purchase":       quant.TypePurchase,
	"Sale (Full)":    quant.TypeSaleFull,
	"Sale (Partial)": quant.TypeSalePartial,
	"Sale":           quant.TypeSale,
	"Exchange":       quant.TypeExchange,
}

// houseTypes maps the House Stock Watcher type strings (trimmed, exact).
var houseTypes = map[string]quant.TradeType{
	"purchase":     quant.TypePurchase,
	"sale_full":    quant.TypeSaleFull,
	"sale_partial": quant.TypeSalePartial,
	"sale":         quant.TypeSale,
	"exchange":     quant.TypeExchange,
}

// NormalizeType maps a Senate type string; anything not named is unknown.
func NormalizeType(s string) quant.TradeType { return lookupType(senateTypes, s) }

func lookupType(m map[string]quant.TradeType, s string) quant.TradeType {
	if t, ok := m[strings.TrimSpace(s)]; ok {
		return t
	}
	return quant.TypeUnknown
}

// ParseAmount reads "$A - $B" (spaces around "-" optional) as [A, B] and
// "Over $X" as [X+1, null]; anything else is [null, null].
func ParseAmount(s string) (lo, hi sql.Null[int64]) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "Over "); ok {
		if x, ok := dollars(rest); ok {
			return sql.Null[int64]{V: x + 1, Valid: true}, sql.Null[int64]{}
		}
		return
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return
	}
	x, ok1 := dollars(strings.TrimRight(a, " "))
	y, ok2 := dollars(strings.TrimLeft(b, " "))
	if !ok1 || !ok2 {
		return
	}
	return sql.Null[int64]{V: x, Valid: true}, sql.Null[int64]{V: y, Valid: true}
}

// dollars parses "$1,234" (digits with optional thousands commas).
func dollars(s string) (int64, bool) {
	s, ok := strings.CutPrefix(s, "$")
	if !ok || s == "" || s[0] == ',' || s[len(s)-1] == ',' {
		return 0, false
	}
	s = strings.ReplaceAll(s, ",", "")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v < 1<<62
}

// rawRecord is a source record before normalization: every field as text.
type rawRecord struct {
	date, owner, ticker, assetDescription, assetType, typ, amount, comment, name, ptrLink string
	types                                                                                 map[string]quant.TradeType
}

// normalize applies the rules of ANALYTICS.md section 1 to raw. today is
// the import day (UTC midnight).
func normalize(raw *rawRecord, pos int, today time.Time) (quant.Trade, Reason, string) {
	ticker := cleanText(NormalizeTicker(raw.ticker))
	if len(ticker) > quant.MaxTickerLen {
		return quant.Trade{}, ReasonMalformedRow, fmt.Sprintf("ticker %s has %d bytes (at most %d)", quoteShort(ticker), len(ticker), quant.MaxTickerLen)
	}
	id := PoliticianID(raw.name)
	if id == "" {
		return quant.Trade{}, ReasonBadPolitician, "name " + quoteShort(raw.name) + " gives an empty id"
	}
	if len(id) > quant.MaxPoliticianIDLen {
		return quant.Trade{}, ReasonBadPolitician, fmt.Sprintf("name %s gives an id of %d bytes (at most %d)", quoteShort(raw.name), len(id), quant.MaxPoliticianIDLen)
	}
	d, ok := ParseDate(raw.date)
	if !ok {
		return quant.Trade{}, ReasonBadDate, "date " + quoteShort(raw.date) + " is not MM/DD/YYYY or YYYY-MM-DD"
	}
	if d.Before(minDate) || d.After(today.AddDate(0, 0, 1)) {
		return quant.Trade{}, ReasonDateOutOfRange, "date " + d.Format(time.DateOnly) + " is outside 1990-01-01.." + today.AddDate(0, 0, 1).Format(time.DateOnly)
	}
	lo, hi := ParseAmount(raw.amount)
	comment := raw.comment
	if comment == "--" {
		comment = ""
	}
	return quant.Trade{
		Place:            quant.Place{Line: pos},
		PoliticianID:     id,
		PoliticianName:   cleanText(raw.name),
		TransactionDate:  d,
		Ticker:           ticker,
		Type:             lookupType(raw.types, raw.typ),
		AmountMin:        lo,
		AmountMax:        hi,
		Owner:            cleanText(raw.owner),
		AssetType:        cleanText(raw.assetType),
		AssetDescription: cleanText(raw.assetDescription),
		Comment:          cleanText(comment),
		PTRLink:          cleanText(raw.ptrLink),
	}, "", ""
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
