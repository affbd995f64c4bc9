package quant

import (
	"context"
	"time"
)

// Snapshot is everything the operations console shows, at one instant: the
// JSON of GET /admin/v1/snapshot. Counters are cumulative since the
// instance started; a reader derives rates from two snapshots.
type Snapshot struct {
	Instance       InstanceInfo      `json:"instance"`
	DatasetVersion int64             `json:"dataset_version,string"` // a string in JSON: JavaScript rounds integers past 2^53
	Pools          []PoolSnapshot    `json:"pools"`
	Breakers       []BreakerSnapshot `json:"breakers"`
	Computes       []ComputeSnapshot `json:"computes"` // the analyses' computation times, in Analyses order
	Cache          CacheSnapshot     `json:"cache"`
	Coalescing     CoalescingStats   `json:"coalescing"`
	Store          StoreSnapshot     `json:"store"`
	Requests       RequestsSnapshot  `json:"requests"`
	Jobs           *JobsSnapshot     `json:"jobs,omitempty"`
	Limits         *LimitsSnapshot   `json:"limits,omitempty"`
	// Cluster is what this instance sees of the instances sharing its
	// Redis; nil without Redis (or when Redis did not answer in time).
	Cluster *ClusterSnapshot `json:"cluster,omitempty"`
}

// LimitsSnapshot is the state of the process-level limits: connections,
// per-client rate limiting and memory shedding.
type LimitsSnapshot struct {
	// Conns is the number of API connections open (0 before Serve);
	// MaxConns their bound.
	Conns    int `json:"conns"`
	MaxConns int `json:"max_conns"`
	// RateLimit is each client's sustained requests per second (0: off),
	// RateBurst its bucket; Clients the clients tracked now; RateLimited
	// the requests refused with 429 since start.
	RateLimit   float64     `json:"rate_limit"`
	RateBurst   int         `json:"rate_burst"`
	Clients     int         `json:"clients"`
	RateLimited int64       `json:"rate_limited"`
	Memory      MemoryState `json:"memory"`
}

// MemoryState is the memory shedding's view of the Go runtime's memory,
// as of its last reading.
type MemoryState struct {
	// Shedding is true while the requests that would make new memory
	// (cold analyses, ingest, job submissions) are answered 503.
	Shedding bool `json:"shedding"`
	// HeapLive is the heap the last GC found live (what pressure is
	// measured on); HeapObjects adds the garbage not yet swept; Total is
	// all memory the runtime holds from the OS (what the memory limit
	// bounds).
	HeapLive    uint64 `json:"heap_live_bytes"`
	HeapObjects uint64 `json:"heap_objects_bytes"`
	Total       uint64 `json:"total_bytes"`
	// Limit is the runtime's soft memory limit (GOMEMLIMIT,
	// debug.SetMemoryLimit); 0 when there is none, and then nothing is
	// shed.
	Limit int64 `json:"limit_bytes"`
	// Threshold is the share of Limit at which shedding starts.
	Threshold float64 `json:"threshold"`
	// ReclaimLevel is the share of Limit at which the answer cache gives
	// memory back (Threshold less 0.1, at least half of it); 0 without a
	// cache that can.
	ReclaimLevel float64 `json:"reclaim_level,omitzero"`
	// Reclaims counts the times the cache was asked to give memory back
	// since start; ReclaimedEntries and ReclaimedBytes what it gave.
	Reclaims         int64 `json:"reclaims"`
	ReclaimedEntries int64 `json:"reclaimed_entries"`
	ReclaimedBytes   int64 `json:"reclaimed_bytes"`
	// CacheCap is the bound the cache is held to while the pressure
	// lasts, in bytes; 0 when it may hold its configured bound.
	CacheCap int64 `json:"cache_cap_bytes"`
	// LastReclaim is when the cache last gave memory back.
	LastReclaim time.Time `json:"last_reclaim,omitzero"`
	// Shed counts the requests refused for memory since start.
	Shed int64 `json:"shed"`
	// Since is when the current shedding started (zero when not shedding).
	Since time.Time `json:"since,omitzero"`
	// At is when the figures were read.
	At time.Time `json:"at,omitzero"`
}

