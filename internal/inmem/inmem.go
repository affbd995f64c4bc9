// Package inmem is the default quant.Store: every record in process memory,
// indexed for the API's queries. It is what `quant` and `quant serve` use
// unless a database URL is configured.
//
// Reads take a shared lock and never wait for an import's parsing: an
// import stages its records and hashes its filings first and holds the
// exclusive lock only to compare them with the stored filings, apply the
// change and refresh the derived views, so an import is all-or-nothing and
// readers see the data before or after it, never between.
//
// Filings. Each stored filing keeps the quant.FilingDigest of its records
// (in the order the import that stored it brought them) and their count.
// An import groups its records by filing id; a filing whose digest equals
// the stored one is left as stored (its records are not added again), any
// other stored filing it brings is replaced. Every replaced filing of one
// import is removed in a single pass over the records, which compacts them
// and remaps every index without sorting: an import costs O(stored +
// brought log brought), never a pass per filing. Records without a filing
// id remember their import; a forced import of the same fingerprint
// removes them, unless it brings exactly the same ones (the same
// FilingDigest over them, in order), which it leaves as stored.
//
// Versions. A version is a time part and a history part:
//
//	v = max((prev >> 24) + 1, AsOf.UnixMicro() >> 24) << 24 | chain & (1<<24 - 1)
//
// The time part counts units of 2^24 microseconds (about 16.8 s) since
// 1970: the unit of the import's ImportInfo.AsOf (the time of the import
// when zero), or one more than the previous version's when that is not
// larger, so versions strictly increase whatever the AsOf. The history
// part is the low 24 bits of chain, a SHA-256 chained over every import
// that changed the data: the previous chain, the fingerprint, Force, the
// AsOf used, the ImportResult's counts and the content brought (each
// filing's id, record count and quant.FilingDigest in order, and the
// digest of the records without a filing id). Two stores that import the
// same files with the same AsOf and Force in the same order, with the same
// outcomes, hold the same versions (so instances can share cache keys);
// two stores whose histories differ (import A then B, or B alone, both
// ending at B's AsOf) hold different versions but with probability 2^-24
// when they fall in the same time unit, and never share one otherwise.
// Versions stay below 2^53 until the year 2255 (an import whose AsOf does
// not move past the previous unit advances the time part by one unit).
//
// Memory. Records sit in fixed-size chunks (no copy of every record when
// the store grows), the strings of one import are interned, and the
// indexes hold 4-byte positions: one listing of every record ordered
// (transaction date desc, ID desc), one per politician and one per ticker,
// each in that order, so a page of a listing costs the records it returns
// plus those its filters skip.
package inmem

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quantops/quant/internal/quant"
)

var _ quant.Store = (*Store)(nil)

// chunk is how many records a chunk of storage, or of staging, holds;
// Import checks its context once per chunk staged.
const chunk = 1024

// Store is an in-memory quant.Store, safe for concurrent use.
type Store struct {
	mu         sync.RWMutex
	recs       [][]stored                        // guarded by mu; chunks of `chunk` records, the first n stored, in ID order
	n          int                               // guarded by mu
	all        []int32                           // guarded by mu; every position, ordered (date desc, ID desc)
	pols       map[string]*politician            // guarded by mu
	byTicker   map[string][]int32                // guarded by mu; positions of each known ticker's records, ordered like all
	filings    map[string]filing                 // guarded by mu; stored filing id -> its records' digest
	imports    map[quant.Fingerprint]*importInfo // guarded by mu
	nextImport int32                             // guarded by mu; the seq of the next new fingerprint
	nextID     int64                             // guarded by mu; the last ID assigned
	version    int64                             // guarded by mu
	chain      [sha256.Size]byte                 // guarded by mu; the history hash (see Versions in the package comment)
	dataset    *quant.Dataset                    // guarded by mu; rebuilt on every change
	tickers    []quant.TickerCount               // guarded by mu; rebuilt on every change
	// disclosures is the last Disclosures built, reused while its
	// version is the store's; built on first use (most servers never ask).
	disclosures atomic.Pointer[quant.Disclosures]
	legislators *quant.Legislators // guarded by mu; nil when none is stored
	// filers is the last Filers built, reused while its version is the
	// store's; built on first use.
	filers atomic.Pointer[quant.Filers]
}

