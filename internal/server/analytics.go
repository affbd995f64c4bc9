package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/quant"
)

func (s *Server) analyticsRoutes() {
	r := s.router
	r.HandleFunc("/api/v1/analytics/correlation", s.analyze(quant.AnalysisCorrelation, "ids", "top")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/network", s.analyze(quant.AnalysisNetwork, "min_weight")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/fourier/{id}", s.analyze(quant.AnalysisFourier)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/hmm/{id}", s.analyze(quant.AnalysisHMM)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/dtw/{id}", s.analyze(quant.AnalysisDTW, "k")).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/ensemble/{id}", s.analyze(quant.AnalysisEnsemble, "horizon")).Methods(http.MethodGet, http.MethodHead)
	// compliance answers for one politician (no parameter) or, without an
	// id, ranks every politician.
	r.HandleFunc("/api/v1/analytics/compliance", s.analyze(quant.AnalysisCompliance, complianceParams...)).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/api/v1/analytics/compliance/{id}", s.analyze(quant.AnalysisCompliance)).Methods(http.MethodGet, http.MethodHead)
}

// complianceParams are the query parameters of the compliance ranking.
var complianceParams = []string{"min_records", "sort", "limit", "chamber", "party", "state"}

// analyze returns the handler of one analysis endpoint, which takes the
// named query parameters.
func (s *Server) analyze(a quant.Analysis, params ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := s.analysisRequest(r, a, params)
		if err == nil {
			err = s.resolveRequest(r.Context(), &req, "")
		}
		var q quant.Query
		if err == nil {
			q, err = quant.NewQuery(req)
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.cfg.Analyzer.Analyze(r.Context(), q)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.writeResult(w, r, res)
	}
}

// analysisRequest reads an analysis request from the path and query. The
// id comes from the path whenever the route has one: always for the
// per-politician analyses, optionally for compliance (whose route without
// an id is the ranking).
func (s *Server) analysisRequest(r *http.Request, a quant.Analysis, params []string) (quant.Request, error) {
	req := quant.Request{Analysis: a}
	if _, inPath := mux.Vars(r)["id"]; inPath || a.PerPolitician() {
		id := mux.Vars(r)["id"]
		if !s.analysisID(id) {
			return req, s.badAnalysisID("id", id)
		}
		req.ID = id
	}
	q := &query{v: r.URL.Query()}
	q.only(params...)
	// Zero means "the default" in a Request, so every explicit value, 0
	// included, is checked here by quant's Check functions (the one place
	// of every range and its wording); the syntax is this parser's.
	switch a {
	case quant.AnalysisDTW:
		req.K = q.checked("k", quant.CheckK)
	case quant.AnalysisEnsemble:
		req.Horizon = q.checked("horizon", quant.CheckHorizon)
	case quant.AnalysisCorrelation:
		if v, ok := q.v["ids"]; ok {
			for _, part := range v {
				for id := range strings.SplitSeq(part, ",") {
					id = strings.TrimSpace(id)
					if !s.analysisID(id) {
						q.err = cmp.Or(q.err, s.badAnalysisID("ids", id))
						break
					}
					req.IDs = append(req.IDs, id)
				}
				if len(req.IDs) > quant.MaxSetSize {
					break // CheckIDs words it
				}
			}
			if q.err == nil {
				q.err = quant.CheckIDs(req.IDs)
			}
		}
		req.Top = q.checked("top", quant.CheckTop)
	case quant.AnalysisNetwork:
		if v := q.single("min_weight"); v != "" {
			w, err := strconv.ParseFloat(v, 64)
			if err != nil {
				q.fail("min_weight", "must be a number with 0 < min_weight <= 1, got %q", clip(v))
			} else if err := quant.CheckMinWeight(w); err != nil {
				q.err = cmp.Or(q.err, err)
			}
			req.MinWeight = w
		}
	case quant.AnalysisCompliance:
		if req.ID != "" {
			break // one politician's: the route takes no parameter
		}
		req.MinRecords = q.checked("min_records", quant.CheckMinRecords)
		req.Limit = q.checked("limit", quant.CheckLimit)
		if v := q.single("sort"); v != "" {
			req.Sort = quant.ComplianceSort(v)
			if err := quant.CheckSort(req.Sort); err != nil {
				q.err = cmp.Or(q.err, err)
			}
		}
		// As in the trade listings: case does not matter, empty is every
		// chamber.
		if v := strings.ToLower(q.single("chamber")); v != "" {
			req.Chamber = quant.Chamber(v)
			if err := quant.CheckChamber(req.Chamber); err != nil {
				q.err = cmp.Or(q.err, err)
			}
		}
		// The politicians' party and state at their last trade (identity.go);
		// resolveRequest puts the party in the table's spelling.
		req.Party = q.party("party")
		req.State = q.state("state")
	}
	return req, q.err
}