// JobsSnapshot is the jobs API: this instance's workers and the shared
// store's jobs by state.
type JobsSnapshot struct {
	Workers   int   `json:"workers"`
	Running   int64 `json:"running"` // held by this instance's workers
	Done      int64 `json:"done"`    // finished here since start
	Failed    int64 `json:"failed"`
	Retried   int64 `json:"retried"`
	Lost      int64 `json:"lost"`
	Submitted int64 `json:"submitted"`
	// Store counts every instance's jobs by state (nil if the store did
	// not answer).
	Store *JobCounts `json:"store,omitempty"`
}

// ClusterSnapshot is the deployment as one instance sees it through Redis.
type ClusterSnapshot struct {
	Instances []InstanceStatus `json:"instances"`
	// The answer cache across the instances: sums of their counters and
	// the hit rate they make.
	Hits      int64   `json:"hits"`
	Misses    int64   `json:"misses"`
	Stale     int64   `json:"stale"`
	Coalesced int64   `json:"coalesced"`
	HitRate   float64 `json:"hit_rate"` // (hits + stale) / lookups, as CacheSnapshot's
	// Overrides are the breaker overrides recorded for every instance.
	Overrides []ControlEvent `json:"overrides"`
}

// InstanceStatus is what an instance announces to the others every few
// seconds.
type InstanceStatus struct {
	ID        string    `json:"id"`
	Addr      string    `json:"addr"`
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	SeenAt    time.Time `json:"seen_at"`
	Requests  int64     `json:"requests"`
	Hits      int64     `json:"hits"`
	Misses    int64     `json:"misses"`
	Stale     int64     `json:"stale"`
	Coalesced int64     `json:"coalesced"`
}

// ClusterRegistry is where instances announce themselves and read the
// others (the redis package's Bus implements it).
type ClusterRegistry interface {
	// Announce records s as this instance's latest status.
	Announce(ctx context.Context, s InstanceStatus) error
	// Leave removes the instance's status (it is stopping).
	Leave(ctx context.Context, id string) error
	// Instances returns the statuses announced recently, by ID.
	Instances(ctx context.Context) ([]InstanceStatus, error)
	// RecordedOverrides returns the breaker overrides in force for every
	// instance.
	RecordedOverrides(ctx context.Context) ([]ControlEvent, error)
}

// InstanceInfo identifies the instance that took a Snapshot.
type InstanceInfo struct {
	ID        string    `json:"id"` // host:pid
	Version   string    `json:"version"`
	StartedAt time.Time `json:"started_at"`
	Now       time.Time `json:"now"`
	Addr      string    `json:"addr"`
}

// PoolSnapshot is one bulkhead pool.
type PoolSnapshot struct {
	Name       string     `json:"name"`
	Analyses   []Analysis `json:"analyses"`
	Capacity   int        `json:"capacity"`
	QueueLimit int        `json:"queue_limit"`
	MaxWaitMS  float64    `json:"max_wait_ms"`
	InFlight   int        `json:"in_flight"`
	Waiting    int        `json:"waiting"`
	Admitted   int64      `json:"admitted"`
	Rejected   int64      `json:"rejected"`
	TimedOut   int64      `json:"timed_out"`
	Canceled   int64      `json:"canceled"`
	Wait       Latency    `json:"wait"`
}

// ComputeSnapshot is one analysis' computation times in the guard: how
// long each computation held its pool slot, for those that answered (OK)
// and those that failed (Failed: a timeout, an error, a refused request).
type ComputeSnapshot struct {
	Analysis Analysis `json:"analysis"`
	OK       Latency  `json:"ok"`
	Failed   Latency  `json:"failed"`
}

