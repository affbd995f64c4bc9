// Package monitor gives the console (and the admin API) one view of a
// running server: Local builds a quant.Snapshot from the guard, the cache,
// the store and the request figures of this process and carries out
// operators' actions on them.
//
// The console's history, rates and remote source come with the console.
package monitor
