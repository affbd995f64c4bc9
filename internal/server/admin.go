package server

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
)

// AdminConfig configures the admin API.
type AdminConfig struct {
	Controller quant.Controller // required
	// Token, when set, must come as "Authorization: Bearer <token>" on
	// every admin request (compared in constant time): it may do
	// everything. The command refuses to listen beyond loopback without
	// one.
	Token string
	// ReadToken, when set, is a second bearer token that may only read:
	// GET the snapshot, /metrics, the breakers and /healthz. Every action
	// and pprof answer it 403. Set it with Token (the command refuses it
	// alone): with ReadToken alone no request may act.
	ReadToken string
	Logger    *slog.Logger // nil discards
	Version   string
}

// Admin serves the operator's API: the snapshot the console shows, the
// cache flush, breaker overrides, Prometheus metrics and pprof.
type Admin struct {
	cfg    AdminConfig
	router *mux.Router
	reg    *prometheus.Registry
	// requests counts the admin API's own traffic, apart from the public
	// API's.
	requests *RequestStats
}

// adminMaxBody bounds an admin request's body (a breaker action's reason).
const adminMaxBody = 64 << 10

// NewAdmin returns the admin API over cfg.Controller.
func NewAdmin(cfg AdminConfig) *Admin {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Admin{cfg: cfg, router: mux.NewRouter(), reg: prometheus.NewRegistry(), requests: newRequestStats()}
	a.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&snapshotCollector{c: cfg.Controller, version: cfg.Version},
	)
	r := a.router
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, problem.WithDetail(quant.ErrNotFound, "no such admin endpoint: %s", r.URL.Path))
	})
	r.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, healthJSON{Status: "ok", Version: cfg.Version})
	}).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/admin/v1/snapshot", a.snapshot).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/admin/v1/cache/flush", a.flush).Methods(http.MethodPost)
	r.HandleFunc("/admin/v1/breakers", a.breakers).Methods(http.MethodGet)
	r.HandleFunc("/admin/v1/breakers/{name}/{action}", a.breaker).Methods(http.MethodPost)
	r.Handle("/metrics", promhttp.HandlerFor(a.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)})).Methods(http.MethodGet, http.MethodHead)
	// No /debug/pprof/cmdline: the command line holds --database-url and
	// tokens given as flags, and profiles do not need it.
	// A profile's or a trace's seconds is bounded (pprof takes any, and a
	// malformed one as its default): a profile of hours holds a connection
	// and the profiler, which runs one at a time.
	r.HandleFunc("/debug/pprof/", a.boundedSeconds(pprof.Index))
	r.HandleFunc("/debug/pprof/profile", a.boundedSeconds(pprof.Profile))
	r.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	r.HandleFunc("/debug/pprof/trace", a.boundedSeconds(pprof.Trace))
	r.PathPrefix("/debug/pprof/").HandlerFunc(a.boundedSeconds(pprof.Index))
	r.UseEncodedPath()
	r.Use(unescapeVars, strictQuery(a.writeError))
	return a
}

// maxProfileSeconds bounds the seconds of a profile, a trace or a delta
// profile (/debug/pprof/heap?seconds=N); HTTPServer's write timeout leaves
// room for it.
const maxProfileSeconds = 60

// boundedSeconds answers 400 for a seconds parameter that is not a whole
// number of seconds in 1..maxProfileSeconds (for a trace, any number in
// that range), then serves h.
func (a *Admin) boundedSeconds(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// pprof reads it with FormValue: the query or a form body.
		v := r.FormValue("seconds")
		if _, given := r.Form["seconds"]; !given {
			h(w, r)
			return
		}
		parse := func(s string) (float64, error) { n, err := strconv.ParseInt(s, 10, 64); return float64(n), err }
		if strings.HasSuffix(r.URL.Path, "/trace") {
			parse = func(s string) (float64, error) { return strconv.ParseFloat(s, 64) }
		}
		if sec, err := parse(v); err != nil || !(sec > 0 && sec <= maxProfileSeconds) {
			a.writeError(w, r, quant.Invalid("seconds", "must be a number of seconds in 1..%d, got %q", maxProfileSeconds, clip(v)))
			return
		}
		h(w, r)
	}
}