// checked reads an analysis' integer parameter and checks it with check
// (0 when absent: the analysis' default).
func (q *query) checked(param string, check func(int) error) int {
	v := q.single(param)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		q.fail(param, "must be an integer, got %q", clip(v))
		return 0
	}
	if err := check(n); err != nil {
		q.err = cmp.Or(q.err, err)
	}
	return n
}

// analysisID reports whether id may name a politician in an analysis: a
// politician id, or with people merged also a bioguide id.
func (s *Server) analysisID(id string) bool {
	return quant.ValidPoliticianID(id) || s.cfg.MergePeople && quant.ValidBioguide(id)
}

// badAnalysisID is the 400 of an id analysisID refuses, naming param.
func (s *Server) badAnalysisID(param, id string) error {
	switch {
	case s.cfg.MergePeople:
		return quant.Invalid(param, "%q is neither a politician id (1..%d of a-z, 0-9 and '-') nor a bioguide id (one upper-case letter and six digits, W000779)", clip(id), maxIDLen)
	case quant.ValidBioguide(id):
		return quant.Invalid(param, "%s is a bioguide id: analyses take politician ids, and bioguide ids only when the server runs with --merge-people; GET /api/v1/people/%s lists the person's politician ids", id, id)
	case param == "id":
		return badPoliticianID(id)
	}
	return quant.Invalid(param, "%q is not a politician id (a-z, 0-9 and '-', at most %d)", clip(id), maxIDLen)
}

// resolveRequest finishes an analysis request with what identity decides,
// before Normalize: the compliance ranking's party in the table's
// spelling (a 400 without a table, or for a party it lacks), and with
// people merged Request.MergePeople on every request and each id mapped
// to its person's bioguide id (Directory.PersonID: a bioguide id or an
// unresolved id stays as given). Two ids of one person in a correlation
// set are a 400 naming both and the person. prefix is prepended to the
// parameter names of errors ("params." for job bodies). The directory is
// read only when needed.
func (s *Server) resolveRequest(ctx context.Context, req *quant.Request, prefix string) error {
	req.MergePeople = s.cfg.MergePeople
	if req.State != "" && s.cfg.People == nil {
		// The state is the politicians' (identity), which needs People.
		return quant.Invalid(prefix+"state", "filters by the politicians' state, and this server has no people directory")
	}
	needIDs := s.cfg.MergePeople && (req.ID != "" || len(req.IDs) > 0)
	if req.Party == "" && !needIDs {
		return nil
	}
	if s.cfg.People == nil { // then only the party asks (merging needs People)
		return quant.Invalid(prefix+"party", noTableDetail)
	}
	d, err := s.directory(ctx)
	if err != nil {
		return err
	}
	if req.Party != "" {
		if req.Party, err = s.resolveParty(d, prefix+"party", req.Party); err != nil {
			return err
		}
	}
	if !needIDs {
		return nil
	}
	if req.ID != "" {
		req.ID = d.PersonID(req.ID)
	}
	if len(req.IDs) > 0 {
		ids := make([]string, len(req.IDs))
		given := make(map[string]string, len(req.IDs)) // person id -> the id the client gave
		for i, id := range req.IDs {
			p := d.PersonID(id)
			if prev, ok := given[p]; ok {
				if prev == id {
					return quant.Invalid(prefix+"ids", "names %q twice", id)
				}
				return quant.Invalid(prefix+"ids", "%q and %q are one person, %s: with people merged (--merge-people) name each person once", prev, id, p)
			}
			given[p], ids[i] = id, p
		}
		req.IDs = ids
	}
	return nil
}

