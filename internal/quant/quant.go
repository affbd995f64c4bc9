// Package quant holds the domain of the quant service: trade disclosures,
// politicians, the weekly activity series every analysis reads, the Store
// interface the storage adapters implement and the error kinds the HTTP layer
// maps to statuses.
//
// An analysis request is a Request until the edge that received it (an
// HTTP handler, a job submission, a command) makes it a Query with
// NewQuery, the one place every parameter is checked (the Check
// functions) and the key made; the Analyzer chain (cache, guard, ensemble)
// takes that Query as it is.
//
// It imports only the standard library. Adapters (inmem, postgres, redis)
// implement its interfaces and never import each other; cmd/quant wires them.
package quant

import (
	"cmp"
	"database/sql"
	"fmt"
	"time"
)

// TradeType is the normalized transaction type of a disclosure.
type TradeType string

// The transaction types of ANALYTICS.md section 1. TypeUnknown covers every
// type string the rules do not name (the "PDF Disclosed Filing" rows read
// "N/A"); records of that type are stored and listed but never analyzed.
const (
	TypePurchase    TradeType = "purchase"
	TypeSaleFull    TradeType = "sale_full"
	TypeSalePartial TradeType = "sale_partial"
	TypeSale        TradeType = "sale"
	TypeExchange    TradeType = "exchange"
	TypeUnknown     TradeType = "unknown"
)

// TradeTypes lists every TradeType in a stable order.
var TradeTypes = []TradeType{TypePurchase, TypeSaleFull, TypeSalePartial, TypeSale, TypeExchange, TypeUnknown}

// Valid reports whether t is one of the TradeTypes.
func (t TradeType) Valid() bool {
	switch t {
	case TypePurchase, TypeSaleFull, TypeSalePartial, TypeSale, TypeExchange, TypeUnknown:
		return true
	}
	return false
}

// Bounds of the indexed text of a trade. No real filer's id, ticker or
// filing id comes near them (in the Senate data: ids under 30 bytes,
// tickers up to 18, an option; filing ids are 36-byte UUIDs, the House's
// 8 digits); a record past them is rejected on import, in
// every store alike (PostgreSQL's indexes refuse entries over 2,704
// bytes), and the API takes ids and tickers up to the same lengths.
const (
	MaxPoliticianIDLen = 128
	MaxTickerLen       = 32
	MaxFilingIDLen     = 128
)