// stored is one record and the import (importInfo.seq) that stored it.
type stored struct {
	quant.Trade
	imp int32
}

// filing is what the store keeps of a stored filing besides its records.
type filing struct {
	digest string // quant.FilingDigest of its records, in import order
	n      int
}

// importInfo is a stored fingerprint.
type importInfo struct {
	source string
	seq    int32 // stored.imp of the records it stored
	// emptyDigest and emptyN describe the records without a filing id it
	// stored (a forced import of the same fingerprint replaces them).
	emptyDigest string
	emptyN      int
}

// politician indexes one id's records and keeps its summary.
type politician struct {
	idx []int32 // positions, ordered (date desc, ID desc)
	sum quant.Politician
	// weeks and tickers count the analyzable records per week and per
	// known ticker, for the Dataset and the ticker ranking.
	weeks   map[time.Time]int
	tickers map[string]int
}

// New returns an empty Store.
func New() *Store {
	return &Store{
		pols:     map[string]*politician{},
		byTicker: map[string][]int32{},
		filings:  map[string]filing{},
		imports:  map[quant.Fingerprint]*importInfo{},
		dataset:  quant.NewDataset(0, nil),
	}
}

// at returns the record at position i.
func (s *Store) at(i int32) *stored { return &s.recs[i/chunk][i%chunk] }

// push stores t at the next position and returns it.
func (s *Store) push(t stored) int32 {
	if s.n == len(s.recs)*chunk {
		s.recs = append(s.recs, make([]stored, chunk))
	}
	s.recs[s.n/chunk][s.n%chunk] = t
	s.n++
	return int32(s.n - 1)
}

// staging holds an import's records before the store's lock is taken.
type staging struct {
	chunks [][]quant.Trade
	n      int
	// next links the records of one filing: next[i] is the position of
	// the next record of i's filing, -1 after its last (and for records
	// without a filing id).
	next    []int32
	filings []stagedFiling
	byID    map[string]int32 // filing id -> index in filings
	empty   *quant.FilingDigest
	emptyN  int
	// emptyDigest is empty's sum ("" without such records); content is
	// the SHA-256 of what was brought (every filing's id, record count
	// and digest in order, then emptyN and emptyDigest).
	emptyDigest string
	content     [sha256.Size]byte
}

type stagedFiling struct {
	id         string
	head, tail int32
	n          int
	digest     string
	add        bool // decided under the lock: its records are stored
}

func (st *staging) at(i int32) *quant.Trade { return &st.chunks[i/chunk][i%chunk] }

// stage reads records into chunks, interning their strings and linking
// each filing's records, then hashes every filing.
func stage(ctx context.Context, records iter.Seq2[quant.Trade, error]) (*staging, error) {
	st := &staging{byID: map[string]int32{}, empty: quant.NewFilingDigest()}
	in := interner{}
	for tr, err := range records {
		if err != nil {
			return nil, err
		}
		if st.n%chunk == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			st.chunks = append(st.chunks, make([]quant.Trade, 0, chunk))
		}
		in.trade(&tr)
		tr.ID = 0
		last := &st.chunks[len(st.chunks)-1]
		*last = append(*last, tr)
		pos := int32(st.n)
		st.n++
		if st.n > math.MaxInt32 {
			return nil, fmt.Errorf("more than %d records in one import", math.MaxInt32)
		}
		st.next = append(st.next, -1)
		if tr.FilingID == "" {
			st.empty.Add(&tr)
			st.emptyN++
			continue
		}
		fi, ok := st.byID[tr.FilingID]
		if !ok {
			fi = int32(len(st.filings))
			st.byID[tr.FilingID] = fi
			st.filings = append(st.filings, stagedFiling{id: tr.FilingID, head: pos, tail: pos})
		} else {
			st.next[st.filings[fi].tail] = pos
			st.filings[fi].tail = pos
		}
		st.filings[fi].n++
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for k := range st.filings {
		f := &st.filings[k]
		if k%chunk == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		d := quant.NewFilingDigest()
		for i := f.head; i >= 0; i = st.next[i] {
			d.Add(st.at(i))
		}
		f.digest = d.Sum()
	}
	st.next = nil // no longer needed; free it before the records are stored
	if st.emptyN > 0 {
		st.emptyDigest = st.empty.Sum()
	}
	h := sha256.New()
	var b []byte
	for k := range st.filings {
		f := &st.filings[k]
		b = appendString(b[:0], f.id)
		b = binary.BigEndian.AppendUint64(b, uint64(f.n))
		b = appendString(b, f.digest)
		h.Write(b)
	}
	b = binary.BigEndian.AppendUint64(b[:0], uint64(st.emptyN))
	b = appendString(b, st.emptyDigest)
	h.Write(b)
	h.Sum(st.content[:0])
	return st, nil
}

