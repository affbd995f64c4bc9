package people

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/quantops/quant/internal/quant"
)

// maxReads is how many times a merged build reads the Dataset (or the
// Disclosures) and the Filers looking for one version of both before it
// gives up.
const maxReads = 5

// Service implements quant.People over a quant.Store. Each result (the
// Directory, the merged Dataset, the merged Disclosures) is built once
// per dataset version and kept until a newer version's is built:
// concurrent callers share one build, which runs on even if they give up
// (a caller returns when its context ends), and a build that fails is not
// kept. The zero value is not usable; call New.
type Service struct {
	st      quant.Store
	resolve func(*quant.Filers) *quant.Directory // Resolve; tests count builds

	dirs        versioned[*quant.Directory]
	datasets    versioned[*quant.Dataset]
	disclosures versioned[*quant.Disclosures]
}

var _ quant.People = (*Service)(nil)

// New returns a Service reading st.
func New(st quant.Store) *Service {
	return &Service{st: st, resolve: Resolve}
}

// Directory implements quant.People: the resolution of st.Filers at the
// current dataset version.
func (s *Service) Directory(ctx context.Context) (*quant.Directory, error) {
	f, err := s.st.Filers(ctx)
	if err != nil {
		return nil, fmt.Errorf("people: read filers: %w", err)
	}
	return s.dirs.get(ctx, f.Version, func() (*quant.Directory, error) { return s.resolve(f), nil })
}

// MergedDataset implements quant.People: st.Dataset with every resolved
// person's ids merged into one Activity whose ID is the bioguide id
// (weeks summed per week, Analyzable summed, Tickers united), unresolved
// ids as they are, Activities sorted by ID (bioguide ids, upper case,
// sort before every politician id) and the axis rebuilt (quant.NewDataset)
// at the Dataset's version.
//
// The Dataset and the Directory must be of one version: an import (or a
// new table) landing between the two reads would merge one version's
// activity by another's identities, and the result, keyed by either
// version, would be wrong for both. So both are read, Dataset first, until
// their versions agree (a version only grows, so this ends as soon as no
// import lands between two reads), at most maxReads times; a store that
// keeps changing faster than that gets an error matching
// quant.ErrUnavailable.
func (s *Service) MergedDataset(ctx context.Context) (*quant.Dataset, error) {
	for range maxReads {
		ds, err := s.st.Dataset(ctx)
		if err != nil {
			return nil, fmt.Errorf("people: read dataset: %w", err)
		}
		if m, ok := s.datasets.cached(ds.Version); ok {
			return m, nil
		}
		dir, err := s.Directory(ctx)
		if err != nil {
			return nil, err
		}
		if dir.Version == ds.Version {
			return s.datasets.get(ctx, ds.Version, func() (*quant.Dataset, error) { return mergeDataset(ds, dir), nil })
		}
	}
	return nil, fmt.Errorf("people: merged dataset: the dataset version moved on each of %d reads: %w", maxReads, quant.ErrUnavailable)
}

// MergedDisclosures implements quant.People: st.Disclosures with every
// resolved person's ids merged into one PoliticianDisclosures whose ID is
// the bioguide id (records concatenated in record ID order), read at one
// version with the Directory as MergedDataset is.
func (s *Service) MergedDisclosures(ctx context.Context) (*quant.Disclosures, error) {
	for range maxReads {
		d, err := s.st.Disclosures(ctx)
		if err != nil {
			return nil, fmt.Errorf("people: read disclosures: %w", err)
		}
		if m, ok := s.disclosures.cached(d.Version); ok {
			return m, nil
		}
		dir, err := s.Directory(ctx)
		if err != nil {
			return nil, err
		}
		if dir.Version == d.Version {
			return s.disclosures.get(ctx, d.Version, func() (*quant.Disclosures, error) { return mergeDisclosures(d, dir), nil })
		}
	}
	return nil, fmt.Errorf("people: merged disclosures: the dataset version moved on each of %d reads: %w", maxReads, quant.ErrUnavailable)
}