// resultMeta is the "meta" member every analysis answer carries.
type resultMeta struct {
	Analysis       quant.Analysis `json:"analysis"`
	Key            string         `json:"key"`
	Cached         bool           `json:"cached"`
	ComputedAt     string         `json:"computed_at"`
	ComputeMS      float64        `json:"compute_ms"`
	DatasetVersion int64          `json:"dataset_version,string"` // a string: past 2^53 a JSON number loses digits in JavaScript
}

// resultJSON returns the answer's JSON object: the result's body with its
// meta member added.
func resultJSON(res *quant.Result) []byte {
	meta, _ := json.Marshal(resultMeta{
		Cached:         resultCached(res),
		Analysis:       res.Analysis,
		Key:            res.Key,
		ComputedAt:     res.ComputedAt.UTC().Format(time.RFC3339Nano),
		ComputeMS:      float64(res.ComputeTime.Microseconds()) / 1000,
		DatasetVersion: res.DatasetVersion,
	})
	body := bytes.TrimRight(res.Body, " \n")
	var b bytes.Buffer
	b.Grow(len(body) + len(meta) + 16)
	if len(body) >= 2 && body[0] == '{' && body[len(body)-1] == '}' {
		inner := bytes.TrimSpace(body[1 : len(body)-1])
		b.WriteByte('{')
		if len(inner) > 0 {
			b.Write(inner)
			b.WriteByte(',')
		}
		b.WriteString(`"meta":`)
		b.Write(meta)
		b.WriteString("}\n")
	} else { // not an object: keep it whole under "result"
		b.WriteString(`{"result":`)
		b.Write(body)
		b.WriteString(`,"meta":`)
		b.Write(meta)
		b.WriteString("}\n")
	}
	return b.Bytes()
}

// answer is an analysis answer's HTTP form, derived from its Result
// once: for the Result every HIT of a cache entry shares it is kept in
// the Result's Rendered (quant.Rendered), so that a HIT derives, encodes
// and compresses nothing, and sets headers from values made here.
type answer struct {
	identity representation
	// etags are the ETag header's values for each coding, all known
	// before any is compressed: a 304 compresses nothing.
	etags        [len(codingName)][]string
	cacheControl []string
	version      []string // X-Dataset-Version
	// coded are the compressed representations, made on the first
	// request that accepts each.
	coded [len(codingName)]struct {
		once sync.Once
		rep  representation
	}
}

// answerOf returns res's answer: the one kept in res.Rendered, else made
// now (and kept there when res has a Rendered).
func answerOf(res *quant.Result) *answer {
	if res.Rendered != nil {
		if a, ok := res.Rendered.Load().(*answer); ok {
			return a
		}
	}
	a := newAnswer(res)
	if res.Rendered != nil {
		a = res.Rendered.Keep(a).(*answer)
	}
	return a
}

func newAnswer(res *quant.Result) *answer {
	body := resultJSON(res)
	etag := resultETag(res)
	a := &answer{
		identity:     newRepresentation(body, etag),
		cacheControl: []string{cacheControl(res)},
		version:      []string{strconv.FormatInt(res.DatasetVersion, 10)},
	}
	for c := range a.etags {
		a.etags[c] = []string{codedETag(etag, coding(c))}
	}
	return a
}

// representation returns a's representation in coding c, compressing it
// with enc the first time c is asked for.
func (a *answer) representation(enc *encoders, c coding) *representation {
	if c == identity {
		return &a.identity
	}
	cr := &a.coded[c]
	cr.once.Do(func() {
		cr.rep = representation{body: enc.encode(c, a.identity.body), etag: a.etags[c]}
		cr.rep.length = []string{strconv.Itoa(len(cr.rep.body))}
	})
	return &cr.rep
}

