package quant

import (
	"context"
	"iter"
	"time"
)

// Store keeps trade records and answers the queries of the API. The inmem
// and postgres packages implement it; both pass internal/storetest.
//
// Filings. A filing (a periodic transaction report, Trade.FilingID) is the
// unit of disclosure, and a store holds each filing once (ANALYTICS.md
// section 1.2). When an import brings records of a filing id the store
// already holds, they replace every stored record of that filing in the
// same transaction, whatever import stored them: the next version of a
// cumulative file, the JSON twin of a CSV, an amended report. Within one
// import every record of a filing counts, repeats included, wherever in
// the file it stands. A filing brought with exactly the records the store
// holds for it (the same content in the same order, IDs aside) is left
// as stored. Records with no filing id are never merged: they are added,
// except that an import with Force removes those the earlier import of
// the same fingerprint stored.
//
// Versions. DatasetVersion is positive once anything is stored and
// strictly increases with every import that changes stored data; an import
// that changes nothing (a refused duplicate, no records, every filing
// already stored as brought) leaves it as it was. It never decreases:
// not in one store, not across restarts of a persistent store, not
// between Stores that share a database. Stores that share a database
// read the same versions; in-memory stores that imported the same files
// in the same order (the same content, fingerprints, AsOf and Force) hold
// the same versions, so instances can share cache keys, and in-memory
// stores whose import histories differ hold different versions (with
// overwhelming probability), so they never share cache keys. Each store
// derives them its own way:
//
//   - postgres: the larger of the previous version plus one and the
//     commit time in microseconds since 1970 (the database's clock),
//     shared by every Store on the database;
//   - inmem: a time part above the low 24 bits, ImportInfo.AsOf (the time
//     of the import when zero) in units of 2^24 microseconds (about 16.8
//     s), or the previous version's unit plus one when that is not
//     larger; and in the low 24 bits a hash chained over every import that
//     changed the data (its fingerprint, Force, AsOf, ImportResult counts
//     and the content it brought). See package inmem.
//
// Versions are opaque beyond that: compare them for equality (cache
// keys) or, within one store or database, for order.
type Store interface {
	// Import stores records as one all-or-nothing unit: on any error,
	// including ctx's cancellation, the store is left as it was. A file whose
	// fingerprint is already stored is refused with ErrAlreadyImported unless
	// info.Force is set (a persistent store may also apply as forced, once,
	// a file it imported under an older schema: postgres does). Filings are replaced as the Store comment says.
	// records yields accepted records in source order; an error it yields
	// aborts the import.
	Import(ctx context.Context, info ImportInfo, records iter.Seq2[Trade, error]) (ImportResult, error)

	// Politicians lists politicians and the total matching before paging.
	Politicians(ctx context.Context, q PoliticianQuery) ([]Politician, int, error)
	// Politician returns one politician or an error wrapping ErrNotFound.
	Politician(ctx context.Context, id string) (Politician, error)
	// Trades pages through trades, newest first: one politician's when
	// q.PoliticianID is set (an unknown politician is an error wrapping
	// ErrNotFound), else every politician's.
	Trades(ctx context.Context, q TradeQuery) (TradePage, error)
	// Tickers lists the most traded known tickers (analyzable records),
	// ties by ticker.
	Tickers(ctx context.Context, limit int) ([]TickerCount, error)
	// Ticker describes who traded one ticker (exact, upper case) among
	// every stored record; a ticker no record holds is an error wrapping
	// ErrNotFound.
	Ticker(ctx context.Context, ticker string) (TickerDetail, error)

	// Dataset returns every politician's analyzable activity as of the
	// current dataset version.
	Dataset(ctx context.Context) (*Dataset, error)
	// Disclosures returns every analyzable record's disclosure facts as of
	// the current dataset version (what the compliance analysis reads).
	// Stores build it on first use for a version and keep it.
	Disclosures(ctx context.Context) (*Disclosures, error)
	// DatasetVersion returns the current dataset version (see the Store
	// comment); analyses and cache keys carry it. 0 means nothing was
	// ever stored.
	DatasetVersion(ctx context.Context) (int64, error)

	// SetLegislators stores t as the legislators table (nil removes the
	// stored one), replacing any stored before, in one step. A table whose
	// Digest equals the stored one's changes nothing (changed false);
	// otherwise the dataset version moves as an import's does (every
	// answer that reads identity depends on the table). It returns the
	// dataset version after the call.
	SetLegislators(ctx context.Context, t *Legislators) (changed bool, version int64, err error)
	// Filers returns every distinct filer signature of the stored records
	// and the stored legislators table, as of the current dataset version
	// (what identity resolution reads). Stores build it on first use for a
	// version and keep it.
	Filers(ctx context.Context) (*Filers, error)

	// Ping reports whether the store can answer.
	Ping(ctx context.Context) error
	// Stats describes the store's connection pool or memory use.
	Stats() StoreStats
	// Close releases the store's resources.
	Close()
}