// ValidPoliticianID reports whether id has the form the importers give a
// politician id (ANALYTICS.md section 1): 1..MaxPoliticianIDLen bytes of
// a-z, 0-9 and '-'. The API and the CLI refuse any other id before asking
// a store.
func ValidPoliticianID(id string) bool {
	if id == "" || len(id) > MaxPoliticianIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Chamber is the house of Congress a disclosure was filed with.
type Chamber string

// The chambers of ANALYTICS.md section 1: told by the record's format
// (section 1.1), never by its content.
const (
	ChamberSenate Chamber = "senate"
	ChamberHouse  Chamber = "house"
)

// Valid reports whether c is ChamberSenate or ChamberHouse.
func (c Chamber) Valid() bool { return c == ChamberSenate || c == ChamberHouse }

// OwnerKind classifies a record's owner field (ANALYTICS.md section 1).
type OwnerKind string

// The owner kinds: self, spouse (spouse, sp), joint (joint, jt), dependent
// (child, dependent, dependent child, dc); anything else is unknown.
const (
	OwnerSelf      OwnerKind = "self"
	OwnerSpouse    OwnerKind = "spouse"
	OwnerJoint     OwnerKind = "joint"
	OwnerDependent OwnerKind = "dependent"
	OwnerUnknown   OwnerKind = "unknown"
)

// Valid reports whether k is one of the owner kinds.
func (k OwnerKind) Valid() bool {
	switch k {
	case OwnerSelf, OwnerSpouse, OwnerJoint, OwnerDependent, OwnerUnknown:
		return true
	}
	return false
}

// SourceFormat is the format a record was read from (ANALYTICS.md 1.1).
type SourceFormat string

// The source formats. A JSON file may mix the three JSON formats; each
// element's own keys decide.
const (
	FormatSenateCSV     SourceFormat = "senate_csv"
	FormatSenateJSON    SourceFormat = "senate_json"
	FormatSenateFilings SourceFormat = "senate_filings"
	FormatHouse         SourceFormat = "house"
)

// Place is where a record stands in its source file: a CSV line (the
// header is line 1; a record's line is where it starts), a 1-based JSON
// array index, or for a Senate filings transaction the filing's index and
// the transaction's 1-based position in it. The zero Place is unknown.
type Place struct {
	Line        int `json:"line,omitempty"`
	Index       int `json:"index,omitempty"`
	Transaction int `json:"transaction,omitempty"`
}

// String names the place for people: "line 17", "index 3",
// "index 3, transaction 2".
func (p Place) String() string {
	switch {
	case p.Transaction > 0:
		return fmt.Sprintf("index %d, transaction %d", p.Index, p.Transaction)
	case p.Index > 0:
		return fmt.Sprintf("index %d", p.Index)
	case p.Line > 0:
		return fmt.Sprintf("line %d", p.Line)
	}
	return "unknown place"
}

// Compare orders places in source order: by line, then index, then
// transaction. Places of one file are all lines or all indexes.
func (p Place) Compare(q Place) int {
	return cmp.Or(cmp.Compare(p.Line, q.Line), cmp.Compare(p.Index, q.Index), cmp.Compare(p.Transaction, q.Transaction))
}

// Trade is one normalized disclosure record (ANALYTICS.md section 1).
//
// Dates are civil dates held as time.Time at midnight UTC; a zero
// DisclosureDate is null (unknown). Empty strings are null for Ticker
// ("--", "N/A" or empty in the source), FilingID, State and Bioguide.
type Trade struct {
	// ID identifies the trade within its store; it is assigned on import and
	// orders trades imported later after earlier ones. Zero before import.
	ID int64
	// Place is where the record stands in its source file.
	Place Place
	// Format is the format the record was read from.
	Format           SourceFormat
	PoliticianID     string
	PoliticianName   string // the filer's name as given
	TransactionDate  time.Time
	Ticker           string
	Type             TradeType
	AmountMin        sql.Null[int64]
	AmountMax        sql.Null[int64]
	AmountExact      bool // the source gave one dollar figure, not a band
	Owner            string
	OwnerKind        OwnerKind
	AssetType        string
	AssetDescription string // as given; HTML in Senate filings (see AssetText)
	Comment          string
	PTRLink          string
	SourceURL        string // House: the report's PDF; empty otherwise
	Chamber          Chamber
	// DisclosureDate is the day the report was filed or received; zero
	// when the format has none or the source's value was unusable.
	DisclosureDate time.Time
	// FilingID names the report (periodic transaction report) the record
	// came from; empty when the format gives none. A store holds each
	// filing once (see Store.Import).
	FilingID string
	// State (two letters) and District (0 for an at-large seat) are the
	// House district as the source gives it; empty and invalid otherwise.
	State    string
	District sql.Null[int32]
	// Bioguide is the filer's Biographical Directory id when the source
	// gives one (Senate filings).
	Bioguide string
}

// Disclosed reports whether the record has a disclosure date.
func (t *Trade) Disclosed() bool { return !t.DisclosureDate.IsZero() }

// AssetText returns AssetDescription as plain text: HTML tags removed
// (a <br> or block tag becomes a space), character references decoded,
// white space runs folded to one space and the ends trimmed. Text
// without markup is returned trimmed and folded, and otherwise as given.
func (t *Trade) AssetText() string { return PlainText(t.AssetDescription) }

// Analyzable reports whether analyses count the trade: its type is known.
func (t *Trade) Analyzable() bool { return t.Type != TypeUnknown }

// Politician summarizes one filer id across every stored record.
type Politician struct {
	ID string
	// Names lists every spelling seen for the id, sorted bytewise.
	Names []string
	// TradeCount counts every stored record, AnalyzableCount only those an
	// analysis counts.
	TradeCount      int
	AnalyzableCount int
	// FirstTrade and LastTrade bound the transaction dates of all records.
	FirstTrade time.Time
	LastTrade  time.Time
	// Chambers lists the distinct chambers of the analyzable records,
	// sorted ("house" before "senate"); empty when none is analyzable.
	Chambers []Chamber
	// State and District are those of the politician's latest record that
	// has a district (latest transaction date, then latest ID); empty and
	// invalid when no record has one.
	State    string
	District sql.Null[int32]
	// FirstDisclosure and LastDisclosure bound the disclosure dates of all
	// records; zero when no record has one.
	FirstDisclosure time.Time
	LastDisclosure  time.Time
	// Bioguides lists the distinct Bioguide ids of the records, sorted.
	Bioguides []string
}

// TickerCount is how often one ticker was traded.
type TickerCount struct {
	Ticker      string
	Trades      int // analyzable records with this ticker
	Politicians int // distinct politicians among them
}

// Fingerprint identifies the content of an imported file (a hex SHA-256).
type Fingerprint string

// ImportInfo describes one file handed to Store.Import.
type ImportInfo struct {
	Source      string      // a name for the file, for humans
	Fingerprint Fingerprint // content hash: a file already imported is refused
	// Force re-imports a file whose fingerprint is already stored. Its
	// filings are replaced as any import's are (see Store.Import), and the
	// records without a filing id that the earlier import of the same file
	// stored are removed first, so they are never doubled either.
	Force bool
	// AsOf is when the source's data was current: a file's modification
	// time, or the moment an upload arrived. The in-memory store derives
	// its dataset versions from it (so stores that load the same files
	// agree); zero means the time of the import.
	AsOf time.Time
}

// ImportResult is what a store reports after a committed import.
type ImportResult struct {
	// Records counts the records the import brought; all of them are
	// stored once it returns.
	Records int
	// Replaced counts the stored records the import removed: the earlier
	// records of every filing it replaced and, with Force, the records
	// without a filing id of the earlier import of the same file.
	Replaced int
	// Unchanged counts the records of filings the store already held with
	// exactly the same records (same content, same order): kept as stored.
	Unchanged int
	// Filings counts the distinct filing ids among Records; of them,
	// FilingsAdded were new to the store, FilingsReplaced replaced stored
	// records and FilingsUnchanged were already stored as brought.
	Filings          int
	FilingsAdded     int
	FilingsReplaced  int
	FilingsUnchanged int
	// Changed reports whether the stored data changed; DatasetVersion
	// moved exactly when it did.
	Changed        bool
	DatasetVersion int64 // the version after the import
}
