package server

import (
	"cmp"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/quantops/quant/internal/jobs"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// Job API: POST /api/v1/jobs, GET /api/v1/jobs/{id}.

func (s *Server) jobRoutes() {
	s.router.HandleFunc("/api/v1/jobs", s.submitJob).Methods(http.MethodPost)
	s.router.HandleFunc("/api/v1/jobs/{id}", s.getJob).Methods(http.MethodGet, http.MethodHead)
}

// jobRequestJSON is the body of POST /api/v1/jobs and the "request" member
// of a job.
type jobRequestJSON struct {
	Analysis quant.Analysis `json:"analysis"`
	ID       string         `json:"id,omitempty"`
	Params   jobParamsJSON  `json:"params"`
}

type jobParamsJSON struct {
	K         *int     `json:"k,omitempty"`
	Horizon   *int     `json:"horizon,omitempty"`
	IDs       []string `json:"ids,omitempty"`
	Top       *int     `json:"top,omitempty"`
	MinWeight *float64 `json:"min_weight,omitempty"`
	// The compliance ranking's (a compliance job without an id).
	MinRecords *int                  `json:"min_records,omitempty"`
	Sort       *quant.ComplianceSort `json:"sort,omitempty"`
	Limit      *int                  `json:"limit,omitempty"`
	Chamber    *quant.Chamber        `json:"chamber,omitempty"`
	Party      *string               `json:"party,omitempty"`
	State      *string               `json:"state,omitempty"`
}

// jobJSON is a job on the wire.
type jobJSON struct {
	ID         string          `json:"id"`
	Status     quant.JobState  `json:"status"`
	Request    jobRequestJSON  `json:"request"`
	Key        string          `json:"key"`
	Attempts   int             `json:"attempts"`
	CreatedAt  string          `json:"created_at"`
	StartedAt  *string         `json:"started_at"`
	FinishedAt *string         `json:"finished_at"`
	Location   string          `json:"location"`
	Result     json.RawMessage `json:"result,omitempty"`
	// Cache is where the result came from, as X-Cache says it for GET
	// requests (MISS: computed by this job; HIT: already cached).
	Cache quant.CacheStatus `json:"cache,omitempty"`
	Error *quant.JobError   `json:"error,omitempty"`
}

func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339Nano)
	return &s
}

func toJobJSON(j quant.Job) jobJSON {
	r := j.Request
	out := jobJSON{
		ID: j.ID, Status: j.State, Key: j.Key, Attempts: j.Attempts,
		Request:   jobRequestJSON{Analysis: r.Analysis, ID: r.ID},
		CreatedAt: j.CreatedAt.UTC().Format(time.RFC3339Nano), StartedAt: timeOrNull(j.StartedAt), FinishedAt: timeOrNull(j.FinishedAt),
		Location: "/api/v1/jobs/" + j.ID, Error: j.Error,
	}
	p := &out.Request.Params
	switch r.Analysis {
	case quant.AnalysisDTW:
		p.K = &r.K
	case quant.AnalysisEnsemble:
		p.Horizon = &r.Horizon
	case quant.AnalysisCorrelation:
		if len(r.IDs) > 0 {
			p.IDs = r.IDs
		} else {
			p.Top = &r.Top
		}
	case quant.AnalysisNetwork:
		p.MinWeight = &r.MinWeight
	case quant.AnalysisCompliance:
		if r.ID != "" {
			break
		}
		p.MinRecords, p.Sort, p.Limit = &r.MinRecords, &r.Sort, &r.Limit
		if r.Chamber != "" {
			p.Chamber = &r.Chamber
		}
		if r.Party != "" {
			p.Party = &r.Party
		}
		if r.State != "" {
			p.State = &r.State
		}
	}
	if j.Result != nil {
		out.Result = resultJSON(j.Result)
		out.Cache = cmp.Or(j.Result.Status, quant.CacheMiss)
	}
	return out
}

