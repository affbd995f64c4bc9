package people

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quantops/quant/internal/quant"
)

// fakeStore is the part of a quant.Store the Service reads: Filers,
// Dataset and Disclosures of the current version. Every other method
// panics (the embedded interface is nil). afterRead runs after each read
// with its kind ("filers", "dataset", "disclosures"), under no lock: a
// test moves the version there, as an import landing between two reads
// would.
type fakeStore struct {
	quant.Store

	mu        sync.Mutex
	version   int64
	states    map[int64]*fakeState
	filersErr error // returned once by Filers
	afterRead func(kind string)
}

type fakeState struct {
	filers      *quant.Filers
	dataset     *quant.Dataset
	disclosures *quant.Disclosures
}

func (s *fakeStore) read(kind string) *fakeState {
	s.mu.Lock()
	st := s.states[s.version]
	s.mu.Unlock()
	if s.afterRead != nil {
		s.afterRead(kind)
	}
	return st
}

func (s *fakeStore) setVersion(v int64) {
	s.mu.Lock()
	s.version = v
	s.mu.Unlock()
}

func (s *fakeStore) Filers(ctx context.Context) (*quant.Filers, error) {
	s.mu.Lock()
	if err := s.filersErr; err != nil {
		s.filersErr = nil
		s.mu.Unlock()
		return nil, err
	}
	s.mu.Unlock()
	return s.read("filers").filers, nil
}

func (s *fakeStore) Dataset(ctx context.Context) (*quant.Dataset, error) {
	return s.read("dataset").dataset, nil
}

func (s *fakeStore) Disclosures(ctx context.Context) (*quant.Disclosures, error) {
	return s.read("disclosures").disclosures, nil
}

func week(s string) time.Time { return quant.Week(date(s)) }

// serviceStore holds two versions of three ids: version 1 without a
// legislators table, version 2 with the hand-made one (as after
// SetLegislators). pat-toomey and patrick-j-toomey are one person
// (T000461); jane-doe is nobody.
func serviceStore(tb testing.TB) *fakeStore {
	tb.Helper()
	table := handLegislators(tb, "")
	recs := []rec{
		senate("pat-toomey", "Pat Toomey", "2016-05-02", "2016-05-16"),
		senate("patrick-j-toomey", "Patrick J Toomey", "2016-05-03", "2016-05-09"),
		senate("jane-doe", "Jane Doe", "2016-05-10"),
	}
	acts := []quant.Activity{
		{ID: "jane-doe", Analyzable: 1, Weeks: []quant.WeekCount{{Week: week("2016-05-09"), Count: 1}}},
		{ID: "pat-toomey", Analyzable: 3, Tickers: []string{"AAPL"},
			Weeks: []quant.WeekCount{{Week: week("2016-05-02"), Count: 1}, {Week: week("2016-05-16"), Count: 2}}},
		{ID: "patrick-j-toomey", Analyzable: 3, Tickers: []string{"AAPL", "MSFT"},
			Weeks: []quant.WeekCount{{Week: week("2016-05-02"), Count: 2}, {Week: week("2016-05-09"), Count: 1}}},
	}
	disc := func(id int64, d string) quant.Disclosure {
		return quant.Disclosure{ID: id, TransactionDate: date(d), Type: quant.TypePurchase, Chamber: quant.ChamberSenate}
	}
	pols := []quant.PoliticianDisclosures{
		{ID: "jane-doe", Records: []quant.Disclosure{disc(4, "2016-05-10")}},
		{ID: "pat-toomey", Records: []quant.Disclosure{disc(1, "2016-05-02"), disc(5, "2016-05-16")}},
		{ID: "patrick-j-toomey", Records: []quant.Disclosure{disc(2, "2016-05-03"), disc(3, "2016-05-09")}},
	}
	st := &fakeStore{version: 1, states: map[int64]*fakeState{}}
	for v, t := range map[int64]*quant.Legislators{1: nil, 2: table} {
		f := handFilers(t, recs...)
		f.Version = v
		st.states[v] = &fakeState{filers: f, dataset: quant.NewDataset(v, acts), disclosures: &quant.Disclosures{Version: v, Politicians: pols}}
	}
	return st
}