// Latency summarizes a distribution of durations: cumulative bucket counts
// (Buckets[i].Count counts observations <= Buckets[i].LeMS; the last bucket
// has LeMS -1 and counts all), their sum, and percentiles estimated from the
// buckets.
type Latency struct {
	Count   int64    `json:"count"`
	SumMS   float64  `json:"sum_ms"`
	MaxMS   float64  `json:"max_ms"`
	P50MS   float64  `json:"p50_ms"`
	P95MS   float64  `json:"p95_ms"`
	P99MS   float64  `json:"p99_ms"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	LeMS  float64 `json:"le_ms"` // -1: +Inf
	Count int64   `json:"count"`
}

// BreakerSnapshot is one analysis' breaker.
type BreakerSnapshot struct {
	Name  string `json:"name"`
	State string `json:"state"` // closed, open, half_open
	Mode  string `json:"mode"`  // auto, forced_open, forced_closed
	// Override is the operator's reason and expiry of a forced mode.
	Override *BreakerOverride `json:"override,omitempty"`
	Window   BreakerCounts    `json:"window"`
	// OpenUntil is when an open breaker half-opens.
	OpenUntil      time.Time          `json:"open_until,omitzero"`
	Rejected       int64              `json:"rejected"`
	Transitions    int64              `json:"transitions"`
	LastTransition *BreakerTransition `json:"last_transition,omitempty"`
}

// BreakerOverride is an operator's forced mode (or, in a transition, an
// operator's return to auto).
type BreakerOverride struct {
	Mode   string    `json:"mode,omitempty"` // forced_open, forced_closed, auto
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"`
}

// BreakerCounts are a breaker window's figures.
type BreakerCounts struct {
	Calls               int `json:"calls"`
	Failures            int `json:"failures"`
	Slow                int `json:"slow"`
	ConsecutiveFailures int `json:"consecutive_failures"`
}

// BreakerTransition is a change of a breaker's state with the counts of the
// window that caused it.
type BreakerTransition struct {
	From   string        `json:"from"`
	To     string        `json:"to"`
	At     time.Time     `json:"at"`
	Reason string        `json:"reason"`
	Window BreakerCounts `json:"window"`
	// Override is the operator's action when an operator made the change.
	Override *BreakerOverride `json:"override,omitempty"`
}

// CacheSnapshot is the answer cache: the read-through layer's counters and
// its backend.
type CacheSnapshot struct {
	Backend        string `json:"backend"`
	Healthy        bool   `json:"healthy"`
	Entries        int64  `json:"entries"`
	Bytes          int64  `json:"bytes"`
	Hits           int64  `json:"hits"`
	Misses         int64  `json:"misses"`
	Stale          int64  `json:"stale"`
	Coalesced      int64  `json:"coalesced"`
	Refreshes      int64  `json:"refreshes"`
	EarlyRefreshes int64  `json:"early_refreshes"`
	// StaleIfError counts the stale answers served because computing
	// failed; RefreshErrors the background refreshes that failed.
	StaleIfError  int64 `json:"stale_if_error"`
	RefreshErrors int64 `json:"refresh_errors"`
	// Errors counts the backend's Gets and Sets that failed (served as
	// misses); BackendErrors the errors the backend counted itself (a
	// tiered cache's Redis failures, hidden behind its in-process level);
	// VersionErrors the failed reads of the dataset version.
	Errors        int64   `json:"errors"`
	BackendErrors int64   `json:"backend_errors"`
	VersionErrors int64   `json:"version_errors"`
	HitRate       float64 `json:"hit_rate"` // (hits + stale) / lookups since start
	// LeaseWaits counts misses that waited for another instance computing
	// the same key; LeaseTakeovers those that computed it here after the
	// other left without an answer.
	LeaseWaits     int64 `json:"lease_waits"`
	LeaseTakeovers int64 `json:"lease_takeovers"`
	// ByAnalysis splits Hits, Misses, Stale and Coalesced by analysis.
	ByAnalysis []CacheLookups `json:"by_analysis"`
}

// CacheLookups are one analysis' answers from the cache, by how they
// were served (as CacheSnapshot's totals). Analysis is "other" for the
// requests of no known analysis.
type CacheLookups struct {
	Analysis  Analysis `json:"analysis"`
	Hits      int64    `json:"hits"`
	Misses    int64    `json:"misses"`
	Stale     int64    `json:"stale"`
	Coalesced int64    `json:"coalesced"`
}

