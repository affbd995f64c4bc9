package ingest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// field names a JSON key some format reads.
type field int

const (
	fDate field = iota
	fOwner
	fTicker
	fAssetDescription
	fAssetType
	fType
	fAmount
	fComment
	fSenator
	fRepresentative
	fPtrLink
	fSourceURL
	fFilingID
	fDistrict
	fDisclosureDate
	fFirstName
	fLastName
	fDateRecieved
	fBioguide
	nFields
)

// The keys each JSON format names (section 1.1); any other key of an
// element is ignored, whatever its value.
var (
	senateJSONKeys = map[string]field{
		"transaction_date": fDate, "owner": fOwner, "ticker": fTicker, "asset_description": fAssetDescription,
		"asset_type": fAssetType, "type": fType, "amount": fAmount, "comment": fComment,
		"senator": fSenator, "ptr_link": fPtrLink,
	}
	houseKeys = map[string]field{
		"transaction_date": fDate, "owner": fOwner, "ticker": fTicker, "asset_description": fAssetDescription,
		"asset_type": fAssetType, "type": fType, "amount": fAmount, "comment": fComment,
		"representative": fRepresentative, "ptr_link": fPtrLink, "source_url": fSourceURL,
		"filing_id": fFilingID, "district": fDistrict, "disclosure_date": fDisclosureDate,
	}
	// filingKeys are a Senate filing's own keys (its "transactions" is
	// read apart); transactionKeys those of one of its transactions.
	filingKeys = map[string]field{
		"first_name": fFirstName, "last_name": fLastName, "date_recieved": fDateRecieved,
		"ptr_link": fPtrLink, "bioguide": fBioguide,
	}
	transactionKeys = map[string]field{
		"transaction_date": fDate, "owner": fOwner, "ticker": fTicker, "asset_description": fAssetDescription,
		"asset_type": fAssetType, "type": fType, "amount": fAmount, "comment": fComment,
	}
)

// member is one key and its raw value in a JSON object.
type member struct {
	key string
	val []byte
}

// jsonReader reads one JSON file: a top-level array whose elements are
// decoded one at a time.
type jsonReader struct {
	today time.Time
	sink  Sink
	yield func(quant.Trade, error) bool

	members []member        // the current object's members, reused
	txs     [][]byte        // the current filing's transactions, reused
	seen    map[string]bool // duplicate-key check of large objects
}

func (j *jsonReader) fail(format string, args ...any) {
	j.yield(quant.Trade{}, fmt.Errorf("%w: "+format, append([]any{ErrSyntax}, args...)...))
}

// read reads the file: one array, then white space only. bom says a
// byte-order mark was skipped before r (for byte offsets).
func (j *jsonReader) read(r *bufio.Reader, bom bool) {
	sc := newJSONScanner(r, bom)
	c, ok := sc.ws()
	if !ok {
		if sc.err != nil {
			j.fail("%v", sc.err)
		}
		return // an empty file holds no records
	}
	if c != '[' {
		j.fail("the file must hold one array of records: %v", sc.syntaxError(c, ok, "'['"))
		return
	}
	c, ok = sc.ws()
	if !ok || c != ']' {
		for index := 1; ; index++ {
			if !ok {
				j.fail("the array does not end: %v", sc.syntaxError(c, ok, "a value"))
				return
			}
			if err := sc.element(c); err != nil {
				j.fail("element %d: %v", index, err)
				return
			}
			if !j.scanned(index, sc) {
				return
			}
			c, ok = sc.ws()
			if ok && c == ']' {
				break
			}
			if !ok || c != ',' {
				j.fail("the array does not end after element %d: %v", index, sc.syntaxError(c, ok, "',' or ']'"))
				return
			}
			c, ok = sc.ws()
		}
	}
	if c, ok = sc.ws(); ok {
		j.fail("text after the array at %s: %q (only white space may follow it; two files joined are two imports)", sc.where(), c)
	} else if sc.err != nil {
		j.fail("after the array: %v", sc.err)
	}
}