func TestServiceDirectory(t *testing.T) {
	st := serviceStore(t)
	s := New(st)
	ctx := context.Background()
	d1, err := s.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Resolve(st.states[1].filers), d1); diff != "" {
		t.Errorf("Directory differs from Resolve(Filers) (-want +got):\n%s", diff)
	}
	if again, _ := s.Directory(ctx); again != d1 {
		t.Error("Directory rebuilt at the same version")
	}
	st.setVersion(2)
	d2, err := s.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version != 2 || d2.Legislators == nil {
		t.Errorf("Directory after a new table = version %d, table %v", d2.Version, d2.Legislators != nil)
	}
	if x, _ := d2.Identity("pat-toomey"); x.Bioguide != "T000461" {
		t.Errorf("pat-toomey = %+v, want T000461", x)
	}
	if n := s.dirs.builds.Load(); n != 2 {
		t.Errorf("%d directory builds, want 2 (one per version)", n)
	}
}

func TestServiceMerged(t *testing.T) {
	st := serviceStore(t)
	st.setVersion(2)
	s := New(st)
	ctx := context.Background()
	ds, err := s.MergedDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Expected by hand: the two Toomey ids' weeks summed per week,
	// analyzable summed, tickers united; jane-doe as it was; bioguide ids
	// sort before politician ids.
	want := quant.NewDataset(2, []quant.Activity{
		{ID: "T000461", Analyzable: 6, Tickers: []string{"AAPL", "MSFT"}, Weeks: []quant.WeekCount{
			{Week: week("2016-05-02"), Count: 3}, {Week: week("2016-05-09"), Count: 1}, {Week: week("2016-05-16"), Count: 2}}},
		{ID: "jane-doe", Analyzable: 1, Weeks: []quant.WeekCount{{Week: week("2016-05-09"), Count: 1}}},
	})
	if diff := cmp.Diff(want, ds); diff != "" {
		t.Errorf("MergedDataset (-want +got):\n%s", diff)
	}
	if ds.Axis != st.states[2].dataset.Axis {
		t.Errorf("merged axis %+v, the store's %+v", ds.Axis, st.states[2].dataset.Axis)
	}
	if again, _ := s.MergedDataset(ctx); again != ds {
		t.Error("MergedDataset rebuilt at the same version")
	}
	if a, _ := st.states[2].dataset.Find("pat-toomey"); a.Analyzable != 3 || len(a.Weeks) != 2 {
		t.Errorf("the store's Dataset was modified: %+v", a)
	}

	d, err := s.MergedDisclosures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(p quant.PoliticianDisclosures) []int64 {
		var out []int64
		for _, r := range p.Records {
			out = append(out, r.ID)
		}
		return out
	}
	if d.Version != 2 || len(d.Politicians) != 2 || d.Politicians[0].ID != "T000461" || d.Politicians[1].ID != "jane-doe" ||
		!cmp.Equal(ids(d.Politicians[0]), []int64{1, 2, 3, 5}) || !cmp.Equal(ids(d.Politicians[1]), []int64{4}) {
		t.Errorf("MergedDisclosures = %+v, want T000461 with records 1, 2, 3, 5 and jane-doe with 4, at version 2", d)
	}
	if again, _ := s.MergedDisclosures(ctx); again != d {
		t.Error("MergedDisclosures rebuilt at the same version")
	}

	// Without a table nothing merges: the ids are as stored.
	st.setVersion(1)
	ds1, err := s.MergedDataset(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(st.states[1].dataset, ds1); diff != "" {
		t.Errorf("MergedDataset without a table differs from the Dataset (-want +got):\n%s", diff)
	}
}

// TestServiceMergedOneVersion: a new table stored between the Dataset
// read and the Filers read must not merge version 1's activity by version
// 2's identities, nor keep a result under the wrong version.
func TestServiceMergedOneVersion(t *testing.T) {
	for _, kind := range []string{"dataset", "disclosures"} {
		t.Run(kind, func(t *testing.T) {
			st := serviceStore(t)
			var once sync.Once
			st.afterRead = func(k string) {
				if k == kind {
					once.Do(func() { st.setVersion(2) })
				}
			}
			s := New(st)
			var version int64
			var first string
			if kind == "dataset" {
				ds, err := s.MergedDataset(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				version, first = ds.Version, ds.Activities[0].ID
			} else {
				d, err := s.MergedDisclosures(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				version, first = d.Version, d.Politicians[0].ID
			}
			if version != 2 || first != "T000461" {
				t.Errorf("merged %s = version %d, first id %s; want version 2 merged by its table (T000461)", kind, version, first)
			}
		})
	}

	// A store whose version moves on every read: an error, not a mix.
	st := serviceStore(t)
	for v := int64(3); v <= 2*maxReads+2; v++ {
		base := st.states[2-v%2]
		f, ds := *base.filers, *base.dataset
		f.Version, ds.Version = v, v
		st.states[v] = &fakeState{filers: &f, dataset: &ds, disclosures: base.disclosures}
	}
	var v int64 = 1
	st.afterRead = func(k string) {
		if k == "dataset" {
			v++
			st.setVersion(v)
		}
	}
	_, err := New(st).MergedDataset(context.Background())
	if !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("MergedDataset on a store that keeps moving = %v, want quant.ErrUnavailable", err)
	}
}

func TestServiceBuildsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := serviceStore(t)
		s := New(st)
		gate := make(chan struct{})
		var calls int
		s.resolve = func(f *quant.Filers) *quant.Directory {
			calls++
			<-gate
			return Resolve(f)
		}
		const callers = 8
		got := make([]*quant.Directory, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				d, err := s.Directory(context.Background())
				if err != nil {
					t.Error(err)
				}
				got[i] = d
			})
		}
		synctest.Wait() // every caller waits on the one build
		if n := s.dirs.builds.Load(); n != 1 {
			t.Errorf("%d builds started for %d concurrent callers, want 1", n, callers)
		}
		close(gate)
		wg.Wait()
		for i := range got {
			if got[i] == nil || got[i] != got[0] {
				t.Fatalf("caller %d got %p, caller 0 %p: one build, one Directory", i, got[i], got[0])
			}
		}
		if calls != 1 {
			t.Errorf("Resolve ran %d times", calls)
		}
	})
}

func TestServiceCallerGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := serviceStore(t)
		s := New(st)
		gate := make(chan struct{})
		s.resolve = func(f *quant.Filers) *quant.Directory { <-gate; return Resolve(f) }
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { _, err := s.Directory(ctx); errc <- err }()
		var other *quant.Directory
		done := make(chan struct{})
		go func() { other, _ = s.Directory(context.Background()); close(done) }()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("a caller that gave up got %v, want context.Canceled", err)
		}
		close(gate) // the build runs on for the other caller
		<-done
		if other == nil {
			t.Fatal("the caller that waited got no Directory")
		}
		if d, err := s.Directory(context.Background()); err != nil || d != other {
			t.Errorf("after the build: %p, %v; want the kept %p", d, err, other)
		}
		if n := s.dirs.builds.Load(); n != 1 {
			t.Errorf("%d builds, want 1", n)
		}
	})
}

func TestServiceFailedBuildNotKept(t *testing.T) {
	st := serviceStore(t)
	s := New(st)
	ctx := context.Background()
	st.filersErr = errors.New("store down")
	if _, err := s.Directory(ctx); err == nil || !strings.Contains(err.Error(), "store down") {
		t.Errorf("Directory with Filers failing = %v, want the store's error", err)
	}
	fail := true
	s.resolve = func(f *quant.Filers) *quant.Directory {
		if fail {
			fail = false
			panic("boom")
		}
		return Resolve(f)
	}
	if _, err := s.Directory(ctx); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Directory with a failing build = %v, want its failure", err)
	}
	d, err := s.Directory(ctx)
	if err != nil || d == nil {
		t.Fatalf("Directory after a failed build = %v, %v; want a new build", d, err)
	}
	if n := s.dirs.builds.Load(); n != 2 {
		t.Errorf("%d builds, want 2: the failed one was not kept", n)
	}
}