// Handler returns the admin API behind its browser guard and token check.
func (a *Admin) Handler() http.Handler {
	mw := middleware{log: a.cfg.Logger, requests: a.requests, bodyLimit: func(*http.Request) int64 { return adminMaxBody }}
	return mw.wrap(a.browserGuard(a.authorize(a.router)))
}

// writeError answers with the problem that err maps to (problem.Write,
// under this request's id), as the public API does.
func (a *Admin) writeError(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, a.cfg.Logger, requestID(r.Context()), err)
}

// browserGuard keeps web pages away from the admin API. A page the
// operator opens could otherwise send it a POST (force every breaker open,
// flush the cache) or, by DNS rebinding a name of its own to 127.0.0.1,
// read it. Cross-origin state-changing browser requests are refused (the
// standard library's CrossOriginProtection: Sec-Fetch-Site, Origin), and
// without a token only requests addressed to localhost or a loopback
// address are served: a rebound name is neither. (With a token a page
// cannot authenticate: browsers send no Authorization header by
// themselves.)
func (a *Admin) browserGuard(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, problem.WithDetail(problem.ErrForbidden, "cross-origin browser requests to the admin API are refused"))
	}))
	h := cop.Handler(next)
	if a.cfg.Token != "" || a.cfg.ReadToken != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			a.writeError(w, r, problem.WithDetail(problem.ErrForbidden,
				"without a token the admin API answers only requests addressed to localhost or a loopback address, not %q", clip(r.Host)))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether a host (a Host header, a listen address)
// names this machine's loopback: localhost or a loopback address, with or
// without a port.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// adminReadTimeout bounds reading an admin request, its body included.
const adminReadTimeout = 10 * time.Second

// HTTPServer returns an http.Server for the admin API on addr. Its write
// timeout allows the longest CPU profile (maxProfileSeconds).
func (a *Admin) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           a.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       adminReadTimeout,
		WriteTimeout:      90 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(a.cfg.Logger.Handler(), slog.LevelWarn),
	}
}

// tokenRole names the token a request came with: what the action log
// says acted.
type tokenRole string

// The roles of authorize.
const (
	roleNone  tokenRole = "none"  // no token configured: loopback only, anything goes
	roleRead  tokenRole = "read"  // the read token: reads only
	roleAdmin tokenRole = "admin" // the admin token: everything
)

type roleKey struct{}

// roleOf returns the role authorize gave r.
func roleOf(r *http.Request) tokenRole {
	if role, ok := r.Context().Value(roleKey{}).(tokenRole); ok {
		return role
	}
	return roleNone
}

// readOnly lists what the read token may do: GET (or HEAD) these paths.
var readOnly = map[string]bool{"/admin/v1/snapshot": true, "/metrics": true, "/admin/v1/breakers": true, "/healthz": true}

// authorize requires a bearer token when one is configured: the admin
// token for everything, the read token for the readOnly requests. A
// request refused is logged with where it came from.
func (a *Admin) authorize(next http.Handler) http.Handler {
	if a.cfg.Token == "" && a.cfg.ReadToken == "" {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roleKey{}, roleNone)))
		})
	}
	match := func(got []byte, want string) bool {
		return want != "" && subtle.ConstantTimeCompare(got, []byte(want)) == 1
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		// Both compared every time: which one matched shows in no timing.
		isAdmin, isRead := match([]byte(got), a.cfg.Token), match([]byte(got), a.cfg.ReadToken)
		var role tokenRole
		switch {
		case ok && isAdmin:
			role = roleAdmin
		case ok && isRead:
			role = roleRead
		default:
			a.cfg.Logger.Warn("admin: refused, no valid token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "request_id", requestID(r.Context()))
			w.Header().Set("WWW-Authenticate", `Bearer realm="quant admin"`)
			a.writeError(w, r, problem.WithDetail(problem.ErrUnauthorized, "the admin API needs Authorization: Bearer <QUANT_ADMIN_TOKEN>"))
			return
		}
		if role == roleRead && !((r.Method == http.MethodGet || r.Method == http.MethodHead) && readOnly[r.URL.Path]) {
			a.cfg.Logger.Warn("admin: refused, the read token may not", "token", role, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "request_id", requestID(r.Context()))
			what := "the read token (QUANT_ADMIN_READ_TOKEN) may only GET /admin/v1/snapshot, /admin/v1/breakers, /metrics and /healthz; actions and pprof need the admin token (QUANT_ADMIN_TOKEN)"
			if a.cfg.Token == "" {
				what += ", and none is configured"
			}
			a.writeError(w, r, problem.WithDetail(problem.ErrForbidden, "%s", what))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), roleKey{}, role)))
	})
}

