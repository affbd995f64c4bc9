package server

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/quant"
)

func (s *Server) analyticsRoutes() {
	r := s.router
	r.HandleFunc("/api/v1/analytics/correlation", s.analyze(quant.AnalysisCorrelation, "ids", "top")).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/network", s.analyze(quant.AnalysisNetwork, "min_weight")).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/fourier/{id}", s.analyze(quant.AnalysisFourier)).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/hmm/{id}", s.analyze(quant.AnalysisHMM)).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/dtw/{id}", s.analyze(quant.AnalysisDTW, "k")).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/ensemble/{id}", s.analyze(quant.AnalysisEnsemble, "horizon")).Methods(http.MethodGet)
	// compliance answers for one politician (no parameter) or, without an
	// id, ranks every politician.
	r.HandleFunc("/api/v1/analytics/compliance", s.analyze(quant.AnalysisCompliance, complianceParams...)).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/analytics/compliance/{id}", s.analyze(quant.AnalysisCompliance)).Methods(http.MethodGet)
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
		if err == nil {
			req, err = req.Normalize()
		}
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		res, err := s.cfg.Analyzer.Analyze(r.Context(), req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeResult(w, res)
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
	// Zero means "the default" to Normalize, so an explicit 0 must be
	// refused here, where the client's text is still known.
	switch a {
	case quant.AnalysisDTW:
		req.K = q.int("k", quant.DefaultK, 1, quant.MaxK)
	case quant.AnalysisEnsemble:
		req.Horizon = q.int("horizon", quant.DefaultHorizon, 1, quant.MaxHorizon)
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
					q.fail("ids", "must name %d..%d politicians, got more than %d", quant.MinSetSize, quant.MaxSetSize, quant.MaxSetSize)
					break
				}
			}
		}
		if _, ok := q.v["top"]; ok {
			req.Top = q.int("top", quant.DefaultTop, quant.MinSetSize, quant.MaxSetSize)
		}
	case quant.AnalysisNetwork:
		req.MinWeight = quant.DefaultMinWeight
		if v := q.single("min_weight"); v != "" {
			w, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(w) || !(w > 0 && w <= 1) {
				q.fail("min_weight", "must be a number with 0 < min_weight <= 1, got %q", clip(v))
			}
			req.MinWeight = w
		}
	case quant.AnalysisCompliance:
		if req.ID != "" {
			break // one politician's: the route takes no parameter
		}
		req.MinRecords = q.int("min_records", quant.DefaultMinRecords, 1, quant.MaxMinRecords)
		req.Limit = q.int("limit", quant.DefaultRankLimit, 1, quant.MaxRankLimit)
		if v := q.single("sort"); v != "" {
			req.Sort = quant.ComplianceSort(v)
			if !req.Sort.Valid() {
				q.fail("sort", "must be late_share, late or p50, got %q", clip(v))
			}
		}
		// As in the trade listings: case does not matter, empty is every
		// chamber.
		if v := strings.ToLower(q.single("chamber")); v != "" {
			req.Chamber = quant.Chamber(v)
			if !req.Chamber.Valid() {
				q.fail("chamber", "must be house or senate, got %q", clip(v))
			}
		}
		// The politicians' party and state at their last trade (identity.go);
		// resolveRequest puts the party in the table's spelling.
		req.Party = q.party("party")
		req.State = q.state("state")
	}
	return req, q.err
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
		Cached:         res.Status == quant.CacheHit || res.Status == quant.CacheStale,
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

// writeResult answers 200 with the result's body and its meta member.
func writeResult(w http.ResponseWriter, res *quant.Result) {
	body := resultJSON(res)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	status := res.Status
	if status == "" {
		status = quant.CacheMiss
	}
	h.Set("X-Cache", string(status))
	h.Set("Age", strconv.FormatInt(int64(max(0, time.Since(res.ComputedAt))/time.Second), 10))
	h.Set("X-Dataset-Version", strconv.FormatInt(res.DatasetVersion, 10))
	w.Write(body)
}
