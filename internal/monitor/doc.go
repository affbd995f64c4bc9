// Package monitor gives the console (and the admin API) one view of a
// running server: Local builds a quant.Snapshot from the guard, the cache,
// the store and the request figures of this process and carries out
// operators' actions on them. The monitor owns every conversion of a
// component's Stats into the snapshot, one function each, in figures.go.
//
// The console's history, rates and remote source come with the console.
//
// Source is what the console reads and steers: LocalSource over a Local in
// process, RemoteSource over a server's admin API; both fire bursts at the
// public API. History keeps a few minutes of each metric, with per-second
// rates derived from the snapshots' cumulative counters, and Sparkline
// draws them.
package monitor
