package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/quantops/quant/internal/quant"
)

// MaxListedRejects bounds Summary.Rejects and MaxListedNotes
// Summary.Notes; every reject and note is still counted (RejectsByReason,
// NotesByKind) and passed to the other sinks as it happens.
const (
	MaxListedRejects = 10000
	MaxListedNotes   = 10000
)

// Summary describes one parsed file: what was read, stored, rejected and
// noted, and the figures of ANALYTICS.md section 2 over its accepted
// records. It is a Sink: pass it to Parser.Records, call Add for each
// record stored, then Finish. Its JSON form uses the field names of the
// import.json test vectors (testdata/formats).
type Summary struct {
	Source    string `json:"source"`
	ImportDay string `json:"import_day"`
	// Sources describes the file: its content, its element count and the
	// elements by format.
	Sources []SourceSummary `json:"sources"`
	// Filings counts the Senate filings whose transactions is an array
	// (empty ones included); EmptyFilings those with no transaction.
	Filings      int `json:"filings"`
	EmptyFilings int `json:"empty_filings"`

	Records          int                   `json:"records"`
	RecordsByChamber map[quant.Chamber]int `json:"records_by_chamber"`
	Rejected         int                   `json:"rejected"`
	RejectsByReason  map[Reason]int        `json:"rejects_by_reason"`
	// Rejects lists the first MaxListedRejects rejects in source order;
	// RejectsTruncated is set when there were more.
	Rejects          []Reject         `json:"rejects"`
	RejectsTruncated bool             `json:"rejects_truncated,omitempty"`
	NotesByKind      map[NoteKind]int `json:"notes_by_kind"`
	// Notes lists the first MaxListedNotes notes in source order;
	// NotesTruncated is set when there were more.
	Notes          []Note `json:"notes"`
	NotesTruncated bool   `json:"notes_truncated,omitempty"`

	Politicians               int                 `json:"politicians"`
	PoliticiansWithAnalyzable int                 `json:"politicians_with_analyzable"`
	AnalyzableRecords         int                 `json:"analyzable_records"`
	UnknownTypeRecords        int                 `json:"unknown_type_records"`
	RecordsWithDisclosureDate int                 `json:"records_with_disclosure_date"`
	T                         int                 `json:"T"`
	AxisStart                 *string             `json:"axis_start"`
	AxisEnd                   *string             `json:"axis_end"`
	PerPolitician             []PoliticianSummary `json:"per_politician"`

	// RowsRead counts the records read: Records + Rejected, where a filing
	// rejected whole counts once. Not part of the JSON form (see Sources
	// for the file's elements).
	RowsRead int `json:"-"`

	per map[string]*politicianAcc // a Summary is built by one goroutine
}

// SourceSummary describes one file of an import.
type SourceSummary struct {
	File     string              `json:"file"`
	Content  Format              `json:"content"`  // FormatJSON or FormatCSV
	Elements int                 `json:"elements"` // JSON array elements or CSV data rows
	ByFormat map[ElementKind]int `json:"by_format"`
}

// PoliticianSummary is one politician's figures within a file.
type PoliticianSummary struct {
	ID    string   `json:"id"`
	Names []string `json:"names"` // every spelling seen, sorted bytewise
	// Chambers lists the distinct chambers of the politician's records,
	// sorted; Bioguides their distinct non-empty Bioguide ids, sorted.
	Chambers        []quant.Chamber `json:"chambers"`
	Bioguides       []string        `json:"bioguides"`
	TradeCount      int             `json:"trade_count"`
	AnalyzableCount int             `json:"analyzable_count"`
	FirstActiveWeek *string         `json:"first_active_week"`
	LastActiveWeek  *string         `json:"last_active_week"`
	// NActive counts the weeks from the first to the last active week
	// (not in the JSON form).
	NActive  int  `json:"-"`
	N        int  `json:"n"` // length of y_p: first active week to the end of the axis
	Eligible bool `json:"eligible"`
}

type politicianAcc struct {
	names      map[string]bool
	chambers   map[quant.Chamber]bool
	bioguides  map[string]bool
	records    int
	analyzable int
	weeks      map[time.Time]bool
}

// NewSummary returns an empty Summary for source on the given import day.
func NewSummary(source string, importDay time.Time) *Summary {
	return &Summary{
		Source:           source,
		ImportDay:        importDay.UTC().Format(time.DateOnly),
		Sources:          []SourceSummary{{File: source, ByFormat: map[ElementKind]int{}}},
		RecordsByChamber: map[quant.Chamber]int{},
		RejectsByReason:  map[Reason]int{},
		Rejects:          []Reject{},
		NotesByKind:      map[NoteKind]int{},
		Notes:            []Note{},
		per:              map[string]*politicianAcc{},
	}
}

