// Package monitor will hold the console's view of a running server:
// snapshots of the guard, cache, store pool and request figures, their
// history, and local and remote (admin API) sources.
//
// It is not built yet: the console issue builds it. The package exists
// because the project's top-level layout is fixed (DESIGN.md).
package monitor
