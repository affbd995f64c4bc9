// Package ensemble implements the analyses of ANALYTICS.md over weekly trade
// series: Fourier cycles, HMM regimes, DTW similarity, correlation, the
// co-trading network and the ensemble forecast; the disclosure-lag
// (STOCK Act compliance) analysis of section 11 over the records'
// disclosure dates; and a Service that answers quant.Requests over a
// quant.Store (the quant.Analyzer the guard and the cache wrap).
//
// The numerics are pure functions of (data, parameters): the same data gives
// the same numbers on every run, whatever the number of cores. Every rule of
// ANALYTICS.md is kept literally; the test vectors of
// ../shared/testdata/analytics are checked number by number.
//
// Every analysis takes a context first and stops at its deadline or
// cancellation: it checks the context at its natural steps (ctx.Err(),
// and the clock against ctx.Deadline(), which a context's own timer
// learns late while the analysis keeps every core busy) and then returns
// an error that wraps the context's error and names the step
// (errors.Is(err, context.DeadlineExceeded) holds), which the guard
// answers with a 504, giving the slot back. The steps: each Baum-Welch
// iteration (HMM, and each fit of the forecast); each of the forecast's
// ten fits; every 256 candidates DTW screens and each recurrence it runs;
// each series correlation centres and each row of its matrix; each
// Jaccard row, PageRank step and Brandes source, and every 256 nodes a
// Louvain sweep visits (network); every 256 records compliance reads and
// each sort of lags. Worker goroutines (the forecast's second one,
// Brandes', Louvain's, DTW's) check too, and an analysis returns only once
// they have all stopped. A check costs about 65 ns, the work between two
// checks microseconds or more, so the answers are unchanged, bit for bit,
// and no slower (BENCHMARKS.md: the cost, and how soon after its deadline
// each analysis returns, under a millisecond at the median). Two things take no context:
// Fourier (one transform of n weeks, 66 µs on the real data), for which
// the Service's check before computing suffices, and the DTW index build,
// once per dataset version and shared by every request.
//
// Where ANALYTICS.md is silent, these choices hold:
//
//   - HMM Viterbi ties: two paths whose log-probabilities agree within a
//     relative 1e-9 (section 3's tolerance) are tied, and the smaller state
//     index wins. Equal-probability paths otherwise differ only by rounding
//     (pat-p-pulse in the vectors needs this).
//   - p_trade_next_week is capped at 1 (rounding gave 1+1e-15 on a constant
//     series).
//   - Correlation: the diagonal entry of a zero-variance series is null (0/0),
//     like the rest of its row; every other diagonal entry is exactly 1.
//   - The HMM E-step computes each distinct weekly value's densities once
//     (bit-identical to per-week computation) and sums the scales' logarithms
//     as the logarithm of their product, kept with math.Frexp so it never
//     underflows; the vectors' iteration counts are unchanged.
//   - The forecast runs its ten fits (nine backtest origins, then the full
//     series) on two goroutines and sums the errors in origin order: the
//     same bits as a sequential run.
//   - DTW: a per-dataset index (DTWIndex, built once per dataset version)
//     screens candidates with a Euclidean upper bound, LB_Kim and LB_Keogh in
//     both directions, then runs the banded recurrence along anti-diagonals
//     with UCR-style early abandoning, on both cores when enough candidates
//     survive. Every reported distance is bit-identical to the plain
//     recurrence. On amd64 the anti-diagonal kernel is 40 lines of SSE2
//     assembly (dtw_diag_amd64.s: two cells per instruction, no fused
//     multiply-add, so each lane rounds exactly like the Go code); elsewhere,
//     and in a test that compares them bit for bit, it is plain Go. It is
//     written by hand because the Go compiler does not vectorize the
//     recurrence and the target (0.7 ms per politician on the real
//     data) needs it.
//   - Network: PageRank, betweenness (Brandes, parallel over sources in 32
//     fixed blocks summed in order) and Louvain are written here on integer
//     adjacency lists. gonum's graph packages iterate maps, so their
//     betweenness and Louvain results varied between calls; gonum's PageRank
//     has its own dangling-node and stopping rules, not section 8's. Louvain
//     follows networkx's louvain_partitions over 10 seeds and keeps the
//     partition of highest modularity (lowest seed on ties).
//   - Compliance (section 11) reads Store.Disclosures (every analyzable
//     record's dates, ticker, type, filing id, chamber, by record ID), not
//     the weekly Dataset, and answers with the field names of
//     testdata/formats (ComplianceResult, ComplianceRanking). Where
//     section 11 is silent:
//     a lag is the difference of the two calendar dates in days (the
//     dates as stored, midnight UTC; another clock time or zone counts
//     its own calendar date). Nothing is rounded: late_share is
//     late/known, mean the exact integer sum of the known lags divided
//     by known (invalid lags left out, as from every lag figure; undated
//     records have none), p50 and p90 numpy's
//     linear quantile with its lerp formula (so 180.00000000000006 where
//     numpy gives it); min and max are integers. A politician's chambers
//     are the sorted distinct chambers of all its analyzable records
//     (known, invalid and undated alike), so one with House and Senate
//     records has ["house","senate"] however its lags fall; unknown-type
//     records count nowhere. filings and late_filings are counts, with
//     filing_ids and late_filing_ids beside them (byte-wise sorted; a
//     record without a filing id adds none). "Place in the source", the
//     last tie key of worst, is the record ID: import order, then source
//     order, so across two imports the earlier import's record comes
//     first. worst and filing id lists are [] (never null) when empty;
//     by_year uses the transaction date's year. A politician with no
//     analyzable record but stored records (all of unknown type) is a 422
//     no_disclosure_dates with records = 0; an id no stored record has is
//     a 404. The ranking's late-share order cross-multiplies the integer
//     counts, and the p50 order compares twice the median, the sum of the
//     two middle lags, as integers; every order ends with the id, so it is
//     total. A row's p50 is that exact half-integer as a float64. The
//     summary's politicians counts those with a known lag (whether or not
//     they reach min_records), ranked the rows before the limit, p50 the
//     median of every known lag read (a counting pass over the lag range,
//     linear in the records). With Request.Chamber set (the extension
//     behind quant compliance --chamber) the ranking reads only that
//     chamber's records: rows, their chambers (then only that chamber),
//     known counts against min_records, and the summary; it is a 422 when
//     none of that chamber's records has a known lag, even if the other
//     chamber's do. One politician's answer always reads every chamber.
//     The answer's dataset version is that of the Disclosures read; the
//     vectors' "query" field (naming the call) is not part of it. Cost:
//     one politician's n records sort by lag once, by counting when the
//     lags' range is at most about 2n (else by comparison), so O(n) for a
//     busy politician; the ranking sorts each politician's known lags
//     once, O(N log m) for N records and at most m per politician, plus
//     one counting pass for the store's median.
//   - Identity (issue 14). NewService(st, WithPeople(p)) gives the Service
//     a quant.People; NewService(st) has none, and then refuses a request
//     with MergePeople, Party or State with an error wrapping
//     quant.ErrUnavailable (the server checks first). With MergePeople
//     every analysis reads People.MergedDataset or MergedDisclosures, so
//     ids are bioguide ids for resolved people and ids for unresolved
//     ones; a person's answer is the analysis of the summed series (or of
//     the records together, for compliance). Lookups behind a miss go
//     through the Directory: a person whose records are all of unknown
//     type is a 422 like such an id (Person.Records, Analyzable); a
//     resolved id is a 404 whose text names its person (the server maps
//     resolved ids to bioguide ids before asking; answering under another
//     id than the one asked would be a guess at what the caller meant); an
//     unresolved id is counted by the store as always. A directory of
//     another version than the data read is treated like a snapshot behind
//     the store: read again once, then a 503 to retry. The DTW index is
//     kept per mode (ids, merged people), each keyed by its dataset
//     version: the two datasets share one version. Nothing else is kept
//     per dataset.
//   - Compliance ranking by identity. Party and State keep the politicians
//     whose identity has them: for an id Directory.Identity (the party at
//     its last trade; the state at its last trade, or for an unresolved id
//     that of its latest House record), for a merged person
//     Directory.Person. Party compares case-insensitively (the server
//     passes the table's spelling) and needs a legislators table (else a
//     400 for "party"); an unresolved id has no party, so it never matches
//     one. The rows and the summary read only the kept politicians'
//     records (and only Chamber's, when set), as Chamber already did; the
//     answer echoes party and state like chamber; nothing kept with a
//     known lag is the 422, its text naming the filters.
//   - Party and chamber figures. With a legislators table loaded
//     (Directory.Legislators != nil) the summary adds by_chamber and
//     by_party, [{chamber|party, records, known, late, late_share, p50}]:
//     section 11's summary figures over the group's records among those
//     the summary reads (after the chamber, party and state restrictions).
//     Without a table neither is present, by_chamber included though it
//     needs none: the issue asks for them "when legislators are loaded",
//     and the answer then stays the one section 11 defines, which the
//     formats vectors compare key for key (vectortest.Diff reports an
//     unexpected key). A record's party is its person's on its transaction
//     date (Directory.PartyOn: the term covering it, else the nearest,
//     and within it the affiliation covering the date; for a merged
//     person, that person's terms), so one politician's records can fall
//     in two parties, and a party-filtered ranking (the party at the last
//     trade) can show another party's group; records of an unresolved id,
//     or of a person the table has no row for, form the group with party
//     null. A group with no known lag (undated Senate aggregate records)
//     has late_share and p50 null. Groups are ordered by records desc, then
//     by name, bytewise (house before senate), the null party after every
//     named one on a tie.
//
// Costs (BENCHMARKS.md has the figures): Fourier O(n log n) (O(n^2) for a
// prime n, as FFTPACK falls back), HMM O(iterations * n), forecast ten HMM
// and Fourier fits plus the analog search, DTW O(P*T) screening plus a few
// O(T^2/5) recurrences, correlation O(top^2 * T), network O(E) for Jaccard,
// PageRank and Louvain and O(P*(P^2/64 + E)) for betweenness.
package ensemble