// actor is what every action's log line says of who acted: the token and
// the remote address (never the token itself).
func actor(r *http.Request) []any {
	return []any{"token", roleOf(r), "remote", r.RemoteAddr, "request_id", requestID(r.Context())}
}

func (a *Admin) snapshot(w http.ResponseWriter, r *http.Request) {
	snap, err := a.cfg.Controller.Snapshot(r.Context())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, snap)
}

// breakersAnswer is the answer of GET /admin/v1/breakers.
type breakersAnswer struct {
	Breakers []quant.BreakerSnapshot `json:"breakers"` // one per analysis; empty without breakers
}

// breakers answers GET /admin/v1/breakers: every breaker's snapshot, as
// the full snapshot has them.
func (a *Admin) breakers(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only()
	if q.err != nil {
		a.writeError(w, r, q.err)
		return
	}
	snap, err := a.cfg.Controller.Snapshot(r.Context())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	ans := breakersAnswer{Breakers: snap.Breakers}
	if ans.Breakers == nil {
		ans.Breakers = []quant.BreakerSnapshot{}
	}
	writeJSON(w, ans)
}

// sharing is what every action's answer adds: whether the action reached
// the other instances and, when it did not, what did not reach them.
type sharing struct {
	// Shared is true when the action was published to the other instances
	// or when there are none to share it with (no Redis configured).
	Shared bool   `json:"shared"`
	Detail string `json:"detail,omitempty"`
}

// shared reads an action's error: nil, or what a *quant.NotSharedError
// says did not reach the other instances (logged with its cause). Any
// other error is the action's failure, returned.
func (a *Admin) shared(r *http.Request, action string, err error) (sharing, error) {
	var ns *quant.NotSharedError
	switch {
	case err == nil:
		return sharing{Shared: true}, nil
	case errors.As(err, &ns):
		a.cfg.Logger.Warn("admin: "+action+" done here, not shared", "detail", ns.What, "err", ns.Cause, "request_id", requestID(r.Context()))
		return sharing{Detail: "done on this instance; " + ns.What}, nil
	}
	return sharing{}, err
}

// flushAnswer is the answer of POST /admin/v1/cache/flush.
type flushAnswer struct {
	Status   string         `json:"status"`             // "flushed"
	Analysis quant.Analysis `json:"analysis,omitempty"` // the selection; both empty: every answer
	ID       string         `json:"id,omitempty"`
	// Removed counts the entries this instance removed from its own
	// level and from the shared one (Redis); the other instances remove
	// what they hold when the bus message reaches them, uncounted here.
	Removed quant.Flushed `json:"removed"`
	sharing
}

// flushParams are the parameters of POST /admin/v1/cache/flush.
var flushParams = []string{"analysis", "id", "reason"}

