// Package inmem is the default quant.Store: every record in process memory,
// indexed for the API's queries. It is what `quant` and `quant serve` use
// unless a database URL is configured.
//
// Reads take a shared lock and never wait for an import's parsing: an
// import stages its records first and holds the exclusive lock only to
// append them and refresh the derived views, so an import is all-or-nothing
// and readers see the data before or after it, never between.
package inmem

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"iter"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.Store = (*Store)(nil)

// Store is an in-memory quant.Store, safe for concurrent use.
type Store struct {
	mu      sync.RWMutex
	trades  []stored                     // guarded by mu; in import order, so IDs ascend
	pols    map[string]*politician       // guarded by mu
	imports map[quant.Fingerprint]string // guarded by mu; fingerprint -> source
	nextID  int64                        // guarded by mu; the last ID assigned
	version int64                        // guarded by mu
	dataset *quant.Dataset               // guarded by mu; rebuilt on every change
	tickers []quant.TickerCount          // guarded by mu; rebuilt on every change
}

type stored struct {
	quant.Trade
	fp quant.Fingerprint // the import it came from
}

// politician indexes one id's trades and keeps its running figures.
type politician struct {
	trades     []int // indexes into Store.trades, ordered by (date desc, ID desc)
	names      map[string]bool
	analyzable int
	first      time.Time
	last       time.Time
	weeks      map[time.Time]int // analyzable records per week
	tickers    map[string]int    // analyzable records per known ticker
}

// New returns an empty Store.
func New() *Store {
	s := &Store{}
	s.reset()
	return s
}

func (s *Store) reset() {
	s.trades = nil
	s.pols = map[string]*politician{}
	s.imports = map[quant.Fingerprint]string{}
	s.dataset = quant.NewDataset(s.version, nil)
}

// stageEvery is how many records Import stages per chunk, checking its
// context between chunks.
const stageEvery = 1024

// Import implements quant.Store.
func (s *Store) Import(ctx context.Context, info quant.ImportInfo, records iter.Seq2[quant.Trade, error]) (quant.ImportResult, error) {
	if !info.Force && s.imported(info.Fingerprint) {
		return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, quant.ErrAlreadyImported)
	}
	// Stage in fixed-size chunks: a million records never sit in one
	// slice that must be copied as it grows. Repeated strings (names,
	// tickers, owners, filing links) are shared as they arrive.
	var (
		chunks [][]quant.Trade
		n      int
		in     = interner{}
	)
	for tr, err := range records {
		if err != nil {
			return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, err)
		}
		if n%stageEvery == 0 {
			if err := ctx.Err(); err != nil {
				return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, err)
			}
			chunks = append(chunks, make([]quant.Trade, 0, stageEvery))
		}
		in.trade(&tr)
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], tr)
		n++
	}
	if err := ctx.Err(); err != nil {
		return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	res := quant.ImportResult{Records: n}
	if _, dup := s.imports[info.Fingerprint]; dup {
		if !info.Force {
			return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, quant.ErrAlreadyImported)
		}
		res.Replaced = s.remove(info.Fingerprint)
	}
	if n == 0 && res.Replaced == 0 {
		// Nothing stored, nothing replaced: the data did not change, so
		// neither does the version (every cache keyed by it stays valid),
		// and the file is not recorded.
		res.DatasetVersion = s.version
		return res, nil
	}
	s.imports[info.Fingerprint] = info.Source
	s.trades = slices.Grow(s.trades, n)
	touched := map[string]bool{}
	for _, chunk := range chunks {
		for i := range chunk {
			s.nextID++
			chunk[i].ID = s.nextID
			s.trades = append(s.trades, stored{Trade: chunk[i], fp: info.Fingerprint})
			s.add(len(s.trades) - 1)
			touched[chunk[i].PoliticianID] = true
		}
	}
	for id := range touched {
		s.sortTrades(s.pols[id])
	}
	s.version = nextVersion(s.version, info.Fingerprint, res.Replaced > 0)
	s.rebuildViews()
	res.DatasetVersion = s.version
	return res, nil
}

func (s *Store) imported(fp quant.Fingerprint) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.imports[fp]
	return ok
}