// appendString appends s to b, prefixed with its length, so that the
// fields hashed one after the other cannot run into each other.
func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// versionBits is the width of a version's history part (see Versions in
// the package comment).
const versionBits = 24

// nextVersion returns the version after prev for an import as of asOf
// whose history hash is chain.
func nextVersion(prev int64, asOf time.Time, chain [sha256.Size]byte) int64 {
	unit := max(prev>>versionBits+1, asOf.UnixMicro()>>versionBits)
	return unit<<versionBits | int64(binary.BigEndian.Uint64(chain[:8])&(1<<versionBits-1))
}

// nextChain returns the history hash after chain for an import that
// changed the data.
func nextChain(chain [sha256.Size]byte, info quant.ImportInfo, asOf time.Time, res quant.ImportResult, st *staging) [sha256.Size]byte {
	b := append([]byte(nil), chain[:]...)
	b = append(b, st.content[:]...)
	b = appendString(b, string(info.Fingerprint))
	force := byte(0)
	if info.Force {
		force = 1
	}
	b = append(b, force)
	b = binary.BigEndian.AppendUint64(b, uint64(asOf.UnixMicro()))
	for _, n := range []int{res.Records, res.Replaced, res.Unchanged, res.Filings, res.FilingsAdded, res.FilingsReplaced, res.FilingsUnchanged} {
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return sha256.Sum256(b)
}

// Import implements quant.Store.
func (s *Store) Import(ctx context.Context, info quant.ImportInfo, records iter.Seq2[quant.Trade, error]) (quant.ImportResult, error) {
	fail := func(err error) (quant.ImportResult, error) {
		return quant.ImportResult{}, fmt.Errorf("inmem: import %s: %w", info.Source, err)
	}
	if !info.Force && s.imported(info.Fingerprint) {
		return fail(quant.ErrAlreadyImported)
	}
	st, err := stage(ctx, records)
	if err != nil {
		return fail(err)
	}
	asOf := info.AsOf
	if asOf.IsZero() {
		asOf = time.Now()
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	prev, dup := s.imports[info.Fingerprint]
	if dup && !info.Force {
		return fail(quant.ErrAlreadyImported)
	}

	// Decide, filing by filing, what changes.
	res := quant.ImportResult{Records: st.n, Filings: len(st.filings)}
	replace := map[string]bool{}
	added := 0
	for k := range st.filings {
		f := &st.filings[k]
		old, ok := s.filings[f.id]
		switch {
		case !ok:
			f.add = true
			res.FilingsAdded++
		case old.digest == f.digest:
			res.FilingsUnchanged++
			res.Unchanged += f.n
		default:
			f.add = true
			replace[f.id] = true
			res.FilingsReplaced++
		}
		if f.add {
			added += f.n
		}
	}
	emptyDigest := st.emptyDigest
	addEmpty, dropImp := true, int32(-1)
	if dup {
		if prev.emptyDigest == emptyDigest {
			// The records without a filing id the fingerprint stored
			// come again as they are: keep them.
			addEmpty = false
			res.Unchanged += st.emptyN
		} else if prev.emptyN > 0 {
			dropImp = prev.seq
		}
	}
	if addEmpty {
		added += st.emptyN
	}

	if added == 0 && len(replace) == 0 && dropImp < 0 {
		// Nothing stored, nothing replaced: the data did not change, so
		// neither does the version (every cache keyed by it stays
		// valid). A file with records is recorded as imported (they are
		// all stored); an empty one is not, so its records can come later.
		if st.n > 0 && !dup {
			s.imports[info.Fingerprint] = &importInfo{source: info.Source, seq: s.newImport()}
		}
		res.DatasetVersion = s.version
		return res, nil
	}

	seq := int32(0)
	if dup {
		seq = prev.seq
	} else {
		seq = s.newImport()
	}
	touched := map[string]bool{}
	if len(replace) > 0 || dropImp >= 0 {
		res.Replaced = s.remove(replace, dropImp, touched)
	}
	fresh := make([]int32, 0, added)
	for c := range st.chunks {
		for i := range st.chunks[c] {
			tr := &st.chunks[c][i]
			if tr.FilingID == "" && !addEmpty || tr.FilingID != "" && !st.filings[st.byID[tr.FilingID]].add {
				continue
			}
			s.nextID++
			tr.ID = s.nextID
			fresh = append(fresh, s.push(stored{Trade: *tr, imp: seq}))
			touched[tr.PoliticianID] = true
		}
		st.chunks[c] = nil // stored: let the staged copy go
	}
	for _, f := range st.filings {
		if f.add {
			s.filings[f.id] = filing{digest: f.digest, n: f.n}
		}
	}
	s.imports[info.Fingerprint] = &importInfo{source: info.Source, seq: seq, emptyDigest: emptyDigest, emptyN: st.emptyN}
	s.index(fresh)
	for id := range touched {
		s.refresh(id)
	}
	res.Changed = true
	s.chain = nextChain(s.chain, info, asOf, res, st)
	s.version = nextVersion(s.version, asOf, s.chain)
	s.rebuildViews()
	res.DatasetVersion = s.version
	return res, nil
}

func (s *Store) newImport() int32 {
	seq := s.nextImport
	s.nextImport++
	return seq
}

func (s *Store) imported(fp quant.Fingerprint) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.imports[fp]
	return ok
}

// remove drops, in one pass, every record of the filings in replace and
// the records without a filing id of import dropImp; it compacts the
// records in place, remaps every index and adds the politicians it
// touched to touched. It returns how many records it dropped.
func (s *Store) remove(replace map[string]bool, dropImp int32, touched map[string]bool) int {
	remap := make([]int32, s.n)
	w := int32(0)
	for r := int32(0); r < int32(s.n); r++ {
		t := s.at(r)
		if t.FilingID != "" && replace[t.FilingID] || t.FilingID == "" && t.imp == dropImp {
			remap[r] = -1
			touched[t.PoliticianID] = true
			continue
		}
		remap[r] = w
		if w != r {
			*s.at(w) = *t
		}
		w++
	}
	dropped := s.n - int(w)
	for r := w; r < int32(s.n); r++ {
		*s.at(r) = stored{} // let the strings go
	}
	s.n = int(w)
	keep := (s.n + chunk - 1) / chunk
	clear(s.recs[keep:])
	s.recs = s.recs[:keep]
	for id := range replace {
		delete(s.filings, id)
	}

	filter := func(idx []int32) []int32 {
		out := idx[:0]
		for _, i := range idx {
			if j := remap[i]; j >= 0 {
				out = append(out, j)
			}
		}
		return out
	}
	s.all = filter(s.all)
	for _, p := range s.pols {
		p.idx = filter(p.idx)
	}
	for t, idx := range s.byTicker {
		if idx = filter(idx); len(idx) == 0 {
			delete(s.byTicker, t)
		} else {
			s.byTicker[t] = idx
		}
	}
	return dropped
}

// newer orders positions in a listing: later date first, then larger ID.
func (s *Store) newer(a, b int32) int {
	x, y := s.at(a), s.at(b)
	return cmp.Or(y.TransactionDate.Compare(x.TransactionDate), cmp.Compare(y.ID, x.ID))
}

// index adds the new positions fresh to every index: sorted once, then
// merged into each listing they belong to.
func (s *Store) index(fresh []int32) {
	if len(fresh) == 0 {
		return
	}
	// Sort on keys read once: a comparison reading two records through
	// their chunks costs as much as the rest of the import.
	type key struct {
		date int64 // microseconds
		id   int64
		pos  int32
	}
	keys := make([]key, len(fresh))
	for k, i := range fresh {
		t := s.at(i)
		keys[k] = key{t.TransactionDate.UnixMicro(), t.ID, i}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(b.date, a.date), cmp.Compare(b.id, a.id)) })
	for k := range keys {
		fresh[k] = keys[k].pos
	}
	s.all = s.merge(s.all, fresh)
	byPol := map[string][]int32{}
	byTicker := map[string][]int32{}
	for _, i := range fresh {
		t := s.at(i)
		byPol[t.PoliticianID] = append(byPol[t.PoliticianID], i)
		if t.Ticker != "" {
			byTicker[t.Ticker] = append(byTicker[t.Ticker], i)
		}
	}
	for id, add := range byPol {
		p := s.pols[id]
		if p == nil {
			p = &politician{weeks: map[time.Time]int{}, tickers: map[string]int{}}
			s.pols[id] = p
		}
		p.idx = s.merge(p.idx, add)
	}
	for t, add := range byTicker {
		s.byTicker[t] = s.merge(s.byTicker[t], add)
	}
}