// CoalescingStats are the figures of the one coalescing point, the
// answer cache: Leaders the computations it started for a caller (its
// misses), Joined the callers that shared one (its coalesced answers),
// InFlight the computations in the guard now, running or waiting for a
// slot (behind the cache, each is one shared computation).
type CoalescingStats struct {
	InFlight int64 `json:"in_flight"`
	Leaders  int64 `json:"leaders"`
	Joined   int64 `json:"joined"`
}

// StoreSnapshot is the trade store and its connection pool.
type StoreSnapshot struct {
	Backend          string  `json:"backend"`
	Reachable        bool    `json:"reachable"`
	Trades           int64   `json:"trades"`
	MaxConns         int32   `json:"max_conns"`
	TotalConns       int32   `json:"total_conns"`
	AcquiredConns    int32   `json:"acquired_conns"`
	IdleConns        int32   `json:"idle_conns"`
	AcquireCount     int64   `json:"acquire_count"`
	EmptyAcquires    int64   `json:"empty_acquires"`
	CanceledAcquires int64   `json:"canceled_acquires"`
	AcquireWaitMS    float64 `json:"acquire_wait_ms"`
}

// RequestsSnapshot is the API's traffic: totals and per route.
type RequestsSnapshot struct {
	Total    int64            `json:"total"`
	InFlight int64            `json:"in_flight"`
	ByStatus map[string]int64 `json:"by_status"` // "2xx", "4xx", "503", ...
	Latency  Latency          `json:"latency"`
	Routes   []RouteSnapshot  `json:"routes"`
}

// RouteSnapshot is one route's traffic.
type RouteSnapshot struct {
	Route    string           `json:"route"` // the path template
	Count    int64            `json:"count"`
	ByStatus map[string]int64 `json:"by_status"` // by status class, as RequestsSnapshot's
	Latency  Latency          `json:"latency"`
	// Codes counts the route's requests by method and exact status code,
	// ordered by method then code.
	Codes []StatusCount `json:"codes"`
}

// StatusCount is the number of requests of one method answered with one
// status code. Method is GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS or
// "other" (any other method).
type StatusCount struct {
	Method string `json:"method"`
	Code   int    `json:"code"`
	Count  int64  `json:"count"`
}

// Controller is what an operator can see and steer: the admin API serves
// it, the console drives it (in process or through the admin API). An
// action carried out on this instance that did not reach the others is a
// *NotSharedError.
type Controller interface {
	Snapshot(ctx context.Context) (*Snapshot, error)
	// FlushCache removes the cached answers sel selects (the zero
	// CacheSelection: every answer), for the operator's reason (may be
	// empty), and counts what this instance removed: its own level and
	// the shared one. The other instances remove what they hold when the
	// action reaches them, uncounted.
	FlushCache(ctx context.Context, sel CacheSelection, reason string) (Flushed, error)
	// SetBreaker forces the named breaker open or closed, or returns it to
	// automatic operation ("open", "close", "auto"), with a reason and an
	// optional expiry (zero: none).
	SetBreaker(ctx context.Context, name, action, reason string, until time.Time) error
}

// ControlEvent is an operator's action, shared between the instances of
// one deployment so that an override or a flush made on one reaches all.
type ControlEvent struct {
	Kind    string `json:"kind"`              // "breaker" or "flush"
	Breaker string `json:"breaker,omitempty"` // the analysis, for "breaker"
	Action  string `json:"action,omitempty"`  // open, close or auto
	// Analysis and ID are a "flush"'s CacheSelection (both empty: every
	// answer). An instance that does not know them flushes every answer
	// it holds: more than asked, never less.
	Analysis Analysis  `json:"analysis,omitempty"`
	ID       string    `json:"id,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Until    time.Time `json:"until,omitzero"`
	Origin   string    `json:"origin"` // the instance that acted
	At       time.Time `json:"at"`
}

// ControlBus carries ControlEvents between instances.
type ControlBus interface {
	// Publish sends e to every instance and, for a breaker override,
	// records it so that instances starting later apply it too.
	Publish(ctx context.Context, e ControlEvent) error
	// Subscribe calls apply with every recorded override still in force,
	// then with every event published, until ctx is done. It reconnects by
	// itself.
	Subscribe(ctx context.Context, apply func(ControlEvent)) error
}