// remove drops the trades of one import and rebuilds the indexes from the
// rest; it returns how many trades it dropped.
func (s *Store) remove(fp quant.Fingerprint) int {
	kept := make([]stored, 0, len(s.trades))
	for _, t := range s.trades {
		if t.fp != fp {
			kept = append(kept, t)
		}
	}
	dropped := len(s.trades) - len(kept)
	imports, nextID, version := s.imports, s.nextID, s.version
	s.reset()
	s.imports, s.nextID, s.version = imports, nextID, version
	delete(s.imports, fp)
	for _, t := range kept {
		s.trades = append(s.trades, t)
		s.add(len(s.trades) - 1)
	}
	for _, p := range s.pols {
		s.sortTrades(p)
	}
	return dropped
}

// add indexes trades[i] under its politician (unsorted: call sortTrades).
func (s *Store) add(i int) {
	t := &s.trades[i].Trade
	p := s.pols[t.PoliticianID]
	if p == nil {
		p = &politician{names: map[string]bool{}, weeks: map[time.Time]int{}, tickers: map[string]int{}, first: t.TransactionDate, last: t.TransactionDate}
		s.pols[t.PoliticianID] = p
	}
	p.trades = append(p.trades, i)
	p.names[t.PoliticianName] = true
	if t.TransactionDate.Before(p.first) {
		p.first = t.TransactionDate
	}
	if t.TransactionDate.After(p.last) {
		p.last = t.TransactionDate
	}
	if t.Analyzable() {
		p.analyzable++
		p.weeks[quant.Week(t.TransactionDate)]++
		if t.Ticker != "" {
			p.tickers[t.Ticker]++
		}
	}
}