// resultETag is the strong ETag of an analysis answer's JSON:
// "<dataset version>-<hash>", the hash (64-bit FNV-1a) over what makes
// its bytes: the request key, the computation (ComputedAt) and whether
// meta.cached is true. Every HIT of one cache entry has the same tag, on
// every instance that shares the entry; a recomputation, new data or a
// first (MISS) answer of the same key have other tags.
func resultETag(res *quant.Result) string {
	var b [9]byte
	if resultCached(res) {
		b[0] = 1
	}
	binary.BigEndian.PutUint64(b[1:], uint64(res.ComputedAt.UnixNano()))
	h := fnv.New64a()
	h.Write(b[:]) // first, so that the key's bytes mix them into every bit
	h.Write([]byte(res.Key))
	return fmt.Sprintf(`"%d-%016x"`, res.DatasetVersion, h.Sum64())
}

// resultCached is an answer's meta.cached: served from the cache rather
// than computed for this request.
func resultCached(res *quant.Result) bool {
	return res.Status == quant.CacheHit || res.Status == quant.CacheStale
}

// cacheControl is an analysis answer's Cache-Control (RFC 9111, and RFC
// 5861's stale-while-revalidate and stale-if-error), from its lifetime in
// quant's cache: public; max-age its time to live counted from
// ComputedAt, as its Age header is, so that a client or proxy finds it
// fresh exactly until the cache's entry stops being fresh (max-age - Age
// is what remains); stale-while-revalidate the window in which quant
// serves it stale while recomputing it; stale-if-error how long quant
// serves it when recomputing fails. An answer no cache keeps is
// no-cache: it may be stored, and is revalidated before each reuse.
func cacheControl(res *quant.Result) string {
	if res.FreshUntil.IsZero() {
		return "no-cache"
	}
	secs := func(d time.Duration) int64 { return int64(max(0, d) / time.Second) }
	cc := "public, max-age=" + strconv.FormatInt(secs(res.FreshUntil.Sub(res.ComputedAt)), 10)
	if swr := secs(res.RevalidateUntil.Sub(res.FreshUntil)); swr > 0 {
		cc += ", stale-while-revalidate=" + strconv.FormatInt(swr, 10)
	}
	if sie := secs(res.StaleUntil.Sub(res.FreshUntil)); sie > 0 {
		cc += ", stale-if-error=" + strconv.FormatInt(sie, 10)
	}
	return cc
}

// xCache holds the X-Cache header's values.
var xCache = map[quant.CacheStatus][]string{
	quant.CacheHit: {string(quant.CacheHit)}, quant.CacheMiss: {string(quant.CacheMiss)},
	quant.CacheStale: {string(quant.CacheStale)}, quant.CacheCoalesced: {string(quant.CacheCoalesced)},
}

// writeResult answers r with the result's body and its meta member: 200,
// or 304 when r's If-None-Match names its ETag; compressed when r accepts
// it and the body is at least minCompress bytes (never for HEAD).
func (s *Server) writeResult(w http.ResponseWriter, r *http.Request, res *quant.Result) {
	a := answerOf(res)
	h := w.Header()
	h["Content-Type"] = hdrJSON
	h["Cache-Control"] = a.cacheControl
	if len(h["Vary"]) == 0 {
		h["Vary"] = hdrVary
	} else {
		h.Add("Vary", "Accept-Encoding") // after CORS's Origin
	}
	status := cmp.Or(res.Status, quant.CacheMiss)
	if v, ok := xCache[status]; ok {
		h["X-Cache"] = v
	} else {
		h.Set("X-Cache", string(status))
	}
	h.Set("Age", strconv.FormatInt(int64(max(0, time.Since(res.ComputedAt))/time.Second), 10))
	h["X-Dataset-Version"] = a.version
	c := identity
	if len(a.identity.body) >= minCompress && r.Method != http.MethodHead {
		c = acceptedCoding(r)
	}
	if noneMatch(r, a.etags[c][0]) {
		writeRepresentation(w, r, &representation{etag: a.etags[c]}, c)
		return
	}
	writeRepresentation(w, r, a.representation(s.enc, c), c)
}
