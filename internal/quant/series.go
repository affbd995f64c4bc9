package quant

import "time"

// Week returns the Monday on or before d, at midnight UTC (ANALYTICS.md
// section 2: weeks start on Monday).
func Week(d time.Time) time.Time {
	d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	off := (int(d.Weekday()) + 6) % 7 // Monday 0 .. Sunday 6
	return d.AddDate(0, 0, -off)
}

// Axis is the global weekly axis: every week from the week of the earliest
// analyzable record to the week of the latest, over all politicians. "Now"
// for every analysis is its last week.
type Axis struct {
	Start time.Time // a Monday
	T     int       // number of weeks; 0 when there is no analyzable record
}

// Index returns the axis position of the week holding d (it may fall outside
// [0, T)).
func (a Axis) Index(d time.Time) int {
	return int(Week(d).Sub(a.Start) / (7 * 24 * time.Hour))
}

// At returns the Monday of axis position i.
func (a Axis) At(i int) time.Time { return a.Start.AddDate(0, 0, 7*i) }

// End returns the Monday of the last week, or the zero time for an empty axis.
func (a Axis) End() time.Time {
	if a.T == 0 {
		return time.Time{}
	}
	return a.At(a.T - 1)
}

// WeekCount is a politician's number of analyzable records in one week.
type WeekCount struct {
	Week  time.Time // a Monday
	Count int
}

// Activity is a politician's analyzable activity: what every analysis reads.
type Activity struct {
	ID         string
	Analyzable int         // analyzable records
	Weeks      []WeekCount // weeks with at least one analyzable record, ascending
	// Tickers holds the distinct known tickers of analyzable records, sorted.
	Tickers []string
}

// Dataset is every politician's activity on the global axis, as of one
// dataset version. It is immutable once built.
type Dataset struct {
	Version    int64
	Axis       Axis
	Activities []Activity // sorted by ID; only politicians with analyzable records
}

// NewDataset builds the axis over acts (which it sorts by nothing: callers
// pass them sorted by ID) and returns the Dataset.
func NewDataset(version int64, acts []Activity) *Dataset {
	var first, last time.Time
	for _, a := range acts {
		if len(a.Weeks) == 0 {
			continue
		}
		if w := a.Weeks[0].Week; first.IsZero() || w.Before(first) {
			first = w
		}
		if w := a.Weeks[len(a.Weeks)-1].Week; last.IsZero() || w.After(last) {
			last = w
		}
	}
	ds := &Dataset{Version: version, Activities: acts}
	if !first.IsZero() {
		ds.Axis = Axis{Start: first}
		ds.Axis.T = ds.Axis.Index(last) + 1
	}
	return ds
}

// Find returns the activity of id, or false when id has no analyzable record.
func (d *Dataset) Find(id string) (*Activity, bool) {
	lo, hi := 0, len(d.Activities)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.Activities[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.Activities) && d.Activities[lo].ID == id {
		return &d.Activities[lo], true
	}
	return nil, false
}

// Series fills dst with s_p over the axis (analyzable records per week) and
// returns it with first, the axis position of p's first active week. A nil
// or short dst is replaced by a new slice of length a.T.
func (act *Activity) Series(dst []float64, a Axis) (s []float64, first int) {
	if cap(dst) < a.T {
		dst = make([]float64, a.T)
	}
	dst = dst[:a.T]
	clear(dst)
	first = -1
	for _, w := range act.Weeks {
		i := a.Index(w.Week)
		if i < 0 || i >= a.T {
			continue
		}
		if first < 0 {
			first = i
		}
		dst[i] += float64(w.Count)
	}
	return dst, first
}

// Y returns y_p: s_p from p's first active week to the end of the axis
// (trailing quiet weeks count). It is empty when p has no analyzable record.
func (act *Activity) Y(a Axis) []float64 {
	s, first := act.Series(nil, a)
	if first < 0 {
		return nil
	}
	return s[first:]
}

// Disclosure is one analyzable record as the compliance analysis reads it
// (ANALYTICS.md section 11).
type Disclosure struct {
	// ID is the record's store ID: it orders records by import, then by
	// place in the source, which is how ties between equal lags and dates
	// are broken.
	ID              int64
	TransactionDate time.Time
	DisclosureDate  time.Time // zero: undated
	Ticker          string    // "" when unknown
	Type            TradeType
	FilingID        string // "" when the format gives none
	Chamber         Chamber
	Place           Place
}

// PoliticianDisclosures is one politician's analyzable records.
type PoliticianDisclosures struct {
	ID      string
	Records []Disclosure // by ID
}

// Disclosures is every politician's analyzable records, as of one dataset
// version. It is immutable once built.
type Disclosures struct {
	Version     int64
	Politicians []PoliticianDisclosures // sorted by ID; only politicians with analyzable records
}

// Find returns the records of id, or false when id has no analyzable
// record.
func (d *Disclosures) Find(id string) (*PoliticianDisclosures, bool) {
	lo, hi := 0, len(d.Politicians)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.Politicians[m].ID < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.Politicians) && d.Politicians[lo].ID == id {
		return &d.Politicians[lo], true
	}
	return nil, false
}