// newer reports whether a sorts before b in a listing: later date, then larger ID.
func newer(a, b *quant.Trade) bool {
	if c := a.TransactionDate.Compare(b.TransactionDate); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

func (s *Store) sortTrades(p *politician) {
	sort.Slice(p.trades, func(i, j int) bool {
		return newer(&s.trades[p.trades[i]].Trade, &s.trades[p.trades[j]].Trade)
	})
}

// interner makes repeated field values share one copy.
type interner map[string]string

func (in interner) trade(t *quant.Trade) {
	for _, f := range []*string{&t.PoliticianID, &t.PoliticianName, &t.Ticker, &t.Owner, &t.AssetType, &t.AssetDescription, &t.Comment, &t.PTRLink} {
		if v, ok := in[*f]; ok {
			*f = v
		} else {
			in[*f] = *f
		}
	}
}

// rebuildViews recomputes the Dataset and the ticker ranking.
func (s *Store) rebuildViews() {
	ids := slices.Sorted(maps.Keys(s.pols))
	acts := make([]quant.Activity, 0, len(ids))
	type tick struct{ trades, pols int }
	tk := map[string]*tick{}
	for _, id := range ids {
		p := s.pols[id]
		if p.analyzable == 0 {
			continue
		}
		act := quant.Activity{ID: id, Analyzable: p.analyzable, Tickers: slices.Sorted(maps.Keys(p.tickers))}
		for _, w := range slices.SortedFunc(maps.Keys(p.weeks), time.Time.Compare) {
			act.Weeks = append(act.Weeks, quant.WeekCount{Week: w, Count: p.weeks[w]})
		}
		acts = append(acts, act)
		for t, n := range p.tickers {
			if tk[t] == nil {
				tk[t] = &tick{}
			}
			tk[t].trades += n
			tk[t].pols++
		}
	}
	s.dataset = quant.NewDataset(s.version, acts)
	s.tickers = s.tickers[:0:0]
	for t, c := range tk {
		s.tickers = append(s.tickers, quant.TickerCount{Ticker: t, Trades: c.trades, Politicians: c.pols})
	}
	slices.SortFunc(s.tickers, func(a, b quant.TickerCount) int {
		return cmp.Or(cmp.Compare(b.Trades, a.Trades), cmp.Compare(a.Ticker, b.Ticker))
	})
}

func (s *Store) summary(id string, p *politician) quant.Politician {
	return quant.Politician{
		ID: id, Names: slices.Sorted(maps.Keys(p.names)),
		TradeCount: len(p.trades), AnalyzableCount: p.analyzable,
		FirstTrade: p.first, LastTrade: p.last,
	}
}

// Politicians implements quant.Store.
func (s *Store) Politicians(ctx context.Context, q quant.PoliticianQuery) ([]quant.Politician, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	all := make([]quant.Politician, 0, len(s.pols))
	for id, p := range s.pols {
		all = append(all, quant.Politician{ID: id, TradeCount: len(p.trades), LastTrade: p.last})
	}
	slices.SortFunc(all, func(a, b quant.Politician) int {
		switch q.Sort {
		case quant.SortName:
		case quant.SortLastTrade:
			if c := b.LastTrade.Compare(a.LastTrade); c != 0 {
				return c
			}
		default:
			if c := cmp.Compare(b.TradeCount, a.TradeCount); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	total := len(all)
	page := all[min(q.Offset, total):]
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
	}
	out := make([]quant.Politician, len(page))
	for i, p := range page {
		out[i] = s.summary(p.ID, s.pols[p.ID])
	}
	return out, total, nil
}

// Politician implements quant.Store.
func (s *Store) Politician(ctx context.Context, id string) (quant.Politician, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.pols[id]
	if !ok {
		return quant.Politician{}, fmt.Errorf("inmem: %w", &quant.NotFoundError{What: "politician", ID: id})
	}
	return s.summary(id, p), nil
}

// Trades implements quant.Store.
func (s *Store) Trades(ctx context.Context, q quant.TradeQuery) (quant.TradePage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.pols[q.PoliticianID]
	if !ok {
		return quant.TradePage{}, fmt.Errorf("inmem: trades: %w", &quant.NotFoundError{What: "politician", ID: q.PoliticianID})
	}
	start := 0
	if q.After != nil {
		cur := quant.Trade{TransactionDate: q.After.Date, ID: q.After.ID}
		start = sort.Search(len(p.trades), func(i int) bool { return newer(&cur, &s.trades[p.trades[i]].Trade) })
	}
	limit := q.Limit
	if limit <= 0 {
		limit = len(p.trades)
	}
	var page quant.TradePage
	for _, i := range p.trades[start:] {
		t := &s.trades[i].Trade
		if !q.To.IsZero() && t.TransactionDate.After(q.To) ||
			!q.From.IsZero() && t.TransactionDate.Before(q.From) ||
			q.Ticker != "" && t.Ticker != q.Ticker ||
			q.Type != "" && t.Type != q.Type {
			continue
		}
		if len(page.Trades) == limit {
			last := page.Trades[limit-1]
			page.Next = &quant.Cursor{Date: last.TransactionDate, ID: last.ID}
			break
		}
		page.Trades = append(page.Trades, *t)
	}
	return page, nil
}

// Tickers implements quant.Store.
func (s *Store) Tickers(ctx context.Context, limit int) ([]quant.TickerCount, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := len(s.tickers)
	if limit > 0 && limit < n {
		n = limit
	}
	return slices.Clone(s.tickers[:n]), nil
}

// Dataset implements quant.Store. The Dataset is shared and must not be
// modified.
func (s *Store) Dataset(ctx context.Context) (*quant.Dataset, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dataset, nil
}

// DatasetVersion implements quant.Store: it changes with every committed
// import (see nextVersion).
func (s *Store) DatasetVersion(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version, nil
}

// nextVersion derives the dataset version after an import from the version
// before it and the imported file, so that stores loaded with the same files
// in the same order (a restarted process, a second instance) share version
// numbers, and with them cache keys, while any other history gives another
// number. Zero is the empty store's version and never the result.
func nextVersion(prev int64, fp quant.Fingerprint, replaced bool) int64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%s|%t", prev, fp, replaced)
	v := int64(h.Sum64() & math.MaxInt64)
	if v == 0 {
		v = 1
	}
	return v
}

// Ping implements quant.Store; memory is always there.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Stats implements quant.Store.
func (s *Store) Stats() quant.StoreStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return quant.StoreStats{Backend: "memory", Trades: int64(len(s.trades))}
}

// Close implements quant.Store; it does nothing.
func (s *Store) Close() {}
