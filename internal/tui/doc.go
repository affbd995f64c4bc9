// Package tui will hold the Bubble Tea operations console: pools, breakers,
// cache, store pool, requests and bursts, with keys to steer them.
//
// It is not built yet: the console issue builds it. The package exists
// because the project's top-level layout is fixed (DESIGN.md).
package tui