// jobRequest reads and checks a job submission, naming the bad field. Its
// ids and party are resolved as GET requests' are (resolveRequest): with
// people merged the job's request names people by bioguide id.
func (s *Server) jobRequest(r *http.Request) (quant.Query, error) {
	req, err := s.jobBody(r)
	if err != nil {
		return quant.Query{}, err
	}
	if err := s.resolveRequest(r.Context(), &req, "params."); err != nil {
		return quant.Query{}, err
	}
	q, err := quant.NewQuery(req)
	var pe *quant.ParamError
	if errors.As(err, &pe) && pe.Param != "id" && pe.Param != "analysis" {
		err = quant.PrefixParam("params.", err)
	}
	return q, err
}

// jobBody reads a job submission's body into a Request, each explicit
// parameter checked (by quant's Check functions) and named "params.<name>".
func (s *Server) jobBody(r *http.Request) (quant.Request, error) {
	var in jobRequestJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if rerr := bodyReadError(err, s.cfg.ReadTimeout); rerr != nil {
			return quant.Request{}, rerr
		}
		return quant.Request{}, quant.Invalid("body", "want a JSON object {\"analysis\": ..., \"id\": ..., \"params\": {...}}: %s", clip(strings.TrimPrefix(err.Error(), "json: ")))
	}
	if _, err := dec.Token(); err != io.EOF {
		return quant.Request{}, quant.Invalid("body", "holds more than one JSON value")
	}
	req := quant.Request{Analysis: in.Analysis}
	if !in.Analysis.Valid() {
		return req, quant.Invalid("analysis", "must be one of %v, got %q", quant.Analyses, clip(string(in.Analysis)))
	}
	kind := "a politician id (1..%d of a-z, 0-9 and '-')"
	if s.cfg.MergePeople {
		kind = "a politician id (1..%d of a-z, 0-9 and '-') or a bioguide id (W000779)"
	}
	switch {
	case in.Analysis == quant.AnalysisCompliance && in.ID != "":
		// One politician's compliance; without an id, the ranking.
		if !s.analysisID(in.ID) {
			return req, quant.Invalid("id", "must be "+kind+", or absent for the compliance ranking", maxIDLen)
		}
		req.ID = in.ID
	case in.Analysis.PerPolitician():
		if !s.analysisID(in.ID) {
			return req, quant.Invalid("id", "must be "+kind+" for %s", maxIDLen, in.Analysis)
		}
		req.ID = in.ID
	case in.ID != "" && in.Analysis != quant.AnalysisCompliance:
		return req, quant.Invalid("id", "%s takes no politician id", in.Analysis)
	}
	p := in.Params
	ranking := in.Analysis == quant.AnalysisCompliance && in.ID == ""
	only := func(name string, set bool, a quant.Analysis) error {
		if set && in.Analysis != a {
			return quant.Invalid("params."+name, "applies to %s only, not %s", a, in.Analysis)
		}
		return nil
	}
	for _, e := range []error{
		only("k", p.K != nil, quant.AnalysisDTW),
		only("horizon", p.Horizon != nil, quant.AnalysisEnsemble),
		only("ids", p.IDs != nil, quant.AnalysisCorrelation),
		only("top", p.Top != nil, quant.AnalysisCorrelation),
		only("min_weight", p.MinWeight != nil, quant.AnalysisNetwork),
		only("min_records", p.MinRecords != nil, quant.AnalysisCompliance),
		only("sort", p.Sort != nil, quant.AnalysisCompliance),
		only("limit", p.Limit != nil, quant.AnalysisCompliance),
		only("chamber", p.Chamber != nil, quant.AnalysisCompliance),
		only("party", p.Party != nil, quant.AnalysisCompliance),
		only("state", p.State != nil, quant.AnalysisCompliance),
	} {
		if e != nil {
			return req, e
		}
	}
	if !ranking && in.Analysis == quant.AnalysisCompliance {
		for _, f := range []struct {
			name string
			set  bool
		}{{"min_records", p.MinRecords != nil}, {"sort", p.Sort != nil}, {"limit", p.Limit != nil}, {"chamber", p.Chamber != nil},
			{"party", p.Party != nil}, {"state", p.State != nil}} {
			if f.set {
				return req, quant.Invalid("params."+f.name, "applies to the compliance ranking (no id) only, not to one politician's compliance")
			}
		}
	}
	// Explicit values, 0 included, are checked by quant's Check functions
	// (a zero in a Request means "the default").
	set := func(v *int, check func(int) error, dst *int) error {
		if v == nil {
			return nil
		}
		*dst = *v
		return check(*v)
	}
	var checks []error
	checks = append(checks,
		set(p.K, quant.CheckK, &req.K),
		set(p.Horizon, quant.CheckHorizon, &req.Horizon),
		set(p.Top, quant.CheckTop, &req.Top),
		set(p.MinRecords, quant.CheckMinRecords, &req.MinRecords),
		set(p.Limit, quant.CheckLimit, &req.Limit))
	if p.IDs != nil {
		for _, id := range p.IDs {
			if !s.analysisID(id) {
				return req, s.badAnalysisID("params.ids", id)
			}
		}
		req.IDs = p.IDs
		checks = append(checks, quant.CheckIDs(p.IDs))
	}
	if p.MinWeight != nil {
		req.MinWeight = *p.MinWeight
		checks = append(checks, quant.CheckMinWeight(*p.MinWeight))
	}
	if p.Sort != nil {
		req.Sort = *p.Sort
		checks = append(checks, quant.CheckSort(*p.Sort))
	}
	// A filter given empty is refused: leaving it out means "every".
	text := func(name string, v *string, check func(string) error) error {
		switch {
		case v == nil:
			return nil
		case *v == "":
			return quant.Invalid(name, "is empty; leave it out for every %s", name)
		}
		return check(*v)
	}
	if p.Chamber != nil {
		req.Chamber = *p.Chamber
		checks = append(checks, text("chamber", (*string)(p.Chamber), func(c string) error { return quant.CheckChamber(quant.Chamber(c)) }))
	}
	if p.Party != nil {
		req.Party = *p.Party
		checks = append(checks, text("party", p.Party, quant.CheckParty))
	}
	if p.State != nil {
		req.State = strings.ToUpper(*p.State)
		checks = append(checks, text("state", &req.State, quant.CheckState))
	}
	for _, e := range checks {
		if e != nil {
			return req, quant.PrefixParam("params.", e)
		}
	}
	return req, nil
}

