package server

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// maxListed bounds the rejects and the notes an ingest answer lists; all
// are counted.
const maxListed = 1000

// ingestReadTimeout bounds the arrival of an ingest body: 32 MiB at
// about 110 KB/s (the server's read timeout of 30 s would need 1.1 MB/s).
const ingestReadTimeout = 5 * time.Minute

const ingestPath = "/api/v1/trades"

func (s *Server) ingestRoutes() {
	s.router.HandleFunc(ingestPath, s.ingestTrades).Methods(http.MethodPost)
}

// bodyLimit is the most a request's body may hold: MaxIngestBytes for an
// ingest, MaxBodyBytes for everything else.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodPost && r.URL.Path == ingestPath {
		return s.cfg.MaxIngestBytes
	}
	return s.cfg.MaxBodyBytes
}

// bearer checks r's Authorization header against token in constant time.
func bearer(r *http.Request, token string) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

// ingestResult is the answer to an ingest: what the body held (the
// fields of the ingest summary, as `quant import --json` gives them) and
// what the store did with it.
type ingestResult struct {
	Source  string                 `json:"source"`
	Sources []ingest.SourceSummary `json:"sources"` // the body: content, elements by format
	// Filings counts the Senate filings read (paper filings with no
	// transaction included), EmptyFilings those; the store's own count
	// of filings is in Store.
	Filings          int                     `json:"filings"`
	EmptyFilings     int                     `json:"empty_filings"`
	RowsRead         int                     `json:"rows_read"`
	Records          int                     `json:"records"`
	RecordsByChamber map[quant.Chamber]int   `json:"records_by_chamber"`
	Rejected         int                     `json:"rejected"`
	RejectsByReason  map[ingest.Reason]int   `json:"rejects_by_reason"`
	Rejects          []ingest.Reject         `json:"rejects"`
	RejectsTruncated bool                    `json:"rejects_truncated,omitempty"`
	NotesByKind      map[ingest.NoteKind]int `json:"notes_by_kind"`
	Notes            []ingest.Note           `json:"notes"`
	NotesTruncated   bool                    `json:"notes_truncated,omitempty"`
	// Replaced and DatasetVersion repeat Store's (the dataset version
	// unchanged when nothing was stored).
	Replaced       int           `json:"replaced"`
	DatasetVersion int64         `json:"dataset_version,string"`
	Store          *ImportReport `json:"store"` // null when nothing was stored (422)
	DurationMS     float64       `json:"duration_ms"`
}

// ImportReport is a store's quant.ImportResult as the ingest answer and
// `quant import --json` give it.
type ImportReport struct {
	Records          int   `json:"records"`
	Replaced         int   `json:"replaced"`
	Unchanged        int   `json:"unchanged"`
	Filings          int   `json:"filings"`
	FilingsAdded     int   `json:"filings_added"`
	FilingsReplaced  int   `json:"filings_replaced"`
	FilingsUnchanged int   `json:"filings_unchanged"`
	Changed          bool  `json:"changed"`
	DatasetVersion   int64 `json:"dataset_version,string"`
}

// NewImportReport returns res's report.
func NewImportReport(res quant.ImportResult) *ImportReport {
	return &ImportReport{
		Records: res.Records, Replaced: res.Replaced, Unchanged: res.Unchanged,
		Filings: res.Filings, FilingsAdded: res.FilingsAdded, FilingsReplaced: res.FilingsReplaced,
		FilingsUnchanged: res.FilingsUnchanged, Changed: res.Changed, DatasetVersion: res.DatasetVersion,
	}
}