// flush answers POST /admin/v1/cache/flush: it removes the cached
// answers of ?analysis= and/or involving ?id= (see quant.CacheSelection;
// neither: every answer), for an optional ?reason=, on every instance.
// An unknown, repeated or empty parameter is a 400: the most destructive
// call must not be what a typo makes.
func (a *Admin) flush(w http.ResponseWriter, r *http.Request) {
	q := &query{v: r.URL.Query()}
	q.only(flushParams...)
	for _, p := range []struct{ name, all string }{{"analysis", "every analysis"}, {"id", "every politician's answers"}} {
		if vs := q.v[p.name]; len(vs) == 1 && vs[0] == "" {
			// "?analysis=$A" with A unset must not flush everything.
			q.fail(p.name, "is empty; leave it out to flush %s", p.all)
		}
	}
	sel := quant.CacheSelection{Analysis: quant.Analysis(q.single("analysis")), ID: q.single("id")}
	reason := q.single("reason")
	if q.err != nil {
		a.writeError(w, r, q.err)
		return
	}
	if sel.Analysis != "" && !sel.Analysis.Valid() {
		a.writeError(w, r, quant.Invalid("analysis", "must be one of %v, got %q", quant.Analyses, clip(string(sel.Analysis))))
		return
	}
	if sel.ID != "" && !quant.ValidPoliticianID(sel.ID) && !quant.ValidBioguide(sel.ID) {
		a.writeError(w, r, quant.Invalid("id", "must be a politician id (1..%d of a-z, 0-9 and '-') or a bioguide id, got %q", maxIDLen, clip(sel.ID)))
		return
	}
	if err := checkReason(reason); err != nil {
		a.writeError(w, r, err)
		return
	}
	removed, err := a.cfg.Controller.FlushCache(r.Context(), sel, reason)
	sh, err := a.shared(r, "cache flush", err)
	if err != nil {
		a.cfg.Logger.Warn("admin: cache flush failed", append(actor(r), "analysis", sel.Analysis, "id", sel.ID, "reason", reason, "err", err)...)
		a.writeError(w, r, err)
		return
	}
	a.cfg.Logger.Info("admin: cache flushed", append(actor(r), "analysis", sel.Analysis, "id", sel.ID, "reason", reason,
		"removed_memory", removed.Memory, "removed_redis", removed.Redis, "shared", sh.Shared)...)
	writeJSON(w, flushAnswer{Status: "flushed", Analysis: sel.Analysis, ID: sel.ID, Removed: removed, sharing: sh})
}

// checkReason checks an operator's reason: it is drawn on every
// instance's console and written to the logs, so a newline or an escape
// sequence would break (or drive) the operators' terminals.
func checkReason(reason string) error {
	if len(reason) > 200 || !utf8.ValidString(reason) || strings.ContainsFunc(reason, unicode.IsControl) {
		return quant.Invalid("reason", "must be at most 200 bytes of printable text (UTF-8, no control characters)")
	}
	return nil
}

// breakerRequest is the optional body of a breaker action; the same fields
// may come as query parameters (which win).
type breakerRequest struct {
	Reason string `json:"reason"`
	// Until is an RFC 3339 expiry; For a duration from now ("10m").
	Until string `json:"until"`
	For   string `json:"for"`
}

// breakerParams are the fields of a breakerRequest, in the body or the
// query.
var breakerParams = []string{"reason", "until", "for"}

// fields yields each of breakerParams with its field, in that order.
func (br *breakerRequest) fields() iter.Seq2[string, *string] {
	return func(yield func(string, *string) bool) {
		for i, dst := range []*string{&br.Reason, &br.Until, &br.For} {
			if !yield(breakerParams[i], dst) {
				return
			}
		}
	}
}

// breakerAnswer is the answer of a breaker action: the breaker's snapshot
// and whether the action was shared.
type breakerAnswer struct {
	quant.BreakerSnapshot
	sharing
}

// readBreakerRequest reads a breaker action's body and query: an unknown
// field or parameter, a parameter given twice or anything after the JSON
// object is a 400 naming it.
func readBreakerRequest(r *http.Request) (breakerRequest, error) {
	var br breakerRequest
	if r.ContentLength != 0 && r.Body != nil {
		var fields map[string]json.RawMessage
		dec := json.NewDecoder(r.Body)
		err := dec.Decode(&fields)
		switch {
		case errors.Is(err, io.EOF):
		case err != nil:
			if rerr := bodyReadError(err, adminReadTimeout); rerr != nil {
				return br, rerr // the transport's failure (slow, too large), not the JSON's
			}
			return br, quant.Invalid("body", "must be a JSON object {reason, until, for}: %v", err)
		case dec.More() || dec.Decode(new(json.RawMessage)) != io.EOF:
			return br, quant.Invalid("body", "must be one JSON object {reason, until, for}, with nothing after it")
		}
		if unknown := unknownNames(maps.Keys(fields), breakerParams); len(unknown) > 0 {
			return br, quant.Invalid(clip(unknown[0]), "unknown field %s; the body takes %s", strings.Join(unknown, ", "), strings.Join(breakerParams, ", "))
		}
		for k, dst := range br.fields() {
			if raw, ok := fields[k]; ok {
				if err := json.Unmarshal(raw, dst); err != nil {
					return br, quant.Invalid(k, "must be a JSON string")
				}
			}
		}
	}
	q := &query{v: r.URL.Query()}
	q.only(breakerParams...)
	for k, dst := range br.fields() {
		if v := q.single(k); v != "" {
			*dst = v
		}
	}
	return br, q.err
}