func (s *Server) submitJob(w http.ResponseWriter, r *http.Request) {
	// A job is a computation to come, and its answer a stored result:
	// refused while memory is short, before the body is read.
	if err := s.shedNow("job submissions"); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := &query{v: r.URL.Query()}
	q.only()
	err := q.err
	var req quant.Query
	if err == nil {
		req, err = s.jobRequest(r)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	submit := s.cfg.Jobs.Submit
	if noCache(r.Header) {
		submit = s.cfg.Jobs.SubmitFresh
	}
	job, created, err := submit(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := toJobJSON(job)
	h := w.Header()
	h.Set("Location", out.Location)
	if !job.State.Finished() {
		h.Set("Retry-After", "1")
	}
	if !created {
		h.Set("X-Job-Existing", "true") // the same work was queued, running or recently done
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(out)
}

// noCache reports whether a request's Cache-Control has no-cache: the
// client wants no stored answer (RFC 9111, 5.2.1.4), here no done job.
func noCache(h http.Header) bool {
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(d), "no-cache") {
				return true
			}
		}
	}
	return false
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	q := &query{v: r.URL.Query()}
	q.only()
	if q.err == nil && !jobs.ValidID(id) {
		q.fail("id", "must be a job id as POST /api/v1/jobs gives it (32 lower-case hex digits)")
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	job, err := s.cfg.Jobs.Job(r.Context(), id)
	if errors.Is(err, quant.ErrNotFound) {
		err = problem.WithDetail(err, "no job %q (finished jobs are kept for a day)", id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !job.State.Finished() {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, toJobJSON(job))
}