// scanned reads the element sc holds; false means stop.
func (j *jsonReader) scanned(index int, sc *jsonScanner) bool {
	if sc.n <= sc.max {
		return j.element(index, sc.buf)
	}
	kind := ElementNotAnObject
	switch {
	case sc.buf[0] != '{':
	case sc.hasTxs:
		kind = ElementSenateFilings
	case sc.hasRep:
		kind = ElementHouse
	default:
		kind = ElementSenateJSON
	}
	j.sink.Element(kind)
	j.sink.Reject(Reject{Place: quant.Place{Index: index}, Reason: ReasonMalformedRow,
		Detail: fmt.Sprintf("the element is %d bytes, past the record limit of %s (MaxRecordBytes)", sc.n, sizeText(sc.max))})
	return true
}

// element reads the top-level element at index; false means stop.
func (j *jsonReader) element(index int, b []byte) bool {
	place := quant.Place{Index: index}
	i := skipWS(b, 0)
	if b[i] != '{' {
		j.sink.Element(ElementNotAnObject)
		j.sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: "the element is " + kindOf(b[i]) + ", not an object"})
		return true
	}
	j.members = objectMembers(b[i:], j.members[:0])
	var txs []byte
	hasTxs, hasRep := false, false
	for _, m := range j.members {
		switch m.key {
		case "transactions":
			hasTxs, txs = true, m.val
		case "representative":
			hasRep = true
		}
	}
	switch {
	case hasTxs:
		j.sink.Element(ElementSenateFilings)
		return j.filing(place, txs)
	case hasRep:
		j.sink.Element(ElementHouse)
		return j.record(place, quant.FormatHouse, houseKeys)
	default:
		j.sink.Element(ElementSenateJSON)
		return j.record(place, quant.FormatSenateJSON, senateJSONKeys)
	}
}

// record reads the current members as one Senate JSON or House record.
func (j *jsonReader) record(place quant.Place, format quant.SourceFormat, keys map[string]field) bool {
	var vals [nFields]string
	if bad := j.readFields(keys, &vals); bad != "" {
		j.sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: bad})
		return true
	}
	raw := rawRecord{
		format: format,
		date:   vals[fDate], owner: vals[fOwner], ticker: vals[fTicker], assetDescription: vals[fAssetDescription],
		assetType: vals[fAssetType], typ: vals[fType], amount: vals[fAmount], comment: vals[fComment],
		name: vals[fSenator], ptrLink: vals[fPtrLink],
	}
	if format == quant.FormatHouse {
		raw.name, raw.sourceURL, raw.filingID, raw.district = vals[fRepresentative], vals[fSourceURL], vals[fFilingID], vals[fDistrict]
		raw.disclosure, raw.hasDisclosure = vals[fDisclosureDate], true
	}
	return emit(&raw, place, j.today, j.sink, j.yield)
}

// filing reads the current members as one Senate filing whose
// transactions value is txs.
func (j *jsonReader) filing(place quant.Place, txs []byte) bool {
	if j.duplicate("transactions") {
		j.sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: `the filing gives the key "transactions" twice`})
		return true
	}
	if k := skipWS(txs, 0); txs[k] != '[' {
		j.sink.Reject(Reject{Place: place, Reason: ReasonMalformedRow, Detail: "the filing's transactions is " + kindOf(txs[k]) + ", not an array"})
		return true
	}
	var vals [nFields]string
	bad := j.readFields(filingKeys, &vals)
	j.txs = arrayElements(txs, j.txs[:0])
	j.sink.Filing(len(j.txs))
	raw := rawRecord{
		format: quant.FormatSenateFilings,
		name:   vals[fFirstName] + " " + vals[fLastName], ptrLink: vals[fPtrLink], bioguide: vals[fBioguide],
		disclosure: vals[fDateRecieved], hasDisclosure: true,
	}
	for t, tx := range j.txs {
		tplace := quant.Place{Index: place.Index, Transaction: t + 1}
		if bad != "" {
			j.sink.Reject(Reject{Place: tplace, Reason: ReasonMalformedRow, Detail: "the filing's own keys are malformed: " + bad})
			continue
		}
		if tx[0] != '{' {
			j.sink.Reject(Reject{Place: tplace, Reason: ReasonMalformedRow, Detail: "the transaction is " + kindOf(tx[0]) + ", not an object"})
			continue
		}
		j.members = objectMembers(tx, j.members[:0])
		var tv [nFields]string
		if tbad := j.readFields(transactionKeys, &tv); tbad != "" {
			j.sink.Reject(Reject{Place: tplace, Reason: ReasonMalformedRow, Detail: tbad})
			continue
		}
		raw.date, raw.owner, raw.ticker, raw.assetDescription = tv[fDate], tv[fOwner], tv[fTicker], tv[fAssetDescription]
		raw.assetType, raw.typ, raw.amount, raw.comment = tv[fAssetType], tv[fType], tv[fAmount], tv[fComment]
		if !emit(&raw, tplace, j.today, j.sink, j.yield) {
			return false
		}
	}
	return true
}