func (a *Admin) breaker(w http.ResponseWriter, r *http.Request) {
	vars := mux.Vars(r)
	name, action := vars["name"], vars["action"]
	br, err := readBreakerRequest(r)
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	var until time.Time
	switch {
	case br.Until != "" && br.For != "":
		a.writeError(w, r, quant.Invalid("for", "give until or for, not both"))
		return
	case br.Until != "":
		t, err := time.Parse(time.RFC3339, br.Until)
		if err != nil {
			a.writeError(w, r, quant.Invalid("until", "must be an RFC 3339 time, got %q", clip(br.Until)))
			return
		}
		if !t.After(time.Now()) {
			// The zero time would read as "no expiry": an override meant
			// to end would stay for good.
			a.writeError(w, r, quant.Invalid("until", "must be in the future, got %q; leave it out for no expiry", clip(br.Until)))
			return
		}
		until = t
	case br.For != "":
		d, err := time.ParseDuration(br.For)
		if err != nil || d <= 0 {
			a.writeError(w, r, quant.Invalid("for", "must be a positive duration such as 10m, got %q", clip(br.For)))
			return
		}
		until = time.Now().Add(d)
	}
	if err := checkReason(br.Reason); err != nil {
		a.writeError(w, r, err)
		return
	}
	sh, err := a.shared(r, "breaker "+action, a.cfg.Controller.SetBreaker(r.Context(), name, action, br.Reason, until))
	if err != nil {
		a.cfg.Logger.Warn("admin: breaker action failed", append(actor(r), "breaker", clip(name), "action", clip(action), "reason", br.Reason, "err", err)...)
		a.writeError(w, r, err)
		return
	}
	a.cfg.Logger.Info("admin: breaker set", append(actor(r), "breaker", name, "action", action, "reason", br.Reason, "until", until, "shared", sh.Shared)...)
	snap, err := a.cfg.Controller.Snapshot(r.Context())
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	for _, b := range snap.Breakers {
		if b.Name == name {
			writeJSON(w, breakerAnswer{BreakerSnapshot: b, sharing: sh})
			return
		}
	}
	writeJSON(w, struct {
		Status string `json:"status"`
		sharing
	}{"ok", sh})
}

// collectTimeout bounds the snapshot a scrape reads.
const collectTimeout = 5 * time.Second

// snapshotCollector turns the Controller's Snapshot into Prometheus
// metrics at scrape time: the components' own figures, no second
// bookkeeping and no global registry.
type snapshotCollector struct {
	c       quant.Controller
	version string
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("quant_"+name, help, labels, nil)
}

