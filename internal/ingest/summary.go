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

// MaxListedRejects bounds Summary.Rejects; every reject is still counted in
// RejectsByReason and passed to the caller's onReject as it happens.
const MaxListedRejects = 10000

// Summary describes one parsed file: what was read, stored and rejected, and
// the figures of ANALYTICS.md section 2 over its accepted records. Its JSON
// form uses the field names of testdata/analytics' import.json.
type Summary struct {
	Source          string         `json:"source"`
	ImportDay       string         `json:"import_day"`
	RowsRead        int            `json:"rows_read"`
	Records         int            `json:"records"`
	Rejected        int            `json:"rejected"`
	RejectsByReason map[Reason]int `json:"rejects_by_reason"`
	// Rejects lists the first MaxListedRejects rejects in file order;
	// RejectsTruncated is set when there were more.
	Rejects          []Reject `json:"rejects"`
	RejectsTruncated bool     `json:"rejects_truncated,omitempty"`

	Politicians               int                 `json:"politicians"`
	PoliticiansWithAnalyzable int                 `json:"politicians_with_analyzable"`
	AnalyzableRecords         int                 `json:"analyzable_records"`
	UnknownTypeRecords        int                 `json:"unknown_type_records"`
	T                         int                 `json:"T"`
	AxisStart                 *string             `json:"axis_start"`
	AxisEnd                   *string             `json:"axis_end"`
	PerPolitician             []PoliticianSummary `json:"per_politician"`

	per map[string]*politicianAcc // guarded by nothing: a Summary is built by one goroutine
}

// PoliticianSummary is one politician's figures within a file.
type PoliticianSummary struct {
	ID              string   `json:"id"`
	Names           []string `json:"names"`
	Records         int      `json:"records"`
	Analyzable      int      `json:"analyzable"`
	FirstActiveWeek *string  `json:"first_active_week"`
	LastActiveWeek  *string  `json:"last_active_week"`
	NActive         int      `json:"n_active"` // weeks from the first to the last active week
	N               int      `json:"n"`        // length of y_p: first active week to the end of the axis
	Eligible        bool     `json:"eligible"`
}

type politicianAcc struct {
	names      map[string]bool
	records    int
	analyzable int
	weeks      map[time.Time]bool
}

// NewSummary returns an empty Summary for source on the given import day.
func NewSummary(source string, importDay time.Time) *Summary {
	return &Summary{
		Source:          source,
		ImportDay:       importDay.UTC().Format(time.DateOnly),
		RejectsByReason: map[Reason]int{},
		Rejects:         []Reject{},
		per:             map[string]*politicianAcc{},
	}
}

// AddReject counts a rejected record.
func (s *Summary) AddReject(r Reject) {
	s.RowsRead++
	s.Rejected++
	s.RejectsByReason[r.Reason]++
	if len(s.Rejects) < MaxListedRejects {
		s.Rejects = append(s.Rejects, r)
	} else {
		s.RejectsTruncated = true
	}
}

// Add counts an accepted record.
func (s *Summary) Add(t *quant.Trade) {
	s.RowsRead++
	s.Records++
	a := s.per[t.PoliticianID]
	if a == nil {
		a = &politicianAcc{names: map[string]bool{}, weeks: map[time.Time]bool{}}
		s.per[t.PoliticianID] = a
	}
	a.names[t.PoliticianName] = true
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
	s.PerPolitician = make([]PoliticianSummary, 0, len(s.per))
	for _, id := range slices.Sorted(maps.Keys(s.per)) {
		a := s.per[id]
		ps := PoliticianSummary{
			ID: id, Names: slices.Sorted(maps.Keys(a.names)),
			Records: a.records, Analyzable: a.analyzable,
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