// PoliticianSort orders Store.Politicians.
type PoliticianSort string

// The orders of Store.Politicians. Every order breaks ties by id.
const (
	SortTrades    PoliticianSort = "trades"     // most records first (the default)
	SortName      PoliticianSort = "name"       // by id, ascending
	SortLastTrade PoliticianSort = "last_trade" // most recent last trade first
)

// Valid reports whether s is a known order.
func (s PoliticianSort) Valid() bool {
	return s == SortTrades || s == SortName || s == SortLastTrade
}

// PoliticianQuery selects a page of politicians.
type PoliticianQuery struct {
	// IDs, when not nil, keeps only these politicians (the total counts
	// only them); an empty non-nil IDs matches nothing. Order and repeats
	// do not matter.
	IDs    []string
	Sort   PoliticianSort // zero means SortTrades
	Limit  int            // at most this many; 0 means no limit
	Offset int
}

// TradeQuery selects a page of trades: one politician's, or, with an
// empty PoliticianID, everyone's. Every filter set must hold; a zero field
// does not filter.
type TradeQuery struct {
	PoliticianID string
	// PoliticianIDs, when not nil, keeps only the trades of these
	// politicians (with PoliticianID, both must hold); an empty non-nil
	// PoliticianIDs matches nothing. Order and repeats do not matter.
	PoliticianIDs []string
	From, To      time.Time // inclusive bounds on the transaction date
	Ticker        string    // exact, upper case
	Type          TradeType
	Chamber       Chamber
	Owner         OwnerKind // the record's owner kind
	// DisclosedFrom and DisclosedTo bound the disclosure date (inclusive);
	// with either set, records without a disclosure date never match.
	DisclosedFrom, DisclosedTo time.Time
	// MinAmount keeps records known to be worth at least this many
	// dollars: AmountMin >= MinAmount. Records of unknown amount never
	// match a positive MinAmount.
	MinAmount int64
	Limit     int // page size, > 0
	// After continues a listing: only trades that sort after this cursor
	// (older date, or same date and smaller ID) are returned.
	After *Cursor
}

// Cursor is a position in a trade listing ordered by (date desc, id desc).
type Cursor struct {
	Date time.Time
	ID   int64
}

// TradePage is one page of trades; Next is nil on the last page.
type TradePage struct {
	Trades []Trade
	Next   *Cursor
}

// TickerDetail is who traded one ticker, over every stored record with it.
type TickerDetail struct {
	Ticker      string
	Trades      int // records with this ticker
	Analyzable  int // of them, of a known type
	First, Last time.Time
	// Politicians lists who traded it, most records first, ties by id.
	Politicians []TickerTrader
}

// TickerTrader is one politician's records of one ticker.
type TickerTrader struct {
	ID          string
	Trades      int
	Purchases   int // type purchase
	Sales       int // type sale, sale_full or sale_partial
	First, Last time.Time
	// AmountMin and AmountMax sum the known bounds of the records' amounts
	// (a record of unknown amount adds nothing; an open band adds its
	// lower bound to AmountMin only).
	AmountMin, AmountMax int64
}

// StoreStats describes a store for the console and /metrics. Pool figures
// are zero for stores without a pool.
type StoreStats struct {
	Backend string // "memory" or "postgres"
	Trades  int64  // stored records (-1 when unknown)

	MaxConns         int32
	TotalConns       int32
	AcquiredConns    int32
	IdleConns        int32
	AcquireCount     int64
	EmptyAcquires    int64         // acquires that had to wait for a connection
	CanceledAcquires int64         // acquires whose context ended while waiting
	AcquireWait      time.Duration // cumulative
}