// merge merges the ordered positions add into the ordered a, in place
// from the end (a grows once).
func (s *Store) merge(a, add []int32) []int32 {
	n := len(a)
	a = slices.Grow(a, len(add))[:n+len(add)]
	i, j := n-1, len(add)-1
	for k := len(a) - 1; j >= 0; k-- {
		if i >= 0 && s.newer(a[i], add[j]) > 0 {
			a[k] = a[i]
			i--
		} else {
			a[k] = add[j]
			j--
		}
	}
	return a
}

// refresh recomputes politician id's summary from its records, or
// forgets it when none is left.
func (s *Store) refresh(id string) {
	p := s.pols[id]
	if p == nil {
		return
	}
	if len(p.idx) == 0 {
		delete(s.pols, id)
		return
	}
	clear(p.weeks)
	clear(p.tickers)
	names := map[string]bool{}
	chambers := map[quant.Chamber]bool{}
	bioguides := map[string]bool{}
	sum := quant.Politician{ID: id, TradeCount: len(p.idx)}
	for k, i := range p.idx {
		t := &s.at(i).Trade
		names[t.PoliticianName] = true
		if k == 0 {
			sum.LastTrade = t.TransactionDate
		}
		sum.FirstTrade = t.TransactionDate // the index ends with the earliest
		if t.Analyzable() {
			sum.AnalyzableCount++
			chambers[t.Chamber] = true
			p.weeks[quant.Week(t.TransactionDate)]++
			if t.Ticker != "" {
				p.tickers[t.Ticker]++
			}
		}
		if t.District.Valid && !sum.District.Valid { // the first is the latest
			sum.State, sum.District = t.State, t.District
		}
		if t.Disclosed() {
			if sum.FirstDisclosure.IsZero() || t.DisclosureDate.Before(sum.FirstDisclosure) {
				sum.FirstDisclosure = t.DisclosureDate
			}
			if t.DisclosureDate.After(sum.LastDisclosure) {
				sum.LastDisclosure = t.DisclosureDate
			}
		}
		if t.Bioguide != "" {
			bioguides[t.Bioguide] = true
		}
	}
	delete(chambers, "")
	sum.Names = slices.Sorted(maps.Keys(names))
	sum.Chambers = slices.Sorted(maps.Keys(chambers))
	sum.Bioguides = slices.Sorted(maps.Keys(bioguides))
	p.sum = sum
}

