package quant

import (
	"context"
	"iter"
	"time"
)

// Store keeps trade records and answers the queries of the API. The inmem
// and postgres packages implement it; both pass internal/storetest.
type Store interface {
	// Import stores records as one all-or-nothing unit: on any error,
	// including ctx's cancellation, the store is left as it was. A file whose
	// fingerprint is already stored is refused with ErrAlreadyImported unless
	// info.Force is set, in which case it replaces the earlier import.
	// records yields accepted records in source order; an error it yields
	// aborts the import.
	Import(ctx context.Context, info ImportInfo, records iter.Seq2[Trade, error]) (ImportResult, error)

	// Politicians lists politicians and the total matching before paging.
	Politicians(ctx context.Context, q PoliticianQuery) ([]Politician, int, error)
	// Politician returns one politician or an error wrapping ErrNotFound.
	Politician(ctx context.Context, id string) (Politician, error)
	// Trades pages through one politician's trades, newest first. An unknown
	// politician is an error wrapping ErrNotFound.
	Trades(ctx context.Context, q TradeQuery) (TradePage, error)
	// Tickers lists the most traded known tickers (analyzable records),
	// ties by ticker.
	Tickers(ctx context.Context, limit int) ([]TickerCount, error)

	// Dataset returns every politician's analyzable activity as of the
	// current dataset version.
	Dataset(ctx context.Context) (*Dataset, error)
	// DatasetVersion returns a number that changes whenever stored data
	// changes; analyses and cache keys carry it.
	DatasetVersion(ctx context.Context) (int64, error)

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
	Sort   PoliticianSort // zero means SortTrades
	Limit  int            // at most this many; 0 means no limit
	Offset int
}

// TradeQuery selects a page of one politician's trades.
type TradeQuery struct {
	PoliticianID string
	From, To     time.Time // inclusive bounds on the transaction date; zero means open
	Ticker       string    // exact, upper case; empty means any
	Type         TradeType // empty means any
	Limit        int       // page size, > 0
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

// StoreStats describes a store for the console and /metrics. Pool figures
// are zero for stores without a pool.
type StoreStats struct {
	Backend string // "memory" or "postgres"
	Trades  int64  // stored records (-1 when unknown)

	MaxConns        int32
	TotalConns      int32
	AcquiredConns   int32
	IdleConns       int32
	AcquireCount    int64
	EmptyAcquires   int64 // acquires that had to wait for a connection
	CanceledAcquire int64
	AcquireWait     time.Duration // cumulative
}
