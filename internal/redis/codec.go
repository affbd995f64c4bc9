package redis

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// The envelope: magic 'Q', format version, then the fields in order:
//
//	uvarint len + Analysis
//	uvarint len + Key
//	varint DatasetVersion
//	varint ComputedAt (Unix ns; 0 for the zero time)
//	varint ComputeTime (ns)
//	varint FreshUntil, varint StaleUntil (Unix ns)
//	varint Result.RevalidateUntil (Unix ns; 0 for the zero time)
//	uvarint len + Body
//
// A change of layout takes a new formatVersion; entries of another version
// read as misses and are overwritten by the next Set. (Version 2 added
// RevalidateUntil, which the HTTP layer's Cache-Control tells.)
const (
	magic         = 'Q'
	formatVersion = 2
)

var (
	errFormat  = errors.New("redis: entry of another format version")
	errCorrupt = errors.New("redis: corrupt entry")
)

// encode returns e's envelope.
func encode(e *quant.CacheEntry) []byte {
	r := e.Result
	b := make([]byte, 0, 2+len(r.Analysis)+len(r.Key)+len(r.Body)+9*binary.MaxVarintLen64)
	b = append(b, magic, formatVersion)
	b = binary.AppendUvarint(b, uint64(len(r.Analysis)))
	b = append(b, r.Analysis...)
	b = binary.AppendUvarint(b, uint64(len(r.Key)))
	b = append(b, r.Key...)
	b = binary.AppendVarint(b, r.DatasetVersion)
	b = binary.AppendVarint(b, unixNano(r.ComputedAt))
	b = binary.AppendVarint(b, int64(r.ComputeTime))
	b = binary.AppendVarint(b, unixNano(e.FreshUntil))
	b = binary.AppendVarint(b, unixNano(e.StaleUntil))
	b = binary.AppendVarint(b, unixNano(r.RevalidateUntil))
	b = binary.AppendUvarint(b, uint64(len(r.Body)))
	b = append(b, r.Body...)
	return b
}

// decode parses an envelope; errFormat for another version, errCorrupt for
// anything malformed.
func decode(b []byte) (*quant.CacheEntry, error) {
	if len(b) < 2 || b[0] != magic {
		return nil, errCorrupt
	}
	if b[1] != formatVersion {
		return nil, errFormat
	}
	d := decoder{b: b[2:]}
	r := &quant.Result{}
	r.Analysis = quant.Analysis(d.bytes())
	r.Key = string(d.bytes())
	r.DatasetVersion = d.varint()
	r.ComputedAt = fromUnixNano(d.varint())
	r.ComputeTime = time.Duration(d.varint())
	e := &quant.CacheEntry{Result: r}
	e.FreshUntil = fromUnixNano(d.varint())
	e.StaleUntil = fromUnixNano(d.varint())
	r.RevalidateUntil = fromUnixNano(d.varint())
	r.Body = d.bytes()
	if d.bad || len(d.b) != 0 {
		return nil, errCorrupt
	}
	return e, nil
}

type decoder struct {
	b   []byte
	bad bool // set by the first malformed field; later reads return zeros
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	l, n := binary.Uvarint(d.b)
	if n <= 0 || l > uint64(len(d.b)-n) {
		d.bad = true
		d.b = nil
		return nil
	}
	v := d.b[n : n+int(l) : n+int(l)]
	d.b = d.b[n+int(l):]
	if l == 0 {
		return nil
	}
	return v
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}