// mergeDataset merges ds's activities by dir (see Service.MergedDataset);
// dir should be of ds's version. ds is not modified; unmerged activities
// share its slices.
func mergeDataset(ds *quant.Dataset, dir *quant.Directory) *quant.Dataset {
	groups := map[string][]*quant.Activity{}
	var order []string
	for i := range ds.Activities {
		a := &ds.Activities[i]
		id := dir.PersonID(a.ID)
		if _, seen := groups[id]; !seen {
			order = append(order, id)
		}
		groups[id] = append(groups[id], a)
	}
	out := make([]quant.Activity, 0, len(order))
	for _, id := range order {
		as := groups[id]
		if len(as) == 1 {
			a := *as[0]
			a.ID = id
			out = append(out, a)
			continue
		}
		m := quant.Activity{ID: id}
		for _, a := range as {
			m.Analyzable += a.Analyzable
			m.Weeks = append(m.Weeks, a.Weeks...)
			m.Tickers = append(m.Tickers, a.Tickers...)
		}
		slices.SortStableFunc(m.Weeks, func(a, b quant.WeekCount) int { return a.Week.Compare(b.Week) })
		n := 0
		for _, w := range m.Weeks {
			if n > 0 && m.Weeks[n-1].Week.Equal(w.Week) {
				m.Weeks[n-1].Count += w.Count
				continue
			}
			m.Weeks[n] = w
			n++
		}
		m.Weeks = m.Weeks[:n]
		slices.Sort(m.Tickers)
		m.Tickers = slices.Compact(m.Tickers)
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b quant.Activity) int { return strings.Compare(a.ID, b.ID) })
	return quant.NewDataset(ds.Version, out)
}

// mergeDisclosures merges d's politicians by dir (see
// Service.MergedDisclosures); dir should be of d's version. d is not
// modified; unmerged politicians share its slices.
func mergeDisclosures(d *quant.Disclosures, dir *quant.Directory) *quant.Disclosures {
	groups := map[string][]*quant.PoliticianDisclosures{}
	var order []string
	for i := range d.Politicians {
		p := &d.Politicians[i]
		id := dir.PersonID(p.ID)
		if _, seen := groups[id]; !seen {
			order = append(order, id)
		}
		groups[id] = append(groups[id], p)
	}
	out := &quant.Disclosures{Version: d.Version, Politicians: make([]quant.PoliticianDisclosures, 0, len(order))}
	for _, id := range order {
		ps := groups[id]
		m := quant.PoliticianDisclosures{ID: id, Records: ps[0].Records}
		if len(ps) > 1 {
			m.Records = nil
			for _, p := range ps {
				m.Records = append(m.Records, p.Records...)
			}
			slices.SortStableFunc(m.Records, func(a, b quant.Disclosure) int {
				switch {
				case a.ID < b.ID:
					return -1
				case a.ID > b.ID:
					return 1
				}
				return 0
			})
		}
		out.Politicians = append(out.Politicians, m)
	}
	slices.SortFunc(out.Politicians, func(a, b quant.PoliticianDisclosures) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// versioned keeps the newest built value of a per-version result and
// shares builds in flight.
type versioned[T any] struct {
	mu      sync.Mutex // guards the fields below
	version int64
	val     T
	ok      bool // val is built for version
	flights map[int64]*flight[T]
	builds  atomic.Int64 // builds started, for tests
}

// flight is one build in progress; val and err are set before done
// closes.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
}

// cached returns the value built for version v, if it is the one kept.
func (c *versioned[T]) cached(v int64) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.version == v {
		return c.val, true
	}
	var zero T
	return zero, false
}

// get returns the value of version v: the kept one, or the result of the
// build in flight for v, or of a new build. The build runs in its own
// goroutine, so a caller whose ctx ends returns at once (with ctx's
// error) while the others wait on; a successful build is kept unless a
// newer version's was kept meanwhile; a failed one (an error, a panic) is
// returned to the callers waiting for it and forgotten.
func (c *versioned[T]) get(ctx context.Context, v int64, build func() (T, error)) (T, error) {
	c.mu.Lock()
	if c.ok && c.version == v {
		defer c.mu.Unlock()
		return c.val, nil
	}
	fl := c.flights[v]
	if fl == nil {
		fl = &flight[T]{done: make(chan struct{})}
		if c.flights == nil {
			c.flights = map[int64]*flight[T]{}
		}
		c.flights[v] = fl
		c.builds.Add(1)
		go c.run(v, fl, build)
	}
	c.mu.Unlock()
	select {
	case <-fl.done:
		return fl.val, fl.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("people: %w", ctx.Err())
	}
}

func (c *versioned[T]) run(v int64, fl *flight[T], build func() (T, error)) {
	defer close(fl.done)
	defer func() {
		if p := recover(); p != nil {
			fl.err = fmt.Errorf("people: build of version %d failed: %v", v, p)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.flights, v)
		if fl.err == nil && (!c.ok || v >= c.version) {
			c.version, c.val, c.ok = v, fl.val, true
		}
	}()
	fl.val, fl.err = build()
}