var (
	descBuildInfo       = desc("build_info", "Build information of the running quant.", "version")
	descDatasetVersion  = desc("dataset_version", "The dataset version every cache key carries (exact below 2^53; quant_dataset_info has it exactly).")
	descDatasetInfo     = desc("dataset_info", "1, with the dataset version every cache key carries as a label, in full (absent while the store does not answer).", "version")
	descPoolCapacity    = desc("pool_capacity", "Calls a bulkhead pool runs at once.", "pool")
	descPoolQueueLimit  = desc("pool_queue_limit", "Calls a bulkhead pool lets wait.", "pool")
	descPoolInFlight    = desc("pool_in_flight", "Calls running in a bulkhead pool now.", "pool")
	descPoolWaiting     = desc("pool_waiting", "Calls waiting in a bulkhead pool's queue now.", "pool")
	descPoolAdmitted    = desc("pool_admitted_total", "Calls a bulkhead pool admitted.", "pool")
	descPoolRejected    = desc("pool_rejected_total", "Calls refused at once because the queue was full.", "pool")
	descPoolTimedOut    = desc("pool_timed_out_total", "Calls refused after waiting the pool's max wait.", "pool")
	descPoolCanceled    = desc("pool_canceled_total", "Calls whose caller left while waiting.", "pool")
	descPoolWait        = desc("pool_wait_seconds", "Time calls waited for a slot.", "pool")
	descBreakerState    = desc("breaker_state", "1 for the breaker's current state.", "analysis", "state")
	descBreakerForced   = desc("breaker_forced", "1 when an operator forced the breaker, by mode.", "analysis", "mode")
	descBreakerRejected = desc("breaker_rejected_total", "Calls the breaker refused.", "analysis")
	descBreakerTrans    = desc("breaker_transitions_total", "State changes of the breaker.", "analysis")
	descCompute         = desc("compute_seconds", "Time an analysis' computations held their pool slot, by outcome (ok, error).", "analysis", "outcome")
	descCacheLookups    = desc("cache_lookups_total", "Answer cache lookups by analysis and result (hit, stale, miss, coalesced).", "analysis", "result")
	descCacheRefreshes  = desc("cache_refreshes_total", "Background refreshes, by trigger.", "trigger")
	descCacheErrors     = desc("cache_backend_errors_total", "Errors of the cache backend.")
	descCacheEntries    = desc("cache_entries", "Entries in the answer cache.", "backend")
	descCacheBytes      = desc("cache_bytes", "Bytes in the answer cache.", "backend")
	descCacheHealthy    = desc("cache_healthy", "1 while the cache backend answers.", "backend")
	descCoalInFlight    = desc("coalescing_in_flight", "Computations in the guard now, running or waiting for a slot (each one shared fill of the cache).")
	descCoalLeaders     = desc("coalescing_leaders_total", "Computations the cache started (fills: a miss, a read past the SWR window or a refresh).")
	descCoalJoined      = desc("coalescing_joined_total", "Requests that shared another's computation (the cache's coalesced answers).")
	descStoreReachable  = desc("store_reachable", "1 while the trade store answers.", "backend")
	descStoreTrades     = desc("store_trades", "Trade records in the store.", "backend")
	descStoreConns      = desc("store_connections", "Store pool connections, by state.", "state")
	descStoreMaxConns   = desc("store_max_connections", "The store pool's connection limit.")
	descStoreAcquires   = desc("store_acquires_total", "Connections acquired from the store pool.")
	descStoreEmpty      = desc("store_empty_acquires_total", "Acquires that had to wait for a connection.")
	descStoreCanceled   = desc("store_canceled_acquires_total", "Acquires canceled while waiting.")
	descStoreWait       = desc("store_acquire_wait_seconds_total", "Time spent waiting for connections.")
	descHTTPInFlight    = desc("http_requests_in_flight", "API requests being served now.")
	descHTTPRequests    = desc("http_requests_total", "API requests by route template, method and status code.", "route", "method", "code")
	descHTTPDuration    = desc("http_request_duration_seconds", "API request latency by route.", "route")
	descJobsRunning     = desc("jobs_running", "Jobs this instance's workers hold now.")
	descJobsFinished    = desc("jobs_finished_total", "Jobs this instance's workers finished, by outcome.", "outcome")
	descJobsStore       = desc("jobs", "Every instance's jobs in the shared store, by state.", "state")
	descClusterSize     = desc("cluster_instances", "Instances announcing themselves on the shared Redis.")
	descClusterHitRate  = desc("cluster_cache_hit_rate", "The answer cache's hit rate across the instances.")
	descConns           = desc("http_connections", "API connections open now.")
	descMaxConns        = desc("http_max_connections", "The API's connection limit.")
	descRateLimited     = desc("rate_limited_total", "API requests refused with 429 (per-client rate limit).")
	descShedding        = desc("memory_shedding", "1 while cold analyses, ingest and job submissions are shed for memory pressure.")
	descShed            = desc("memory_shed_total", "API requests refused with 503 for memory pressure.")
	descReclaims        = desc("memory_reclaims_total", "Times the answer cache gave memory back under memory pressure.")
	descReclaimedEnt    = desc("memory_reclaimed_entries_total", "Cache entries removed to give memory back.")
	descReclaimedBytes  = desc("memory_reclaimed_bytes_total", "Bytes of cache entries removed to give memory back.")
	descCacheCap        = desc("memory_cache_cap_bytes", "The bound the answer cache is held to under memory pressure (0: its configured bound).")
	descHeapLive        = desc("memory_heap_live_bytes", "The heap the last GC found live (what shedding watches).")
	descMemLimit        = desc("memory_limit_bytes", "The Go runtime's soft memory limit (0: none).")
)

