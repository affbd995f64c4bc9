package quant

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"sync"
	"time"
)

// FilingDigest hashes the records of one filing, in the order they are
// added, so that a store can tell a filing brought again with exactly the
// records it holds (the same content in the same order) from a changed
// one. Every field of a Trade but its ID counts, Place and Format
// included. The zero value is not usable; call NewFilingDigest.
//
// It is a chain, sum_k = SHA-256(sum_{k-1} || len || record_k), so a
// digest holds 32 bytes and a count, not a hash state and a buffer: an
// import keeps one open per filing (a million records in 250,000
// filings), and the hashers and buffers are pooled.
type FilingDigest struct {
	sum [sha256.Size]byte
	n   int // records added
}

// digestWork is what Add borrows: a hasher and an encoding buffer.
type digestWork struct {
	h   hash.Hash
	buf []byte
}

var digestPool = sync.Pool{New: func() any { return &digestWork{h: sha256.New(), buf: make([]byte, 0, 512)} }}

// NewFilingDigest returns an empty digest.
func NewFilingDigest() *FilingDigest { return &FilingDigest{} }

// Add adds one record.
func (d *FilingDigest) Add(t *Trade) {
	w := digestPool.Get().(*digestWork)
	b := w.buf[:0]
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	num := func(v int64) { b = binary.AppendVarint(b, v) }
	date := func(t time.Time) {
		if t.IsZero() {
			num(-1 << 62)
			return
		}
		num(t.Unix() / 86400)
	}
	null := func(v int64, ok bool) {
		if !ok {
			b = append(b, 0)
			return
		}
		b = append(b, 1)
		num(v)
	}
	num(int64(t.Place.Line))
	num(int64(t.Place.Index))
	num(int64(t.Place.Transaction))
	str(string(t.Format))
	str(t.PoliticianID)
	str(t.PoliticianName)
	date(t.TransactionDate)
	str(t.Ticker)
	str(string(t.Type))
	null(t.AmountMin.V, t.AmountMin.Valid)
	null(t.AmountMax.V, t.AmountMax.Valid)
	if t.AmountExact {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	str(t.Owner)
	str(string(t.OwnerKind))
	str(t.AssetType)
	str(t.AssetDescription)
	str(t.Comment)
	str(t.PTRLink)
	str(t.SourceURL)
	str(string(t.Chamber))
	date(t.DisclosureDate)
	str(t.FilingID)
	str(t.State)
	null(int64(t.District.V), t.District.Valid)
	str(t.Bioguide)
	// Each record is length-prefixed, so no two sequences of records
	// encode alike.
	var pre [binary.MaxVarintLen64]byte
	w.h.Reset()
	w.h.Write(d.sum[:])
	w.h.Write(pre[:binary.PutUvarint(pre[:], uint64(len(b)))])
	w.h.Write(b)
	w.h.Sum(d.sum[:0])
	w.buf = b
	digestPool.Put(w)
	d.n++
}

// Len returns the number of records added.
func (d *FilingDigest) Len() int { return d.n }

// Sum returns the digest of the records added so far, as hex.
func (d *FilingDigest) Sum() string { return hex.EncodeToString(d.sum[:]) }