// readFields fills vals with the text of the current members that keys
// names (a missing key or null reads as ""; a number or boolean as its
// JSON text). It returns what is malformed: a key given twice (any key),
// or an object or array as the value of a named key; "" when nothing is.
func (j *jsonReader) readFields(keys map[string]field, vals *[nFields]string) string {
	if key, ok := j.anyDuplicate(); ok {
		return fmt.Sprintf("the key %s is given twice", quoteShort(key))
	}
	for _, m := range j.members {
		f, ok := keys[m.key]
		if !ok {
			continue
		}
		switch m.val[0] {
		case '{', '[':
			return fmt.Sprintf("%s holds %s, not text", quoteShort(m.key), kindOf(m.val[0]))
		case '"':
			if len(m.val)-2 > MaxFieldBytes {
				return fmt.Sprintf("%s is %d bytes, past the field limit of %s (MaxFieldBytes)", quoteShort(m.key), len(m.val)-2, sizeText(MaxFieldBytes))
			}
			vals[f] = decodeString(m.val)
		case 'n':
			vals[f] = ""
		default:
			if len(m.val) > MaxFieldBytes {
				return fmt.Sprintf("%s is %d bytes, past the field limit of %s (MaxFieldBytes)", quoteShort(m.key), len(m.val), sizeText(MaxFieldBytes))
			}
			vals[f] = string(m.val)
		}
	}
	return ""
}

// duplicate reports whether the current object gives key more than once.
func (j *jsonReader) duplicate(key string) bool {
	n := 0
	for _, m := range j.members {
		if m.key == key {
			n++
		}
	}
	return n > 1
}

// anyDuplicate returns a key the current object gives more than once.
func (j *jsonReader) anyDuplicate() (string, bool) {
	ms := j.members
	if len(ms) <= 32 {
		for a := 1; a < len(ms); a++ {
			for b := 0; b < a; b++ {
				if ms[a].key == ms[b].key {
					return ms[a].key, true
				}
			}
		}
		return "", false
	}
	if j.seen == nil {
		j.seen = map[string]bool{}
	}
	clear(j.seen)
	for _, m := range ms {
		if j.seen[m.key] {
			return m.key, true
		}
		j.seen[m.key] = true
	}
	return "", false
}

// kindOf names the JSON value starting with c.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// The functions below walk JSON text that encoding/json has already
// validated (one value, as jsonScanner read it), so they check no
// syntax.

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just after the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = stringEnd(b, i) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// stringEnd returns the index just after the string starting at b[i].
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return i
}

// objectMembers appends the members of the object b to dst.
func objectMembers(b []byte, dst []member) []member {
	i := skipWS(b, 0) + 1 // past '{'
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] == '}' {
			return dst
		}
		if b[i] == ',' {
			i++
			continue
		}
		end := stringEnd(b, i)
		key := decodeString(b[i:end])
		i = skipWS(b, end) + 1 // past ':'
		i = skipWS(b, i)
		vend := valueEnd(b, i)
		dst = append(dst, member{key: key, val: b[i:vend]})
		i = vend
	}
}

// arrayElements appends the elements of the array b to dst.
func arrayElements(b []byte, dst [][]byte) [][]byte {
	i := skipWS(b, 0) + 1 // past '['
	for {
		i = skipWS(b, i)
		if i >= len(b) || b[i] == ']' {
			return dst
		}
		if b[i] == ',' {
			i++
			continue
		}
		end := valueEnd(b, i)
		dst = append(dst, b[i:end])
		i = end
	}
}

// decodeString returns the value of the JSON string b (quotes included).
// Invalid UTF-8 is kept as is (cleanText replaces it where text is
// stored, and PoliticianID reads it as a separator either way).
func decodeString(b []byte) string {
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				return string(inner)
			}
			return s
		}
	}
	return string(inner)
}