// interner makes repeated field values share one copy.
type interner map[string]string

func (in interner) trade(t *quant.Trade) {
	for _, f := range []*string{&t.PoliticianID, &t.PoliticianName, &t.Ticker, &t.Owner, &t.AssetType, &t.AssetDescription, &t.Comment, &t.PTRLink, &t.SourceURL, &t.FilingID, &t.State, &t.Bioguide} {
		if *f == "" {
			continue
		}
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
		if p.sum.AnalyzableCount == 0 {
			continue
		}
		act := quant.Activity{ID: id, Analyzable: p.sum.AnalyzableCount, Tickers: slices.Sorted(maps.Keys(p.tickers))}
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

// summary returns p's summary with its own slices.
func summary(p *politician) quant.Politician {
	sum := p.sum
	sum.Names = slices.Clone(sum.Names)
	sum.Chambers = slices.Clone(sum.Chambers)
	sum.Bioguides = slices.Clone(sum.Bioguides)
	return sum
}

// Politicians implements quant.Store.
func (s *Store) Politicians(ctx context.Context, q quant.PoliticianQuery) ([]quant.Politician, int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var all []*politician
	if q.IDs != nil {
		all = make([]*politician, 0, len(q.IDs))
		seen := make(map[string]bool, len(q.IDs))
		for _, id := range q.IDs {
			if p, ok := s.pols[id]; ok && !seen[id] {
				seen[id] = true
				all = append(all, p)
			}
		}
	} else {
		all = make([]*politician, 0, len(s.pols))
		for _, p := range s.pols {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b *politician) int {
		switch q.Sort {
		case quant.SortName:
		case quant.SortLastTrade:
			if c := b.sum.LastTrade.Compare(a.sum.LastTrade); c != 0 {
				return c
			}
		default:
			if c := cmp.Compare(b.sum.TradeCount, a.sum.TradeCount); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.sum.ID, b.sum.ID)
	})
	total := len(all)
	page := all[min(max(q.Offset, 0), total):]
	if q.Limit > 0 && len(page) > q.Limit {
		page = page[:q.Limit]
	}
	out := make([]quant.Politician, len(page))
	for i, p := range page {
		out[i] = summary(p)
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
	return summary(p), nil
}

// Trades implements quant.Store. It walks the narrowest ordered listing
// (the politician's, else the ticker's, else everyone's) from the later of
// the cursor and the To bound, and stops at the From bound: a page costs
// the records it returns plus those the other filters skip.
func (s *Store) Trades(ctx context.Context, q quant.TradeQuery) (quant.TradePage, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var idx []int32
	var only map[string]bool // PoliticianIDs as a set, when idx holds others' records too
	switch {
	case q.PoliticianID != "":
		p, ok := s.pols[q.PoliticianID]
		if !ok {
			return quant.TradePage{}, fmt.Errorf("inmem: trades: %w", &quant.NotFoundError{What: "politician", ID: q.PoliticianID})
		}
		idx = p.idx
		if q.PoliticianIDs != nil && !slices.Contains(q.PoliticianIDs, q.PoliticianID) {
			return quant.TradePage{}, nil
		}
	case q.PoliticianIDs != nil:
		idx, only = s.listingOf(q.PoliticianIDs)
	case q.Ticker != "":
		idx = s.byTicker[q.Ticker]
	default:
		idx = s.all
	}
	start := 0
	if q.After != nil {
		cur := q.After
		start = sort.Search(len(idx), func(i int) bool {
			t := s.at(idx[i])
			c := t.TransactionDate.Compare(cur.Date)
			return c < 0 || c == 0 && t.ID < cur.ID
		})
	}
	if !q.To.IsZero() {
		start = max(start, sort.Search(len(idx), func(i int) bool { return !s.at(idx[i]).TransactionDate.After(q.To) }))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = len(idx)
	}
	var page quant.TradePage
	for _, i := range idx[start:] {
		t := &s.at(i).Trade
		if !q.From.IsZero() && t.TransactionDate.Before(q.From) {
			break
		}
		if only != nil && !only[t.PoliticianID] || !matches(t, &q) {
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

// listingOf returns the ordered listing to walk for the trades of ids:
// their own listings merged when they hold few of the records, else every
// record with the set of ids to filter it by (a page then costs the
// records the filter skips, at most about four per record kept).
func (s *Store) listingOf(ids []string) ([]int32, map[string]bool) {
	set := make(map[string]bool, len(ids))
	n := 0
	for _, id := range ids {
		if p, ok := s.pols[id]; ok && !set[id] {
			n += len(p.idx)
		}
		set[id] = true
	}
	if n > len(s.all)/4 {
		return s.all, set
	}
	idx := make([]int32, 0, n)
	for id := range set {
		if p, ok := s.pols[id]; ok {
			idx = s.merge(idx, p.idx)
		}
	}
	return idx, nil
}

// matches reports whether t passes q's filters other than the politician
// and the transaction date bounds.
func matches(t *quant.Trade, q *quant.TradeQuery) bool {
	switch {
	case q.Ticker != "" && t.Ticker != q.Ticker,
		q.Type != "" && t.Type != q.Type,
		q.Chamber != "" && t.Chamber != q.Chamber,
		q.Owner != "" && t.OwnerKind != q.Owner,
		q.MinAmount > 0 && (!t.AmountMin.Valid || t.AmountMin.V < q.MinAmount):
		return false
	}
	if !q.DisclosedFrom.IsZero() || !q.DisclosedTo.IsZero() {
		if !t.Disclosed() ||
			!q.DisclosedFrom.IsZero() && t.DisclosureDate.Before(q.DisclosedFrom) ||
			!q.DisclosedTo.IsZero() && t.DisclosureDate.After(q.DisclosedTo) {
			return false
		}
	}
	return true
}

// Ticker implements quant.Store, from the ticker's listing: it costs the
// ticker's records.
func (s *Store) Ticker(ctx context.Context, ticker string) (quant.TickerDetail, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx := s.byTicker[ticker]
	if len(idx) == 0 {
		return quant.TickerDetail{}, fmt.Errorf("inmem: %w", &quant.NotFoundError{What: "ticker", ID: ticker})
	}
	d := quant.TickerDetail{Ticker: ticker, Trades: len(idx)}
	by := map[string]*quant.TickerTrader{}
	for k, i := range idx {
		t := &s.at(i).Trade
		if k == 0 {
			d.Last = t.TransactionDate
		}
		d.First = t.TransactionDate // the listing ends with the earliest
		if t.Analyzable() {
			d.Analyzable++
		}
		tt := by[t.PoliticianID]
		if tt == nil {
			tt = &quant.TickerTrader{ID: t.PoliticianID, Last: t.TransactionDate}
			by[t.PoliticianID] = tt
		}
		tt.Trades++
		tt.First = t.TransactionDate
		switch t.Type {
		case quant.TypePurchase:
			tt.Purchases++
		case quant.TypeSale, quant.TypeSaleFull, quant.TypeSalePartial:
			tt.Sales++
		}
		if t.AmountMin.Valid {
			tt.AmountMin += t.AmountMin.V
		}
		if t.AmountMax.Valid {
			tt.AmountMax += t.AmountMax.V
		}
	}
	d.Politicians = make([]quant.TickerTrader, 0, len(by))
	for _, tt := range by {
		d.Politicians = append(d.Politicians, *tt)
	}
	slices.SortFunc(d.Politicians, func(a, b quant.TickerTrader) int {
		return cmp.Or(cmp.Compare(b.Trades, a.Trades), cmp.Compare(a.ID, b.ID))
	})
	return d, nil
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

// Disclosures implements quant.Store: built from the records on the first
// call after a change, then shared until the next one. The Disclosures is
// shared and must not be modified.
func (s *Store) Disclosures(ctx context.Context) (*quant.Disclosures, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.disclosures.Load(); d != nil && d.Version == s.version {
		return d, nil
	}
	// One pass over the records in position order, which is ID order, so
	// every politician's records come out sorted by ID without a sort;
	// each politician's slice is sized from its analyzable count.
	ids := slices.Sorted(maps.Keys(s.pols))
	d := &quant.Disclosures{Version: s.version, Politicians: make([]quant.PoliticianDisclosures, 0, len(ids))}
	at := make(map[string]*quant.PoliticianDisclosures, len(ids))
	for _, id := range ids {
		if n := s.pols[id].sum.AnalyzableCount; n > 0 {
			d.Politicians = append(d.Politicians, quant.PoliticianDisclosures{ID: id, Records: make([]quant.Disclosure, 0, n)})
		}
	}
	for i := range d.Politicians {
		at[d.Politicians[i].ID] = &d.Politicians[i]
	}
	for i := 0; i < s.n; i++ {
		t := &s.at(int32(i)).Trade
		if !t.Analyzable() {
			continue
		}
		p := at[t.PoliticianID]
		p.Records = append(p.Records, quant.Disclosure{
			ID: t.ID, TransactionDate: t.TransactionDate, DisclosureDate: t.DisclosureDate,
			Ticker: t.Ticker, Type: t.Type, FilingID: t.FilingID, Chamber: t.Chamber, Place: t.Place,
		})
	}
	// Readers hold the read lock, so no import moved the version since it
	// was read: d is current. A concurrent builder may store an equal one.
	s.disclosures.Store(d)
	return d, nil
}

// SetLegislators implements quant.Store. A change moves the version as
// an import does: the time part by one unit (a table has no AsOf, so
// stores that load the same files and tables in the same order agree),
// the history hash chained over the table's digest.
func (s *Store) SetLegislators(ctx context.Context, t *quant.Legislators) (bool, int64, error) {
	if err := ctx.Err(); err != nil {
		return false, 0, fmt.Errorf("inmem: set legislators: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	digest := func(t *quant.Legislators) string {
		if t == nil {
			return ""
		}
		return "table " + t.Digest
	}
	if digest(t) == digest(s.legislators) {
		return false, s.version, nil
	}
	s.legislators = t
	b := append(s.chain[:0:0], s.chain[:]...)
	b = appendString(b, digest(t))
	s.chain = sha256.Sum256(b)
	s.version = nextVersion(s.version, time.Time{}, s.chain)
	// The records did not change, but every view carries the version.
	ds := *s.dataset
	ds.Version = s.version
	s.dataset = &ds
	return true, s.version, nil
}

// Filers implements quant.Store: built from the records on the first call
// after a change, then shared until the next one; it must not be
// modified.
func (s *Store) Filers(ctx context.Context) (*quant.Filers, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f := s.filers.Load(); f != nil && f.Version == s.version {
		return f, nil
	}
	f := quant.NewFilers(s.version, s.legislators, func(yield func(*quant.Trade) bool) {
		for i := 0; i < s.n; i++ {
			if !yield(&s.at(int32(i)).Trade) {
				return
			}
		}
	})
	// As in Disclosures: the read lock keeps the version where it was read.
	s.filers.Store(f)
	return f, nil
}

// DatasetVersion implements quant.Store: it moves with every import that
// changes the data, as the package comment's Versions says.
func (s *Store) DatasetVersion(ctx context.Context) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.version, nil
}

// Ping implements quant.Store; memory is always there.
func (s *Store) Ping(ctx context.Context) error { return nil }

// Stats implements quant.Store.
func (s *Store) Stats() quant.StoreStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return quant.StoreStats{Backend: "memory", Trades: int64(s.n)}
}

// Close implements quant.Store; it does nothing.
func (s *Store) Close() {}