// ingestTrades stores the records of a disclosure file sent as the body
// (Senate CSV; Senate JSON, Senate filings or House JSON) as one
// all-or-nothing import: the
// dataset version moves, so no cached analysis outlives the new data on
// any instance. Rejected records are listed and the rest kept; a body with
// no acceptable record changes nothing (422).
func (s *Server) ingestTrades(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if s.cfg.IngestToken == "" {
		s.writeError(w, r, problem.WithDetail(problem.ErrForbidden, "ingest over HTTP is disabled: start the server with --ingest-token (QUANT_INGEST_TOKEN)"))
		return
	}
	if !bearer(r, s.cfg.IngestToken) {
		s.writeError(w, r, problem.WithDetail(problem.ErrUnauthorized, "ingest needs the header Authorization: Bearer <ingest token>"))
		return
	}
	// An ingest holds its body and the parsed records in memory: refused
	// while memory is short, before the body is read.
	if err := s.shedNow("ingest"); err != nil {
		s.writeError(w, r, err)
		return
	}
	q := &query{v: r.URL.Query()}
	q.only("source", "force")
	source := q.single("source")
	force := q.single("force")
	if force != "" && force != "true" && force != "false" {
		q.fail("force", "must be true or false, got %q", clip(force))
	}
	if len(source) > 200 || !utf8.ValidString(source) || strings.ContainsFunc(source, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		q.fail("source", "must be at most 200 printable characters (UTF-8)")
	}
	if source == "" {
		source = "api"
	}
	var format ingest.Format
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err != nil && r.Header.Get("Content-Type") != "":
		q.fail("Content-Type", "cannot be parsed: %v", err)
	case mt == "text/csv":
		format = ingest.FormatCSV
	case mt == "application/json":
		format = ingest.FormatJSON
	default:
		if q.err == nil {
			s.writeError(w, r, problem.WithDetail(problem.ErrMediaType, "send text/csv (the Senate CSV) or application/json (Senate JSON, Senate filings or House JSON), not %q", clip(mt)))
			return
		}
	}
	if q.err != nil {
		s.writeError(w, r, q.err)
		return
	}
	// One ingest at a time: each holds its body in memory.
	select {
	case s.ingests <- struct{}{}:
		defer func() { <-s.ingests }()
	case <-r.Context().Done():
		s.writeError(w, r, r.Context().Err())
		return
	}
	// A large file over a slow link needs longer than the server's read
	// timeout; the client has shown its token.
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(ingestReadTimeout))
	rc.SetWriteDeadline(time.Now().Add(ingestReadTimeout + time.Minute)) // then parse, import, answer
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		switch rerr := bodyReadError(err, ingestReadTimeout); {
		case errors.As(err, &mbe):
			s.writeError(w, r, problem.WithDetail(problem.ErrTooLarge, "the body exceeds %d bytes; split the file or raise --ingest-max-bytes", mbe.Limit))
		case rerr != nil:
			s.writeError(w, r, rerr)
		default:
			s.writeError(w, r, quant.Invalid("body", "cannot be read: %s", clip(err.Error())))
		}
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		s.writeError(w, r, quant.Invalid("body", "is empty; send the disclosure file as the body"))
		return
	}
	fp, _, err := ingest.Fingerprint(bytes.NewReader(body))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Parse twice rather than keep the records: a first pass counts and
	// lists the rejects (a body with no acceptable record must leave the
	// store and its version untouched), the second streams into the
	// store. Kept, the records of a 32 MiB body took 1.5 GiB of heap.
	sum := ingest.NewSummary(source, time.Now())
	accepted := 0
	p := &ingest.Parser{Format: format}
	for tr, err := range p.Records(bytes.NewReader(body), sum) {
		if err != nil {
			s.writeError(w, r, quant.Invalid("body", "%v", strings.TrimPrefix(err.Error(), "ingest: ")))
			return
		}
		sum.Add(&tr)
		if accepted++; accepted%4096 == 0 && r.Context().Err() != nil {
			s.writeError(w, r, r.Context().Err())
			return
		}
	}
	sum.Finish()
	out := ingestResult{
		Source: source, Sources: sum.Sources, Filings: sum.Filings, EmptyFilings: sum.EmptyFilings,
		RowsRead: sum.RowsRead, Records: accepted, RecordsByChamber: sum.RecordsByChamber,
		Rejected: sum.Rejected, RejectsByReason: sum.RejectsByReason, Rejects: orEmpty(sum.Rejects),
		RejectsTruncated: sum.RejectsTruncated || len(sum.Rejects) > maxListed,
		NotesByKind:      sum.NotesByKind, Notes: orEmpty(sum.Notes),
		NotesTruncated: sum.NotesTruncated || len(sum.Notes) > maxListed,
	}
	out.Rejects = out.Rejects[:min(len(out.Rejects), maxListed)]
	out.Notes = out.Notes[:min(len(out.Notes), maxListed)]
	if accepted == 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		v, _ := s.cfg.Store.DatasetVersion(r.Context())
		out.DatasetVersion = v
		out.DurationMS = msSince(start)
		json.NewEncoder(w).Encode(out)
		return
	}
	info := quant.ImportInfo{Source: source, Fingerprint: fp, Force: force == "true", AsOf: start}
	res, err := s.cfg.Store.Import(r.Context(), info, p.Records(bytes.NewReader(body), nil))
	if errors.Is(err, quant.ErrAlreadyImported) {
		err = problem.WithDetail(err, "this exact file is already stored; add ?force=true to replace its records")
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out.Records, out.Replaced, out.DatasetVersion = res.Records, res.Replaced, res.DatasetVersion
	out.Store = NewImportReport(res)
	out.DurationMS = msSince(start)
	s.cfg.Logger.Info("ingest", "request_id", requestID(r.Context()), "source", source,
		"records", res.Records, "rejected", out.Rejected, "notes", len(sum.Notes), "replaced", res.Replaced,
		"unchanged", res.Unchanged, "filings", res.Filings, "changed", res.Changed, "dataset_version", res.DatasetVersion)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(out)
}

func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