var _ Sink = (*Summary)(nil)

// Content records the file's content.
func (s *Summary) Content(f Format) { s.Sources[0].Content = f }

// Element counts one top-level element of the file by its format.
func (s *Summary) Element(k ElementKind) {
	s.Sources[0].Elements++
	s.Sources[0].ByFormat[k]++
}

// Filing counts one Senate filing whose transactions is an array.
func (s *Summary) Filing(transactions int) {
	s.Filings++
	if transactions == 0 {
		s.EmptyFilings++
	}
}

// Reject counts a rejected record and lists it.
func (s *Summary) Reject(r Reject) {
	s.RowsRead++
	s.Rejected++
	s.RejectsByReason[r.Reason]++
	if len(s.Rejects) < MaxListedRejects {
		s.Rejects = append(s.Rejects, r)
	} else {
		s.RejectsTruncated = true
	}
}

// Note counts a note and lists it.
func (s *Summary) Note(n Note) {
	s.NotesByKind[n.Kind]++
	if len(s.Notes) < MaxListedNotes {
		s.Notes = append(s.Notes, n)
	} else {
		s.NotesTruncated = true
	}
}

// Add counts an accepted record.
func (s *Summary) Add(t *quant.Trade) {
	s.RowsRead++
	s.Records++
	s.RecordsByChamber[t.Chamber]++
	if t.Disclosed() {
		s.RecordsWithDisclosureDate++
	}
	a := s.per[t.PoliticianID]
	if a == nil {
		a = &politicianAcc{names: map[string]bool{}, chambers: map[quant.Chamber]bool{}, bioguides: map[string]bool{}, weeks: map[time.Time]bool{}}
		s.per[t.PoliticianID] = a
	}
	a.names[t.PoliticianName] = true
	a.chambers[t.Chamber] = true
	if t.Bioguide != "" {
		a.bioguides[t.Bioguide] = true
	}
	a.records++
	if t.Analyzable() {
		a.analyzable++
		a.weeks[quant.Week(t.TransactionDate)] = true
		s.AnalyzableRecords++
	} else {
		s.UnknownTypeRecords++
	}
}

// Finish computes the per-politician figures and the file's axis. Call it
// once, after the last Add.
func (s *Summary) Finish() {
	var first, last time.Time
	for _, a := range s.per {
		for w := range a.weeks {
			if first.IsZero() || w.Before(first) {
				first = w
			}
			if last.IsZero() || w.After(last) {
				last = w
			}
		}
	}
	axis := quant.Axis{}
	if !first.IsZero() {
		axis = quant.Axis{Start: first}
		axis.T = axis.Index(last) + 1
		s.AxisStart, s.AxisEnd = dateRef(first), dateRef(last)
	}
	s.T = axis.T
	s.Politicians = len(s.per)
	s.PoliticiansWithAnalyzable = 0
	s.PerPolitician = make([]PoliticianSummary, 0, len(s.per))
	for _, id := range slices.Sorted(maps.Keys(s.per)) {
		a := s.per[id]
		ps := PoliticianSummary{
			ID: id, Names: slices.Sorted(maps.Keys(a.names)),
			Chambers:   slices.Sorted(maps.Keys(a.chambers)),
			Bioguides:  slices.Sorted(maps.Keys(a.bioguides)),
			TradeCount: a.records, AnalyzableCount: a.analyzable,
		}
		if ps.Bioguides == nil {
			ps.Bioguides = []string{} // JSON []: none, not unknown
		}
		if len(a.weeks) > 0 {
			s.PoliticiansWithAnalyzable++
			weeks := slices.SortedFunc(maps.Keys(a.weeks), time.Time.Compare)
			ps.FirstActiveWeek, ps.LastActiveWeek = dateRef(weeks[0]), dateRef(weeks[len(weeks)-1])
			ps.N = axis.T - axis.Index(weeks[0])
			ps.NActive = axis.Index(weeks[len(weeks)-1]) - axis.Index(weeks[0]) + 1
			ps.Eligible = a.analyzable >= 10 && ps.N >= 16
		}
		s.PerPolitician = append(s.PerPolitician, ps)
	}
}

func dateRef(t time.Time) *string {
	s := t.Format(time.DateOnly)
	return &s
}

// Fingerprint returns the hex SHA-256 of r's content and its length.
func Fingerprint(r io.Reader) (quant.Fingerprint, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, fmt.Errorf("ingest: fingerprint: %w", err)
	}
	return quant.Fingerprint(hex.EncodeToString(h.Sum(nil))), n, nil
}
