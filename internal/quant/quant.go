// Package quant holds the domain of the quant service: trade disclosures,
// politicians, the weekly activity series every analysis reads, the Store
// interface the storage adapters implement and the error kinds the HTTP layer
// maps to statuses.
//
// It imports only the standard library. Adapters (inmem, postgres, redis)
// implement its interfaces and never import each other; cmd/quant wires them.
package quant

import (
	"database/sql"
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

// Bounds of the indexed text of a trade. No real filer's id or ticker
// comes near them (in the Senate data: ids under 30 bytes, tickers up to
// 18, an option); a record past them is rejected on import, in
// every store alike (PostgreSQL's indexes refuse entries over 2,704
// bytes), and the API takes ids and tickers up to the same lengths.
const (
	MaxPoliticianIDLen = 128
	MaxTickerLen       = 32
)

// Trade is one normalized disclosure record.
//
// Dates are civil dates held as time.Time at midnight UTC. An empty Ticker
// means the ticker is unknown ("--", "N/A" or empty in the source).
type Trade struct {
	// ID identifies the trade within its store; it is assigned on import and
	// orders trades imported later after earlier ones. Zero before import.
	ID int64
	// Line is where the record starts in its source: the CSV line (header is
	// line 1) or the 1-based JSON array index.
	Line             int
	PoliticianID     string
	PoliticianName   string // the filer's name as given
	TransactionDate  time.Time
	Ticker           string
	Type             TradeType
	AmountMin        sql.Null[int64]
	AmountMax        sql.Null[int64]
	Owner            string
	AssetType        string
	AssetDescription string
	Comment          string
	PTRLink          string
}

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
	// Force re-imports a file whose fingerprint is already stored: the
	// records of the earlier import are replaced, never duplicated.
	Force bool
}

// ImportResult is what a store reports after a committed import.
type ImportResult struct {
	Records        int   // records stored by this import
	Replaced       int   // records of an earlier import of the same file removed (Force)
	DatasetVersion int64 // the version after the import
}
