// Package tui is the Bubble Tea operations console: pools, breakers,
// cache, store pool, requests and bursts of a running server, live, with
// keys to flush the cache, force breakers and fire bursts.
//
// It reads and steers a monitor.Source (in process or through the admin
// API). Every destructive key asks y/N and names its target; a read-only
// console refuses them. A refresh is armed only when the previous fetch
// has returned, so fetches never pile up against a slow server, and a
// failed fetch keeps the last snapshot on screen under a stale banner
// while the console keeps retrying.
package tui
