package quant

import (
	"slices"
	"testing"
	"time"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestWeek(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2020-01-06", "2020-01-06"}, // Monday
		{"2020-01-12", "2020-01-06"}, // Sunday belongs to the Monday before
		{"2020-01-13", "2020-01-13"},
		{"2020-03-01", "2020-02-24"}, // across a leap day
		{"2021-01-01", "2020-12-28"}, // across a year
	}
	for _, tt := range tests {
		if got := Week(day(tt.in)).Format(time.DateOnly); got != tt.want {
			t.Errorf("Week(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// A time of day or another zone does not move the week.
	late := time.Date(2020, 1, 12, 23, 59, 0, 0, time.FixedZone("X", -11*3600))
	if got := Week(late); !got.Equal(day("2020-01-06")) {
		t.Errorf("Week(%v) = %v, want 2020-01-06", late, got)
	}
}

func TestDatasetSeries(t *testing.T) {
	acts := []Activity{
		{ID: "a", Analyzable: 3, Weeks: []WeekCount{{day("2020-01-06"), 2}, {day("2020-01-20"), 1}}},
		{ID: "b", Analyzable: 1, Weeks: []WeekCount{{day("2020-01-13"), 1}}},
		{ID: "c", Analyzable: 2, Weeks: []WeekCount{{day("2020-02-03"), 2}}},
	}
	ds := NewDataset(7, acts)
	if ds.Axis.T != 5 || !ds.Axis.Start.Equal(day("2020-01-06")) || !ds.Axis.End().Equal(day("2020-02-03")) {
		t.Fatalf("axis = %+v (end %v), want 5 weeks 2020-01-06..2020-02-03", ds.Axis, ds.Axis.End())
	}
	b, ok := ds.Find("b")
	if !ok {
		t.Fatal("Find(b) found nothing")
	}
	s, first := b.Series(nil, ds.Axis)
	if want := []float64{0, 1, 0, 0, 0}; !slices.Equal(s, want) || first != 1 {
		t.Errorf("Series(b) = %v, %d; want %v, 1", s, first, want)
	}
	if y, want := b.Y(ds.Axis), []float64{1, 0, 0, 0}; !slices.Equal(y, want) {
		t.Errorf("Y(b) = %v, want %v (trailing quiet weeks count)", y, want)
	}
	a, _ := ds.Find("a")
	if y, want := a.Y(ds.Axis), []float64{2, 0, 1, 0, 0}; !slices.Equal(y, want) {
		t.Errorf("Y(a) = %v, want %v", y, want)
	}
	if _, ok := ds.Find("zz"); ok {
		t.Error("Find(zz) found an activity")
	}
	if empty := NewDataset(1, nil); empty.Axis.T != 0 || !empty.Axis.End().IsZero() {
		t.Errorf("empty dataset axis = %+v", empty.Axis)
	}
}