// Describe implements prometheus.Collector.
func (c *snapshotCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBuildInfo, descDatasetVersion, descDatasetInfo, descCompute, descPoolCapacity, descPoolQueueLimit,
		descPoolInFlight, descPoolWaiting, descPoolAdmitted, descPoolRejected, descPoolTimedOut, descPoolCanceled,
		descPoolWait, descBreakerState, descBreakerForced, descBreakerRejected, descBreakerTrans, descCacheLookups,
		descCacheRefreshes, descCacheErrors, descCacheEntries, descCacheBytes, descCacheHealthy, descCoalInFlight,
		descCoalLeaders, descCoalJoined, descStoreReachable, descStoreTrades, descStoreConns, descStoreMaxConns,
		descStoreAcquires, descStoreEmpty, descStoreCanceled, descStoreWait, descHTTPInFlight, descHTTPRequests,
		descHTTPDuration, descJobsRunning, descJobsFinished, descJobsStore, descClusterSize, descClusterHitRate,
		descConns, descMaxConns, descRateLimited, descShedding, descShed, descHeapLive, descMemLimit,
		descReclaims, descReclaimedEnt, descReclaimedBytes, descCacheCap} {
		ch <- d
	}
}

// histogramOf converts a Latency to a Prometheus histogram in seconds.
func histogramOf(d *prometheus.Desc, l quant.Latency, labels ...string) prometheus.Metric {
	buckets := make(map[float64]uint64, len(l.Buckets))
	for _, b := range l.Buckets {
		if b.LeMS >= 0 {
			buckets[b.LeMS/1000] = uint64(b.Count)
		}
	}
	return prometheus.MustNewConstHistogram(d, uint64(l.Count), l.SumMS/1000, buckets, labels...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Collect implements prometheus.Collector.
func (c *snapshotCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	s, err := c.c.Snapshot(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descDatasetVersion, err)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	counter := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, l...)
	}
	gauge(descBuildInfo, 1, c.version)
	// A float64 holds every integer up to 2^53 exactly, the versions of
	// quant's stores until the year 2255; the info metric's label holds
	// any version exactly, for a reader that joins on it or compares it
	// with the API's meta.dataset_version. It is left out while the store
	// does not answer (the version is not known then, and a version "0"
	// would be a series of its own).
	gauge(descDatasetVersion, float64(s.DatasetVersion))
	if s.Store.Reachable {
		gauge(descDatasetInfo, 1, strconv.FormatInt(s.DatasetVersion, 10))
	}
	for _, p := range s.Pools {
		gauge(descPoolCapacity, float64(p.Capacity), p.Name)
		gauge(descPoolQueueLimit, float64(p.QueueLimit), p.Name)
		gauge(descPoolInFlight, float64(p.InFlight), p.Name)
		gauge(descPoolWaiting, float64(p.Waiting), p.Name)
		counter(descPoolAdmitted, float64(p.Admitted), p.Name)
		counter(descPoolRejected, float64(p.Rejected), p.Name)
		counter(descPoolTimedOut, float64(p.TimedOut), p.Name)
		counter(descPoolCanceled, float64(p.Canceled), p.Name)
		ch <- histogramOf(descPoolWait, p.Wait, p.Name)
	}
	for _, b := range s.Breakers {
		for _, st := range []string{"closed", "open", "half_open"} {
			gauge(descBreakerState, b2f(b.State == st), b.Name, st)
		}
		for _, m := range []string{"forced_open", "forced_closed"} {
			gauge(descBreakerForced, b2f(b.Mode == m), b.Name, m)
		}
		counter(descBreakerRejected, float64(b.Rejected), b.Name)
		counter(descBreakerTrans, float64(b.Transitions), b.Name)
	}
	for _, ct := range s.Computes {
		ch <- histogramOf(descCompute, ct.OK, string(ct.Analysis), "ok")
		ch <- histogramOf(descCompute, ct.Failed, string(ct.Analysis), "error")
	}
	cs := s.Cache
	for _, l := range cs.ByAnalysis {
		an := string(l.Analysis)
		counter(descCacheLookups, float64(l.Hits), an, "hit")
		counter(descCacheLookups, float64(l.Misses), an, "miss")
		counter(descCacheLookups, float64(l.Stale), an, "stale")
		counter(descCacheLookups, float64(l.Coalesced), an, "coalesced")
	}
	counter(descCacheRefreshes, float64(cs.Refreshes), "stale")
	counter(descCacheRefreshes, float64(cs.EarlyRefreshes), "early")
	counter(descCacheErrors, float64(cs.Errors))
	if cs.Backend != "" {
		gauge(descCacheEntries, float64(cs.Entries), cs.Backend)
		gauge(descCacheBytes, float64(cs.Bytes), cs.Backend)
		gauge(descCacheHealthy, b2f(cs.Healthy), cs.Backend)
	}
	gauge(descCoalInFlight, float64(s.Coalescing.InFlight))
	counter(descCoalLeaders, float64(s.Coalescing.Leaders))
	counter(descCoalJoined, float64(s.Coalescing.Joined))
	st := s.Store
	gauge(descStoreReachable, b2f(st.Reachable), st.Backend)
	gauge(descStoreTrades, float64(st.Trades), st.Backend)
	gauge(descStoreMaxConns, float64(st.MaxConns))
	gauge(descStoreConns, float64(st.TotalConns), "total")
	gauge(descStoreConns, float64(st.AcquiredConns), "acquired")
	gauge(descStoreConns, float64(st.IdleConns), "idle")
	counter(descStoreAcquires, float64(st.AcquireCount))
	counter(descStoreEmpty, float64(st.EmptyAcquires))
	counter(descStoreCanceled, float64(st.CanceledAcquires))
	counter(descStoreWait, st.AcquireWaitMS/1000)
	rq := s.Requests
	gauge(descHTTPInFlight, float64(rq.InFlight))
	for _, r := range rq.Routes {
		for _, sc := range r.Codes {
			counter(descHTTPRequests, float64(sc.Count), r.Route, sc.Method, strconv.Itoa(sc.Code))
		}
		ch <- histogramOf(descHTTPDuration, r.Latency, r.Route)
	}
	if j := s.Jobs; j != nil {
		gauge(descJobsRunning, float64(j.Running))
		counter(descJobsFinished, float64(j.Done), "done")
		counter(descJobsFinished, float64(j.Failed), "failed")
		counter(descJobsFinished, float64(j.Retried), "retried")
		counter(descJobsFinished, float64(j.Lost), "lost")
		if js := j.Store; js != nil {
			gauge(descJobsStore, float64(js.Queued), "queued")
			gauge(descJobsStore, float64(js.Running), "running")
			gauge(descJobsStore, float64(js.Done), "done")
			gauge(descJobsStore, float64(js.Failed), "failed")
		}
	}
	if l := s.Limits; l != nil {
		gauge(descConns, float64(l.Conns))
		gauge(descMaxConns, float64(l.MaxConns))
		counter(descRateLimited, float64(l.RateLimited))
		gauge(descShedding, b2f(l.Memory.Shedding))
		counter(descShed, float64(l.Memory.Shed))
		gauge(descHeapLive, float64(l.Memory.HeapLive))
		gauge(descMemLimit, float64(max(l.Memory.Limit, 0)))
		counter(descReclaims, float64(l.Memory.Reclaims))
		counter(descReclaimedEnt, float64(l.Memory.ReclaimedEntries))
		counter(descReclaimedBytes, float64(l.Memory.ReclaimedBytes))
		gauge(descCacheCap, float64(l.Memory.CacheCap))
	}
	if cl := s.Cluster; cl != nil {
		gauge(descClusterSize, float64(len(cl.Instances)))
		gauge(descClusterHitRate, cl.HitRate)
	}
}
